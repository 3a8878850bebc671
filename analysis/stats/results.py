"""Result objects of the engine core: small frozen dataclasses with named fields.

Conventions shared by every result:

- ``b``, ``ci_lb``, ``ci_ub`` (and ``yi``) are on the analysis scale (log for RR and OR);
  ``estimate``, ``ci_low``, ``ci_high`` are on the natural scale (exp for RR and OR).
- A result of a single analysis (1-D input) holds Python floats, and None for a figure
  that is undefined (never NaN or inf). A result of a batch of analyses (input of shape
  ``(..., k)``) holds ndarrays of shape ``(...)`` with NaN where a figure is undefined.
- ``i2`` and the I² bounds are percentages; ``weights`` are percentages per study.

Public API
----------
EffectSizes, CommonEffect, Heterogeneity, QProfile, Tau2Fit, RandomEffects
natural(x, measure) -> the natural-scale transform (exp for RR/OR/PETO, identity else)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "RATIO_MEASURES",
    "EffectSizes",
    "CommonEffect",
    "Heterogeneity",
    "QProfile",
    "Tau2Fit",
    "RandomEffects",
    "natural",
]

RATIO_MEASURES = frozenset({"RR", "OR", "PETO"})

Figure = Any  # float | None for a single analysis, numpy.ndarray for a batch


def natural(x, measure: str | None):
    """Back-transform from the analysis scale: ``exp`` for ratio measures, else identity.

    Accepts None (returned unchanged), floats and arrays.
    """
    if x is None or measure not in RATIO_MEASURES:
        return x
    if isinstance(x, float):
        return float(np.exp(x))
    return np.exp(x)


@dataclass(frozen=True)
class EffectSizes:
    """Study-level effect sizes, as ``metafor::escalc`` computes them.

    All array fields have shape ``(..., k)``. Excluded studies (``included`` False: double
    zero under RR and OR) still carry finite, zero-cell-corrected values so that no NaN
    travels; every estimator takes ``included`` as its mask.

    Attributes
    ----------
    measure : str
        "RR", "OR" or "RD".
    yi, vi, sei : numpy.ndarray
        Effect on the analysis scale, its sampling variance and standard error.
    ci_lb, ci_ub : numpy.ndarray
        Wald confidence limits on the analysis scale.
    estimate, ci_low, ci_high : numpy.ndarray
        The same on the natural scale.
    included : numpy.ndarray of bool
        Studies that enter the analysis.
    corrected : numpy.ndarray of bool
        Studies to whose cells ``add`` was added (a zero cell).
    ai, bi, ci, di : numpy.ndarray
        The 2x2 cells after the zero-cell correction (events and non-events,
        treatment then control).
    ai_raw, bi_raw, ci_raw, di_raw : numpy.ndarray
        The 2x2 cells as given (Mantel-Haenszel and Peto use these).
    level : float
        Confidence level of the study intervals.
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    sei: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    included: np.ndarray
    corrected: np.ndarray
    ai: np.ndarray
    bi: np.ndarray
    ci: np.ndarray
    di: np.ndarray
    ai_raw: np.ndarray
    bi_raw: np.ndarray
    ci_raw: np.ndarray
    di_raw: np.ndarray
    level: float = 0.95

    @property
    def n1i(self) -> np.ndarray:
        """Treatment-arm totals after correction."""
        return self.ai + self.bi

    @property
    def n2i(self) -> np.ndarray:
        """Control-arm totals after correction."""
        return self.ci + self.di

    @property
    def k(self):
        """Number of included studies (int, or an int array for a batch)."""
        k = self.included.sum(axis=-1)
        return int(k) if np.ndim(k) == 0 else k


@dataclass(frozen=True)
class CommonEffect:
    """A common-effect (fixed-effect) pooled result: Mantel-Haenszel, inverse variance or Peto.

    Attributes
    ----------
    method : str
        "MH", "IV" or "Peto".
    measure : str or None
        Effect measure; decides the natural scale.
    k : int or numpy.ndarray
        Number of studies in the analysis.
    b, se, ci_lb, ci_ub : float, None or numpy.ndarray
        Pooled effect on the analysis scale, its standard error and confidence limits.
    estimate, ci_low, ci_high : float, None or numpy.ndarray
        The same on the natural scale.
    stat, p : float, None or numpy.ndarray
        Wald z statistic and two-sided p-value.
    q, q_df, q_p : float, None or numpy.ndarray
        Heterogeneity statistic of the method (Cochran's Q around the pooled estimate for
        IV and MH, Peto's Q for Peto), its degrees of freedom and p-value.
    i2, h2 : float, None or numpy.ndarray
        Higgins' I² (percent) and H² computed from ``q``.
    weights : numpy.ndarray or None
        Study weights in percent (IV only), shape ``(..., k)``.
    level : float
        Confidence level.
    """

    method: str
    measure: str | None
    k: Figure
    b: Figure
    se: Figure
    ci_lb: Figure
    ci_ub: Figure
    estimate: Figure
    ci_low: Figure
    ci_high: Figure
    stat: Figure
    p: Figure
    q: Figure
    q_df: Figure
    q_p: Figure
    i2: Figure
    h2: Figure
    weights: np.ndarray | None = None
    level: float = 0.95


@dataclass(frozen=True)
class Heterogeneity:
    """Cochran's Q of the inverse-variance model with Higgins' I² and H².

    Attributes
    ----------
    k : int or numpy.ndarray
        Number of studies.
    q, df, p : float, None or numpy.ndarray
        Cochran's Q, its degrees of freedom (k - 1) and the chi-square p-value.
    i2 : float, None or numpy.ndarray
        ``max(0, (Q - df) / Q)`` in percent.
    h2 : float, None or numpy.ndarray
        ``Q / df``.
    """

    k: Figure
    q: Figure
    df: Figure
    p: Figure
    i2: Figure
    h2: Figure


@dataclass(frozen=True)
class QProfile:
    """Q-profile confidence intervals for tau², I² and H² (``metafor::confint.rma.uni``).

    Attributes
    ----------
    tau2_low, tau2_high : float, None or numpy.ndarray
        Confidence limits for tau².
    i2_low, i2_high : float, None or numpy.ndarray
        The limits expressed as I² (percent) with the typical within-study variance.
    h2_low, h2_high : float, None or numpy.ndarray
        The limits expressed as H².
    level : float
        Confidence level.
    """

    tau2_low: Figure
    tau2_high: Figure
    i2_low: Figure
    i2_high: Figure
    h2_low: Figure
    h2_high: Figure
    level: float = 0.95


@dataclass(frozen=True)
class Tau2Fit:
    """An estimate of the between-study variance tau².

    Attributes
    ----------
    method : str
        Estimator: DL, REML, PM, ML, HS, SJ, EB or HE.
    tau2 : float, None or numpy.ndarray
        The estimate, truncated at 0.
    se_tau2 : float, None or numpy.ndarray
        Its standard error as metafor reports it for the estimator.
    converged : bool or numpy.ndarray
        False where an iterative estimator failed (the estimate is then None / NaN).
    iterations : int or numpy.ndarray
        Fisher-scoring (or root-search) iterations used (0 for closed-form estimators).
    searched : bool or numpy.ndarray
        True where Fisher scoring had not converged and the bracketed search found it.
    """

    method: str
    tau2: Figure
    se_tau2: Figure
    converged: Any
    iterations: Any
    searched: Any = False


@dataclass(frozen=True)
class RandomEffects:
    """A random-effects pooled result (``metafor::rma.uni`` with ``predict`` and ``confint``).

    Attributes
    ----------
    method : str
        tau² estimator.
    hk : bool
        True for Hartung-Knapp(-Sidik-Jonkman) inference (t with k - 1 df).
    measure : str or None
        Effect measure; decides the natural scale.
    k : int or numpy.ndarray
        Number of studies.
    b, se, ci_lb, ci_ub : float, None or numpy.ndarray
        Pooled effect (analysis scale), its standard error (the HK one when ``hk``) and
        confidence limits.
    estimate, ci_low, ci_high : float, None or numpy.ndarray
        The same on the natural scale.
    stat, p : float, None or numpy.ndarray
        z (or t under HK) statistic and two-sided p-value.
    df : float, None or numpy.ndarray
        Degrees of freedom of the t distribution (k - 1) under HK, None for z.
    tau2, se_tau2 : float, None or numpy.ndarray
        Between-study variance and its standard error (None for k = 1).
    i2, h2 : float, None or numpy.ndarray
        Model-based I² = 100 tau²/(tau² + v~) and H² = 1 + tau²/v~, with v~ the typical
        within-study variance (k - 1)/(sum w - sum w²/sum w), w = 1/vi.
    q, q_df, q_p : float, None or numpy.ndarray
        Cochran's Q of the inverse-variance model, k - 1 and its p-value.
    pi_lb, pi_ub, pi_low, pi_high : float, None or numpy.ndarray
        Prediction interval b ± t(k-2) sqrt(tau² + se²) with se from the z model
        (Cochrane Handbook; IntHout et al. 2016), analysis and natural scale; None for k < 3.
    pi_metafor_lb, pi_metafor_ub, pi_metafor_low, pi_metafor_high : float, None or ndarray
        metafor's ``predict()`` interval: z quantile for the z model, t(k-1) with the HK
        standard error under HK.
    tau2_ci_low, tau2_ci_high, i2_ci_low, i2_ci_high, h2_ci_low, h2_ci_high : ...
        Q-profile confidence intervals (None for k = 1 or when not requested).
    weights : numpy.ndarray
        Study weights in percent, shape ``(..., k)`` (0 for masked-out studies).
    converged : bool or numpy.ndarray
        False where the tau² estimator failed; every figure is then None / NaN.
    iterations : int or numpy.ndarray
        Iterations used by the tau² estimator.
    level : float
        Confidence level.
    note : str, None or numpy.ndarray of object
        Why a figure is None, or how tau² was reached when Fisher scoring did not get there
        (see :func:`analysis.stats.random_effects.fit_note`).
    status : int or numpy.ndarray
        How tau² was reached: :data:`analysis.stats.tau2.DIRECT` (closed form or Fisher
        scoring), ``SEARCHED`` (the bracketed search) or ``FAILED``.
    """

    method: str
    hk: bool
    measure: str | None
    k: Figure
    b: Figure
    se: Figure
    ci_lb: Figure
    ci_ub: Figure
    estimate: Figure
    ci_low: Figure
    ci_high: Figure
    stat: Figure
    p: Figure
    df: Figure
    tau2: Figure
    se_tau2: Figure
    i2: Figure
    h2: Figure
    q: Figure
    q_df: Figure
    q_p: Figure
    pi_lb: Figure
    pi_ub: Figure
    pi_low: Figure
    pi_high: Figure
    pi_metafor_lb: Figure
    pi_metafor_ub: Figure
    pi_metafor_low: Figure
    pi_metafor_high: Figure
    tau2_ci_low: Figure
    tau2_ci_high: Figure
    i2_ci_low: Figure
    i2_ci_high: Figure
    h2_ci_low: Figure
    h2_ci_high: Figure
    weights: np.ndarray
    converged: Any
    iterations: Any
    level: float = 0.95
    note: Any = None
    status: Any = 0
