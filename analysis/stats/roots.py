"""Vectorised root finding: R's ``uniroot`` (Brent's zeroin) for a batch of functions.

metafor finds the Paule-Mandel estimate and the Q-profile confidence limits with
``uniroot(..., tol = .Machine$double.eps^0.25)``; its answers are therefore exact only to
about 1e-4 in tau². To reproduce them at 1e-6 this module replays R's C routine
``R_zeroin2`` (src/library/stats/src/zeroin.c) step for step, for every member of a batch
at once (per-member state, per-member stopping).

Public API
----------
zeroin(f, lower, upper, f_lower, f_upper, tol=R_TOL, maxiter=1000)
    -> (root, converged, iterations); f(x, idx) evaluates the members idx at x
R_TOL = numpy.finfo(float).eps ** 0.25
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["R_TOL", "zeroin"]

R_TOL = float(np.finfo(float).eps ** 0.25)
_EPS = float(np.finfo(float).eps)


def zeroin(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    lower,
    upper,
    f_lower,
    f_upper,
    tol: float = R_TOL,
    maxiter: int = 1000,
):
    """Brent's root finder on ``[lower, upper]`` for every member of a batch.

    A faithful vectorisation of R's ``R_zeroin2``: the same interpolation and bisection
    decisions, the same tolerance rule ``2 eps |b| + tol/2``, so each member ends at the
    point R's ``uniroot`` returns. Each step works only on the members still searching.

    Parameters
    ----------
    f : callable
        ``f(x, idx)``: function values at abscissae ``x`` (1-D) for the members ``idx``
        (indices into the flattened batch).
    lower, upper, f_lower, f_upper : array_like
        Bracket and function values at its ends (signs must differ or be zero), batch
        shape ``(...)``.
    tol : float
        R's ``tol`` (default ``.Machine$double.eps^0.25``, as ``uniroot``).
    maxiter : int
        R's ``maxiter``.

    Returns
    -------
    root : numpy.ndarray
        NaN where no root was found (no sign change, or ``maxiter`` reached).
    converged : numpy.ndarray of bool
    iterations : numpy.ndarray of int

    References
    ----------
    Brent RP (1973). Algorithms for Minimization without Derivatives. Prentice-Hall, ch. 4.
    R Core Team. ``uniroot`` / ``zeroin.c``, R 4.x.
    """
    shape = np.broadcast_shapes(
        np.shape(lower), np.shape(upper), np.shape(f_lower), np.shape(f_upper)
    )
    a = np.broadcast_to(np.asarray(lower, dtype=float), shape).ravel().copy()
    b = np.broadcast_to(np.asarray(upper, dtype=float), shape).ravel().copy()
    fa = np.broadcast_to(np.asarray(f_lower, dtype=float), shape).ravel().copy()
    fb = np.broadcast_to(np.asarray(f_upper, dtype=float), shape).ravel().copy()
    c = a.copy()
    fc = fa.copy()
    root = np.full(a.shape, np.nan)
    iters = np.zeros(a.shape, dtype=int)
    conv = np.zeros(a.shape, dtype=bool)
    # roots at an end point
    at_a = fa == 0.0
    root[at_a] = a[at_a]
    at_b = ~at_a & (fb == 0.0)
    root[at_b] = b[at_b]
    conv |= at_a | at_b
    # members with a sign change search; the others (no bracket, NaN) fail
    idx = np.flatnonzero(~conv & (np.sign(fa) * np.sign(fb) < 0))

    for it in range(maxiter + 1):
        if idx.size == 0:
            break
        A, B, C = a[idx], b[idx], c[idx]
        FA, FB, FC = fa[idx], fb[idx], fc[idx]
        prev_step = B - A
        swap = np.abs(FC) < np.abs(FB)
        A = np.where(swap, B, A)
        B = np.where(swap, C, B)
        C = np.where(swap, A, C)
        FA = np.where(swap, FB, FA)
        FB = np.where(swap, FC, FB)
        FC = np.where(swap, FA, FC)
        tol_act = 2 * _EPS * np.abs(B) + tol / 2
        new_step = (C - B) / 2
        stop = (np.abs(new_step) <= tol_act) | (FB == 0.0)
        done = idx[stop]
        root[done] = B[stop]
        conv[done] = True
        iters[done] = it
        go = ~stop
        idx = idx[go]
        if idx.size == 0:
            break
        A, B, C, FA, FB, FC = A[go], B[go], C[go], FA[go], FB[go], FC[go]
        prev_step, tol_act, new_step = prev_step[go], tol_act[go], new_step[go]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            interp = (np.abs(prev_step) >= tol_act) & (np.abs(FA) > np.abs(FB))
            cb = C - B
            t1_lin = FB / FA
            qq = FA / FC
            t1 = FB / FC
            t2 = FB / FA
            two = A == C
            p = np.where(two, cb * t1_lin, t2 * (cb * qq * (qq - t1) - (B - A) * (t1 - 1.0)))
            q = np.where(two, 1.0 - t1_lin, (qq - 1.0) * (t1 - 1.0) * (t2 - 1.0))
            q = np.where(p > 0, -q, q)
            p = np.abs(p)
            accept = (
                interp
                & (p < (0.75 * cb * q - np.abs(tol_act * q) / 2))
                & (p < np.abs(prev_step * q / 2))
            )
            new_step = np.where(accept, p / q, new_step)
        small = np.abs(new_step) < tol_act
        new_step = np.where(small, np.where(new_step > 0, tol_act, -tol_act), new_step)
        A, FA = B, FB
        B = B + new_step
        FB = np.asarray(f(B, idx), dtype=float)
        same = ((FB > 0) & (FC > 0)) | ((FB < 0) & (FC < 0))
        C = np.where(same, A, C)
        FC = np.where(same, FA, FC)
        a[idx], b[idx], c[idx] = A, B, C
        fa[idx], fb[idx], fc[idx] = FA, FB, FC
    # members still searching after maxiter: not converged (R reports failure)
    return root.reshape(shape), conv.reshape(shape), iters.reshape(shape)
