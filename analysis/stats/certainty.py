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
indirectness(weights, diseases, indirect) -> Domain
imprecision(ci_low, ci_high, participants, control_risk) -> Domain
publication_bias(k, small_study_p) -> Domain
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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeGuard

import numpy as np
from scipy import stats

from analysis.vocabulary import GRADE_DOMAINS, GRADE_RATINGS

__all__ = [
    "DOMAINS",
    "LEVELS",
    "RATINGS",
    "THRESHOLDS",
    "Certainty",
    "Domain",
    "Override",
    "apply_overrides",
    "imprecision",
    "inconsistency",
    "indirectness",
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


@dataclass(frozen=True)
class Domain:
    """One GRADE domain's rating.

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
    """

    domain: str
    rating: str
    reason: str
    source: str = "rule"
    reviewer: str | None = None
    rule_rating: str | None = None

    @property
    def downgrade(self) -> int:
        """Levels this domain takes off (0, 1 or 2)."""
        return RATINGS[self.rating]


@dataclass(frozen=True)
class Certainty:
    """The certainty of one body of evidence.

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

    @property
    def downgrades(self) -> tuple[Domain, ...]:
        """The domains that lowered the certainty (the footnotes of a summary of findings)."""
        return tuple(d for d in self.domains if d.downgrade > 0)

    @property
    def judged(self) -> bool:
        """True when at least one domain carries a reviewer's judgement."""
        return any(d.source == "reviewer" for d in self.domains)

    def to_dict(self) -> dict:
        """JSON-ready form (domains as a list of dicts, with their downgrade)."""
        return {
            "level": self.level,
            "label": self.label,
            "symbols": self.symbols,
            "judged": self.judged,
            "domains": [
                {
                    "domain": d.domain,
                    "rating": d.rating,
                    "downgrade": d.downgrade,
                    "reason": d.reason,
                    "source": d.source,
                    "reviewer": d.reviewer,
                    "rule_rating": d.rule_rating,
                }
                for d in self.domains
            ],
        }


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
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or w.size != len(rob):
        raise ValueError("risk_of_bias: one weight per trial is needed")
    w = w / w.sum()
    j = [str(r).strip().lower() if r is not None else "not_assessed" for r in rob]
    j = ["not_assessed" if r in ("", "nan", "none") else r for r in j]
    high = float(w[[r == "high" for r in j]].sum()) * 100
    unassessed = float(w[[r == "not_assessed" for r in j]].sum()) * 100
    not_low = float(w[[r != "low" for r in j]].sum()) * 100
    n_na = sum(r == "not_assessed" for r in j)
    parts = [
        f"{n_na} of {len(j)} trials have no overall RoB 2 judgement "
        f"({_pct(unassessed)} of the weight)"
        if n_na
        else f"all {len(j)} trials have an overall RoB 2 judgement",
        f"trials at high risk carry {_pct(high)} of the weight",
        f"trials not judged at low risk carry {_pct(not_low)}",
    ]
    if high >= 50:
        rating = "very_serious"
    elif not_low >= 50:
        rating = "serious"
    else:
        rating = "not_serious"
    return Domain("risk_of_bias", rating, "; ".join(parts))


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
    weights: Sequence[float], diseases: Sequence[str], indirect: Sequence[str | None]
) -> Domain:
    """Indirectness from the population and outcome fields.

    A pool of more than one disease answers no single clinical question (its population
    and outcome definitions differ): serious. Within one population, trials flagged as
    indirect (``indirect[i]`` gives the reason read from the trial's outcome or population
    fields, None when direct) rate serious when they carry at least half the weight.
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or not (w.size == len(diseases) == len(indirect)):
        raise ValueError("indirectness: one weight, disease and flag per trial is needed")
    w = w / w.sum()
    distinct = sorted(set(diseases))
    if len(distinct) > 1:
        return Domain(
            "indirectness",
            "serious",
            f"pools {len(distinct)} diseases with different outcome definitions; "
            "the pooled effect applies to no single population",
        )
    flagged = [i for i, r in enumerate(indirect) if r]
    share = float(w[flagged].sum()) * 100 if flagged else 0.0
    if share >= 50:
        reasons = sorted({str(indirect[i]) for i in flagged})
        return Domain(
            "indirectness",
            "serious",
            f"trials carrying {_pct(share)} of the weight: " + "; ".join(reasons),
        )
    return Domain(
        "indirectness",
        "not_serious",
        "one population; "
        + (
            f"trials flagged as indirect carry {_pct(share)} of the weight"
            if flagged
            else "no trial's outcome or population is flagged as indirect"
        ),
    )


def optimal_information_size(
    control_risk: float | None, rrr: float = 0.25, alpha: float = 0.05, power: float = 0.80
) -> float | None:
    r"""Participants a single adequately powered trial would need (both arms).

    :math:`N = 2 (z_{1-\alpha/2} + z_{1-\beta})^2 [p_0(1-p_0) + p_1(1-p_1)] / (p_1 - p_0)^2`
    with :math:`p_1 = p_0 (1 + \mathrm{RRR})` for a desirable outcome (Wetterslev et al.
    2008; GRADE imprecision guidance). When the control risk is so high that the relative
    increase is impossible (:math:`p_1 \ge 1`), the same relative change is applied to the
    complementary outcome (not improving): :math:`p_0' = 1 - p_0`,
    :math:`p_1' = p_0'(1 - \mathrm{RRR})`. None when the control risk is missing, 0 or 1.
    """
    if not _finite(control_risk) or not 0 < control_risk < 1:
        return None
    p0 = float(control_risk)
    p1 = p0 * (1 + rrr)
    if p1 >= 1:
        p0 = 1 - p0
        p1 = p0 * (1 - rrr)
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(2 * z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p1 - p0) ** 2)


def imprecision(
    ci_low: float | None,
    ci_high: float | None,
    participants: int,
    control_risk: float | None,
    thresholds: tuple[float, float] = THRESHOLDS,
) -> Domain:
    """Imprecision from the CI of the risk ratio against thresholds and the information size.

    With thresholds of appreciable harm and benefit (default RR 0.75 and 1.25): a CI that
    includes both rates very serious; a CI that includes no effect (1) and one of them rates
    serious. Otherwise the participants are compared with the optimal information size
    (:func:`optimal_information_size`; RRR 25 %, alpha 0.05, power 0.80): fewer rates
    serious. A CI that cannot be computed rates very serious.
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
    if ci_low <= 1 <= ci_high and (ci_low < lo_t or ci_high > hi_t):
        side = (
            f"appreciable benefit (RR {hi_t})"
            if ci_high > hi_t
            else f"appreciable harm (RR {lo_t})"
        )
        return Domain("imprecision", "serious", f"the {ci} includes no effect and {side}")
    ois = optimal_information_size(control_risk)
    if ois is None or control_risk is None:  # a size exists only for a control risk in (0, 1)
        return Domain(
            "imprecision",
            "not_serious",
            f"the {ci} excludes appreciable harm or benefit; the optimal information size "
            "cannot be computed without a control risk between 0 and 1",
        )
    if participants < ois:
        return Domain(
            "imprecision",
            "serious",
            f"{participants} participants, fewer than the optimal information size of "
            f"{math.ceil(ois)} (control risk {control_risk * 100:.0f} %, relative change 25 %, "
            "alpha 0.05, power 0.80)",
        )
    return Domain(
        "imprecision",
        "not_serious",
        f"the {ci} and {participants} participants meet the optimal information size "
        f"of {math.ceil(ois)}",
    )


def publication_bias(k: int, small_study_p: float | None) -> Domain:
    """Publication bias from a small-study test, only with at least 10 trials.

    With fewer than 10 trials the tests have too little power (Cochrane Handbook
    13.3.5.4): ``not_assessable``, no downgrade, and the reason says so. With 10 or more, a
    test p < 0.10 rates serious.
    """
    if k < MIN_K_SMALL_STUDY:
        return Domain(
            "publication_bias",
            "not_assessable",
            f"{k} trial{'s' if k != 1 else ''}: tests for small-study effects need at least "
            f"{MIN_K_SMALL_STUDY}",
        )
    if not _finite(small_study_p):
        return Domain(
            "publication_bias", "not_assessable", "the small-study test could not be computed"
        )
    if small_study_p < SMALL_STUDY_P:
        return Domain(
            "publication_bias",
            "serious",
            f"Egger's test for small-study effects p = {small_study_p:.2g}",
        )
    return Domain(
        "publication_bias",
        "not_serious",
        f"Egger's test for small-study effects p = {small_study_p:.2g}",
    )


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
            )
        )
    return rate(out)
