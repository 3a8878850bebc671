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
    INK,
    OKABE_ITO,
    Figure,
    _analysis,
    _ci_rules,
    _config,
    _fmt_ci,
    _null,
    _x_axis,
    _x_scale,
    _y_scale,
)

# --------------------------------------------------------------------------- interval lists


#: text of the interval lists at the web page's body size
INTERVAL_FONT = 16
#: one line (a label or an interval) of an interval list, in pixels
INTERVAL_ROW = 24


def _interval_chart(
    rows: list[dict],
    measure: str,
    *,
    reference: dict | None,
    point_color: str,
    tooltip_title: str,
    limits: Sequence[float] | None = None,
) -> Any:
    """Each row's label, then its "estimate (CI)", each on a line of text above its interval,
    so that labels are never cut, no line is wider than a phone's screen, and the axis keeps
    the chart's full width. Rows with a ``group`` (e.g. a disease) get that group's name as
    a bold line above its first row."""
    headers: list[dict] = []
    slot, group = 0, None
    for d in rows:
        if d.get("group") and d["group"] != group:
            group = d["group"]
            headers.append({"line_row": slot, "line": group})
            slot += 1
        d["row"] = slot + 2
        d["text"] = _fmt_ci(d["estimate"], d["ci_low"], d["ci_high"])
        slot += 3
    n = max(slot, 1)
    vals = [v for d in rows for v in (d["estimate"], d["ci_low"], d["ci_high"])]
    if limits is not None:  # the axis spans these values and the estimates; longer CIs clamp
        vals = [d["estimate"] for d in rows] + list(limits)
    if reference:
        vals += [reference.get("estimate"), reference.get("ci_low"), reference.get("ci_high")]
    xs = _x_scale(measure, vals)
    xa = _x_axis(measure, xs)
    lo = xs.to_dict()["domain"][0]
    ys = _y_scale(n)
    ya = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
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
        lines = pd.concat(
            [
                df.assign(x=lo, line_row=df["row"] - 2, line=df["label"]),
                df.assign(x=lo, line_row=df["row"] - 1, line=df["text"]),
            ],
            ignore_index=True,
        )
        layers.append(
            alt.Chart(lines)
            .mark_text(align="left", baseline="middle", dx=2, fontSize=INTERVAL_FONT, color=INK)
            .encode(
                x=alt.X("x:Q", scale=xs, axis=xa),
                y=alt.Y("line_row:Q", scale=ys, axis=ya),
                text="line:N",
                tooltip=tooltip,
            )
        )
        if headers:
            layers.append(
                alt.Chart(pd.DataFrame(headers).assign(x=lo))
                .mark_text(
                    align="left",
                    baseline="middle",
                    dx=2,
                    fontSize=INTERVAL_FONT,
                    fontWeight="bold",
                    color=INK,
                )
                .encode(
                    x=alt.X("x:Q", scale=xs, axis=xa),
                    y=alt.Y("line_row:Q", scale=ys, axis=ya),
                    text="line:N",
                )
            )
        layers.append(_ci_rules(df, xs, xa, ys, ya, tooltip, 1.5))
        layers.append(
            alt.Chart(df)
            .mark_circle(color=point_color, size=90, opacity=1)
            .encode(
                x=alt.X("estimate:Q", scale=xs, axis=xa),
                y=alt.Y("row:Q", scale=ys, axis=ya),
                tooltip=tooltip,
            )
        )
    return alt.layer(*layers).properties(width="container", height=max(INTERVAL_ROW * n, 80))


def cumulative(
    result: Any, *, name: str = "cumulative", names: Mapping[str, str] | None = None
) -> Figure:
    """Cumulative meta-analysis by year: the random-effects estimate as each trial is added.

    Reads ``result.cumulative`` (ordered by year, random model chosen).
    """
    m = _analysis(result)
    measure = m.measure if m else EMPTY_MEASURE
    own = {s.study_id: s for s in m.studies} if m else {}
    rows: list[dict[str, Any]] = []
    for j, c in enumerate(m.cumulative if m else ()):
        d: dict[str, Any] = {
            "label": f"+ {(names or {}).get(c.added, c.added)}",
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
    return Figure(
        name=name, chart=_config(chart, font_size=INTERVAL_FONT), alt=alt_text, table=table
    )


def leave_one_out(
    result: Any, *, name: str = "leave-one-out", names: Mapping[str, str] | None = None
) -> Figure:
    """Leave-one-out: the random-effects estimate with each trial omitted in turn.

    The shaded band and dashed line are the estimate and CI with all trials.
    """
    m = _analysis(result)
    measure = m.measure if m else EMPTY_MEASURE
    rnd = m.random if m else None
    rows: list[dict[str, Any]] = [
        {
            "label": f"Omitting {(names or {}).get(c.omitted, c.omitted)}",
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
    return Figure(
        name=name, chart=_config(chart, font_size=INTERVAL_FONT), alt=alt_text, table=table
    )


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
    return Figure(
        name=name, chart=_config(chart, font_size=INTERVAL_FONT), alt=alt_text, table=table
    )
