"""Random-effects meta-analysis for a batch of analyses (``metafor::rma.uni``).

Public API
----------
rma(yi, vi, method="REML", hk=False, mask=None, level=0.95, measure=None,
    qprofile=True, **control) -> RandomEffects
    tau² by ``method`` (DL, REML, PM, ML, HS, SJ, EB, HE; see :mod:`analysis.stats.tau2`,
    whose :class:`~analysis.stats.tau2.Control` lists the controls ``threshold=1e-12,
    maxiter=100, tol=R_TOL, stepadj=1.0, halving=True, fallback=True, start=None``),
    pooled estimate with normal (z) or Hartung-Knapp (t, k - 1 df) inference, Cochran's
    Q, model-based I² and H², the Cochrane prediction interval (t, k - 2 df), metafor's
    prediction interval, and Q-profile CIs for tau², I² and H².
pooled_batch(yi, vi, mask, method, hk=False, measure=None, level=0.95, **control)
    one batched pooled fit: ``EE`` by inverse variance, else :func:`rma` without Q-profile
fit_note(method, k, status, maxiter, fallback=True) -> str | None
    the reader's sentence on a fit (why a figure is None, or how tau² was found)
fit_batch(yi, vi, masks, method, hk=False, measure=None, level=0.95, start=None,
          control=None) -> (result, notes)
    the batch fit of leave-one-out, cumulative and subgroup analyses: warm-started,
    in row blocks, with each member's note for the reader
batch_notes(res, method, control) -> list, batch_control(method, start, control) -> dict
    per-member notes of a batched fit; the keyword arguments of a warm-started batch
BLOCK_CELLS
    cells (members x studies) of one block of a batch fitted in blocks
METHODS (re-exported from analysis.stats.tau2)

Inputs have shape ``(..., k)``; ``mask`` (bool, same shape) selects the studies of each
analysis, so leave-one-out, cumulative, subgroup and trim-and-fill analyses are one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Unpack

import numpy as np
from scipy import special

from analysis.stats.batch import finish, interval_fields, pooled_fields, prepare
from analysis.stats.heterogeneity import (
    h2_from_tau2,
    i2_from_tau2,
    q_gen,
    qprofile_batch,
    typical_variance,
)
from analysis.stats.results import RandomEffects
from analysis.stats.tau2 import (
    DIRECT,
    FAILED,
    METHODS,
    SEARCHED,
    Control,
    full_control,
    positions,
    tau2_batch,
)

__all__ = [
    "METHODS",
    "BLOCK_CELLS",
    "rma",
    "fit_note",
    "pooled_batch",
    "fit_batch",
    "batch_notes",
    "batch_control",
]

_EPS = float(np.finfo(float).eps)


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def rma(
    yi,
    vi,
    method: str = "REML",
    hk: bool = False,
    mask=None,
    level: float = 0.95,
    measure: str | None = None,
    qprofile: bool = True,
    **given: Unpack[Control],
) -> RandomEffects:
    r"""Random-effects model: tau², pooled effect, tests, prediction and Q-profile intervals.

    With :math:`w_i = 1/(v_i + \hat\tau^2)`: :math:`\hat\mu = \sum w_i y_i/\sum w_i`,
    :math:`SE = (\sum w_i)^{-1/2}`, z test and Wald CI. Under Hartung-Knapp
    (``hk=True``, metafor's ``test = "knha"``, no truncation):
    :math:`SE_{HK}^2 = \sum w_i (y_i - \hat\mu)^2 / ((k-1)\sum w_i)` (0 when the weighted
    residual sum is below machine epsilon), t distribution with k - 1 df.

    - Cochran's Q uses :math:`w_i = 1/v_i`; ``i2`` and ``h2`` are model-based:
      :math:`I^2 = 100\hat\tau^2/(\tilde v + \hat\tau^2)`, :math:`H^2 = 1 + \hat\tau^2/\tilde v`,
      :math:`\tilde v = (k-1)/(\sum 1/v_i - \sum v_i^{-2}/\sum 1/v_i)` (as metafor).
    - ``pi_low``/``pi_high``: :math:`\hat\mu \pm t_{k-2} \sqrt{\hat\tau^2 + SE^2}`, SE of
      the z model (Higgins, Thompson & Spiegelhalter 2009; Cochrane Handbook 10.10.4.3;
      IntHout et al. 2016); None for k < 3.
    - ``pi_metafor_*``: ``predict.rma``: z quantile with the z SE, or
      :math:`t_{k-1}` with the HK SE under HK.
    - Q-profile CIs: :func:`analysis.stats.heterogeneity.qprofile` (Viechtbauer 2007).

    A single study (k = 1) gives the study's own estimate with tau², Q, I², H², their
    CIs and the prediction interval None (HK inference is then undefined too).

    Parameters
    ----------
    yi, vi : array_like
        Effects on the analysis scale and their sampling variances, shape ``(..., k)``.
    method : str
        tau² estimator, one of :data:`METHODS`.
    hk : bool
        Hartung-Knapp(-Sidik-Jonkman) inference.
    mask : array_like of bool, optional
        Studies in each analysis.
    level : float
        Confidence level of the CI, the prediction intervals and the Q-profile CIs.
    measure : str, optional
        "RR"/"OR" report ``estimate``, ``ci_*`` and ``pi_*`` on the exp scale.
    qprofile : bool
        Compute the Q-profile CIs (skip for speed when they are not needed).
    **given
        The controls of the tau² fit (:class:`analysis.stats.tau2.Control`):
        ``threshold``, ``maxiter``, ``tol`` (which also sets the Q-profile root search
        tolerance), ``stepadj``, ``halving``, ``fallback`` and ``start`` (a warm start per
        analysis; see :func:`analysis.stats.tau2.tau2_batch`).

    Every result carries ``converged``, ``iterations`` and ``note``: a sentence for the
    reader where a figure is None (a fit that did not converge, k < 2, k < 3 for the
    prediction interval) or where tau² was found by the bracketed search; None otherwise.

    Returns
    -------
    RandomEffects

    References
    ----------
    DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials
    7:177-188.
    Hartung J, Knapp G (2001). A refined method for the meta-analysis of controlled
    clinical trials with binary outcome. Stat Med 20:3875-3889.
    Sidik K, Jonkman JN (2002). A simple confidence interval for meta-analysis.
    Stat Med 21:3153-3159.
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
    Stat Med 21:1539-1558.
    Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
    meta-analysis. J R Stat Soc A 172:137-159.
    IntHout J, Ioannidis JPA, Rovers MM, Goeman JJ (2016). Plea for routinely presenting
    prediction intervals in meta-analysis. BMJ Open 6:e010247.
    Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in
    meta-analysis. Stat Med 26:37-52.
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package.
    J Stat Softw 36(3) (``rma.uni``, ``predict.rma``, ``confint.rma.uni``).
    """
    if not 0 < level < 1:
        raise ValueError(f"level: must lie in (0, 1) (got {level})")
    bt = prepare(yi, vi, mask)
    k = bt.k
    c = full_control(given)
    tau2, se_tau2, conv, iters, status = tau2_batch(bt, method, **c)
    t2 = np.where(conv, tau2, 0.0)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        w = bt.mf / (bt.v + t2[..., None])
        sw = w.sum(-1)
        b = (w * bt.y).sum(-1) / sw
        se_z = np.sqrt(1 / sw)
        z = -special.ndtri(alpha / 2)
        df = np.where(k > 1, k - 1, np.nan).astype(float)
        if hk:
            rss = (w * (bt.y - b[..., None]) ** 2).sum(-1)
            s2w = np.where(rss <= _EPS, 0.0, rss / df)
            se = np.sqrt(s2w / sw)
            crit = -special.stdtrit(df, alpha / 2)
            stat = b / se
            p = 2 * special.stdtr(df, -np.abs(stat))
        else:
            se = se_z
            crit = z
            stat = b / se
            p = 2 * special.ndtr(-np.abs(stat))
        ci_lb = b - crit * se
        ci_ub = b + crit * se
        # heterogeneity of the inverse-variance model
        q = q_gen(np.zeros(k.shape), bt.y, bt.v, bt.mf)
        q = np.where(k > 1, np.maximum(q, 0.0), np.nan)
        q_p = special.chdtrc(df, q)
        vt = typical_variance(bt.v, bt.mf)
        i2 = i2_from_tau2(t2, vt)
        h2 = h2_from_tau2(t2, vt)
        # prediction intervals
        df_pi = np.where(k > 2, k - 2, np.nan).astype(float)
        half = -special.stdtrit(df_pi, alpha / 2) * np.sqrt(t2 + se_z**2)
        pi_lb, pi_ub = b - half, b + half
        half_m = crit * np.sqrt(t2 + se**2)
        pi_m_lb, pi_m_ub = b - half_m, b + half_m
        weights = 100 * w / sw[..., None]
    if qprofile:
        lb, ub, _ = qprofile_batch(bt, level, t2, c["tol"])
    else:
        lb = ub = np.full(k.shape, np.nan)
    multi = k > 1
    tau2_out = np.where(multi, t2, np.nan)
    se_tau2 = np.where(multi, se_tau2, np.nan)
    i2 = np.where(multi, i2, np.nan)
    h2 = np.where(multi, h2, np.nan)
    lb = np.where(multi, lb, np.nan)
    ub = np.where(multi, ub, np.nan)

    def out(x):
        x = np.where(conv, x, np.nan)
        return finish(x, bt.single)

    s = bt.single
    return RandomEffects(
        method=method,
        hk=hk,
        measure=measure,
        k=int(k) if s else k,
        **pooled_fields(b, se, ci_lb, ci_ub, stat, p, measure, out),
        df=out(df) if hk else (None if s else np.full(k.shape, np.nan)),
        tau2=out(tau2_out),
        se_tau2=out(se_tau2),
        i2=out(i2),
        h2=out(h2),
        q=finish(q, s),
        q_df=finish(df, s),
        q_p=finish(q_p, s),
        **interval_fields("pi", pi_lb, pi_ub, measure, out),
        **interval_fields("pi_metafor", pi_m_lb, pi_m_ub, measure, out),
        tau2_ci_low=out(lb),
        tau2_ci_high=out(ub),
        i2_ci_low=out(i2_from_tau2(lb, vt)),
        i2_ci_high=out(i2_from_tau2(ub, vt)),
        h2_ci_low=out(h2_from_tau2(lb, vt)),
        h2_ci_high=out(h2_from_tau2(ub, vt)),
        weights=np.where(np.asarray(conv)[..., None], np.nan_to_num(weights), np.nan)
        if not s
        else np.nan_to_num(weights),
        converged=bool(conv) if s else conv,
        iterations=int(iters) if s else iters,
        level=level,
        note=fit_notes(method, k, status, c["maxiter"], c["fallback"], s, hk),
        status=int(status) if s else status,
    )
    # (a batch member's note is built by its analysis: see analysis.stats.influence)


def fit_note(
    method: str,
    k: int,
    status: int,
    maxiter: int = 100,
    fallback: bool = True,
    pi: bool = True,
    hk: bool = False,
) -> str | None:
    """The reader's sentence on one random-effects fit (None when there is nothing to say).

    ``status`` is the tau² status code (:data:`analysis.stats.tau2.DIRECT`, ``SEARCHED``,
    ``FAILED``); ``pi`` says whether the analysis reports a prediction interval (and
    Q-profile CIs), whose absence for k < 3 (k < 2) then needs a reason too; ``hk``
    that the confidence interval is Hartung-Knapp's (undefined for one study).
    """
    if k == 0:
        return "no studies in this analysis"
    if k < 2:
        hk_ci = ", and a Hartung-Knapp confidence interval" if hk else ""
        if not pi:
            return f"a single study: tau² and I²{hk_ci} need at least two studies"
        return (
            "a single study: tau², I², their confidence intervals and the prediction "
            f"interval{hk_ci} need at least two studies"
        )
    parts = []
    if status == FAILED:
        how = (
            "and the bracketed search was switched off"
            if not fallback
            else "and no root of its estimating equation was found"
        )
        it = "iteration" if maxiter == 1 else "iterations"
        parts.append(
            f"the {method} estimate of tau² did not converge within {maxiter} {it} {how}, "
            "so the random-effects figures cannot be given"
        )
    elif status == SEARCHED:
        parts.append(
            f"{method}: Fisher scoring had not converged after {maxiter} iterations; tau² "
            "is the root of the estimating equation found by a bracketed search"
            if method != "PM"
            else "PM: tau² lies beyond the interval R's uniroot searches; it was found "
            "by a bracketed search"
        )
    if k < 3 and pi:
        parts.append("the prediction interval needs at least three studies")
    return "; ".join(parts) or None


def fit_notes(method: str, k, status, maxiter: int, fallback: bool, single: bool, hk=False):
    """:func:`fit_note` for one fit (a str or None) or a batch (an object array)."""
    if single:
        return fit_note(method, int(k), int(status), maxiter, fallback, hk=hk)
    k = np.asarray(k)
    out = np.full(k.shape, None, dtype=object)
    for pos in positions((k < 3) | (np.asarray(status) != DIRECT)):
        out[pos] = fit_note(method, int(k[pos]), int(status[pos]), maxiter, fallback, hk=hk)
    return out


def pooled_batch(
    yi,
    vi,
    mask,
    method: str,
    hk: bool = False,
    measure=None,
    level: float = 0.95,
    **given: Unpack[Control],
):
    """One batched pooled fit: ``EE`` by inverse variance, else the random-effects model.

    Returns the engine core's result object (``CommonEffect`` for EE, ``RandomEffects``
    otherwise, without the Q-profile CIs) for a batch of analyses selected by ``mask``
    (shape ``(..., k)``); the controls go to :func:`rma` (``threshold``, ``maxiter``,
    ``fallback``, ``halving``, ``stepadj``, ``start``; an EE fit takes none).
    """
    if method == "EE":
        from analysis.stats.common_effect import iv

        return iv(yi, vi, mask=mask, level=level, measure=measure)
    return rma(
        yi,
        vi,
        method=method,
        hk=hk,
        mask=mask,
        level=level,
        measure=measure,
        qprofile=False,
        **given,
    )


def batch_notes(res, method: str, given: Control | dict | None) -> list:
    """The reader's note of each member of a batched fit (None where there is none)."""
    status = getattr(res, "status", None)
    k = np.asarray(res.k)
    if status is None:  # a common-effect model: no tau² to estimate
        return [None] * k.size
    c = full_control(given)
    st = np.asarray(status)
    hk = bool(getattr(res, "hk", False))
    return [
        fit_note(method, int(k[i]), int(st[i]), c["maxiter"], c["fallback"], pi=False, hk=hk)
        if (k[i] < 2 or st[i] != DIRECT)
        else None
        for i in range(k.size)
    ]


def batch_control(method: str, start, given: Control | dict | None) -> dict:
    """Keyword arguments of :func:`pooled_batch`: the controls and a warm start."""
    c = dict(given or {})
    if method != "EE" and start is not None and np.isfinite(start):
        c["start"] = float(start)
    return {} if method == "EE" else c


#: cells (members x studies) of one block of a batch fitted in blocks: the same
#: arithmetic on arrays that stay in cache, and a bounded peak memory
BLOCK_CELLS = 1 << 16


class _Stack:
    """The per-member figures of several batched fits, concatenated on first access."""

    def __init__(self, parts):
        self._parts = parts

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        value = np.concatenate([np.atleast_1d(getattr(r, name)) for r in self._parts])
        setattr(self, name, value)
        return value


def fit_batch(
    yi,
    vi,
    masks: np.ndarray | Iterable[np.ndarray],
    method: str,
    *,
    hk: bool = False,
    measure: str | None = None,
    level: float = 0.95,
    start: float | None = None,
    control: dict | None = None,
) -> tuple:
    """A batch of pooled fits and the reader's note of each member.

    The fit behind leave-one-out, cumulative and subgroup analyses: :func:`pooled_batch`
    with ``method`` ("EE" or a tau² estimator), ``control`` (``maxiter``, ``fallback``, ...;
    see :func:`rma`) and ``start`` (the full data's tau², a warm start for every iterative
    fit: a subset moves tau² little, so Fisher scoring needs a few steps).

    ``masks`` is one mask of shape ``(m, k)`` over the studies ``yi``, ``vi`` (shape
    ``(k,)``), or an iterable of row blocks (at most about :data:`BLOCK_CELLS` cells
    each, made as they are fitted), block b of shape ``(m_b, k_b)`` selecting among the
    first ``k_b`` studies. Returns ``(result, notes)``: the result's per-member figures
    (those of the blocks concatenated, in order) and a list of notes (None where there
    is nothing to say; see :func:`batch_notes`).
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    kw = batch_control(method, start, control)
    parts, notes = [], []
    for mask in (masks,) if isinstance(masks, np.ndarray) else masks:
        width = mask.shape[-1]
        res = pooled_batch(
            y[:width], v[:width], mask, method, hk=hk, measure=measure, level=level, **kw
        )
        parts.append(res)
        notes += batch_notes(res, method, control)
    return (parts[0] if len(parts) == 1 else _Stack(parts)), notes
