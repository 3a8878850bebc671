"""Every chart draws (its Vega view has marks) and answers a hover with a tooltip."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PAGES
from tests.browser.harness import DATA_MARKS_JS

pytestmark = pytest.mark.slow

COMPARISON_PAGES = [
    "chapters/placebo.html",
    "chapters/plasma-exchange.html",
    "chapters/corticosteroids.html",
]
TOOLTIP = "#vg-tooltip-element"

#: Centre (viewport coordinates, after scrolling it into view) of data item ``i`` of a
#: chart, or null past the last item. Items are the scenegraph children of mark groups
#: outside axes, legends and titles, in document order.
ITEM_CENTRE_JS = """
([id, i]) => {
  const svg = document.getElementById(id).querySelector('svg');
  const items = Array.from(svg.querySelectorAll('g.role-mark'))
    .filter(g => !g.closest('.role-axis, .role-legend, .role-title') &&
                 !g.classList.contains('mark-group'))
    .flatMap(g => Array.from(g.children));
  if (i >= items.length) return null;
  const el = items[i];
  el.scrollIntoView({block: 'center', inline: 'center'});
  const b = el.getBoundingClientRect();
  return {x: b.left + b.width / 2, y: b.top + b.height / 2,
          cls: el.parentNode.getAttribute('class')};
}
"""

#: Centres of the study squares of a forest plot (symbol marks), scrolled into view one by one.
SQUARE_COUNT_JS = """
(id) => document.getElementById(id).querySelectorAll('svg g.mark-symbol.role-mark > path').length
"""
SQUARE_CENTRE_JS = """
([id, i]) => {
  const el = document.getElementById(id).querySelectorAll('svg g.mark-symbol.role-mark > path')[i];
  el.scrollIntoView({block: 'center', inline: 'center'});
  const b = el.getBoundingClientRect();
  return {x: b.left + b.width / 2, y: b.top + b.height / 2};
}
"""


def _specs(page) -> dict[str, dict]:
    """Each shown chart's Vega-Lite spec, from the JSON script beside its element (a figure
    drawn in two layouts shows one of them at a given width; the other is hidden)."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('.ivig-chart'))
             .filter(el => el.offsetParent !== null).map(
             el => [el.id, JSON.parse(document.getElementById(el.id + '-spec').textContent)]))"""
    )


def _has_tooltip(spec) -> bool:
    if isinstance(spec, dict):
        enc = spec.get("encoding")
        if isinstance(enc, dict) and "tooltip" in enc:
            return True
        mark = spec.get("mark")
        if isinstance(mark, dict) and mark.get("tooltip"):
            return True
        return any(_has_tooltip(v) for v in spec.values())
    if isinstance(spec, list):
        return any(_has_tooltip(v) for v in spec)
    return False


def _study_ids(spec) -> set[str]:
    ids: set[str] = set()
    for rows in (spec.get("datasets") or {}).values():
        ids.update(str(r["study_id"]) for r in rows if isinstance(r, dict) and "study_id" in r)
    return ids


def _tooltip_text(page) -> str | None:
    try:
        page.wait_for_selector(f"{TOOLTIP}.visible", state="visible", timeout=1_500)
    except Exception:  # noqa: BLE001 - no tooltip within the time: the caller tries the next item
        return None
    return page.locator(TOOLTIP).inner_text()


def _reset_mouse(page) -> None:
    page.mouse.move(1, 1)
    page.wait_for_timeout(50)


def test_every_saved_chart_spec_is_shown_on_a_page(built_site):
    saved = {p.name.removesuffix(".vl.json") for p in (built_site / "charts").glob("*.vl.json")}
    assert saved, "the site has no chart specs in charts/"
    shown = set()
    for path in PAGES:
        text = (built_site / path).read_text(encoding="utf-8")
        shown.update(name for name in saved if f'id="chart-{name}"' in text)
    assert saved == shown, f"specs in charts/ with no chart on any page: {sorted(saved - shown)}"


def test_the_comparisons_have_forest_plots(built_site):
    pages = [p for p in COMPARISON_PAGES if 'id="chart-forest-' in (built_site / p).read_text()]
    assert pages, "no comparison chapter shows a forest plot"


@pytest.mark.parametrize("path", PAGES)
def test_every_chart_draws(reader, path):
    reader.goto(path)
    charts = reader.page.evaluate(DATA_MARKS_JS)
    specs = reader.page.locator('script[type="application/json"][id$="-spec"]').count()
    assert len(charts) == specs, f"{path}: {specs} chart specs but {len(charts)} chart elements"
    empty = [c["id"] for c in charts if c["marks"] <= 0]
    assert not empty, f"{path}: charts without data marks: {empty}"
    assert reader.record.problems() == []


#: Per chart: the drawn SVG's size on screen and the width of the text column around it.
CHART_SIZE_JS = """
() => Array.from(document.querySelectorAll('.ivig-chart'))
    .filter(el => el.offsetParent !== null)  // a figure's other layout is hidden at this width
    .map(el => {
  const svg = el.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const column = (el.closest('main') || document.body).getBoundingClientRect().width;
  return {id: el.id, width: box.width, height: box.height, column: column};
})
"""


@pytest.mark.parametrize("path", PAGES)
def test_every_chart_is_drawn_at_a_readable_size(reader, path):
    """A chart with data marks can still be invisible: drawn 0 px wide (a container-width
    chart in an element without a width, as under Quarto without the styles.scss rule)."""
    reader.goto(path)
    small = [
        c
        for c in reader.page.evaluate(CHART_SIZE_JS)
        if c["width"] < min(300, 0.4 * c["column"]) or c["height"] < 80
    ]
    assert not small, f"{path}: charts drawn too small to read (px): {small}"


@pytest.mark.parametrize("path", PAGES)
def test_every_chart_with_tooltips_shows_one_on_hover(reader, path):
    reader.goto(path)
    page = reader.page
    specs = _specs(page)
    silent = []
    for ident, spec in specs.items():
        if not _has_tooltip(spec):
            continue
        shown = None
        for i in range(60):
            _reset_mouse(page)
            centre = page.evaluate(ITEM_CENTRE_JS, [ident, i])
            if centre is None:
                break
            page.mouse.move(centre["x"], centre["y"])
            shown = _tooltip_text(page)
            if shown:
                break
        if not shown:
            silent.append(ident)
    assert not silent, f"{path}: charts with tooltips that showed none on hover: {silent}"


@pytest.mark.parametrize("path", COMPARISON_PAGES)
def test_forest_plot_shows_the_study_on_hover(reader, path):
    reader.goto(path)
    page = reader.page
    specs = _specs(page)
    forests = {
        k: v for k, v in specs.items() if k.startswith(("chart-forest-", "chart-stacked-forest-"))
    }
    if not forests:
        # A comparison without a forest plot must say so in words, not show an empty chart.
        text = page.locator("main").inner_text().lower()
        assert "trial" in text, f"{path}: no forest plot and no statement about trials"
        return
    for ident, spec in forests.items():
        ids = _study_ids(spec)
        assert ids, f"{ident}: no study_id in the chart's data"
        count = page.evaluate(SQUARE_COUNT_JS, ident)
        assert 0 < count <= len(ids), f"{ident}: {count} squares for {len(ids)} studies"
        for i in range(count):
            _reset_mouse(page)
            centre = page.evaluate(SQUARE_CENTRE_JS, [ident, i])
            page.mouse.move(centre["x"], centre["y"])
            text = _tooltip_text(page)
            assert text, f"{ident}: no tooltip over study square {i}"
            named = [s for s in ids if s in text]
            assert named, f"{ident}: tooltip over square {i} names no study: {text!r}"
