"""What the chapters call (analysis.report.chapters), without building the site: honest
statements for comparisons with 0, 1 and several trials, marked numbers that resolve in the
bundle."""

import re

import pytest

from analysis.report import chapters as site
from analysis.report import text

MARK = re.compile(r'\[([^\]]+)\]\{\.result data-key="([^"]+)"\}')


def _check_marks(markdown: str) -> int:
    """Every marked number equals the bundle value it names, at the digits shown."""
    n = 0
    for shown, key in MARK.findall(markdown):
        value = text.get(site.bundle(), key)
        assert value is not None, key
        digits = len(shown.split(".")[1]) if "." in shown else 0
        assert shown == text.num(value, digits), (key, shown, value)
        n += 1
    return n


def _by_k():
    ks = {c: site.k(c) for c in site.COMPARISON_KEYS}
    return ks


@pytest.mark.parametrize("name", site.COMPARISON_KEYS)
def test_summary_says_plainly_how_many_trials(name):
    md = site.summary(name).data
    k = site.k(name)
    if k == 0:
        assert "No trial of IVIG versus" in md and "nothing is" in md
        assert "[" not in md.split("(")[0]  # no pooled number claimed
    elif k == 1:
        assert "Only one trial" in md and "nothing is pooled" in md
        assert _check_marks(md) == 3
    else:
        assert f"{k} trials" in md
        assert "prediction interval" in md
        assert _check_marks(md) >= 8


def test_today_comparisons_cover_0_1_and_several_trials():
    ks = _by_k()
    assert ks["placebo"] >= 2 and ks["plasma_exchange"] == 1 and ks["corticosteroid"] == 0


def test_conclusion_follows_the_confidence_interval():
    for name in site.COMPARISON_KEYS:
        e = site.comparison(name)
        words = site.conclusion(name)
        if e is None:
            assert "no trial" in words
            continue
        r = text.get(e, e["summary"]["model"])
        if r["ci_low"] > 1:
            assert words.startswith("more patients improved with IVIG")
        elif r["ci_high"] < 1:
            assert "improved with" in words and "IVIG" not in words
        else:
            assert words.startswith("no clear difference")


def test_sensitivity_and_tau2_tables_mark_bundle_numbers():
    assert _check_marks(site.sensitivity_table("placebo").data) >= 12
    md = site.tau2_table("placebo").data
    assert _check_marks(md) == 3 * 8
    assert md.splitlines()[2].startswith("| Restricted maximum likelihood (REML) (primary)")
    assert "at least two trials" in site.sensitivity_section("plasma_exchange").data


def test_register_table_lists_every_trial_and_what_is_missing():
    md = site.register_table().data
    rows = md.splitlines()[2:]
    assert len(rows) == len(site.studies())
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        status, missing = cells[3], cells[5]
        if status == "pending":
            assert missing.startswith("Counts to extract")
    counts = site.register_counts()
    assert counts["pending"] + counts["with_counts"] == counts["identified"] == len(rows)


def test_methods_are_stated_from_the_configuration():
    md = site.methods().data
    cfg = site.bundle()["methods"]
    assert text.TAU2_METHODS[cfg["tau2_method"]] in md
    assert ("Hartung-Knapp" in md) == cfg["hk"]
    for name, version in site.bundle()["software"].items():
        assert f"{name} {version}" in md


def test_chart_helpers_return_named_charts():
    from analysis.report.chart_display import Chart

    shown = site.forest("placebo")
    # the forest is shown in two layouts (wide and stacked) with its data table
    html = shown._repr_mimebundle_()["text/html"]
    assert 'class="view-wide"' in html and 'class="view-narrow"' in html
    chart = shown.wide
    assert isinstance(chart, Chart) and chart.name == "forest-placebo"
    assert "width" in chart.to_svg()[:400]
    assert 'style="display:block;width:100%"' in chart.to_html()
    other = site.forest("corticosteroid").wide
    assert isinstance(other, Chart) and other.name == "forest-corticosteroid-all-outcomes"
    listed = site.chart_files().data
    for name in ("forest-placebo", "rob-traffic-light", "prisma"):
        assert f"../charts/{name}.vl.json" in listed
