"""The full meta-analysis of one comparison: every figure the site and ``meta`` report.

:func:`analyse` runs the pipeline on a table of two-arm trials and returns a
:class:`analysis.stats.results.MetaAnalysis`, a frozen dataclass whose attributes mirror
the JSON contract of ``python -m analysis meta`` (``../shared/docs/meta-cli.md``) key for
key; :meth:`MetaAnalysis.to_dict` is that JSON object (None for undefined figures, never
NaN) and :meth:`MetaAnalysis.from_dict` reads it back.

Pipeline: effect sizes (zero cells, double zeros) -> Mantel-Haenszel, inverse-variance and
Peto common-effect models -> Cochran's Q, I², H² -> random-effects model with the chosen
tau² estimator, Q-profile CIs, prediction interval -> Egger, Begg, trim-and-fill ->
leave-one-out, cumulative by year, subgroups (each a batch of meta-analyses) -> Baujat.

Public API
----------
analyse(studies, *, measure="RR", tau2_method="REML", hk=False, by=None, level=0.95)
    -> MetaAnalysis        ``studies``: a pandas DataFrame (or any mapping of columns)
analyse_arrays(study_id, year, ivig_improved, ivig_total, control_improved, control_total,
    *, measure="RR", tau2_method="REML", hk=False, by=None, groups=None, level=0.95)
    -> MetaAnalysis        the same from plain sequences (no pandas: the CLI's fast path)
NoStudies                  raised when no study is left to analyse (k = 0)
MEASURES, TAU2_METHODS, REQUIRED_COLUMNS
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypedDict

import numpy as np

from analysis.stats.batch import finite as _num
from analysis.stats.common_effect import iv, mh, peto
from analysis.stats.cumulative import cumulative
from analysis.stats.effects import escalc
from analysis.stats.heterogeneity import heterogeneity
from analysis.stats.influence import baujat, leave_one_out
from analysis.stats.random_effects import rma
from analysis.stats.results import (
    CommonModels,
    Heterogeneity,
    MetaAnalysis,
    Pooled,
    Random,
    SmallStudy,
    Study,
)
from analysis.stats.small_study import begg, egger, trimfill
from analysis.stats.subgroups import subgroups
from analysis.vocabulary import ENGINE_COLUMNS, MEASURES, TAU2_METHODS

__all__ = [
    "MEASURES",
    "TAU2_METHODS",
    "REQUIRED_COLUMNS",
    "NoStudies",
    "MetaAnalysis",
    "analyse",
    "analyse_arrays",
]

REQUIRED_COLUMNS = ENGINE_COLUMNS


class NoStudies(ValueError):  # noqa: N818 (name fixed by the shared contract)
    """No study left to analyse (k = 0: no rows, or only double-zero studies for RR/OR)."""


class _Warm(TypedDict):
    """Keyword arguments shared by the sensitivity batches: warm start and iteration control."""

    start: float | None
    control: dict[str, int]


def _no_studies(ai, ci, n1, n2) -> str:
    """Why no study is left: no events in both arms, events in every patient, or both."""
    none = bool(((ai == 0) & (ci == 0)).any())
    every = bool(((ai == n1) & (ci == n2)).any())
    if none and every:
        why = "no events in either arm or events in every patient of both arms"
    elif every:
        why = "events in every patient of both arms"
    else:
        why = "no events in either arm"
    return f"no studies to analyse: every study has {why}"


#: the figures a Pooled result takes from a common-effect fit (CommonEffect)
_POOLED_FIGURES = ("estimate", "ci_low", "ci_high", "p", "b", "se")


def _pooled(res, why=None) -> Pooled:
    """A common-effect result; ``why`` (a callable) gives the reason where a figure is None."""
    figures: dict[str, Any] = {f: _num(getattr(res, f)) for f in _POOLED_FIGURES}
    out = Pooled(**figures)
    if None in (out.estimate, out.ci_low, out.ci_high, out.p):
        out = replace(out, note=(why() if why else None) or _UNDEFINED)
    return out


_UNDEFINED = "the estimate or its standard error is undefined for these counts"


def _common_note(name: str, measure: str, ai, n1, ci, n2, res) -> str:
    """Why a common-effect estimate (MH, IV, Peto) or its p-value is undefined."""
    if _num(res.estimate) is not None and _num(res.se) == 0:
        return (
            "the standard error is zero (no variation in the counts), so the p-value is undefined"
        )
    if measure in ("RR", "OR"):
        for arm, ev, n in (("IVIG", ai, n1), ("control", ci, n2)):
            if ev.sum() == 0:
                return (
                    f"{name}: no events in the {arm} arm of any trial, so the pooled ratio "
                    "is 0 or infinite"
                )
            if measure == "OR" and (ev == n).all():
                return (
                    f"{name}: every patient of the {arm} arms had an event, so the pooled "
                    "odds ratio is infinite or 0"
                )
    if name == "Peto" and (((ai + ci) == 0) | ((ai + ci) == (n1 + n2))).all():
        return "Peto: no trial has both patients with and without events, so its variance is zero"
    return f"{name}: {_UNDEFINED}"


def _pair(lo, hi) -> tuple[float | None, float | None] | None:
    lo, hi = _num(lo), _num(hi)
    return None if lo is None and hi is None else (lo, hi)


def _column(studies, name: str) -> list:
    col = studies[name]
    return col.tolist() if hasattr(col, "tolist") else list(col)


def analyse(
    studies,
    *,
    measure: str = "RR",
    tau2_method: str = "REML",
    hk: bool = False,
    by: str | None = None,
    level: float = 0.95,
    maxiter: int = 100,
    fallback: bool = True,
) -> MetaAnalysis:
    """Run the full meta-analysis of a table of two-arm trials.

    Parameters
    ----------
    studies : pandas.DataFrame or mapping of columns
        Columns ``study_id, year, ivig_improved, ivig_total, control_improved,
        control_total`` (counts as integers, no missing values) and ``by`` if given.
    measure : {"RR", "OR", "RD"}
    tau2_method : {"DL", "REML", "PM", "ML", "HS", "SJ", "EB", "HE"}
    hk : bool
        Hartung-Knapp(-Sidik-Jonkman) inference for the random-effects model and every
        analysis built on it (leave-one-out, cumulative, subgroups, trim-and-fill).
    by : str, optional
        Column that defines subgroups.
    level : float
        Confidence level.
    maxiter, fallback : int, bool
        Fisher-scoring iterations of the iterative tau² estimators, and whether a
        bracketed search finishes a fit that has not converged (see
        :func:`analysis.stats.tau2.estimate_tau2`); every analysis uses them. Switching
        the search off shows what a reader sees when an estimate cannot be computed.

    Returns
    -------
    MetaAnalysis

    Raises
    ------
    NoStudies
        No study to analyse.
    KeyError
        A required column (or ``by``) is missing.
    ValueError
        Missing or invalid counts.
    """
    for name in REQUIRED_COLUMNS + ((by,) if by else ()):
        if name not in studies:
            raise KeyError(f"{name}: column missing")
    cols = {name: _column(studies, name) for name in REQUIRED_COLUMNS}
    counts = {}
    for name in REQUIRED_COLUMNS[2:]:
        values = cols[name]
        if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in values):
            raise ValueError(f"{name}: missing counts")
        counts[name] = np.asarray([int(x) for x in values], dtype=np.int64)
    groups = [str(x) for x in _column(studies, by)] if by else None
    return analyse_arrays(
        [str(x) for x in cols["study_id"]],
        cols["year"],
        counts["ivig_improved"],
        counts["ivig_total"],
        counts["control_improved"],
        counts["control_total"],
        measure=measure,
        tau2_method=tau2_method,
        hk=hk,
        by=by,
        groups=groups,
        level=level,
        maxiter=maxiter,
        fallback=fallback,
    )


def _random(re, tau2_method: str, hk: bool) -> Random:
    """The random-effects fit as the result type every analysis carries."""
    return Random(
        tau2_method=tau2_method,
        hk=bool(hk),
        estimate=_num(re.estimate),
        ci_low=_num(re.ci_low),
        ci_high=_num(re.ci_high),
        p=_num(re.p),
        tau2=_num(re.tau2),
        tau2_ci=_pair(re.tau2_ci_low, re.tau2_ci_high),
        i2=_num(re.i2),
        i2_ci=_pair(re.i2_ci_low, re.i2_ci_high),
        pi_low=_num(re.pi_low),
        pi_high=_num(re.pi_high),
        converged=bool(re.converged),
        iterations=int(re.iterations),
        note=re.note,
        b=_num(re.b),
        se=_num(re.se),
    )


def random_only(
    ivig_improved,
    ivig_total,
    control_improved,
    control_total,
    *,
    measure: str = "RR",
    tau2_method: str = "REML",
    hk: bool = False,
    level: float = 0.95,
    maxiter: int = 100,
    fallback: bool = True,
) -> Random:
    """The random-effects model of :func:`analyse_arrays` alone: the same effect sizes
    (``escalc``, double-zero studies left out for ratio measures) and the same ``rma`` fit,
    without the common-effect models, small-study tests, leave-one-out, cumulative and
    subgroup analyses. For the sensitivity analyses that report only this model (tau²
    estimators, normal-based against Hartung-Knapp inference). Raises :class:`NoStudies`
    as :func:`analyse_arrays` does.
    """
    if tau2_method not in TAU2_METHODS:
        raise ValueError(
            f"tau2_method: must be one of {', '.join(TAU2_METHODS)} (got {tau2_method!r})"
        )
    ai = np.asarray(ivig_improved, dtype=np.int64)
    n1 = np.asarray(ivig_total, dtype=np.int64)
    ci = np.asarray(control_improved, dtype=np.int64)
    n2 = np.asarray(control_total, dtype=np.int64)
    if len(ai) == 0:
        raise NoStudies("no studies to analyse")
    es = escalc(ai, n1, ci, n2, measure=measure, level=level)
    inc = np.asarray(es.included, dtype=bool)
    if not inc.any():
        raise NoStudies(_no_studies(ai, ci, n1, n2))
    re = rma(
        es.yi[inc],
        es.vi[inc],
        tau2_method,
        hk,
        level=level,
        measure=measure,
        maxiter=maxiter,
        fallback=fallback,
    )
    return _random(re, tau2_method, hk)


def analyse_arrays(
    study_id: Sequence[str],
    year,
    ivig_improved,
    ivig_total,
    control_improved,
    control_total,
    *,
    measure: str = "RR",
    tau2_method: str = "REML",
    hk: bool = False,
    by: str | None = None,
    groups: Sequence[str] | None = None,
    level: float = 0.95,
    maxiter: int = 100,
    fallback: bool = True,
) -> MetaAnalysis:
    """:func:`analyse` on plain sequences (one entry per study, in data order).

    ``groups`` holds the ``by`` column's value per study. See :func:`analyse`.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure: must be one of {', '.join(MEASURES)} (got {measure!r})")
    if tau2_method not in TAU2_METHODS:
        raise ValueError(
            f"tau2_method: must be one of {', '.join(TAU2_METHODS)} (got {tau2_method!r})"
        )
    ids = [str(s) for s in study_id]
    if len(ids) == 0:
        raise NoStudies("no studies to analyse")
    ai = np.asarray(ivig_improved, dtype=np.int64)
    n1 = np.asarray(ivig_total, dtype=np.int64)
    ci = np.asarray(control_improved, dtype=np.int64)
    n2 = np.asarray(control_total, dtype=np.int64)
    es = escalc(ai, n1, ci, n2, measure=measure, level=level)
    inc = np.asarray(es.included, dtype=bool)
    excluded = tuple(s for s, keep in zip(ids, inc, strict=True) if not keep)
    k = int(inc.sum())
    if k == 0:
        raise NoStudies(_no_studies(ai, ci, n1, n2) if excluded else "no studies to analyse")
    ids_in = [s for s, keep in zip(ids, inc, strict=True) if keep]
    y, v = es.yi[inc], es.vi[inc]
    years = np.asarray(year)[inc]

    # common-effect models and heterogeneity
    mh_res = mh(ai, n1, ci, n2, measure, level=level)
    iv_res = iv(y, v, level=level, measure=measure)
    peto_res = peto(ai, n1, ci, n2, level=level) if measure == "OR" else None
    het = heterogeneity(y, v)
    cells = (measure, ai, n1, ci, n2)
    common = CommonModels(
        mh=_pooled(mh_res, lambda: _common_note("Mantel-Haenszel", *cells, mh_res)),
        iv=_pooled(iv_res, lambda: _common_note("inverse variance", *cells, iv_res)),
        peto=_pooled(peto_res, lambda: _common_note("Peto", *cells, peto_res))
        if peto_res is not None
        else None,
    )
    heterogeneity_stats = Heterogeneity(
        k=k,
        q=_num(het.q),
        df=int(het.df) if het.df is not None and k > 1 else None,
        p=_num(het.p),
        i2=_num(het.i2),
        h2=_num(het.h2),
        note="a single study: heterogeneity needs at least two studies" if k < 2 else None,
    )

    # random-effects model
    control = {"maxiter": maxiter, "fallback": fallback}
    re = rma(
        y, v, tau2_method, hk, level=level, measure=measure, maxiter=maxiter, fallback=fallback
    )
    random = _random(re, tau2_method, hk)
    w_common = np.asarray(iv_res.weights, dtype=float)
    w_random = np.asarray(re.weights, dtype=float)
    studies = tuple(
        Study(
            study_id=ids_in[i],
            yi=_num(y[i]),
            vi=_num(v[i]),
            estimate=_num(es.estimate[inc][i]),
            ci_low=_num(es.ci_low[inc][i]),
            ci_high=_num(es.ci_high[inc][i]),
            weight_common=_num(w_common[i]),
            weight_random=_num(w_random[i]),
        )
        for i in range(k)
    )

    # small-study effects, on the random-effects model chosen
    small = SmallStudy(
        egger=egger(y, v),
        begg=begg(y, v),
        trimfill=trimfill(y, v, tau2_method, hk=hk, measure=measure, level=level, control=control),
    )

    # sensitivity: each one batch of meta-analyses
    # batches start warm, from the full-data tau²
    warm: _Warm = {"start": random.tau2, "control": control}
    loo = leave_one_out(y, v, ids_in, tau2_method, hk=hk, measure=measure, level=level, **warm)
    cum = cumulative(y, v, ids_in, years, tau2_method, hk=hk, measure=measure, level=level, **warm)
    sub = None
    if by is not None:
        if groups is None:
            raise ValueError("groups: the values of the 'by' column are required with 'by'")
        if len(groups) != len(ids):
            raise ValueError("groups: one value per study is required")
        g_in = [str(g) for g, keep in zip(groups, inc, strict=True) if keep]
        sub = subgroups(y, v, g_in, by, tau2_method, hk=hk, measure=measure, level=level, **warm)
    points = baujat(y, v, ids_in, random.b, random.tau2, loo)

    return MetaAnalysis(
        measure=measure,
        k=k,
        excluded=excluded,
        studies=studies,
        common=common,
        heterogeneity=heterogeneity_stats,
        random=random,
        small_study=small,
        leave_one_out=loo,
        cumulative=cum,
        subgroups=sub,
        baujat=points,
    )
