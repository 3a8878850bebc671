"""What each result stands on: k of n identified trials, per comparison and disease.

The protocol requires every result to say how many of the trials identified for its
comparison and disease it includes, with their participants where known, and which trials
are still awaiting counts. :func:`completeness` computes those figures from the validated
trial rows (``studies.csv``: every identified trial, a re-report never counted twice) and the
rows of the primary analysis; the outcomes table (``outcomes.csv``) adds a trial's size
where ``studies.csv`` has no counts for it but another outcome of the trial does.

Each cell of the result (one per comparison and disease with at least one identified trial,
plus ``all`` per comparison) is a :class:`Completeness`; its fields are its JSON object in
the results bundle (written by the results' codec, :mod:`analysis.stats.result_json`)::

    {"identified": n, "analysed": k, "analysed_ids": [...],
     "participants_analysed": int, "participants_known": int,
     "size_unknown": [ids whose size is not recorded],
     "awaiting": [ids without counts (pending)],
     "other_outcome": [ids with counts only for an outcome outside the primary analysis]}

References
----------
Page MJ et al. PRISMA 2020 statement. BMJ 2021;372:n71 (items 16a and 20: studies
identified, included and awaiting classification). Schünemann HJ et al. in: Cochrane
Handbook version 6.4, chapter 14.1.6 (the number of studies and participants in a summary
of findings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.stats.result_json import JsonResult
from analysis.vocabulary import COMPARATORS, DISEASES

__all__ = ["ALL", "Completeness", "completeness", "trial_sizes"]

#: the key of the across-disease cell of a comparison
ALL = "all"


@dataclass(frozen=True)
class Completeness(JsonResult):
    """What a result stands on: k analysed of n identified trials, for one comparison and
    disease (or ``all``).

    Attributes
    ----------
    identified, analysed : int
        Trials identified (a re-report never counted twice) and analysed.
    analysed_ids : tuple of str
        The analysed trials.
    participants_analysed, participants_known : int
        Randomised participants of the analysed trials, and of every identified trial whose
        size is known.
    size_unknown : tuple of str
        Identified trials whose size is not recorded.
    awaiting : tuple of str
        Identified trials without counts yet (status ``pending``).
    other_outcome : tuple of str
        Identified trials with counts only for an outcome outside the primary analysis.
    """

    identified: int
    analysed: int
    analysed_ids: tuple[str, ...]
    participants_analysed: int
    participants_known: int
    size_unknown: tuple[str, ...]
    awaiting: tuple[str, ...]
    other_outcome: tuple[str, ...]


def _int(v: Any) -> int | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else int(v)


def trial_sizes(df: pd.DataFrame, outcomes: Iterable[Any] = ()) -> dict[str, int]:
    """Participants per trial where known: both arm totals of ``studies.csv``, else the
    largest two-arm total among the trial's outcomes with counts in ``outcomes.csv``."""
    sizes: dict[str, int] = {}
    for o in outcomes:
        if getattr(o, "has_counts", False):
            n = int(o.ivig_total) + int(o.control_total)
            sizes[o.study_id] = max(n, sizes.get(o.study_id, 0))
    for _, r in df.iterrows():
        a, b = _int(r["ivig_total"]), _int(r["control_total"])
        if a is not None and b is not None:
            sizes[str(r["study_id"])] = a + b
    return sizes


def _cell(trials: pd.DataFrame, analysed: pd.DataFrame, sizes: Mapping[str, int]) -> Completeness:
    ids = [str(s) for s in trials["study_id"]]
    done = [str(s) for s in analysed["study_id"] if str(s) in ids]
    pending = [
        sid for sid, st in zip(ids, trials["status"].astype(str), strict=True) if st == "pending"
    ]
    other = [sid for sid in ids if sid not in done and sid not in pending]
    return Completeness(
        identified=len(ids),
        analysed=len(done),
        analysed_ids=tuple(done),
        participants_analysed=sum(sizes.get(s, 0) for s in done),
        participants_known=sum(sizes.get(s, 0) for s in ids),
        size_unknown=tuple(s for s in ids if s not in sizes),
        awaiting=tuple(pending),
        other_outcome=tuple(other),
    )


def completeness(
    df: pd.DataFrame,
    primary: Mapping[str, pd.DataFrame],
    outcomes: Iterable[Any] = (),
) -> dict[str, dict[str, Completeness]]:
    """Per comparison, per disease (and ``all``): the figures of a result's completeness.

    Parameters
    ----------
    df : pandas.DataFrame
        Every identified trial (:func:`analysis.evidence.studies.load_studies`).
    primary : mapping
        Comparator -> the rows of its primary analysis (:func:`~analysis.evidence.studies.primary`).
    outcomes : iterable of :class:`analysis.evidence.outcomes.Outcome`, optional
        Every outcome row (for trial sizes that ``studies.csv`` lacks).
    """
    sizes = trial_sizes(df, outcomes)
    reports = df["rereports"].notna() if "rereports" in df else pd.Series(False, index=df.index)
    trials = df.loc[~reports.astype(bool)]
    out: dict[str, dict[str, Completeness]] = {}
    for comparator in COMPARATORS:
        mine = trials[trials["comparator"].astype(str) == comparator]
        if mine.empty:
            continue
        analysed = primary.get(comparator, df.iloc[0:0])
        cells: dict[str, Completeness] = {}
        for disease in DISEASES:
            part = mine[mine["disease"].astype(str) == disease]
            if not part.empty:
                cells[disease] = _cell(part, analysed, sizes)
        cells[ALL] = _cell(mine, analysed, sizes)
        out[comparator] = cells
    return out
