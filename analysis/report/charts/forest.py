"""The forest plot of one comparison: studies by subgroup, subtotals, the pooled
models, heterogeneity and the prediction interval (Lewis and Clarke 2001)."""

from __future__ import annotations

from typing import Any, Literal, cast

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
    _config,
    _diamond_points,
    _fmt_ci,
    _null,
    _x_axis,
    _x_scale,
    _y_scale,
)
from analysis.stats.results import MetaAnalysis, Study

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
    m = _analysis(result)
    measure = m.measure if m else EMPTY_MEASURE
    rnd = m.random if m else None
    mh = m.common.mh if m else None
    k = m.k if m else 0
    hk = bool(rnd and rnd.hk)
    info: dict[str, dict] = {}
    if studies is not None and len(studies):
        info = {str(s["study_id"]): s for s in studies.to_dict("records")}
    use_random = rnd is not None and not text.missing(rnd.estimate)

    def weight(s: Study) -> float | None:
        return s.weight_random if use_random else s.weight_common

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

    def add_study(s: Study) -> None:
        sid = s.study_id
        meta = info.get(sid, {})
        i = len(labels)
        w = weight(s)
        ci = _fmt_ci(s.estimate, s.ci_low, s.ci_high, revman=True)
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
                "estimate": s.estimate,
                "ci_low": s.ci_low,
                "ci_high": s.ci_high,
                "weight": 0.0 if w is None or text.missing(w) else float(w),
                "weight_text": text.pct(w, 1),
                "text": ci,
            }
        )
        cell_row(i, lab, counts([sid], "ivig"), counts([sid], "control"), text.pct(w, 1), ci, False)

    def add_line(line: str, bold: bool = False, italic: bool = False) -> None:
        lines.append({"row": len(labels), "line": line, "bold": bold, "italic": italic})
        labels.append(line)

    study_list = list(m.studies) if m else []
    sg = m.subgroups if m else None
    subgroups = sg.groups if sg else {}
    headers: list[int] = []
    # header of the columns
    cell_row(0, "Study", "IVIG", "Control", "Weight", f"{measure} [95 % CI]", True)
    labels.append("Study")
    cell_row(1, "", "n/N", "n/N", "", "", False)
    labels.append("")
    if by and info:
        groups: dict[str, list[Study]] = {}
        for s in study_list:
            code = info.get(s.study_id, {}).get(by)
            groups.setdefault("" if text.missing(code) else str(code), []).append(s)
        for code in sorted(groups, key=text.disease_label):
            headers.append(len(labels))
            add_line(text.disease_label(code), bold=True)
            members = sorted(
                groups[code],
                key=lambda s: (_int(info.get(s.study_id, {}).get("year")), s.study_id),
            )
            for s in members:
                add_study(s)
            g = subgroups.get(code)
            ids = [s.study_id for s in members]
            if len(members) > 1 and g is not None and not text.missing(g.estimate):
                i = len(labels)
                w = sum(float(weight(s) or 0) for s in members)
                ci = _fmt_ci(g.estimate, g.ci_low, g.ci_high, revman=True)
                diamonds.append(
                    {
                        "row": i,
                        "label": f"Subtotal {text.disease_label(code)}",
                        "diamond": f"sub-{code}",
                        "kind": "Subgroup (random effects)",
                        "estimate": g.estimate,
                        "ci_low": g.ci_low,
                        "ci_high": g.ci_high,
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
                add_line(_het_line(g.tau2, g.q, g.q_df, g.q_p, g.i2))
                add_line(_overall_line(g.p, hk))
    else:
        for s in study_list:
            add_study(s)

    all_ids = [s.study_id for s in study_list]
    if k > 1 and mh is not None and not text.missing(mh.estimate):
        i = len(labels)
        diamonds.append(
            {
                "row": i,
                "label": "Common effect (Mantel-Haenszel)",
                "diamond": "common",
                "kind": "Common effect (Mantel-Haenszel)",
                "estimate": mh.estimate,
                "ci_low": mh.ci_low,
                "ci_high": mh.ci_high,
            }
        )
        labels.append("Total, common effect (MH)")
        cell_row(
            i,
            "Total, common (MH)",
            counts(all_ids, "ivig"),
            counts(all_ids, "control"),
            "",
            _fmt_ci(mh.estimate, mh.ci_low, mh.ci_high, revman=True),
            True,
        )
    if k > 1 and rnd is not None and not text.missing(rnd.estimate):
        i = len(labels)
        hk_tag = ", HK" if hk else ""
        diamonds.append(
            {
                "row": i,
                "label": model_label or f"Random effects ({rnd.tau2_method}{hk_tag})",
                "diamond": "random",
                "kind": "Random effects",
                "estimate": rnd.estimate,
                "ci_low": rnd.ci_low,
                "ci_high": rnd.ci_high,
            }
        )
        labels.append(f"Total, random ({rnd.tau2_method}{hk_tag})")
        cell_row(
            i,
            f"Total, random ({rnd.tau2_method}{hk_tag})",
            counts(all_ids, "ivig"),
            counts(all_ids, "control"),
            "100 %",
            _fmt_ci(rnd.estimate, rnd.ci_low, rnd.ci_high, revman=True),
            True,
        )
    pi_row = None
    if rnd is not None and not text.missing(rnd.pi_low) and not text.missing(rnd.pi_high):
        i = len(labels)
        pi_row = {
            "row": i,
            "label": "Prediction interval",
            "ci_low": rnd.pi_low,
            "ci_high": rnd.pi_high,
            "text": f"{text.num(rnd.pi_low)} to {text.num(rnd.pi_high)}",
        }
        labels.append("Prediction interval")
        cell_row(
            i,
            "Prediction interval",
            "",
            "",
            "",
            f"[{text.num(rnd.pi_low)}, {text.num(rnd.pi_high)}]",
            False,
        )
    if m is not None and k > 1:
        het = m.heterogeneity
        add_line(_het_line(m.random.tau2, het.q, het.df, het.p, het.i2))
        add_line(_overall_line(m.random.p, hk))
    tb = sg.test_between if sg else None
    if len(headers) > 1:
        if tb is not None and not text.missing(tb.q):
            add_line(
                f"Test for subgroup differences: Q = {text.num(tb.q)}, df = {tb.df} "
                f"({text.pval(tb.p)}), I² = {text.num(tb.i2, 0)} %"
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
    alt_text = _forest_alt(m, len(rows), [labels[h] for h in headers], pi_row)
    narrow = _stacked(
        measure, labels, rows, diamonds, pi_row, lines, name=f"stacked-{name}", alt_text=alt_text
    )
    return Figure(
        name=name,
        chart=_config(chart, font_size=FOREST_FONT),
        alt=alt_text,
        table=table,
        narrow=narrow,
        notes=(
            *(ln["line"] for ln in lines if not ln["bold"]),
            "On a narrow screen, the percentage after a trial's name is its weight.",
        ),
    )


#: one line of the stacked (phone) forest, in pixels
STACKED_ROW = 24


def _stacked(
    measure: str,
    labels: list[str],
    rows: list[dict],
    diamonds: list[dict],
    pi_row: dict | None,
    lines: list[dict],
    *,
    name: str,
    alt_text: str,
) -> Figure:
    """The forest plot stacked for a narrow column: per trial its "Author Year" and weight,
    then its counts and "RR [95 % CI]", then its interval across the full width; pooled
    diamonds and the prediction interval likewise; disease headers in bold. The
    heterogeneity and test lines are the wide figure's :attr:`Figure.notes` (text under
    the chart), since they do not fit a phone's width at the body's type size.
    """
    by_row: dict[int, tuple[str, dict]] = {d["row"]: ("study", d) for d in rows}
    by_row.update({d["row"]: ("pooled", d) for d in diamonds})
    if pi_row:
        by_row[pi_row["row"]] = ("pi", pi_row)
    by_row.update({ln["row"]: ("header", ln) for ln in lines if ln["bold"]})
    texts: list[dict] = []
    marks: list[dict] = []
    pooled: list[dict] = []
    bars: list[dict] = []
    slot = 0
    for i in range(len(labels)):
        kind, d = by_row.get(i, ("", {}))
        if kind == "header":
            texts.append({"y": slot, "line": d["line"], "bold": True})
            slot += 1
        elif kind in ("study", "pooled", "pi"):
            if kind == "study":
                # the weight in brackets (the notes under the chart say so): "Author Year ·
                # weight 100.0 %" ran past a phone's column for a long name
                head = d["label"] + (f" ({d['weight_text']})" if d["weight_text"] else "")
                sub = (d["events"] + " · " if d["events"] else "") + d["text"]
            elif kind == "pooled":
                head = d["label"]
                sub = _fmt_ci(d["estimate"], d["ci_low"], d["ci_high"], revman=True)
            else:
                head = "95 % prediction interval"
                sub = f"[{text.num(d['ci_low'])}, {text.num(d['ci_high'])}]"
            texts.append({"y": slot, "line": head, "bold": True})
            texts.append({"y": slot + 1, "line": sub, "bold": False})
            item = {**d, "y": slot + 2}
            {"study": marks, "pooled": pooled, "pi": bars}[kind].append(item)
            slot += 3
    n = max(slot, 1)
    all_x = [v for d in rows + diamonds for v in (d["ci_low"], d["ci_high"], d["estimate"])]
    if pi_row:
        all_x += [pi_row["ci_low"], pi_row["ci_high"]]
    xs = _x_scale(measure, all_x)
    xa = _x_axis(measure, xs)
    lo = xs.to_dict()["domain"][0]
    ys = alt.Scale(domain=[-0.6, n - 0.4], reverse=True, nice=False, zero=False)
    ya = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
    drawn = [d for d in marks + pooled + bars if not text.missing(d.get("ci_low"))]
    null_rows = [{"x": _null(measure), "y": d["y"] - 0.5, "y2": d["y"] + 0.5} for d in drawn] or [
        {"x": _null(measure), "y": -0.6, "y2": -0.6}
    ]
    layers: list[Any] = [
        alt.Chart(pd.DataFrame(null_rows))
        .mark_rule(color=GRID, strokeWidth=1)
        .encode(x=alt.X("x:Q", scale=xs, axis=xa), y=alt.Y("y:Q", scale=ys, axis=ya), y2="y2:Q")
    ]
    tdf = pd.DataFrame([{**t, "x": lo} for t in texts])
    for bold, part in tdf.groupby("bold") if len(tdf) else []:
        layers.append(
            alt.Chart(part)
            .mark_text(
                align="left",
                baseline="middle",
                dx=2,
                fontSize=FOREST_FONT,
                color=INK,
                fontWeight="bold" if bold else "normal",
            )
            .encode(
                x=alt.X("x:Q", scale=xs, axis=xa),
                y=alt.Y("y:Q", scale=ys, axis=ya),
                text="line:N",
            )
        )
    keep = ["y", "estimate", "ci_low", "ci_high", "label", "text"]
    sdf = pd.DataFrame([{k: d.get(k) for k in [*keep, "weight", "study_id"]} for d in marks])
    if len(sdf):
        sdf = sdf[~sdf["ci_low"].isna() & ~sdf["ci_high"].isna()]
    if len(sdf):
        tip = [
            alt.Tooltip("label:N", title="Study"),
            alt.Tooltip("study_id:N", title="Trial id"),
            alt.Tooltip("text:N", title=measure),
        ]
        layers.append(
            alt.Chart(sdf)
            .mark_rule(color=INK, strokeWidth=1.5)
            .encode(
                x=alt.X("ci_low:Q", scale=xs, axis=xa),
                x2="ci_high:Q",
                y=alt.Y("y:Q", scale=ys, axis=ya),
                tooltip=tip,
            )
        )
        layers.append(
            alt.Chart(sdf)
            .mark_square(color=OKABE_ITO["blue"], opacity=1)
            .encode(
                x=alt.X("estimate:Q", scale=xs, axis=xa),
                y=alt.Y("y:Q", scale=ys, axis=ya),
                size=alt.Size(
                    "weight:Q", scale=alt.Scale(domain=[0, 100], range=[30, 400]), legend=None
                ),
                tooltip=tip,
            )
        )
    ddf = _diamond_points([{**d, "row": d["y"]} for d in pooled])
    if len(ddf):
        layers.append(
            alt.Chart(ddf)
            .mark_area(orient="vertical", stroke=INK, strokeWidth=0.8, color=OKABE_ITO["blue"])
            .encode(
                x=alt.X("x:Q", scale=xs, axis=xa),
                y=alt.Y("y:Q", scale=ys, axis=ya, stack=None),
                y2="y2:Q",
                detail="diamond:N",
                tooltip=[alt.Tooltip("label:N", title="Pooled"), alt.Tooltip("text:N", title="")],
            )
        )
    if bars:
        layers.append(
            alt.Chart(pd.DataFrame([{k: d.get(k) for k in keep} for d in bars]))
            .mark_rule(color=OKABE_ITO["vermillion"], strokeWidth=4)
            .encode(
                x=alt.X("ci_low:Q", scale=xs, axis=xa),
                x2="ci_high:Q",
                y=alt.Y("y:Q", scale=ys, axis=ya),
            )
        )
    chart = alt.layer(*layers).properties(width="container", height=STACKED_ROW * n)
    return Figure(
        name=name,
        chart=_config(chart, font_size=FOREST_FONT),
        alt=alt_text,
        table=pd.DataFrame(),
    )


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


def _forest_alt(
    m: MetaAnalysis | None, n_studies: int, groups: list[str], pi_row: dict | None
) -> str:
    measure = m.measure if m else EMPTY_MEASURE
    parts = [
        f"Forest plot of {text.count(n_studies, 'trial')}"
        + (f" in {len(groups)} disease groups ({', '.join(groups)})" if groups else "")
        + f", {text.MEASURES.get(measure, measure)} on a log scale"
        + ("" if text.is_ratio(measure) else "")
        + "; each study is a square sized by weight with its 95 % confidence interval."
    ]
    if m is not None and m.k > 1:
        mh, rnd = m.common.mh, m.random
        parts.append(
            "Pooled common effect (Mantel-Haenszel) "
            + _fmt_ci(mh.estimate, mh.ci_low, mh.ci_high)
            + "; random effects "
            + _fmt_ci(rnd.estimate, rnd.ci_low, rnd.ci_high)
            + "."
        )
    if pi_row:
        parts.append(f"95 % prediction interval {pi_row['text']}.")
    parts.append("Values above 1 favour IVIG." if text.is_ratio(measure) else "")
    return " ".join(p for p in parts if p)
