"""Normal, Student t and chi-square probabilities in numpy and ``math`` only.

The functions the engine needs from ``scipy.special``, with the same names, argument
order and broadcasting, computed from the standard library's ``erfc`` and ``lgamma``.
Importing ``scipy.special`` costs about 0.25 s of start-up (it loads its array-API
layer, which imports most of numpy's optional submodules); ``python -m analysis meta``
runs in about that time in total, so the command line uses these instead.
``tests/test_specfun.py`` checks every function against ``scipy.special``.

Public API
----------
ndtr(x)               standard normal CDF
ndtri(p)              its inverse
stdtr(df, t)          Student t CDF
stdtrit(df, p)        its inverse in t
chdtrc(df, x)         chi-square upper tail
gammaincinv(a, p)     inverse of the regularised lower incomplete gamma P(a, x)
gammainccinv(a, q)    inverse of the regularised upper incomplete gamma Q(a, x)

Methods: the incomplete beta and gamma functions by their continued fractions (modified
Lentz) and power series (Press et al. 2007, sections 6.2 and 6.4; DiDonato & Morris
1986); the inverses by Newton steps from a normal-theory start (Wilson & Hilferty 1931
for chi-square; a Cornish-Fisher expansion for t), kept inside a bracket, until the
relative step is below 4 machine epsilons.

References
----------
Press WH, Teukolsky SA, Vetterling WT, Flannery BP (2007). Numerical Recipes, 3rd ed.,
sections 6.2 (incomplete gamma) and 6.4 (incomplete beta). Cambridge University Press.
Acklam PJ (2003). An algorithm for computing the inverse normal cumulative distribution
function.
Wilson EB, Hilferty MM (1931). The distribution of chi-square. PNAS 17:684-688.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ndtr", "ndtri", "stdtr", "stdtrit", "chdtrc", "gammaincinv", "gammainccinv"]

_EPS = 2.220446049250313e-16
_TINY = 1e-300
_MAXIT = 10_000
_SQRT2 = math.sqrt(2.0)


def _vectorise(fn, nin: int):
    ufunc = np.frompyfunc(fn, nin, 1)

    def wrapped(*args):
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
        shape = arrays[0].shape
        with np.errstate(all="ignore"):  # a Newton step may overflow; it is then bisected
            if arrays[0].size > 16:
                # batches repeat values (one df per analysis): compute each distinct input once
                stacked = np.stack([a.reshape(-1) for a in arrays], axis=1)
                uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
                out = np.asarray(ufunc(*uniq.T), dtype=float)[inverse.reshape(-1)]
                return out.reshape(shape)
            out = ufunc(*arrays)
        if isinstance(out, np.ndarray):
            return out.astype(float)
        return np.float64(out)

    wrapped.__name__ = fn.__name__.lstrip("_")
    wrapped.__doc__ = fn.__doc__
    return wrapped


# ----------------------------------------------------------------------------- normal


def _ndtr(x: float) -> float:
    """P(Z <= x), from ``erfc`` (accurate in both tails)."""
    if math.isnan(x):
        return math.nan
    return 0.5 * math.erfc(-x / _SQRT2)


_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)  # fmt: skip


def _ndtri(p: float) -> float:
    """x with P(Z <= x) = p: Acklam's rational start, then Halley steps on ``erfc``."""
    if math.isnan(p) or p < 0 or p > 1:
        return math.nan
    if p == 0:
        return -math.inf
    if p == 1:
        return math.inf
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2 * math.log(p))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1
        )
    elif p > 1 - lo:
        q = math.sqrt(-2 * math.log1p(-p))
        x = -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1
        )
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1)
        )
    for _ in range(3):
        # Halley on the tail that is small, so tiny p keep their relative precision
        if x < 0:
            e = _ndtr(x) - p
        else:
            e = (1 - p) - 0.5 * math.erfc(x / _SQRT2)
        u = e * math.sqrt(2 * math.pi) * math.exp(x * x / 2)
        x = x - u / (1 + x * u / 2)
    return x


# ----------------------------------------------------------------------------- beta


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1 - qab * x / qap
    d = 1 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAXIT):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = 1 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = 1 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return h


def _betainc_pair(a: float, b: float, x: float, y: float) -> tuple[float, float]:
    """(I_x(a, b), 1 - I_x(a, b)) with y = 1 - x given exactly; each side accurate."""
    if x <= 0:
        return 0.0, 1.0
    if y <= 0:
        return 1.0, 0.0
    lfront = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    front = math.exp(lfront)
    if x < (a + 1) / (a + b + 2):
        lower = front * _betacf(a, b, x) / a
        return lower, 1 - lower
    upper = front * _betacf(b, a, y) / b
    return 1 - upper, upper


# ----------------------------------------------------------------------------- t


def _t_tail(df: float, t: float) -> float:
    """P(T > |t|) for t with df degrees of freedom."""
    t2 = t * t
    x = df / (df + t2)
    y = t2 / (df + t2)
    lower, _ = _betainc_pair(df / 2, 0.5, x, y)
    return 0.5 * lower


def _stdtr(df: float, t: float) -> float:
    """P(T <= t), Student t with ``df`` degrees of freedom."""
    if math.isnan(df) or math.isnan(t) or df <= 0:
        return math.nan
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    if math.isinf(df):
        return _ndtr(t)
    tail = _t_tail(df, t)
    return 1 - tail if t > 0 else tail


def _t_pdf(df: float, t: float) -> float:
    return math.exp(
        math.lgamma((df + 1) / 2)
        - math.lgamma(df / 2)
        - 0.5 * math.log(df * math.pi)
        - (df + 1) / 2 * math.log1p(t * t / df)
    )


def _stdtrit(df: float, p: float) -> float:
    """t with P(T <= t) = p."""
    if math.isnan(df) or math.isnan(p) or df <= 0 or p < 0 or p > 1:
        return math.nan
    if p == 0:
        return -math.inf
    if p == 1:
        return math.inf
    if p == 0.5:
        return 0.0
    if math.isinf(df):
        return _ndtri(p)
    sign = 1.0 if p > 0.5 else -1.0
    q = 1 - p if p > 0.5 else p  # lower tail of -|t|, kept small for precision
    if df == 1:
        return sign / math.tan(math.pi * q)
    if df == 2:
        return sign * (1 - 2 * q) / math.sqrt(2 * q * (1 - q))
    # Cornish-Fisher start from the normal quantile
    z = -_ndtri(q)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    t = z + g1 / df + g2 / df**2 + g3 / df**3
    lo, hi = 0.0, math.inf
    for _ in range(100):
        f = _t_tail(df, t) - q  # decreasing in t
        if f > 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        step = f / _t_pdf(df, t)
        new = t + step
        if not (lo < new < hi):
            new = (lo + hi) / 2 if math.isfinite(hi) else 2 * max(t, 1.0)
        elif abs(step) <= 1e-9 * abs(new):
            # Newton converges quadratically: the next step would be below rounding
            t = new
            break
        if abs(new - t) <= 4 * _EPS * abs(new):
            t = new
            break
        t = new
    return sign * t


# ----------------------------------------------------------------------------- gamma


def _gamma_pair(a: float, x: float) -> tuple[float, float]:
    """(P(a, x), Q(a, x)), regularised incomplete gamma, each side accurate."""
    if x <= 0:
        return 0.0, 1.0
    if math.isinf(x):
        return 1.0, 0.0
    lfront = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        ap, s, delta = a, 1 / a, 1 / a
        for _ in range(_MAXIT):
            ap += 1
            delta *= x / ap
            s += delta
            if abs(delta) < abs(s) * _EPS:
                break
        lower = s * math.exp(lfront)
        return lower, 1 - lower
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, _MAXIT):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = b + an / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    upper = math.exp(lfront) * h
    return 1 - upper, upper


def _chdtrc(df: float, x: float) -> float:
    """P(X > x), chi-square with ``df`` degrees of freedom."""
    if math.isnan(df) or math.isnan(x) or df <= 0:
        return math.nan
    if x <= 0:
        return 1.0
    return _gamma_pair(df / 2, x / 2)[1]


def _gamma_inverse(a: float, target: float, upper: bool) -> float:
    """x with P(a, x) = target (``upper`` False) or Q(a, x) = target (``upper`` True)."""
    if math.isnan(a) or math.isnan(target) or a <= 0 or target < 0 or target > 1:
        return math.nan
    p = 1 - target if upper else target
    if p <= 0:
        return 0.0
    if p >= 1:
        return math.inf
    # Wilson-Hilferty start, 2x ~ chi-square with 2a df
    z = _ndtri(p) if not upper else -_ndtri(target)
    nu = 2 * a
    w = 1 - 2 / (9 * nu) + z * math.sqrt(2 / (9 * nu))
    x = nu * w**3 / 2 if w > 0 else 0.0
    if not x > 0:
        x = math.exp((math.log(p * a) + math.lgamma(a)) / a)  # small-x series start
    lo, hi = 0.0, math.inf
    for _ in range(200):
        lower, upper_q = _gamma_pair(a, x)
        f = (target - upper_q) if upper else (lower - target)  # increasing in x
        if f < 0:
            lo = max(lo, x)
        else:
            hi = min(hi, x)
        dens = math.exp((a - 1) * math.log(x) - x - math.lgamma(a))
        new = x - f / dens if dens > 0 else math.nan
        if not (lo < new < hi):
            new = (lo + hi) / 2 if math.isfinite(hi) else 2 * x
        elif abs(new - x) <= 1e-9 * abs(new):
            x = new  # quadratic convergence: the next step would be below rounding
            break
        if abs(new - x) <= 4 * _EPS * abs(new):
            x = new
            break
        x = new
    return x


def _gammaincinv(a: float, p: float) -> float:
    """x with P(a, x) = p."""
    return _gamma_inverse(a, p, upper=False)


def _gammainccinv(a: float, q: float) -> float:
    """x with Q(a, x) = q."""
    return _gamma_inverse(a, q, upper=True)


ndtr = _vectorise(_ndtr, 1)
ndtri = _vectorise(_ndtri, 1)
stdtr = _vectorise(_stdtr, 2)
stdtrit = _vectorise(_stdtrit, 2)
chdtrc = _vectorise(_chdtrc, 2)
gammaincinv = _vectorise(_gammaincinv, 2)
gammainccinv = _vectorise(_gammainccinv, 2)
