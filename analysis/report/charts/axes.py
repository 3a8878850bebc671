"""What every chart shares: the palette, the fonts, :class:`Figure`, and the axes
(log scale around 1 for ratio measures, ticks, study rows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from analysis.report import text
from analysis.stats.results import MetaAnalysis

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
INK = "#222222"
GRID = "#767676"  # 4.5:1 on white

ROW_PX = 22
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

#: risk-of-bias judgement -> (label, colour, glyph); robvis conventions
ROB_LEVELS: dict[str, tuple[str, str, str]] = {
    "low": ("Low", OKABE_ITO["bluish_green"], "+"),
    "some_concerns": ("Some concerns", OKABE_ITO["orange"], "−"),
    "high": ("High", OKABE_ITO["vermillion"], "×"),
    "not_assessed": ("Not assessed", "#8C8C8C", "?"),
}


#: RoB 2 domain column -> short axis label (the full name is in the tooltip and table)
ROB_SHORT: dict[str, str] = {
    "rob_d1": "D1 Randomisation",
    "rob_d2": "D2 Deviations",
    "rob_d3": "D3 Missing data",
    "rob_d4": "D4 Measurement",
    "rob_d5": "D5 Reporting",
    "rob_overall": "Overall",
}


@dataclass(frozen=True)
class Figure:
    """A chart with what a reader needs when the chart cannot be seen.

    Attributes
    ----------
    name : str
        File-safe name; the build writes the spec as ``charts/NAME.vl.json``.
    chart : altair.TopLevelMixin
        The Altair chart.
    alt : str
        Text alternative: what the chart shows, with its key numbers.
    table : pandas.DataFrame
        The data behind the chart, one row per mark a reader would read.
    narrow : Figure or None
        The same content stacked for a narrow column (a phone): each row's text above its
        interval, drawn at the column's width. The page shows it instead of *chart* when
        the column is narrower than *chart*; the PDF always takes *chart*.
    notes : tuple of str
        Lines the narrow view gives as text under the chart instead of drawing them
        (heterogeneity and test lines, which a phone's width cannot hold).
    """

    name: str
    chart: Any
    alt: str
    table: pd.DataFrame
    narrow: Figure | None = None
    notes: tuple[str, ...] = ()

    def spec(self) -> dict:
        """The Vega-Lite specification (a dict)."""
        return self.chart.to_dict()


# --------------------------------------------------------------------------- helpers


#: the measure of an empty axis, when there is no analysis to draw (no trial)
EMPTY_MEASURE = "RR"


def _analysis(result: Any) -> MetaAnalysis | None:
    """The full analysis a chart draws, typed (:func:`analysis.report.text.analysis_of`:
    a dict is read strictly); None for no analysis (no trial)."""
    return None if result is None else text.analysis_of(result)


def _config(chart: Any, font_size: int = 11) -> Any:
    return (
        chart.configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=INK,
            titleColor=INK,
            domainColor=GRID,
            tickColor=GRID,
            gridColor="#e6e6e6",
            labelFontSize=font_size,
            titleFontSize=font_size,
            titleFontWeight="normal",
        )
        .configure_legend(
            labelColor=INK, titleColor=INK, labelFontSize=font_size, titleFontSize=font_size
        )
        .configure_title(color=INK, fontSize=font_size + 2, anchor="start")
    )


def _null(measure: str) -> float:
    return 1.0 if text.is_ratio(measure) else 0.0


def _x_scale(measure: str, values: Sequence[float]) -> alt.Scale:
    vals = [
        float(v) for v in values if not text.missing(v) and (v > 0 or not text.is_ratio(measure))
    ]
    vals.append(_null(measure))
    lo, hi = min(vals), max(vals)
    if text.is_ratio(measure):
        lo, hi = lo / 1.15, hi * 1.15
        return alt.Scale(type="log", domain=[lo, hi], nice=False, clamp=True)
    pad = (hi - lo) * 0.05 or 0.1
    return alt.Scale(type="linear", domain=[lo - pad, hi + pad], nice=False, clamp=True)


def _x_axis(measure: str, scale: alt.Scale | None = None, *, favours: bool = True) -> alt.Axis:
    name = text.MEASURES.get(measure, measure).capitalize()
    log = " (log scale)" if text.is_ratio(measure) else ""
    title = [f"{name}{log}", "← favours control | favours IVIG →"] if favours else f"{name}{log}"
    return alt.Axis(
        title=title,
        titleY=60 if not favours else alt.Undefined,
        # flush with the axis' right end, so a title wider than a narrow plot runs left into
        # the label column instead of past the chart's right edge (phones)
        titleAnchor="end",
        format=".2~f",
        labelFlush=False,
        grid=False,
        values=_ticks(measure, None if scale is None else scale.to_dict().get("domain")),
    )


def _ticks(measure: str, domain: Sequence[float] | None = None) -> Any:
    """Round tick values on a log axis; Vega-Lite's own ticks on a linear one."""
    if not text.is_ratio(measure):
        return alt.Undefined
    coarse = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
    fine = [0.3, 0.5, 0.7, 1, 1.5, 2, 3]
    if domain is None:
        return coarse
    finest = [0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2]
    inside = [t for t in coarse if domain[0] <= t <= domain[1]]
    if len(inside) >= 4:
        return inside
    finer = sorted({t for t in coarse + fine if domain[0] <= t <= domain[1]})
    if len(finer) >= 3:
        return finer
    # a narrow range (a single precise trial): steps of 0.1 around 1, at least three ticks
    return sorted({t for t in finer + finest if domain[0] <= t <= domain[1]})


def _y_scale(n: int) -> alt.Scale:
    return alt.Scale(domain=[-0.7, n - 0.3], reverse=True, nice=False, zero=False)


def _fmt_ci(est: Any, lo: Any, hi: Any, *, revman: bool = False) -> str:
    """``2.48 (0.88 to 6.95)``, or RevMan's text column ``2.48 [0.88, 6.95]`` with
    *revman*; the estimate alone without its CI, ``not estimable`` without an estimate."""
    if text.missing(est):
        return "not estimable"
    if text.missing(lo) or text.missing(hi):
        return text.num(est)
    if revman:
        return f"{text.num(est)} [{text.num(lo)}, {text.num(hi)}]"
    return f"{text.num(est)} ({text.num(lo)} to {text.num(hi)})"


def _ci_rules(
    df: pd.DataFrame,
    xs: alt.Scale,
    xa: alt.Axis,
    ys: alt.Scale,
    ya: alt.Axis,
    tooltip: list,
    stroke_width: float,
) -> alt.Chart:
    """The confidence intervals of *df* (``ci_low``, ``ci_high``, ``row``) as rules."""
    return (
        alt.Chart(df)
        .mark_rule(color=INK, strokeWidth=stroke_width)
        .encode(
            x=alt.X("ci_low:Q", scale=xs, axis=xa),
            x2="ci_high:Q",
            y=alt.Y("row:Q", scale=ys, axis=ya),
            tooltip=tooltip,
        )
    )


def _diamond_points(rows: list[dict]) -> pd.DataFrame:
    """Polygon vertices of pooled-estimate diamonds for an area mark (x, y, y2)."""
    out = []
    half = 0.38
    for d in rows:
        if any(text.missing(d[c]) for c in ("estimate", "ci_low", "ci_high")):
            continue
        r = d["row"]
        common = {k: d[k] for k in ("label", "diamond", "kind", "text")}
        out.append({**common, "x": d["ci_low"], "y": r, "y2": r, "vertex": 0})
        out.append({**common, "x": d["estimate"], "y": r - half, "y2": r + half, "vertex": 1})
        out.append({**common, "x": d["ci_high"], "y": r, "y2": r, "vertex": 2})
    return pd.DataFrame(out)
