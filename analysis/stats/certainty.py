r"""Certainty of evidence (GRADE): rules that propose a rating for each of the five domains.

Evidence from randomised trials starts at *high* certainty and is rated down one level for
each *serious* and two for each *very serious* concern in five domains (Guyatt et al. 2008;
2011): risk of bias, inconsistency, indirectness, imprecision and publication bias. The
rules below turn the data into a *proposal* for each domain; a reviewer's judgement (read
from ``data/certainty.csv`` by :mod:`analysis.evidence.certainty_file`) replaces the
proposal with :func:`apply_overrides`, and every domain records whether its rating came
from a rule or from a reviewer.

Pure: arrays and numbers in, frozen dataclasses out. No rating is ever invented: a domain
the rules cannot judge says so (``rating = "not_assessable"``, no downgrade) with a reason.

Public API
----------
risk_of_bias(weights, rob) -> Domain
inconsistency(k, i2, ci_low, ci_high, pi_low, pi_high, subgroup_p) -> Domain
indirectness(weights, diseases, indirect, outcome_indirect) -> Domain
imprecision(ci_low, ci_high, participants, control_risk) -> Domain
publication_bias(k, small_study_p, missing) -> Domain
missing_evidence(k_analysed, n_identified, participants_analysed, participants_awaiting,
                 awaiting) -> MissingEvidence
information_size(control_risk, rrr, alpha, power) -> InformationSize | None
optimal_information_size(control_risk, rrr, alpha, power) -> float | None
rate(domains) -> Certainty
apply_overrides(certainty, overrides) -> Certainty

References
----------
Guyatt GH, Oxman AD, Vist GE, et al. (2008). GRADE: an emerging consensus on rating quality
of evidence and strength of recommendations. BMJ 336:924-926.
Guyatt G, Oxman AD, Akl EA, et al. (2011). GRADE guidelines: 1. Introduction. J Clin
Epidemiol 64:383-394 (and the series' papers on each domain).
Sterne JAC, Savović J, Page MJ, et al. (2019). RoB 2. BMJ 366:l4898.
Wetterslev J, Thorlund K, Brok J, Gluud C (2008). Trial sequential analysis may establish
when firm evidence is reached in cumulative meta-analysis. J Clin Epidemiol 61:64-75.
Deeks JJ, Higgins JPT, Altman DG (2023). Chapter 10, Cochrane Handbook, version 6.4.
Guyatt GH, Oxman AD, Montori V, et al. (2011). GRADE guidelines: 5. Rating the quality of
evidence - publication bias. J Clin Epidemiol 64:1277-1282.
Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines: 6. Rating the quality of
evidence - imprecision. J Clin Epidemiol 64:1283-1293.
Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines: 8. Rating the quality of
evidence - indirectness. J Clin Epidemiol 64:1303-1310.
Page MJ, Sterne JAC, Boutron I, et al. (2023). ROB-ME: a tool for assessing risk of bias due
to missing evidence in systematic reviews with meta-analysis. BMJ 383:e076754.
Schünemann HJ, Neumann I, Hultcrantz M, et al. (2022). GRADE guidance 35: update on rating
imprecision for assessing contextualized certainty of evidence and making decisions. J Clin
Epidemiol 150:225-242.
Sterne JAC, Sutton AJ, Ioannidis JPA, et al. (2011). Recommendations for examining and
interpreting funnel plot asymmetry in meta-analyses of randomised controlled trials. BMJ
343:d4002.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol, TypeGuard

import numpy as np
from scipy import stats

from analysis.stats.result_json import JsonResult
from analysis.vocabulary import GRADE_DOMAINS, GRADE_RATINGS

__all__ = [
    "DOMAINS",
    "LEVELS",
    "RATINGS",
    "THRESHOLDS",
    "Certainty",
    "Domain",
    "InformationSize",
    "MissingEvidence",
    "Override",
    "apply_overrides",
    "imprecision",
    "inconsistency",
    "indirectness",
    "information_size",
    "missing_evidence",
    "optimal_information_size",
    "publication_bias",
    "rate",
    "risk_of_bias",
]

#: the five GRADE domains, in the order of an evidence profile
DOMAINS = GRADE_DOMAINS

#: domain ratings and the levels each takes off
RATINGS = dict(zip(GRADE_RATINGS, (0, 1, 2, 0), strict=True))

#: certainty levels (4 = high) with GRADE's words and symbols
LEVELS = {
    4: ("high", "⊕⊕⊕⊕"),
    3: ("moderate", "⊕⊕⊕◯"),
    2: ("low", "⊕⊕◯◯"),
    1: ("very_low", "⊕◯◯◯"),
}

#: appreciable benefit and harm on the risk-ratio scale (GRADE's default, RRR 25 %)
THRESHOLDS = (0.75, 1.25)

#: I² (per cent) above which heterogeneity counts as substantial (Cochrane Handbook 10.10.2)
I2_SERIOUS = 50.0
#: I² above which heterogeneity counts as considerable
I2_VERY_SERIOUS = 75.0
#: p-value below which a test for subgroup differences counts as a signal (Handbook 10.11.3)
SUBGROUP_P = 0.10
#: trials needed before a small-study test is interpreted (Handbook 13.3.5.4)
MIN_K_SMALL_STUDY = 10
#: p-value below which a small-study test suggests publication bias
SMALL_STUDY_P = 0.10
#: share of the identified evidence without results at which missing evidence is serious (a
#: quarter; the protocol's minimum is "the analysed trials a minority"), and very serious
#: (three quarters: the analysed trials hold a quarter or less of what is known to exist);
#: a project rule, after GRADE guidelines 5 and ROB-ME
MISSING_SERIOUS = 0.25
MISSING_VERY_SERIOUS = 0.75
#: a large effect on the risk-ratio scale (GRADE: RR above 2 or below 0.5)
LARGE_EFFECT = (0.5, 2.0)
#: participants below this fraction of the optimal information size are "far" from it
OIS_FAR = 0.5
#: what a certainty carries when trials' risk of bias has not been assessed
PROVISIONAL_ROB = "provisional: risk of bias not yet assessed"


@dataclass(frozen=True)
class Domain(JsonResult):
    """One GRADE domain's rating.

    Written and read by the results' codec (:mod:`analysis.stats.result_json`), with
    :attr:`downgrade` written beside the fields (``JSON_PROPERTIES``): it is a function of
    ``rating``, so it stays a property that cannot disagree with it, and the reader checks
    the written value against it.

    Attributes
    ----------
    domain : str
        One of :data:`DOMAINS`.
    rating : str
        One of :data:`RATINGS` (``not_serious``, ``serious``, ``very_serious``,
        ``not_assessable``).
    reason : str
        Why: the figures the rule used, or the reviewer's rationale.
    source : str
        ``rule`` (proposed from the data) or ``reviewer`` (a recorded judgement).
    reviewer : str or None
        Who judged it, for ``source == "reviewer"``.
    rule_rating : str or None
        The rule's proposal, kept when a reviewer replaced it.
    provisional : str or None
        Why the rating can still change without new trials (e.g. risk of bias not yet
        assessed), shown beside the certainty; None when it rests on completed judgements.
    """

    domain: str
    rating: str
    reason: str
    source: str = "rule"
    reviewer: str | None = None
    rule_rating: str | None = None
    provisional: str | None = None

    JSON_PROPERTIES: ClassVar[tuple[str, ...]] = ("downgrade",)

    @property
    def downgrade(self) -> int:
        """Levels this domain takes off (0, 1 or 2)."""
        return RATINGS[self.rating]


@dataclass(frozen=True)
class Certainty(JsonResult):
    """The certainty of one body of evidence.

    Written and read by the results' codec (:mod:`analysis.stats.result_json`): the fields,
    then :attr:`judged` and :attr:`provisional` (``JSON_PROPERTIES``). Those two are
    functions of the domains, so they stay properties rather than fields set at
    construction (a field could be built to contradict the domains); they are written so
    that a reader of the JSON (the chapters, the results diff of an older bundle) need not
    recompute them, and the codec's reader checks them against the domains.

    Attributes
    ----------
    level : int
        4 high, 3 moderate, 2 low, 1 very low (:data:`LEVELS`).
    label : str
        ``high``, ``moderate``, ``low`` or ``very_low``.
    symbols : str
        GRADE's symbols, e.g. ``⊕⊕◯◯``.
    domains : tuple of Domain
        The five domains in :data:`DOMAINS` order.
    """

    level: int
    label: str
    symbols: str
    domains: tuple[Domain, ...]

    JSON_PROPERTIES: ClassVar[tuple[str, ...]] = ("judged", "provisional")

    @property
    def downgrades(self) -> tuple[Domain, ...]:
        """The domains that lowered the certainty (the footnotes of a summary of findings)."""
        return tuple(d for d in self.domains if d.downgrade > 0)

    @property
    def judged(self) -> bool:
        """True when at least one domain carries a reviewer's judgement."""
        return any(d.source == "reviewer" for d in self.domains)

    @property
    def provisional(self) -> str | None:
        """Why the rating is provisional (the domains' notes joined), or None."""
        notes = list(dict.fromkeys(d.provisional for d in self.domains if d.provisional))
        return "; ".join(notes) if notes else None


@dataclass(frozen=True)
class Override:
    """A reviewer's judgement of one domain (one row of ``data/certainty.csv``)."""

    domain: str
    rating: str
    rationale: str
    reviewer: str


class Judgement(Protocol):
    """What :func:`apply_overrides` reads of a judgement: an :class:`Override`, or the
    record :mod:`analysis.evidence.certainty_file` reads from ``data/certainty.csv``."""

    @property
    def domain(self) -> str: ...
    @property
    def rating(self) -> str: ...
    @property
    def rationale(self) -> str: ...
    @property
    def reviewer(self) -> str: ...


def _finite(x: object) -> TypeGuard[float]:
    """True for a finite int or float (not None, NaN or infinite); narrows the type for mypy."""
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def _pct(x: float) -> str:
    return f"{x:.0f} %"


# --------------------------------------------------------------------------- domains


def risk_of_bias(weights: Sequence[float], rob: Sequence[str | None]) -> Domain:
    """Risk of bias from each trial's overall RoB 2 judgement, weighted by its meta-analysis weight.

    A trial counts as *low* only when judged low; ``some_concerns``, ``high`` and
    ``not_assessed`` (or blank) all count against the body of evidence, since an unassessed
    trial cannot be shown to be at low risk (Sterne et al. 2019; GRADE's rule to judge the
    trials that contribute most of the information). Rated very serious when trials at high
    risk carry at least half the weight, serious when trials not at low risk carry at least
    half, else not serious.

    A rating that rests on trials nobody has assessed is *provisional*
    (:data:`PROVISIONAL_ROB`, shown beside the certainty): the reason then says what was
    not assessed and never states the share of weight "at high risk", which would read as
    reassurance when nothing was judged.
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or w.size != len(rob):
        raise ValueError("risk_of_bias: one weight per trial is needed")
    w = w / w.sum()
    j = [str(r).strip().lower() if r is not None else "not_assessed" for r in rob]
    j = ["not_assessed" if r in ("", "nan", "none", "<na>") else r for r in j]
    high = float(w[[r == "high" for r in j]].sum()) * 100
    unassessed = float(w[[r == "not_assessed" for r in j]].sum()) * 100
    not_low = float(w[[r != "low" for r in j]].sum()) * 100
    n_na = sum(r == "not_assessed" for r in j)
    if high >= 50:
        rating = "very_serious"
    elif not_low >= 50:
        rating = "serious"
    else:
        rating = "not_serious"
    if n_na == len(j):
        reason = (
            "risk of bias not yet assessed: no trial of this result has an overall RoB 2 "
            "judgement, so the evidence cannot be shown to be at low risk; rated down one level "
            "until it is assessed"
        )
        return Domain("risk_of_bias", rating, reason, provisional=PROVISIONAL_ROB)
    parts = []
    if n_na:
        parts.append(
            f"{n_na} of {len(j)} trials have no overall RoB 2 judgement yet "
            f"({_pct(unassessed)} of the weight)"
        )
    n_high = sum(r == "high" for r in j)
    parts.append(
        f"{n_high} assessed trial{'s' if n_high != 1 else ''} at high risk "
        f"({_pct(high)} of the weight)"
    )
    parts.append(f"trials not judged at low risk carry {_pct(not_low)} of the weight")
    provisional = (
        f"{PROVISIONAL_ROB} for {n_na} of {len(j)} trials" if n_na and unassessed >= 50 else None
    )
    return Domain("risk_of_bias", rating, "; ".join(parts), provisional=provisional)


def inconsistency(
    k: int,
    i2: float | None,
    ci_low: float | None,
    ci_high: float | None,
    pi_low: float | None,
    pi_high: float | None,
    subgroup_p: float | None,
    null: float = 1.0,
) -> Domain:
    """Inconsistency from I², the prediction interval and the test for subgroup differences.

    Three signals (Cochrane Handbook 10.10.2 and 10.11.3; GRADE's inconsistency guidance):
    I² ≥ 50 %; a prediction interval that includes the null while the confidence interval
    does not (a new trial could show no effect or the opposite); a test for subgroup
    differences with p < 0.10. One signal, or two, rates serious; I² ≥ 75 % together with
    another signal rates very serious. A single trial cannot show inconsistency
    (``not_assessable``, no downgrade).
    """
    if k < 2:
        return Domain(
            "inconsistency", "not_assessable", "a single trial: inconsistency cannot be assessed"
        )
    signals = []
    if _finite(i2) and i2 >= I2_SERIOUS:
        signals.append(f"I² = {_pct(i2)}")
    ci_excludes = _finite(ci_low) and _finite(ci_high) and (ci_low > null or ci_high < null)
    pi_includes = _finite(pi_low) and _finite(pi_high) and pi_low <= null <= pi_high
    if ci_excludes and pi_includes:
        signals.append(
            f"the 95 % prediction interval ({pi_low:.2f} to {pi_high:.2f}) includes no effect "
            "while the confidence interval does not"
        )
    if _finite(subgroup_p) and subgroup_p < SUBGROUP_P:
        signals.append(f"the test for subgroup differences gives p = {subgroup_p:.2g}")
    if not signals:
        i2_text = f"I² = {_pct(i2)}" if _finite(i2) else "I² not computed"
        return Domain(
            "inconsistency",
            "not_serious",
            f"{i2_text}; no prediction interval or subgroup difference signals inconsistency",
        )
    very = _finite(i2) and i2 >= I2_VERY_SERIOUS and len(signals) >= 2
    return Domain("inconsistency", "very_serious" if very else "serious", "; ".join(signals))


def indirectness(
    weights: Sequence[float],
    diseases: Sequence[str],
    indirect: Sequence[str | None],
    outcome_indirect: Sequence[str | None] | None = None,
) -> Domain:
    """Indirectness of population and of outcome, from the register's fields.

    Three sources of indirectness are judged (GRADE guidelines 8, Guyatt et al. 2011):

    - a pool of more than one disease answers no single clinical question (its populations
      and outcome definitions differ);
    - trials whose *population* is narrower than the question's (``indirect[i]``, the reason,
      None when direct) carrying at least half the weight;
    - trials whose *outcome* is indirect (``outcome_indirect[i]``: a secondary outcome of the
      trial, or "improved" without a stated definition) carrying at least half the weight.

    One source rates serious, two or more very serious. A flag in less than half the weight
    is named in the reason without rating down.
    """
    w = np.asarray(weights, dtype=float)
    outcome_indirect = list(outcome_indirect) if outcome_indirect is not None else [None] * w.size
    if w.size == 0 or not (w.size == len(diseases) == len(indirect) == len(outcome_indirect)):
        raise ValueError("indirectness: one weight, disease and flag per trial is needed")
    w = w / w.sum()
    concerns: list[str] = []
    minor: list[str] = []
    distinct = sorted(set(diseases))
    if len(distinct) > 1:
        concerns.append(
            f"pools {len(distinct)} diseases with different outcome definitions; "
            "the pooled effect applies to no single population"
        )
    for flags, what in ((indirect, "population"), (outcome_indirect, "outcome")):
        flagged = [i for i, r in enumerate(flags) if r]
        if not flagged:
            continue
        share = float(w[flagged].sum()) * 100
        reasons = "; ".join(sorted({str(flags[i]) for i in flagged}))
        text = f"{what}: trials carrying {_pct(share)} of the weight: {reasons}"
        (concerns if share >= 50 else minor).append(text)
    if not concerns:
        base = "one population" if len(distinct) == 1 else ""
        detail = (
            "; ".join(minor) + " (less than half the weight, not rated down)"
            if minor
            else "no trial's outcome or population is flagged as indirect"
        )
        return Domain("indirectness", "not_serious", f"{base}; {detail}" if base else detail)
    rating = "very_serious" if len(concerns) >= 2 else "serious"
    return Domain("indirectness", rating, "; ".join(concerns + minor))


@dataclass(frozen=True)
class InformationSize:
    """The optimal information size of an outcome, with what it was computed on.

    Attributes
    ----------
    n : float
        Participants (both arms) a single adequately powered trial would need.
    p0, p1 : float
        The control risk of the outcome as worded and the risk it is powered to detect.
    direction : str
        ``increase`` or ``reduction`` (of the outcome as worded).
    rrr : float
        The relative change detected.
    """

    n: float
    p0: float
    p1: float
    direction: str
    rrr: float

    def describe(self, outcome: str = "the outcome") -> str:
        """``a 25 % relative increase in improvement, from 18 % to 23 %``."""
        return (
            f"a {self.rrr * 100:.0f} % relative {self.direction} in {outcome}, "
            f"from {self.p0 * 100:.0f} % to {self.p1 * 100:.0f} %"
        )


def information_size(
    control_risk: float | None, rrr: float = 0.25, alpha: float = 0.05, power: float = 0.80
) -> InformationSize | None:
    r"""Optimal information size on the outcome *as worded* (both arms).

    :math:`N = 2 (z_{1-\alpha/2} + z_{1-\beta})^2 [p_0(1-p_0) + p_1(1-p_1)] / (p_1 - p_0)^2`
    with :math:`p_1 = p_0 (1 + \mathrm{RRR})` for a desirable outcome such as improvement
    (Wetterslev et al. 2008; GRADE guidelines 6, Guyatt et al. 2011). When the control risk
    is so high that this increase is impossible (:math:`p_1 \ge 1`), the size is the one to
    detect the same relative *reduction* of the same outcome, :math:`p_1 = p_0 (1 -
    \mathrm{RRR})`: it stays computed on the outcome the summary of findings names
    (improvement), never silently on its complement. None when the control risk is
    missing, 0 or 1.
    """
    if not _finite(control_risk) or not 0 < control_risk < 1:
        return None
    p0 = float(control_risk)
    p1, direction = p0 * (1 + rrr), "increase"
    if p1 >= 1:
        p1, direction = p0 * (1 - rrr), "reduction"
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    n = float(2 * z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p1 - p0) ** 2)
    return InformationSize(n, p0, p1, direction, rrr)


def optimal_information_size(
    control_risk: float | None, rrr: float = 0.25, alpha: float = 0.05, power: float = 0.80
) -> float | None:
    """:func:`information_size`'s number of participants (None when it cannot be computed)."""
    size = information_size(control_risk, rrr, alpha, power)
    return None if size is None else size.n


def imprecision(
    ci_low: float | None,
    ci_high: float | None,
    participants: int,
    control_risk: float | None,
    thresholds: tuple[float, float] = THRESHOLDS,
    outcome: str = "improvement",
) -> Domain:
    """Imprecision from the CI of the risk ratio, thresholds and the information size.

    GRADE guidelines 6 (Guyatt et al. 2011) and GRADE guidance 35 (Schünemann et al. 2022),
    with thresholds of appreciable harm and benefit (default RR 0.75 and 1.25), of a large
    effect (:data:`LARGE_EFFECT`, RR 0.5 and 2) and the optimal information size (OIS,
    :func:`information_size`: RRR 25 %, alpha 0.05, power 0.80, on the outcome as worded):

    - very serious (two levels) when the CI includes both appreciable harm and appreciable
      benefit; or when it includes no effect *and* a large effect while the participants are
      far from the OIS (fewer than :data:`OIS_FAR` of it): the data are compatible with
      anything from no effect to a large one, from a small body of evidence;
    - serious when the CI includes no effect and one appreciable effect, or when the CI
      excludes no effect but the participants are fewer than the OIS;
    - not serious otherwise. A CI that cannot be computed rates very serious.
    """
    lo_t, hi_t = thresholds
    if not (_finite(ci_low) and _finite(ci_high)):
        return Domain("imprecision", "very_serious", "the confidence interval cannot be computed")
    ci = f"95 % CI {ci_low:.2f} to {ci_high:.2f}"
    if ci_low < lo_t and ci_high > hi_t:
        return Domain(
            "imprecision",
            "very_serious",
            f"the {ci} includes both appreciable harm (RR {lo_t}) "
            f"and appreciable benefit (RR {hi_t})",
        )
    size = information_size(control_risk)
    ois = f"the optimal information size of {math.ceil(size.n)}" if size is not None else ""
    basis = (
        f"the size of a trial that detects {size.describe(outcome)}, with power 0.80 at "
        "two-sided alpha 0.05"
        if size is not None
        else ""
    )
    includes_null = ci_low <= 1 <= ci_high
    if includes_null and (ci_low < lo_t or ci_high > hi_t):
        large_lo, large_hi = LARGE_EFFECT
        side = (
            f"appreciable benefit (RR {hi_t})"
            if ci_high > hi_t
            else f"appreciable harm (RR {lo_t})"
        )
        spans_large = ci_high >= large_hi or ci_low <= large_lo
        if spans_large and size is not None and participants < OIS_FAR * size.n:
            large = f"RR {large_hi:g}" if ci_high >= large_hi else f"RR {large_lo:g}"
            return Domain(
                "imprecision",
                "very_serious",
                f"the {ci} includes both no effect and a large effect ({large}), and "
                f"{participants} participants are far from {ois} (fewer than "
                f"{OIS_FAR * 100:.0f} % of it; {basis})",
            )
        return Domain("imprecision", "serious", f"the {ci} includes no effect and {side}")
    if size is None:
        return Domain(
            "imprecision",
            "not_serious",
            f"the {ci} excludes appreciable harm or benefit; the optimal information size "
            "cannot be computed without a control risk between 0 and 1",
        )
    if participants < size.n:
        return Domain(
            "imprecision", "serious", f"{participants} participants, fewer than {ois} ({basis})"
        )
    return Domain(
        "imprecision",
        "not_serious",
        f"the {ci} and {participants} participants meet {ois} ({basis})",
    )


@dataclass(frozen=True)
class MissingEvidence:
    """Known missing evidence of one comparison and disease: trials identified whose results
    for the outcome are not available to the synthesis (the numbers the completeness line
    "k of n identified trials" states, with the trials awaiting counts).

    Attributes
    ----------
    k_analysed, n_identified : int
        Trials in the analysis, and trials identified for this comparison and disease.
    n_awaiting : int
        Identified trials awaiting results for this outcome (no counts yet). Identified
        trials neither analysed nor awaiting (they report another outcome type only,
        analysed separately) are not missing evidence for this outcome.
    participants_analysed : int or None
        Randomised participants in the analysed trials.
    participants_awaiting : int or None
        Randomised participants in the trials awaiting results, when every one's size is
        known (else None: the share is then counted in trials).
    awaiting : tuple of str
        The trials awaiting results (for the reason).
    share : float
        The share of the evidence that could be analysed which is missing (0 to 1): in
        participants when they are all known, else in trials,
        ``n_awaiting / (k_analysed + n_awaiting)``.
    basis : str
        ``participants`` or ``trials``.
    """

    k_analysed: int
    n_identified: int
    n_awaiting: int
    participants_analysed: int | None
    participants_awaiting: int | None
    awaiting: tuple[str, ...]
    share: float
    basis: str


def missing_evidence(
    k_analysed: int,
    n_identified: int,
    participants_analysed: int | None = None,
    participants_awaiting: int | None = None,
    awaiting: Sequence[str] | None = None,
) -> MissingEvidence:
    """The share of the evidence known to exist that is missing from a synthesis.

    ``awaiting`` names the identified trials still awaiting results for the outcome (None:
    every identified trial not analysed). The share is counted in randomised participants
    when the analysed trials' participants and every awaiting trial's size are known
    (``participants_awaiting``), since a large missing trial matters more than a small one
    (ROB-ME, Page et al. 2023); otherwise in trials, ``n_awaiting / (k_analysed +
    n_awaiting)``.
    """
    if n_identified < k_analysed or k_analysed < 0:
        raise ValueError("missing_evidence: need 0 <= k_analysed <= n_identified")
    ids = tuple(str(a) for a in awaiting) if awaiting is not None else ()
    n_awaiting = len(ids) if awaiting is not None else n_identified - k_analysed
    if k_analysed + n_awaiting > n_identified:
        raise ValueError("missing_evidence: more trials analysed and awaiting than identified")
    if n_awaiting == 0:
        share, basis = 0.0, "trials"
    elif (
        participants_awaiting is not None
        and participants_analysed is not None
        and participants_awaiting + participants_analysed > 0
    ):
        share = participants_awaiting / (participants_awaiting + participants_analysed)
        basis = "participants"
    else:
        share, basis = n_awaiting / (k_analysed + n_awaiting), "trials"
    return MissingEvidence(
        k_analysed,
        n_identified,
        n_awaiting,
        participants_analysed,
        participants_awaiting,
        ids,
        float(share),
        basis,
    )


def _missing_rating(m: MissingEvidence) -> tuple[str, str]:
    """The missing-evidence signal: rating and reason (see :func:`publication_bias`)."""
    if m.n_awaiting == 0:
        return (
            "not_serious",
            f"no identified trial awaits results ({m.k_analysed} of "
            f"{m.n_identified} identified trial{'s' if m.n_identified != 1 else ''} analysed)",
        )
    ids = f" ({', '.join(m.awaiting)})" if m.awaiting else ""
    trials = f"{m.n_awaiting} identified trial{'s' if m.n_awaiting != 1 else ''}"
    if m.basis == "participants" and m.participants_awaiting is not None:
        total = m.participants_awaiting + (m.participants_analysed or 0)
        share = f"{m.participants_awaiting} of {total} randomised participants"
    else:
        share = f"of {m.k_analysed + m.n_awaiting} trials that could be analysed"
    text = (
        f"known missing evidence: {trials} {'have' if m.n_awaiting != 1 else 'has'} no "
        f"results for this outcome yet{ids}, {_pct(m.share * 100)} {share}"
        if m.basis == "trials"
        else f"known missing evidence: {trials} with no results for this outcome yet{ids} "
        f"hold {share} ({_pct(m.share * 100)})"
    )
    if m.share >= MISSING_VERY_SERIOUS:
        return "very_serious", text + "; the analysed trials hold a quarter or less of it"
    if m.share >= MISSING_SERIOUS:
        return "serious", text
    return "not_serious", text + f" (less than {_pct(MISSING_SERIOUS * 100)}, not rated down)"


def publication_bias(
    k: int, small_study_p: float | None, missing: MissingEvidence | None = None
) -> Domain:
    """Publication bias, or more broadly bias due to missing evidence, from two signals.

    **Known missing evidence** (GRADE guidelines 5, Guyatt et al. 2011; ROB-ME, Page et al.
    2023): trials identified for this comparison and disease whose results for the outcome
    are not available (no counts yet, or the outcome not reported in a form that can be
    analysed). With ``share`` the part of the evidence that could be analysed they hold
    (:func:`missing_evidence`: participants when every size is known, else trials): at least
    :data:`MISSING_SERIOUS` (a quarter) rates serious; at least :data:`MISSING_VERY_SERIOUS`
    (the analysed trials hold a quarter or less of the evidence known to exist) very serious;
    less, not serious. The thresholds are this project's rule, stated in the Methods; they
    meet the protocol's minimum (rated down when the analysed trials are a minority).

    **Small-study effects**: only with at least 10 trials (Cochrane Handbook 13.3.5.4;
    Sterne et al. 2011), Egger's test p < 0.10 rates serious. With fewer trials the tests
    have too little power to tell chance from asymmetry and are not used.

    The domain takes the more serious of the two. Without either signal (fewer than 10
    trials and no completeness known), ``not_assessable``, no downgrade, and the reason
    says so.
    """
    ratings: list[tuple[str, str]] = []
    if missing is not None:
        ratings.append(_missing_rating(missing))
    if k < MIN_K_SMALL_STUDY:
        small = (
            "not_assessable",
            f"{k} trial{'s' if k != 1 else ''}: tests for small-study effects need at least "
            f"{MIN_K_SMALL_STUDY}",
        )
    elif not _finite(small_study_p):
        small = ("not_assessable", "the small-study test could not be computed")
    else:
        small = (
            "serious" if small_study_p < SMALL_STUDY_P else "not_serious",
            f"Egger's test for small-study effects p = {small_study_p:.2g}",
        )
    ratings.append(small)
    judged = [r for r in ratings if r[0] != "not_assessable"]
    if not judged:
        return Domain("publication_bias", "not_assessable", small[1])
    rating = max(judged, key=lambda r: RATINGS[r[0]])[0]
    return Domain("publication_bias", rating, "; ".join(r[1] for r in ratings))


# --------------------------------------------------------------------------- overall


def rate(domains: Iterable[Domain]) -> Certainty:
    """Overall certainty: high (randomised trials) less the downgrades, at least very low."""
    by = {d.domain: d for d in domains}
    missing = [name for name in DOMAINS if name not in by]
    if missing:
        raise ValueError(f"rate: domains missing: {', '.join(missing)}")
    ordered = tuple(by[name] for name in DOMAINS)
    level = max(1, 4 - sum(d.downgrade for d in ordered))
    label, symbols = LEVELS[level]
    return Certainty(level, label, symbols, ordered)


def apply_overrides(certainty: Certainty, overrides: Mapping[str, Judgement]) -> Certainty:
    """Replace rule-based domains with a reviewer's judgement (keyed by domain) and re-rate."""
    unknown = sorted(set(overrides) - set(DOMAINS))
    if unknown:
        raise ValueError(f"apply_overrides: unknown domain {unknown[0]!r}")
    out = []
    for d in certainty.domains:
        o = overrides.get(d.domain)
        if o is None:
            out.append(d)
            continue
        if o.rating not in RATINGS:
            raise ValueError(f"apply_overrides: unknown rating {o.rating!r}")
        out.append(
            replace(
                d,
                rating=o.rating,
                reason=o.rationale,
                source="reviewer",
                reviewer=o.reviewer,
                rule_rating=d.rating,
                provisional=None,
            )
        )
    return rate(out)
