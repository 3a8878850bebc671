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
    assert "2 of 3 trials have no overall RoB 2 judgement yet" in d.reason
    assert d.provisional == gr.PROVISIONAL_ROB + " for 2 of 3 trials"


def test_rob_nothing_assessed_is_provisional_and_never_reassures():
    """Nothing assessed: rated down one level, marked provisional, and no "0 % at high risk"."""
    d = gr.risk_of_bias([3, 1], ["not_assessed", ""])
    assert d.rating == "serious" and d.provisional == "provisional: risk of bias not yet assessed"
    assert "not yet assessed" in d.reason and "no trial of this result" in d.reason
    assert "high risk" not in d.reason and "0 %" not in d.reason
    c = gr.rate([d] + [_domain(n) for n in gr.DOMAINS if n != "risk_of_bias"])
    assert c.provisional == gr.PROVISIONAL_ROB and c.to_dict()["provisional"] == c.provisional


def test_rob_assessed_is_not_provisional():
    d = gr.risk_of_bias([1, 1, 1], ["low", "low", "high"])
    assert d.provisional is None and d.rating == "not_serious"
    assert "1 assessed trial at high risk (33 % of the weight)" in d.reason
    # a minority unassessed: shown in the reason, not provisional
    assert gr.risk_of_bias([4, 1], ["low", None]).provisional is None


def test_reviewer_judgement_of_rob_ends_provisional():
    d = gr.risk_of_bias([1], [None])
    c = gr.rate([d] + [_domain(n) for n in gr.DOMAINS if n != "risk_of_bias"])
    o = {"risk_of_bias": Override("risk_of_bias", "serious", "judged from full text", "R. V.")}
    assert gr.apply_overrides(c, o).provisional is None


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


def test_indirectness_of_outcome_must_and_must_not_downgrade():
    w, dis = [3, 1], ["cidp", "cidp"]
    # a secondary outcome in most of the weight: serious
    d = gr.indirectness(w, dis, [None, None], ["a secondary outcome of the trial", None])
    assert d.rating == "serious" and d.reason.startswith("outcome: trials carrying 75 %")
    # ... in a minority of the weight: named, not rated down
    d = gr.indirectness(w, dis, [None, None], [None, "improvement not defined"])
    assert d.rating == "not_serious" and "improvement not defined" in d.reason
    assert "not rated down" in d.reason
    # population and outcome both indirect in most of the weight: very serious
    d = gr.indirectness(w, dis, ["children only", None], ["improvement not defined", None])
    assert d.rating == "very_serious"
    # several diseases and an indirect outcome: two sources
    d = gr.indirectness(w, ["cidp", "multiple_sclerosis"], [None, None], ["secondary", None])
    assert d.rating == "very_serious"


# --------------------------------------------------------------------------- imprecision


Z = 1.959963984540054 + 0.8416212335729143


def test_ois_matches_the_two_proportion_formula():
    # p0 = 0.2, p1 = 0.25: 2 * (1.959964 + 0.841621)^2 * (0.16 + 0.1875) / 0.05^2
    assert gr.optimal_information_size(0.2) == pytest.approx(2 * Z**2 * 0.3475 / 0.0025)
    assert gr.optimal_information_size(1.0) is None
    assert gr.optimal_information_size(None) is None


def test_ois_stays_on_the_outcome_as_worded():
    """0.95 * 1.25 >= 1: a 25 % relative reduction of *improvement* (95 % -> 71 %), never a
    size computed on not improving (5 % -> 3.75 %, 8,838) while worded on improvement."""
    size = gr.information_size(0.95)
    assert size is not None and size.direction == "reduction"
    assert (size.p0, size.p1) == pytest.approx((0.95, 0.7125))
    assert size.n == pytest.approx(2 * Z**2 * (0.95 * 0.05 + 0.7125 * 0.2875) / 0.2375**2)
    assert size.n < 100
    assert size.describe("improvement") == (
        "a 25 % relative reduction in improvement, from 95 % to 71 %"
    )
    d = gr.imprecision(0.8, 1.1, 41, 0.95)  # within the thresholds, fewer than the OIS
    assert d.rating == "serious"
    assert "relative reduction in improvement, from 95 % to 71 %" in d.reason
    assert "8838" not in d.reason and "not improv" not in d.reason


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


def test_imprecision_very_serious_far_from_the_ois_with_a_large_effect_in_the_ci():
    """17 participants, CI 0.93 to 12.2: no effect and a large benefit, far from the OIS."""
    ois = gr.optimal_information_size(0.22)
    assert ois is not None and 17 < gr.OIS_FAR * ois
    d = gr.imprecision(0.93, 12.2, 17, 0.22)
    assert d.rating == "very_serious" and d.downgrade == 2
    assert "no effect and a large effect (RR 2)" in d.reason and "far from" in d.reason
    # must not: the same CI with the information size nearly met (>= half of it)
    assert gr.imprecision(0.93, 12.2, int(ois * 0.6), 0.22).rating == "serious"
    # must not: far from the OIS but the CI stops short of a large effect
    assert gr.imprecision(0.93, 1.9, 17, 0.22).rating == "serious"
    # a large harm side counts the same
    assert gr.imprecision(0.3, 1.1, 17, 0.22).rating == "very_serious"


# --------------------------------------------------------------------------- publication bias


def test_publication_bias_needs_ten_trials():
    d = gr.publication_bias(6, 0.01)
    assert d.rating == "not_assessable" and d.downgrade == 0 and "at least 10" in d.reason
    assert gr.publication_bias(12, 0.03).rating == "serious"
    assert gr.publication_bias(12, 0.40).rating == "not_serious"


@pytest.mark.parametrize(
    ("k", "n", "rating"),
    [
        (3, 3, "not_serious"),  # nothing known to be missing
        (9, 10, "not_serious"),  # 10 %: below a quarter
        (3, 4, "serious"),  # 25 %
        (3, 6, "serious"),  # half
        (2, 5, "serious"),  # 60 %: the analysed trials a minority (the protocol's minimum)
        (1, 4, "very_serious"),  # 75 %: the analysed trials hold a quarter of the evidence
        (1, 5, "very_serious"),
        (1, 12, "very_serious"),
    ],
)
def test_known_missing_evidence_in_trials(k, n, rating):
    m = gr.missing_evidence(k, n, awaiting=[f"T{i}" for i in range(n - k)])
    assert m.basis == "trials" and m.share == pytest.approx((n - k) / n)
    d = gr.publication_bias(k, None, m)
    assert d.rating == rating
    if n > k:
        assert f"{n - k} identified trial" in d.reason and "T0" in d.reason
        assert f"of {n} trials that could be analysed" in d.reason


def test_trials_reporting_only_another_outcome_are_not_missing_evidence():
    # 1 analysed of 5 identified; 3 await counts, 1 reports another outcome type only
    m = gr.missing_evidence(1, 5, awaiting=["A", "B", "C"])
    assert (m.n_awaiting, m.share) == (3, 0.75)
    assert gr.publication_bias(1, None, m).rating == "very_serious"
    m = gr.missing_evidence(2, 5, awaiting=["A"])  # 1 of 3 that could be analysed
    assert gr.publication_bias(2, None, m).rating == "serious"
    with pytest.raises(ValueError, match="more trials analysed and awaiting"):
        gr.missing_evidence(3, 4, awaiting=["A", "B"])


def test_known_missing_evidence_weighs_participants_when_every_size_is_known():
    # one small trial of four missing: 25 % of the trials but 3 % of the participants
    m = gr.missing_evidence(3, 4, participants_analysed=1000, participants_awaiting=30)
    assert m.basis == "participants" and m.share == pytest.approx(30 / 1030)
    assert gr.publication_bias(3, None, m).rating == "not_serious"
    # one large trial missing: most of the participants
    m = gr.missing_evidence(3, 4, participants_analysed=200, participants_awaiting=600)
    d = gr.publication_bias(3, None, m)
    assert d.rating == "very_serious" and "600 of 800 randomised participants" in d.reason
    # a size unknown: counted in trials
    assert gr.missing_evidence(3, 4, 200, None).basis == "trials"


def test_missing_evidence_and_small_study_test_take_the_more_serious():
    none_missing = gr.missing_evidence(12, 12)
    assert gr.publication_bias(12, 0.03, none_missing).rating == "serious"
    half = gr.missing_evidence(12, 24)
    d = gr.publication_bias(12, 0.40, half)
    assert d.rating == "serious" and "Egger" in d.reason and "12 identified trials" in d.reason
    with pytest.raises(ValueError):
        gr.missing_evidence(5, 4)


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


def test_certainty_is_written_and_read_by_the_results_codec():
    """The codec writes a certainty's fields and its computed ``judged``, ``provisional`` and
    each domain's ``downgrade``; it reads them back to an equal object, and a written value
    that contradicts the domains is an error, never recomputed silently."""
    import pytest

    from analysis.stats.result_json import ResultKeyError, from_json, to_json

    c = gr.rate(
        [
            gr.risk_of_bias([1, 1], [None, None]),
            gr.inconsistency(2, 10.0, 1.2, 2.0, 0.8, 3.0, None),
            gr.indirectness([1, 1], ["cidp", "cidp"], [None, None], [None, None]),
            gr.imprecision(1.2, 2.0, 500, 0.3),
            gr.publication_bias(2, None),
        ]
    )
    c = gr.apply_overrides(c, {"imprecision": Override("imprecision", "serious", "why", "R. V.")})
    data = to_json(c)
    assert data["judged"] is True and data["provisional"] == c.provisional == gr.PROVISIONAL_ROB
    assert [d["downgrade"] for d in data["domains"]] == [d.downgrade for d in c.domains]
    assert c.to_dict() == data
    back = from_json(gr.Certainty, data)
    assert back == c and to_json(back) == data
    bad = {**data, "judged": False}
    with pytest.raises(ResultKeyError, match=r"^Certainty\.judged: False contradicts"):
        from_json(gr.Certainty, bad)
    bad = {**data, "domains": [{**data["domains"][0], "downgrade": 0}, *data["domains"][1:]]}
    with pytest.raises(ResultKeyError, match=r"domains\[0\]\.downgrade: 0 contradicts"):
        from_json(gr.Certainty, bad)
    missing = {k: v for k, v in data.items() if k != "provisional"}
    with pytest.raises(ResultKeyError, match=r"^Certainty\.provisional: missing$"):
        from_json(gr.Certainty, missing)
