"""The one family of result types: JSON out, typed objects back in, strictly.

``MetaAnalysis.to_dict()`` is the JSON contract; ``from_dict`` must give back an object
whose ``to_dict()`` is the same JSON, and a missing key, a wrong type or a misspelt key
must be an error naming the key (never a silent default drawing the wrong axis).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from analysis.report.comparison import Comparison
from analysis.stats import full_analysis
from analysis.stats.heterogeneity import heterogeneity
from analysis.stats.results import Heterogeneity, MetaAnalysis, ResultKeyError

STUDIES = {
    "study_id": ["A1990", "B1995", "C2001", "D2010"],
    "year": [1990, 1995, 2001, 2010],
    "ivig_improved": [12, 8, 30, 5],
    "ivig_total": [20, 15, 50, 12],
    "control_improved": [6, 7, 18, 1],
    "control_total": [20, 16, 48, 13],
    "disease": ["cidp", "cidp", "mg", "mg"],
}


@pytest.fixture(scope="module")
def analysis() -> MetaAnalysis:
    return full_analysis.analyse(STUDIES, by="disease")


def test_round_trip_gives_the_same_json(analysis):
    data = analysis.to_dict()
    back = MetaAnalysis.from_dict(data)
    assert back.to_dict() == data
    assert back.random.tau2_ci == analysis.random.tau2_ci
    assert back.subgroups is not None and set(back.subgroups.groups) == {"cidp", "mg"}


def test_missing_key_is_an_error_naming_it(analysis):
    data = analysis.to_dict()
    del data["random"]["tau2_method"]
    with pytest.raises(ResultKeyError, match=r"^MetaAnalysis\.random\.tau2_method: missing$"):
        MetaAnalysis.from_dict(data)


def test_wrong_type_and_unknown_key_are_errors(analysis):
    data = analysis.to_dict()
    bad = copy.deepcopy(data)
    bad["measure"] = None
    with pytest.raises(ResultKeyError, match=r"MetaAnalysis\.measure: null"):
        MetaAnalysis.from_dict(bad)
    bad = copy.deepcopy(data)
    bad["studies"][1]["estimate"] = "2.1"
    with pytest.raises(ResultKeyError, match=r"MetaAnalysis\.studies\[1\]\.estimate"):
        MetaAnalysis.from_dict(bad)
    bad = copy.deepcopy(data)
    bad["heterogeneity"]["I2"] = 3.0
    with pytest.raises(ResultKeyError, match=r"MetaAnalysis\.heterogeneity\.I2: unknown key"):
        MetaAnalysis.from_dict(bad)


def test_one_heterogeneity_type_for_estimator_and_analysis(analysis):
    y = np.array([0.1, 0.5, 0.3])
    v = np.array([0.04, 0.09, 0.05])
    assert isinstance(heterogeneity(y, v), Heterogeneity)
    assert isinstance(analysis.heterogeneity, Heterogeneity)
    assert "k" not in analysis.to_dict()["heterogeneity"]


def test_headline_model(analysis):
    assert analysis.headline_model == "random"
    assert analysis.headline() is analysis.random
    single = full_analysis.analyse({k: v[:1] for k, v in STUDIES.items()})
    assert single.headline_model == "common.mh"
    with pytest.raises(KeyError, match="model: must be one of"):
        analysis.model("random.hk")


def test_comparison_entry_needs_its_parts(analysis):
    entry = analysis.to_dict()
    with pytest.raises(ResultKeyError, match=r"^comparisons\.placebo\.summary: missing$"):
        Comparison.from_dict("placebo", entry)
    entry |= {
        "summary": {
            "trials": 4,
            "participants": 194,
            "control_risk": 0.33,
            "model": "random",
            "absolute": None,
        },
        "findings": {},
        "sensitivity": {
            "verified_only": None,
            "all_outcome_types": analysis.to_dict(),
            "excluding_high_rob": None,
            "common_vs_random": None,
            "tau2_methods": {"DL": analysis.to_dict()["random"], "PM": None},
            "notes": {"verified_only": "no trial with verified counts"},
        },
    }
    c = Comparison.from_dict("placebo", entry)
    assert c.k == 4 and c.summary.participants == 194
    assert c.sensitivity.tau2_methods is not None
    assert c.sensitivity.tau2_methods["PM"] is None
    rows = c.sensitivity_rows()
    assert [r["key"] for r in rows] == [
        "primary",
        "verified_only",
        "all_outcome_types",
        "excluding_high_rob",
    ]
    assert rows[1]["k"] == 0
    table = c.tau2_frame("DL")
    assert table is not None and list(table["Estimator"])[0].endswith("(primary)")
    del entry["sensitivity"]["notes"]
    with pytest.raises(ResultKeyError, match=r"comparisons\.placebo\.sensitivity\.notes: missing"):
        Comparison.from_dict("placebo", entry)
