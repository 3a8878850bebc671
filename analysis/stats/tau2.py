"""Estimators of the between-study variance tau² for a batch of meta-analyses.

Each estimator follows ``metafor::rma.uni(method = ...)`` (metafor 3.8) for the
intercept-only model, including its truncation at 0, its starting values, its iteration
rules and its standard error of tau². Iterative estimators run for all members of a batch
at once with per-member convergence.

Public API
----------
METHODS = TAU2_METHODS
estimate_tau2(yi, vi, method="REML", mask=None, **control) -> Tau2Fit
tau2_batch(bt, method, **control)
    -> (tau2, se_tau2, converged, iterations, status) as arrays, for a prepared ``Batch``.
Control, CONTROL, full_control(given) -> Control
    the fit's controls (keyword arguments ``threshold=1e-12, maxiter=100, tol=R_TOL,
    stepadj=1.0, halving=True, fallback=True, start=None``), as metafor's ``control``
    list; :func:`analysis.stats.random_effects.rma` takes the same.
DIRECT, SEARCHED, FAILED: the status codes.

``threshold`` is the Fisher-scoring convergence criterion (|change in tau²|; metafor's
default is 1e-5, the reference results used 1e-12); ``tol`` is the ``uniroot`` tolerance
of the Paule-Mandel search (metafor's default, ``.Machine$double.eps^0.25``, which the
reference results used); ``maxiter`` is metafor's ``maxiter`` (100).

An estimate that exists is always reached: where Fisher scoring (ML, REML, EB) or R's
``uniroot`` interval (PM) does not get there, the estimating equation is solved by a
bracketed search with :func:`scipy.optimize.brentq` to full precision. metafor's own
algorithms are replayed (Fisher scoring from its start, its ``uniroot`` for PM, its
truncation and tau² = 0 checks) because that is what makes the figures it reports at its
default threshold agree (trim-and-fill's inner fits, ``TRIMFILL_THRESHOLD``); a converged
fit is the root of the same equation however it was reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

import numpy as np

from analysis.stats.batch import Batch, finish, prepare
from analysis.stats.heterogeneity import q_gen
from analysis.stats.results import Tau2Fit
from analysis.stats.roots import R_TOL, zeroin

_EPS = float(np.finfo(float).eps)

__all__ = [
    "METHODS",
    "DIRECT",
    "SEARCHED",
    "FAILED",
    "CONTROL",
    "Control",
    "full_control",
    "estimate_tau2",
    "tau2_batch",
]

METHODS = ("DL", "REML", "PM", "ML", "HS", "SJ", "EB", "HE")


class Control(TypedDict, total=False):
    """The controls of a tau² fit, each optional (keyword arguments; see :data:`CONTROL`).

    ``threshold``, ``maxiter``, ``tol``: convergence (see the module docstring);
    ``stepadj``, ``halving``, ``fallback``: Fisher-scoring step factor (metafor's
    ``stepadj``), step halving at an overshoot, and the bracketed search for fits that have
    not converged (ML, REML, EB, PM); ``start``: a warm start per member (ML, REML, EB;
    see :func:`_fisher`).
    """

    threshold: float
    maxiter: int
    tol: float
    stepadj: float
    halving: bool
    fallback: bool
    start: Any


#: The default of every control (metafor's, but ``threshold``: see the module docstring).
CONTROL: Control = {
    "threshold": 1e-12,
    "maxiter": 100,
    "tol": R_TOL,
    "stepadj": 1.0,
    "halving": True,
    "fallback": True,
    "start": None,
}


def full_control(given: Mapping[str, Any] | None = None) -> Control:
    """Every control: ``given`` over the defaults :data:`CONTROL`.

    Raises
    ------
    TypeError
        For a name that is not a control (as a misspelt keyword argument would).
    """
    given = given or {}
    unknown = sorted(set(given) - set(CONTROL))
    if unknown:
        raise TypeError(f"not a control of the tau² fit: {', '.join(unknown)}")
    full: Control = {**CONTROL, **given}  # type: ignore[typeddict-item]
    return full


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


#: how each member's estimate was reached (``status`` of :func:`tau2_batch`)
DIRECT, SEARCHED, FAILED = 0, 1, 2


def _score_parts(y, v, mf, kk, t0, method: str):
    r"""Score numerator and Fisher information of one iteration, per member (2-D inputs).

    ML: :math:`\sum w^2 r^2 - \sum w` over :math:`\sum w^2`; REML:
    :math:`\sum w^2 r^2 - \mathrm{tr}(P)` over :math:`\mathrm{tr}(PP)`; EB:
    :math:`\frac{k}{k-1} Q(\tau^2) - k` over :math:`\sum w` (Viechtbauer 2005). The
    numerator is twice the score of the (restricted) log-likelihood for ML and REML.
    """
    w = v + t0[:, None]
    np.divide(mf, w, out=w)
    s1 = w.sum(-1)
    b = np.einsum("ij,ij->i", w, y) / s1
    w2 = w * w
    s2 = w2.sum(-1)
    if method == "EB":
        r = y - b[:, None]
        r *= r
        q = np.einsum("ij,ij->i", w, r)
        return q * kk / (kk - 1) - kk, s1
    r = y - b[:, None]
    w2r = w2 * r
    swr = np.einsum("ij,ij->i", w2r, r)  # sum w² r²
    if method == "ML":
        return swr - s1, s2
    s3 = np.einsum("ij,ij->i", w2, w)
    return swr - (s1 - s2 / s1), _sum_pp(s1, s2, s3)


def _fisher(bt: Batch, method: str, c: Control):
    r"""ML, REML and EB: Fisher scoring with step halving, then a bracketed search.

    1. Fisher scoring as ``rma.uni`` does it: start at the HE estimate truncated at 0 (or
       at ``start``, a warm start), step :math:`\tau^2 \leftarrow \tau^2 +`
       ``stepadj`` :math:`\times` score/information, halve a step that would cross 0,
       stop when the change is at most ``threshold``, give up after ``maxiter``.
    2. Step halving (``halving``): a step that overshoots, so that the score changes sign
       and grows in size, is taken back and halved. Plain Fisher scoring oscillates with
       growing amplitude on ordinary data (a small tau² with one dominant study); metafor
       damps it with a constant ``stepadj``, this halves only the steps that need it.
    3. Members still not converged (``fallback``): the root of the score on a bracket,
       by :func:`scipy.optimize.brentq` to full double precision (:func:`_search`).
    4. metafor's check (ML, REML): if the likelihood at tau² = 0 is higher, tau² = 0.

    A warm start (``start``) reaches the same root in a few steps; but where the maximum
    is at the boundary, Fisher scoring creeps towards 0 and stops a hair above it, at a
    point that depends on where it started. Members that end within ``1000 threshold``
    of 0 are therefore refitted from metafor's start, so that they stop where metafor
    does.

    ``c`` holds every control (:func:`full_control`). Returns ``(tau2, se, converged,
    iterations, status)`` with ``status`` DIRECT, SEARCHED or FAILED per member.
    """
    threshold, maxiter, tol, start = c["threshold"], c["maxiter"], c["tol"], c["start"]
    stepadj, halving = c["stepadj"], c["halving"]
    k = bt.k
    shape = k.shape
    if start is None:
        tau2 = np.maximum(0.0, _he(bt)[0])
    else:
        tau2 = np.broadcast_to(np.asarray(start, dtype=float), shape).copy()
    tau2 = np.where(np.isfinite(tau2), np.maximum(tau2, 0.0), 0.0)
    K = bt.y.shape[-1]
    y2, v2, mf2 = (a.reshape(-1, K) for a in (bt.y, bt.v, bt.mf))
    k2 = k.reshape(-1)
    t = tau2.reshape(-1).copy()
    n = t.size
    conv_f = np.ones(n, dtype=bool)
    iters_f = np.zeros(n, dtype=int)
    t_prev = t.copy()  # the point the last step started from
    num_prev = np.full(n, np.nan)  # its score numerator
    step_prev = np.zeros(n)
    idx = np.arange(n)
    it = 0
    while idx.size:
        it += 1
        if idx.size == n:  # every member still iterating: views, no copies
            y, v, mf, kk, t0 = y2, v2, mf2, k2, t.copy()
        else:
            y, v, mf, kk, t0 = y2[idx], v2[idx], mf2[idx], k2[idx], t[idx]
        num, info = _score_parts(y, v, mf, kk, t0, method)
        num = np.where(np.isnan(num), 0.0, num)
        adj = stepadj * num / info
        adj = np.where(np.isfinite(adj), adj, 0.0)
        for _ in range(1100):  # metafor: while (tau2 + adj < tau2.min) adj <- adj/2
            neg = t0 + adj < 0
            if not neg.any():
                break
            adj = np.where(neg, adj / 2, adj)
        new = t0 + adj
        if halving:
            npv = num_prev[idx]
            back = (np.sign(num) != np.sign(npv)) & (np.abs(num) > np.abs(npv))
            half = step_prev[idx] / 2
            new = np.where(back, t_prev[idx] + half, new)
            keep = ~back
            t_prev[idx] = np.where(keep, t0, t_prev[idx])
            num_prev[idx] = np.where(keep, num, npv)
            step_prev[idx] = np.where(keep, adj, half)
        change = np.abs(t0 - new)
        t[idx] = new
        iters_f[idx] = it
        still = change > threshold
        if halving:
            still |= back  # converged only on a full Fisher step, never on a halved one
        if it > maxiter:
            conv_f[idx[still]] = False
            break
        idx = idx[still]
    tau2 = t.reshape(shape)
    conv = conv_f.reshape(shape)
    iters = iters_f.reshape(shape)
    if start is not None:
        cold = conv & (tau2 < 1000 * threshold)
        if cold.any():
            sub = Batch(bt.y[cold], bt.v[cold], bt.m[cold], bt.mf[cold], k[cold], False)
            t_c, _, c_c, i_c, _ = _fisher(sub, method, {**c, "fallback": False, "start": None})
            tau2, conv, iters = tau2.copy(), conv.copy(), iters.copy()
            tau2[cold], conv[cold], iters[cold] = t_c, c_c, iters[cold] + i_c
    status = np.where(conv, DIRECT, FAILED)
    if c["fallback"] and not conv.all():
        tau2, conv, status = _search_members(bt, method, tau2, conv, status)
    if method in ("ML", "REML"):
        reml = method == "REML"
        ll0 = _loglik(bt, np.zeros(shape), reml)
        ll = _loglik(bt, np.nan_to_num(tau2), reml)
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
    return tau2, np.where(conv, se, np.nan), conv, iters, status


def _estimating_function(y, v, method: str):
    r"""The function whose root is the estimate, for one analysis (1-D arrays).

    ML, REML, EB: the score numerator of :func:`_score_parts` (decreasing to negative
    values as tau² grows); PM: :math:`Q(\tau^2) - (k - 1)` (decreasing).
    """
    k = y.size
    mf = np.ones(k)
    y1, v1, m1 = y[None, :], v[None, :], mf[None, :]
    kk = np.array([k])

    if method == "PM":

        def f(x: float) -> float:
            return float(q_gen(np.array([x]), y1, v1, m1)[0]) - (k - 1)

    else:

        def f(x: float) -> float:
            return float(_score_parts(y1, v1, m1, kk, np.array([x]), method)[0][0])

    return f


def _search(y, v, method: str) -> float:
    r"""The estimate of one analysis by a bracketed root search (NaN if none is found).

    The root of :func:`_estimating_function` on :math:`[0, hi]`, ``hi`` doubled from
    :math:`\max(1, 10\,\mathrm{var}(y))` until the function is negative there, by
    Brent's method (:func:`scipy.optimize.brentq`, relative tolerance 4 machine epsilons):
    for ML and REML the point where the score of the (restricted) log-likelihood is zero,
    its maximum on :math:`[0, \infty)`; 0 when the function is not positive at 0 (the
    maximum lies on the boundary). scipy is imported here, only for the rare analyses
    that need it.
    """
    from scipy.optimize import brentq

    if y.size < 2:
        return 0.0 if y.size else float("nan")
    f = _estimating_function(y, v, method)
    f0 = f(0.0)
    if not np.isfinite(f0):
        return float("nan")
    if f0 <= 0:
        return 0.0
    hi = max(1.0, 10 * float(np.var(y)))
    for _ in range(200):
        fh = f(hi)
        if np.isfinite(fh) and fh < 0:
            break
        hi *= 2
    else:
        return float("nan")
    if fh == 0:
        return hi
    return float(brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * _EPS, maxiter=1000))


def positions(mask) -> list[tuple[int, ...]]:
    """Index tuples of the True entries of ``mask`` (also for a 0-d array)."""
    mask = np.asarray(mask, dtype=bool)
    return (
        [tuple(int(i) for i in pos) for pos in np.argwhere(mask)]
        if mask.ndim
        else ([()] if mask else [])
    )


def _search_members(bt: Batch, method: str, tau2, conv, status):
    """Run :func:`_search` on the members that did not converge."""
    tau2 = np.array(tau2, dtype=float, copy=True)
    conv = np.array(conv, dtype=bool, copy=True)
    status = np.array(status, copy=True)
    for pos in positions(~conv):
        m = bt.m[pos]
        r = _search(bt.y[pos][m], bt.v[pos][m], method)
        if np.isfinite(r):
            tau2[pos], conv[pos], status[pos] = r, True, SEARCHED
    return tau2, conv, status


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def tau2_batch(bt: Batch, method: str = "REML", **given: Unpack[Control]):
    """tau² and its standard error for a prepared batch, as arrays.

    Members with k < 2 get tau² = 0 and se NaN (metafor sets tau² = 0 for k = 1).
    The controls (:class:`Control`) ``stepadj``, ``halving``, ``fallback`` and ``start``
    (a warm start, per member) steer ML, REML and EB (see :func:`_fisher`); ``fallback``
    also lets PM search beyond metafor's interval. Returns ``(tau2, se_tau2, converged,
    iterations, status)``, ``status`` DIRECT, SEARCHED or FAILED per member.
    """
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)} (got {method!r})")
    c = full_control(given)
    k = bt.k
    shape = k.shape
    iters = np.zeros(shape, dtype=int)
    conv = np.ones(shape, dtype=bool)
    status = np.full(shape, DIRECT)
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
            tau2, conv, iters = _pm(bt, c["maxiter"], c["tol"])
            status = np.where(conv, DIRECT, FAILED)
            if c["fallback"] and not np.all(conv):
                tau2, conv, status = _search_members(bt, "PM", tau2, conv, status)
            se = np.where(conv, _se_pm(bt, np.nan_to_num(tau2)), np.nan)
        else:
            tau2, se, conv, iters, status = _fisher(bt, method, c)
    one = k < 2
    tau2 = np.where(one, 0.0, tau2)
    se = np.where(one, np.nan, se)
    conv = np.where(one, True, conv)
    status = np.where(one, DIRECT, status)
    return tau2, se, conv, iters, status


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def estimate_tau2(yi, vi, method: str = "REML", mask=None, **given: Unpack[Control]) -> Tau2Fit:
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
    - ``ML``, ``REML``: Fisher scoring from the HE estimate, step-halving at 0 and at an
      overshoot, stopping when the change is below ``threshold``; if it has not converged
      within ``maxiter`` iterations, the root of the score by a bracketed search
      (``fallback``); then metafor's check that the likelihood at tau² = 0 is not higher
      (else tau² = 0). See :func:`_fisher`.
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
    **given
        The controls of the fit (:class:`Control`): ``threshold``, ``maxiter``, ``tol``,
        ``stepadj``, ``halving``, ``fallback``.

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
    tau2, se, conv, iters, status = tau2_batch(bt, method, **given)
    s = bt.single
    return Tau2Fit(
        method=method,
        tau2=finish(tau2, s),
        se_tau2=finish(se, s),
        converged=bool(conv) if s else conv,
        iterations=int(iters) if s else iters,
        searched=bool(status == SEARCHED) if s else status == SEARCHED,
    )
