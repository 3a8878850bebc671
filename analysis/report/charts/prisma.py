"""The PRISMA 2020 flow diagram (Page et al. 2021) from the register's counts."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

from analysis.report import text
from analysis.report.charts.axes import INK, Figure, _config

# --------------------------------------------------------------------------- PRISMA flow


def _surveillance(stage: Mapping[str, Any] | None) -> str:
    """The identification stage "found by surveillance" (PRISMA-LSR), when there is one."""
    if not stage:
        return ""
    return f"; found by surveillance since {stage['since']} (n = {stage['found']})"


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
        + f" (n = {flow['identified']})"
        + _surveillance(flow.get("surveillance")),
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
    if boxes[0]["y"] < -2:  # a tall first box (the surveillance stage) moves down, not out
        shift = -2 - boxes[0]["y"]
        for key in ("y", "y2", "yc"):
            boxes[0][key] += shift
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
