"""Summary of findings per comparison and disease, with GRADE certainty.

:func:`findings` builds, for one comparison, one row per disease with trials in the
primary analysis and one row for the across-disease pool (the source review's approach),
each with its outcome definitions and time points, trials and participants, the relative
effect, the control risk *of that row's own trials* and the corresponding IVIG risk per
1000, the NNT where the confidence interval excludes no effect, and the certainty of the
evidence proposed by :mod:`analysis.stats.certainty` (replaced domain by domain where a
reviewer's judgement is recorded in ``data/certainty.csv``).

:func:`plain_language` words a row's result with GRADE's standard phrases (Santesso et al.
2020, as used in Cochrane plain-language summaries): high certainty "IVIG increases",
moderate "IVIG probably increases", low "IVIG may increase", very low "we are uncertain
whether IVIG increases".

Every data field written into Markdown goes through :func:`md_text` (backslash-escapes
each ASCII punctuation character, so a field is plain text to pandoc).
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np
import pandas as pd

from analysis.report import text
from analysis.stats import certainty as grade
from analysis.stats.absolute import absolute_effect
from analysis.stats.results import MetaAnalysis, Pooled, Random, to_json

__all__ = [
    "OUTCOME_PHRASES",
    "findings",
    "ordered",
    "indirect_flag",
    "md_text",
    "plain_language",
    "row_certainty",
]

#: outcome type -> what is counted, for sentences
OUTCOME_PHRASES = {
    "improvement": "the number of patients who improve",
    "responder": "the number of patients who respond to treatment",
}

_PUNCT = frozenset(string.punctuation)


def md_text(value: Any) -> str:
    """A data field as plain text inside Markdown: every ASCII punctuation escaped."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    s = " ".join(str(value).split())
    return "".join("\\" + c if c in _PUNCT else c for c in s)


def indirect_flag(disease: str, population: Any) -> str | None:
    """Why a trial's population is narrower than the disease's, or None.

    A trial is flagged when its ``population`` field names more than the disease (a
    subtype, an age group, a setting), e.g. "Guillain-Barré syndrome (children on
    mechanical ventilation)": its result may not apply to everyone with the disease.
    """
    if population is None or population is pd.NA:
        return None
    pop = " ".join(str(population).split())
    names = {text.disease_label(disease).lower(), disease.replace("_", " ").lower()}
    if pop.lower() in names:
        return None
    return "trial population narrower than the disease: " + pop


def _finite(x: Any) -> float | None:
    return None if text.missing(x) else float(x)


def row_certainty(
    *,
    rows: pd.DataFrame,
    analysis: MetaAnalysis,
    pooled: Pooled | Random,
    participants: int,
    control_risk: float | None,
    subgroup_p: float | None,
    overrides: dict[str, grade.Override] | None,
) -> grade.Certainty:
    """GRADE certainty of one row (rule proposals, then a reviewer's overrides)."""
    by_id = {s.study_id: s for s in analysis.studies}
    ids = [str(s) for s in rows["study_id"] if str(s) in by_id]
    sub = rows.set_index(rows["study_id"].astype(str)).loc[ids]
    k = len(ids)
    weights = [float(by_id[i].weight_random or by_id[i].weight_common or 1) for i in ids]
    rob = [None if text.missing(r) or r is pd.NA else str(r) for r in sub["rob_overall"]]
    flags = [
        indirect_flag(str(d), p) for d, p in zip(sub["disease"], sub["population"], strict=True)
    ]
    het, rnd = analysis.heterogeneity, analysis.random
    egger = analysis.small_study.egger.p
    domains = [
        grade.risk_of_bias(weights, rob),
        grade.inconsistency(
            k,
            _finite(het.i2),
            _finite(pooled.ci_low),
            _finite(pooled.ci_high),
            _finite(rnd.pi_low),
            _finite(rnd.pi_high),
            subgroup_p,
        ),
        grade.indirectness(weights, [str(d) for d in sub["disease"]], flags),
        grade.imprecision(
            _finite(pooled.ci_low),
            _finite(pooled.ci_high),
            participants,
            control_risk,
        ),
        grade.publication_bias(k, _finite(egger)),
    ]
    cert = grade.rate(domains)
    return grade.apply_overrides(cert, overrides) if overrides else cert


def _row(
    comparison: str,
    disease: str,
    rows: pd.DataFrame,
    entry: dict,
    overrides: dict,
) -> dict:
    """The summary-of-findings row of *entry* (a full analysis' dict, read strictly)."""
    analysis = text.analysis_of(entry)
    excluded = set(analysis.excluded)
    used = rows[~rows["study_id"].astype(str).isin(excluded)]
    participants = int(used["ivig_total"].sum() + used["control_total"].sum())
    n_control = int(used["control_total"].sum())
    control_risk = float(used["control_improved"].sum()) / n_control if n_control else None
    model = analysis.headline_model
    pooled = analysis.headline()
    measure = analysis.measure
    ab = None
    if control_risk is not None and not text.missing(pooled.estimate):
        ab = absolute_effect(
            measure, pooled.estimate, pooled.ci_low, pooled.ci_high, control_risk
        ).to_dict()
    lo, hi = _finite(pooled.ci_low), _finite(pooled.ci_high)
    excludes_null = lo is not None and hi is not None and (lo > 1 or hi < 1)
    sg = analysis.subgroups if disease == "all" else None
    tb = to_json(sg.test_between) if sg is not None else {}
    cert = row_certainty(
        rows=used,
        analysis=analysis,
        pooled=pooled,
        participants=participants,
        control_risk=control_risk,
        subgroup_p=_finite(tb.get("p")) if disease == "all" else None,
        overrides=overrides.get((comparison, disease)),
    )
    outcome_types = sorted({str(t) for t in used["outcome_type"]})
    return {
        "disease": disease,
        "diseases": sorted({str(d) for d in used["disease"]}),
        "k": analysis.k,
        "participants": participants,
        "studies": [str(s) for s in used["study_id"]],
        "outcome_types": outcome_types,
        "outcomes": [
            {
                "study_id": str(r.study_id),
                "population": None if r.population is pd.NA else str(r.population),
                "definition": None if r.outcome_definition is pd.NA else str(r.outcome_definition),
                "timepoint": None if r.timepoint is pd.NA else str(r.timepoint),
            }
            for r in used.itertuples(index=False)
        ],
        "measure": measure,
        "model": model,
        "estimate": pooled.estimate,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
        "p": pooled.p,
        "i2": analysis.heterogeneity.i2 if analysis.k > 1 else None,
        "pi_low": analysis.random.pi_low,
        "pi_high": analysis.random.pi_high,
        "control_risk": control_risk,
        "control_risk_source": "the control arms of this row's trials",
        "absolute": ab,
        "nnt_meaningful": bool(excludes_null),
        "nnt_note": None
        if excludes_null
        else "no NNT: the confidence interval includes no difference",
        "test_between": tb if disease == "all" else None,
        "certainty": cert.to_dict(),
    }


def findings(
    comparison: str,
    rows: pd.DataFrame,
    entry: dict,
    analyse,
    overrides: dict,
) -> list[dict]:
    """Summary-of-findings rows of one comparison: per disease, then the across-disease pool.

    Parameters
    ----------
    comparison : str
    rows : pandas.DataFrame
        The comparison's primary-analysis rows (``analysis.evidence.studies.primary``).
    entry : dict
        The comparison's primary analysis (``MetaAnalysis.to_dict()``, by disease).
    analyse : callable
        ``analyse(rows) -> dict | None``: the primary analysis of a subset, without subgroups.
    overrides : dict
        ``analysis.evidence.certainty_file.read_overrides`` output.
    """
    out = []
    diseases = sorted({str(d) for d in rows["disease"]})
    for d in diseases:
        part = rows[rows["disease"].astype(str) == d].reset_index(drop=True)
        res = analyse(part)
        if res is None:
            continue
        out.append(_row(comparison, d, part, res, overrides))
    if len(diseases) > 1:
        out.append(_row(comparison, "all", rows, entry, overrides))
    return out


def ordered(found: Any) -> list[dict]:
    """Summary-of-findings rows in reading order (diseases by code, the pool ``all`` last).

    Accepts the bundle's mapping (disease code -> row; JSON sorts its keys) or a list.
    """
    rows = list(found.values()) if isinstance(found, dict) else list(found or [])
    return sorted(rows, key=lambda r: (r["disease"] == "all", r["disease"]))


# --------------------------------------------------------------------------- wording


def plain_language(row: dict, comparator_label: str) -> str:
    """One plain-language sentence for a row, in GRADE's standard wording (Markdown-safe).

    Names the outcome and the population. The point estimate against the thresholds of an
    important effect (RR 1.25 and 0.75) chooses "increases", "reduces" or "makes little or
    no difference to"; the certainty chooses the modal ("probably", "may", "we are
    uncertain whether"), following Santesso et al. (2020), GRADE guidelines 26.
    """
    label = row["certainty"]["label"]
    types = row["outcome_types"]
    if len(types) == 1:
        phrase = OUTCOME_PHRASES.get(types[0], types[0].replace("_", " "))
    else:
        phrase = "the number of patients who improve or respond (as each trial defined it)"
    if row["disease"] == "all":
        names = [text.disease_prose(d) for d in row["diseases"]]
        who = "people with " + ", ".join(names[:-1]) + " or " + names[-1] + ", taken together"
    else:
        who = "people with " + text.disease_prose(row["disease"])
    comp = comparator_label.lower()
    lo, hi, est = _finite(row["ci_low"]), _finite(row["ci_high"]), _finite(row["estimate"])
    if est is None or lo is None or hi is None:
        return (
            f"We cannot say whether IVIG changes {phrase} in {who} compared with {comp}: "
            "the effect could not be estimated."
        )
    # the point estimate against the thresholds of an important effect chooses the verb;
    # the confidence interval enters through the certainty (imprecision) (Santesso 2020)
    low_t, high_t = grade.THRESHOLDS
    if est >= high_t:
        third, base = "increases", "increase"
    elif est <= low_t:
        third, base = "reduces", "reduce"
    else:
        third, base = "makes little or no difference to", "make little or no difference to"
    if label == "very_low":
        verb = {"increases": "increases", "reduces": "reduces"}.get(third, "changes")
        return (
            f"We are uncertain whether IVIG {verb} {phrase} in {who} compared with {comp}: "
            "the certainty of the evidence is very low."
        )
    verb = {"high": third, "moderate": "probably " + third, "low": "may " + base}[label]
    return f"In {who}, IVIG {verb} {phrase} compared with {comp} ({label} certainty)."
