"""Risk-of-bias charts: the traffic-light table and the summary bars (robvis,
McGuinness and Higgins 2021)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from analysis.report import text
from analysis.report.charts.axes import ROB_LEVELS, ROB_SHORT, Figure, _config

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
