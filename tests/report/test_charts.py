"""Charts from real analyses of the project's data: valid Vega-Lite, drawing the result."""

import json
import math
from pathlib import Path

import altair as alt
import jsonschema
import pandas as pd
import pytest

from analysis.evidence import studies as data
from analysis.report import charts
from analysis.report import results_bundle as bundle
from analysis.stats import full_analysis as meta

SCHEMA = json.loads(
    (Path(alt.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json").read_text()
)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def _frame(rows: pd.DataFrame) -> pd.DataFrame:
    return bundle._engine_frame(rows, "disease")


@pytest.fixture(scope="module")
def studies(snapshot_studies):
    """The frozen data snapshot's rows (tests/conftest.py), never today's data/."""
    return snapshot_studies


@pytest.fixture(scope="module")
def placebo(studies):
    rows = data.primary(studies, "placebo")
    assert len(rows) >= 3, "the placebo comparison should have several trials"
    return meta.analyse(_frame(rows), measure="RR", tau2_method="REML", hk=True, by="disease"), rows


@pytest.fixture(scope="module")
def single(studies):
    rows = data.primary(studies, "plasma_exchange")
    assert len(rows) == 1
    return meta.analyse(_frame(rows), measure="RR", tau2_method="REML", hk=True, by="disease"), rows


def _valid(fig: charts.Figure) -> dict:
    spec = fig.spec()
    errors = sorted(VALIDATOR.iter_errors(spec), key=str)
    assert not errors, errors[0].message
    assert fig.alt and len(fig.alt) > 40
    assert isinstance(fig.table, pd.DataFrame) and len(fig.table)
    return spec


def _layers(spec: dict, mark: str) -> list[tuple[dict, list[dict]]]:
    out = []
    for layer in spec.get("layer") or [spec]:
        m = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        if m == mark:
            data = layer.get("data") or spec["data"]  # shared data is hoisted to the top
            out.append((layer, spec["datasets"][data["name"]]))
    return out


def test_forest_draws_the_result(placebo):
    result, rows = placebo
    r = result.to_dict()
    fig = charts.forest(result, rows, by="disease", name="forest-placebo")
    spec = _valid(fig)
    # fixed width: the container scrolls on a phone instead of squeezing the text columns
    assert spec["width"] == charts.FOREST_WIDTH
    squares = _layers(spec, "square")
    assert len(squares) == 1
    layer, pts = squares[0]
    assert sorted(p["study_id"] for p in pts) == sorted(s["study_id"] for s in r["studies"])
    by_id = {s["study_id"]: s for s in r["studies"]}
    for p in pts:
        assert p["estimate"] == by_id[p["study_id"]]["estimate"]
        assert p["weight"] == pytest.approx(by_id[p["study_id"]]["weight_random"])
    assert layer["encoding"]["x"]["scale"]["type"] == "log"
    assert layer["encoding"]["size"]["field"] == "weight"
    assert {t["field"] for t in layer["encoding"]["tooltip"]} >= {"study_id", "text", "events"}
    # diamonds: common (MH) and random, each with its CI as the left and right vertex
    ((_, verts),) = _layers(spec, "area")
    random = sorted((v for v in verts if v["diamond"] == "random"), key=lambda v: v["x"])
    assert [v["x"] for v in random] == [
        r["random"]["ci_low"],
        r["random"]["estimate"],
        r["random"]["ci_high"],
    ]
    common = sorted((v for v in verts if v["diamond"] == "common"), key=lambda v: v["x"])
    assert common[1]["x"] == r["common"]["mh"]["estimate"]
    # the prediction interval bar
    if r["random"]["pi_low"] is not None:
        pi = [
            d
            for _, ds in _layers(spec, "rule")
            for d in ds
            if d.get("label") == "Prediction interval"
        ]
        assert pi and pi[0]["ci_low"] == r["random"]["pi_low"]
        assert pi[0]["ci_high"] == r["random"]["pi_high"]
    # subgroup headers, bold, one per disease (the text columns are text marks)
    texts = [(ly, d) for ly, ds in _layers(spec, "text") for d in ds]
    bold = {d["line"] for ly, d in texts if ly["mark"].get("fontWeight") == "bold"}
    for code in rows["disease"].unique():
        assert charts.text.disease_label(code) in bold
    # Okabe-Ito colours only (plus greys and white)
    colours = set(json.dumps(spec).upper().split('"#')[1:])
    allowed = {c.lstrip("#").upper() for c in charts.OKABE_ITO.values()} | {
        "222222",
        "767676",
        "FFFFFF",
        "E6E6E6",
        "8C8C8C",
    }
    assert {c[:6] for c in colours} <= allowed
    assert "Forest plot of" in fig.alt and f"{r['random']['estimate']:.2f}" in fig.alt


def test_forest_single_trial_has_no_pooled_marks(single):
    result, rows = single
    spec = _valid(charts.forest(result, rows, name="forest-pe"))
    assert _layers(spec, "area") == []
    assert len(_layers(spec, "square")[0][1]) == 1


def test_forest_linear_axis_for_risk_difference(placebo):
    _, rows = placebo
    result = meta.analyse(_frame(rows), measure="RD", tau2_method="REML", hk=True, by="disease")
    spec = _valid(charts.forest(result, rows))
    layer, _ = _layers(spec, "square")[0]
    assert layer["encoding"]["x"]["scale"]["type"] == "linear"


def test_funnel_contours_and_points(placebo):
    result, _ = placebo
    r = result.to_dict()
    spec = _valid(charts.funnel(result))
    areas = _layers(spec, "area")
    assert [a[1][0]["region"] for a in areas] == [c[0] for c in charts.CONTOURS]
    # the 1.96 contour at se = max passes through exp(+-1.96 * se)
    band = next(ds for _, ds in areas if ds[0]["region"] == "0.05 ≤ p < 0.10")
    top = max(band, key=lambda d: d["se"])
    assert math.log(top["x2"]) == pytest.approx(1.959963984540054 * top["se"])
    ((_, pts),) = _layers(spec, "circle")
    assert len(pts) == r["k"]
    for p in pts:
        s = next(s for s in r["studies"] if s["study_id"] == p["study_id"])
        assert p["se"] == pytest.approx(math.sqrt(s["vi"]))


def test_cumulative_and_leave_one_out(placebo):
    result, _ = placebo
    r = result.to_dict()
    spec = _valid(charts.cumulative(result))
    ((_, pts),) = _layers(spec, "circle")
    assert [p["estimate"] for p in pts] == [c["estimate"] for c in r["cumulative"]]
    spec = _valid(charts.leave_one_out(result))
    ((_, pts),) = _layers(spec, "circle")
    assert [p["label"] for p in pts] == [f"Omitting {c['omitted']}" for c in r["leave_one_out"]]
    band = _layers(spec, "rect")[0][1][0]
    assert band["ci_low"] == r["random"]["ci_low"]


def test_rob_plots_cover_every_trial_and_domain(studies):
    rows = studies[studies["status"] != "pending"].reset_index(drop=True)
    fig = charts.rob_traffic_light(rows)
    spec = _valid(fig)
    ((_, dots),) = _layers(spec, "circle")
    assert len(dots) == 6 * len(rows)
    for d in dots:
        row = rows[rows["study_id"] == d["study_id"]].iloc[0]
        col = "rob_overall" if d["domain"] == "Overall" else f"rob_d{d['domain'][1]}"
        assert d["level"] == charts.rob_level(row[col])
        assert d["glyph"] == charts.ROB_LEVELS[d["level"]][2]
    summary = _valid(charts.rob_summary(rows))
    ((_, bars),) = _layers(summary, "bar")
    for domain in {b["domain"] for b in bars}:
        assert sum(b["size"] for b in bars if b["domain"] == domain) == len(rows)


def test_rob_levels_normalised():
    assert charts.rob_level("Some concerns") == "some_concerns"
    assert charts.rob_level("HIGH") == "high"
    assert charts.rob_level(None) == "not_assessed"
    assert charts.rob_level("no idea") == "not_assessed"


def test_prisma_flow_from_the_register(studies):
    entries = {}
    for c in data.COMPARATORS:
        rows = data.primary(studies, c)
        entries[c] = None if rows.empty else meta.analyse(_frame(rows)).to_dict()
    flow = bundle.register_summary(studies, entries, bundle.PRIMARY)
    assert flow["identified"] == len(studies)
    assert flow["pending"] + flow["with_counts"] == flow["identified"]
    assert flow["eligible"] + sum(flow["other_outcome"].values()) == flow["with_counts"]
    fig = charts.prisma(flow)
    spec = _valid(fig)
    ((_, lines),) = _layers(spec, "text")
    shown = " ".join(d["line"] for d in lines)
    assert f"(n = {flow['identified']})" in shown.replace("\n", " ")
    assert f"n = {flow['included']}" in fig.alt


@pytest.fixture(scope="module")
def entries(placebo, single):
    """Bundle entries as the home page gets them: placebo pooled, one trial, and no trial."""
    out = {}
    for code, (result, rows) in (("placebo", placebo), ("plasma_exchange", single)):
        e = result.to_dict()
        e["summary"] = bundle._summary(e, rows)
        out[code] = e
    out["corticosteroid"] = None
    return out


def test_summary_forest_draws_each_comparisons_headline(entries):
    fig = charts.summary_forest(entries)
    spec = _valid(fig)
    assert fig.name == "summary-forest" and spec["width"] == "container"
    pooled, one = entries["placebo"], entries["plasma_exchange"]
    assert pooled["summary"]["model"] == "random" and one["summary"]["model"] == "common.mh"
    ((layer, pts),) = _layers(spec, "point")
    by = {p["code"]: p for p in pts}
    assert set(by) == {"placebo", "plasma_exchange"}  # no mark for the comparison without trials
    for code, model, shape in (
        ("placebo", pooled["random"], "diamond"),
        ("plasma_exchange", one["common"]["mh"], "square"),
    ):
        assert by[code]["shape"] == shape
        assert [by[code][c] for c in ("estimate", "ci_low", "ci_high")] == [
            model["estimate"],
            model["ci_low"],
            model["ci_high"],
        ]
        assert by[code]["trials"] == entries[code]["k"]
        assert by[code]["participants"] == entries[code]["summary"]["participants"]
    # the single trial's own RR: its study estimate
    assert by["plasma_exchange"]["estimate"] == pytest.approx(
        one["studies"][0]["estimate"], rel=1e-12
    )
    assert by["plasma_exchange"]["kind"] == "Single trial"
    assert layer["encoding"]["x"]["scale"]["type"] == "log"
    assert {t["field"] for t in layer["encoding"]["tooltip"]} >= {
        "comparison",
        "text",
        "trials",
        "participants",
    }
    # CI lines equal the result; the line of no effect is at 1
    rules = _layers(spec, "rule")
    ci = {d["code"]: d for _, ds in rules for d in ds if "ci_low" in d}
    assert ci["placebo"]["ci_high"] == pooled["random"]["ci_high"]
    assert {d["x"] for _, ds in rules for d in ds if "ci_low" not in d} == {1.0}
    axis = layer["encoding"]["x"]["axis"]
    assert "favours control | favours IVIG" in json.dumps(axis["title"], ensure_ascii=False)
    # labels: a single trial is called one, the comparison without trials is a line of text
    lines = [d["line"] for _, ds in _layers(spec, "text") for d in ds]
    assert f"single trial, {one['summary']['participants']} participants" in lines
    assert (
        f"pooled, {pooled['k']} trials, {pooled['summary']['participants']} participants" in lines
    )
    assert {"IVIG vs placebo", "IVIG vs plasma exchange", "IVIG vs corticosteroids"} <= set(lines)
    assert "no trial in the primary analysis" in lines
    assert len(fig.table) == 3
    assert f"{pooled['random']['estimate']:.2f}" in fig.alt
    assert "IVIG vs corticosteroids: no trial in the primary analysis" in fig.alt
    colours = {c[:6] for c in json.dumps(spec).upper().split('"#')[1:]}
    allowed = {c.lstrip("#").upper() for c in charts.OKABE_ITO.values()} | {
        "222222",
        "767676",
        "E6E6E6",
    }
    assert colours <= allowed


def test_summary_forest_without_any_trial_has_text_only():
    spec = _valid(charts.summary_forest(dict.fromkeys(charts.text.COMPARISONS)))
    assert _layers(spec, "point") == []
    assert all("ci_low" not in d for _, ds in _layers(spec, "rule") for d in ds)
    lines = [d["line"] for _, ds in _layers(spec, "text") for d in ds]
    assert lines.count("no trial in the primary analysis") == len(charts.text.COMPARISONS)


def _texts(spec: dict) -> dict[int, dict[str, str]]:
    """Text marks of a forest plot by row: column -> text."""
    out: dict[int, dict[str, str]] = {}
    for _, ds in _layers(spec, "text"):
        for d in ds:
            if "row" in d:
                out.setdefault(d["row"], {})[d.get("col", "line")] = d["line"]
    return out


def test_forest_has_revman_text_columns(placebo, studies):
    """Per study: label, n/N per arm, weight and "RR [95 % CI]"; subtotals and totals too."""
    result, rows = placebo
    r = result.to_dict()
    spec = _valid(charts.forest(result, rows, by="disease", name="forest-placebo"))
    texts = _texts(spec)
    ((_, pts),) = [(ly, d) for ly, d in _layers(spec, "square")]
    by_id = {s["study_id"]: s for s in r["studies"]}
    info = rows.set_index("study_id")
    for p in pts:
        row = texts[p["row"]]
        s, m = by_id[p["study_id"]], info.loc[p["study_id"]]
        assert row["ivig"] == f"{int(m['ivig_improved'])}/{int(m['ivig_total'])}"
        assert row["control"] == f"{int(m['control_improved'])}/{int(m['control_total'])}"
        assert row["weight"] == charts.text.pct(s["weight_random"], 1)
        assert row["ci"] == (
            f"{charts.text.num(s['estimate'])} [{charts.text.num(s['ci_low'])}, "
            f"{charts.text.num(s['ci_high'])}]"
        )
        assert str(int(m["year"])) in row["label"]
    lines = [t.get("line", "") for t in texts.values()]
    het = r["heterogeneity"]
    assert (
        f"Heterogeneity: τ² = {charts.text.num(r['random']['tau2'])}; "
        f"Q = {charts.text.num(het['q'])}, df = {het['df']} ({charts.text.pval(het['p'])}); "
        f"I² = {charts.text.num(het['i2'], 0)} %"
    ) in lines
    assert f"Test for overall effect: {charts.text.pval(r['random']['p'])}" in " ".join(lines)
    tb = r["subgroups"]["test_between"]
    assert any(
        ln.startswith(
            f"Test for subgroup differences: Q = {charts.text.num(tb['q'])}, df = {tb['df']}"
        )
        for ln in lines
    )
    # the CIDP subtotal: summed counts, its weight and its own heterogeneity line
    cidp = rows[rows["disease"] == "cidp"]
    g = r["subgroups"]["groups"]["cidp"]
    sub = next(t for t in texts.values() if t.get("label") == "Subtotal (95 % CI)")
    assert sub["ivig"] == f"{int(cidp['ivig_improved'].sum())}/{int(cidp['ivig_total'].sum())}"
    assert f"Q = {charts.text.num(g['q'])}, df = {g['q_df']}" in " ".join(lines)
    # favours labels either side of the line of no effect
    every = {d["line"] for _, ds in _layers(spec, "text") for d in ds}
    assert {"← Favours control", "Favours IVIG →"} <= every


def test_forest_single_trial_axis_has_several_ticks(single):
    result, rows = single
    spec = _valid(charts.forest(result, rows, name="forest-pe"))
    layer, _ = _layers(spec, "square")[0]
    ticks = layer["encoding"]["x"]["axis"]["values"]
    assert len(ticks) >= 3 and 1 in ticks


def test_cumulative_first_trial_has_its_own_ci_and_axis_follows_trials(placebo):
    result, _ = placebo
    r = result.to_dict()
    spec = _valid(charts.cumulative(result))
    ((_, pts),) = _layers(spec, "circle")
    first = next(s for s in r["studies"] if s["study_id"] == r["cumulative"][0]["added"])
    assert pts[0]["ci_low"] == first["ci_low"] and pts[0]["ci_high"] == first["ci_high"]
    lo, hi = pts[0]["ci_low"], pts[0]["ci_high"]
    own = [v for s in r["studies"] for v in (s["ci_low"], s["ci_high"])]
    layer, _ = _layers(spec, "circle")[0]
    domain = layer["encoding"]["x"]["scale"]["domain"]
    assert domain[0] <= min(own) and domain[1] >= max(own)
    assert domain[1] < 2 * max(own) * 1.15 and lo < hi


def test_summary_forest_has_one_row_per_disease_with_certainty():
    """The home page's summary forest: per-disease rows from the bundle's findings."""
    from analysis.report import chapters as site

    entries = {c: site.comparison(c) for c in site.COMPARISON_KEYS}
    spec = _valid(charts.summary_forest(entries))
    ((_, pts),) = _layers(spec, "point")
    lines = [d["line"] for _, ds in _layers(spec, "text") for d in ds]
    from analysis.report.findings import ordered

    expected = [(c, f) for c, e in entries.items() if e for f in ordered(e["findings"])]
    assert len(pts) == len(expected)
    for p, (code, f) in zip(pts, expected, strict=True):
        assert p["code"] == code
        assert [p[c] for c in ("estimate", "ci_low", "ci_high")] == [
            f["estimate"],
            f["ci_low"],
            f["ci_high"],
        ]
        label = (
            "All diseases pooled"
            if f["disease"] == "all"
            else charts.text.disease_label(f["disease"])
        )
        assert label in lines
        assert p["certainty"].lower().startswith(f["certainty"]["label"].replace("_", " "))
    # every line short enough for a 375 px screen at 16 px
    assert max(len(x) for x in lines) <= 40
