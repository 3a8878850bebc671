"""Unit tests of the common-effect models (analysis.stats.common_effect)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analysis.stats.common_effect import iv, mh, peto
from analysis.stats.effects import escalc

# two small tables (events/total, treatment then control)
A, N1, C, N2 = np.array([3, 8]), np.array([20, 40]), np.array([6, 10]), np.array([21, 38])


def test_mh_odds_ratio_by_hand():
    b, d = N1 - A, N2 - C
    n = N1 + N2
    or_mh = (A * d / n).sum() / (b * C / n).sum()
    res = mh(A, N1, C, N2, "OR")
    assert res.estimate == pytest.approx(or_mh, rel=1e-13)
    assert res.k == 2


def test_mh_risk_ratio_and_difference_by_hand():
    n = N1 + N2
    rr = (A * N2 / n).sum() / (C * N1 / n).sum()
    assert mh(A, N1, C, N2, "RR").estimate == pytest.approx(rr, rel=1e-13)
    w = N1 * N2 / n
    rd = (w * (A / N1 - C / N2)).sum() / w.sum()
    assert mh(A, N1, C, N2, "RD").estimate == pytest.approx(rd, rel=1e-13)


def test_mh_single_table_variance_is_woolf_free_rbg():
    """For one table the RBG variance of log OR equals 1/a + 1/b + 1/c + 1/d."""
    res = mh([6], [8], [2], [9], "OR")
    assert res.se**2 == pytest.approx(1 / 6 + 1 / 2 + 1 / 2 + 1 / 7, rel=1e-12)
    assert res.estimate == pytest.approx(10.5)
    assert res.q is None and res.i2 is None


def test_mh_uses_no_zero_cell_correction():
    a, n1, c, n2 = [0, 5], [10, 20], [3, 6], [10, 20]
    res = mh(a, n1, c, n2, "OR")
    b, d = np.subtract(n1, a), np.subtract(n2, c)
    n = np.add(n1, n2)
    expected = (np.multiply(a, d) / n).sum() / (b * np.array(c) / n).sum()
    assert res.estimate == pytest.approx(expected, rel=1e-13)


def test_mh_undefined_when_no_events_in_one_arm_is_none():
    res = mh([0, 0], [10, 12], [2, 3], [10, 12], "OR")
    assert res.b is None and res.estimate is None and res.p is None


def test_iv_by_hand():
    yi = np.array([0.2, -0.1, 0.5])
    vi = np.array([0.05, 0.1, 0.2])
    w = 1 / vi
    res = iv(yi, vi)
    assert res.b == pytest.approx((w * yi).sum() / w.sum(), rel=1e-14)
    assert res.se == pytest.approx(1 / math.sqrt(w.sum()), rel=1e-14)
    np.testing.assert_allclose(res.weights, 100 * w / w.sum(), rtol=1e-14)


def test_peto_single_table_by_hand():
    a, n1, c, n2 = 6, 8, 2, 9
    n = n1 + n2
    e = (a + c) * n1 / n
    v = (a + c) * (n - a - c) * n1 * n2 / (n**2 * (n - 1))
    res = peto([a], [n1], [c], [n2])
    assert res.b == pytest.approx((a - e) / v, rel=1e-13)
    assert res.se == pytest.approx(v**-0.5, rel=1e-13)


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_mh_batch_with_mask_equals_single_fits(measure):
    rng = np.random.default_rng(7)
    k = 9
    n1 = rng.integers(10, 60, k)
    n2 = rng.integers(10, 60, k)
    a = rng.binomial(n1, 0.3)
    c = rng.binomial(n2, 0.4)
    a[2], c[2] = 0, 0  # a double-zero table
    mask = ~np.eye(k, dtype=bool)
    tile = lambda x: np.tile(x, (k, 1))  # noqa: E731
    batch = mh(tile(a), tile(n1), tile(c), tile(n2), measure, mask=mask)
    pb = peto(tile(a), tile(n1), tile(c), tile(n2), mask=mask)
    for i in range(k):
        keep = np.arange(k) != i
        single = mh(a[keep], n1[keep], c[keep], n2[keep], measure)
        ps = peto(a[keep], n1[keep], c[keep], n2[keep])
        for field in ("b", "se", "q", "q_p", "i2", "h2", "k"):
            assert getattr(batch, field)[i] == pytest.approx(getattr(single, field), rel=1e-10)
            assert getattr(pb, field)[i] == pytest.approx(getattr(ps, field), rel=1e-10)


def test_swapping_arms_inverts_mh_and_peto():
    for measure in ("RR", "OR"):
        x, y = mh(A, N1, C, N2, measure), mh(C, N2, A, N1, measure)
        assert x.b == pytest.approx(-y.b, rel=1e-13)
        assert x.se == pytest.approx(y.se, rel=1e-13)
    x, y = mh(A, N1, C, N2, "RD"), mh(C, N2, A, N1, "RD")
    assert x.b == pytest.approx(-y.b, rel=1e-13)
    assert peto(A, N1, C, N2).b == pytest.approx(-peto(C, N2, A, N1).b, rel=1e-13)


def test_iv_from_escalc_of_dubey_matches_woolf():
    es = escalc([6], [8], [2], [9], "OR")
    res = iv(es.yi, es.vi, measure="OR")
    assert round(res.estimate, 1) == 10.5
    assert (round(res.ci_low, 1), round(res.ci_high, 1)) == (1.1, 98.9)


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="events"):
        mh([5], [4], [1], [5], "RR")
    with pytest.raises(ValueError, match="measure"):
        mh([1], [4], [1], [5], "HR")


# --- properties -------------------------------------------------------------------------


@st.composite
def tables(draw):
    k = draw(st.integers(1, 8))
    n1 = np.array(draw(st.lists(st.integers(1, 80), min_size=k, max_size=k)))
    n2 = np.array(draw(st.lists(st.integers(1, 80), min_size=k, max_size=k)))
    a = np.array([draw(st.integers(0, int(n))) for n in n1])
    c = np.array([draw(st.integers(0, int(n))) for n in n2])
    return a, n1, c, n2


COMMON_FIELDS = ("b", "se", "ci_lb", "ci_ub", "estimate", "ci_low", "ci_high", "stat", "p",
                 "q", "q_df", "q_p", "i2", "h2")  # fmt: skip


def _all_finite_or_none(res):
    for field in COMMON_FIELDS:
        value = getattr(res, field)
        assert value is None or (type(value) is float and math.isfinite(value)), field
    # A table with all events in both arms carries no information on the variance (MH RR:
    # the Greenland-Robins numerator is 0), so an estimate may stand without a CI.
    if res.b is not None and res.ci_lb is not None:
        assert res.ci_lb <= res.b <= res.ci_ub
    if res.i2 is not None:
        assert 0 <= res.i2 <= 100


@settings(max_examples=80, deadline=None)
@given(tables(), st.sampled_from(["RR", "OR", "RD"]))
@example((np.array([11]), np.array([11]), np.array([1]), np.array([1])), "RR")
def test_properties_of_common_models(tab, measure):
    a, n1, c, n2 = tab
    perm = np.random.default_rng(len(a)).permutation(len(a))
    fits = [
        (mh(a, n1, c, n2, measure), mh(a[perm], n1[perm], c[perm], n2[perm], measure)),
        (peto(a, n1, c, n2), peto(a[perm], n1[perm], c[perm], n2[perm])),
    ]
    es = escalc(a, n1, c, n2, measure)
    if es.included.any():
        fits.append(
            (
                iv(es.yi, es.vi, mask=es.included),
                iv(es.yi[perm], es.vi[perm], mask=es.included[perm]),
            )
        )
    for res, permuted in fits:
        _all_finite_or_none(res)
        _all_finite_or_none(permuted)
        for field in ("b", "se", "q"):
            x, y = getattr(res, field), getattr(permuted, field)
            assert (x is None) == (y is None), field
            if x is not None:
                assert y == pytest.approx(x, rel=1e-9, abs=1e-12), field
    swapped = mh(c, n2, a, n1, measure)
    if swapped.b is not None:
        assert swapped.b == pytest.approx(-fits[0][0].b, rel=1e-9, abs=1e-12)
