"""The few-trials secondary analysis as an interval chart: each model's estimate and interval.

One row per model and disease, all on the primary measure (the GLMM's odds ratio is a
different measure and stays in the table beside the chart); see
:mod:`analysis.report.few_trials`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.report import text
from analysis.report.charts.axes import OKABE_ITO, Figure, _config, _fmt_ci
from analysis.report.charts.intervals import INTERVAL_FONT, _interval_chart

__all__ = ["few_trials_models"]


def _full(d: Mapping) -> str:
    """A row's name with its group: "CIDP: Mantel-Haenszel"."""
    return f"{d['group']}: {d['label']}" if d.get("group") else str(d["label"])


def few_trials_models(rows: Sequence[Mapping], measure: str, *, name: str) -> Figure:
    """Interval chart of *rows* (``label``, ``interval`` ("95 % CI" or "95 % CrI"),
    ``estimate``, ``ci_low``, ``ci_high``), all on *measure*."""
    data: list[dict[str, Any]] = [
        {
            "label": str(d["label"]),
            **({"group": str(d["group"])} if d.get("group") else {}),
            "interval": str(d["interval"]),
            "estimate": d.get("estimate"),
            "ci_low": d.get("ci_low"),
            "ci_high": d.get("ci_high"),
        }
        for d in rows
    ]
    chart = _interval_chart(
        data, measure, reference=None, point_color=OKABE_ITO["vermillion"], tooltip_title="Model"
    )
    table = pd.DataFrame(
        [
            {
                "Model": _full(d),
                measure: text.num(d["estimate"]),
                "Interval": f"{d['interval']}: {_fmt_ci(d['estimate'], d['ci_low'], d['ci_high'])}",
            }
            for d in data
        ]
    )
    words = text.MEASURES.get(measure, measure)
    alt_text = (
        f"Secondary analysis, the {words} of each model with its 95 % confidence interval "
        "(credible interval for the Bayesian model): "
        + "; ".join(f"{_full(d)} {_fmt_ci(d['estimate'], d['ci_low'], d['ci_high'])}" for d in data)
        + "."
    )
    return Figure(
        name=name, chart=_config(chart, font_size=INTERVAL_FONT), alt=alt_text, table=table
    )
