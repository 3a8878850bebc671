"""Estimators of the between-study variance tau² for a batch of meta-analyses.

Each estimator follows ``metafor::rma.uni(method = ...)`` (metafor 3.8) for the
intercept-only model, including its truncation at 0, its starting values, its iteration
rules and its standard error of tau². Iterative estimators run for all members of a batch
at once with per-member convergence.

Public API
----------
METHODS = TAU2_METHODS
estimate_tau2(yi, vi, method="REML", mask=None, threshold=1e-12, maxiter=100,
              tol=R_TOL) -> Tau2Fit
tau2_batch(bt, method, threshold=1e-12, maxiter=100, tol=R_TOL)
    -> (tau2, se_tau2, converged, iterations) as arrays, for a prepared ``Batch``.

``threshold`` is the Fisher-scoring convergence criterion (|change in tau²|; metafor's
default is 1e-5, the reference results used 1e-12); ``tol`` is the ``uniroot`` tolerance
of the Paule-Mandel search (metafor's default, ``.Machine$double.eps^0.25``, which the
reference results used); ``maxiter`` is metafor's ``maxiter`` (100).
"""

from __future__ import annotations

import numpy as np

from analysis.stats.batch import Batch, finish, prepare
from analysis.stats.heterogeneity import q_gen
from analysis.stats.results import Tau2Fit
from analysis.stats.roots import R_TOL, zeroin

__all__ = ["METHODS", "estimate_tau2", "tau2_batch"]

METHODS = ("DL", "REML", "PM", "ML", "HS", "SJ", "EB", "HE")


def _sums(w: np.ndarray):
    """Sums of powers of the weights (masked entries carry w = 0)."""
    s1 = w.sum(axis=-1)
    s2 = (w**2).sum(axis=-1)
    s3 = (w**3).sum(axis=-1)
    return s1, s2, s3


def _sum_pp(s1, s2, s3):
    """sum(P*P) = tr(PP) for P = W - w w'/sum(w)."""
    return s2 - 2 * s3 / s1 + s2**2 / s1**2


def _mean(y, mf, k):
    return (y * mf).sum(axis=-1) / np.maximum(k, 1)


def _dl(bt: Batch):
    w = bt.mf / bt.v
    s1, s2, s3 = _sums(w)
    k = bt.k
    q = q_gen(np.zeros(k.shape), bt.y, bt.v, bt.mf)
    trp = s1 - s2 / s1
    tau2 = np.maximum(0.0, (q - (k - 1)) / trp)
    se = np.sqrt(2 * (k - 1) + 4 * tau2 * trp + 2 * tau2**2 * _sum_pp(s1, s2, s3)) / trp
    return tau2, se


def _he(bt: Batch):
    k = bt.k
    ybar = _mean(bt.y, bt.mf, k)
    rss = (bt.mf * (bt.y - ybar[..., None]) ** 2).sum(axis=-1)
    sv = (bt.mf * bt.v).sum(axis=-1)
    sv2 = (bt.mf * bt.v**2).sum(axis=-1)
    trpv = sv * (1 - 1 / k)
    tau2 = (rss - trpv) / (k - 1)
    return tau2, trpv, sv, sv2


def _he_final(bt: Batch):
    k = bt.k
    tau2, trpv, sv, sv2 = _he(bt)
    tau2 = np.maximum(0.0, tau2)
    pvpv = sv2 * (1 - 2 / k) + sv**2 / k**2
    se = np.sqrt(2 * pvpv + 4 * tau2 * trpv + 2 * tau2**2 * (k - 1)) / (k - 1)
    return tau2, se


def _hs(bt: Batch):
    w = bt.mf / bt.v
    s1, s2, s3 = _sums(w)
    k = bt.k
    q = q_gen(np.zeros(k.shape), bt.y, bt.v, bt.mf)
    tau2 = np.maximum(0.0, (q - k) / s1)
    trp = s1 - s2 / s1
    se = np.sqrt(2 * (k - 1) + 4 * tau2 * trp + 2 * tau2**2 * _sum_pp(s1, s2, s3)) / s1
    return tau2, se


def _sj(bt: Batch):
    k = bt.k
    ybar = _mean(bt.y, bt.mf, k)
    tau2_0 = (bt.mf * (bt.y - ybar[..., None]) ** 2).sum(axis=-1) / k
    w = bt.mf / (bt.v + tau2_0[..., None])
    s1, s2, s3 = _sums(w)
    rss = q_gen(tau2_0, bt.y, bt.v, bt.mf)
    tau2 = np.maximum(0.0, tau2_0 * rss / (k - 1))
    v = bt.v
    pvpv = ((w * v) ** 2).sum(-1) - 2 * (w**3 * v**2).sum(-1) / s1 + (w**2 * v).sum(-1) ** 2 / s1**2
    pvp = (w**2 * v).sum(-1) - 2 * (w**3 * v).sum(-1) / s1 + s2 * (w**2 * v).sum(-1) / s1**2
    pp = _sum_pp(s1, s2, s3)
    se = tau2_0 / (k - 1) * np.sqrt(2 * pvpv + 4 * tau2 * pvp + 2 * tau2**2 * pp)
    return tau2, se


def _se_pm(bt: Batch, tau2):
    k = bt.k
    w = bt.mf / (bt.v + tau2[..., None])
    return np.sqrt(2 * k**2 / (k - 1) / w.sum(axis=-1) ** 2)


def _median(x, m, k):
    """Median of the masked entries of each member (sorting, no NaN machinery)."""
    s = np.sort(np.where(m, x, np.inf), axis=-1)
    lo = np.clip((k - 1) // 2, 0, None)[..., None]
    hi = np.clip(k // 2, 0, None)[..., None]
    med = (np.take_along_axis(s, lo, -1) + np.take_along_axis(s, hi, -1)) / 2
    return np.where(k > 0, med[..., 0], np.nan)


def _mad(y, m, k):
    """R's ``mad()``: 1.4826 * median(|y - median(y)|) per member (masked)."""
    med = _median(y, m, k)
    return 1.4826 * _median(np.abs(y - med[..., None]), m, k)


def _pm(bt: Batch, maxiter: int, tol: float):
    k = bt.k
    shape = k.shape
    ybar = _mean(bt.y, bt.mf, k)
    ymc = np.where(bt.m, bt.y - ybar[..., None], 0.0)
    target = (k - 1).astype(float)
    tau2_max = np.maximum(100.0, 10 * _mad(bt.y, bt.m, k) ** 2)

    K = ymc.shape[-1]
    y2, v2, mf2 = (a.reshape(-1, K) for a in (ymc, bt.v, bt.mf))
    t_flat = target.ravel()

    def f(x):
        return q_gen(x, ymc, bt.v, bt.mf) - target

    def f_rows(x, idx):
        return q_gen(x, y2[idx], v2[idx], mf2[idx]) - t_flat[idx]

    f0 = f(np.zeros(shape))
    fmax = f(tau2_max)
    tau2 = np.full(shape, np.nan)
    conv = np.ones(shape, dtype=bool)
    iters = np.zeros(shape, dtype=int)
    at0 = f0 < 0
    tau2[at0] = 0.0
    too_low = ~at0 & (fmax > 0)
    conv[too_low] = False
    search = ~at0 & ~too_low
    if search.any():
        f_lo = np.where(search, f0, np.nan)
        r, c, it = zeroin(f_rows, np.zeros(shape), tau2_max, f_lo, fmax, tol, maxiter)
        tau2 = np.where(search, np.where(c, r, np.nan), tau2)
        conv = np.where(search, c, conv)
        iters = np.where(search, it, iters)
    return np.maximum(0.0, tau2), conv, iters


def _loglik(bt: Batch, tau2, reml: bool):
    k = bt.k
    vt = bt.v + tau2[..., None]
    w = bt.mf / vt
    rss = q_gen(tau2, bt.y, bt.v, bt.mf)
    slog = (bt.mf * np.log(vt)).sum(axis=-1)
    if reml:
        return -0.5 * (k - 1) * np.log(2 * np.pi) - 0.5 * slog - 0.5 * np.log(w.sum(-1)) - 0.5 * rss
    return -0.5 * k * np.log(2 * np.pi) - 0.5 * slog - 0.5 * rss


def _fisher(bt: Batch, method: str, threshold: float, maxiter: int, tol: float):
    """Fisher scoring for ML, REML and EB as ``rma.uni`` does it (start: HE truncated at 0)."""
    k = bt.k
    shape = k.shape
    tau2 = np.maximum(0.0, _he(bt)[0])
    tau2 = np.where(np.isfinite(tau2), tau2, 0.0)
    K = bt.y.shape[-1]
    y2, v2, mf2 = (a.reshape(-1, K) for a in (bt.y, bt.v, bt.mf))
    k2 = k.reshape(-1)
    t = tau2.reshape(-1).copy()
    conv_f = np.ones(t.shape, dtype=bool)
    iters_f = np.zeros(t.shape, dtype=int)
    idx = np.arange(t.size)
    it = 0
    while idx.size:
        it += 1
        y, v, mf, kk, t0 = y2[idx], v2[idx], mf2[idx], k2[idx], t[idx]
        w = mf / (v + t0[:, None])
        s1, s2, s3 = _sums(w)
        b = (w * y).sum(-1) / s1
        r = y - b[:, None]
        if method == "ML":
            adj = ((w**2 * r**2).sum(-1) - s1) / s2
        elif method == "REML":
            trp = s1 - s2 / s1
            adj = ((w**2 * r**2).sum(-1) - trp) / _sum_pp(s1, s2, s3)
        else:  # EB
            q = (w * r**2).sum(-1)
            adj = (q * kk / (kk - 1) - kk) / s1
        adj = np.where(np.isnan(adj), 0.0, adj)
        for _ in range(1100):  # metafor: while (tau2 + adj < tau2.min) adj <- adj/2
            neg = t0 + adj < 0
            if not neg.any():
                break
            adj = np.where(neg, adj / 2, adj)
        new = t0 + adj
        change = np.abs(t0 - new)
        t[idx] = new
        iters_f[idx] = it
        still = change > threshold
        if it > maxiter:
            conv_f[idx[still]] = False
            break
        idx = idx[still]
    tau2 = t.reshape(shape)
    conv = conv_f.reshape(shape)
    iters = iters_f.reshape(shape)
    if method in ("ML", "REML"):
        reml = method == "REML"
        ll0 = _loglik(bt, np.zeros(shape), reml)
        ll = _loglik(bt, tau2, reml)
        stuck = conv & (ll0 - ll > tol) & (tau2 > threshold)
        tau2 = np.where(stuck, 0.0, tau2)
    tau2 = np.where(conv, np.maximum(0.0, tau2), np.nan)
    w = bt.mf / (bt.v + np.nan_to_num(tau2)[..., None])
    s1, s2, s3 = _sums(w)
    if method == "ML":
        se = np.sqrt(2 / s2)
    elif method == "REML":
        se = np.sqrt(2 / _sum_pp(s1, s2, s3))
    else:
        se = np.sqrt(2 * k**2 / (k - 1) / s1**2)
    return tau2, np.where(conv, se, np.nan), conv, iters


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def tau2_batch(
    bt: Batch,
    method: str = "REML",
    threshold: float = 1e-12,
    maxiter: int = 100,
    tol: float = R_TOL,
):
    """tau² and its standard error for a prepared batch, as arrays.

    Members with k < 2 get tau² = 0 and se NaN (metafor sets tau² = 0 for k = 1).
    Returns ``(tau2, se_tau2, converged, iterations)``.
    """
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)} (got {method!r})")
    k = bt.k
    shape = k.shape
    iters = np.zeros(shape, dtype=int)
    conv = np.ones(shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "DL":
            tau2, se = _dl(bt)
        elif method == "HE":
            tau2, se = _he_final(bt)
        elif method == "HS":
            tau2, se = _hs(bt)
        elif method == "SJ":
            tau2, se = _sj(bt)
        elif method == "PM":
            tau2, conv, iters = _pm(bt, maxiter, tol)
            se = np.where(conv, _se_pm(bt, np.nan_to_num(tau2)), np.nan)
        else:
            tau2, se, conv, iters = _fisher(bt, method, threshold, maxiter, tol)
    one = k < 2
    tau2 = np.where(one, 0.0, tau2)
    se = np.where(one, np.nan, se)
    conv = np.where(one, True, conv)
    return tau2, se, conv, iters


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def estimate_tau2(
    yi,
    vi,
    method: str = "REML",
    mask=None,
    threshold: float = 1e-12,
    maxiter: int = 100,
    tol: float = R_TOL,
) -> Tau2Fit:
    r"""Estimate the between-study variance tau² with one of eight estimators.

    With :math:`w_i = 1/v_i`, :math:`Q` Cochran's Q and :math:`Q(\tau^2)` the generalised
    Q (:func:`analysis.stats.heterogeneity.q_gen`); all estimates are truncated at 0:

    - ``DL`` DerSimonian-Laird: :math:`(Q - (k-1)) / (\sum w - \sum w^2/\sum w)`.
    - ``HE`` Hedges (variance components / Hedges-Olkin):
      :math:`(\sum (y_i - \bar y)^2 - \frac{k-1}{k}\sum v_i)/(k-1)`.
    - ``HS`` Hunter-Schmidt: :math:`(Q - k)/\sum w`.
    - ``SJ`` Sidik-Jonkman: :math:`\tau_0^2 Q(\tau_0^2)/(k-1)`,
      :math:`\tau_0^2 = \sum (y_i - \bar y)^2/k`.
    - ``PM`` Paule-Mandel: root of :math:`Q(\tau^2) = k - 1`, by R's ``uniroot`` on
      ``[0, max(100, 10 mad(y)^2)]`` as metafor does.
    - ``ML``, ``REML``: Fisher scoring from the HE estimate, step-halving at 0, stopping
      when the change is below ``threshold``; then metafor's check that the likelihood at
      tau² = 0 is not higher (else tau² = 0).
    - ``EB`` empirical Bayes (Morris): Fisher-type iteration
      :math:`\tau^2 \leftarrow \tau^2 + (\frac{k}{k-1}Q(\tau^2) - k)/\sum w_i(\tau^2)`.

    ``se_tau2`` is metafor's for each estimator (e.g. REML :math:`\sqrt{2/\mathrm{tr}(PP)}`,
    ML :math:`\sqrt{2/\sum w^2}`, PM and EB :math:`\sqrt{2k^2/((k-1)(\sum w)^2)}`).

    Parameters
    ----------
    yi, vi : array_like
        Effects and sampling variances, shape ``(..., k)``.
    method : str
        One of :data:`METHODS`.
    mask : array_like of bool, optional
        Studies included in each analysis.
    threshold, maxiter, tol : float, int, float
        Convergence controls (see the module docstring).

    Returns
    -------
    Tau2Fit

    References
    ----------
    DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials
    7:177-188.
    Hedges LV, Olkin I (1985). Statistical Methods for Meta-Analysis. Academic Press.
    Hunter JE, Schmidt FL (2004). Methods of Meta-Analysis, 2nd ed. Sage.
    Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for
    meta-analysis. J R Stat Soc C 54:367-384.
    Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur
    Stand 87:377-385.
    Morris CN (1983). Parametric empirical Bayes inference: theory and applications.
    J Am Stat Assoc 78:47-55.
    Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. J Educ Behav Stat 30:261-293.
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package.
    J Stat Softw 36(3) (``rma.uni``).
    """
    bt = prepare(yi, vi, mask)
    tau2, se, conv, iters = tau2_batch(bt, method, threshold, maxiter, tol)
    s = bt.single
    return Tau2Fit(
        method=method,
        tau2=finish(tau2, s),
        se_tau2=finish(se, s),
        converged=bool(conv) if s else conv,
        iterations=int(iters) if s else iters,
    )
