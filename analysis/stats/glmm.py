"""Generalised linear mixed models for odds ratios, as ``metafor::rma.glmm`` (3.8-1) fits them.

Two models on the binomial likelihood itself, so no continuity correction is needed for a
zero cell (Stijnen, Hamza and Özdemir 2010, *Stat Med* 29:3046; Jackson et al. 2018,
*Stat Med* 37:1059; Viechtbauer 2010, *J Stat Softw* 36(3), ``rma.glmm``):

``UM.FS``, the unconditional model with fixed study effects (``rma.glmm`` fits it with
``lme4::glmer``). For study i, arm j (1 treatment, 2 control)::

    logit p_i1 = alpha_i + beta + u_i / 2,   logit p_i2 = alpha_i - u_i / 2,   u_i ~ N(0, tau²)

(metafor's default ``coding = 1/2``), maximised over (alpha_1..alpha_k, beta, tau) by the
marginal likelihood that ``glmer`` maximises with ``nAGQ = 7``: adaptive Gauss-Hermite
quadrature with 7 nodes, centred at each study's conditional mode of the spherical random
effect and scaled by the curvature there (Bates et al. 2015, *J Stat Softw* 67(1); lme4's
``glmerAGQ``). The study intercepts are profiled out study by study, which is exact for the
maximum and for the variance of beta (the beta block of the inverse Hessian equals the
inverse of the profile Hessian).

``CM.EL``, the conditional model with the exact likelihood: given the total number of
events m_i = a_i + c_i, a_i follows Fisher's noncentral hypergeometric distribution with
odds ratio exp(theta_i) (scipy's ``nchypergeom_fisher``), theta_i ~ N(beta, tau²), and the
likelihood of each study is integrated over theta_i (Van Houwelingen et al. 1993, *Stat Med*
12:2273). The integral is computed by adaptive Gauss-Hermite quadrature (the integrand is
log-concave; 48 nodes around its mode: with tau² near 11 on a zero-cell set, 24 nodes
move tau² by 1e-5), where ``rma.glmm`` calls ``integrate()``; the
probabilities are evaluated, vectorised over studies and nodes, from the log-binomial weights
of the distribution's support.

Both are fitted by maximum likelihood (``method = "ML"``): the estimate beta (log odds
ratio), its standard error from the inverse Hessian of the log-likelihood, the Wald
interval beta ± z se and the z test (``test = "z"``), and tau². Studies without events in
either arm, or with events only, carry no information on the odds ratio and are dropped as
``rma.glmm`` drops them (``drop00 = TRUE``). When a fit cannot be made (fewer than two
informative studies, a likelihood without a finite maximum) every figure is None and
``note`` says why.

Public API
----------
glmm_or(ai, n1i, ci, n2i, model="UM.FS", level=0.95) -> GlmmFit
MODELS : the model codes, ("UM.FS", "CM.EL")
MODEL_LABELS : a reader's name for each
double_zero(ai, n1i, ci, n2i) -> bool mask of the studies ``rma.glmm`` drops
nchg_logpmf(x, n1, n2, m1, log_or) -> log P(a = x) of Fisher's noncentral hypergeometric
    distribution (arrays broadcast), the conditional likelihood of ``CM.EL``
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special, stats

from analysis.stats.results import GlmmFit

__all__ = ["MODELS", "MODEL_LABELS", "double_zero", "glmm_or", "nchg_logpmf"]

MODELS = ("UM.FS", "CM.EL")
MODEL_LABELS = {
    "UM.FS": "unconditional logistic model with fixed study effects (GLMM)",
    "CM.EL": "conditional model with the exact (noncentral hypergeometric) likelihood (GLMM)",
}

#: lme4's number of adaptive Gauss-Hermite nodes in rma.glmm's default (nAGQ = 7).
NAGQ = 7
#: Nodes of the adaptive Gauss-Hermite rule of the CM.EL integral.
CMEL_NODES = 48
#: |log odds ratio| beyond which a fit is taken as having no finite maximum.
_DIVERGED = 20.0


def double_zero(ai, n1i, ci, n2i) -> np.ndarray:
    """Studies without events in either arm, or with events only (``rma.glmm``'s drop00)."""
    ai, n1i, ci, n2i = (np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i))
    return ((ai == 0) & (ci == 0)) | ((ai == n1i) & (ci == n2i))


# --- Fisher's noncentral hypergeometric distribution ----------------------------------------


def _support(n1: np.ndarray, n2: np.ndarray, m1: np.ndarray, a: np.ndarray | None = None):
    """Padded support y (k, S) of each study with its log weights log C(n1,y) + log C(n2,m1-y).

    With ``a``, the support is cut to a - W..a + W, W = 10 standard deviations of the
    central hypergeometric distribution + 20: where the likelihood of a is not negligible
    the distribution's mass lies within it (a truncated mass near e^-50), and large
    trials do not cost their whole support.
    """
    lo = np.maximum(0.0, m1 - n2)
    hi = np.minimum(n1, m1)
    if a is not None:
        nn = n1 + n2
        var = n1 * n2 * m1 * (nn - m1) / (nn**2 * np.maximum(nn - 1, 1))
        w = np.ceil(10 * np.sqrt(var) + 20)
        lo, hi = np.maximum(lo, a - w), np.minimum(hi, a + w)
    width = int(np.max(hi - lo)) + 1
    y = lo[:, None] + np.arange(width)[None, :]
    valid = y <= hi[:, None]
    yc = np.where(valid, y, lo[:, None])
    logw = (
        special.gammaln(n1 + 1)[:, None]
        - special.gammaln(yc + 1)
        - special.gammaln(n1[:, None] - yc + 1)
        + special.gammaln(n2 + 1)[:, None]
        - special.gammaln(m1[:, None] - yc + 1)
        - special.gammaln(n2[:, None] - m1[:, None] + yc + 1)
    )
    return yc, np.where(valid, logw, -np.inf)


def nchg_logpmf(x, n1, n2, m1, log_or) -> np.ndarray:
    """log P(a = x) for Fisher's noncentral hypergeometric distribution (arrays broadcast).

    a events in the treatment arm of size n1 given m1 events in all, control arm size n2,
    odds ratio exp(log_or); the same distribution as ``scipy.stats.nchypergeom_fisher(
    n1 + n2, n1, m1, exp(log_or))`` and ``BiasedUrn::dFNCHypergeo``.
    """
    arrays = (np.asarray(v, float) for v in (x, n1, n2, m1, log_or))
    x, n1, n2, m1, log_or = np.broadcast_arrays(*arrays)
    shape = x.shape
    return stats.nchypergeom_fisher.logpmf(
        x.ravel(), (n1 + n2).ravel(), n1.ravel(), m1.ravel(), np.exp(log_or.ravel())
    ).reshape(shape)


class _Conditional:
    """The CM.EL likelihood of k studies, vectorised over points, studies and nodes."""

    def __init__(self, a, n1, n2, m1) -> None:
        self.a = a
        self.y_full, self.logw_full = _support(n1, n2, m1)  # for the mode search
        self.y, self.logw = _support(n1, n2, m1, a)  # for the nodes, around the mode
        idx = (a - self.y[:, 0]).astype(int)
        self.logw_a = np.take_along_axis(self.logw, idx[:, None], axis=1)[:, 0]
        z, w = np.polynomial.hermite.hermgauss(CMEL_NODES)
        self.z, self.logw_gh = z, np.log(w) + z**2

    def _logp(self, t: np.ndarray) -> np.ndarray:
        """log P(a | log OR t) for t of shape (..., k, Q)."""
        lt = self.logw[:, None, :] + self.y[:, None, :] * t[..., None]
        return self.logw_a[:, None] + self.a[:, None] * t - special.logsumexp(lt, axis=-1)

    def _mode(self, beta: np.ndarray, tau: np.ndarray):
        """Mode and curvature of the log-concave integrand log P(a|t) + log N(t; beta, tau²)."""
        t = np.broadcast_to(beta, beta.shape[:-1] + (len(self.a),)).copy()
        for _ in range(60):
            lt = self.logw_full + self.y_full * t[..., None]
            p = special.softmax(lt, axis=-1)
            mean = np.sum(p * self.y_full, axis=-1)
            var = np.maximum(np.sum(p * self.y_full**2, axis=-1) - mean**2, 0.0)
            h = var + 1.0 / tau**2
            step = np.clip((self.a - mean - (t - beta) / tau**2) / h, -2.0, 2.0)
            t = t + step
            if np.max(np.abs(step)) < 1e-11:
                break
        return t, 1.0 / np.sqrt(h)

    def fixed_fit(self, beta: float) -> tuple[np.ndarray, np.ndarray, bool]:
        """The optimum on the boundary tau = 0 (conditional fixed-effect MLE), if it is one.

        Newton on beta with the exact score sum(a - E[a]) and information sum(Var[a]); the
        boundary is the maximum when the likelihood falls as tau leaves 0. Returns
        ((beta, 0), the Hessian of -log L with the tau row from differences, converged).
        """
        info = 0.0
        for _ in range(100):
            p = special.softmax(self.logw_full + self.y_full * beta, axis=-1)
            mean = np.sum(p * self.y_full, axis=-1)
            info = float(np.sum(np.sum(p * self.y_full**2, axis=-1) - mean**2))
            step = float(np.sum(self.a - mean)) / info
            step = max(-2.0, min(2.0, step))
            beta += step
            if abs(step) < 1e-12:
                break
        else:
            return np.array([beta, 0.0]), np.full((2, 2), np.nan), False
        lt = self.logw_full + self.y_full * beta
        ll0 = float(np.sum(self.logw_a + self.a * beta - special.logsumexp(lt, axis=-1)))
        tau = 1e-2
        d2 = 2 * (ll0 - float(self.loglik(np.array([beta]), np.array([tau]))[0])) / tau**2
        return np.array([beta, 0.0]), np.array([[info, 0.0], [0.0, d2]]), d2 >= 0

    def loglik(self, beta, tau, grad: bool = False):
        """log-likelihood at points (beta, tau) of shape (P,), and its gradient (P, 2).

        Each study's likelihood is the integral of P(a_i | t) N(t; beta, tau²) dt by
        adaptive Gauss-Hermite quadrature; the gradient is the quadrature of the
        derivative of log N under the normalised integrand.
        """
        beta = np.asarray(beta, dtype=float)[:, None]
        sign = np.where(np.asarray(tau, dtype=float) < 0, -1.0, 1.0)  # even in tau
        tau = np.maximum(np.abs(np.asarray(tau, dtype=float)), 1e-7)[:, None]
        t, sigma = self._mode(beta, tau)
        nodes = t[..., None] + math.sqrt(2.0) * sigma[..., None] * self.z
        dev = (nodes - beta[..., None]) / tau[..., None]
        lognorm = -0.5 * dev**2 - np.log(tau[..., None]) - 0.5 * math.log(2 * math.pi)
        terms = self._logp(nodes) + lognorm + self.logw_gh
        integral = special.logsumexp(terms, axis=-1)
        ll = np.sum(integral + np.log(math.sqrt(2.0) * sigma), axis=-1)
        if not grad:
            return ll
        wts = np.exp(terms - integral[..., None])
        tt = tau[..., None]
        g_beta = np.sum(wts * dev / tt, axis=(-1, -2))
        g_tau = sign * np.sum(wts * (dev**2 - 1) / tt, axis=(-1, -2))
        return ll, np.stack([g_beta, g_tau], axis=-1)


# --- the unconditional model with fixed study effects ---------------------------------------


def _softplus(t: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, t)


class _Unconditional:
    """The UM.FS deviance of k studies by lme4's adaptive Gauss-Hermite rule (nAGQ nodes).

    Vectorised over P parameter points (arrays of shape (P, k), nodes on a last axis).
    """

    def __init__(self, x1, n1, x2, n2, nagq: int = NAGQ) -> None:
        self.x1, self.n1, self.x2, self.n2 = x1, n1, x2, n2
        # the saturated part of the binomial deviance residuals (constant in the parameters)
        self.c = (
            special.xlogy(x1, x1) + special.xlogy(n1 - x1, n1 - x1) - special.xlogy(n1, n1)
        ) + (special.xlogy(x2, x2) + special.xlogy(n2 - x2, n2 - x2) - special.xlogy(n2, n2))
        z, w = np.polynomial.hermite_e.hermegauss(nagq)
        self.z = z
        self.logw = np.log(w / math.sqrt(2 * math.pi)) + z**2 / 2  # lme4: w·exp(-ldnorm)/√2π
        p1 = (x1 + 0.5) / (n1 + 1.0)
        p2 = (x2 + 0.5) / (n2 + 1.0)
        self.alpha = np.log(p2 / (1 - p2))
        lor = np.log(p1 / (1 - p1)) - self.alpha
        w_iv = 1 / (1 / (x1 + 0.5) + 1 / (n1 - x1 + 0.5) + 1 / (x2 + 0.5) + 1 / (n2 - x2 + 0.5))
        self.start_beta = float(np.sum(w_iv * lor) / np.sum(w_iv))

    def _devc(self, alpha, beta, theta, u, nodes: bool = False):
        """Deviance residuals of both arms plus u² (lme4's devcCol), and its u-derivatives."""
        e1 = alpha + beta + theta * u / 2
        e2 = alpha - theta * u / 2
        col = (slice(None), None) if nodes else (slice(None),)
        x1, n1, x2, n2, c = self.x1[col], self.n1[col], self.x2[col], self.n2[col], self.c[col]
        d = 2 * (
            c
            + x1 * _softplus(-e1)
            + (n1 - x1) * _softplus(e1)
            + x2 * _softplus(-e2)
            + (n2 - x2) * _softplus(e2)
        )
        m1 = special.expit(e1)
        m2 = special.expit(e2)
        g = theta * ((n1 * m1 - x1) - (n2 * m2 - x2)) + 2 * u
        w = n1 * m1 * (1 - m1) + n2 * m2 * (1 - m2)
        return d + u**2, g, w

    def study_deviance(self, alpha, beta, theta) -> np.ndarray:
        """Each study's AGQ deviance (-2 log marginal likelihood up to a constant)."""
        u = np.zeros_like(alpha)
        for _ in range(100):  # penalised IRLS for the conditional mode (Newton on u)
            _, g, w = self._devc(alpha, beta, theta, u)
            step = g / (theta**2 * w / 2 + 2)
            u = u - step
            if np.max(np.abs(step)) < 1e-13:
                break
        d0, _, w = self._devc(alpha, beta, theta, u)
        l2 = 1 + theta**2 * w / 4  # squared diagonal of lme4's Cholesky factor L
        nodes = u[..., None] + self.z / np.sqrt(l2)[..., None]
        dn, _, _ = self._devc(alpha[..., None], beta[..., None], theta[..., None], nodes, True)
        mult = special.logsumexp(self.logw - 0.5 * (dn - d0[..., None]), axis=-1)
        return d0 + np.log(l2) - 2 * mult

    def deviance(self, beta, theta) -> np.ndarray:
        """The deviance at points (beta, theta) of shape (P,), profiled over the intercepts."""
        beta = np.asarray(beta, dtype=float)[:, None]
        theta = np.asarray(theta, dtype=float)[:, None]
        alpha = np.broadcast_to(self.alpha, (len(beta), len(self.alpha))).copy()
        h = 1e-5
        for _ in range(100):  # Newton per study and point, central differences in alpha
            a3 = np.stack([alpha - h, alpha, alpha + h])
            dm, d0, dp = self.study_deviance(a3, beta, theta)
            grad = (dp - dm) / (2 * h)
            curv = (dp - 2 * d0 + dm) / h**2
            step = np.where(curv > 0, grad / np.where(curv > 0, curv, 1.0), np.sign(grad))
            step = np.clip(step, -2.0, 2.0)
            alpha = alpha - step
            if np.max(np.abs(step)) < 1e-10:
                break
        self.alpha = alpha[0]  # warm start for the next evaluation
        return np.sum(self.study_deviance(alpha, beta, theta), axis=-1)


# --- the fit ---------------------------------------------------------------------------------

_H = 1e-4  # finite-difference step of gradients and Hessians
_STENCIL = np.array(
    [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float
)


def _stencil_fgh(f: Callable[[np.ndarray, np.ndarray], np.ndarray]):
    """Value, central-difference gradient and Hessian of a batched f(beta, tau) at a point."""

    def fgh(x: np.ndarray):
        pts = x + _H * _STENCIL
        v = f(pts[:, 0], pts[:, 1])
        g = np.array([v[1] - v[2], v[3] - v[4]]) / (2 * _H)
        hbb = (v[1] - 2 * v[0] + v[2]) / _H**2
        htt = (v[3] - 2 * v[0] + v[4]) / _H**2
        hbt = (v[5] - v[6] - v[7] + v[8]) / (4 * _H**2)
        return float(v[0]), g, np.array([[hbb, hbt], [hbt, htt]])

    return fgh


def _gradient_fgh(f: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]):
    """Value and analytic gradient of a batched f, Hessian by central differences of it."""

    def fgh(x: np.ndarray):
        pts = x + _H * _STENCIL[:5]
        v, g = f(pts[:, 0], pts[:, 1])
        hess = np.array([g[1] - g[2], g[3] - g[4]]) / (2 * _H)
        return float(v[0]), g[0], (hess + hess.T) / 2

    return fgh


def _newton(
    fgh, value, x: np.ndarray, tau_floor: float = 0.0
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Minimum of a function of (beta, tau) even in tau by damped Newton steps.

    The function being even in tau, tau is left unconstrained and |tau| is the estimate:
    an optimum at tau = 0 is a stationary point too. Returns (x, Hessian, converged);
    stops unconverged when |tau| falls below ``tau_floor``.
    """
    hess = np.full((2, 2), np.nan)
    for _ in range(200):
        fx, g, hess = fgh(x)
        ev, evec = np.linalg.eigh(hess)
        if np.all(np.isfinite(ev)) and ev.min() > 1e-8 * max(1.0, abs(ev.max())):
            step = np.linalg.solve(hess, g)
        else:  # not convex here: a gradient step scaled by the curvature's magnitude
            step = evec @ ((evec.T @ g) / np.maximum(np.abs(ev), 1.0))
        step = step * min(1.0, 2.0 / max(1e-300, float(np.max(np.abs(step)))))
        lam = 1.0
        while lam > 1e-6 and not value(x - lam * step) <= fx + 1e-11 * (1 + abs(fx)):
            lam /= 2
        if lam <= 1e-6:  # no descent along the step: at the optimum up to rounding, or stuck
            x[1] = abs(x[1])
            return x, hess, bool(np.max(np.abs(step)) < 1e-5)
        x = x - lam * step
        if abs(x[1]) < tau_floor:
            return x, hess, False
        if np.max(np.abs(lam * step)) < 1e-10:
            x[1] = abs(x[1])
            return x, fgh(x)[2], True
    return x, hess, False


def _fail(model: str, k: int, dropped: int, level: float, note: str) -> GlmmFit:
    return GlmmFit(
        model=model, measure="OR", k=k, k_dropped=dropped, b=None, se=None, ci_lb=None,
        ci_ub=None, estimate=None, ci_low=None, ci_high=None, stat=None, p=None, tau2=None,
        level=level, note=note,
    )  # fmt: skip


def glmm_or(ai, n1i, ci, n2i, model: str = "UM.FS", level: float = 0.95) -> GlmmFit:
    """The pooled odds ratio by a GLMM: ``rma.glmm(measure="OR", model=model, method="ML")``.

    Parameters
    ----------
    ai, n1i, ci, n2i : array_like
        Events and totals of the treatment (``ai``, ``n1i``) and control arms, one per study.
    model : str
        "UM.FS" (unconditional, fixed study effects, 7-node adaptive Gauss-Hermite as
        lme4's glmer) or "CM.EL" (conditional, exact noncentral hypergeometric likelihood).
    level : float
        Confidence level of the Wald interval.

    Returns
    -------
    GlmmFit
        Log odds ratio ``b`` with its standard error (inverse Hessian of the
        log-likelihood), Wald interval and z test, tau² (ML), the same on the odds-ratio
        scale; None with a ``note`` when no fit can be made.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    ai, n1i, ci, n2i = (np.asarray(x, dtype=float).ravel() for x in (ai, n1i, ci, n2i))
    drop = double_zero(ai, n1i, ci, n2i)
    ai, n1i, ci, n2i = ai[~drop], n1i[~drop], ci[~drop], n2i[~drop]
    k, dropped = len(ai), int(drop.sum())
    if k < 2:
        why = "fewer than two studies with events in at least one arm"
        if dropped:
            why += f" ({dropped} without events in either arm, or with events only, dropped)"
        return _fail(model, k, dropped, level, f"GLMM not fitted: {why}.")
    lo, hi = np.maximum(0.0, ai + ci - n2i), np.minimum(n1i, ai + ci)
    if np.all(ai == hi) or np.all(ai == lo):
        return _fail(model, k, dropped, level, _NO_MAXIMUM)
    uncond = _Unconditional(ai, n1i, ci, n2i)
    x0 = np.array([uncond.start_beta, 0.3])
    if model == "CM.EL":
        cond = _Conditional(ai, n1i, n2i, ai + ci)

        def neg_ll(b: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            v, g = cond.loglik(b, t, grad=True)
            return -v, -g

        x, info, converged = _newton(
            _gradient_fgh(neg_ll), lambda p: float(-cond.loglik(p[:1], p[1:])[0]), x0, 1e-3
        )
        if not converged or abs(x[1]) < 1e-3:  # the boundary tau = 0, where the quadrature
            x, info, converged = cond.fixed_fit(x0[0])  # in tau degenerates: check it directly
    else:
        x, hess, converged = _newton(
            _stencil_fgh(uncond.deviance), lambda p: float(uncond.deviance(p[:1], p[1:])[0]), x0
        )
        info = hess / 2  # the deviance is -2 log L
    beta, tau = float(x[0]), float(x[1])
    if not np.all(np.isfinite(info)) or abs(beta) > _DIVERGED:
        return _fail(model, k, dropped, level, _NO_MAXIMUM)
    if not converged:
        return _fail(model, k, dropped, level, _NOT_CONVERGED)
    try:
        var = float(np.linalg.inv(info)[0, 0])
    except np.linalg.LinAlgError:
        var = math.nan
    if not var > 0:
        return _fail(model, k, dropped, level, _SINGULAR)
    se = math.sqrt(var)
    crit = float(stats.norm.isf((1 - level) / 2))
    z = beta / se
    note = None
    if dropped:
        note = (
            f"{dropped} {'study' if dropped == 1 else 'studies'} without events in either arm "
            f"(or with events only) {'carries' if dropped == 1 else 'carry'} no information on "
            f"the odds ratio and {'was' if dropped == 1 else 'were'} left out."
        )
    return GlmmFit(
        model=model,
        measure="OR",
        k=k,
        k_dropped=dropped,
        b=beta,
        se=se,
        ci_lb=beta - crit * se,
        ci_ub=beta + crit * se,
        estimate=math.exp(beta),
        ci_low=math.exp(beta - crit * se),
        ci_high=math.exp(beta + crit * se),
        stat=z,
        p=float(2 * stats.norm.sf(abs(z))),
        tau2=tau**2,
        level=level,
        note=note,
    )


_SINGULAR = "GLMM not fitted: the information matrix is singular."
_NOT_CONVERGED = (
    "GLMM not fitted: the maximisation of the likelihood did not converge (the data do not "
    "pin down the odds ratio and the between-study variance together)."
)
_NO_MAXIMUM = (
    "GLMM not fitted: the likelihood has no finite maximum (every study's events fall "
    "at the same extreme, so the odds ratio is estimated as zero or infinite)."
)
