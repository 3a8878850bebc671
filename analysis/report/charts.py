"""Altair charts built from result objects.

Each builder takes a result (a ``MetaAnalysis`` or its ``to_dict()``
serialisation as found in the results bundle, plus the study rows where a
chart needs labels such as the disease) and returns a :class:`Figure`: the
Altair chart, a text alternative for screen readers and the PDF, and the data
table behind the chart. Nothing here computes a statistic: every figure drawn
is read from the result.

Design choices shared by all charts:

* the Okabe-Ito palette (safe for the common colour-vision deficiencies),
  with a glyph beside colour wherever colour carries meaning (risk of bias);
* ratio measures on a log axis around 1;
* ``width="container"`` so the web view follows the page (readable at 375 px);
  the display wrapper gives the printed copy a fixed width;
* a tooltip on every study mark.

References
----------
Lewis S, Clarke M (2001). Forest plots: trying to see the wood and the trees.
*BMJ* 322:1479-80.
Peters JL et al. (2008). Contour-enhanced meta-analysis funnel plots help
distinguish publication bias from other causes of asymmetry.
*J Clin Epidemiol* 61:991-6.
Page MJ et al. (2021). The PRISMA 2020 statement. *BMJ* 372:n71.
McGuinness LA, Higgins JPT (2021). Risk-of-bias VISualization (robvis).
*Res Synth Methods* 12:55-61.
Okabe M, Ito K (2008). Color Universal Design (CUD).
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import altair as alt
import pandas as pd

from analysis.report import text

#: Okabe-Ito colours by name
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
    """

    name: str
    chart: Any
    alt: str
    table: pd.DataFrame

    def spec(self) -> dict:
        """The Vega-Lite specification (a dict)."""
        return self.chart.to_dict()


# --------------------------------------------------------------------------- helpers


def _as_dict(result: Any) -> dict:
    """A result's JSON view: a bundle entry as it is, a result object through ``to_dict``."""
    if result is None:
        return {}
    if isinstance(result, Mapping):
        return dict(result)
    if hasattr(result, "to_dict"):
        return result.to_dict()
    raise TypeError(f"expected a MetaAnalysis or its to_dict(), got {type(result).__name__}")


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


def _y_axis(labels: list[str], bold: Sequence[int] = ()) -> alt.Axis:
    """A quantitative row axis whose ticks show *labels* (row i -> labels[i])."""
    lookup = json.dumps(labels, ensure_ascii=False)
    weight: Any = "normal"
    if bold:
        test = f"indexof({json.dumps(list(bold))}, datum.value) >= 0"
        weight = {"condition": {"test": test, "value": "bold"}, "value": "normal"}
    return alt.Axis(
        title=None,
        values=list(range(len(labels))),
        labelExpr=f"{lookup}[datum.value]",
        labelLimit=180,
        labelFontWeight=weight,
        labelPadding=6,
        domain=False,
        ticks=False,
        grid=False,
    )


def _y_scale(n: int) -> alt.Scale:
    return alt.Scale(domain=[-0.7, n - 0.3], reverse=True, nice=False, zero=False)


def _fmt_ci(est: Any, lo: Any, hi: Any) -> str:
    if text.missing(est):
        return "not estimable"
    if text.missing(lo) or text.missing(hi):
        return text.num(est)
    return f"{text.num(est)} ({text.num(lo)} to {text.num(hi)})"


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


# --------------------------------------------------------------------------- forest


#: forest-plot layout (pixels): text at least the web page's body size (16 px)
FOREST_FONT = 16
FOREST_ROW = 26
#: anchor (px) and alignment of each text column; the plot fills [PLOT_X0, PLOT_X1]
FOREST_COLS = {
    "label": (0, "left"),
    "ivig": (300, "right"),
    "control": (390, "right"),
    "weight": (470, "right"),
}
PLOT_X0, PLOT_X1 = 490, 745
FOREST_WIDTH = 910


def _author_year(meta: dict, fallback: str) -> str:
    """RevMan's study label, "Author Year" (the author without a parenthesised group)."""
    author = str(meta.get("author") or "").split("(")[0].strip()
    year = _int(meta.get("year"))
    return f"{author} {year}".strip() if author and year != "" else fallback


def _het_line(tau2: Any, q: Any, df: Any, p: Any, i2: Any) -> str:
    """RevMan's heterogeneity line: "Heterogeneity: τ² = 0.00; Q = 3.55, df = 5 (p = 0.62)..."."""
    parts = []
    if not text.missing(tau2):
        parts.append(f"τ² = {text.num(tau2, 2)}")
    parts.append(f"Q = {text.num(q)}, df = {df} ({text.pval(p)})")
    if not text.missing(i2):
        parts.append(f"I² = {text.num(i2, 0)} %")
    return "Heterogeneity: " + "; ".join(parts)


def _overall_line(p: Any, hk: bool) -> str:
    test = "t test, Hartung-Knapp" if hk else "z test"
    return f"Test for overall effect: {text.pval(p)} ({test})"


def forest(
    result: Any,
    studies: pd.DataFrame | None = None,
    *,
    by: str | None = "disease",
    name: str = "forest",
    title: str | None = None,
    model_label: str | None = None,
) -> Figure:
    """Forest plot drawn as RevMan and ``meta::forest`` draw it.

    Columns: study ("Author Year"), improved/total with IVIG and with the control, weight
    (%), the interval plot on a log axis with "favours" labels, and "RR [95 % CI]" as
    text. Studies are grouped by *by*: a bold header per group, a subtotal row with its
    diamond, summed counts and weight, and its heterogeneity line (tau², Q, df, p, I²).
    Below the studies: the common-effect (Mantel-Haenszel) and random-effects diamonds
    ("Total"), the 95 % prediction interval, the overall heterogeneity line, the test for
    the overall effect and the test for subgroup differences.

    The chart has a fixed width (:data:`FOREST_WIDTH`) and text at :data:`FOREST_FONT`
    px; on a narrow screen its container scrolls sideways instead of clipping it, and the
    printed copy carries the same content.

    Parameters
    ----------
    result : MetaAnalysis or dict
        The analysis (``to_dict()`` keys: ``studies``, ``common.mh``, ``random``,
        ``heterogeneity``, ``subgroups``).
    studies : DataFrame, optional
        Study rows with ``study_id``, ``author``, ``year``, the four counts and the *by*
        column. Without it there are no counts or subgroup headers.
    by : str or None
        Column that groups the studies.

    Notes
    -----
    Squares are sized by random-effects weight (common-effect weight when the random
    model is undefined, k = 1). Axis ticks are round values inside the data's range.
    """
    r = _as_dict(result)
    measure = r.get("measure", "RR")
    rnd = r.get("random") or {}
    mh = (r.get("common") or {}).get("mh") or {}
    het = r.get("heterogeneity") or {}
    k = int(r.get("k") or 0)
    info: dict[str, dict] = {}
    if studies is not None and len(studies):
        info = {str(s["study_id"]): s for s in studies.to_dict("records")}
    weight_key = "weight_random" if not text.missing(rnd.get("estimate")) else "weight_common"

    rows: list[dict] = []  # one per study
    diamonds: list[dict] = []
    lines: list[dict] = []  # text rows: headers, heterogeneity and test lines
    cells: list[dict] = []  # text cells of study, subtotal and total rows
    labels: list[str] = []

    def cell_row(i: int, label: str, ivig: str, control: str, weight: str, ci: str, bold: bool):
        for col, value in (
            ("label", label),
            ("ivig", ivig),
            ("control", control),
            ("weight", weight),
        ):
            if value:
                cells.append({"row": i, "col": col, "line": value, "bold": bold})
        if ci:
            cells.append({"row": i, "col": "ci", "line": ci, "bold": bold})

    def counts(ids: list[str], arm: str) -> str:
        if not info:
            return ""
        ev = sum(int(info[i][f"{arm}_improved"]) for i in ids if i in info)
        n = sum(int(info[i][f"{arm}_total"]) for i in ids if i in info)
        return f"{ev}/{n}"

    def add_study(s: dict) -> None:
        sid = str(s["study_id"])
        meta = info.get(sid, {})
        i = len(labels)
        w = s.get(weight_key)
        ci = _fmt_rev(s.get("estimate"), s.get("ci_low"), s.get("ci_high"))
        lab = _author_year(meta, sid)
        labels.append(lab)
        rows.append(
            {
                "row": i,
                "label": lab,
                "study_id": sid,
                "group": text.disease_label(meta.get(by)) if by and meta else "",
                "year": _int(meta.get("year")) if meta else "",
                "events": (
                    f"{counts([sid], 'ivig')} vs {counts([sid], 'control')}" if meta else ""
                ),
                "estimate": s.get("estimate"),
                "ci_low": s.get("ci_low"),
                "ci_high": s.get("ci_high"),
                "weight": 0.0 if w is None or text.missing(w) else float(w),
                "weight_text": text.pct(w, 1),
                "text": ci,
            }
        )
        cell_row(i, lab, counts([sid], "ivig"), counts([sid], "control"), text.pct(w, 1), ci, False)

    def add_line(line: str, bold: bool = False, italic: bool = False) -> None:
        lines.append({"row": len(labels), "line": line, "bold": bold, "italic": italic})
        labels.append(line)

    study_list = list(r.get("studies") or [])
    sg = r.get("subgroups") or {}
    subgroups = sg.get("groups") or {}
    headers: list[int] = []
    # header of the columns
    cell_row(0, "Study", "IVIG", "Control", "Weight", f"{measure} [95 % CI]", True)
    labels.append("Study")
    cell_row(1, "", "n/N", "n/N", "", "", False)
    labels.append("")
    if by and info:
        groups: dict[str, list[dict]] = {}
        for s in study_list:
            code = info.get(str(s["study_id"]), {}).get(by)
            groups.setdefault("" if text.missing(code) else str(code), []).append(s)
        for code in sorted(groups, key=text.disease_label):
            headers.append(len(labels))
            add_line(text.disease_label(code), bold=True)
            members = sorted(
                groups[code],
                key=lambda s: (_int(info.get(str(s["study_id"]), {}).get("year")), s["study_id"]),
            )
            for s in members:
                add_study(s)
            g = subgroups.get(code) or {}
            ids = [str(s["study_id"]) for s in members]
            if len(members) > 1 and not text.missing(g.get("estimate")):
                i = len(labels)
                w = sum(float(s.get(weight_key) or 0) for s in members)
                ci = _fmt_rev(g.get("estimate"), g.get("ci_low"), g.get("ci_high"))
                diamonds.append(
                    {
                        "row": i,
                        "label": f"Subtotal {text.disease_label(code)}",
                        "diamond": f"sub-{code}",
                        "kind": "Subgroup (random effects)",
                        **{c: g.get(c) for c in ("estimate", "ci_low", "ci_high")},
                    }
                )
                labels.append("Subtotal (95 % CI)")
                cell_row(
                    i,
                    "Subtotal (95 % CI)",
                    counts(ids, "ivig"),
                    counts(ids, "control"),
                    text.pct(w, 1),
                    ci,
                    True,
                )
                add_line(
                    _het_line(g.get("tau2"), g.get("q"), g.get("q_df"), g.get("q_p"), g.get("i2"))
                )
                add_line(_overall_line(g.get("p"), bool(rnd.get("hk"))))
    else:
        for s in study_list:
            add_study(s)

    all_ids = [str(s["study_id"]) for s in study_list]
    if k > 1 and not text.missing(mh.get("estimate")):
        i = len(labels)
        diamonds.append(
            {
                "row": i,
                "label": "Common effect (Mantel-Haenszel)",
                "diamond": "common",
                "kind": "Common effect (Mantel-Haenszel)",
                **{c: mh.get(c) for c in ("estimate", "ci_low", "ci_high")},
            }
        )
        labels.append("Total, common effect (MH)")
        cell_row(
            i,
            "Total, common (MH)",
            counts(all_ids, "ivig"),
            counts(all_ids, "control"),
            "",
            _fmt_rev(mh.get("estimate"), mh.get("ci_low"), mh.get("ci_high")),
            True,
        )
    if k > 1 and not text.missing(rnd.get("estimate")):
        i = len(labels)
        hk = ", HK" if rnd.get("hk") else ""
        diamonds.append(
            {
                "row": i,
                "label": model_label or f"Random effects ({rnd.get('tau2_method')}{hk})",
                "diamond": "random",
                "kind": "Random effects",
                **{c: rnd.get(c) for c in ("estimate", "ci_low", "ci_high")},
            }
        )
        labels.append(f"Total, random ({rnd.get('tau2_method')}{hk})")
        cell_row(
            i,
            f"Total, random ({rnd.get('tau2_method')}{hk})",
            counts(all_ids, "ivig"),
            counts(all_ids, "control"),
            "100 %",
            _fmt_rev(rnd.get("estimate"), rnd.get("ci_low"), rnd.get("ci_high")),
            True,
        )
    pi_row = None
    if not text.missing(rnd.get("pi_low")) and not text.missing(rnd.get("pi_high")):
        i = len(labels)
        pi_row = {
            "row": i,
            "label": "Prediction interval",
            "ci_low": rnd["pi_low"],
            "ci_high": rnd["pi_high"],
            "text": f"{text.num(rnd['pi_low'])} to {text.num(rnd['pi_high'])}",
        }
        labels.append("Prediction interval")
        cell_row(
            i,
            "Prediction interval",
            "",
            "",
            "",
            f"[{text.num(rnd['pi_low'])}, {text.num(rnd['pi_high'])}]",
            False,
        )
    if k > 1:
        add_line(
            _het_line(rnd.get("tau2"), het.get("q"), het.get("df"), het.get("p"), het.get("i2"))
        )
        add_line(_overall_line(rnd.get("p"), bool(rnd.get("hk"))))
    tb = sg.get("test_between") or {}
    if len(headers) > 1:
        if not text.missing(tb.get("q")):
            add_line(
                f"Test for subgroup differences: Q = {text.num(tb.get('q'))}, df = {tb.get('df')} "
                f"({text.pval(tb.get('p'))}), I² = {text.num(tb.get('i2'), 0)} %"
            )
        else:
            add_line("Test for subgroup differences: not computable")
    for d in diamonds:
        d["text"] = _fmt_ci(d["estimate"], d["ci_low"], d["ci_high"])

    n = max(len(labels), 1)
    all_x = [v for d in rows + diamonds for v in (d["ci_low"], d["ci_high"], d["estimate"])]
    if pi_row:
        all_x += [pi_row["ci_low"], pi_row["ci_high"]]
    xs = _x_scale(measure, all_x)
    xs_dict = xs.to_dict()
    xs = alt.Scale(**{**xs_dict, "range": [PLOT_X0, PLOT_X1]})
    xa = _x_axis(measure, xs, favours=False)
    ys = _y_scale(n)
    ya = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
    height = FOREST_ROW * n

    null_y = [{"x": _null(measure), "y": 1.5, "y2": n - 0.3}]
    layers = [
        alt.Chart(pd.DataFrame(null_y))
        .mark_rule(color=GRID, strokeWidth=1)
        .encode(x=alt.X("x:Q", scale=xs, axis=xa), y=alt.Y("y:Q", scale=ys, axis=ya), y2="y2:Q")
    ]
    sdf = pd.DataFrame(rows)
    if len(sdf):
        tooltip = [
            alt.Tooltip("study_id:N", title="Study"),
            alt.Tooltip("group:N", title="Disease"),
            alt.Tooltip("year:N", title="Year"),
            alt.Tooltip("events:N", title="Improved IVIG vs control"),
            alt.Tooltip("text:N", title=measure + " [95 % CI]"),
            alt.Tooltip("weight_text:N", title="Weight"),
        ]
        study = alt.Chart(sdf)
        layers.append(
            study.mark_rule(color=INK, strokeWidth=1.2).encode(
                x=alt.X("ci_low:Q", scale=xs, axis=xa),
                x2="ci_high:Q",
                y=alt.Y("row:Q", scale=ys, axis=ya),
                tooltip=tooltip,
            )
        )
        layers.append(
            study.mark_square(color=OKABE_ITO["blue"], opacity=1).encode(
                x=alt.X("estimate:Q", scale=xs, axis=xa),
                y=alt.Y("row:Q", scale=ys, axis=ya),
                size=alt.Size(
                    "weight:Q", scale=alt.Scale(domain=[0, 100], range=[30, 400]), legend=None
                ),
                tooltip=tooltip,
            )
        )
    ddf = _diamond_points(diamonds)
    if len(ddf):
        layers.append(
            alt.Chart(ddf)
            .mark_area(orient="vertical", stroke=INK, strokeWidth=0.8)
            .encode(
                x=alt.X("x:Q", scale=xs, axis=xa),
                y=alt.Y("y:Q", scale=ys, axis=ya, stack=None),
                y2="y2:Q",
                detail="diamond:N",
                color=alt.Color(
                    "kind:N",
                    scale=alt.Scale(
                        domain=[
                            "Subgroup (random effects)",
                            "Common effect (Mantel-Haenszel)",
                            "Random effects",
                        ],
                        range=[OKABE_ITO["sky_blue"], "#FFFFFF", OKABE_ITO["blue"]],
                    ),
                    legend=None,
                ),
                tooltip=[
                    alt.Tooltip("label:N", title="Pooled"),
                    alt.Tooltip("text:N", title=measure + " (95 % CI)"),
                ],
            )
        )
    if pi_row:
        layers.append(
            alt.Chart(pd.DataFrame([pi_row]))
            .mark_rule(color=OKABE_ITO["vermillion"], strokeWidth=4)
            .encode(
                x=alt.X("ci_low:Q", scale=xs, axis=xa),
                x2="ci_high:Q",
                y=alt.Y("row:Q", scale=ys, axis=ya),
                tooltip=[
                    alt.Tooltip("label:N", title=""),
                    alt.Tooltip("text:N", title="95 % prediction interval"),
                ],
            )
        )
    # text columns: study, n/N per arm, weight (right-aligned), "RR [95 % CI]"; text lines
    cols = {**FOREST_COLS, "ci": (PLOT_X1 + 12, "left")}
    texts = [{**c, "x": cols[c["col"]][0], "align": cols[c["col"]][1]} for c in cells] + [
        {**ln, "col": "line", "x": 0, "align": "left"} for ln in lines
    ]
    tdf = pd.DataFrame(texts)
    for (al, bold), part in tdf.groupby(["align", "bold"]) if len(tdf) else []:
        layers.append(
            alt.Chart(part.drop(columns=["italic"], errors="ignore"))
            .mark_text(
                # groupby keys are typed Hashable; these are FOREST_COLS' "left"/"right"
                align=cast(Literal["left", "right"], al),
                baseline="middle",
                fontSize=FOREST_FONT,
                color=INK,
                fontWeight="bold" if bold else "normal",
            )
            .encode(
                x=alt.X("x:Q", scale=None),
                y=alt.Y("row:Q", scale=ys, axis=ya),
                text="line:N",
            )
        )
    # "favours" labels under the axis, either side of the line of no effect
    null_px = _null(measure)
    fav = pd.DataFrame(
        [
            {"x": null_px, "line": "← Favours control", "align": "right", "dx": -6},
            {"x": null_px, "line": "Favours IVIG →", "align": "left", "dx": 6},
        ]
    )
    for _, f in fav.iterrows():
        layers.append(
            alt.Chart(pd.DataFrame([f.to_dict()]))
            .mark_text(
                align=f["align"],
                baseline="top",
                dx=int(f["dx"]),
                dy=34,
                fontSize=FOREST_FONT,
                color=INK,
            )
            .encode(
                x=alt.X("x:Q", scale=xs, axis=xa),
                y=alt.value(height),
                text="line:N",
            )
        )
    chart = alt.layer(*layers).properties(width=FOREST_WIDTH, height=height)
    if title:
        chart = chart.properties(title=title)

    table = pd.DataFrame(
        [
            {
                "Row": lab,
                measure: text.num(d.get("estimate")),
                "95 % CI": (
                    f"{text.num(d['ci_low'])} to {text.num(d['ci_high'])}"
                    if d.get("ci_low") is not None
                    else ""
                ),
                "Weight": d.get("weight_text", ""),
            }
            for lab, d in _rows_by_label(labels, rows, diamonds, pi_row)
            if lab
        ]
    )
    alt_text = _forest_alt(r, len(rows), [labels[h] for h in headers], pi_row)
    return Figure(name=name, chart=_config(chart, font_size=FOREST_FONT), alt=alt_text, table=table)


def _fmt_rev(est: Any, lo: Any, hi: Any) -> str:
    """RevMan's text column: ``2.48 [0.88, 6.95]``."""
    if text.missing(est):
        return "not estimable"
    if text.missing(lo) or text.missing(hi):
        return text.num(est)
    return f"{text.num(est)} [{text.num(lo)}, {text.num(hi)}]"


def _rows_by_label(labels, rows, diamonds, pi_row):
    by_row = {d["row"]: d for d in rows + diamonds}
    if pi_row:
        by_row[pi_row["row"]] = {**pi_row, "estimate": None}
    for i, lab in enumerate(labels):
        yield lab, by_row.get(i, {"estimate": None, "ci_low": None, "ci_high": None})


def _int(x: Any) -> Any:
    if text.missing(x):
        return ""
    try:
        return int(x)
    except (TypeError, ValueError):
        return x


def _forest_alt(r: dict, n_studies: int, groups: list[str], pi_row: dict | None) -> str:
    measure = r.get("measure", "RR")
    parts = [
        f"Forest plot of {text.count(n_studies, 'trial')}"
        + (f" in {len(groups)} disease groups ({', '.join(groups)})" if groups else "")
        + f", {text.MEASURES.get(measure, measure)} on a log scale"
        + ("" if text.is_ratio(measure) else "")
        + "; each study is a square sized by weight with its 95 % confidence interval."
    ]
    rnd = r.get("random") or {}
    mh = (r.get("common") or {}).get("mh") or {}
    if (r.get("k") or 0) > 1:
        parts.append(
            "Pooled common effect (Mantel-Haenszel) "
            + _fmt_ci(mh.get("estimate"), mh.get("ci_low"), mh.get("ci_high"))
            + "; random effects "
            + _fmt_ci(rnd.get("estimate"), rnd.get("ci_low"), rnd.get("ci_high"))
            + "."
        )
    if pi_row:
        parts.append(f"95 % prediction interval {pi_row['text']}.")
    parts.append("Values above 1 favour IVIG." if text.is_ratio(measure) else "")
    return " ".join(p for p in parts if p)


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
    s = e.get("summary") or {}
    model = s.get("model") or "random"
    r = text.get(e, model) or {}
    return [
        {
            "k": int(e.get("k") or 0),
            "participants": s.get("participants"),
            "model": model,
            "estimate": r.get("estimate"),
            "ci_low": r.get("ci_low"),
            "ci_high": r.get("ci_high"),
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
    measure = next((e.get("measure", "RR") for e in entries.values() if e), "RR")
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
            layers.append(
                alt.Chart(ci)
                .mark_rule(color=INK, strokeWidth=1.5)
                .encode(
                    x=alt.X("ci_low:Q", scale=xs, axis=xa),
                    x2="ci_high:Q",
                    y=alt.Y("row:Q", scale=ys, axis=ya),
                    tooltip=tooltip,
                )
            )
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
        layers.append(
            alt.Chart(df)
            .mark_rule(color=INK, strokeWidth=1.2)
            .encode(
                x=alt.X("ci_low:Q", scale=xs, axis=xa),
                x2="ci_high:Q",
                y=alt.Y("row:Q", scale=ys, axis=ya),
                tooltip=tooltip,
            )
        )
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
    r = _as_dict(result)
    measure = r.get("measure", "RR")
    own = {str(s["study_id"]): s for s in r.get("studies") or []}
    rows = []
    for j, c in enumerate(r.get("cumulative") or []):
        d = {
            "label": f"+ {c['added']}",
            "estimate": c.get("estimate"),
            "ci_low": c.get("ci_low"),
            "ci_high": c.get("ci_high"),
        }
        s = own.get(str(c["added"]))
        if j == 0 and s and text.missing(d["ci_low"]):  # one trial: its own (Wald) interval
            d.update(ci_low=s.get("ci_low"), ci_high=s.get("ci_high"))
            d["label"] += " (own CI)"
        rows.append(d)
    # the axis spans the trials' own intervals; a wider cumulative CI (Hartung-Knapp on
    # two trials has t with 1 df) is drawn to the edge and marked, its limits in the table
    own_limits = [v for s in own.values() for v in (s.get("ci_low"), s.get("ci_high"))]
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
    r = _as_dict(result)
    measure = r.get("measure", "RR")
    rnd = r.get("random") or {}
    rows = [
        {
            "label": f"Omitting {c['omitted']}",
            "estimate": c.get("estimate"),
            "ci_low": c.get("ci_low"),
            "ci_high": c.get("ci_high"),
            "tau2_text": text.num(c.get("tau2"), 3),
            "i2_text": text.pct(c.get("i2")),
        }
        for c in (r.get("leave_one_out") or [])
    ]
    chart = _interval_chart(
        rows,
        measure,
        reference={k: rnd.get(k) for k in ("estimate", "ci_low", "ci_high")},
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
        f"{_fmt_ci(rnd.get('estimate'), rnd.get('ci_low'), rnd.get('ci_high'))}."
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
    r = _as_dict(result)
    measure = r.get("measure", "RR")
    ratio = text.is_ratio(measure)
    tr = (lambda v: math.exp(v)) if ratio else (lambda v: v)
    studies = [
        {
            "study_id": s["study_id"],
            "estimate": s.get("estimate"),
            "se": math.sqrt(s["vi"]),
            "text": _fmt_ci(s.get("estimate"), s.get("ci_low"), s.get("ci_high")),
        }
        for s in (r.get("studies") or [])
        if not text.missing(s.get("vi"))
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
    rnd = r.get("random") or {}
    pooled = rnd.get("estimate")
    if text.missing(pooled):
        pooled = ((r.get("common") or {}).get("mh") or {}).get("estimate")
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


# --------------------------------------------------------------------------- risk of bias


def rob_level(value: Any) -> str:
    """Normalise a risk-of-bias judgement to a key of :data:`ROB_LEVELS`."""
    if text.missing(value) or str(value).strip() == "":
        return "not_assessed"
    v = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"some": "some_concerns", "unclear": "some_concerns", "moderate": "some_concerns"}
    v = aliases.get(v, v)
    return v if v in ROB_LEVELS else "not_assessed"


def _rob_long(studies: pd.DataFrame) -> pd.DataFrame:
    out = []
    for s in studies.to_dict("records"):
        for col, label in text.ROB_DOMAINS.items():
            level = rob_level(s.get(col))
            out.append(
                {
                    "study_id": str(s["study_id"]),
                    "domain": label.split(" ")[0] if col != "rob_overall" else "Overall",
                    "domain_label": label,
                    "domain_short": ROB_SHORT[col],
                    "level": level,
                    "judgement": ROB_LEVELS[level][0],
                    "glyph": ROB_LEVELS[level][2],
                }
            )
    return pd.DataFrame(out)


def rob_traffic_light(studies: pd.DataFrame, *, name: str = "rob-traffic-light") -> Figure:
    """Risk-of-bias traffic-light plot (RoB 2 domains D1-D5 and overall), robvis style.

    *studies*: rows with ``study_id`` and ``rob_d1`` ... ``rob_d5``, ``rob_overall``.
    Colour is doubled by a glyph (+ low, − some concerns, × high, ? not assessed).
    """
    long = _rob_long(studies)
    order = [str(s) for s in studies["study_id"]]
    domains = [
        lbl.split(" ")[0] if col != "rob_overall" else "Overall"
        for col, lbl in text.ROB_DOMAINS.items()
    ]
    x = alt.X("domain:N", sort=domains, axis=alt.Axis(title=None, orient="top", labelAngle=0))
    y = alt.Y("study_id:N", sort=order, axis=alt.Axis(title=None, labelLimit=150))
    tooltip = [
        alt.Tooltip("study_id:N", title="Study"),
        alt.Tooltip("domain_label:N", title="Domain"),
        alt.Tooltip("judgement:N", title="Judgement"),
    ]
    levels = list(ROB_LEVELS)
    colour = alt.Color(
        "judgement:N",
        scale=alt.Scale(
            domain=[ROB_LEVELS[v][0] for v in levels], range=[ROB_LEVELS[v][1] for v in levels]
        ),
        legend=alt.Legend(title="Risk of bias", orient="bottom", direction="horizontal", columns=2),
    )
    base = alt.Chart(long)
    chart = alt.layer(
        base.mark_circle(size=330, opacity=1).encode(x=x, y=y, color=colour, tooltip=tooltip),
        base.mark_text(fontSize=13, fontWeight="bold", color="#000000").encode(
            x=x, y=y, text="glyph:N", tooltip=tooltip
        ),
    ).properties(width="container", height=max(28 * len(order), 60))
    table = long.pivot(index="study_id", columns="domain", values="judgement").reindex(
        index=order, columns=domains
    )
    table = table.reset_index().rename(columns={"study_id": "Study"})
    table.columns.name = None
    n_assessed = int(
        (studies.get("rob_overall", pd.Series(dtype=object)).map(rob_level) != "not_assessed").sum()
    )
    alt_text = (
        f"Traffic-light plot of risk of bias (RoB 2) for {text.count(len(order), 'trial')}: "
        f"one row per trial, one column per domain D1 to D5 and overall; "
        f"{n_assessed} of {len(order)} trials have an overall judgement. "
        + "; ".join(
            f"{lab}: {cnt}"
            for lab, cnt in long[long.domain == "Overall"]
            .judgement.value_counts()
            .sort_index()
            .items()
        )
        + "."
    )
    return Figure(name=name, chart=_config(chart), alt=alt_text, table=table)


def rob_summary(studies: pd.DataFrame, *, name: str = "rob-summary") -> Figure:
    """Risk-of-bias summary: per domain, the share of trials at each judgement (unweighted)."""
    long = _rob_long(studies)
    n = max(len(studies), 1)
    summary = long.groupby(
        ["domain", "domain_label", "domain_short", "judgement", "level"], as_index=False
    ).size()
    summary["percent"] = 100.0 * summary["size"] / n
    summary["order"] = summary["level"].map({k: i for i, k in enumerate(ROB_LEVELS)})
    domains = [lbl for lbl in text.ROB_DOMAINS.values()]
    levels = list(ROB_LEVELS)
    chart = (
        alt.Chart(summary)
        .mark_bar(stroke="#FFFFFF", strokeWidth=0.5)
        .encode(
            y=alt.Y(
                "domain_short:N",
                sort=list(ROB_SHORT.values()),
                axis=alt.Axis(title=None, labelLimit=180),
            ),
            x=alt.X(
                "percent:Q",
                stack="zero",
                scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(title="Trials (%)", values=[0, 25, 50, 75, 100]),
            ),
            color=alt.Color(
                "judgement:N",
                scale=alt.Scale(
                    domain=[ROB_LEVELS[v][0] for v in levels],
                    range=[ROB_LEVELS[v][1] for v in levels],
                ),
                legend=alt.Legend(
                    title="Risk of bias", orient="bottom", direction="horizontal", columns=2
                ),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("domain_label:N", title="Domain"),
                alt.Tooltip("judgement:N", title="Judgement"),
                alt.Tooltip("size:Q", title="Trials"),
                alt.Tooltip("percent:Q", title="Percent", format=".0f"),
            ],
        )
        .properties(width="container", height=30 * len(domains))
    )
    table = summary.pivot(index="domain_label", columns="judgement", values="size").reindex(domains)
    table = table.fillna(0).astype(int).reset_index().rename(columns={"domain_label": "Domain"})
    table.columns.name = None
    alt_text = (
        f"Summary bar chart of risk of bias across {text.count(len(studies), 'trial')}: for each "
        "RoB 2 domain and overall, the percentage of trials judged low, some concerns, high or "
        "not assessed."
    )
    return Figure(name=name, chart=_config(chart), alt=alt_text, table=table)


# --------------------------------------------------------------------------- PRISMA flow


def prisma(flow: Mapping[str, Any], *, name: str = "prisma") -> Figure:
    """PRISMA 2020-style flow of trials through the register into the primary analyses.

    *flow* is the register summary of the results bundle (``bundle["register"]``):
    ``identified``, ``pending``, ``with_counts``, ``other_outcome`` (dict type -> n),
    ``eligible``, ``excluded_in_analysis`` (list of study ids), ``by_comparator``
    (dict comparator -> n in the primary analysis), ``included``; optionally
    ``last_searched`` (the date of ``data/search.yaml``), shown in the first box.
    """
    other = dict(flow.get("other_outcome") or {})
    n_other = sum(other.values())
    by_comp = dict(flow.get("by_comparator") or {})
    dropped = list(flow.get("excluded_in_analysis") or [])
    main = [
        "Trials identified from reviews, bibliographic databases and trial registries"
        + (f", last searched {flow['last_searched']}" if flow.get("last_searched") else "")
        + f" (n = {flow['identified']})",
        f"Trials with outcome counts extracted (n = {flow['with_counts']})",
        f"Trials with an eligible outcome: improvement or responder (n = {flow['eligible']})",
        "Trials in a primary analysis (n = {}): ".format(flow["included"])
        + ", ".join(
            f"{text.COMPARISONS[c][1].lower()} {by_comp.get(c, 0)}" for c in text.COMPARISONS
        ),
    ]
    side = [
        f"Counts not yet extracted, status pending or counts missing (n = {flow['pending']})",
        "Other outcome types, sensitivity analyses only (n = {}){}".format(
            n_other,
            ": " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(other.items()))
            if other
            else "",
        ),
        f"Dropped by the analysis: no events, or only events, in both arms (n = {len(dropped)})"
        + (": " + ", ".join(dropped) if dropped else ""),
    ]
    boxes: list[dict[str, Any]] = []
    y_main = [8, 36, 64, 92]
    for i, t in enumerate(main):
        boxes.append(
            {"id": f"m{i}", "x": 2, "x2": 56, "yc": y_main[i], "text": t, "kind": "Included"}
        )
    for i, t in enumerate(side):
        boxes.append(
            {
                "id": f"s{i}",
                "x": 62,
                "x2": 99,
                "yc": (y_main[i] + y_main[i + 1]) / 2,
                "text": t,
                "kind": "Excluded",
            }
        )
    for b in boxes:
        width_chars = 26 if b["kind"] == "Included" else 18
        lines = textwrap.wrap(b["text"], width_chars)
        b["lines"] = lines
        b["label"] = "\n".join(lines)
        half = 1.6 * len(lines) + 1.8
        b["y"], b["y2"] = b["yc"] - half, b["yc"] + half
    bdf = pd.DataFrame(boxes)
    arrows = []
    for i in range(len(main) - 1):
        a, b = boxes[i], boxes[i + 1]
        arrows.append({"x": 29, "x2": 29, "y": a["y2"], "y2": b["y"]})
        s = boxes[len(main) + i]
        ymid = s["yc"]
        arrows.append({"x": 29, "x2": s["x"], "y": ymid, "y2": ymid})
    adf = pd.DataFrame(arrows)
    height = 440
    line_units = 13.0 * 104 / height
    ldf = pd.DataFrame(
        [
            {
                "x": (b["x"] + b["x2"]) / 2,
                "y": b["yc"] + (i - (len(b["lines"]) - 1) / 2) * line_units,
                "line": line,
                "text": b["text"],
            }
            for b in boxes
            for i, line in enumerate(b["lines"])
        ]
    )
    xs = alt.Scale(domain=[0, 100], nice=False)
    ys = alt.Scale(domain=[0, 100 + 4], reverse=True, nice=False)
    no_axis = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
    kind_colour = alt.Color(
        "kind:N",
        scale=alt.Scale(domain=["Included", "Excluded"], range=["#E8F1F8", "#F7F7F7"]),
        legend=None,
    )
    chart = alt.layer(
        alt.Chart(adf)
        .mark_rule(color=INK, strokeWidth=1.2)
        .encode(
            x=alt.X("x:Q", scale=xs, axis=no_axis),
            x2="x2:Q",
            y=alt.Y("y:Q", scale=ys, axis=no_axis),
            y2="y2:Q",
        ),
        alt.Chart(bdf)
        .mark_rect(stroke=INK, strokeWidth=1, cornerRadius=3)
        .encode(
            x=alt.X("x:Q", scale=xs, axis=no_axis),
            x2="x2:Q",
            y=alt.Y("y:Q", scale=ys, axis=no_axis),
            y2="y2:Q",
            color=kind_colour,
            tooltip=alt.Tooltip("text:N", title=""),
        ),
        alt.Chart(ldf)
        .mark_text(fontSize=10.5, color=INK, baseline="middle")
        .encode(
            x=alt.X("x:Q", scale=xs, axis=no_axis),
            y=alt.Y("y:Q", scale=ys, axis=no_axis),
            text="line:N",
            tooltip=alt.Tooltip("text:N", title=""),
        ),
    ).properties(width="container", height=height)
    table = pd.DataFrame(
        [{"Step": t, "Kind": "Included"} for t in main]
        + [{"Step": t, "Kind": "Excluded"} for t in side]
    )
    alt_text = (
        "PRISMA 2020-style flow diagram. " + " ".join(main) + ". Excluded: " + "; ".join(side) + "."
    )
    return Figure(name=name, chart=_config(chart), alt=alt_text, table=table)
