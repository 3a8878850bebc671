"""Conformance of the engine core with R metafor 3.8-1 on every reference data set.

For every ``tests/fixtures/metafor/NAME.json`` and every measure (RR, OR, RD) this runs the
study effects, the Mantel-Haenszel, inverse-variance and Peto common-effect models and
the random-effects model for each of the eight tau² estimators with z and Hartung-Knapp
inference, and compares every figure of the JSON blocks this part of the engine covers.

Tolerance: relative 1e-6 (``RTOL``). Where the reference value is exactly 0 (tau² = 0,
a pooled log effect of 0 in the homogeneous set, a lower Q-profile limit of 0) relative
error is meaningless, so the value must be within ``ATOL_AT_ZERO`` = 1e-10 of 0.
One more documented exception: an iterative estimator that converges to the boundary
(tau² = 0) stops once tau² changes by less than its threshold of 1e-12, so metafor
reports a tau² of order 1e-13 whose digits are rounding noise (the ML fits of edge_k2
RD and edge_zero_cells RR/OR). Where the reference tau² lies in (0, ``BOUNDARY``) with
``BOUNDARY`` = 1e-10, tau² is compared with absolute tolerance 1e-11, I² (percent) with
1e-7 and H² with 1e-9; every other figure of such a fit keeps the 1e-6 relative rule.
``null`` in the JSON must be None here. Every key of a compared block must be known to
the test (an unknown key fails), so no figure is silently left out. Entries holding
``{"error": ...}`` are the only ones skipped, as the reference README says (there are
none in the blocks covered here).

Each test is one (data set, measure, block); a failure lists every mismatching figure by
name, e.g. ``bcg RR random.REML.hk: pi_metafor[0] ...``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from analysis.stats.common_effect import iv, mh, peto
from analysis.stats.effects import escalc
from analysis.stats.heterogeneity import heterogeneity
from analysis.stats.random_effects import METHODS, rma
from tests.reference import close as _close
from tests.reference import excluded, figures, is_error, load_csv, load_json, names

BOUNDARY = 1e-10
BOUNDARY_ATOL = {"tau2": 1e-11, "i2": 1e-7, "h2": 1e-9}
MEASURES = ("RR", "OR", "RD")


def _compare(label: str, figures: dict, ref: dict, ignore=(), atol=None) -> None:
    """Compare every key of ``ref`` with ``figures``; fail listing all mismatches.

    ``atol`` maps a key to an absolute tolerance replacing the relative rule.
    """
    atol = atol or {}
    problems = []
    for key, want in ref.items():
        if key in ignore:
            continue
        if is_error(want):
            continue
        if key not in figures:
            problems.append(f"{key}: figure in the reference but not compared by this test")
            continue
        got = figures[key]
        if isinstance(want, list):
            if got is None or len(got) != len(want):
                problems.append(f"{key}: got {got!r}, want {want!r}")
                continue
            for i, (g, w) in enumerate(zip(got, want, strict=True)):
                if not _close(g, w):
                    problems.append(f"{key}[{i}]: got {g!r}, want {w!r}")
        elif not _close(got, want, atol.get(key)):
            problems.append(f"{key}: got {got!r}, want {want!r}")
    assert not problems, f"{label}:\n  " + "\n  ".join(problems)


@cache
def _data(name: str, measure: str):
    d = load_csv(name)
    es = escalc(
        d["ivig_improved"], d["ivig_total"], d["control_improved"], d["control_total"], measure
    )
    return d, es


def _cases(block: str):
    out = []
    for name in names():
        ref = load_json(name)
        for measure in MEASURES:
            mblock = ref["measures"].get(measure)
            if mblock is None:
                continue
            if block == "random":
                for method in METHODS:
                    for mode in ("z", "hk"):
                        if method in mblock["random"] and mode in mblock["random"][method]:
                            out.append(
                                pytest.param(
                                    name,
                                    measure,
                                    method,
                                    mode,
                                    id=f"{name}-{measure}-{method}-{mode}",
                                )
                            )
            elif block in mblock:
                out.append(pytest.param(name, measure, id=f"{name}-{measure}"))
    return out


def _ref(name, measure):
    return load_json(name)["measures"][measure]


@pytest.mark.parametrize(("name", "measure"), _cases("studies"))
def test_studies(name, measure):
    d, es = _data(name, measure)
    ref = _ref(name, measure)
    ids = d["study_id"]
    got_excluded = [s for s, inc in zip(ids, es.included, strict=True) if not inc]
    assert got_excluded == excluded(ref), f"{name} {measure}: excluded_double_zero"
    assert int(es.included.sum()) == ref["k"], f"{name} {measure}: k"
    assert len(ids) == ref["k_input"], f"{name} {measure}: k_input"
    index = {s: i for i, s in enumerate(ids)}
    assert [s["study_id"] for s in ref["studies"]] == [s for s in ids if s not in got_excluded]
    for study in ref["studies"]:
        i = index[study["study_id"]]
        figures = {
            "study_id": None,
            "yi": es.yi[i],
            "vi": es.vi[i],
            "estimate": es.estimate[i],
            "ci_low": es.ci_low[i],
            "ci_high": es.ci_high[i],
        }
        _compare(
            f"{name} {measure} studies[{study['study_id']}]", figures, study, ignore=("study_id",)
        )


def _common_figures(res, with_weights: bool) -> dict:
    f = {
        **figures(res),
        "tau2": 0.0,  # a common-effect model has no between-study variance by definition
        "se_tau2": None,
        "i2": res.i2,
        "h2": res.h2,
        "q": res.q,
        "q_p": res.q_p,
        "i2_q": res.i2,
    }
    if with_weights:
        f["weights"] = list(res.weights)
    return f


@pytest.mark.parametrize(("name", "measure"), _cases("common_iv"))
def test_common_iv(name, measure):
    _, es = _data(name, measure)
    res = iv(es.yi, es.vi, mask=es.included, measure=measure)
    ref = _ref(name, measure)["common_iv"]
    figs = _common_figures(res, True)
    figs["weights"] = list(res.weights[es.included])
    _compare(f"{name} {measure} common_iv", figs, ref)
    het = heterogeneity(es.yi, es.vi, mask=es.included)
    _compare(
        f"{name} {measure} heterogeneity (common_iv)",
        {"q": het.q, "q_p": het.p, "i2_q": het.i2, "h2": het.h2, "k": het.k},
        {key: ref[key] for key in ("q", "q_p", "i2_q", "h2", "k")},
    )
    assert het.df == ref["k"] - 1


@pytest.mark.parametrize(("name", "measure"), _cases("common_mh"))
def test_common_mh(name, measure):
    d, _ = _data(name, measure)
    res = mh(
        d["ivig_improved"], d["ivig_total"], d["control_improved"], d["control_total"], measure
    )
    _compare(
        f"{name} {measure} common_mh", _common_figures(res, False), _ref(name, measure)["common_mh"]
    )


@pytest.mark.parametrize(("name", "measure"), _cases("common_peto"))
def test_common_peto(name, measure):
    d, _ = _data(name, measure)
    res = peto(d["ivig_improved"], d["ivig_total"], d["control_improved"], d["control_total"])
    _compare(
        f"{name} {measure} common_peto",
        _common_figures(res, False),
        _ref(name, measure)["common_peto"],
    )


def test_every_reference_set_is_covered():
    """Every JSON has all three measures and every block this module covers."""
    assert names(), "no reference data sets found in tests/fixtures/metafor"
    for name in names():
        ref = load_json(name)
        for measure in MEASURES:
            block = ref["measures"][measure]
            for key in ("studies", "common_iv", "common_mh", "random"):
                assert key in block, f"{name} {measure}: {key} missing"
            assert set(block["random"]) == set(METHODS), f"{name} {measure}: methods"
            if measure == "OR":
                assert "common_peto" in block, f"{name} OR: common_peto missing"


@cache
def _fit(name, measure, method, hk):
    _, es = _data(name, measure)
    return rma(es.yi, es.vi, method=method, hk=hk, mask=es.included, measure=measure), es


@pytest.mark.parametrize(("name", "measure", "method", "mode"), _cases("random"))
def test_random(name, measure, method, mode):
    res, es = _fit(name, measure, method, mode == "hk")
    ref = _ref(name, measure)["random"][method][mode]
    figs = {
        **figures(res),
        "tau2": res.tau2,
        "se_tau2": res.se_tau2,
        "i2": res.i2,
        "h2": res.h2,
        "q": res.q,
        "q_p": res.q_p,
        "df_t": res.df,
        "pi_metafor": [res.pi_metafor_low, res.pi_metafor_high],
        "pi_hts": [res.pi_low, res.pi_high],
        "tau2_ci": [res.tau2_ci_low, res.tau2_ci_high],
        "i2_ci": [res.i2_ci_low, res.i2_ci_high],
        "h2_ci": [res.h2_ci_low, res.h2_ci_high],
        "weights": list(res.weights[es.included]),
    }
    if res.k < 3:
        assert res.pi_low is None and res.pi_high is None
        assert "pi_hts" not in ref, f"{name} {measure} {method}: pi_hts for k < 3"
    boundary = ref["tau2"] is not None and 0 < ref["tau2"] < BOUNDARY
    _compare(
        f"{name} {measure} random.{method}.{mode}",
        figs,
        ref,
        atol=BOUNDARY_ATOL if boundary else None,
    )


def test_random_matches_for_every_method_on_bcg_sanity():
    """The methods really differ (guards against one estimator standing in for all)."""
    values = {m: _fit("bcg", "OR", m, False)[0].tau2 for m in METHODS}
    assert len({round(v, 8) for v in values.values()}) == len(METHODS)
    assert np.isfinite(list(values.values())).all()
