"""Choice of outcome: the primary result beside the result under each alternative outcome.

When a trial reports several binary efficacy outcomes, the protocol analyses the one its
rules select and shows the others in a sensitivity analysis, never instead of it.
:func:`choice_of_outcome` repeats the primary analysis of each comparison and disease (and
of the pool across diseases) once per alternative outcome of one of its trials: that trial's
counts replaced by the alternative's, every other trial unchanged, with the same engine and
model. Each cell with at least one alternative is::

    {"primary": analysis dict,
     "alternatives": [{"study_id", "outcome_id", "outcome_type", "definition", "status",
                       "ivig_events", "ivig_total", "control_events", "control_total",
                       "same_arms": whether its arm sizes are those of the analysed outcome
                       (False: a subgroup or another analysis set), "analysed_arms",
                       "analysis": analysis dict}]}

References
----------
Higgins JPT et al. (eds). Cochrane Handbook, version 6.4, 2023, chapter 9.3.4 and chapter
10.14 (sensitivity analyses for decisions such as which outcome measure to use).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from analysis.report.completeness import ALL
from analysis.stats.results import MetaAnalysis
from analysis.vocabulary import DISEASES, PRIMARY_OUTCOMES

__all__ = ["choice_of_outcome"]

#: the primary configuration's analysis of a set of rows (no subgroups); the results
#: bundle encodes it with the results' codec
Fit = Callable[[pd.DataFrame], MetaAnalysis | None]


def _swap(rows: pd.DataFrame, alt: Any) -> pd.DataFrame:
    out = rows.copy()
    hit = out["study_id"].astype(str) == alt.study_id
    for col, value in (
        ("ivig_improved", alt.ivig_events),
        ("ivig_total", alt.ivig_total),
        ("control_improved", alt.control_events),
        ("control_total", alt.control_total),
    ):
        out.loc[hit, col] = int(value)
    return out


def _arms(rows: pd.DataFrame, study_id: str) -> tuple[int, int]:
    hit = rows[rows["study_id"].astype(str) == study_id].iloc[0]
    return int(hit["ivig_total"]), int(hit["control_total"])


def choice_of_outcome(
    primary: Mapping[str, pd.DataFrame], outcomes: Any, fit: Fit
) -> dict[str, dict[str, dict]]:
    """Per comparison, per disease (and ``all``) where a trial has alternative outcomes.

    Parameters
    ----------
    primary : mapping
        Comparator -> the rows of its primary analysis.
    outcomes : :class:`analysis.evidence.outcomes.Outcomes`
        The validated outcomes with the protocol's selection.
    fit : callable
        Rows -> their analysis (the primary configuration, no subgroups).
    """
    out: dict[str, dict[str, dict]] = {}
    for comparator, rows in primary.items():
        cells: dict[str, dict] = {}
        for disease in (*DISEASES, ALL):
            part = rows if disease == ALL else rows[rows["disease"].astype(str) == disease]
            if part.empty or (disease == ALL and rows["disease"].nunique() < 2):
                continue
            alts = [
                a
                for sid in part["study_id"].astype(str)
                for a in outcomes.alternatives(sid, PRIMARY_OUTCOMES)
            ]
            if not alts:
                continue
            cells[disease] = {
                "primary": fit(part),
                "alternatives": [
                    {
                        "study_id": a.study_id,
                        "outcome_id": a.outcome_id,
                        "outcome_type": a.outcome_type,
                        "definition": a.definition,
                        "status": a.status,
                        "ivig_events": a.ivig_events,
                        "ivig_total": a.ivig_total,
                        "control_events": a.control_events,
                        "control_total": a.control_total,
                        "same_arms": _arms(part, a.study_id) == (a.ivig_total, a.control_total),
                        "analysed_arms": list(_arms(part, a.study_id)),
                        "analysis": fit(_swap(part, a)),
                    }
                    for a in alts
                ],
            }
        if cells:
            out[comparator] = cells
    return out
