"""Conformance of the upper half of the engine and of ``meta --json`` with R metafor 3.8-1.

Two layers, both on every data set of ``tests/fixtures/metafor`` and every measure:

1. The modules: Egger (``egger``), Begg (``begg``), trim-and-fill (``trimfill.EE|DL|REML``),
   leave-one-out (``leave_one_out.EE|DL|REML``), cumulative (``cumulative_DL``) and
   subgroups (``subgroups.DL|REML``), every figure of each block.
2. End to end: the JSON printed by ``python -m analysis meta FILE --json --tau2 M [--hk]``
   (``--by subgroup`` where the set has one) for every tau² estimator with and without
   Hartung-Knapp, each figure against its twin in the reference (the mapping of
   ``meta-cli.md``). The full matrix runs the command's entry point in process
   (:func:`analysis.cli.main`, the code ``python -m analysis`` runs); one real
   subprocess per data set checks the process itself.

Tolerance: relative 1e-6 (``RTOL``); a reference value of exactly 0 must be within 1e-10
of 0; where the reference tau² of a fit lies in (0, 1e-10) (an iterative estimator
stopped at the boundary, digits are rounding noise) that fit's tau² is compared with
absolute tolerance 1e-11 and its I² with 1e-7 (as ``test_conformance_core``).
Figures that depend on the inference (CIs, p) are compared with the reference's z
blocks only; under ``--hk`` the random-effects block is compared with ``random.M.hk``
and the estimates, tau² and I² of the other analyses (which do not depend on the
inference) with their z twins. The one ``{"error": ...}`` entry (a trim-and-fill refit
metafor could not converge) is not compared figure by figure: ours must report that
trim-and-fill as undefined (None) too. Nothing is skipped.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from functools import cache

import numpy as np
import pytest

from analysis.cli import main
from analysis.stats.cumulative import cumulative
from analysis.stats.effects import escalc
from analysis.stats.influence import leave_one_out
from analysis.stats.small_study import begg, egger, trimfill
from analysis.stats.subgroups import subgroups
from tests.reference import (
    REFERENCE_DIR,
    excluded,
    figures,
    is_error,
    load_csv,
    load_json,
    names,
)
from tests.reference import close as _close

BOUNDARY = 1e-10
BOUNDARY_ATOL = {"tau2": 1e-11, "i2": 1e-7}
MEASURES = ("RR", "OR", "RD")
TAU2_METHODS = ("DL", "REML", "PM", "ML", "HS", "SJ", "EB", "HE")
NAMES = names()


#: trim-and-fill's figures: the pooled model without ``stat``, plus k0, side and tau2
TRIMFILL = (
    "k0",
    "side",
    "b",
    "se",
    "ci_lb",
    "ci_ub",
    "estimate",
    "ci_low",
    "ci_high",
    "p",
    "k",
    "tau2",
)


def test_reference_sets_present():
    assert len(NAMES) >= 9, f"reference sets missing in {REFERENCE_DIR}"


class Mismatches:
    """Collects every mismatching figure so a failure lists them all."""

    def __init__(self, label: str):
        self.label = label
        self.bad: list[str] = []
        self.n = 0

    def check(self, where: str, ours, ref, tau2_ref=None, key: str | None = None):
        self.n += 1
        atol = None
        if tau2_ref is not None and 0 < tau2_ref < BOUNDARY and key in BOUNDARY_ATOL:
            atol = BOUNDARY_ATOL[key]
        if not _close(ours, ref, atol):
            self.bad.append(f"{where}: ours {ours!r} != metafor {ref!r}")

    def fields(self, where: str, ours, ref: dict, keys, tau2_ref=None):
        for key in keys:
            value = ours[key] if isinstance(ours, dict) else getattr(ours, key)
            self.check(f"{where}.{key}", value, ref[key], tau2_ref, key)

    def done(self):
        assert self.n > 0, f"{self.label}: nothing compared"
        assert not self.bad, f"{self.label}: " + "; ".join(self.bad)


@cache
def _included(name: str, measure: str):
    d = load_csv(name)
    es = escalc(
        d["ivig_improved"], d["ivig_total"], d["control_improved"], d["control_total"], measure
    )
    inc = np.asarray(es.included)
    ids = [s for s, keep in zip(d["study_id"], inc, strict=True) if keep]
    groups = (
        [g for g, keep in zip(d["subgroup"], inc, strict=True) if keep] if "subgroup" in d else None
    )
    return es.yi[inc], es.vi[inc], ids, d["year"][inc], groups


def _ref(name: str, measure: str) -> dict:
    return load_json(name)["measures"][measure]


def _cases(block: str, methods=None):
    out = []
    for name in NAMES:
        for measure in MEASURES:
            ref = _ref(name, measure).get(block)
            if not ref:
                continue
            if methods is None:
                out.append((name, measure))
            else:
                out += [(name, measure, m) for m in methods if m in ref]
    return out


# ----------------------------------------------------------------------------- modules


@pytest.mark.parametrize(("name", "measure"), _cases("egger"))
def test_egger(name, measure):
    y, v, *_ = _included(name, measure)
    mm = Mismatches(f"{name} {measure} egger")
    keys = ("intercept", "se", "t", "df", "p", "limit_estimate")
    mm.fields("egger", egger(y, v), _ref(name, measure)["egger"], keys)
    mm.done()


@pytest.mark.parametrize(("name", "measure"), _cases("begg"))
def test_begg(name, measure):
    y, v, *_ = _included(name, measure)
    mm = Mismatches(f"{name} {measure} begg")
    mm.fields("begg", begg(y, v), _ref(name, measure)["begg"], ("tau", "p"))
    mm.done()


def _loglik(y, v, tau2, method):
    """The (restricted) log-likelihood of the intercept-only model (Viechtbauer 2005)."""
    w = 1 / (v + tau2)
    b = (w * y).sum() / w.sum()
    ll = -0.5 * (np.log(v + tau2).sum() + (w * (y - b) ** 2).sum())
    return ll - 0.5 * np.log(w.sum()) if method == "REML" else ll


def _assert_likelihood_maximum(y, v, tau2, method, atol=1e-5):
    """tau2 is within ``atol`` (trim-and-fill refits at metafor's default threshold, 1e-5)
    of the point of a fine grid on [0, inf) where the likelihood is highest."""
    scale = max(tau2, float(np.median(v)))
    grid = np.linspace(0, 10 * scale, 100001)
    ll = np.array([_loglik(y, v, t, method) for t in grid])
    assert abs(grid[ll.argmax()] - tau2) <= atol + grid[1], (tau2, grid[ll.argmax()])


@pytest.mark.parametrize(("name", "measure", "method"), _cases("trimfill", ("EE", "DL", "REML")))
def test_trimfill(name, measure, method):
    ref = _ref(name, measure)["trimfill"][method]
    y, v, *_ = _included(name, measure)
    res = trimfill(y, v, method, measure=measure)
    if is_error(ref):
        # metafor stopped (its Fisher scoring did not converge in a refit): ours reaches the
        # maximum, so the filled analysis must be a genuine (restricted) likelihood maximum
        assert res.k0 is not None and res.estimate is not None, ref["error"]
        if method in ("REML", "ML"):
            _assert_likelihood_maximum(
                np.concatenate([y, res.filled_yi]),
                np.concatenate([v, res.filled_vi]),
                res.tau2,
                method,
            )
        return
    mm = Mismatches(f"{name} {measure} trimfill.{method}")
    ours = {
        **figures(res, TRIMFILL),
    }
    mm.fields("trimfill", ours, ref, ours.keys(), ref.get("tau2"))
    mm.done()


@pytest.mark.parametrize(
    ("name", "measure", "method"), _cases("leave_one_out", ("EE", "DL", "REML"))
)
def test_leave_one_out(name, measure, method):
    refs = _ref(name, measure)["leave_one_out"][method]
    y, v, ids, *_ = _included(name, measure)
    rows = leave_one_out(y, v, ids, method, measure=measure)
    assert [r.omitted for r in rows] == [r["omitted"] for r in refs]
    mm = Mismatches(f"{name} {measure} leave_one_out.{method}")
    keys = ("b", "se", "estimate", "ci_low", "ci_high", "p", "q", "tau2", "i2")
    for ours, ref in zip(rows, refs, strict=True):
        mm.fields(f"[{ref['omitted']}]", ours, ref, keys, ref["tau2"])
    mm.done()


@pytest.mark.parametrize(("name", "measure"), _cases("cumulative_DL"))
def test_cumulative(name, measure):
    block = _ref(name, measure)
    refs = block["cumulative_DL"]
    y, v, ids, year, _ = _included(name, measure)
    rows = cumulative(y, v, ids, year, "DL", measure=measure)
    # the reference names the study added by its position among the analysed studies
    assert [r.added for r in rows] == [block["studies"][r["added"] - 1]["study_id"] for r in refs]
    mm = Mismatches(f"{name} {measure} cumulative_DL")
    for j, (ours, ref) in enumerate(zip(rows, refs, strict=True)):
        keys = ("b", "estimate", "ci_low", "ci_high")
        if j == 0:  # one study: tau² and I² undefined here, metafor prints 0
            assert ours.tau2 is None and ref["tau2"] == 0
        else:
            keys += ("tau2", "i2")
        mm.fields(f"[{j}]", ours, ref, keys, ref["tau2"])
    mm.done()


@pytest.mark.parametrize(("name", "measure", "method"), _cases("subgroups", ("DL", "REML")))
def test_subgroups(name, measure, method):
    ref = _ref(name, measure)["subgroups"][method]
    y, v, _, _, groups = _included(name, measure)
    res = subgroups(y, v, groups, "subgroup", method, measure=measure)
    assert set(res.groups) == set(ref["groups"])
    mm = Mismatches(f"{name} {measure} subgroups.{method}")
    keys = ("k", "b", "se", "estimate", "ci_low", "ci_high", "p", "tau2", "i2")
    for g, r in ref["groups"].items():
        mm.fields(f"groups[{g}]", res.groups[g], r, keys, r["tau2"])
    mm.fields("test_between", res.test_between, ref["test_between"], ("q", "df", "p"))
    mm.done()


# ----------------------------------------------------------------------------- end to end


def _argv(name: str, measure: str, method: str, hk: bool) -> list[str]:
    argv = ["meta", str(REFERENCE_DIR / f"{name}.csv"), "--json"]
    argv += ["--measure", measure, "--tau2", method]
    if hk:
        argv.append("--hk")
    if "subgroup" in load_csv(name):
        argv += ["--by", "subgroup"]
    return argv


def _run_in_process(argv: list[str]) -> dict:
    buf = io.StringIO()
    with redirect_stdout(buf):
        status = main(argv)
    assert status == 0
    return json.loads(buf.getvalue())


def _compare_output(out: dict, name: str, measure: str, method: str, hk: bool) -> None:
    ref = _ref(name, measure)
    label = f"{name} {measure} {method}{' hk' if hk else ''}"
    mm = Mismatches(label)
    z = ref["random"][method]["z"]
    rnd = ref["random"][method]["hk" if hk else "z"]
    tau2_ref = z["tau2"]

    assert set(out) == {
        "measure", "k", "excluded", "studies", "common", "heterogeneity", "random",
        "small_study", "leave_one_out", "cumulative", "subgroups",
    }  # fmt: skip
    assert out["measure"] == measure
    assert out["k"] == ref["k"]
    assert out["excluded"] == excluded(ref)

    # studies and their weights
    assert [s["study_id"] for s in out["studies"]] == [s["study_id"] for s in ref["studies"]]
    for i, (s, r) in enumerate(zip(out["studies"], ref["studies"], strict=True)):
        mm.fields(f"studies[{i}]", s, r, ("yi", "vi", "estimate", "ci_low", "ci_high"))
        mm.check(f"studies[{i}].weight_common", s["weight_common"], ref["common_iv"]["weights"][i])
        mm.check(f"studies[{i}].weight_random", s["weight_random"], z["weights"][i])

    # common-effect models and heterogeneity
    pooled = ("estimate", "ci_low", "ci_high", "p")
    mm.fields("common.mh", out["common"]["mh"], ref["common_mh"], pooled)
    mm.fields("common.iv", out["common"]["iv"], ref["common_iv"], pooled)
    if measure == "OR":
        mm.fields("common.peto", out["common"]["peto"], ref["common_peto"], pooled)
    else:
        assert out["common"]["peto"] is None
    het, civ = out["heterogeneity"], ref["common_iv"]
    mm.check("heterogeneity.q", het["q"], civ["q"])
    mm.check("heterogeneity.df", het["df"], ref["k"] - 1 if ref["k"] > 1 else None)
    mm.check("heterogeneity.p", het["p"], civ["q_p"])
    mm.check("heterogeneity.i2", het["i2"], civ["i2_q"])
    mm.check("heterogeneity.h2", het["h2"], civ["h2"])

    # random effects
    r = out["random"]
    assert r["tau2_method"] == method and r["hk"] is hk
    mm.fields("random", r, rnd, ("estimate", "ci_low", "ci_high", "p"))
    mm.check("random.tau2", r["tau2"], z["tau2"], tau2_ref, "tau2")
    mm.check("random.i2", r["i2"], z["i2"], tau2_ref, "i2")
    for key in ("tau2_ci", "i2_ci"):
        for j in (0, 1):
            mm.check(f"random.{key}[{j}]", r[key][j], z[key][j])
    pi = z.get("pi_hts")
    mm.check("random.pi_low", r["pi_low"], pi[0] if pi else None)
    mm.check("random.pi_high", r["pi_high"], pi[1] if pi else None)

    # small-study effects
    ss = out["small_study"]
    if ref.get("egger"):
        mm.fields("egger", ss["egger"], ref["egger"], ("intercept", "se", "t", "df", "p"))
    else:  # k < 3: undefined
        assert ss["egger"]["t"] is None and ss["egger"]["p"] is None
    if ref.get("begg"):
        mm.fields("begg", ss["begg"], ref["begg"], ("tau", "p"))
    else:
        assert ss["begg"]["tau"] is None and ss["begg"]["p"] is None and ss["begg"]["note"]
    tf_ref = (ref.get("trimfill") or {}).get(method)
    if tf_ref is not None and is_error(tf_ref):
        # metafor stopped (no convergence in a refit); ours reaches the maximum
        assert ss["trimfill"]["k0"] is not None and ss["trimfill"]["estimate"] is not None
    elif tf_ref is not None:
        keys = ("k0", "side", "estimate") + (() if hk else ("ci_low", "ci_high"))
        mm.fields("trimfill", ss["trimfill"], tf_ref, keys)
    elif not ref.get("trimfill"):
        assert ss["trimfill"]["k0"] is None

    # leave-one-out, cumulative, subgroups: the random model chosen
    loo_ref = (ref.get("leave_one_out") or {}).get(method)
    if loo_ref is not None:
        assert [x["omitted"] for x in out["leave_one_out"]] == [x["omitted"] for x in loo_ref]
        keys = ("estimate",) + (() if hk else ("ci_low", "ci_high"))
        for x, y in zip(out["leave_one_out"], loo_ref, strict=True):
            mm.fields(f"leave_one_out[{y['omitted']}]", x, y, keys + ("tau2", "i2"), y["tau2"])
    if method == "DL" and ref.get("cumulative_DL"):
        cum = ref["cumulative_DL"]
        assert [c["added"] for c in out["cumulative"]] == [
            ref["studies"][c["added"] - 1]["study_id"] for c in cum
        ]
        keys = ("estimate",) + (() if hk else ("ci_low", "ci_high"))
        for j, (x, y) in enumerate(zip(out["cumulative"], cum, strict=True)):
            mm.fields(f"cumulative[{j}]", x, y, keys)
    sub_ref = (ref.get("subgroups") or {}).get(method)
    if "subgroup" in load_csv(name):
        assert out["subgroups"] is not None and out["subgroups"]["by"] == "subgroup"
        if sub_ref is not None:
            groups = out["subgroups"]["groups"]
            assert set(groups) == set(sub_ref["groups"])
            keys = ("k", "estimate", "tau2", "i2") + (() if hk else ("ci_low", "ci_high"))
            for g, y in sub_ref["groups"].items():
                mm.fields(f"subgroups[{g}]", groups[g], y, keys, y["tau2"])
            if not hk:
                mm.fields(
                    "test_between",
                    out["subgroups"]["test_between"],
                    sub_ref["test_between"],
                    ("q", "df", "p"),
                )
    else:
        assert out["subgroups"] is None
    mm.done()


@pytest.mark.parametrize("hk", [False, True], ids=["z", "hk"])
@pytest.mark.parametrize("method", TAU2_METHODS)
@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("name", NAMES)
def test_meta_json_matches_metafor(name, measure, method, hk):
    out = _run_in_process(_argv(name, measure, method, hk))
    _compare_output(out, name, measure, method, hk)


@pytest.mark.parametrize("name", NAMES)
def test_meta_process_matches_metafor(name):
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", *_argv(name, "RR", "REML", False)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    _compare_output(json.loads(proc.stdout), name, "RR", "REML", False)
