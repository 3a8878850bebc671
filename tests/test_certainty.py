"""GRADE rules: constructed bodies of evidence that must be rated down, or not."""

from __future__ import annotations

import pytest

from analysis.stats import certainty as gr
from analysis.stats.certainty import Domain, Override


def _domain(name: str, rating: str = "not_serious") -> Domain:
    return Domain(name, rating, "constructed")


def _all(**ratings) -> list[Domain]:
    return [_domain(n, ratings.get(n, "not_serious")) for n in gr.DOMAINS]


# --------------------------------------------------------------------------- risk of bias


def test_rob_all_low_is_not_serious():
    d = gr.risk_of_bias([1, 1, 1], ["low", "low", "low"])
    assert d.rating == "not_serious" and d.source == "rule"


def test_rob_not_assessed_counts_against_the_evidence():
    d = gr.risk_of_bias([1, 1, 1], ["not_assessed", None, "low"])
    assert d.rating == "serious"
    assert "2 of 3 trials have no overall RoB 2 judgement" in d.reason


def test_rob_is_weighted():
    # the high-risk trial carries 10 % of the weight: not serious
    assert gr.risk_of_bias([9, 1], ["low", "high"]).rating == "not_serious"
    # ... and 60 %: very serious
    assert gr.risk_of_bias([4, 6], ["low", "high"]).rating == "very_serious"
    # some concerns in most of the weight: serious
    assert gr.risk_of_bias([4, 6], ["low", "some_concerns"]).rating == "serious"


# --------------------------------------------------------------------------- inconsistency


def test_inconsistency_single_trial_not_assessable():
    d = gr.inconsistency(1, None, 1.2, 3.0, None, None, None)
    assert d.rating == "not_assessable" and d.downgrade == 0


def test_inconsistency_low_i2_consistent_pi_no_subgroup_signal():
    assert gr.inconsistency(5, 10.0, 1.5, 3.0, 1.2, 3.5, 0.6).rating == "not_serious"


@pytest.mark.parametrize(
    ("i2", "pi", "p", "rating"),
    [
        (55.0, (1.2, 3.5), None, "serious"),  # I² alone
        (10.0, (0.8, 4.0), None, "serious"),  # prediction interval crosses 1, CI does not
        (10.0, (1.2, 3.5), 0.04, "serious"),  # subgroup difference
        (80.0, (0.5, 6.0), None, "very_serious"),  # considerable I² and the PI
        (80.0, (1.2, 3.5), None, "serious"),  # considerable I² alone
    ],
)
def test_inconsistency_signals(i2, pi, p, rating):
    assert gr.inconsistency(6, i2, 1.5, 3.0, *pi, p).rating == rating


def test_inconsistency_pi_crossing_one_when_ci_also_does_is_not_a_signal():
    assert gr.inconsistency(6, 10.0, 0.9, 3.0, 0.5, 5.0, None).rating == "not_serious"


# --------------------------------------------------------------------------- indirectness


def test_indirectness_across_diseases_is_serious():
    d = gr.indirectness([1, 1], ["cidp", "multiple_sclerosis"], [None, None])
    assert d.rating == "serious" and "2 diseases" in d.reason


def test_indirectness_one_disease_flag_weighted():
    assert gr.indirectness([1, 1], ["cidp", "cidp"], [None, None]).rating == "not_serious"
    assert gr.indirectness([1, 3], ["cidp", "cidp"], ["secondary outcome", None]).rating == (
        "not_serious"
    )
    d = gr.indirectness([3, 1], ["cidp", "cidp"], ["children only", None])
    assert d.rating == "serious" and "children only" in d.reason


# --------------------------------------------------------------------------- imprecision


def test_ois_matches_the_two_proportion_formula():
    # p0 = 0.2, p1 = 0.25: 2 * (1.959964 + 0.841621)^2 * (0.16 + 0.1875) / 0.05^2
    z = 1.959963984540054 + 0.8416212335729143
    assert gr.optimal_information_size(0.2) == pytest.approx(2 * z**2 * 0.3475 / 0.0025)
    # 0.9 * 1.25 >= 1: a 25 % relative reduction of not improving (0.1 -> 0.075)
    assert gr.optimal_information_size(0.9) == pytest.approx(
        2 * z**2 * (0.1 * 0.9 + 0.075 * 0.925) / 0.025**2
    )
    assert gr.optimal_information_size(1.0) is None
    assert gr.optimal_information_size(None) is None


def test_imprecision_rules():
    big = 100_000
    assert gr.imprecision(0.5, 2.0, big, 0.2).rating == "very_serious"
    assert gr.imprecision(0.9, 2.0, big, 0.2).rating == "serious"
    assert gr.imprecision(0.6, 1.1, big, 0.2).rating == "serious"
    assert gr.imprecision(1.5, 3.0, big, 0.2).rating == "not_serious"
    # CI excludes 1 but the information size is not met
    d = gr.imprecision(1.5, 3.0, 100, 0.2)
    assert d.rating == "serious" and "optimal information size" in d.reason
    # a precise null: CI within 0.75-1.25 and enough participants
    assert gr.imprecision(0.9, 1.1, big, 0.2).rating == "not_serious"
    assert gr.imprecision(None, 2.0, big, 0.2).rating == "very_serious"


# --------------------------------------------------------------------------- publication bias


def test_publication_bias_needs_ten_trials():
    d = gr.publication_bias(6, 0.01)
    assert d.rating == "not_assessable" and d.downgrade == 0 and "at least 10" in d.reason
    assert gr.publication_bias(12, 0.03).rating == "serious"
    assert gr.publication_bias(12, 0.40).rating == "not_serious"


# --------------------------------------------------------------------------- overall and overrides


def test_rate_levels_and_floor():
    assert gr.rate(_all()).label == "high"
    assert gr.rate(_all()).symbols == "⊕⊕⊕⊕"
    c = gr.rate(_all(risk_of_bias="serious", imprecision="serious"))
    assert (c.level, c.label, c.symbols) == (2, "low", "⊕⊕◯◯")
    c = gr.rate(_all(risk_of_bias="very_serious", imprecision="very_serious"))
    assert (c.level, c.label, c.symbols) == (1, "very_low", "⊕◯◯◯")
    assert [d.domain for d in c.downgrades] == ["risk_of_bias", "imprecision"]


def test_rate_needs_every_domain():
    with pytest.raises(ValueError, match="domains missing"):
        gr.rate(_all()[:4])


def test_override_replaces_rule_and_is_marked():
    c = gr.rate(_all(imprecision="serious"))
    assert c.label == "moderate" and not c.judged
    o = {"imprecision": Override("imprecision", "not_serious", "large effect", "A. Reviewer")}
    c2 = gr.apply_overrides(c, o)
    assert c2.label == "high" and c2.judged
    d = dict((x.domain, x) for x in c2.domains)["imprecision"]
    assert (d.source, d.reviewer, d.rule_rating, d.reason) == (
        "reviewer",
        "A. Reviewer",
        "serious",
        "large effect",
    )
    assert all(x.source == "rule" for x in c2.domains if x.domain != "imprecision")


def test_override_rejects_unknown_domain_or_rating():
    c = gr.rate(_all())
    with pytest.raises(ValueError, match="unknown domain"):
        gr.apply_overrides(c, {"bias": Override("bias", "serious", "x", "y")})
    with pytest.raises(ValueError, match="unknown rating"):
        gr.apply_overrides(c, {"imprecision": Override("imprecision", "bad", "x", "y")})
