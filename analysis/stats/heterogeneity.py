"""Heterogeneity: Cochran's Q, Higgins' I² and H², the generalised Q and Q-profile CIs.

Public API
----------
heterogeneity(yi, vi, mask=None) -> Heterogeneity
    Cochran's Q of the inverse-variance (common-effect) model, df = k - 1, p, I², H².
q_gen(tau2, y, v, mf) -> ndarray
    Generalised Q statistic sum w (y - b)^2, w = 1/(v + tau2) (arrays, no checks).
q_test(q, df) -> (q, p, i2, h2)
    Cochran's Q test with I² and H² from Q and its df (arrays, NaN where df < 1).
typical_variance(v, mf) -> ndarray
    metafor's "typical" within-study variance (k - 1)/(sum w - sum w^2/sum w), w = 1/v.
i2_from_tau2(tau2, vt), h2_from_tau2(tau2, vt)
    Model-based I² (percent) and H².
qprofile(yi, vi, mask=None, level=0.95, tau2=None, tol=R_TOL) -> QProfile
    Q-profile confidence interval for tau² (Viechtbauer 2007) and the implied I², H²
    limits, as ``metafor::confint.rma.uni``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from analysis.stats.batch import Batch, finish, prepare
from analysis.stats.results import Heterogeneity, QProfile
from analysis.stats.roots import R_TOL, zeroin

__all__ = [
    "heterogeneity",
    "q_gen",
    "q_test",
    "typical_variance",
    "i2_from_tau2",
    "h2_from_tau2",
    "qprofile",
    "qprofile_batch",
]


def q_gen(tau2, y: np.ndarray, v: np.ndarray, mf: np.ndarray) -> np.ndarray:
    r"""Generalised Q statistic :math:`Q(\tau^2) = \sum_i w_i (y_i - \hat\mu_w)^2`.

    Weights :math:`w_i = 1/(v_i + \tau^2)`.

    ``tau2`` has the batch shape ``(...)``; ``y``, ``v``, ``mf`` shape ``(..., k)`` with
    ``mf`` the float mask. With ``tau2 = 0`` this is Cochran's Q.

    References
    ----------
    DerSimonian R, Kacker R (2007). Random-effects model for meta-analysis of clinical
    trials: an update. Contemp Clin Trials 28:105-114.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        w = mf / (v + np.asarray(tau2, dtype=float)[..., None])
        sw = w.sum(axis=-1)
        b = (w * y).sum(axis=-1) / sw
        return (w * (y - b[..., None]) ** 2).sum(axis=-1)


def typical_variance(v: np.ndarray, mf: np.ndarray) -> np.ndarray:
    r"""Typical within-study variance :math:`\tilde v = (k-1)/(\sum w - \sum w^2/\sum w)`.

    With :math:`w_i = 1/v_i` (Higgins & Thompson 2002, eq. 9); metafor's ``vt``.
    """
    w = mf / v
    sw = w.sum(axis=-1)
    k = mf.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (k - 1) / (sw - (w**2).sum(axis=-1) / sw)


def i2_from_tau2(tau2, vt):
    """Model-based I² in percent: ``100 tau2 / (vt + tau2)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100 * tau2 / (vt + tau2)


def h2_from_tau2(tau2, vt):
    """Model-based H²: ``1 + tau2 / vt``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 + tau2 / vt


def q_test(q, df):
    r"""Cochran's Q test and Higgins' I² and H² from a Q statistic and its df.

    Returns ``(q, p, i2, h2)`` as arrays: Q truncated at 0, p from :math:`\chi^2_{df}`,
    :math:`I^2 = \max(0, 100 (Q - df)/Q)` (0 when Q = 0), :math:`H^2 = Q/df`; NaN where
    df < 1 (metafor reports Q = 0, p = 1, I² = 0, H² = 1 for a single study; here the
    test does not exist). The heterogeneity block of every common-effect model and of
    the test for subgroup differences.

    References
    ----------
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
    Stat Med 21:1539-1558 (I² and H²).
    """
    df = np.asarray(df, dtype=float)
    ok = df >= 1
    dfs = np.where(ok, df, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(ok, np.maximum(q, 0.0), np.nan)
        p = np.where(ok, special.chdtrc(dfs, q), np.nan)
        i2 = np.where(ok & (q > 0), np.maximum(0.0, 100 * (q - dfs) / q), np.where(ok, 0.0, np.nan))
        h2 = np.where(ok, q / dfs, np.nan)
    return q, p, i2, h2


def _q_stats(bt: Batch):
    """Cochran's Q, df, p, I², H² as arrays (NaN where k < 2)."""
    df = (bt.k - 1).astype(float)
    q, p, i2, h2 = q_test(q_gen(np.zeros(bt.y.shape[:-1]), bt.y, bt.v, bt.mf), df)
    return q, np.where(df >= 1, df, np.nan), p, i2, h2


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def heterogeneity(yi, vi, mask=None) -> Heterogeneity:
    r"""Cochran's Q test with Higgins' I² and H² (inverse-variance weights).

    :math:`Q = \sum w_i (y_i - \hat\theta)^2`, :math:`w_i = 1/v_i`, referred to
    :math:`\chi^2_{k-1}`; :math:`I^2 = \max(0, (Q - (k-1))/Q)` (percent),
    :math:`H^2 = Q/(k-1)`. Undefined (None) for k < 2. Mirrors the heterogeneity block of
    ``metafor::rma.uni(method = "EE")``.

    References
    ----------
    Cochran WG (1954). The combination of estimates from different experiments.
    Biometrics 10:101-129.
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
    Stat Med 21:1539-1558.
    """
    bt = prepare(yi, vi, mask)
    q, df, p, i2, h2 = _q_stats(bt)
    s = bt.single
    return Heterogeneity(
        k=int(bt.k) if s else bt.k,
        q=finish(q, s),
        df=finish(df, s),
        p=finish(p, s),
        i2=finish(i2, s),
        h2=finish(h2, s),
    )


def qprofile_batch(bt: Batch, level: float = 0.95, tau2=None, tol: float = R_TOL):
    """Q-profile limits for tau² as arrays (NaN where undefined); see :func:`qprofile`.

    Returns ``(tau2_low, tau2_high, vt)`` with ``vt`` the typical within-study variance.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _qprofile_batch(bt, level, tau2, tol)


def _qprofile_batch(bt: Batch, level: float, tau2, tol: float):
    k = bt.k
    shape = bt.y.shape[:-1]
    ok = k > 1
    df = np.where(ok, k - 1, 1).astype(float)
    alpha = 1 - level
    crit_u = special.chdtri(df, alpha / 2)  # upper quantile -> lower limit
    crit_l = 2 * special.gammaincinv(df / 2, alpha / 2)  # lower quantile -> upper limit
    t2 = np.zeros(shape) if tau2 is None else np.nan_to_num(np.asarray(tau2, dtype=float))
    t2 = np.broadcast_to(t2, shape)
    tau2_min = np.minimum(0.0, t2)
    tau2_max = np.maximum(100.0, np.maximum(10 * t2, 10 * tau2_min))

    K = bt.y.shape[-1]
    y2, v2, mf2 = (a.reshape(-1, K) for a in (bt.y, bt.v, bt.mf))

    def qf(x):
        return q_gen(x, bt.y, bt.v, bt.mf)

    def rows(crit):
        crit = np.broadcast_to(crit, shape).ravel()
        return lambda x, idx: q_gen(x, y2[idx], v2[idx], mf2[idx]) - crit[idx]

    q_min = qf(tau2_min)
    q_max = qf(tau2_max)
    lb = np.full(shape, np.nan)
    ub = np.full(shape, np.nan)

    def root(search, crit, limit):
        """``limit`` with the root of Q(tau²) = crit where ``search`` (R's zeroin)."""
        if not search.any():
            return limit
        f_lo = np.where(search, q_min - crit, np.nan)
        r, c, _ = zeroin(rows(crit), tau2_min, tau2_max, f_lo, q_max - crit, tol)
        return np.where(search & c, r, limit)

    # upper limit
    none = q_min < crit_l
    ub = np.where(none, tau2_min, ub)
    lb = np.where(none, tau2_min, lb)
    beyond = ~none & (q_max > crit_l)
    ub = np.where(beyond, tau2_max, ub)
    ub = root(~none & ~beyond & ok, crit_l, ub)
    # lower limit
    all_beyond = q_max > crit_u
    lb = np.where(all_beyond, tau2_max, lb)
    ub = np.where(all_beyond, tau2_max, ub)
    zero = ~all_beyond & (q_min < crit_u)
    lb = np.where(zero, tau2_min, lb)
    lb = root(~all_beyond & ~zero & ok, crit_u, lb)
    lb = np.where(ok, lb, np.nan)
    ub = np.where(ok, ub, np.nan)
    vt = typical_variance(bt.v, bt.mf)
    return lb, ub, vt


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def qprofile(yi, vi, mask=None, level: float = 0.95, tau2=None, tol: float = R_TOL) -> QProfile:
    r"""Q-profile confidence interval for tau², and the implied intervals for I² and H².

    The limits solve :math:`Q(\tau^2) = \chi^2_{k-1, 1-\alpha/2}` (lower) and
    :math:`Q(\tau^2) = \chi^2_{k-1, \alpha/2}` (upper), with :math:`Q(\tau^2)` the
    generalised Q (decreasing in :math:`\tau^2`); a limit is 0 when :math:`Q(0)` is
    already below its quantile. The search runs on ``[0, max(100, 10 tau2)]`` (metafor's
    ``tau2.max``); a limit beyond it is reported as that bound. The roots are found with
    R's zeroin at ``tol`` (metafor's default ``.Machine$double.eps^0.25``), replayed
    exactly so the limits equal ``metafor::confint.rma.uni``'s. I² and H² limits follow
    as :math:`100\tau^2/(\tilde v + \tau^2)` and :math:`1 + \tau^2/\tilde v`.

    Parameters
    ----------
    yi, vi, mask : array_like
        Effects, variances and the optional mask, shape ``(..., k)``.
    level : float
        Confidence level.
    tau2 : array_like, optional
        The model's tau² estimate; only widens the search bound as metafor does.
    tol : float
        Root-finding tolerance (R's ``uniroot`` ``tol``).

    References
    ----------
    Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in
    meta-analysis. Stat Med 26:37-52.
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
    Stat Med 21:1539-1558.
    """
    bt = prepare(yi, vi, mask)
    lb, ub, vt = qprofile_batch(bt, level, tau2, tol)
    s = bt.single
    return QProfile(
        tau2_low=finish(lb, s),
        tau2_high=finish(ub, s),
        i2_low=finish(i2_from_tau2(lb, vt), s),
        i2_high=finish(i2_from_tau2(ub, vt), s),
        h2_low=finish(h2_from_tau2(lb, vt), s),
        h2_high=finish(h2_from_tau2(ub, vt), s),
        level=level,
    )
