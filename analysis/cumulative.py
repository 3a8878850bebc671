"""Cumulative meta-analysis: the pooled effect as studies accrue, in order of year.

Step j pools the j earliest studies; all steps are one batch of meta-analyses (a lower
triangular mask in publication order) handed to the engine core.

Public API
----------
cumulative(yi, vi, labels, year, method="DL", hk=False, measure=None, level=0.95)
    -> tuple[Cumulative, ...]   (``metafor::cumul(rma(...), order = year)``)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.small_study import pooled_batch

__all__ = ["Cumulative", "cumulative", "year_order"]


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


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
    """

    added: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    b: float | None = field(default=None, metadata={"json": False})
    tau2: float | None = field(default=None, metadata={"json": False})
    i2: float | None = field(default=None, metadata={"json": False})
    p: float | None = field(default=None, metadata={"json": False})


def year_order(year) -> np.ndarray:
    """Indices that sort studies by year, ties kept in data order (a stable sort)."""
    return np.argsort(np.asarray(year), kind="stable")


def cumulative(
    yi,
    vi,
    labels: Sequence[str],
    year,
    method: str = "DL",
    hk: bool = False,
    measure: str | None = None,
    level: float = 0.95,
) -> tuple[Cumulative, ...]:
    """Cumulative meta-analysis by year, as ``metafor::cumul(rma(yi, vi, method), order)``.

    Studies are ordered by year (ties keep the data order); step j pools the first j
    with the same model (``method`` "EE" or a tau² estimator, with or without
    Hartung-Knapp). The first step is the first study alone (tau² undefined: None).

    References
    ----------
    Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992).
    Cumulative meta-analysis of therapeutic trials for myocardial infarction.
    N Engl J Med 327:248-254.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = y.size
    if k == 0:
        return ()
    order = year_order(year)
    y, v = y[order], v[order]
    mask = np.tri(k, k, dtype=bool)
    res = pooled_batch(y, v, mask, method, hk=hk, measure=measure, level=level)
    tau2 = np.zeros(k) if method == "EE" else np.asarray(res.tau2, dtype=float)
    tau2 = np.where(np.arange(k) == 0, np.nan, tau2)
    return tuple(
        Cumulative(
            added=str(labels[order[j]]),
            estimate=_num(res.estimate[j]),
            ci_low=_num(res.ci_low[j]),
            ci_high=_num(res.ci_high[j]),
            b=_num(res.b[j]),
            tau2=_num(tau2[j]),
            i2=_num(res.i2[j]),
            p=_num(res.p[j]),
        )
        for j in range(k)
    )
