"""The contour-enhanced funnel plot (Peters et al. 2008)."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from analysis.report import text
from analysis.report.charts.axes import (
    EMPTY_MEASURE,
    INK,
    OKABE_ITO,
    Figure,
    _analysis,
    _config,
    _fmt_ci,
    _ticks,
)

# --------------------------------------------------------------------------- funnel

#: contour levels of the contour-enhanced funnel: (label, two-sided z, fill)
CONTOURS: tuple[tuple[str, float, str], ...] = (
    ("p < 0.01", math.inf, "#A6A6A6"),
    ("0.01 ≤ p < 0.05", 2.5758293035489004, "#C8C8C8"),
    ("0.05 ≤ p < 0.10", 1.959963984540054, "#E6E6E6"),
    ("p ≥ 0.10", 1.6448536269514722, "#FFFFFF"),
)


def funnel(result: Any, *, name: str = "funnel") -> Figure:
    """Contour-enhanced funnel plot (Peters et al. 2008).

    Each trial's estimate against its standard error (``sqrt(vi)``, 0 at the
    top); the shaded regions are where a trial's own test against the null
    would give p < 0.01, 0.01-0.05, 0.05-0.10 and >= 0.10. The dashed line is
    the random-effects estimate.
    """
    m = _analysis(result)
    measure = m.measure if m else EMPTY_MEASURE
    ratio = text.is_ratio(measure)
    tr = (lambda v: math.exp(v)) if ratio else (lambda v: v)
    studies: list[dict[str, Any]] = [
        {
            "study_id": s.study_id,
            "estimate": s.estimate,
            "se": math.sqrt(s.vi),
            "text": _fmt_ci(s.estimate, s.ci_low, s.ci_high),
        }
        for s in (m.studies if m else ())
        if s.vi is not None and not text.missing(s.vi)
    ]
    max_se = max([s["se"] for s in studies] + [0.1]) * 1.1
    span = max(
        2.5758293035489004 * max_se,
        max(abs(math.log(s["estimate"]) if ratio else s["estimate"]) for s in studies) * 1.1
        if studies
        else 1.0,
    )
    lo, hi = tr(-span), tr(span)
    xs = (
        alt.Scale(type="log", domain=[lo, hi], nice=False)
        if ratio
        else alt.Scale(domain=[lo, hi], nice=False)
    )
    xa = alt.Axis(
        title=f"{text.MEASURES.get(measure, measure).capitalize()}"
        + (" (log scale)" if ratio else ""),
        format=".2~f",
        values=_ticks(measure, [lo, hi]),
        grid=False,
    )
    ys = alt.Scale(domain=[0, max_se], reverse=True, nice=False)
    ya = alt.Axis(title="Standard error", grid=False, format=".2f")
    bands = []
    for label, z, _ in CONTOURS:
        for se in (0.0, max_se):
            w = span if math.isinf(z) else z * se
            bands.append({"region": label, "se": se, "x": tr(-w), "x2": tr(w)})
    bdf = pd.DataFrame(bands)
    colour = alt.Color(
        "region:N",
        scale=alt.Scale(domain=[c[0] for c in CONTOURS], range=[c[2] for c in CONTOURS]),
        legend=alt.Legend(
            title="Significance of a trial", orient="bottom", direction="horizontal", columns=2
        ),
    )
    layers = [
        alt.Chart(bdf[bdf.region == label])
        .mark_area(orient="horizontal", stroke="#8C8C8C", strokeWidth=0.5)
        .encode(
            x=alt.X("x:Q", scale=xs, axis=xa),
            x2="x2:Q",
            y=alt.Y("se:Q", scale=ys, axis=ya),
            color=colour,
        )
        for label, _, _ in CONTOURS
    ]
    pooled = m.random.estimate if m else None
    if text.missing(pooled) and m:
        pooled = m.common.mh.estimate
    if not text.missing(pooled):
        layers.append(
            alt.Chart(pd.DataFrame({"x": [pooled], "label": ["Pooled (random effects)"]}))
            .mark_rule(color=OKABE_ITO["blue"], strokeDash=[5, 3], strokeWidth=1.5)
            .encode(x=alt.X("x:Q", scale=xs, axis=xa), tooltip=alt.Tooltip("label:N", title=""))
        )
    sdf = pd.DataFrame(studies)
    if len(sdf):
        layers.append(
            alt.Chart(sdf)
            .mark_circle(color=INK, size=60, opacity=1)
            .encode(
                x=alt.X("estimate:Q", scale=xs, axis=xa),
                y=alt.Y("se:Q", scale=ys, axis=ya),
                tooltip=[
                    alt.Tooltip("study_id:N", title="Study"),
                    alt.Tooltip("text:N", title=f"{measure} (95 % CI)"),
                    alt.Tooltip("se:Q", title="Standard error", format=".3f"),
                ],
            )
        )
    chart = alt.layer(*layers).properties(width="container", height=260)
    table = pd.DataFrame(
        [
            {
                "Study": s["study_id"],
                measure: text.num(s["estimate"]),
                "SE (log scale)" if ratio else "SE": text.num(s["se"], 3),
            }
            for s in studies
        ]
    )
    alt_text = (
        f"Contour-enhanced funnel plot of {text.count(len(studies), 'trial')}: each trial's "
        f"{text.MEASURES.get(measure, measure)} against its standard error, on shaded regions "
        "of statistical significance (p < 0.01, 0.01 to 0.05, 0.05 to 0.10, 0.10 or more); "
        f"dashed line at the pooled estimate {text.num(pooled)}."
    )
    return Figure(name=name, chart=_config(chart), alt=alt_text, table=table)
