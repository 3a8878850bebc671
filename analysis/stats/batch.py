"""Helpers for the batch axis shared by the estimators (private to the engine core).

Every estimator takes study-level arrays of shape ``(..., k)``: the last axis holds the
studies of one meta-analysis, the leading axes index analyses (leave-one-out subsets,
cumulative steps, subgroups, trim-and-fill iterations). A boolean ``mask`` of the same
shape says which studies belong to each analysis, so ragged batches share one array.

Public API
----------
prepare(yi, vi, mask) -> Batch
    Broadcast and clean the inputs: masked-out entries get ``yi = 0`` and ``vi = 1`` so
    that they can never produce NaN; every sum multiplies by the mask.
finish(value, single) -> float | None | numpy.ndarray
    Turn an array figure into what a result object holds: a Python float (or None when
    undefined) for a single analysis, an ndarray (NaN where undefined) for a batch.
pooled_fields(b, se, ci_lb, ci_ub, stat, p, measure, out) -> dict
    The fields every pooled result holds (estimate, SE, CI, test; both scales).
interval_fields(name, lb, ub, measure, out) -> dict
    An interval's ``_lb``/``_ub`` (analysis scale) and ``_low``/``_high`` (natural) fields.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "RATIO_MEASURES",
    "Batch",
    "finite",
    "interval_fields",
    "natural",
    "pooled_fields",
    "prepare",
    "finish",
]

#: The measures analysed on the log scale and shown back-transformed.
RATIO_MEASURES = frozenset({"RR", "OR", "PETO"})


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
class Batch:
    """Cleaned study arrays of one batch of meta-analyses.

    Attributes
    ----------
    y, v : numpy.ndarray
        Effects and sampling variances, shape ``(..., k)``; masked-out entries hold 0 and 1.
    m : numpy.ndarray
        Boolean mask, shape ``(..., k)``.
    mf : numpy.ndarray
        The mask as float (1.0 / 0.0), for sums.
    k : numpy.ndarray
        Number of studies per analysis, shape ``(...)`` (int).
    single : bool
        True when the caller passed one analysis (1-D arrays).
    """

    y: np.ndarray
    v: np.ndarray
    m: np.ndarray
    mf: np.ndarray
    k: np.ndarray
    single: bool


def prepare(yi, vi, mask=None) -> Batch:
    """Validate and broadcast ``yi``, ``vi`` and ``mask`` to a common shape ``(..., k)``.

    Raises
    ------
    ValueError
        If the arrays do not broadcast, have no study axis, or an included study has a
        non-finite effect or a non-positive or non-finite variance.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if y.ndim == 0 or v.ndim == 0:
        raise ValueError("yi and vi must have a study axis (shape (..., k))")
    single = y.ndim == 1 and v.ndim == 1 and (mask is None or np.ndim(mask) == 1)
    if mask is None:
        m = np.ones(np.broadcast_shapes(y.shape, v.shape), dtype=bool)
    else:
        m = np.asarray(mask, dtype=bool)
    shape = np.broadcast_shapes(y.shape, v.shape, m.shape)
    y, v, m = (np.broadcast_to(a, shape) for a in (y, v, m))
    bad_y = m & ~np.isfinite(y)
    if bad_y.any():
        raise ValueError(f"yi: non-finite effect at index {tuple(np.argwhere(bad_y)[0])}")
    bad_v = m & ~(np.isfinite(v) & (v > 0))
    if bad_v.any():
        raise ValueError(
            f"vi: sampling variance must be positive and finite "
            f"(index {tuple(np.argwhere(bad_v)[0])})"
        )
    y = np.where(m, y, 0.0)
    v = np.where(m, v, 1.0)
    return Batch(y=y, v=v, m=m, mf=m.astype(float), k=m.sum(axis=-1), single=single)


def finish(value, single: bool):
    """Return a figure as a result object holds it.

    Single analysis: a Python float, or None when the figure is NaN or infinite.
    Batch: a float ndarray with NaN where the figure is undefined.
    """
    a = np.asarray(value, dtype=float)
    if single:
        x = float(a.reshape(-1)[0]) if a.size == 1 else float("nan")
        return x if np.isfinite(x) else None
    return np.where(np.isfinite(a), a, np.nan)


def pooled_fields(b, se, ci_lb, ci_ub, stat, p, measure, out: Callable) -> dict[str, Any]:
    """The fields of a pooled result (common-effect or random-effects) that describe its
    estimate: ``b``, ``se``, ``ci_lb``, ``ci_ub``, ``stat`` and ``p`` on the analysis
    scale, and ``estimate``, ``ci_low``, ``ci_high`` on the natural scale (exp for the
    ratio measures, :func:`natural`), each passed through ``out``
    (the model's :func:`finish`).
    """
    return {
        "b": out(b),
        "se": out(se),
        "estimate": out(natural(b, measure)),
        **interval_fields("ci", ci_lb, ci_ub, measure, out),
        "stat": out(stat),
        "p": out(p),
    }


def interval_fields(name: str, lb, ub, measure, out: Callable) -> dict[str, Any]:
    """An interval's four fields in a result: ``{name}_lb``, ``{name}_ub`` on the analysis
    scale and ``{name}_low``, ``{name}_high`` on the natural scale, through ``out``."""
    return {
        f"{name}_lb": out(lb),
        f"{name}_ub": out(ub),
        f"{name}_low": out(natural(lb, measure)),
        f"{name}_high": out(natural(ub, measure)),
    }


def finite(x) -> float | None:
    """A figure as a result object holds it: a finite Python float, or None.

    Undefined figures (None, NaN, infinite) become None, never NaN.
    """
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
