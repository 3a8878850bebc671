"""Influence of single studies: leave-one-out analyses and Baujat coordinates.

Both are one batch of meta-analyses (a k x k mask with the diagonal left out) handed to
the engine core's batched estimators, not a loop of k fits.

Public API
----------
leave_one_out(yi, vi, labels, method="REML", hk=False, measure=None, level=0.95)
    -> tuple[LeaveOneOut, ...]   one row per omitted study (``metafor::leave1out``)
baujat(yi, vi, labels, fit_b, loo, method="REML") -> tuple[BaujatPoint, ...]
    x: contribution to heterogeneity, y: influence on the pooled estimate
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.stats.batch import finite as _num
from analysis.stats.random_effects import BLOCK_CELLS, fit_batch
from analysis.stats.results import BaujatPoint, LeaveOneOut

__all__ = ["LeaveOneOut", "BaujatPoint", "leave_one_out", "baujat"]


def leave_one_out(
    yi,
    vi,
    labels: Sequence[str],
    method: str = "REML",
    hk: bool = False,
    measure: str | None = None,
    level: float = 0.95,
    start: float | None = None,
    control: dict | None = None,
) -> tuple[LeaveOneOut, ...]:
    """Leave-one-out analyses, as ``metafor::leave1out(rma(yi, vi, method))``.

    Row i pools every study but study i with the same model (``method`` "EE" for the
    common-effect model, else a tau² estimator of
    :mod:`analysis.stats.random_effects`, with or without
    Hartung-Knapp). All k analyses are one batched fit. Empty for k < 2. ``start`` (the
    full-data tau²) starts every iterative fit warm: dropping one study moves tau² little,
    so Fisher scoring needs a few steps. ``control`` goes to the fits (``maxiter``,
    ``fallback``, ...; see :func:`analysis.stats.random_effects.rma`).

    References
    ----------
    Viechtbauer W, Cheung MWL (2010). Outlier and influence diagnostics for
    meta-analysis. Res Synth Methods 1:112-125.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = y.size
    if k < 2:
        return ()
    # blocks of rows of the k x k batch: a peak memory of BLOCK_CELLS cells per array
    # instead of k²
    step = max(1, min(k, BLOCK_CELLS // k))
    blocks = (
        np.arange(k)[None, :] != np.arange(lo, min(lo + step, k))[:, None]
        for lo in range(0, k, step)
    )
    res, notes = fit_batch(
        y, v, blocks, method, hk=hk, measure=measure, level=level, start=start, control=control
    )
    tau2 = np.zeros(k) if method == "EE" else res.tau2
    return tuple(
        LeaveOneOut(
            omitted=str(labels[i]),
            estimate=_num(res.estimate[i]),
            ci_low=_num(res.ci_low[i]),
            ci_high=_num(res.ci_high[i]),
            tau2=_num(tau2[i]),
            i2=_num(res.i2[i]),
            b=_num(res.b[i]),
            se=_num(res.se[i]),
            p=_num(res.p[i]),
            q=_num(res.q[i]),
            note=notes[i],
        )
        for i in range(k)
    )


def baujat(
    yi,
    vi,
    labels: Sequence[str],
    b: float | None,
    tau2: float | None,
    loo: Sequence[LeaveOneOut],
) -> tuple[BaujatPoint, ...]:
    r"""Baujat coordinates, as ``metafor::baujat(rma(...))``.

    :math:`x_i = (y_i - \hat\mu)^2/(v_i + \hat\tau^2)` (for a common-effect model the
    study's share of Cochran's Q) and :math:`y_i = (\hat\mu_{(-i)} - \hat\mu)^2 /
    \mathrm{Var}(\hat\mu_{(-i)})`, with :math:`\hat\mu_{(-i)}` the leave-one-out
    estimate of the same model (``loo``).

    References
    ----------
    Baujat B, Mahe C, Pignon JP, Hill C (2002). A graphical method for exploring
    heterogeneity in meta-analyses: application to a meta-analysis of 65 trials.
    Stat Med 21:2641-2652.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if b is None or len(loo) != y.size:
        return ()
    t2 = tau2 or 0.0
    xs = (y - b) ** 2 / (v + t2)
    out = []
    for i, row in enumerate(loo):
        yy = None
        if row.b is not None and row.se:
            yy = _num((row.b - b) ** 2 / row.se**2)
        out.append(BaujatPoint(study_id=str(labels[i]), x=_num(xs[i]), y=yy))
    return tuple(out)
