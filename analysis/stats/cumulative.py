"""Cumulative meta-analysis: the pooled effect as studies accrue, in order of year.

Step j pools the j earliest studies; all steps are one batch of meta-analyses (a lower
triangular mask in publication order) handed to the engine core.

Public API
----------
cumulative(yi, vi, labels, year, method="DL", hk=False, measure=None, level=0.95)
    -> tuple[Cumulative, ...]   (``metafor::cumul(rma(...), order = year)``)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.stats.batch import finite as _num
from analysis.stats.random_effects import BLOCK_CELLS, fit_batch
from analysis.stats.results import Cumulative

__all__ = ["Cumulative", "cumulative", "year_order"]


def _edges(k: int) -> list[int]:
    """Row blocks of the triangular batch with at most ``BLOCK_CELLS`` cells each."""
    edges = [0]
    while edges[-1] < k:
        stop = edges[-1] + 1
        while stop < k and (stop + 1 - edges[-1]) * (stop + 1) <= BLOCK_CELLS:
            stop += 1
        edges.append(stop)
    return edges


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
    start: float | None = None,
    control: dict | None = None,
) -> tuple[Cumulative, ...]:
    """Cumulative meta-analysis by year, as ``metafor::cumul(rma(yi, vi, method), order)``.

    Studies are ordered by year (ties keep the data order); step j pools the first j
    with the same model (``method`` "EE" or a tau² estimator, with or without
    Hartung-Knapp). The first step is the first study alone (tau² undefined: None).
    ``start`` (the full-data tau²) and ``control`` as in
    :func:`analysis.stats.influence.leave_one_out`.

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
    # step j uses the first j + 1 studies: cut the triangular batch into row blocks that
    # carry only the columns they use (about half the work of one k x k batch)
    edges = _edges(k)
    blocks = (
        np.arange(stop)[None, :] <= np.arange(lo, stop)[:, None]
        for lo, stop in zip(edges[:-1], edges[1:], strict=True)
    )
    res, notes = fit_batch(
        y, v, blocks, method, hk=hk, measure=measure, level=level, start=start, control=control
    )
    # the first step (one study) has its estimate and, unless under Hartung-Knapp, its
    # CI: only tau² (not reported) is missing there, which needs no note
    if not hk:
        notes[0] = None
    fields = {
        name: np.asarray(getattr(res, name), dtype=float)
        for name in ("estimate", "ci_low", "ci_high", "b", "i2", "p")
    }
    tau2 = np.zeros(k) if method == "EE" else np.array(res.tau2, dtype=float)
    tau2[0] = np.nan
    return tuple(
        Cumulative(
            added=str(labels[order[j]]),
            estimate=_num(fields["estimate"][j]),
            ci_low=_num(fields["ci_low"][j]),
            ci_high=_num(fields["ci_high"][j]),
            b=_num(fields["b"][j]),
            tau2=_num(tau2[j]),
            i2=_num(fields["i2"][j]),
            p=_num(fields["p"][j]),
            note=notes[j],
        )
        for j in range(k)
    )
