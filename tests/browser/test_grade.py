"""Summary of findings in the browser: no chart text clipped at 1280 and 375 px, and the
home page's first screen names, per comparison and disease, the effect, its certainty and
the outcome (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.report import text
from tests.browser.harness import DESKTOP, PHONE

pytestmark = pytest.mark.slow

CHART_PAGES = [
    "index.html",
    "chapters/placebo.html",
    "chapters/plasma-exchange.html",
    "chapters/corticosteroids.html",
    "chapters/sensitivity.html",
]

#: Every chart: its SVG box, its pane (the .ivig-chart element) and whether the pane
#: scrolls sideways, and every non-empty text's box and drawn font size; ``shown`` is false
#: for a layout the page hides at this width (the wide forest on a phone, the stacked one
#: on a desktop), which a reader never sees.
CHART_TEXT_JS = """
() => Array.from(document.querySelectorAll('.ivig-chart')).map(el => {
  const svg = el.querySelector('svg');
  if (!svg) return {id: el.id, svg: false};
  const box = svg.getBoundingClientRect();
  const pane = el.getBoundingClientRect();
  const scale = box.width / (svg.width.baseVal.value || box.width);
  return {
    id: el.id, svg: true, shown: box.width > 0 && box.height > 0,
    box: {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
    pane: {left: pane.left, right: pane.right},
    scrolls: el.scrollWidth > el.clientWidth + 0.5 &&
             ['auto', 'scroll'].includes(getComputedStyle(el).overflowX),
    texts: Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim())
      .map(t => {
        const b = t.getBoundingClientRect();
        return {text: t.textContent, left: b.left, right: b.right, top: b.top,
                bottom: b.bottom, px: parseFloat(getComputedStyle(t).fontSize) * scale};
      }),
  };
})
"""


def _clipped(chart: dict, width: float) -> list[str]:
    """Texts a reader cannot see: outside the drawing, or off screen without a scroll."""
    b = chart["box"]
    out = []
    for t in chart["texts"]:
        if (
            t["left"] < b["left"] - 0.5
            or t["right"] > b["right"] + 0.5
            or t["top"] < b["top"] - 0.5
            or t["bottom"] > b["bottom"] + 0.5
        ):
            out.append(f"{t['text']!r} outside its chart")
        elif not chart["scrolls"] and (t["left"] < -0.5 or t["right"] > width + 0.5):
            out.append(f"{t['text']!r} off the screen")
    if chart["pane"]["right"] > width + 0.5 or chart["pane"]["left"] < -0.5:
        out.append("the chart's pane is wider than the screen")
    return out


def _check_page(tab, path: str) -> None:
    tab.goto(path)
    page = tab.page
    width = page.evaluate("() => document.documentElement.clientWidth")
    charts = [c for c in page.evaluate(CHART_TEXT_JS) if c["svg"] and c["shown"]]
    assert charts, f"{path}: no chart drawn"
    problems = [f"{c['id']}: {p}" for c in charts for p in _clipped(c, width)]
    assert not problems, f"{path} at {width} px: " + "; ".join(problems[:8])
    forests = [c for c in charts if c["id"].startswith(("chart-forest-", "chart-summary"))]
    small = [
        f"{c['id']}: {t['text']!r} {t['px']:.1f} px"
        for c in forests
        for t in c["texts"]
        if t["px"] < 15.5
    ]
    assert not small, f"{path}: forest text smaller than the body text: {small[:5]}"


@pytest.mark.parametrize("path", CHART_PAGES)
def test_no_chart_text_clipped_at_1280(reader, path):
    assert reader.page.viewport_size["width"] == DESKTOP["width"]
    _check_page(reader, path)


@pytest.mark.parametrize("path", CHART_PAGES)
def test_no_chart_text_clipped_at_375(phone_reader, path):
    assert phone_reader.page.viewport_size["width"] == PHONE["width"]
    _check_page(phone_reader, path)


def test_first_screen_names_effect_certainty_and_outcome_per_disease(reader, built_site):
    """At the top of the home page at 1280 px: one line per comparison and disease with all
    three, the list starting above the fold (how far it runs below depends on how many
    diseases have results, which a data pull request may change)."""
    results = json.loads((Path(built_site) / "results.json").read_text(encoding="utf-8"))
    reader.goto("index.html")
    page = reader.page
    height = page.evaluate("() => window.innerHeight")
    items = page.evaluate(
        """() => Array.from(document.querySelectorAll('li')).map(li => {
             const b = li.getBoundingClientRect();
             return {text: li.textContent.replace(/\\s+/g, ' '), top: b.top + window.scrollY,
                     bottom: b.bottom + window.scrollY};
           })"""
    )
    labels = {"high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very low"}
    first = next((it for it in items if it["text"].startswith("IVIG vs")), None)
    assert first is not None and first["bottom"] <= height, "the results list starts below"
    for code, entry in results["comparisons"].items():
        for f in ((entry or {}).get("findings") or {}).values():
            disease = "all diseases pooled" if f["disease"] == "all" else None
            hits = [
                it
                for it in items
                if it["text"].startswith("IVIG vs")
                and (disease or "") in it["text"]
                and f"RR {text.num(f['estimate'])}" in it["text"]
            ]
            assert hits, f"{code}/{f['disease']}: no first-screen line with its RR"
            line = hits[0]
            assert (
                f"certainty {f['certainty']['symbols']} {labels[f['certainty']['label']]}"
                in (line["text"])
            )
            for t in f["outcome_types"]:
                assert t.replace("_", " ") in line["text"]


SOF_PAGES = {"placebo": "chapters/placebo.html", "plasma_exchange": "chapters/plasma-exchange.html"}


@pytest.mark.parametrize("code", sorted(SOF_PAGES))
def test_provisional_certainty_sits_beside_the_rating(reader, built_site, code):
    """Issue 20: a rating resting on unassessed risk of bias says "provisional: risk of bias
    not yet assessed" in its own summary-of-findings cell, and no page reassures with the
    share of weight "at high risk" when nothing was assessed."""
    results = json.loads((Path(built_site) / "results.json").read_text(encoding="utf-8"))
    entry = results["comparisons"].get(code)
    if not entry:
        pytest.skip(f"no trial of {code} in the primary analysis of this build")
    reader.goto(SOF_PAGES[code])
    page = reader.page
    body = page.inner_text("body")
    assert "trials at high risk carry 0 %" not in body
    rows = page.evaluate(
        "() => Array.from(document.querySelectorAll('tr')).map(tr => "
        "Array.from(tr.querySelectorAll('td')).map(td => td.textContent.replace(/\\s+/g, ' ')))"
    )
    for f in entry["findings"].values():
        c = f["certainty"]
        pop = "All diseases pooled" if f["disease"] == "all" else text.disease_label(f["disease"])
        sof = [r for r in rows if r and r[0].startswith(pop) and c["symbols"] in r[-1]]
        assert sof, f"{code}/{f['disease']}: no summary-of-findings row"
        cell = sof[0][-1]
        if c["provisional"]:
            assert c["provisional"] in cell, cell
        else:
            assert "provisional" not in cell, cell


def test_conclusions_table_states_certainty_and_k_of_n(reader, built_site):
    """Issue 20, item 7: every conclusion of this version carries its certainty and what it
    stands on (k of n identified trials)."""
    results = json.loads((Path(built_site) / "results.json").read_text(encoding="utf-8"))
    reader.goto("index.html")
    rows = reader.page.evaluate(
        "() => Array.from(document.querySelectorAll('tr')).map(tr => "
        "Array.from(tr.querySelectorAll('td')).map(td => td.textContent.replace(/\\s+/g, ' ')))"
    )
    for code, entry in results["comparisons"].items():
        if not entry:
            continue
        want = f"IVIG vs {text.COMPARISONS[code][1].lower()}"
        row = next((r for r in rows if r and r[0] == want and len(r) == 3), None)
        assert row is not None, f"{code}: no conclusions row"
        for f in entry["findings"].values():
            c, found = f["certainty"], f["completeness"]
            assert f"{c['symbols']} " in row[-1]
            assert f"{found['analysed']} of {found['identified']} identified trial" in row[-1], row[
                -1
            ]
