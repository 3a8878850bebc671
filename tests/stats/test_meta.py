"""``analysis.stats.full_analysis.analyse``: the DataFrame entry point, boundaries
(k = 0, 1, 2) and the shape of ``to_dict()`` (the contract of meta-cli.md)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.stats.full_analysis import NoStudies, analyse, analyse_arrays
from tests.reference import load_csv

CONTRACT_KEYS = {
    "measure", "k", "excluded", "studies", "common", "heterogeneity", "random",
    "small_study", "leave_one_out", "cumulative", "subgroups",
}  # fmt: skip


def _frame(name: str) -> pd.DataFrame:
    d = load_csv(name)
    return pd.DataFrame({key: list(value) for key, value in d.items()})


def test_dataframe_and_arrays_agree():
    df = _frame("bcg")
    a = analyse(df, measure="OR", tau2_method="DL", hk=True, by="subgroup")
    d = load_csv("bcg")
    b = analyse_arrays(
        d["study_id"], d["year"], d["ivig_improved"], d["ivig_total"], d["control_improved"],
        d["control_total"], measure="OR", tau2_method="DL", hk=True, by="subgroup",
        groups=d["subgroup"],
    )  # fmt: skip
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["subgroups"]["by"] == "subgroup"


def test_nullable_integer_columns_are_accepted():
    df = _frame("bcg")
    for col in ("ivig_improved", "ivig_total", "control_improved", "control_total"):
        df[col] = df[col].astype("Int64")
    assert analyse(df).k == 13


def test_contract_keys_and_no_nan():
    out = analyse(_frame("edge_zero_cells"), by="subgroup").to_dict()
    assert set(out) == CONTRACT_KEYS
    assert set(out["random"]) == {
        "tau2_method", "hk", "estimate", "ci_low", "ci_high", "p", "tau2", "tau2_ci",
        "i2", "i2_ci", "pi_low", "pi_high", "converged", "iterations", "note",
    }  # fmt: skip
    assert set(out["small_study"]) == {"egger", "begg", "trimfill"}
    assert set(out["studies"][0]) == {
        "study_id", "yi", "vi", "estimate", "ci_low", "ci_high", "weight_common",
        "weight_random",
    }  # fmt: skip
    assert out["excluded"] == ["Z3 2003"]
    json.dumps(out, allow_nan=False)


def test_single_study_is_valid_with_none_for_undefined():
    df = _frame("edge_k2").iloc[:1]
    res = analyse(df)
    out = res.to_dict()
    assert res.k == 1
    assert out["random"]["tau2"] is None and out["random"]["pi_low"] is None
    assert out["random"]["tau2_ci"] is None and out["heterogeneity"]["q"] is None
    assert "single study" in out["random"]["note"] and "single" in out["heterogeneity"]["note"]
    assert out["small_study"]["egger"]["p"] is None and out["leave_one_out"] == []
    assert "three studies" in out["small_study"]["egger"]["note"]
    assert out["random"]["estimate"] == pytest.approx(out["studies"][0]["estimate"])
    assert len(res.baujat) == 0


def test_two_studies_have_no_prediction_interval():
    out = analyse(_frame("edge_k2")).to_dict()
    assert out["k"] == 2 and out["random"]["pi_low"] is None
    assert len(out["leave_one_out"]) == 2 and len(out["cumulative"]) == 2


def test_no_studies_raises():
    with pytest.raises(NoStudies):
        analyse(_frame("bcg").iloc[:0])
    both_zero = pd.DataFrame(
        {"study_id": ["a"], "year": [2000], "ivig_improved": [0], "ivig_total": [10],
         "control_improved": [0], "control_total": [10]}
    )  # fmt: skip
    with pytest.raises(NoStudies):
        analyse(both_zero, measure="RR")
    assert analyse(both_zero, measure="RD").k == 1  # kept for the risk difference


def test_bad_arguments():
    df = _frame("bcg")
    with pytest.raises(KeyError, match="nope"):
        analyse(df, by="nope")
    with pytest.raises(ValueError, match="measure"):
        analyse(df, measure="HR")
    with pytest.raises(ValueError, match="tau2_method"):
        analyse(df, tau2_method="XX")


def test_baujat_points_cover_the_studies():
    res = analyse(_frame("bcg"), tau2_method="DL")
    assert [p.study_id for p in res.baujat] == [s.study_id for s in res.studies]
    assert all(p.x >= 0 and p.y >= 0 for p in res.baujat)
    assert "baujat" not in res.to_dict()


def test_forced_non_convergence_reason_reaches_the_site_text():
    from analysis.report import text

    ai, n, ci = [95, 12, 18, 12, 11, 16, 9, 13, 11], [465, 50, 45, 54, 41, 55, 31, 55, 44], [
        163, 16, 20, 16, 15, 22, 15, 23, 12,
    ]  # fmt: skip
    ids = [f"T{i}" for i in range(9)]
    years = list(range(2000, 2009))
    entry = analyse_arrays(ids, years, ai, n, ci, n, maxiter=1, fallback=False).to_dict()
    md = text.render(
        "comparison.md.j2",
        entry=entry,
        label="Placebo",
        key="comparisons.placebo",
        model="common.mh",
        pooled=entry["common"]["mh"],
        summary={"participants": None},
        reason="",
        register_rows=9,
        other=None,
        populations="CIDP",
        certainty="",
    )
    assert "Note on the random-effects model: the REML estimate of tau² did not converge" in md
    ok = analyse_arrays(ids, years, ai, n, ci, n).to_dict()
    md_ok = text.render(
        "comparison.md.j2",
        entry=ok,
        label="Placebo",
        key="comparisons.placebo",
        model="random",
        pooled=ok["random"],
        summary={"participants": None},
        reason="",
        register_rows=9,
        other=None,
        populations="CIDP",
        certainty="",
    )
    assert "Note on the random-effects model" not in md_ok
