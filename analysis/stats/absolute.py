"""Absolute effects for a summary-of-findings table.

A relative effect (RR, OR) or a risk difference, applied to an assumed control-group
risk, gives the corresponding risk with IVIG per 1000 patients, the difference per
1000, and the number needed to treat (Cochrane Handbook, chapters 14 and 15; GRADE).

Public API
----------
absolute_effect(measure, estimate, ci_low, ci_high, control_risk, *, desirable=True)
    -> AbsoluteEffect
corresponding_risk(measure, effect, control_risk) -> float | None
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from analysis.stats.batch import finite as _num

__all__ = ["AbsoluteEffect", "absolute_effect", "corresponding_risk"]


def corresponding_risk(measure: str, effect: float | None, control_risk: float) -> float | None:
    r"""Risk in the IVIG group implied by an effect and an assumed control risk (ACR).

    - RR: :math:`ACR \times RR`;
    - OR: :math:`ACR \times OR / (1 - ACR + ACR \times OR)`;
    - RD: :math:`ACR + RD`.

    A risk outside [0, 1] (possible for RR and RD with a high control risk) is clipped to
    the nearest bound. None when ``effect`` is None.

    References
    ----------
    Schünemann HJ et al. Chapter 14: Completing 'Summary of findings' tables and grading
    the certainty of the evidence; Chapter 15: Interpreting results and drawing
    conclusions, section 15.4.4. Cochrane Handbook for Systematic Reviews of
    Interventions, version 6.4 (2023).
    """
    effect = _num(effect)
    if effect is None:
        return None
    acr = float(control_risk)
    if measure == "RR":
        risk = acr * effect
    elif measure == "OR":
        risk = acr * effect / (1 - acr + acr * effect)
    elif measure == "RD":
        risk = acr + effect
    else:
        raise ValueError(f"measure: must be RR, OR or RD (got {measure!r})")
    return min(1.0, max(0.0, risk))


@dataclass(frozen=True)
class AbsoluteEffect:
    """Absolute effect of IVIG for an assumed control-group risk.

    Attributes
    ----------
    measure : str
        The relative measure applied ("RR", "OR" or "RD").
    control_risk : float
        Assumed control-group risk (proportion).
    control_per_1000 : float
        The same per 1000 patients.
    ivig_per_1000, ivig_per_1000_low, ivig_per_1000_high : float or None
        Corresponding risk with IVIG per 1000, and its CI (the CI of the effect applied to
        the same control risk).
    difference_per_1000, difference_per_1000_low, difference_per_1000_high : float or None
        IVIG minus control, per 1000 (positive: more events with IVIG).
    nnt : float or None
        Number needed to treat, :math:`1/|ARD|` (unrounded; present it rounded up).
        None when the difference is 0.
    nnt_kind : str or None
        "NNTB" (benefit) or "NNTH" (harm), from the sign of the difference and whether
        the outcome is desirable.
    nnt_low, nnt_high : float or None
        CI of the NNT (same kind as ``nnt``) when the CI of the difference excludes 0.
    nntb_limit, nnth_limit : float or None
        When the CI of the difference includes 0, the CI runs from NNTB ``nntb_limit``
        through infinity to NNTH ``nnth_limit`` (Altman 1998); a limit is None when the
        CI touches 0 exactly on that side.
    desirable : bool
        True when the outcome counted (improvement) is desirable.
    """

    measure: str
    control_risk: float
    control_per_1000: float
    ivig_per_1000: float | None
    ivig_per_1000_low: float | None
    ivig_per_1000_high: float | None
    difference_per_1000: float | None
    difference_per_1000_low: float | None
    difference_per_1000_high: float | None
    nnt: float | None
    nnt_kind: str | None
    nnt_low: float | None
    nnt_high: float | None
    nntb_limit: float | None
    nnth_limit: float | None
    desirable: bool = True

    def to_dict(self) -> dict:
        """Plain dict of the fields."""
        return asdict(self)

    def describe(self) -> str:
        """The NNT as Altman (1998) writes it, rounded up: "NNTB 8 (5 to 21)",
        "NNTB 10 (NNTH 50 to ∞ to NNTB 4)", or "" when undefined."""
        if self.nnt is None or self.nnt_kind is None:
            return ""
        head = f"{self.nnt_kind} {math.ceil(self.nnt - 1e-9)}"
        if self.nnt_low is not None and self.nnt_high is not None:
            return f"{head} ({math.ceil(self.nnt_low - 1e-9)} to {math.ceil(self.nnt_high - 1e-9)})"
        parts = []
        # from the harm side through infinity to the benefit side
        if self.nnth_limit is not None:
            parts.append(f"NNTH {math.ceil(self.nnth_limit - 1e-9)}")
        parts.append("∞")
        if self.nntb_limit is not None:
            parts.append(f"NNTB {math.ceil(self.nntb_limit - 1e-9)}")
        return f"{head} ({' to '.join(parts)})"


def absolute_effect(
    measure: str,
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    control_risk: float,
    *,
    desirable: bool = True,
) -> AbsoluteEffect:
    r"""Absolute effect and NNT for a summary-of-findings table.

    Parameters
    ----------
    measure : {"RR", "OR", "RD"}
    estimate, ci_low, ci_high : float or None
        The pooled effect on the natural scale (a ratio for RR/OR, a difference for RD)
        and its confidence limits.
    control_risk : float
        Assumed control-group risk in [0, 1] (e.g. the pooled control-arm risk).
    desirable : bool
        The outcome counted is desirable (improvement): a higher risk with IVIG is a
        benefit. False for adverse outcomes.

    Notes
    -----
    Corresponding risks: :func:`corresponding_risk`, applied to the estimate and to each
    confidence limit with the control risk held fixed (GRADE summary-of-findings
    convention). The absolute risk difference :math:`ARD = r_{IVIG} - ACR`;
    :math:`NNT = 1/|ARD|`, a benefit (NNTB) when the difference favours IVIG, a harm
    (NNTH) otherwise. Its confidence interval is the reciprocal of the ARD's limits;
    when that interval includes 0 the NNT interval is reported in two parts through
    infinity (Altman 1998).

    References
    ----------
    Altman DG (1998). Confidence intervals for the number needed to treat. BMJ
    317:1309-1312.
    Schünemann HJ et al. Cochrane Handbook for Systematic Reviews of Interventions,
    version 6.4 (2023), chapters 14 and 15 (section 15.4.4).
    Guyatt GH et al. (2013). GRADE guidelines: 12. Preparing summary of findings
    tables-binary outcomes. J Clin Epidemiol 66:158-172.
    """
    if measure not in ("RR", "OR", "RD"):
        raise ValueError(f"measure: must be RR, OR or RD (got {measure!r})")
    acr = _num(control_risk)
    if acr is None or not 0 <= acr <= 1:
        raise ValueError(f"control_risk: must be a proportion in [0, 1] (got {control_risk!r})")
    risk = corresponding_risk(measure, estimate, acr)
    lo = corresponding_risk(measure, ci_low, acr)
    hi = corresponding_risk(measure, ci_high, acr)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo

    def per1000(x):
        return None if x is None else 1000 * x

    def diff(x):
        return None if x is None else 1000 * (x - acr)

    ard = None if risk is None else risk - acr
    ard_lo = None if lo is None else lo - acr
    ard_hi = None if hi is None else hi - acr
    sign = 1 if desirable else -1

    nnt = kind = nnt_low = nnt_high = nntb = nnth = None
    if ard is not None and ard != 0:
        nnt = 1 / abs(ard)
        kind = "NNTB" if sign * ard > 0 else "NNTH"
    if ard_lo is not None and ard_hi is not None:
        # benefit-scaled limits: positive = benefit
        b_lo, b_hi = sorted((sign * ard_lo, sign * ard_hi))
        if b_lo > 0 or b_hi < 0:
            # the CI excludes 0: one kind throughout
            a, b = sorted((1 / abs(b_lo), 1 / abs(b_hi)))
            nnt_low, nnt_high = a, b
        else:
            nntb = 1 / b_hi if b_hi > 0 else None
            nnth = 1 / -b_lo if b_lo < 0 else None
    return AbsoluteEffect(
        measure=measure,
        control_risk=acr,
        control_per_1000=1000 * acr,
        ivig_per_1000=per1000(risk),
        ivig_per_1000_low=per1000(lo),
        ivig_per_1000_high=per1000(hi),
        difference_per_1000=diff(risk),
        difference_per_1000_low=diff(lo),
        difference_per_1000_high=diff(hi),
        nnt=nnt,
        nnt_kind=kind,
        nnt_low=nnt_low,
        nnt_high=nnt_high,
        nntb_limit=nntb,
        nnth_limit=nnth,
        desirable=desirable,
    )
