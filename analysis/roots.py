"""Vectorised root finding: R's ``uniroot`` (Brent's zeroin) for a batch of functions.

metafor finds the Paule-Mandel estimate and the Q-profile confidence limits with
``uniroot(..., tol = .Machine$double.eps^0.25)``; its answers are therefore exact only to
about 1e-4 in tau². To reproduce them at 1e-6 this module replays R's C routine
``R_zeroin2`` (src/library/stats/src/zeroin.c) step for step, for every member of a batch
at once (per-member state, per-member stopping).

Public API
----------
zeroin(f, lower, upper, f_lower, f_upper, tol=R_TOL, maxiter=1000) -> (root, converged, iterations)
R_TOL = numpy.finfo(float).eps ** 0.25
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["R_TOL", "zeroin"]

R_TOL = float(np.finfo(float).eps ** 0.25)
_EPS = float(np.finfo(float).eps)


def zeroin(
    f: Callable[[np.ndarray], np.ndarray],
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
    point R's ``uniroot`` returns.

    Parameters
    ----------
    f : callable
        Maps an array of abscissae of the batch shape to function values (all members
        are evaluated at every step; members already finished are ignored).
    lower, upper, f_lower, f_upper : array_like
        Bracket and function values at its ends (signs must differ or be zero).
    tol : float
        R's ``tol`` (default ``.Machine$double.eps^0.25``, as ``uniroot``).
    maxiter : int
        R's ``maxiter``.

    Returns
    -------
    root : numpy.ndarray
    converged : numpy.ndarray of bool
    iterations : numpy.ndarray of int

    References
    ----------
    Brent RP (1973). Algorithms for Minimization without Derivatives. Prentice-Hall, ch. 4.
    R Core Team. ``uniroot`` / ``zeroin.c``, R 4.x.
    """
    a = np.array(lower, dtype=float)
    b = np.array(upper, dtype=float)
    shape = np.broadcast_shapes(a.shape, b.shape, np.shape(f_lower), np.shape(f_upper))
    a = np.broadcast_to(a, shape).copy()
    b = np.broadcast_to(b, shape).copy()
    fa = np.broadcast_to(np.asarray(f_lower, dtype=float), shape).copy()
    fb = np.broadcast_to(np.asarray(f_upper, dtype=float), shape).copy()
    c = a.copy()
    fc = fa.copy()
    root = np.full(shape, np.nan)
    iters = np.zeros(shape, dtype=int)
    done = np.zeros(shape, dtype=bool)
    conv = np.zeros(shape, dtype=bool)
    # roots at an end point
    at_a = fa == 0.0
    root[at_a] = a[at_a]
    done |= at_a
    conv |= at_a
    at_b = ~done & (fb == 0.0)
    root[at_b] = b[at_b]
    done |= at_b
    conv |= at_b
    # nothing to do for members without a sign change or with NaN values
    bad = ~done & ~(np.sign(fa) * np.sign(fb) < 0)
    done |= bad

    for it in range(maxiter + 1):
        if done.all():
            break
        act = ~done
        prev_step = b - a
        swap = act & (np.abs(fc) < np.abs(fb))
        a = np.where(swap, b, a)
        b = np.where(swap, c, b)
        c = np.where(swap, a, c)
        fa = np.where(swap, fb, fa)
        fb = np.where(swap, fc, fb)
        fc = np.where(swap, fa, fc)
        tol_act = 2 * _EPS * np.abs(b) + tol / 2
        new_step = (c - b) / 2
        stop = act & ((np.abs(new_step) <= tol_act) | (fb == 0.0))
        root[stop] = b[stop]
        conv |= stop
        iters[stop] = it
        done |= stop
        act = ~done
        if not act.any():
            break
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            interp = act & (np.abs(prev_step) >= tol_act) & (np.abs(fa) > np.abs(fb))
            cb = c - b
            two = a == c
            t1_lin = fb / fa
            p_lin = cb * t1_lin
            q_lin = 1.0 - t1_lin
            qq = fa / fc
            t1 = fb / fc
            t2 = fb / fa
            p_quad = t2 * (cb * qq * (qq - t1) - (b - a) * (t1 - 1.0))
            q_quad = (qq - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            p = np.where(two, p_lin, p_quad)
            q = np.where(two, q_lin, q_quad)
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
        a = np.where(act, b, a)
        fa = np.where(act, fb, fa)
        b = np.where(act, b + new_step, b)
        fnew = np.asarray(f(b), dtype=float)
        fb = np.where(act, fnew, fb)
        same = act & (((fb > 0) & (fc > 0)) | ((fb < 0) & (fc < 0)))
        c = np.where(same, a, c)
        fc = np.where(same, fa, fc)
    # members still running after maxiter: not converged (R reports failure)
    return root, conv, iters
