"""Harms per comparison and disease: one row per harm with counts, and what is not extracted.

The protocol records harms as patients with at least one event per arm (serious adverse
events, withdrawals because of adverse events, deaths, thromboembolic events) and requires a
harms row in every summary of findings: where no counts are extracted, the row says so,
with how many trials report harms only in words, so that a benefit-only table never looks
complete. :func:`harms` builds, per comparison and disease (and ``all``)::

    {"rows": [{"outcome_type", "label", "k", "study_ids", "definitions",
               "ivig_events", "ivig_total", "control_events", "control_total",
               "analysis": MetaAnalysis dict (the engine's; risk ratio, as the primary)}],
     "in_words": [ids of trials whose harms are reported without counts],
     "in_words_types": {outcome type: [ids]}}

Harms of one type are pooled across the cell's trials with the same engine and model as
the primary analysis (with one trial, that trial's own risk ratio and CI).

References
----------
Peryer G, Golder S, Junqueira D, Vohra S, Loke YK. Chapter 19: Adverse effects. In: Cochrane
Handbook for Systematic Reviews of Interventions, version 6.4, 2023.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from analysis.report.completeness import ALL
from analysis.stats.results import MetaAnalysis
from analysis.vocabulary import COMPARATORS, DISEASES, HARM_LABELS, HARM_TYPES

__all__ = ["harms"]

#: the primary configuration's analysis of a set of rows (no subgroups); the results
#: bundle encodes it with the results' codec
Fit = Callable[[pd.DataFrame], MetaAnalysis | None]


def _frame(rows: list[Any], years: Mapping[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study_id": [o.study_id for o in rows],
            "year": [years.get(o.study_id, 0) for o in rows],
            "ivig_improved": [o.ivig_events for o in rows],
            "ivig_total": [o.ivig_total for o in rows],
            "control_improved": [o.control_events for o in rows],
            "control_total": [o.control_total for o in rows],
        }
    )


def _cell(found: list[Any], years: Mapping[str, int], fit: Fit) -> dict:
    rows = []
    for kind in HARM_TYPES:
        counted = [o for o in found if o.outcome_type == kind and o.has_counts]
        if not counted:
            continue
        counted.sort(key=lambda o: (years.get(o.study_id, 0), o.study_id))
        rows.append(
            {
                "outcome_type": kind,
                "label": HARM_LABELS[kind],
                "k": len(counted),
                "study_ids": [o.study_id for o in counted],
                "definitions": [o.definition for o in counted],
                "statuses": [o.status for o in counted],
                "ivig_events": sum(int(o.ivig_events) for o in counted),
                "ivig_total": sum(int(o.ivig_total) for o in counted),
                "control_events": sum(int(o.control_events) for o in counted),
                "control_total": sum(int(o.control_total) for o in counted),
                "analysis": fit(_frame(counted, years)),
            }
        )
    words: dict[str, list[str]] = {}
    for o in found:
        if not o.has_counts:
            ids = words.setdefault(o.outcome_type, [])
            if o.study_id not in ids:
                ids.append(o.study_id)
    in_words = sorted({sid for ids in words.values() for sid in ids})
    return {"rows": rows, "in_words": in_words, "in_words_types": words}


def harms(df: pd.DataFrame, outcomes: Iterable[Any], fit: Fit) -> dict[str, dict[str, dict]]:
    """Harms per comparison and disease (and ``all``) with at least one identified trial.

    Parameters
    ----------
    df : pandas.DataFrame
        Every identified trial (comparator, disease, year per study_id).
    outcomes : iterable of :class:`analysis.evidence.outcomes.Outcome`
        Every outcome row; the harm rows are used.
    fit : callable
        Rows (engine columns) -> the bundle's analysis dict (the primary configuration).
    """
    harm_rows = [o for o in outcomes if o.kind == "harm"]
    years = {str(s): int(y) for s, y in zip(df["study_id"], df["year"], strict=True)}
    out: dict[str, dict[str, dict]] = {}
    for comparator in COMPARATORS:
        mine = df[df["comparator"].astype(str) == comparator]
        if mine.empty:
            continue
        cells: dict[str, dict] = {}
        for disease in (*DISEASES, ALL):
            part = mine if disease == ALL else mine[mine["disease"].astype(str) == disease]
            if part.empty:
                continue
            ids = set(part["study_id"].astype(str))
            cells[disease] = _cell([o for o in harm_rows if o.study_id in ids], years, fit)
        out[comparator] = cells
    return out
