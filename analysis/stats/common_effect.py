"""Common-effect (fixed-effect) models: Mantel-Haenszel, inverse variance, Peto.

Public API
----------
iv(yi, vi, mask=None, level=0.95, measure=None) -> CommonEffect
    Inverse-variance pooling with Cochran's Q, I², H² (``metafor::rma.uni(method="EE")``).
mh(ai, n1i, ci, n2i, measure="RR", mask=None, level=0.95, add=0.5) -> CommonEffect
    Mantel-Haenszel RR, OR or RD (``metafor::rma.mh`` defaults): no zero-cell correction
    inside the MH sums; Q (Woolf) around the MH estimate from the escalc effects (with the
    ``add`` correction, double-zero studies left out of Q).
peto(ai, n1i, ci, n2i, mask=None, level=0.95) -> CommonEffect
    Peto's one-step odds ratio with Peto's Q (``metafor::rma.peto``).

``mask`` selects the 2x2 tables of each analysis (give every table of the analysis,
double-zero ones included: MH and Peto handle them as metafor does, and ``k`` counts
tables as ``rma.mh`` does). Arrays have shape ``(..., k)``; a 1-D input gives a result of
Python floats (None where undefined), a batch gives ndarrays (NaN where undefined).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from analysis.stats.batch import finish, pooled_fields, prepare
from analysis.stats.effects import MEASURES, double_zero, escalc
from analysis.stats.heterogeneity import q_test
from analysis.stats.results import CommonEffect

__all__ = ["iv", "mh", "peto"]


def _result(method, measure, k, b, se, q, q_df, level, single, weights=None) -> CommonEffect:
    crit = -special.ndtri((1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = b / se
        p = 2 * special.ndtr(-np.abs(stat))
        lb = b - crit * se
        ub = b + crit * se
    qq, qp, i2, h2 = q_test(q, q_df)
    defined = np.isfinite(b)
    qq, qp, i2, h2 = (np.where(defined, x, np.nan) for x in (qq, qp, i2, h2))

    def f(x):
        return finish(x, single)

    return CommonEffect(
        method=method,
        measure=measure,
        k=int(k) if single else k,
        **pooled_fields(b, se, lb, ub, stat, p, measure, f),
        q=f(qq),
        q_df=f(np.where(q_df >= 1, q_df, np.nan)),
        q_p=f(qp),
        i2=f(i2),
        h2=f(h2),
        weights=weights,
        level=level,
    )


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def iv(yi, vi, mask=None, level: float = 0.95, measure: str | None = None) -> CommonEffect:
    r"""Inverse-variance common-effect estimate.

    :math:`\hat\theta = \sum w_i y_i / \sum w_i`, :math:`w_i = 1/v_i`,
    :math:`SE = (\sum w_i)^{-1/2}`, Wald z test and CI; Cochran's Q around
    :math:`\hat\theta` with df = k - 1, its p, I² and H² by
    :func:`analysis.stats.heterogeneity.q_test` (Higgins & Thompson 2002, there).
    Mirrors ``metafor::rma.uni(yi, vi, method = "EE")``.

    Parameters
    ----------
    yi, vi : array_like
        Effects (analysis scale) and sampling variances, shape ``(..., k)``.
    mask : array_like of bool, optional
        Studies in each analysis.
    level : float
        Confidence level.
    measure : str, optional
        Effect measure; "RR"/"OR" report ``estimate``/``ci_*`` on the exp scale.

    References
    ----------
    Cochran WG (1954). The combination of estimates from different experiments.
    Biometrics 10:101-129.
    """
    bt = prepare(yi, vi, mask)
    w = bt.mf / bt.v
    sw = w.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = (w * bt.y).sum(axis=-1) / sw
        se = np.sqrt(1 / sw)
        q = (w * (bt.y - b[..., None]) ** 2).sum(axis=-1)
        weights = 100 * w / sw[..., None]
    return _result(
        "IV", measure, bt.k, b, se, q, (bt.k - 1).astype(float), level, bt.single, weights
    )


def _cells(ai, n1i, ci, n2i, mask):
    a, n1, c, n2 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i)))
    m = (
        np.ones(a.shape, dtype=bool)
        if mask is None
        else np.broadcast_to(np.asarray(mask, bool), a.shape)
    )
    single = a.ndim == 1 and (mask is None or np.ndim(mask) == 1)
    if np.any(m & ((n1 <= 0) | (n2 <= 0) | (a < 0) | (c < 0) | (a > n1) | (c > n2))):
        raise ValueError("ai, n1i, ci, n2i: counts must satisfy 0 <= events <= total, total > 0")
    mf = m.astype(float)
    # masked-out tables become harmless 1/2 vs 1/2 tables, multiplied by 0 in every sum
    a = np.where(m, a, 1.0)
    c = np.where(m, c, 1.0)
    n1 = np.where(m, n1, 2.0)
    n2 = np.where(m, n2, 2.0)
    return a, n1 - a, c, n2 - c, n1, n2, m, mf, single


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def mh(
    ai,
    n1i,
    ci,
    n2i,
    measure: str = "RR",
    mask=None,
    level: float = 0.95,
    add: float = 0.5,
) -> CommonEffect:
    r"""Mantel-Haenszel common-effect estimate of the RR, OR or RD.

    With tables :math:`(a_i, b_i, c_i, d_i)`, :math:`N_i = n_{1i} + n_{2i}`, no zero-cell
    correction (``rma.mh`` default):

    - OR :math:`= \sum a_i d_i/N_i \,/\, \sum b_i c_i/N_i` with the
      Robins-Breslow-Greenland variance of its log;
    - RR :math:`= \sum a_i n_{2i}/N_i \,/\, \sum c_i n_{1i}/N_i` with the
      Greenland-Robins variance of its log;
    - RD :math:`= \sum (a_i n_{2i} - c_i n_{1i})/N_i \,/\, \sum n_{1i} n_{2i}/N_i` with the
      Sato-Greenland-Robins variance (valid in sparse data).

    The heterogeneity Q is Woolf's: :math:`\sum (y_i - \hat\theta_{MH})^2/v_i` with
    :math:`y_i, v_i` from :func:`analysis.stats.effects.escalc` (``add`` to zero-cell
    studies, double-zero studies left out), df = (studies in Q) - 1; I² and H² from it.
    ``k`` counts the tables. The estimate is undefined (None) when a ratio's numerator or
    denominator sum is 0.

    References
    ----------
    Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from
    retrospective studies of disease. J Natl Cancer Inst 22:719-748.
    Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse
    follow-up data. Biometrics 41:55-68.
    Robins J, Breslow N, Greenland S (1986). Estimators of the Mantel-Haenszel variance
    consistent in both sparse data and large-strata limiting models. Biometrics 42:311-323.
    Sato T, Greenland S, Robins JM (1989). On the variance estimator for the
    Mantel-Haenszel risk difference. Biometrics 45:1323-1324.
    Viechtbauer W (2010). metafor, ``rma.mh``. J Stat Softw 36(3).
    """
    if measure not in MEASURES:
        raise ValueError(f"measure: must be one of {', '.join(MEASURES)} (got {measure!r})")
    a, b_, c, d, n1, n2, m, mf, single = _cells(ai, n1i, ci, n2i, mask)
    N = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            P = (a + d) / N
            Q = (b_ + c) / N
            Ri = mf * a * d / N
            Si = mf * b_ * c / N
            R, S = Ri.sum(-1), Si.sum(-1)
            ok = (R > 0) & (S > 0)
            est = np.log(R / S)
            se = np.sqrt(
                0.5
                * (
                    (P * Ri).sum(-1) / R**2
                    + (P * Si + Q * Ri).sum(-1) / (R * S)
                    + (Q * Si).sum(-1) / S**2
                )
            )
        elif measure == "RR":
            R = (mf * a * n2 / N).sum(-1)
            S = (mf * c * n1 / N).sum(-1)
            ok = (R > 0) & (S > 0)
            est = np.log(R / S)
            se = np.sqrt((mf * ((n1 / N) * (n2 / N) * (a + c) - (a / N) * c)).sum(-1) / (R * S))
        else:
            sw = (mf * n1 * (n2 / N)).sum(-1)
            est = (mf * (a * (n2 / N) - c * (n1 / N))).sum(-1) / sw
            num = est * (
                mf * (c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + (n1 / N) * (n2 / N) * (n2 - n1) / 2)
            ).sum(-1)
            num = num + (mf * (a * (n2 - c) / N + c * (n1 - a) / N)).sum(-1) / 2
            se = np.sqrt(num / sw**2)
            ok = sw > 0
    est = np.where(ok, est, np.nan)
    se = np.where(ok, se, np.nan)
    es = escalc(a, n1, c, n2, measure=measure, add=add, drop00=False)
    qmask = m & ~double_zero(a, b_, c, d)
    kq = qmask.sum(-1)
    w = np.where(qmask, 1 / es.vi, 0.0)
    with np.errstate(invalid="ignore"):
        q = (w * (np.where(qmask, es.yi, 0.0) - est[..., None]) ** 2).sum(-1)
    return _result("MH", measure, m.sum(-1), est, se, q, (kq - 1).astype(float), level, single)


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def peto(ai, n1i, ci, n2i, mask=None, level: float = 0.95) -> CommonEffect:
    r"""Peto's one-step odds ratio.

    :math:`\log \widehat{OR} = \sum (O_i - E_i) / \sum V_i`, :math:`SE = (\sum V_i)^{-1/2}`,
    with :math:`O_i = a_i`, :math:`E_i = (a_i + c_i) n_{1i}/N_i`,
    :math:`V_i = (a_i + c_i)(b_i + d_i) n_{1i} n_{2i} / (N_i^2 (N_i - 1))`, on the raw
    counts. Peto's heterogeneity statistic
    :math:`Q = \sum (O_i - E_i)^2/V_i - (\sum (O_i - E_i))^2/\sum V_i` (over tables with
    :math:`V_i > 0`), df = (tables without a double zero) - 1. Mirrors
    ``metafor::rma.peto``.

    References
    ----------
    Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and after
    myocardial infarction: an overview of the randomized trials. Prog Cardiovasc Dis
    27:335-371.
    """
    a, b_, c, d, n1, n2, m, mf, single = _cells(ai, n1i, ci, n2i, mask)
    N = n1 + n2
    xt = a + c
    yt = b_ + d
    E = xt * n1 / N
    V = mf * xt * yt * (n1 / N) * (n2 / N) / (N - 1)
    sv = V.sum(-1)
    oe = mf * (a - E)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(sv > 0, oe.sum(-1) / sv, np.nan)
        se = np.where(sv > 0, np.sqrt(1 / sv), np.nan)
        pos = V > 0
        q = np.where(pos, oe**2 / np.where(pos, V, 1.0), 0.0).sum(-1) - oe.sum(-1) ** 2 / sv
    kpos = pos.sum(-1)
    kyi = (m & ~double_zero(a, b_, c, d)).sum(-1)
    q_df = np.where(kpos > 1, kyi - 1, 0).astype(float)
    return _result("Peto", "OR", m.sum(-1), est, se, q, q_df, level, single)
