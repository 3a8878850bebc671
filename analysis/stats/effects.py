"""Study-level effect sizes for two-arm trials with a binary outcome.

Mirrors ``metafor::escalc(measure, ai, n1i = , ci, n2i = , add = 1/2, to = "only0")``
with the Cochrane handling of double-zero studies.

Public API
----------
escalc(ai, n1i, ci, n2i, measure="RR", add=0.5, drop00=True, level=0.95) -> EffectSizes
    ``ai``/``ci``: events in the treatment/control arm; ``n1i``/``n2i``: arm totals.
    Arrays of shape ``(..., k)``. Returns yi, vi, sei, Wald CIs (analysis and natural
    scale), the ``included`` mask and the corrected and raw 2x2 cells.
MEASURES = ("RR", "OR", "RD")
"""

from __future__ import annotations

import numpy as np
from scipy import special

from analysis.stats.results import EffectSizes, natural
from analysis.vocabulary import MEASURES

__all__ = ["MEASURES", "escalc", "double_zero"]


def double_zero(ai, bi, ci, di) -> np.ndarray:
    """Studies with no events in both arms, or only events in both arms.

    This is metafor's ``drop00`` rule: ``(ai == 0 & ci == 0) | (bi == 0 & di == 0)``.
    """
    ai, bi, ci, di = (np.asarray(x) for x in (ai, bi, ci, di))
    return ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))


def escalc(
    ai,
    n1i,
    ci,
    n2i,
    measure: str = "RR",
    add: float = 0.5,
    drop00: bool = True,
    level: float = 0.95,
) -> EffectSizes:
    r"""Risk ratio, odds ratio or risk difference per study, with variance and CI.

    With corrected cells :math:`a, b, c, d` (events and non-events, treatment then
    control), :math:`n_1 = a + b`, :math:`n_2 = c + d`, :math:`p_1 = a/n_1`,
    :math:`p_2 = c/n_2`:

    - RR: :math:`y = \log(p_1/p_2)`, :math:`v = 1/a - 1/n_1 + 1/c - 1/n_2`;
    - OR: :math:`y = \log(ad/(bc))`, :math:`v = 1/a + 1/b + 1/c + 1/d` (Woolf 1955);
    - RD: :math:`y = p_1 - p_2`, :math:`v = p_1(1-p_1)/n_1 + p_2(1-p_2)/n_2`.

    Zero cells: ``add`` is added to all four cells of a study with a zero cell
    (metafor's ``to = "only0"``). Studies with no events in either arm, or with only
    events in both arms, are excluded (``included`` False) for RR and OR when ``drop00``
    is true, and kept for RD (Cochrane Handbook, section 10.4.4.2).

    Parameters
    ----------
    ai, n1i, ci, n2i : array_like
        Events and totals, treatment then control, shape ``(..., k)``.
    measure : {"RR", "OR", "RD"}
        Effect measure.
    add : float
        Increment for studies with a zero cell.
    drop00 : bool
        Exclude double-zero (and double-all) studies for RR and OR.
    level : float
        Confidence level of the study-level Wald intervals.

    Returns
    -------
    EffectSizes

    Raises
    ------
    ValueError
        Unknown measure, negative counts, events above totals or non-positive totals.

    References
    ----------
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package.
    J Stat Softw 36(3):1-48 (``escalc``).
    Woolf B (1955). On estimating the relation between blood group and disease.
    Ann Hum Genet 19:251-253.
    Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions,
    version 6.4, 2023, section 10.4.4 (studies with zero-cell counts).
    """
    if measure not in MEASURES:
        raise ValueError(f"measure: must be one of {', '.join(MEASURES)} (got {measure!r})")
    if not 0 < level < 1:
        raise ValueError(f"level: must lie in (0, 1) (got {level})")
    a, n1, c, n2 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i)))
    if a.ndim == 0:
        a, n1, c, n2 = (x.reshape(1) for x in (a, n1, c, n2))
    for name, x in (("ai", a), ("n1i", n1), ("ci", c), ("n2i", n2)):
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name}: counts must be finite")
        if np.any(x < 0):
            raise ValueError(f"{name}: counts must not be negative")
    if np.any(n1 <= 0) or np.any(n2 <= 0):
        raise ValueError("n1i, n2i: arm totals must be positive")
    if np.any(a > n1) or np.any(c > n2):
        raise ValueError("ai, ci: events must not exceed the arm total")
    b = n1 - a
    d = n2 - c
    corrected = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    inc = np.where(corrected, float(add), 0.0)
    ac, bc, cc, dc = a + inc, b + inc, c + inc, d + inc
    n1c, n2c = ac + bc, cc + dc
    p1, p2 = ac / n1c, cc / n2c
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / ac - 1 / n1c + 1 / cc - 1 / n2c
        elif measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / ac + 1 / bc + 1 / cc + 1 / dc
        else:
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1c + p2 * (1 - p2) / n2c
    included = np.ones(a.shape, dtype=bool)
    if drop00 and measure in ("RR", "OR"):
        included &= ~double_zero(a, b, c, d)
    sei = np.sqrt(vi)
    z = -special.ndtri((1 - level) / 2)
    ci_lb = yi - z * sei
    ci_ub = yi + z * sei
    return EffectSizes(
        measure=measure,
        yi=yi,
        vi=vi,
        sei=sei,
        ci_lb=ci_lb,
        ci_ub=ci_ub,
        estimate=natural(yi, measure),
        ci_low=natural(ci_lb, measure),
        ci_high=natural(ci_ub, measure),
        included=included,
        corrected=corrected,
        ai=ac,
        bi=bc,
        ci=cc,
        di=dc,
        ai_raw=a,
        bi_raw=b,
        ci_raw=c,
        di_raw=d,
        level=level,
    )
