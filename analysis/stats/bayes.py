"""Bayesian normal-normal random-effects meta-analysis by numerical integration over tau.

The model (Röver 2020, *J Stat Softw* 93(6), the R package bayesmeta; Friede et al. 2017,
*Biom J* 59:658; Röver et al. 2021, *Res Synth Methods* 12:448)::

    y_i | theta_i ~ N(theta_i, s_i²),   theta_i | mu, tau ~ N(mu, tau²),
    p(mu) ∝ 1 (flat),   tau ~ half-normal(scale),

on the analysis scale (log for ratio measures). Given tau the posterior of mu is normal
with mean m(tau) = Σ w_i y_i / Σ w_i and variance v(tau) = 1 / Σ w_i, w_i = 1/(s_i² + tau²),
and the marginal posterior of tau is

    p(tau | y) ∝ p(tau) · Π_i (s_i² + tau²)^(-1/2) · (Σ w_i)^(-1/2) · exp(-½ Σ w_i (y_i - m)²).

Everything else is a one-dimensional integral over tau, computed deterministically (no
MCMC, no random numbers) by composite Gauss-Legendre quadrature on [0, T], T where the
log posterior has fallen 40 below its maximum: the posterior of mu and the predictive
distribution of a new study's effect are mixtures of normals over tau, whose quantiles are
found by root search on their distribution functions, as bayesmeta does (it discretises
tau by the DIRECT algorithm, Röver and Friede 2017, *J Comput Graph Stat* 26:180).

Public API
----------
bayes_re(yi, sei, tau_scale=DEFAULT_TAU_SCALE, measure=None, level=0.95,
         higher_is_better=True) -> BayesFit
    posterior median and equal-tailed credible interval of the overall effect (natural
    scale), of tau, the predictive interval of a new study's effect, and the posterior
    probability that the treatment is better
DEFAULT_TAU_SCALE : 0.5, Röver et al.'s half-normal scale for log odds and risk ratios
prior_label(tau_scale) -> str
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from analysis.stats.batch import natural
from analysis.stats.results import BayesFit

__all__ = ["DEFAULT_TAU_SCALE", "bayes_re", "prior_label"]

#: the half-normal scale on tau used when the protocol names none (Röver et al. 2021:
#: 0.5 is weakly informative for log odds ratios and log risk ratios)
DEFAULT_TAU_SCALE = 0.5

_PANELS = 120
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)


def _logsumexp(x: np.ndarray) -> float:
    """log(sum(exp(x))) of a 1-D array (numpy: scipy's array-API version costs ~1 ms a call)."""
    m = float(np.max(x))
    return m + math.log(float(np.sum(np.exp(x - m))))


def prior_label(tau_scale: float) -> str:
    """The prior in words, as results and the text state it."""
    return f"half-normal prior on tau with scale {tau_scale:g}, flat prior on the overall effect"


class _Posterior:
    """The marginal posterior of tau and the conditional normal posteriors of mu."""

    def __init__(self, y: np.ndarray, s2: np.ndarray, scale: float) -> None:
        self.y, self.s2, self.scale = y, s2, scale
        spread = float(np.ptp(y)) if len(y) > 1 else 0.0
        big = 20 * (scale + spread + math.sqrt(float(np.max(s2))))
        coarse = np.linspace(0.0, big, 401)
        lp = self.logpost(coarse)
        keep = np.nonzero(lp > lp.max() - 40)[0]
        self.upper = float(coarse[min(keep[-1] + 1, len(coarse) - 1)])
        edges = np.linspace(0.0, self.upper, _PANELS + 1)
        half = np.diff(edges)[:, None] / 2
        self.tau = (edges[:-1, None] + half * (_NODES + 1)).ravel()
        lw = np.log((half * _WEIGHTS).ravel()) + self.logpost(self.tau)
        self.log_norm = _logsumexp(lw)
        self.w = np.exp(lw - self.log_norm)
        self.edges = edges
        self.panel_cdf = np.concatenate([[0.0], np.cumsum(self.w.reshape(_PANELS, -1).sum(1))])
        self.m, self.v = self.conditional(self.tau)

    def conditional(self, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of mu given tau (arrays over tau)."""
        w = 1.0 / (self.s2[None, :] + tau[:, None] ** 2)
        sw = w.sum(axis=1)
        return (w * self.y).sum(axis=1) / sw, 1.0 / sw

    def logpost(self, tau: np.ndarray) -> np.ndarray:
        """log p(tau | y) up to a constant (half-normal prior times the marginal likelihood)."""
        w = 1.0 / (self.s2[None, :] + tau[:, None] ** 2)
        sw = w.sum(axis=1)
        m = (w * self.y).sum(axis=1) / sw
        q = (w * (self.y - m[:, None]) ** 2).sum(axis=1)
        return (
            -0.5 * (tau / self.scale) ** 2
            + 0.5 * np.log(w).sum(axis=1)
            - 0.5 * np.log(sw)
            - 0.5 * q
        )

    def tau_quantile(self, p: float) -> float:
        """The p-quantile of tau: the panel from the cumulative panel masses, then a root
        search within it, P(tau <= t) by Gauss-Legendre on [panel start, t]."""
        i = int(np.clip(np.searchsorted(self.panel_cdf, p) - 1, 0, _PANELS - 1))
        start, base = float(self.edges[i]), float(self.panel_cdf[i])

        def cdf(t: float) -> float:
            if t <= start:
                return base
            half = (t - start) / 2
            x = start + half * (_NODES + 1)
            lw = np.log(half * _WEIGHTS) + self.logpost(x)
            return base + float(np.exp(_logsumexp(lw) - self.log_norm))

        hi = float(self.edges[i + 1])
        if cdf(hi) < p:  # rounding at a panel edge
            return hi
        return float(optimize.brentq(lambda t: cdf(t) - p, start, hi, xtol=1e-13))

    def mixture_cdf(self, x: float, extra_var: np.ndarray | float = 0.0) -> float:
        """P(mu <= x | y), or of a new study's effect with extra_var = tau²."""
        return float(np.sum(self.w * special.ndtr((x - self.m) / np.sqrt(self.v + extra_var))))


def _quantile(cdf, p: float, lo: float, hi: float) -> float:
    while cdf(lo) > p:
        lo -= hi - lo
    while cdf(hi) < p:
        hi += hi - lo
    return float(optimize.brentq(lambda x: cdf(x) - p, lo, hi, xtol=1e-12, rtol=1e-12))


def bayes_re(
    yi,
    sei,
    tau_scale: float = DEFAULT_TAU_SCALE,
    measure: str | None = None,
    level: float = 0.95,
    higher_is_better: bool = True,
) -> BayesFit:
    """Posterior summaries of the normal-normal random-effects model (see the module).

    Parameters
    ----------
    yi, sei : array_like
        Study effects on the analysis scale (log for RR and OR) and their standard errors.
    tau_scale : float
        Scale of the half-normal prior on tau (analysis scale).
    measure : str or None
        Effect measure; decides the natural scale of ``estimate``, the intervals and the null.
    level : float
        Credible level of the equal-tailed intervals.
    higher_is_better : bool
        Whether an effect above the null favours the treatment (``p_benefit``).
    """
    y = np.asarray(yi, dtype=float).ravel()
    s = np.asarray(sei, dtype=float).ravel()
    ok = np.isfinite(y) & np.isfinite(s) & (s > 0)
    y, s = y[ok], s[ok]
    k = len(y)
    prior = prior_label(tau_scale)
    if k == 0 or not tau_scale > 0:
        why = "no study with an effect and a standard error" if k == 0 else "prior scale not > 0"
        return BayesFit(
            prior=prior, tau_scale=tau_scale, measure=measure, k=k, estimate=None,
            ci_low=None, ci_high=None, tau=None, tau_ci_low=None, tau_ci_high=None,
            pi_low=None, pi_high=None, p_benefit=None, level=level,
            note=f"Bayesian analysis not computed: {why}.",
        )  # fmt: skip
    post = _Posterior(y, s**2, tau_scale)
    a = (1 - level) / 2
    sd = float(np.sqrt(np.max(post.v + post.tau**2)))
    lo, hi = float(post.m.min()) - 10 * sd, float(post.m.max()) + 10 * sd

    def mu_q(p: float) -> float:
        return _quantile(post.mixture_cdf, p, lo, hi)

    def pred_q(p: float) -> float:
        return _quantile(lambda x: post.mixture_cdf(x, post.tau**2), p, lo, hi)

    tau_q = post.tau_quantile

    mu, mu_low, mu_high = mu_q(0.5), mu_q(a), mu_q(1 - a)
    below = post.mixture_cdf(0.0)
    nat = lambda x: float(natural(x, measure))  # noqa: E731
    return BayesFit(
        prior=prior,
        tau_scale=tau_scale,
        measure=measure,
        k=k,
        estimate=nat(mu),
        ci_low=nat(mu_low),
        ci_high=nat(mu_high),
        tau=tau_q(0.5),
        tau_ci_low=tau_q(a),
        tau_ci_high=tau_q(1 - a),
        pi_low=nat(pred_q(a)),
        pi_high=nat(pred_q(1 - a)),
        p_benefit=float(1 - below if higher_is_better else below),
        mu=mu,
        mu_low=mu_low,
        mu_high=mu_high,
        level=level,
        note=None,
    )
