"""Small-study effects, leave-one-out, cumulative and subgroups: hand-checkable cases.

The figure-by-figure comparison with metafor is in ``test_meta_conformance.py``; these
tests pin the definitions on small inputs where the answer follows from the formula.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from analysis.stats.cumulative import cumulative
from analysis.stats.influence import baujat, leave_one_out
from analysis.stats.random_effects import rma
from analysis.stats.small_study import (
    begg,
    egger,
    kendall_exact_p,
    metareg_slope,
    trimfill,
)
from analysis.stats.subgroups import subgroups

Y = np.array([-0.9, -1.6, -1.3, -1.4, -0.2, -0.5, -0.02, 0.01, -0.7, -0.3])
V = np.array([0.33, 0.19, 0.42, 0.02, 0.05, 0.01, 0.27, 0.06, 0.22, 0.05])


def _brute_kendall_p(q: int, n: int) -> float:
    """Two-sided exact p by enumerating all permutations (small n)."""
    counts = []
    for perm in itertools.permutations(range(n)):
        conc = sum(1 for i in range(n) for j in range(i + 1, n) if perm[i] < perm[j])
        counts.append(conc)
    counts = np.array(counts)
    m = n * (n - 1) / 2
    tail = (counts <= q).mean() if q <= m / 2 else (counts >= q).mean()
    return min(1.0, 2 * tail)


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_kendall_exact_p_matches_enumeration(n):
    for q in range(n * (n - 1) // 2 + 1):
        assert kendall_exact_p(q, n) == pytest.approx(_brute_kendall_p(q, n), rel=1e-12)


def test_egger_is_the_classic_regression():
    # classic Egger: y/se = a + b (1/se) by OLS; a is the intercept we report
    se = np.sqrt(V)
    X = np.column_stack([np.ones(Y.size), 1 / se])
    coef, *_ = np.linalg.lstsq(X, Y / se, rcond=None)
    resid = Y / se - X @ coef
    s2 = resid @ resid / (Y.size - 2)
    cov = s2 * np.linalg.inv(X.T @ X)
    res = egger(Y, V)
    assert res.intercept == pytest.approx(coef[0], rel=1e-10)
    assert res.limit_estimate == pytest.approx(coef[1], rel=1e-10)
    assert res.se == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-10)
    assert res.df == Y.size - 2
    assert 0 < res.p < 1


def test_egger_undefined_for_identical_effects_and_small_k():
    res = egger(np.full(4, 0.3), np.array([0.1, 0.2, 0.3, 0.4]))
    assert res.t is None and res.p is None and res.intercept == 0
    assert egger(Y[:2], V[:2]).p is None


def test_begg_perfect_order_and_ties():
    # standardised effects increasing with the variance: tau = 1
    v = np.array([0.01, 0.02, 0.04, 0.08, 0.16])
    y = np.array([0.0, 0.1, 0.3, 0.6, 1.2])
    res = begg(y, v)
    assert res.tau == pytest.approx(1.0)
    assert res.p == pytest.approx(2 / math.factorial(5))
    same = begg(np.full(5, 0.2), v)  # every standardised effect 0: ties only
    assert same.tau is None and same.p is None


def test_begg_large_k_uses_normal_approximation():
    rng = np.random.default_rng(3)
    v = rng.uniform(0.01, 0.5, 400)
    y = rng.normal(0, np.sqrt(v))
    res = begg(y, v)
    assert -1 <= res.tau <= 1 and 0 <= res.p <= 1


def test_metareg_slope_without_heterogeneity_is_wls():
    x = np.sqrt(V)
    w = 1 / V
    X = np.column_stack([np.ones(Y.size), x])
    beta = np.linalg.solve((X.T * w) @ X, (X.T * w) @ Y)
    assert metareg_slope(Y, V, x, "EE") == pytest.approx(beta[1], rel=1e-10)
    for method in ("DL", "REML", "PM", "ML", "HS", "SJ", "EB", "HE"):
        assert math.isfinite(metareg_slope(Y, V, x, method))


def test_trimfill_l0_by_hand_with_tied_ranks():
    # a mirrored funnel: |y| ties are ranked in sorted order (metafor: ties "first"), so
    # the positive member of each pair ranks higher: Sr = 2 + 4 + 6 = 12 and
    # k0 = round((4 * 12 - 6 * 7) / 11) = round(0.545) = 1, filled on the left
    y = np.array([-0.5, 0.5, -0.2, 0.2, -0.1, 0.1])
    v = np.array([0.2, 0.2, 0.05, 0.05, 0.01, 0.01])
    res = trimfill(y, v, "EE")
    assert res.side == "left" and res.k0 == 1 and res.k == 7
    # the 5 smallest effects give beta; the largest (0.5) is mirrored about it
    order = np.argsort(y, kind="stable")
    beta = float(np.average(y[order][:5], weights=1 / v[order][:5]))
    assert res.filled_yi == pytest.approx((2 * beta - 0.5,))
    assert res.filled_vi == (0.2,)
    filled_y = np.append(y, 2 * beta - 0.5)
    filled_v = np.append(v, 0.2)
    assert res.b == pytest.approx(np.average(filled_y, weights=1 / filled_v), rel=1e-12)


def test_trimfill_fills_the_missing_side_by_mirroring():
    # small studies only on the right: missing studies on the left
    y = np.array([0.0, 0.05, -0.05, 0.4, 0.6, 0.8])
    v = np.array([0.005, 0.006, 0.007, 0.1, 0.15, 0.2])
    res = trimfill(y, v, "EE")
    assert res.side == "left" and res.k0 >= 1
    assert res.k == 6 + res.k0 == 6 + len(res.filled_yi)
    assert all(f < 0 for f in res.filled_yi)
    assert res.b < float(np.average(y, weights=1 / v))


def test_trimfill_undefined_below_three_studies():
    res = trimfill(Y[:2], V[:2], "REML")
    assert res.k0 is None and res.estimate is None


def test_leave_one_out_equals_separate_fits():
    labels = [f"S{i}" for i in range(Y.size)]
    rows = leave_one_out(Y, V, labels, "REML", hk=True)
    for i, row in enumerate(rows):
        keep = np.arange(Y.size) != i
        fit = rma(Y[keep], V[keep], "REML", hk=True, qprofile=False)
        assert row.omitted == labels[i]
        assert row.b == pytest.approx(fit.b, rel=1e-10)
        assert row.ci_low == pytest.approx(fit.ci_low, rel=1e-10)
        assert row.tau2 == pytest.approx(fit.tau2, rel=1e-8, abs=1e-12)


def test_cumulative_by_year_with_stable_ties():
    year = np.array([2005, 2001, 2001, 2010, 1999, 2003, 2003, 2020, 2015, 2012])
    labels = [f"S{i}" for i in range(Y.size)]
    rows = cumulative(Y, V, labels, year, "DL")
    assert [r.added for r in rows] == ["S4", "S1", "S2", "S5", "S6", "S0", "S3", "S9", "S8", "S7"]
    assert rows[0].b == pytest.approx(Y[4]) and rows[0].tau2 is None
    order = [4, 1, 2, 5, 6, 0, 3, 9, 8, 7]
    for j in range(1, Y.size):
        fit = rma(Y[order[: j + 1]], V[order[: j + 1]], "DL", qprofile=False)
        assert rows[j].b == pytest.approx(fit.b, rel=1e-12)


def test_subgroups_separate_fits_and_between_test():
    groups = ["a", "b", "a", "b", "a", "c", "a", "b", "b", "c"]
    res = subgroups(Y, V, groups, "arm", "REML")
    assert list(res.groups) == ["a", "b", "c"]
    bs, ses = [], []
    for g in ("a", "b", "c"):
        keep = np.array([x == g for x in groups])
        fit = rma(Y[keep], V[keep], "REML", qprofile=False)
        assert res.groups[g].k == keep.sum()
        assert res.groups[g].b == pytest.approx(fit.b, rel=1e-10)
        assert res.groups[g].tau2 == pytest.approx(fit.tau2, rel=1e-8, abs=1e-12)
        bs.append(fit.b)
        ses.append(fit.se)
    w = 1 / np.array(ses) ** 2
    mu = np.sum(w * bs) / w.sum()
    assert res.test_between.q == pytest.approx(np.sum(w * (np.array(bs) - mu) ** 2), rel=1e-10)
    assert res.test_between.df == 2


def test_single_subgroup_has_no_between_test():
    res = subgroups(Y, V, ["x"] * Y.size, "arm", "DL")
    assert res.test_between.q is None and res.test_between.p is None


def test_baujat_coordinates():
    labels = [f"S{i}" for i in range(Y.size)]
    fit = rma(Y, V, "DL", qprofile=False)
    loo = leave_one_out(Y, V, labels, "DL")
    pts = baujat(Y, V, labels, fit.b, fit.tau2, loo)
    i = 3
    assert pts[i].x == pytest.approx((Y[i] - fit.b) ** 2 / (V[i] + fit.tau2))
    assert pts[i].y == pytest.approx((loo[i].b - fit.b) ** 2 / loo[i].se ** 2)


def test_cumulative_row_blocks_match_separate_fits():
    # k = 300 splits the cumulative batch into 4 row blocks; check both sides of each edge
    rng = np.random.default_rng(7)
    v = rng.uniform(0.01, 0.3, 300)
    y = rng.normal(-0.3, np.sqrt(v + 0.05))
    year = rng.integers(1990, 2020, 300)
    labels = [f"S{i}" for i in range(300)]
    rows = cumulative(y, v, labels, year, "REML", hk=True)
    order = np.argsort(year, kind="stable")
    for j in (1, 74, 75, 149, 150, 224, 225, 299):
        fit = rma(y[order[: j + 1]], v[order[: j + 1]], "REML", hk=True, qprofile=False)
        assert rows[j].added == labels[order[j]]
        assert rows[j].b == pytest.approx(fit.b, rel=1e-9)
        assert rows[j].ci_high == pytest.approx(fit.ci_high, rel=1e-9)
        assert rows[j].tau2 == pytest.approx(fit.tau2, rel=1e-6, abs=1e-12)


def test_trimfill_blocks_match_one_batch(monkeypatch):
    # many studies on one side: k0 large enough to need a second block of truncations
    import analysis.stats.small_study as ss

    rng = np.random.default_rng(11)
    v = rng.uniform(0.005, 0.5, 150)
    y = 0.8 * np.sqrt(v) + rng.normal(0, 0.05, 150)
    a = trimfill(y, v, "DL")
    monkeypatch.setattr(ss, "TRIMFILL_BLOCK", 4)
    b = trimfill(y, v, "DL")
    assert a.k0 == b.k0 and a.k0 > 4
    assert a.b == pytest.approx(b.b, rel=1e-12)


# --------------------------------------------------------------------------- valid tables
# that used to raise (issue 11): None and a reason instead of an exception


def _table(ai, n1, ci, n2, measure):
    from analysis.stats.full_analysis import analyse_arrays

    ids = [f"S{i}" for i in range(len(ai))]
    return analyse_arrays(ids, list(range(2000, 2000 + len(ai))), ai, n1, ci, n2, measure=measure)


@pytest.mark.parametrize(
    ("ai", "n1", "ci", "n2", "measure"),
    [
        ([0, 0, 0, 0], [10] * 4, [0, 0, 0, 0], [10] * 4, "RD"),  # all-zero data
        ([10, 10, 10, 10], [10] * 4, [3, 7, 3, 7], [10] * 4, "OR"),  # one arm all events
        ([10, 10, 10, 10], [10] * 4, [3, 7, 3, 7], [10] * 4, "RD"),
        ([1, 0, 1, 0], [1] * 4, [0, 1, 0, 0], [1] * 4, "RR"),  # arms of one patient
    ],
)
def test_equal_standard_errors_give_reasons_not_singular_matrices(ai, n1, ci, n2, measure):
    res = _table(ai, n1, ci, n2, measure)
    tf, eg = res.small_study.trimfill, res.small_study.egger
    assert tf.k0 is None and tf.estimate is None and "same standard error" in tf.note
    assert eg.p is None and "same standard error" in eg.note
    json.dumps(res.to_dict(), allow_nan=False)


def test_metareg_slope_of_a_constant_moderator_is_nan_not_an_error():
    assert math.isnan(metareg_slope([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], [1.0, 1.0, 1.0], "REML"))


@pytest.mark.parametrize("k", [1, 2])
def test_egger_and_begg_below_three_studies_say_why(k):
    y, v = [0.1, 0.3][:k], [0.04, 0.09][:k]
    assert egger(y, v).p is None and "three studies" in egger(y, v).note
    assert begg(y, v).p is None and "three studies" in begg(y, v).note
    assert "three studies" in trimfill(y, v).note


def test_all_events_in_both_arms_is_not_called_no_events():
    from analysis.stats.full_analysis import NoStudies

    with pytest.raises(NoStudies, match="events in every patient of both arms") as err:
        _table([10, 5], [10, 5], [10, 5], [10, 5], "RR")
    assert "no events" not in str(err.value)
    with pytest.raises(NoStudies, match=r"^no studies to analyse: every study has no events"):
        _table([0, 0], [10, 5], [0, 0], [10, 5], "OR")
