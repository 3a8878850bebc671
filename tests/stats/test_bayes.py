"""Bayesian random effects (analysis.stats.bayes) against an independent dense-grid computation.

R's bayesmeta is not packaged for Debian (no ``r-cran-bayesmeta``) and is not installed
here, so the reference is computed in this test by brute force: the joint posterior of
(mu, tau) evaluated on a dense two-dimensional grid from the likelihood
Π N(y_i; mu, s_i² + tau²) and the priors alone (no conjugate formulas), integrated by the
trapezoid rule, quantiles read from the cumulative sums. Agreement 1e-4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.stats.bayes import DEFAULT_TAU_SCALE, bayes_re

SETS = {
    # log odds ratios and standard errors: three, five and two trials; one heterogeneous
    "three": ([0.92, 0.35, 1.20], [0.41, 0.30, 0.55]),
    "five": ([-0.2, 0.1, 0.45, -0.6, 0.3], [0.25, 0.2, 0.35, 0.4, 0.15]),
    "two": ([0.8, -0.1], [0.3, 0.45]),
    "heterogeneous": ([1.5, -0.8, 0.6, 2.1], [0.2, 0.25, 0.3, 0.2]),
}


def _trapz_cum(f: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2 * np.diff(x))])


def _trap_weights(x: np.ndarray) -> np.ndarray:
    w = np.full(len(x), x[1] - x[0])
    w[0] = w[-1] = (x[1] - x[0]) / 2
    return w


def _quantile(x: np.ndarray, cdf: np.ndarray, p: float) -> float:
    return float(np.interp(p, cdf / cdf[-1], x))


def _grid_reference(y, s, scale, near):
    """Posterior summaries by a dense (mu, tau) grid, independent of the module.

    ``near``: where to bracket the bisection for the predictive limits (within 0.05).
    """
    y, s = np.asarray(y), np.asarray(s)
    tau = np.linspace(0.0, 6 * scale + 2 * np.ptp(y), 2001)
    span = 5 * np.max(s) + 1.5 * tau[-1]
    mu = np.linspace(y.mean() - span, y.mean() + span, 6001)
    logpost = np.zeros((len(tau), len(mu)))
    for yi, si in zip(y, s, strict=True):
        v = si**2 + tau[:, None] ** 2
        logpost += -0.5 * np.log(2 * np.pi * v) - 0.5 * (yi - mu[None, :]) ** 2 / v
    logpost += stats.halfnorm.logpdf(tau, scale=scale)[:, None]
    post = np.exp(logpost - logpost.max())
    mu_dens = np.trapezoid(post, tau, axis=0)
    tau_dens = np.trapezoid(post, mu, axis=1)
    mu_cdf = _trapz_cum(mu_dens, mu)
    tau_cdf = _trapz_cum(tau_dens, tau)
    # a new study's effect theta = mu + tau z: P(theta <= x) = E[Phi((x - mu) / tau)] over
    # the grid posterior, its quantiles by bisection
    # (on every 4th tau and 2nd mu of the grid: the predictive limits are smooth in both)
    ts, ms, ps = tau[::4], mu[::2], post[::4, ::2]
    wgt = ps * np.outer(_trap_weights(ts), _trap_weights(ms))
    wgt /= wgt.sum()
    sd = np.maximum(ts, 1e-300)[:, None]

    def pred_cdf(x: float) -> float:
        inner = np.where(ts[:, None] > 0, stats.norm.cdf((x - ms[None, :]) / sd), ms <= x)
        return float(np.sum(wgt * inner))

    def pred_q(p: float, near: float) -> float:
        lo, hi = near - 0.05, near + 0.05
        assert pred_cdf(lo) < p < pred_cdf(hi)
        for _ in range(22):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if pred_cdf(mid) < p else (lo, mid)
        return (lo + hi) / 2

    return {
        "mu": _quantile(mu, mu_cdf, 0.5),
        "mu_low": _quantile(mu, mu_cdf, 0.025),
        "mu_high": _quantile(mu, mu_cdf, 0.975),
        "tau": _quantile(tau, tau_cdf, 0.5),
        "tau_low": _quantile(tau, tau_cdf, 0.025),
        "tau_high": _quantile(tau, tau_cdf, 0.975),
        "pi_low": pred_q(0.025, near[0]),
        "pi_high": pred_q(0.975, near[1]),
        "p_benefit": 1 - float(np.interp(0.0, mu, mu_cdf / mu_cdf[-1])),
    }


@pytest.mark.parametrize(
    "name",
    # the grid costs ~10-30 s a set: one set in the everyday loop, all with the slow tests
    [n if n == "three" else pytest.param(n, marks=pytest.mark.slow) for n in sorted(SETS)],
)
def test_equals_dense_grid_integration(name: str) -> None:
    y, s = SETS[name]
    fit = bayes_re(y, s, DEFAULT_TAU_SCALE, measure="OR")
    near = (math.log(fit.pi_low), math.log(fit.pi_high))
    ref = _grid_reference(y, s, DEFAULT_TAU_SCALE, near)
    ours = {
        "mu": fit.mu,
        "mu_low": fit.mu_low,
        "mu_high": fit.mu_high,
        "tau": fit.tau,
        "tau_low": fit.tau_ci_low,
        "tau_high": fit.tau_ci_high,
        "pi_low": math.log(fit.pi_low),
        "pi_high": math.log(fit.pi_high),
        "p_benefit": fit.p_benefit,
    }
    for key, want in ref.items():
        # 1e-4 relative, on the log scale absolute 1e-4 where the figure is near 0
        assert abs(ours[key] - want) <= 1e-4 * max(1.0, abs(want)), (key, ours[key], want)
    assert math.isclose(fit.estimate, math.exp(fit.mu), rel_tol=1e-12)
    assert fit.ci_low < fit.estimate < fit.ci_high
    assert fit.pi_low <= fit.ci_low and fit.pi_high >= fit.ci_high


def test_interval_narrows_as_trials_are_added() -> None:
    """Property: trials added from the same distribution narrow the credible interval."""
    rng = np.random.default_rng(5)
    for _ in range(5):
        y = rng.normal(0.3, math.sqrt(0.2**2 + 0.3**2), 40)
        s = np.full(40, 0.3)
        widths = [bayes_re(y[:k], s[:k], measure="OR") for k in (3, 10, 40)]
        w = [f.mu_high - f.mu_low for f in widths]
        assert w[0] > w[1] > w[2]


def test_single_trial_and_reasons() -> None:
    one = bayes_re([0.5], [0.3], measure="RR")
    assert one.k == 1 and one.ci_low < one.estimate < one.ci_high
    # one trial: the overall effect is the trial's, widened by the prior on tau
    assert one.mu_high - one.mu_low > 2 * 1.96 * 0.3
    none = bayes_re([], [], measure="RR")
    assert none.estimate is None and "not computed" in none.note
    assert bayes_re([0.1, 0.2], [0.1, 0.1], tau_scale=0.0).note


def test_direction_of_benefit_and_natural_scale() -> None:
    fit = bayes_re([0.5, 0.7], [0.2, 0.25], measure="RD")
    assert fit.estimate == fit.mu  # identity scale
    worse = bayes_re([0.5, 0.7], [0.2, 0.25], measure="RD", higher_is_better=False)
    assert math.isclose(fit.p_benefit + worse.p_benefit, 1.0, rel_tol=1e-12)
    assert fit.p_benefit > 0.95


def test_many_trials_leave_little_to_the_prior() -> None:
    """Property: at k = 200 (the benchmark's size; its speed goal is measured in
    ``bench/glmm_bench.py``, not here) the data dominate the weakly informative prior: the
    posterior median and 95 % credible interval of the overall effect come close to the REML
    estimate and its normal-theory CI, and the posterior median of tau to REML's."""
    from analysis.stats.random_effects import rma

    rng = np.random.default_rng(1)
    s = rng.uniform(0.1, 0.6, 200)
    y = rng.normal(0.2, np.sqrt(0.3**2 + s**2))
    fit = bayes_re(y, s)
    reml = rma(y, s**2, method="REML")
    se = (reml.ci_high - reml.ci_low) / (2 * stats.norm.ppf(0.975))
    assert abs(fit.mu - reml.estimate) < 0.5 * se  # within half a standard error
    assert math.isclose(fit.mu_high - fit.mu_low, reml.ci_high - reml.ci_low, rel_tol=0.05)
    assert math.isclose(fit.tau, math.sqrt(reml.tau2), rel_tol=0.1)
