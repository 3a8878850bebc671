"""The summary forest plot: every comparison's headline estimate on one axis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import altair as alt
import pandas as pd

from analysis.report import text
from analysis.report.charts.axes import (
    EMPTY_MEASURE,
    GRID,
    INK,
    OKABE_ITO,
    Figure,
    _ci_rules,
    _config,
    _fmt_ci,
    _null,
    _x_axis,
    _x_scale,
)
from analysis.report.charts.intervals import _ci

# --------------------------------------------------------------------------- summary forest

#: what a comparison's headline model is called on the summary chart
_SUMMARY_KINDS: dict[str, tuple[str, str]] = {
    "random": ("Pooled (random effects)", "diamond"),
    "common.mh": ("Pooled (common effect, Mantel-Haenszel)", "diamond"),
    "single": ("Single trial", "square"),
}
NO_TRIAL = "no trial in the primary analysis"
#: summary forest text at the web page's body size
SUMMARY_FONT = 16
SUMMARY_ROW = 24


def _summary_items(e: Mapping[str, Any]) -> list[dict]:
    """The rows a comparison contributes: its summary-of-findings rows (one per disease,
    then the across-disease pool), or its headline alone when it has none."""
    found = e.get("findings")
    if found:
        found = sorted(
            found.values() if isinstance(found, Mapping) else found,
            key=lambda f: (f["disease"] == "all", f["disease"]),
        )
        return [
            {
                "disease": f["disease"],
                "population": (
                    "All diseases pooled"
                    if f["disease"] == "all"
                    else text.disease_label(f["disease"])
                ),
                "k": int(f["k"]),
                "participants": f["participants"],
                "model": f["model"],
                "estimate": f["estimate"],
                "ci_low": f["ci_low"],
                "ci_high": f["ci_high"],
                "certainty": f"{f['certainty']['label'].replace('_', ' ').capitalize()} certainty",
            }
            for f in found
        ]
    s = e["summary"]
    model = s["model"]
    r = text.analysis_of(e).model(model)
    return [
        {
            "k": int(e["k"]),
            "participants": s["participants"],
            "model": model,
            "estimate": r.estimate if r else None,
            "ci_low": r.ci_low if r else None,
            "ci_high": r.ci_high if r else None,
        }
    ]


def summary_forest(
    entries: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    name: str = "summary-forest",
) -> Figure:
    """Summary forest plot: one row per comparison, its primary relative effect and 95 % CI.

    Parameters
    ----------
    entries : mapping
        Comparison code -> its results-bundle entry (``MetaAnalysis.to_dict()`` plus
        ``summary`` with ``model``, ``trials`` and ``participants``), or None when no
        trial is in the comparison's primary analysis. Order is kept.
    labels : mapping, optional
        Comparison code -> the comparator's name (default :data:`text.COMPARISONS`).

    Notes
    -----
    Each comparison shows its headline model (``summary.model``): the random-effects
    estimate as a diamond when two or more trials are pooled, or, with one trial,
    that trial's own estimate (Mantel-Haenszel, k = 1) as a square labelled as a single
    trial. A comparison without a trial is a line of text, not a mark. The layout
    follows Lewis and Clarke (2001): a log axis around 1, each row's label above its
    interval so the plot keeps the full width on a phone.
    """
    labels = labels or {c: v[1] for c, v in text.COMPARISONS.items()}
    measure = next((e["measure"] for e in entries.values() if e), EMPTY_MEASURE)
    rows: list[dict] = []
    marks: list[dict] = []
    slot = 0  # text lines and mark lines, top to bottom
    for code, e in entries.items():
        comparison = f"IVIG vs {labels.get(code, code).lower()}"
        base = {"code": code, "comparison": comparison, "header_row": slot}
        if e is None:
            rows.append(
                {**base, "row": slot + 1, "kind": "", "trials": 0, "participants": 0, "model": None}
            )
            slot += 2
            continue
        slot += 1
        for item in _summary_items(e):
            k = item["k"]
            kind, shape = _SUMMARY_KINDS["single" if k == 1 else item["model"]]
            if item.get("disease") == "all":
                shape = "diamond"
            d = {
                **base,
                "header_row": base["header_row"] if item.get("population") is None else None,
                "population": item.get("population"),
                "population_row": slot if item.get("population") else None,
                "kind": kind,
                "shape": shape,
                "model": item["model"],
                "trials": k,
                "participants": item["participants"],
                "certainty": item.get("certainty") or "",
                "estimate": item.get("estimate"),
                "ci_low": item.get("ci_low"),
                "ci_high": item.get("ci_high"),
                "text": _fmt_ci(item.get("estimate"), item.get("ci_low"), item.get("ci_high")),
            }
            if item.get("population"):
                slot += 1
            d.update(detail_row=slot)
            slot += 1
            if d["certainty"]:
                d["certainty_row"] = slot
                slot += 1
            d["row"] = slot
            slot += 1
            if not rows or rows[-1]["code"] != code:
                d["header_row"] = base["header_row"]
            rows.append(d)
            if not text.missing(d["estimate"]):
                marks.append(d)

    def detail(d: dict) -> str:
        if d.get(
            "population"
        ):  # short enough for a phone: "2.48 (0.88 to 6.95), 3 trials, n = 198"
            return f"{d['text']}, {text.count(d['trials'], 'trial')}, n = {d['participants']}"
        what = "single trial" if d["trials"] == 1 else f"pooled, {d['trials']} trials"
        return f"{what}, {text.count(d['participants'], 'participant')}"

    n = max(slot, 1)
    xs = _x_scale(measure, [v for d in marks for v in (d["estimate"], d["ci_low"], d["ci_high"])])
    xa = _x_axis(measure, xs)
    lo, hi = xs.to_dict()["domain"]
    ys = alt.Scale(domain=[-0.6, n - 0.4], reverse=True, nice=False, zero=False)
    ya = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
    tooltip = [
        alt.Tooltip("comparison:N", title="Comparison"),
        alt.Tooltip("kind:N", title="Analysis"),
        alt.Tooltip("text:N", title=f"{measure} (95 % CI)"),
        alt.Tooltip("trials:Q", title="Trials"),
        alt.Tooltip("participants:Q", title="Participants"),
    ]
    # the line of no effect runs through the rows with a mark only, never through the text
    null_rows = [
        {"x": _null(measure), "y": d["row"] - 0.55, "y2": d["row"] + 0.55} for d in marks
    ] or [{"x": _null(measure), "y": -0.6, "y2": -0.6}]
    layers = [
        alt.Chart(pd.DataFrame(null_rows))
        .mark_rule(color=GRID, strokeWidth=1)
        .encode(x=alt.X("x:Q", scale=xs, axis=xa), y=alt.Y("y:Q", scale=ys, axis=ya), y2="y2:Q")
    ]
    headers = [
        {"x": lo, "y": d["header_row"], "line": d["comparison"], **_tip(d)}
        for d in rows
        if d.get("header_row") is not None
    ]
    populations = [
        {"x": lo, "y": d["population_row"], "line": d["population"], **_tip(d)}
        for d in rows
        if d.get("population_row") is not None
    ]
    details = [
        {"x": lo, "y": d["detail_row"], "line": detail(d), **_tip(d)} for d in rows if d["model"]
    ] + [
        {"x": lo, "y": d["certainty_row"], "line": d["certainty"], **_tip(d)}
        for d in rows
        if d.get("certainty_row") is not None
    ]
    empty = [
        {"x": lo, "y": d["row"], "line": NO_TRIAL, **_tip(d)} for d in rows if d["model"] is None
    ]
    styled: tuple[tuple[list[dict], Literal["bold", "normal"], str], ...] = (
        (headers, "bold", "normal"),
        (populations, "bold", "normal"),
        (details, "normal", "normal"),
        (empty, "normal", "italic"),
    )
    for lines, weight, style in styled:
        if not lines:
            continue
        layers.append(
            alt.Chart(pd.DataFrame(lines))
            .mark_text(
                align="left",
                baseline="middle",
                fontSize=SUMMARY_FONT,
                fontWeight=weight,
                fontStyle=style,
                color=INK,
                dx=2,
            )
            .encode(
                x=alt.X("x:Q", scale=xs, axis=xa),
                y=alt.Y("y:Q", scale=ys, axis=ya),
                text="line:N",
                tooltip=tooltip,
            )
        )
    mdf = pd.DataFrame(marks)
    if len(mdf):
        ci = mdf[~mdf["ci_low"].isna() & ~mdf["ci_high"].isna()]
        if len(ci):
            layers.append(_ci_rules(ci, xs, xa, ys, ya, tooltip, 1.5))
        layers.append(
            alt.Chart(mdf)
            .mark_point(filled=True, opacity=1, color=OKABE_ITO["blue"], stroke=INK, strokeWidth=1)
            .encode(
                x=alt.X("estimate:Q", scale=xs, axis=xa),
                y=alt.Y("row:Q", scale=ys, axis=ya),
                shape=alt.Shape("shape:N", scale=None, legend=None),
                size=alt.value(180),
                tooltip=tooltip,
            )
        )
    chart = alt.layer(*layers).properties(width="container", height=max(SUMMARY_ROW * n, 80))
    table = pd.DataFrame(
        [
            {
                "Comparison": d["comparison"],
                "Population": d.get("population") or "",
                "Analysis": d["kind"] or NO_TRIAL,
                "Certainty": d.get("certainty") or "",
                "Trials": d["trials"],
                "Participants": d["participants"],
                measure: text.num(d.get("estimate")) if d["model"] else "–",
                "95 % CI": _ci(d) if d["model"] else "–",
            }
            for d in rows
        ]
    )
    alt_text = (
        f"Summary forest plot: the primary {text.MEASURES.get(measure, measure)} of improvement "
        "(log scale) of IVIG against each comparator, with its 95 % confidence interval. "
        + "; ".join(
            f"{d['comparison']}: {NO_TRIAL}"
            if d["model"] is None
            else f"{d['comparison']}"
            + (f", {d['population']}" if d.get("population") else "")
            + f": {d['kind'].lower()} {d['text']}, "
            f"{text.count(d['trials'], 'trial')}, "
            f"{text.count(d['participants'], 'participant')}"
            for d in rows
        )
        + ". "
        + ("Values above 1 favour IVIG." if text.is_ratio(measure) else "")
    )
    return Figure(
        name=name, chart=_config(chart, font_size=SUMMARY_FONT), alt=alt_text.strip(), table=table
    )


def _tip(d: dict) -> dict:
    """The tooltip fields of a summary row (the text lines carry them too)."""
    return {
        "comparison": d["comparison"],
        "kind": d["kind"] or NO_TRIAL,
        "text": d.get("text", "–"),
        "trials": d["trials"],
        "participants": d["participants"],
    }
