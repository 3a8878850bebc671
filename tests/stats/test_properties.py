"""Properties of the full analysis on random data sets (hypothesis).

- permuting the studies changes nothing (order-free figures);
- swapping the arms inverts RR and OR and negates RD;
- every confidence interval of an effect contains its estimate (the Q-profile interval
  of tau² is only checked for order: it need not contain, e.g., the DL estimate);
- tau² >= 0 and I² in [0, 100] everywhere;
- no NaN or inf reaches a result object (undefined figures are None).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analysis.stats.full_analysis import MetaAnalysis, NoStudies, analyse_arrays

METHODS = ("DL", "REML", "PM", "ML", "HS", "SJ", "EB", "HE")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def trials(draw, min_k: int = 1, max_k: int = 12):
    k = draw(st.integers(min_k, max_k))
    rows = []
    for i in range(k):
        n1 = draw(st.integers(1, 300))
        n2 = draw(st.integers(1, 300))
        a = draw(st.integers(0, n1))
        c = draw(st.integers(0, n2))
        year = draw(st.integers(1980, 2024))
        group = draw(st.sampled_from(["A", "B", "C"]))
        rows.append((f"S{i}", year, a, n1, c, n2, group))
    return rows


def _run(rows, measure, method, hk, by=True) -> MetaAnalysis:
    cols = list(zip(*rows, strict=True))
    return analyse_arrays(
        cols[0],
        cols[1],
        cols[2],
        cols[3],
        cols[4],
        cols[5],
        measure=measure,
        tau2_method=method,
        hk=hk,
        by="group" if by else None,
        groups=cols[6] if by else None,
    )


def _analyse_or_none(rows, measure, method, hk):
    try:
        return _run(rows, measure, method, hk)
    except NoStudies:
        return None


def _walk(obj, path="res"):
    """Yield (path, value) for every leaf of a result object."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, f"{path}[{key}]")
    elif isinstance(obj, tuple | list):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, obj


def _intervals(res: MetaAnalysis):
    """(label, estimate, low, high) of every interval in the result."""
    for s in res.studies:
        yield f"study {s.study_id}", s.estimate, s.ci_low, s.ci_high
    for name in ("mh", "iv", "peto"):
        p = getattr(res.common, name)
        if p is not None:
            yield f"common.{name}", p.estimate, p.ci_low, p.ci_high
    r = res.random
    yield "random", r.estimate, r.ci_low, r.ci_high
    yield "random.pi", r.estimate, r.pi_low, r.pi_high
    tf = res.small_study.trimfill
    yield "trimfill", tf.estimate, tf.ci_low, tf.ci_high
    for x in res.leave_one_out:
        yield f"loo {x.omitted}", x.estimate, x.ci_low, x.ci_high
    for x in res.cumulative:
        yield f"cumulative {x.added}", x.estimate, x.ci_low, x.ci_high
    if res.subgroups:
        for g, x in res.subgroups.groups.items():
            yield f"subgroup {g}", x.estimate, x.ci_low, x.ci_high


@SETTINGS
@given(
    rows=trials(),
    measure=st.sampled_from(["RR", "OR", "RD"]),
    method=st.sampled_from(METHODS),
    hk=st.booleans(),
)
def test_no_nan_bounds_and_intervals(rows, measure, method, hk):
    res = _analyse_or_none(rows, measure, method, hk)
    assume(res is not None)
    for path, value in _walk(res):
        if isinstance(value, float | np.floating):
            assert math.isfinite(value), f"{path} = {value}"
        assert not isinstance(value, np.ndarray), path
    json.dumps(res.to_dict(), allow_nan=False)  # raises on NaN / inf
    for label, est, lo, hi in _intervals(res):
        if est is None or lo is None or hi is None:
            continue
        tol = 1e-9 * max(1.0, abs(est))
        assert lo - tol <= est <= hi + tol, f"{label}: {lo} <= {est} <= {hi}"
    # the Q-profile CI is ordered; it need not contain a non-Q-profile tau² (e.g. DL)
    for ci in (res.random.tau2_ci, res.random.i2_ci):
        if ci and None not in ci:
            assert 0 <= ci[0] <= ci[1]
    tau2s = [res.random.tau2, *(x.tau2 for x in res.leave_one_out)]
    if res.subgroups:
        tau2s += [g.tau2 for g in res.subgroups.groups.values()]
    assert all(t is None or t >= 0 for t in tau2s)
    i2s = [res.heterogeneity.i2, res.random.i2, *(res.random.i2_ci or ())]
    i2s += [x.i2 for x in res.leave_one_out]
    if res.subgroups:
        i2s += [g.i2 for g in res.subgroups.groups.values()]
    assert all(i is None or 0 <= i <= 100 for i in i2s)


def _close(a, b, rel=1e-6, abs_=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=rel, abs=abs_)


def _order_free(res: MetaAnalysis) -> dict:
    r = res.random
    out = {
        "k": res.k,
        "excluded": sorted(res.excluded),
        "mh": res.common.mh.estimate,
        "iv": res.common.iv.estimate,
        "iv_low": res.common.iv.ci_low,
        "q": res.heterogeneity.q,
        "i2": res.heterogeneity.i2,
        "random": r.estimate,
        "random_low": r.ci_low,
        "random_p": r.p,
        "tau2": r.tau2,
        "tau2_hi": r.tau2_ci[1] if r.tau2_ci else None,
        "pi_low": r.pi_low,
        "egger": res.small_study.egger.intercept,
        "egger_p": res.small_study.egger.p,
        "begg": res.small_study.begg.tau,
        "begg_p": res.small_study.begg.p,
    }
    for x in res.leave_one_out:
        out[f"loo {x.omitted}"] = x.estimate
    if res.subgroups:
        for g, x in res.subgroups.groups.items():
            out[f"sub {g}"] = x.estimate
        out["between"] = res.subgroups.test_between.q
    return out


@SETTINGS
@given(
    rows=trials(min_k=2),
    measure=st.sampled_from(["RR", "OR", "RD"]),
    method=st.sampled_from(METHODS),
    hk=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_permuting_studies_changes_nothing(rows, measure, method, hk, seed):
    res = _analyse_or_none(rows, measure, method, hk)
    assume(res is not None)
    perm = np.random.default_rng(seed).permutation(len(rows))
    res2 = _run([rows[i] for i in perm], measure, method, hk)
    a, b = _order_free(res), _order_free(res2)
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], list | int):
            assert a[key] == b[key], key
        else:
            assert _close(a[key], b[key]), f"{key}: {a[key]} vs {b[key]}"


def _swap(rows):
    return [(s, y, c, n2, a, n1, g) for (s, y, a, n1, c, n2, g) in rows]


@SETTINGS
@given(
    rows=trials(),
    measure=st.sampled_from(["RR", "OR", "RD"]),
    method=st.sampled_from(METHODS),
    hk=st.booleans(),
)
def test_swapping_arms_inverts_ratios_and_negates_differences(rows, measure, method, hk):
    res = _analyse_or_none(rows, measure, method, hk)
    assume(res is not None)
    swapped = _run(_swap(rows), measure, method, hk)

    def flip(x):
        if x is None:
            return None
        return -x if measure == "RD" else 1 / x

    pairs = [
        (res.common.mh, swapped.common.mh),
        (res.common.iv, swapped.common.iv),
        (res.random, swapped.random),
    ]
    if measure == "OR":
        pairs.append((res.common.peto, swapped.common.peto))
    for p, q in pairs:
        assert _close(flip(p.estimate), q.estimate)
        assert _close(flip(p.ci_low), q.ci_high)
        assert _close(flip(p.ci_high), q.ci_low)
        assert _close(p.p, q.p)
    assert _close(res.random.tau2, swapped.random.tau2)
    assert _close(res.heterogeneity.q, swapped.heterogeneity.q)
    for s, t in zip(res.studies, swapped.studies, strict=True):
        assert _close(flip(s.estimate), t.estimate, rel=1e-9)


#: nulls that are "not asked for", not "cannot be computed": Peto's method is for odds
#: ratios only and subgroups need ``by``; each is checked against its condition below
_NOT_ASKED = {"common.peto", "subgroups"}


def _unexplained_nulls(obj, path, inherited=None):
    """Paths of nulls in a JSON object whose nearest enclosing object has no note.

    A study's random-effects weight is explained by the random model's note (the weights
    exist exactly when the model does).
    """
    out = []
    if isinstance(obj, dict):
        note = obj.get("note") or inherited
        for key, value in obj.items():
            sub = f"{path}.{key}" if path else key
            if key == "note":
                continue
            if value is None:
                if sub not in _NOT_ASKED and not note:
                    out.append(sub)
            else:
                out += _unexplained_nulls(value, sub, note if isinstance(value, list) else None)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            if value is None and not inherited:
                out.append(f"{path}[{i}]")
            else:
                out += _unexplained_nulls(value, f"{path}[{i}]", inherited)
    return out


@SETTINGS
@given(
    rows=trials(),
    measure=st.sampled_from(["RR", "OR", "RD"]),
    method=st.sampled_from(METHODS),
    hk=st.booleans(),
    by=st.booleans(),
)
def test_no_null_without_a_reason(rows, measure, method, hk, by):
    try:
        out = _run(rows, measure, method, hk, by=by).to_dict()
    except NoStudies:
        assume(False)
    random_note = out["random"]["note"]
    for s in out["studies"]:
        if s["weight_random"] is None:
            assert random_note, "studies[].weight_random is null without a reason"
            s["weight_random"] = "explained"
    assert (out["common"]["peto"] is None) == (measure != "OR")
    assert (out["subgroups"] is None) == (not by)
    assert _unexplained_nulls(out, "") == []


def test_forced_non_convergence_is_explained_everywhere():
    # the nine-trial RR set of tests/stats/test_tau2.py (REML tau² 0.0025: one step is not enough)
    measure = "RR"
    rows = [
        (f"S{i}", 2000 + i, a, n, c, n, "AB"[i % 2])
        for i, (a, n, c) in enumerate(
            [(95, 465, 163), (12, 50, 16), (18, 45, 20), (12, 54, 16), (11, 41, 15),
             (16, 55, 22), (9, 31, 15), (13, 55, 23), (11, 44, 12)]
        )
    ]  # fmt: skip
    cols = list(zip(*rows, strict=True))
    res = analyse_arrays(
        *cols[:6], measure=measure, by="group", groups=cols[6], maxiter=1, fallback=False
    )
    out = res.to_dict()
    assert out["random"]["converged"] is False and out["random"]["estimate"] is None
    assert "did not converge within 1 iteration" in out["random"]["note"]
    assert _unexplained_nulls(out, "") == []
    from analysis.cli.meta import summary

    text = summary(res, "x.csv")
    assert "did not converge within 1 iteration" in text
