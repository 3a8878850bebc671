"""Small-study effects: Egger's regression test, Begg's rank correlation, trim-and-fill.

Each test mirrors its ``metafor`` counterpart (version 3.8-1):

- :func:`egger` is ``regtest(model = "lm")``: weighted least squares of the effects on
  their standard errors; the classic Egger intercept is the slope on the SE.
- :func:`begg` is ``ranktest()``: Kendall's tau between standardised effects and
  sampling variances.
- :func:`trimfill` is ``trimfill()``: Duval and Tweedie's L0 estimator of the number
  of missing studies, side chosen from the data, refit with the imputed studies.

Public API
----------
egger(yi, vi) -> Egger
begg(yi, vi) -> Begg
trimfill(yi, vi, method="REML", hk=False, measure=None, level=0.95) -> TrimFill
metareg_slope(yi, vi, x, method) -> float
    slope of a mixed-effects meta-regression on one moderator (side choice of trimfill)
kendall_exact_p(q, n) -> float
    two-sided exact p-value of Kendall's tau for q concordant pairs out of n

All functions take the studies of one analysis (1-D arrays) and return result objects
whose figures are Python floats, or None where a figure is undefined (never NaN).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from analysis.stats.batch import finite as _num
from analysis.stats.random_effects import fit_note, pooled_batch
from analysis.stats.results import Begg, Egger, TrimFill
from analysis.stats.tau2 import DIRECT, full_control
from analysis.vocabulary import FIT_METHODS

__all__ = [
    "FIT_METHODS",
    "Egger",
    "Begg",
    "TrimFill",
    "egger",
    "begg",
    "trimfill",
    "metareg_slope",
    "kendall_exact_p",
    "BEGG_EXACT_MAX",
]


#: convergence threshold of the iterative tau² estimators inside trim-and-fill: metafor's
#: ``trimfill()`` refits with ``rma.uni``'s default control (threshold 1e-5), so its
#: figures carry that precision; the same threshold reproduces them.
TRIMFILL_THRESHOLD = 1e-5

#: truncations fitted together (one batch) when trim-and-fill needs a new one
TRIMFILL_BLOCK = 64

#: iterations of the k0 search before giving up (metafor's ``maxiter``)
TRIMFILL_MAXITER = 100

#: the reason when every study has the same standard error (Egger, trim-and-fill)
SAME_SE = (
    "every study has the same standard error: a funnel plot has no spread of study "
    "sizes, so small-study effects cannot be assessed"
)

#: largest k for which Begg's p-value is exact (metafor's own exact p overflows at 171)
BEGG_EXACT_MAX = 300


# --------------------------------------------------------------------------- Egger


def egger(yi, vi) -> Egger:
    r"""Egger's regression test, as ``metafor::regtest(model = "lm", predictor = "sei")``.

    Weighted least squares of :math:`y_i` on :math:`\sqrt{v_i}` with weights
    :math:`1/v_i`: :math:`y_i = \beta_0 + \beta_1 \sqrt{v_i}`. This is Egger's regression
    of :math:`y_i/\sqrt{v_i}` on :math:`1/\sqrt{v_i}` with the roles of the coefficients
    swapped: the classic Egger intercept is :math:`\beta_1`, tested with
    :math:`t = \hat\beta_1/SE(\hat\beta_1)` on k - 2 df, the SE from the residual
    variance of the weighted fit. :math:`\beta_0` is the limit estimate.
    Undefined (None) for k < 3; t and p are None when the residuals vanish (every
    study has the same effect).

    References
    ----------
    Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected
    by a simple, graphical test. BMJ 315:629-634.
    Sterne JAC, Egger M (2005). Regression methods to detect publication and other bias
    in meta-analysis. In: Publication Bias in Meta-Analysis, Wiley, 99-110.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = y.size
    if k < 3:
        return Egger(
            None,
            None,
            None,
            (k - 2) if k >= 2 else None,
            None,
            None,
            note="Egger's test needs at least three studies",
        )
    w = 1 / v
    s = np.sqrt(v)
    if np.ptp(s) <= 1e-12 * s.max():
        return Egger(None, None, None, k - 2, None, None, note=SAME_SE)
    # centre y and s on their weighted means: the 2x2 normal equations decouple
    sw = w.sum()
    ym = (w * y).sum() / sw
    sm = (w * s).sum() / sw
    yc = y - ym
    sc = s - sm
    sxx = (w * sc * sc).sum()
    b1 = (w * sc * yc).sum() / sxx
    b0 = ym - b1 * sm
    r = yc - b1 * sc
    rss = (w * r * r).sum()
    df = k - 2
    sigma2 = rss / df
    se = math.sqrt(sigma2 / sxx)
    # every study with the same effect: residuals are rounding noise, the test is undefined
    scale = (w * y * y).sum()
    if rss <= 1e-24 * max(scale, 1e-300) or se == 0:
        return Egger(
            _num(b1) if abs(b1) > 1e-12 else 0.0,
            0.0,
            None,
            df,
            None,
            _num(b0),
            note="every study has the same effect: no residual variation, so the test "
            "statistic and its p-value are undefined",
        )
    t = b1 / se
    p = 2 * float(special.stdtr(df, -abs(t)))
    return Egger(_num(b1), _num(se), _num(t), df, _num(p), _num(b0))


# --------------------------------------------------------------------------- Begg


def _ranks_with_ties(x: np.ndarray) -> np.ndarray:
    """Sizes of the tie groups of ``x`` (only groups of 2 or more)."""
    _, counts = np.unique(x, return_counts=True)
    return counts[counts > 1].astype(float)


#: above this k, Kendall's S comes from scipy's O(k log k) tau-b instead of k x k signs
KENDALL_PAIRS_MAX = 500


def _kendall_s(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's S (concordant minus discordant pairs, ties count 0).

    Up to ``KENDALL_PAIRS_MAX`` studies from the signs of all pairs (k x k, exact in
    integers); beyond, from :func:`scipy.stats.kendalltau` (tau-b by merge sort) times
    its denominator, which avoids the k x k work (scipy.stats is imported only then).
    """
    n = x.size
    if n <= KENDALL_PAIRS_MAX:
        # each pair appears twice in the full matrix (same sign product), the diagonal is 0
        prod = np.sign(x[:, None] - x[None, :])
        prod *= np.sign(y[:, None] - y[None, :])
        return float(prod.sum()) / 2
    from scipy.stats import kendalltau

    tx, ty = _ranks_with_ties(x), _ranks_with_ties(y)
    t0 = n * (n - 1) / 2
    denom = math.sqrt((t0 - (tx * (tx - 1)).sum() / 2) * (t0 - (ty * (ty - 1)).sum() / 2))
    return float(round(float(kendalltau(x, y).statistic) * denom))


def kendall_exact_p(q: int, n: int) -> float:
    r"""Two-sided exact p-value of Kendall's statistic (no ties).

    ``q`` is the number of concordant pairs among ``n`` observations. Under
    independence ``q`` has the distribution of the number of inversions of a random
    permutation, whose generating function is :math:`\prod_{j=1}^n (1 + x + \dots +
    x^{j-1})/j`; the CDF follows by convolution (prefix sums). As R's
    ``cor.test(method = "kendall", exact = TRUE)``: :math:`p = \min(1, 2 P)` with
    :math:`P = P(T \le q)` if :math:`q \le n(n-1)/4`, else :math:`P(T \ge q)`.

    References
    ----------
    Kendall MG (1938). A new measure of rank correlation. Biometrika 30:81-93.
    Best DJ, Gipps PG (1974). The upper tail probabilities of Kendall's tau.
    Applied Statistics 23:98-100.
    """
    m = n * (n - 1) // 2
    # P(T >= q) = P(T <= m - q) by symmetry
    qq = q if q <= m / 2 else m - q
    if qq < 0:
        return 0.0
    dist = np.ones(1)
    for j in range(2, n + 1):
        length = min(dist.size + j - 1, qq + 1)
        c = np.concatenate(([0.0], np.cumsum(dist)))
        hi = np.minimum(np.arange(length) + 1, dist.size)
        lo = np.maximum(np.arange(length) - j + 1, 0)
        dist = (c[hi] - c[lo]) / j
    return float(min(1.0, 2 * dist[: qq + 1].sum()))


def begg(yi, vi) -> Begg:
    r"""Begg and Mazumdar's rank correlation test, as ``metafor::ranktest()``.

    With the common-effect estimate :math:`\hat\theta` and :math:`v^* = 1/\sum 1/v_i`,
    the standardised effects :math:`y_i^* = (y_i - \hat\theta)/\sqrt{v_i - v^*}` are
    correlated with :math:`v_i` by Kendall's tau-b. The p-value is exact when there are
    no ties and k <= ``BEGG_EXACT_MAX`` (metafor asks R for the exact p-value at every k,
    which R cannot compute beyond k = 170: it returns NaN there), otherwise from the
    normal approximation with R's tie-corrected variance of the score, no continuity
    correction. tau and p are None when one variable is constant (ties only) and for
    k < 3.

    References
    ----------
    Begg CB, Mazumdar M (1994). Operating characteristics of a rank correlation test for
    publication bias. Biometrics 50:1088-1101.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    n = y.size
    if n < 3:
        return Begg(None, None, note="Begg's test needs at least three studies")
    w = 1 / v
    theta = (w * y).sum() / w.sum()
    vstar = v - 1 / w.sum()
    ys = (y - theta) / np.sqrt(vstar)
    tx = _ranks_with_ties(ys)
    ty = _ranks_with_ties(v)
    t0 = n * (n - 1) / 2
    t1 = (tx * (tx - 1)).sum() / 2
    t2 = (ty * (ty - 1)).sum() / 2
    denom = math.sqrt((t0 - t1) * (t0 - t2))
    if denom == 0:
        return Begg(
            None,
            None,
            note="the standardised effects or the variances are all tied, so Kendall's "
            "tau is undefined",
        )
    s = _kendall_s(ys, v)
    tau = s / denom
    if tx.size == 0 and ty.size == 0 and n <= BEGG_EXACT_MAX:
        q = round((tau + 1) * n * (n - 1) / 4)
        p = kendall_exact_p(int(q), n)
    else:
        v0 = n * (n - 1) * (2 * n + 5)
        vt = (tx * (tx - 1) * (2 * tx + 5)).sum()
        vu = (ty * (ty - 1) * (2 * ty + 5)).sum()
        v1 = (tx * (tx - 1)).sum() * (ty * (ty - 1)).sum()
        v2 = (tx * (tx - 1) * (tx - 2)).sum() * (ty * (ty - 1) * (ty - 2)).sum()
        var_s = (v0 - vt - vu) / 18 + v1 / (2 * n * (n - 1)) + v2 / (9 * n * (n - 1) * (n - 2))
        z = s / math.sqrt(var_s)
        p = 2 * float(special.ndtr(-abs(z)))
    return Begg(_num(tau), _num(min(p, 1.0)))


# --------------------------------------------------------------------------- meta-regression


def _wls(X: np.ndarray, y: np.ndarray, w: np.ndarray):
    """Weighted least squares: coefficients, (X'WX)^-1 and residuals."""
    XtW = X.T * w
    A = np.linalg.inv(XtW @ X)
    beta = A @ (XtW @ y)
    return beta, A, y - X @ beta


def _rss(X, y, w) -> float:
    _, _, r = _wls(X, y, w)
    return float((w * r * r).sum())


def _tau2_metareg(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str) -> float:
    """tau² of a mixed-effects meta-regression (``metafor::rma.uni`` with ``mods``).

    The formulas of ``rma.uni`` with a design matrix X (k x p): DL, HE, HS, SJ in closed
    form, PM by bisection on the generalised Q, ML, REML and EB by Fisher scoring
    started at the HE estimate, every estimate truncated at 0.
    """
    k, p = X.shape
    if method == "EE":
        return 0.0
    if method in ("DL", "HS"):
        w = 1 / v
        beta, A, r = _wls(X, y, w)
        rss = float((w * r * r).sum())
        if method == "HS":
            return max(0.0, (rss - k) / w.sum())
        trP = w.sum() - np.trace(A @ ((X.T * w**2) @ X))
        return max(0.0, (rss - (k - p)) / trP)
    if method == "SJ":
        yc = y - y.mean()
        tau0 = float((yc * yc).mean())
        rss = _rss(X, y, 1 / (v + tau0))
        return max(0.0, tau0 * rss / (k - p))
    if method == "PM":
        target = k - p

        def q(t):
            return _rss(X, y, 1 / (v + t))

        if q(0.0) < target:
            return 0.0
        lo, hi = 0.0, 100.0
        if q(hi) > target:
            return hi
        for _ in range(200):
            mid = (lo + hi) / 2
            if q(mid) > target:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-14:
                break
        return (lo + hi) / 2
    # HE (also the start of ML, REML and EB)
    ones = np.ones(k)
    _, A0, r0 = _wls(X, y, ones)
    rss0 = float((r0 * r0).sum())
    trPV = v.sum() - np.trace(A0 @ ((X.T * v) @ X))
    tau2 = (rss0 - trPV) / (k - p)
    if method == "HE":
        return max(0.0, tau2)
    if method not in ("ML", "REML", "EB"):
        raise ValueError(f"method: unknown tau2 estimator {method!r}")
    tau2 = max(0.0, tau2)
    for _ in range(1000):
        w = 1 / (v + tau2)
        beta, A, r = _wls(X, y, w)
        Py = w * r
        if method == "ML":
            adj = ((Py * Py).sum() - w.sum()) / (w * w).sum()
        elif method == "REML":
            XtW2X = (X.T * w**2) @ X
            XtW3X = (X.T * w**3) @ X
            trP = w.sum() - np.trace(A @ XtW2X)
            trPP = (w * w).sum() - 2 * np.trace(A @ XtW3X) + np.trace(A @ XtW2X @ A @ XtW2X)
            adj = ((Py * Py).sum() - trP) / trPP
        else:
            adj = ((w * r * r).sum() * k / (k - p) - k) / w.sum()
        if not math.isfinite(adj):
            adj = 0.0
        while tau2 + adj < 0:
            adj /= 2
        old = tau2
        tau2 = tau2 + adj
        if abs(tau2 - old) < 1e-12:
            break
    return max(0.0, tau2)


def metareg_slope(yi, vi, x, method: str) -> float:
    r"""Slope of a meta-regression of ``yi`` on one moderator ``x``.

    tau² is estimated by ``method`` with the design :math:`[1, x]` (see
    ``metafor::rma.uni(yi, vi, mods = x, method)``), then the slope is the weighted
    least-squares coefficient with weights :math:`1/(v_i + \hat\tau^2)`. The effects are
    centred first, which leaves the slope unchanged and makes it exactly 0 when every
    study has the same effect. NaN when the design is singular (``x`` constant).

    References
    ----------
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package.
    J Stat Softw 36(3). Raudenbush SW (2009). Analyzing effect sizes: random-effects
    models. In: The Handbook of Research Synthesis and Meta-Analysis, 295-315.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    y = y - y.mean()
    X = np.column_stack([np.ones(y.size), np.asarray(x, dtype=float)])
    try:
        tau2 = _tau2_metareg(y, v, X, method)
        beta, _, _ = _wls(X, y, 1 / (v + tau2))
    except np.linalg.LinAlgError:  # a moderator without spread: no slope
        return float("nan")
    return float(beta[1])


# --------------------------------------------------------------------------- trim and fill


def trimfill(
    yi,
    vi,
    method: str = "REML",
    hk: bool = False,
    measure: str | None = None,
    level=0.95,
    control: dict | None = None,
) -> TrimFill:
    r"""Trim-and-fill with the L0 estimator, as ``metafor::trimfill(rma(yi, vi, method))``.

    1. Side: the sign of the slope of a meta-regression of the effects on their standard
       errors (same tau² estimator); a negative slope puts the missing studies on the
       right, otherwise on the left. Effects are mirrored so that missing studies are
       always on the left, then sorted.
    2. Iterate: pool the k - k0 studies with the smallest effects, centre all k effects
       on that estimate, rank their absolute values (ties by order), sum the ranks
       :math:`S_r` of the positive ones and set
       :math:`k_0 = \max(0, \mathrm{round}((4 S_r - k(k+1))/(2k - 1)))` until k0 repeats.
       The fits the iteration asks for (k0 = 0 ... at most :math:`k(k+1)/(2k-1)`) are
       computed as batches of meta-analyses, ``TRIMFILL_BLOCK`` truncations at a time.
       As in metafor, the fits inside the procedure use the default convergence threshold of the
       iterative tau² estimators (``TRIMFILL_THRESHOLD`` = 1e-5) and plain Fisher scoring
       (no step halving): metafor's algorithm is replayed here because its stopping point
       at that threshold is the figure it reports; a fit where it does not converge (and
       metafor stops with an error) is finished by the bracketed search. With k0 = 0 the
       result is the model itself at full precision.
    3. Fill: mirror the k0 most extreme studies about the last estimate
       (:math:`2\hat\theta - y_i`, same variance) and pool all k + k0 with ``method``.
       With k0 = 0 the result is the model itself.

    ``method`` is "EE" (common effect) or a tau² estimator of
    :mod:`analysis.stats.random_effects`. With
    ``hk`` the final fit uses Hartung-Knapp inference, like every analysis built on the
    chosen model (metafor's ``trimfill`` refits a Knapp-Hartung model with its default z
    test, but returns the model itself, with its t test, when k0 = 0); the estimate and
    k0 do not depend on it.
    Undefined (None figures) for k < 3, and when a fit inside the procedure does not
    converge or k0 does not settle within ``TRIMFILL_MAXITER`` iterations (where
    metafor stops with an error).

    References
    ----------
    Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of
    testing and adjusting for publication bias in meta-analysis. Biometrics 56:455-463.
    Duval S, Tweedie R (2000). A nonparametric "trim and fill" method of accounting for
    publication bias in meta-analysis. J Am Stat Assoc 95:89-98.
    """
    yo = np.asarray(yi, dtype=float)
    vo = np.asarray(vi, dtype=float)
    k = yo.size
    if k < 3:
        return TrimFill(
            None, None, None, None, None, k=k, note="trim-and-fill needs at least three studies"
        )
    if np.ptp(np.sqrt(vo)) <= 1e-12 * float(np.sqrt(vo).max()):
        return TrimFill(None, None, None, None, None, k=k, note=SAME_SE)
    c = dict(control or {}) if method != "EE" else {}
    slope = metareg_slope(yo, vo, np.sqrt(vo), method)
    if not math.isfinite(slope):
        return TrimFill(
            None,
            None,
            None,
            None,
            None,
            k=k,
            note="the regression of the effects on their standard errors is undefined, so "
            "the side of the missing studies cannot be chosen",
        )
    # A slope within rounding of zero (a symmetric funnel gives +-1e-17, its sign set by the
    # summation order of the BLAS) counts as zero, which metafor's rule puts on the left.
    noise = 1e-10 * float(np.abs(yo).max()) / float(np.sqrt(vo).min())
    side = "right" if slope < -noise else "left"
    sgn = -1.0 if side == "right" else 1.0
    order = np.argsort(sgn * yo, kind="stable")
    y = sgn * yo[order]
    v = vo[order]
    jmax = min(k - 1, int(math.floor(k * (k + 1) / (2 * k - 1))))
    betas = np.full(jmax + 1, np.nan)
    done = np.zeros(jmax + 1, dtype=bool)

    def beta_for(j: int) -> float:
        # fits of the truncations come in blocks of TRIMFILL_BLOCK, one batch per block
        if not done[j]:
            start = (j // TRIMFILL_BLOCK) * TRIMFILL_BLOCK
            trunc = np.arange(start, min(start + TRIMFILL_BLOCK, jmax + 1))
            mask = np.arange(k)[None, :] < (k - trunc)[:, None]
            fits = pooled_batch(
                y, v, mask, method, threshold=TRIMFILL_THRESHOLD, **{"halving": False, **c}
            )
            betas[trunc] = np.asarray(fits.b, dtype=float)
            done[trunc] = True
        return float(betas[j])

    k0, prev, it = 0, -1, 0
    beta = beta_for(0)
    while k0 != prev:
        prev = k0
        it += 1
        beta = beta_for(k0)
        if it > TRIMFILL_MAXITER or not math.isfinite(beta):
            # a fit that does not converge, or k0 cycling: metafor stops with an error
            why = (
                f"the number of missing studies did not settle within {TRIMFILL_MAXITER} iterations"
                if math.isfinite(beta)
                else f"a {method} fit inside the procedure did not converge"
            )
            return TrimFill(None, side, None, None, None, k=k, note=why)
        yc = y - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(yc), kind="stable")] = np.arange(1, k + 1)
        sr = ranks[yc > 0].sum()
        k0 = max(0, round((4 * sr - k * (k + 1)) / (2 * k - 1)))
        k0 = min(k0, jmax)
    if k0 > 0:
        fill_y = sgn * (2 * beta - y[k - k0 :])
        fill_v = v[k - k0 :]
        all_y = np.concatenate([yo, fill_y])
        all_v = np.concatenate([vo, fill_v])
    else:
        fill_y = fill_v = np.empty(0)
        all_y, all_v = yo, vo
    # k0 = 0 returns the model itself (full precision); a refit uses metafor's default
    threshold = TRIMFILL_THRESHOLD if k0 > 0 else 1e-12
    res = pooled_batch(
        all_y,
        all_v,
        None,
        method,
        hk=hk,
        measure=measure,
        level=level,
        threshold=threshold,
        **{"halving": k0 == 0, **c},
    )
    tau2 = 0.0 if method == "EE" else res.tau2
    return TrimFill(
        k0=int(k0),
        side=side,
        estimate=_num(res.estimate),
        ci_low=_num(res.ci_low),
        ci_high=_num(res.ci_high),
        b=_num(res.b),
        ci_lb=_num(res.ci_lb),
        ci_ub=_num(res.ci_ub),
        se=_num(res.se),
        p=_num(res.p),
        tau2=_num(tau2),
        k=int(k + k0),
        filled_yi=tuple(float(x) for x in fill_y),
        filled_vi=tuple(float(x) for x in fill_v),
        note=_trimfill_note(res, method, k + k0, c),
    )


def _trimfill_note(res, method: str, k: int, control: dict) -> str | None:
    """The final fit's note (how tau² was found, or why the figures are None)."""
    status = getattr(res, "status", DIRECT)
    if status == DIRECT:
        return None
    c = full_control(control)
    note = fit_note(method, k, int(status), c["maxiter"], c["fallback"], pi=False)
    return note
