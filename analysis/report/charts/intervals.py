"""Interval lists on one axis: cumulative and leave-one-out analyses, sensitivity
analyses side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from analysis.report import text
from analysis.report.charts.axes import (
    EMPTY_MEASURE,
    GRID,
    OKABE_ITO,
    ROW_PX,
    Figure,
    _analysis,
    _ci_rules,
    _config,
    _fmt_ci,
    _null,
    _x_axis,
    _x_scale,
    _y_axis,
    _y_scale,
)

# --------------------------------------------------------------------------- interval lists


def _interval_chart(
    rows: list[dict],
    measure: str,
    *,
    reference: dict | None,
    point_color: str,
    tooltip_title: str,
    limits: Sequence[float] | None = None,
) -> Any:
    labels = [d["label"] for d in rows]
    for i, d in enumerate(rows):
        d["row"] = i
        d["text"] = _fmt_ci(d["estimate"], d["ci_low"], d["ci_high"])
    n = max(len(rows), 1)
    vals = [v for d in rows for v in (d["estimate"], d["ci_low"], d["ci_high"])]
    if limits is not None:  # the axis spans these values and the estimates; longer CIs clamp
        vals = [d["estimate"] for d in rows] + list(limits)
    if reference:
        vals += [reference.get("estimate"), reference.get("ci_low"), reference.get("ci_high")]
    xs = _x_scale(measure, vals)
    xa = _x_axis(measure, xs)
    ys = _y_scale(n)
    ya = _y_axis(labels)
    layers = []
    if reference and not text.missing(reference.get("ci_low")):
        layers.append(
            alt.Chart(pd.DataFrame([reference]))
            .mark_rect(color=OKABE_ITO["sky_blue"], opacity=0.25)
            .encode(x=alt.X("ci_low:Q", scale=xs, axis=xa), x2="ci_high:Q")
        )
    if reference and not text.missing(reference.get("estimate")):
        layers.append(
            alt.Chart(pd.DataFrame([reference]))
            .mark_rule(color=OKABE_ITO["blue"], strokeDash=[4, 3])
            .encode(x=alt.X("estimate:Q", scale=xs, axis=xa))
        )
    layers.append(
        alt.Chart(pd.DataFrame({"x": [_null(measure)]}))
        .mark_rule(color=GRID)
        .encode(x=alt.X("x:Q", scale=xs, axis=xa))
    )
    df = pd.DataFrame(rows)
    tooltip = [
        alt.Tooltip("label:N", title=tooltip_title),
        alt.Tooltip("text:N", title=f"{measure} (95 % CI)"),
    ]
    extra = [c for c in ("tau2_text", "i2_text") if c in df]
    tooltip += [alt.Tooltip(f"{c}:N", title=c.split("_")[0].replace("2", "²")) for c in extra]
    if len(df):
        layers.append(_ci_rules(df, xs, xa, ys, ya, tooltip, 1.2))
        layers.append(
            alt.Chart(df)
            .mark_circle(color=point_color, size=70, opacity=1)
            .encode(
                x=alt.X("estimate:Q", scale=xs, axis=xa),
                y=alt.Y("row:Q", scale=ys, axis=ya),
                tooltip=tooltip,
            )
        )
    return alt.layer(*layers).properties(width="container", height=max(ROW_PX * n, 80))


def cumulative(result: Any, *, name: str = "cumulative") -> Figure:
    """Cumulative meta-analysis by year: the random-effects estimate as each trial is added.

    Reads ``result.cumulative`` (ordered by year, random model chosen).
    """
    m = _analysis(result)
    measure = m.measure if m else EMPTY_MEASURE
    own = {s.study_id: s for s in m.studies} if m else {}
    rows: list[dict[str, Any]] = []
    for j, c in enumerate(m.cumulative if m else ()):
        d: dict[str, Any] = {
            "label": f"+ {c.added}",
            "estimate": c.estimate,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
        }
        s = own.get(c.added)
        if j == 0 and s and text.missing(d["ci_low"]):  # one trial: its own (Wald) interval
            d.update(ci_low=s.ci_low, ci_high=s.ci_high)
            d["label"] += " (own CI)"
        rows.append(d)
    # the axis spans the trials' own intervals; a wider cumulative CI (Hartung-Knapp on
    # two trials has t with 1 df) is drawn to the edge and marked, its limits in the table
    own_limits = [v for s in own.values() for v in (s.ci_low, s.ci_high) if v is not None]
    limits = [v for v in own_limits if not text.missing(v) and v > 0] or None
    if limits:
        lo, hi = min(limits), max(limits)
        for d in rows:
            if not text.missing(d["ci_low"]) and (d["ci_low"] < lo or d["ci_high"] > hi):
                d["label"] += " ↔"
    chart = _interval_chart(
        rows,
        measure,
        reference=None,
        point_color=OKABE_ITO["blue"],
        tooltip_title="Added",
        limits=limits,
    )
    table = pd.DataFrame(
        [
            {"Added": d["label"][2:], measure: text.num(d["estimate"]), "95 % CI": _ci(d)}
            for d in rows
        ]
    )
    last = rows[-1] if rows else None
    alt_text = (
        f"Cumulative forest plot: the pooled {text.MEASURES.get(measure, measure)} recomputed as "
        f"each of {text.count(len(rows), 'trial')} is added in order of publication year"
        + (f"; with all trials it is {last['text']}." if last else ".")
        + " The first trial is shown with its own confidence interval (own CI); ↔ marks a"
        " confidence interval wider than the axis (limits in the table)."
    )
    return Figure(name=name, chart=_config(chart), alt=alt_text, table=table)


def leave_one_out(result: Any, *, name: str = "leave-one-out") -> Figure:
    """Leave-one-out: the random-effects estimate with each trial omitted in turn.

    The shaded band and dashed line are the estimate and CI with all trials.
    """
    m = _analysis(result)
    measure = m.measure if m else EMPTY_MEASURE
    rnd = m.random if m else None
    rows: list[dict[str, Any]] = [
        {
            "label": f"Omitting {c.omitted}",
            "estimate": c.estimate,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
            "tau2_text": text.num(c.tau2, 3),
            "i2_text": text.pct(c.i2),
        }
        for c in (m.leave_one_out if m else ())
    ]
    all_trials = {k: getattr(rnd, k) if rnd else None for k in ("estimate", "ci_low", "ci_high")}
    chart = _interval_chart(
        rows,
        measure,
        reference=all_trials,
        point_color=OKABE_ITO["blue"],
        tooltip_title="Analysis",
    )
    table = pd.DataFrame(
        [
            {
                "Omitted": d["label"][9:],
                measure: text.num(d["estimate"]),
                "95 % CI": _ci(d),
                "tau²": d["tau2_text"],
                "I²": d["i2_text"],
            }
            for d in rows
        ]
    )
    ests = [d["estimate"] for d in rows if not text.missing(d["estimate"])]
    span = f" ranges from {text.num(min(ests))} to {text.num(max(ests))}" if ests else ""
    alt_text = (
        f"Leave-one-out plot: the pooled {text.MEASURES.get(measure, measure)} with each of "
        f"{text.count(len(rows), 'trial')} omitted in turn{span}; the band shows the 95 % "
        f"confidence interval with all trials, "
        f"{_fmt_ci(all_trials['estimate'], all_trials['ci_low'], all_trials['ci_high'])}."
    )
    return Figure(name=name, chart=_config(chart), alt=alt_text, table=table)


def _ci(d: Mapping) -> str:
    if text.missing(d.get("ci_low")) or text.missing(d.get("ci_high")):
        return "–"
    return f"{text.num(d['ci_low'])} to {text.num(d['ci_high'])}"


def sensitivity(rows: Sequence[Mapping], measure: str, *, name: str = "sensitivity") -> Figure:
    """Pooled estimates of several analyses side by side (label, estimate, ci_low, ci_high, k)."""
    data: list[dict[str, Any]] = [
        {
            "label": str(d["label"]),
            "estimate": d.get("estimate"),
            "ci_low": d.get("ci_low"),
            "ci_high": d.get("ci_high"),
        }
        for d in rows
    ]
    chart = _interval_chart(
        data, measure, reference=None, point_color=OKABE_ITO["blue"], tooltip_title="Analysis"
    )
    table = pd.DataFrame(
        [
            {"Analysis": d["label"], measure: text.num(d["estimate"]), "95 % CI": _ci(d)}
            for d in data
        ]
    )
    alt_text = (
        f"Pooled {text.MEASURES.get(measure, measure)} with 95 % confidence interval under "
        f"{len(data)} analyses: "
        + "; ".join(
            f"{d['label']} {_fmt_ci(d['estimate'], d['ci_low'], d['ci_high'])}" for d in data
        )
        + "."
    )
    return Figure(name=name, chart=_config(chart), alt=alt_text, table=table)
