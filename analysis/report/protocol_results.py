"""The bundle's parts that the protocol asks for, beside the primary analyses.

:func:`compute` adds to the results bundle: ``protocol`` (the validated protocol, with the
rule that selected each trial's analysed outcome), ``completeness`` (k of n identified trials
per comparison and disease, :mod:`analysis.report.completeness`), ``harms``
(:mod:`analysis.report.harms`) and ``choice_of_outcome``
(:mod:`analysis.report.outcome_choice`). Without ``protocol.yaml`` and ``outcomes.csv``
beside the trials (an older data set), ``protocol`` is None with its reason and harms and
choice of outcome are empty; completeness is always computed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from analysis.evidence import outcomes as outcomes_mod
from analysis.evidence import protocol as protocol_mod
from analysis.report.completeness import completeness
from analysis.report.data_sections import outcome_rows
from analysis.report.harms import harms
from analysis.report.outcome_choice import choice_of_outcome
from analysis.stats.results import MetaAnalysis

__all__ = ["compute"]


def compute(
    data_dir: Path,
    df: pd.DataFrame,
    primary: Mapping[str, pd.DataFrame],
    fit: Callable[[pd.DataFrame], MetaAnalysis | None],
) -> dict:
    """``protocol``, ``completeness``, ``harms`` and ``choice_of_outcome`` for the bundle.

    ``df`` is the validated trial table, ``primary`` each comparator's primary rows and
    ``fit`` the primary configuration's analysis of a set of rows (no subgroups).
    """
    data_dir = Path(data_dir)
    have = (data_dir / protocol_mod.FILE).is_file() and (data_dir / outcomes_mod.FILE).is_file()
    if not have:
        return {
            "protocol": None,
            "protocol_reason": "no protocol.yaml and outcomes.csv beside the trials",
            "completeness": completeness(df, primary),
            "harms": {},
            "choice_of_outcome": {},
            "outcomes": None,
        }
    prot = protocol_mod.load(data_dir / protocol_mod.FILE)
    records = [
        {k: (None if v is pd.NA else v) for k, v in r.items()} for r in df.to_dict("records")
    ]
    found = outcomes_mod.load(data_dir, records, prot)
    described = prot.to_dict()
    described["selections"] = {
        sid: {"outcome_id": s.outcome.outcome_id, "rule": s.rule.rule, "status": s.outcome.status}
        for sid, s in sorted(found.selections.items())
    }
    return {
        "protocol": described,
        "completeness": completeness(df, primary, found.rows),
        "harms": harms(df, found.rows, fit),
        "choice_of_outcome": choice_of_outcome(primary, found, fit),
        "outcomes": outcome_rows(found.rows),  # the register's "every outcome" table
    }
