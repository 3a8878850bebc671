"""The test for subgroup differences with single-trial subgroups and Hartung-Knapp fits.

The multi-trial case is checked against metafor in ``test_meta_conformance.py``
(``subgroups.DL|REML``). Here the figures are recomputed independently from their
definitions (Cochrane Handbook 10.11.3.1): the subgroup estimates and standard errors are
re-derived with ``rma`` on each subgroup alone (or, for one trial, from y_i and v_i), then
Q_between, its df and its p come from numpy/scipy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.stats.random_effects import rma
from analysis.stats.subgroups import subgroups

Y = np.array([0.9, 0.7, 1.1, 0.81, 1.22, 0.54])
V = np.array([0.20, 0.15, 0.30, 0.12, 0.25, 0.09])
G = ["cidp", "cidp", "cidp", "ms", "ae", "mg"]


def _independent(hk: bool):
    b, se = [], []
    for name in sorted(set(G)):
        idx = [i for i, g in enumerate(G) if g == name]
        if len(idx) == 1:
            b.append(Y[idx[0]])
            se.append(np.sqrt(V[idx[0]]))
        else:
            fit = rma(Y[idx], V[idx], method="REML", hk=hk)
            b.append(float(np.asarray(fit.b)))
            se.append(float(np.asarray(fit.se)))
    b, se = np.array(b), np.array(se)
    w = 1 / se**2
    mu = (w * b).sum() / w.sum()
    q = float((w * (b - mu) ** 2).sum())
    return b, se, q, len(b) - 1, float(stats.chi2.sf(q, len(b) - 1))


@pytest.mark.parametrize("hk", [False, True])
def test_single_trial_subgroups_enter_the_test(hk):
    res = subgroups(Y, V, G, "disease", "REML", hk=hk, measure="RR")
    b, se, q, df, p = _independent(hk)
    names = sorted(set(G))
    for j, name in enumerate(names):
        assert res.groups[name].b == pytest.approx(b[j], rel=1e-6)
        assert res.groups[name].se == pytest.approx(se[j], rel=1e-6)
    tb = res.test_between
    assert tb.df == df == 3
    assert tb.q == pytest.approx(q, rel=1e-6)
    assert tb.p == pytest.approx(p, rel=1e-6)
    assert tb.i2 == pytest.approx(max(0.0, (q - df) / q) * 100, rel=1e-6)


def test_single_trial_subtotal_is_its_wald_interval_under_hk():
    res = subgroups(Y, V, G, "disease", "REML", hk=True, measure="RR")
    one = res.groups["ms"]
    z = stats.norm.ppf(0.975)
    assert one.k == 1
    assert one.estimate == pytest.approx(np.exp(0.81), rel=1e-9)
    assert one.ci_low == pytest.approx(np.exp(0.81 - z * np.sqrt(0.12)), rel=1e-9)
    assert one.ci_high == pytest.approx(np.exp(0.81 + z * np.sqrt(0.12)), rel=1e-9)
    assert one.tau2 is None and one.i2 is None


def test_one_subgroup_has_no_test_and_says_why():
    res = subgroups(Y[:3], V[:3], G[:3], "disease", "REML", hk=True, measure="RR")
    tb = res.test_between
    assert tb.q is None and tb.df is None and tb.p is None
    assert tb.note == "only one subgroup"


@pytest.mark.parametrize("name", ["bcg", "anand1999", "edge_zero_cells"])
@pytest.mark.parametrize("method", ["DL", "REML"])
def test_within_subgroup_q_matches_metafor(name, method):
    """Each subtotal's heterogeneity line (Q, df, p) equals metafor's per-subgroup fit."""
    from tests.cli.test_meta_conformance import _included, _ref

    ref = _ref(name, "RR")["subgroups"][method]
    y, v, _, _, groups = _included(name, "RR")
    res = subgroups(y, v, groups, "subgroup", method, measure="RR")
    for g, r in ref["groups"].items():
        ours = res.groups[g]
        assert ours.q == pytest.approx(r["q"], rel=1e-6)
        assert ours.q_df == r["k"] - 1
        assert ours.q_p == pytest.approx(r["q_p"], rel=1e-6)
        assert ours.p == pytest.approx(r["p"], rel=1e-6)
