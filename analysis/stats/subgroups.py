"""Subgroup analysis: one random-effects fit per subgroup, each with its own tau², and
the test for subgroup differences.

All subgroups are one batch of meta-analyses (one mask row per subgroup).

Public API
----------
subgroups(yi, vi, groups, by, method="REML", hk=False, measure=None, level=0.95)
    -> Subgroups
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.stats.batch import finite as _num
from analysis.stats.heterogeneity import q_test
from analysis.stats.random_effects import fit_batch, pooled_batch
from analysis.stats.results import TEST_BETWEEN_METHOD, Subgroup, Subgroups, TestBetween

__all__ = ["TEST_BETWEEN_METHOD", "Subgroup", "TestBetween", "Subgroups", "subgroups"]


def subgroups(
    yi,
    vi,
    groups: Sequence[str],
    by: str,
    method: str = "REML",
    hk: bool = False,
    measure: str | None = None,
    level: float = 0.95,
    start: float | None = None,
    control: dict | None = None,
) -> Subgroups:
    r"""Separate random-effects fits per subgroup and the test for subgroup differences.

    Each subgroup g is pooled with ``method`` and its own :math:`\hat\tau^2_g`. The test
    for subgroup differences treats the G subgroup estimates as studies of a
    common-effect model: :math:`Q_b = \sum_g w_g(\hat\mu_g - \bar\mu)^2`,
    :math:`w_g = 1/SE_g^2`, :math:`\bar\mu = \sum w_g\hat\mu_g/\sum w_g`, referred to
    :math:`\chi^2_{G-1}` (Cochrane Handbook 10.11.3.1; Borenstein et al. 2009, ch. 19,
    "separate estimates of tau²"). This is RevMan's test for subgroup differences and
    metafor's ``rma(b_g, sei = se_g, method = "EE")`` on the subgroup fits (not the
    ``mods = ~ factor(g)`` test, which assumes one tau² common to all subgroups).
    :math:`\hat\mu_g` and :math:`SE_g` are those of the subgroup fits (Hartung-Knapp
    standard errors when ``hk``). Undefined (None, with a reason) with fewer than two
    subgroups.

    A subgroup of one trial still has an estimate and a standard error, the trial's own
    :math:`y_i` and :math:`\sqrt{v_i}`: its subtotal is that trial's Wald interval (as
    RevMan draws it; a Hartung-Knapp t interval on 0 degrees of freedom does not exist), and
    it enters the test like any other subgroup.

    ``start`` (the full-data tau²) and ``control`` as in
    :func:`analysis.stats.influence.leave_one_out`.

    References
    ----------
    Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). Introduction to
    Meta-Analysis, chapter 19. Wiley.
    Deeks JJ, Higgins JPT, Altman DG (eds). Chapter 10, Cochrane Handbook for Systematic
    Reviews of Interventions, version 6.4 (2023), section 10.11.3.1.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    g = np.asarray([str(x) for x in groups], dtype=object)
    names = sorted(set(g.tolist()))
    mask = np.stack([g == name for name in names]) if names else np.zeros((0, y.size), bool)
    res, notes = fit_batch(
        y, v, mask, method, hk=hk, measure=measure, level=level, start=start, control=control
    )
    kg = mask.sum(axis=1)
    notes = [
        n if n is not None or kg[j] > 1 else "a single study: tau² and I² need at least two studies"
        for j, n in enumerate(notes)
    ]
    # a single trial: its own estimate with its Wald interval
    if hk and method != "EE" and (kg == 1).any():
        res = _with_single_trials(res, y, v, mask, kg, method, measure, level)
    tau2 = np.zeros(len(names)) if method == "EE" else np.asarray(res.tau2, dtype=float)
    q_in = np.asarray(getattr(res, "q", np.full(len(names), np.nan)), dtype=float).reshape(-1)
    q_p = np.asarray(getattr(res, "q_p", np.full(len(names), np.nan)), dtype=float).reshape(-1)
    out = {
        name: Subgroup(
            k=int(kg[j]),
            estimate=_num(res.estimate[j]),
            ci_low=_num(res.ci_low[j]),
            ci_high=_num(res.ci_high[j]),
            tau2=_num(tau2[j]) if kg[j] > 1 else None,
            i2=_num(res.i2[j]) if kg[j] > 1 else None,
            b=_num(res.b[j]),
            se=_num(res.se[j]),
            p=_num(res.p[j]),
            q=_num(q_in[j]) if kg[j] > 1 else None,
            q_df=int(kg[j] - 1) if kg[j] > 1 else None,
            q_p=_num(q_p[j]) if kg[j] > 1 else None,
            note=notes[j],
        )
        for j, name in enumerate(names)
    }
    b = np.asarray(res.b, dtype=float)
    se = np.asarray(res.se, dtype=float)
    ok = np.isfinite(b) & np.isfinite(se) & (se > 0)
    G = int(ok.sum())
    if G < 2:
        why = "only one subgroup" if len(names) < 2 else "fewer than two subgroups with an estimate"
        test = TestBetween(None, None, None, None, why)
    else:
        w = 1 / se[ok] ** 2
        mu = (w * b[ok]).sum() / w.sum()
        q, p, i2, _ = q_test((w * (b[ok] - mu) ** 2).sum(), G - 1)
        test = TestBetween(_num(q), G - 1, _num(p), _num(i2))
    return Subgroups(by=by, groups=out, test_between=test)


@dataclass(frozen=True)
class _Fits:
    """Per-subgroup figures after single-trial rows were replaced."""

    b: np.ndarray
    se: np.ndarray
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p: np.ndarray
    tau2: np.ndarray
    i2: np.ndarray
    q: np.ndarray
    q_p: np.ndarray


def _with_single_trials(res, y, v, mask, kg, method, measure, level) -> _Fits:
    """Rows of single-trial subgroups taken from the normal-theory (z) fit of that trial."""
    z = pooled_batch(y, v, mask, method, hk=False, measure=measure, level=level)
    one = kg == 1

    def pick(name: str) -> np.ndarray:
        a = np.asarray(getattr(res, name), dtype=float).copy()
        a[one] = np.asarray(getattr(z, name), dtype=float)[one]
        return a

    names = ("b", "se", "estimate", "ci_low", "ci_high", "p", "tau2", "i2", "q", "q_p")
    return _Fits(*(pick(n) for n in names))
