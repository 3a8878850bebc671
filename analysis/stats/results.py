"""Result objects of the statistics: one family of small frozen dataclasses with named fields.

Two kinds of result live here, with the same conventions and the same JSON codec:

- the estimators' results (:class:`EffectSizes`, :class:`CommonEffect`,
  :class:`Heterogeneity`, :class:`QProfile`, :class:`Tau2Fit`, :class:`RandomEffects`),
  for a single analysis or a batch of analyses along an axis;
- the full analysis of one comparison (:class:`MetaAnalysis` with its parts
  :class:`Study`, :class:`Pooled`, :class:`CommonModels`, :class:`Random`,
  :class:`SmallStudy`), whose fields mirror the JSON contract of ``python -m analysis meta``
  (``../shared/docs/meta-cli.md``) key for key. :meth:`MetaAnalysis.to_dict` is that JSON
  object and :meth:`MetaAnalysis.from_dict` reads it back, strictly: a missing key or a
  value of the wrong type is an error naming the key, never a silent default.

Conventions shared by every result:

- ``b``, ``ci_lb``, ``ci_ub`` (and ``yi``) are on the analysis scale (log for RR and OR);
  ``estimate``, ``ci_low``, ``ci_high`` are on the natural scale (exp for RR and OR).
- A result of a single analysis (1-D input) holds Python floats, and None for a figure
  that is undefined (never NaN or inf); ``note`` then says why. A result of a batch of
  analyses (input of shape ``(..., k)``) holds ndarrays of shape ``(...)`` with NaN where a
  figure is undefined.
- ``i2`` and the I² bounds are percentages; ``weights`` are percentages per study.
- A field with ``metadata={"json": False}`` is kept for callers but not serialised.

Public API
----------
EffectSizes, PooledFit (the fields CommonEffect and RandomEffects share), CommonEffect,
Heterogeneity, QProfile, Tau2Fit, RandomEffects
Study, Pooled, CommonModels, Random, SmallStudy, MetaAnalysis
GlmmFit (:mod:`analysis.stats.glmm`), BayesFit (:mod:`analysis.stats.bayes`): the few-trials
    secondary analyses
natural(x, measure) -> the natural-scale transform (exp for RR/OR/PETO, identity else)
to_json, from_json, ResultKeyError, JsonResult -> the JSON codec
    (:mod:`analysis.stats.result_json`, re-exported here)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.stats.batch import RATIO_MEASURES, natural
from analysis.stats.result_json import JsonResult, ResultKeyError, from_json, to_json

__all__ = [
    "RATIO_MEASURES",
    "EffectSizes",
    "PooledFit",
    "CommonEffect",
    "Heterogeneity",
    "QProfile",
    "Tau2Fit",
    "RandomEffects",
    "Study",
    "Pooled",
    "CommonModels",
    "Random",
    "SmallStudy",
    "Cumulative",
    "LeaveOneOut",
    "BaujatPoint",
    "Egger",
    "Begg",
    "TrimFill",
    "TEST_BETWEEN_METHOD",
    "Subgroup",
    "TestBetween",
    "Subgroups",
    "MetaAnalysis",
    "GlmmFit",
    "BayesFit",
    "ResultKeyError",
    "natural",
    "to_json",
    "from_json",
]

Figure = Any  # float | None for a single analysis, numpy.ndarray for a batch


@dataclass(frozen=True)
class EffectSizes(JsonResult):
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
class PooledFit(JsonResult):
    """What every pooled model reports: the estimate on both scales, its test.

    The fields :class:`CommonEffect` and :class:`RandomEffects` share (in this order, before
    their own); see those classes for their meaning.
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


@dataclass(frozen=True)
class CommonEffect(PooledFit):
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

    q: Figure
    q_df: Figure
    q_p: Figure
    i2: Figure
    h2: Figure
    weights: np.ndarray | None = None
    level: float = 0.95


@dataclass(frozen=True)
class Heterogeneity(JsonResult):
    """Cochran's Q of the inverse-variance model with Higgins' I² and H².

    The same type serves the estimator (:func:`analysis.stats.heterogeneity.heterogeneity`,
    batches included) and the full analysis (``MetaAnalysis.heterogeneity``, where ``df``
    is an int or None and ``note`` says why the figures are None).

    Attributes
    ----------
    k : int or numpy.ndarray
        Number of studies (not serialised: the analysis states it).
    q, df, p : float, None or numpy.ndarray
        Cochran's Q, its degrees of freedom (k - 1) and the chi-square p-value.
    i2 : float, None or numpy.ndarray
        ``max(0, (Q - df) / Q)`` in percent.
    h2 : float, None or numpy.ndarray
        ``Q / df``.
    note : str or None
        Why the figures are None (a single study).
    """

    k: Figure = field(metadata={"json": False})
    q: float | None
    df: int | None
    p: float | None
    i2: float | None
    h2: float | None
    note: str | None = None


@dataclass(frozen=True)
class QProfile(JsonResult):
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
class Tau2Fit(JsonResult):
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
class RandomEffects(PooledFit):
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

    hk: bool
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


# --------------------------------------------------------------------------- full analysis


@dataclass(frozen=True)
class Study(JsonResult):
    """One study's effect and its weights in the pooled models.

    Attributes
    ----------
    study_id : str
    yi, vi : float
        Effect on the analysis scale (log for RR/OR) and its sampling variance.
    estimate, ci_low, ci_high : float
        The effect on the natural scale with its Wald confidence limits.
    weight_common, weight_random : float or None
        Percent weights in the inverse-variance and the random-effects models.
    """

    study_id: str
    yi: float | None
    vi: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    weight_common: float | None
    weight_random: float | None


@dataclass(frozen=True)
class Pooled(JsonResult):
    """A pooled common-effect estimate (natural scale) with its CI and p-value.

    ``b``, ``se`` (analysis scale) are kept for callers but not serialised; ``note`` says
    why a figure is None.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    note: str | None = None
    b: float | None = field(default=None, metadata={"json": False})
    se: float | None = field(default=None, metadata={"json": False})


@dataclass(frozen=True)
class CommonModels(JsonResult):
    """Common-effect models: Mantel-Haenszel, inverse variance, Peto (OR only, else None)."""

    mh: Pooled
    iv: Pooled
    peto: Pooled | None


@dataclass(frozen=True)
class Random(JsonResult):
    """The random-effects model chosen.

    Attributes
    ----------
    tau2_method : str
    hk : bool
        Hartung-Knapp inference (t with k - 1 df) instead of z.
    estimate, ci_low, ci_high, p : float or None
        Pooled effect (natural scale), confidence limits, p-value.
    tau2, tau2_ci : float, [low, high] or None
        Between-study variance and its Q-profile CI.
    i2, i2_ci : float, [low, high] or None
        Model-based I² (percent) and its Q-profile CI.
    pi_low, pi_high : float or None
        Prediction interval, t with k - 2 df and the z-model SE (None for k < 3).
    converged : bool
        Whether tau² was reached (False: every figure that depends on it is None).
    iterations : int
        Fisher-scoring (or root-search) iterations (0 for closed-form estimators).
    note : str or None
        Why a figure is None, or how tau² was found when Fisher scoring did not get there.
    b, se : float or None
        Pooled effect on the analysis scale and its SE (not serialised).
    """

    tau2_method: str
    hk: bool
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    tau2: float | None
    tau2_ci: tuple[float | None, float | None] | None
    i2: float | None
    i2_ci: tuple[float | None, float | None] | None
    pi_low: float | None
    pi_high: float | None
    converged: bool = True
    iterations: int = 0
    note: str | None = None
    b: float | None = field(default=None, metadata={"json": False})
    se: float | None = field(default=None, metadata={"json": False})


@dataclass(frozen=True)
class SmallStudy(JsonResult):
    """Small-study effects: Egger's test, Begg's test, trim-and-fill."""

    egger: Egger
    begg: Begg
    trimfill: TrimFill


@dataclass(frozen=True)
class Cumulative:
    """The pooled analysis of the studies up to and including one.

    Attributes
    ----------
    added : str
        study_id of the study added at this step.
    estimate, ci_low, ci_high : float or None
        Pooled effect (natural scale) of the studies so far and its confidence limits.
    b, tau2, i2, p : float or None
        Pooled effect on the analysis scale, tau², I² (percent) and p-value.
    note : str or None
        Why a figure is None, or how tau² was found (see
        :func:`analysis.stats.random_effects.fit_note`).
    """

    added: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    note: str | None = None
    b: float | None = field(default=None, metadata={"json": False})
    tau2: float | None = field(default=None, metadata={"json": False})
    i2: float | None = field(default=None, metadata={"json": False})
    p: float | None = field(default=None, metadata={"json": False})


@dataclass(frozen=True)
class LeaveOneOut:
    """The pooled analysis without one study.

    Attributes
    ----------
    omitted : str
        study_id of the study left out.
    estimate, ci_low, ci_high : float or None
        Pooled effect without it (natural scale) and its confidence limits.
    tau2, i2 : float or None
        tau² (0 for a common-effect model) and I² (percent; model-based for random
        effects, Higgins' from Q for a common-effect model) of the reduced analysis.
    b, se, p, q : float or None
        Pooled effect on the analysis scale, its SE, p-value and Cochran's Q.
    note : str or None
        Why a figure is None, or how tau² was found (see
        :func:`analysis.stats.random_effects.fit_note`).
    """

    omitted: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    tau2: float | None
    i2: float | None
    note: str | None = None
    b: float | None = field(default=None, metadata={"json": False})
    se: float | None = field(default=None, metadata={"json": False})
    p: float | None = field(default=None, metadata={"json": False})
    q: float | None = field(default=None, metadata={"json": False})


@dataclass(frozen=True)
class BaujatPoint:
    """Baujat plot coordinates of one study.

    Attributes
    ----------
    study_id : str
    x : float or None
        Contribution to heterogeneity: :math:`(y_i - \\hat\\mu)^2/(v_i + \\hat\\tau^2)`.
    y : float or None
        Influence on the pooled estimate:
        :math:`(\\hat\\mu_{(-i)} - \\hat\\mu)^2 / \\mathrm{Var}(\\hat\\mu_{(-i)})`.
    """

    study_id: str
    x: float | None
    y: float | None


@dataclass(frozen=True)
class Egger:
    """Egger's regression test for funnel-plot asymmetry.

    Attributes
    ----------
    intercept : float or None
        The classic Egger intercept (slope of the weighted regression on the SE).
    se, t, df, p : float, float, int, float or None
        Its standard error, t statistic, degrees of freedom (k - 2) and two-sided p-value.
    limit_estimate : float or None
        The regression's intercept: the effect of an infinitely large study.
    note : str or None
        Why a figure is None.
    """

    intercept: float | None
    se: float | None
    t: float | None
    df: int | None
    p: float | None
    limit_estimate: float | None = field(default=None, metadata={"json": False})
    note: str | None = None


@dataclass(frozen=True)
class Begg:
    """Begg and Mazumdar's rank correlation test.

    Attributes
    ----------
    tau : float or None
        Kendall's tau-b between standardised effects and sampling variances.
    p : float or None
        Two-sided p-value (exact without ties for k <= BEGG_EXACT_MAX, else normal).
    note : str or None
        Why a figure is None.
    """

    tau: float | None
    p: float | None
    note: str | None = None


@dataclass(frozen=True)
class TrimFill:
    """Trim-and-fill: estimated missing studies and the pooled effect with them filled in.

    Attributes
    ----------
    k0 : int or None
        Estimated number of missing studies (L0).
    side : str or None
        "left" or "right": the side of the funnel plot where studies are missing.
    estimate, ci_low, ci_high : float or None
        Pooled effect with the filled studies, natural scale.
    b, ci_lb, ci_ub, se, p, tau2 : float or None
        The same fit on the analysis scale, its SE, p-value and tau² (0 for EE).
    k : int
        Studies in the filled analysis (k + k0).
    filled_yi, filled_vi : tuple of float
        The imputed studies (analysis scale).
    note : str or None
        Why a figure is None, or how the fit's tau² was found.
    """

    k0: int | None
    side: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    note: str | None = None
    b: float | None = field(default=None, metadata={"json": False})
    ci_lb: float | None = field(default=None, metadata={"json": False})
    ci_ub: float | None = field(default=None, metadata={"json": False})
    se: float | None = field(default=None, metadata={"json": False})
    p: float | None = field(default=None, metadata={"json": False})
    tau2: float | None = field(default=None, metadata={"json": False})
    k: int = field(default=0, metadata={"json": False})
    filled_yi: tuple[float, ...] = field(default=(), metadata={"json": False})
    filled_vi: tuple[float, ...] = field(default=(), metadata={"json": False})


@dataclass(frozen=True)
class Subgroup:
    """The pooled analysis of one subgroup.

    Attributes
    ----------
    k : int
        Studies in the subgroup.
    estimate, ci_low, ci_high : float or None
        Pooled effect (natural scale) and confidence limits.
    tau2, i2 : float or None
        The subgroup's own tau² and model-based I² (None for k = 1).
    b, se : float or None
        Pooled effect on the analysis scale and its SE.
    p : float or None
        p-value of the test for the subgroup's overall effect.
    q, q_df, q_p : float, int, float or None
        Cochran's Q within the subgroup, its k - 1 degrees of freedom and p (None for
        k = 1), the heterogeneity line of a forest plot's subtotal.
    note : str or None
        Why a figure is None, or how tau² was found (see
        :func:`analysis.stats.random_effects.fit_note`).
    """

    k: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    tau2: float | None
    i2: float | None
    note: str | None = None
    b: float | None = field(default=None, metadata={"json": False})
    se: float | None = field(default=None, metadata={"json": False})
    p: float | None = None
    q: float | None = None
    q_df: int | None = None
    q_p: float | None = None


#: how the test for subgroup differences is computed (recorded with every result)
TEST_BETWEEN_METHOD = (
    "Q test on the subgroup estimates and their standard errors under a common-effect "
    "model (separate tau² per subgroup), as RevMan and metafor's comparison of "
    "independent meta-analyses"
)


@dataclass(frozen=True)
class TestBetween:
    r"""Test for subgroup differences.

    Attributes
    ----------
    q, df, p : float, int, float or None
        Cochran's Q of the subgroup estimates, G - 1 degrees of freedom, chi-square p.
    i2 : float or None
        :math:`I^2 = \max(0, (Q - df)/Q)` in per cent, as RevMan prints it beside the test.
    note : str or None
        Why the test is undefined (fewer than two subgroups with an estimate).
    method : str
        How the test was computed (:data:`TEST_BETWEEN_METHOD`).
    """

    q: float | None
    df: int | None
    p: float | None
    i2: float | None = None
    note: str | None = None
    method: str = TEST_BETWEEN_METHOD


@dataclass(frozen=True)
class Subgroups:
    """Subgroup analyses by one column.

    Attributes
    ----------
    by : str
        The column.
    groups : dict[str, Subgroup]
        One pooled analysis per value, in sorted order of the values.
    test_between : TestBetween
    """

    by: str
    groups: dict[str, Subgroup]
    test_between: TestBetween


@dataclass(frozen=True)
class MetaAnalysis(JsonResult):
    """The full analysis of one comparison; attributes mirror the JSON contract.

    Attributes
    ----------
    measure : str
    k : int
        Studies in the analysis.
    excluded : tuple[str, ...]
        study_ids dropped (no events in either arm, or events in every patient of both
        arms: RR and OR).
    studies : tuple[Study, ...]
    common : CommonModels
    heterogeneity : Heterogeneity
    random : Random
    small_study : SmallStudy
    leave_one_out : tuple[LeaveOneOut, ...]
    cumulative : tuple[Cumulative, ...]
        By year, the random-effects model chosen.
    subgroups : Subgroups or None
    baujat : tuple[BaujatPoint, ...]
        Influence coordinates (not part of the JSON contract).
    """

    measure: str
    k: int
    excluded: tuple[str, ...]
    studies: tuple[Study, ...]
    common: CommonModels
    heterogeneity: Heterogeneity
    random: Random
    small_study: SmallStudy
    leave_one_out: tuple[LeaveOneOut, ...]
    cumulative: tuple[Cumulative, ...]
    subgroups: Subgroups | None
    baujat: tuple[BaujatPoint, ...] = field(default=(), metadata={"json": False})

    @property
    def headline_model(self) -> str:
        """``random`` when the random-effects estimate and its CI exist (k >= 2), else
        ``common.mh`` (with one trial nothing is pooled: the Mantel-Haenszel estimate is
        then that trial's own risk ratio with its CI)."""
        r = self.random
        complete = None not in (r.estimate, r.ci_low, r.ci_high)
        return "random" if self.k >= 2 and complete else "common.mh"

    def model(self, path: str) -> Pooled | Random | None:
        """The pooled result at *path*: ``random``, ``common.mh``, ``common.iv`` or
        ``common.peto`` (None for Peto outside OR)."""
        models = {
            "random": self.random,
            "common.mh": self.common.mh,
            "common.iv": self.common.iv,
            "common.peto": self.common.peto,
        }
        if path not in models:
            raise KeyError(f"model: must be one of {', '.join(models)} (got {path!r})")
        return models[path]

    def headline(self) -> Pooled | Random:
        """The pooled result of :attr:`headline_model`."""
        out = self.model(self.headline_model)
        assert out is not None  # random or common.mh always exist
        return out


@dataclass(frozen=True)
class GlmmFit(JsonResult):
    """A GLMM for the odds ratio (``metafor::rma.glmm``, ML): see :mod:`analysis.stats.glmm`.

    Attributes
    ----------
    model : str
        "UM.FS" or "CM.EL".
    measure : str
        "OR".
    k, k_dropped : int
        Studies in the fit; studies dropped for having no events (or only events) in both arms.
    b, se, ci_lb, ci_ub, stat : float or None
        Log odds ratio, its standard error, Wald limits and z statistic.
    estimate, ci_low, ci_high : float or None
        The same on the odds-ratio scale.
    p : float or None
        Two-sided p-value of the z test.
    tau2 : float or None
        Between-study variance of the log odds ratio (ML).
    level : float
        Confidence level.
    note : str or None
        Why the figures are None, or which studies were left out.
    """

    model: str
    measure: str
    k: int
    k_dropped: int
    b: float | None
    se: float | None
    ci_lb: float | None
    ci_ub: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    stat: float | None
    p: float | None
    tau2: float | None
    level: float = 0.95
    note: str | None = None


@dataclass(frozen=True)
class BayesFit(JsonResult):
    """Bayesian normal-normal random effects (flat prior on mu, half-normal on tau).

    See :mod:`analysis.stats.bayes`. Ratios are on the natural scale (exp for RR and OR),
    ``mu``-figures on the analysis scale are kept for callers.

    Attributes
    ----------
    prior : str
        The prior in words, e.g. "half-normal(0.5) on tau, flat on mu".
    tau_scale : float
        Scale of the half-normal prior on tau.
    measure : str or None
        Effect measure.
    k : int
        Number of studies.
    estimate, ci_low, ci_high : float or None
        Posterior median and equal-tailed 95 % credible interval of the overall effect
        (natural scale).
    mu, mu_low, mu_high : float or None
        The same on the analysis scale (not serialised).
    tau, tau_ci_low, tau_ci_high : float or None
        Posterior median and 95 % credible interval of tau (analysis scale).
    pi_low, pi_high : float or None
        95 % posterior predictive interval of a new study's true effect (natural scale).
    p_benefit : float or None
        Posterior probability that the treatment is better (effect above the null when
        higher is better).
    level : float
        Credible level.
    note : str or None
        Why the figures are None.
    """

    prior: str
    tau_scale: float
    measure: str | None
    k: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    tau: float | None
    tau_ci_low: float | None
    tau_ci_high: float | None
    pi_low: float | None
    pi_high: float | None
    p_benefit: float | None
    mu: float | None = field(default=None, metadata={"json": False})
    mu_low: float | None = field(default=None, metadata={"json": False})
    mu_high: float | None = field(default=None, metadata={"json": False})
    level: float = 0.95
    note: str | None = None
