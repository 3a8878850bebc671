"""Summary of findings per comparison and disease: rows, control risks, certainty, wording."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from analysis.evidence import studies as data
from analysis.report import findings as fm
from analysis.report import results_bundle
from analysis.report.completeness import Completeness
from analysis.stats import certainty as gr
from analysis.stats.certainty import Domain
from tests.report.test_sof_risk_difference import plain_marks

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(snapshot_bundle):
    """The results bundle of the frozen data snapshot (computed once, tests/conftest.py)."""
    return snapshot_bundle


@pytest.fixture(scope="module")
def df(snapshot_studies):
    return snapshot_studies


def test_one_row_per_disease_then_the_pool(bundle, df):
    for name, entry in bundle["comparisons"].items():
        if entry is None:
            continue
        rows = data.primary(df, name)
        diseases = sorted(set(rows["disease"].astype(str)))
        got = [r["disease"] for r in fm.ordered(entry["findings"])]
        assert got == diseases + (["all"] if len(diseases) > 1 else [])
        for r in fm.ordered(entry["findings"]):
            part = rows if r["disease"] == "all" else rows[rows["disease"] == r["disease"]]
            # control risk from that row's own trials, never the pooled one of other diseases
            assert r["control_risk"] == pytest.approx(
                part["control_improved"].sum() / part["control_total"].sum()
            )
            assert r["participants"] == int(part["ivig_total"].sum() + part["control_total"].sum())
            assert r["k"] == len(part)
            assert len(r["certainty"]["domains"]) == 5
            if r["disease"] == "all":  # no NNT for a pool across diseases, in the bundle too
                assert r["nnt_meaningful"] is False and "pool across diseases" in r["nnt_note"]
                assert r["absolute"] is None or r["absolute"]["nnt"] is None


def test_pool_carries_the_test_for_subgroup_differences(bundle):
    pool = [bundle["comparisons"]["placebo"]["findings"]["all"]]
    (row,) = pool
    tb = bundle["comparisons"]["placebo"]["subgroups"]["test_between"]
    assert row["test_between"] == tb
    assert tb["df"] == len(row["diseases"]) - 1 and tb["p"] is not None


def typed_row(
    label: str = "low",
    est: float | None = 2.0,
    lo: float | None = 1.1,
    hi: float | None = 4.0,
    disease: str = "cidp",
    types: tuple[str, ...] = ("improvement",),
    *,
    domains: tuple[Domain, ...] = (),
    **changes,
) -> fm.FindingsRow:
    """A constructed summary-of-findings row (every field given, the rest plausible):
    the certainty *label* with its GRADE symbols over *domains*, then *changes* field by
    field."""
    level = next(n for n, (word, _) in gr.LEVELS.items() if word == label)
    row = fm.FindingsRow(
        disease=disease,
        diseases=(disease,) if disease != "all" else ("cidp", "multiple_sclerosis"),
        k=3,
        participants=198,
        studies=("A2001", "B2002", "C2003"),
        outcome_types=tuple(types),
        outcomes=(fm.OutcomeUsed("A2001", None, "x", "y"),),
        measure="RR",
        model="random",
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        p=0.01,
        i2=None,
        pi_low=None,
        pi_high=None,
        control_risk=None,
        control_risk_source="the control arms of this row's trials",
        absolute=None,
        nnt_meaningful=disease != "all",
        nnt_note=None,
        completeness=stands_on(3, 3),
        models=None,
        model_note=None,
        test_between=None,
        certainty=gr.Certainty(level, label, gr.LEVELS[level][1], domains),
    )
    return dataclasses.replace(row, **changes)


def stands_on(analysed: int, identified: int) -> Completeness:
    """A completeness cell: *analysed* of *identified* trials, the rest awaiting counts."""
    ids = tuple(f"T{i}" for i in range(identified))
    return Completeness(
        identified, analysed, ids[:analysed], 198, 198, ids[analysed:], ids[analysed:], ()
    )


def _row(label: str, est: float, lo: float, hi: float, disease="cidp", types=("improvement",)):
    return typed_row(label, est, lo, hi, disease, types)


#: GRADE's informative statements (Santesso et al. 2020, Table 3): certainty x size x direction
WORDING = [
    ("high", 3.0, "IVIG results in a large increase in the number of patients who improve"),
    ("high", 1.5, "IVIG increases the number of patients who improve"),
    ("high", 1.05, "IVIG results in little to no difference in the number of patients"),
    ("high", 0.6, "IVIG reduces the number of patients who improve"),
    ("high", 0.4, "IVIG results in a large reduction in the number of patients who improve"),
    ("moderate", 2.0, "IVIG likely results in a large increase in the number of patients"),
    ("moderate", 1.3, "IVIG probably increases the number of patients who improve"),
    ("moderate", 1.05, "IVIG probably results in little to no difference in the number of"),
    ("moderate", 0.7, "IVIG probably reduces the number of patients who improve"),
    ("moderate", 0.5, "IVIG likely results in a large reduction in the number of patients"),
    ("low", 2.5, "IVIG may result in a large increase in the number of patients who improve"),
    ("low", 1.25, "IVIG may increase the number of patients who improve"),
    ("low", 0.8, "IVIG may result in little to no difference in the number of patients"),
    ("low", 0.75, "IVIG may reduce the number of patients who improve"),
    ("low", 0.3, "IVIG may result in a large reduction in the number of patients who improve"),
]


@pytest.mark.parametrize(("label", "est", "statement"), WORDING)
def test_grade_informative_wording(label, est, statement):
    s = fm.plain_language(_row(label, est, est / 2, est * 2), "Placebo")
    assert s.startswith("In people with CIDP, " + statement), s
    assert s.endswith(f"compared with placebo ({label} certainty; 3 of 3 identified trials).")


def test_wording_table_covers_every_certainty_size_and_direction():
    keys = {
        (c, size, d)
        for c in ("high", "moderate", "low")
        for size, d in [
            ("large", "increase"),
            ("moderate", "increase"),
            ("large", "reduction"),
            ("moderate", "reduction"),
            ("none", None),
        ]
    }
    assert set(fm.STATEMENTS) == keys
    # the size words follow GRADE's large effect (RR 2, 0.5) and the appreciable thresholds
    assert fm.effect_size(2.0) == ("large", "increase")
    assert fm.effect_size(1.99) == ("moderate", "increase")
    assert fm.effect_size(1.24) == ("none", None)
    assert fm.effect_size(0.5) == ("large", "reduction")


@pytest.mark.parametrize("est", [0.3, 1.0, 2.0, 9.0])
def test_very_low_certainty_is_very_uncertain_whatever_the_estimate(est):
    s = fm.plain_language(_row("very_low", est, est / 3, est * 3), "Placebo")
    assert s == (
        "The evidence is very uncertain about the effect of IVIG on the number of patients who "
        "improve in people with CIDP compared with placebo (very low certainty; 3 of 3 "
        "identified trials)."
    )


def test_sentence_states_provisional_certainty_and_k_of_n():
    rob = Domain("risk_of_bias", "serious", "not assessed", provisional=gr.PROVISIONAL_ROB)
    row = typed_row("low", 2.0, 1.1, 4.0, domains=(rob,))
    row = dataclasses.replace(row, completeness=stands_on(3, 6))
    s = fm.plain_language(row, "Placebo")
    assert s.endswith(
        "(low certainty, provisional: risk of bias not yet assessed; 3 of 6 identified trials)."
    )


def test_pool_sentence_names_every_disease():
    s = fm.plain_language(_row("low", 2.0, 1.5, 3.0, disease="all"), "Placebo")
    assert "CIDP or multiple sclerosis, taken together" in s


def test_md_text_makes_a_field_plain():
    assert fm.md_text("*bold* [x](y) <b> @key | `c`") == (
        "\\*bold\\* \\[x\\]\\(y\\) \\<b\\> \\@key \\| \\`c\\`"
    )
    assert fm.md_text(None) == ""


def test_population_flag():
    assert fm.indirect_flag("cidp", "CIDP") is None
    flag = fm.indirect_flag(
        "guillain_barre_syndrome", "Guillain-Barré syndrome (children on mechanical ventilation)"
    )
    assert flag and "children on mechanical ventilation" in flag


def test_marked_numbers_of_the_summary_pages_resolve_in_the_bundle():
    """Every number the summary helpers mark equals the results.json value it names."""
    from analysis.report import chapters as site
    from tests.report.test_site_helpers import _check_marks

    n = _check_marks(site.first_screen().data)
    for name in site.COMPARISON_KEYS:
        n += _check_marks(site.findings_table(name).data)
        n += _check_marks(site.pool_sentence(name).data)
        n += _check_marks(site.subgroup_table(name).data)
    n += _check_marks(site.published_beside().data)
    assert n > 20


def test_findings_table_footnotes_every_downgrade_and_says_rule_based():
    import re

    from analysis.report import chapters as site

    md = plain_marks(site.findings_table("placebo").data)  # footnote links out
    rows = site.findings_rows("placebo")
    reasons = {
        (d.domain, d.rating, d.reason) for r in rows for d in r.certainty.domains if d.downgrade
    }
    notes = re.findall(r"^- \^([a-z]+)\^ (.*)$", md, flags=re.M)
    graded = [n for n in notes if "(−1)" in n[1] or "(−2)" in n[1]]
    assert len(graded) == len(reasons)  # one note per distinct reason: identical ones merged
    assert len({n[1] for n in notes}) == len(notes)
    assert md.count("rule-based)") == len(rows)
    for r in rows:
        assert r.certainty.symbols in md


def _constructed_rows() -> list[fm.FindingsRow]:
    """Two per-disease rows and a pool, rated down for the same unassessed risk of bias."""
    rob = Domain(
        "risk_of_bias",
        "serious",
        "risk of bias not yet assessed",
        provisional="provisional: risk of bias not yet assessed",
    )
    imp = dataclasses.replace(
        rob, domain="imprecision", reason="the 95 % CI 0.88 to 6.95 includes ...", provisional=None
    )
    two = (fm.OutcomeUsed("A", None, "x", "y"),) * 2

    def row(disease, domains, **extra):
        return typed_row("low", 2.0, 1.2, 3.0, disease, domains=domains, outcomes=two, **extra)

    return [
        row("cidp", (rob, imp), model_note="The choice of model changes the conclusion: ..."),
        row("multiple_sclerosis", (rob,)),
        row("all", (rob,)),
    ]


def test_identical_footnotes_merge_and_model_note_marks_the_effect(monkeypatch):
    from analysis.report import chapters as site

    monkeypatch.setattr(site, "findings_rows", lambda name: _constructed_rows())
    md = plain_marks(site.findings_table("placebo").data)  # footnote links out
    lines = md.splitlines()
    cidp, ms, pool = (
        next(x for x in lines if x.startswith(f"| {p}")) for p in ("CIDP", "Multiple", "All")
    )
    # one note for the three identical risk-of-bias reasons
    assert md.count("Risk of bias, serious (−1)") == 1
    assert "Low^a,b^ (provisional: risk of bias not yet assessed; rule-based)" in cidp
    assert "Low^a^ (provisional: risk of bias not yet assessed; rule-based)" in ms
    assert "Low^a^ (provisional" in pool
    # the model note marks the relative effect, not the certainty
    assert "^c^ |" in cidp and "- ^c^ The choice of model changes the conclusion" in md
    # no NNT for the pool across diseases
    assert "not given for a pool across diseases" in pool
    assert "trials at high risk carry" not in md


def test_footnotes_letters():
    marks, notes = fm.footnotes([["x", "y"], ["y"], ["z", "x"]])
    assert marks == [["a", "b"], ["b"], ["c", "a"]]
    assert notes == [("a", "x"), ("b", "y"), ("c", "z")]


def test_model_note_only_when_the_choice_changes_the_conclusion():
    hk = fm.ModelResult(estimate=2.48, ci_low=0.88, ci_high=6.95, p=None)
    z = fm.ModelResult(estimate=2.48, ci_low=1.53, ci_high=4.01, p=None)
    mh = fm.ModelResult(estimate=2.56, ci_low=1.59, ci_high=4.13, p=None)
    note = fm.model_note({"random_hk": hk, "random_z": z, "common_mh": mh})
    assert note is not None
    assert "Hartung-Knapp (the primary model) gives 95 % CI 0.88 to 6.95 (includes no effect)" in (
        note
    )
    assert "without Hartung-Knapp gives 95 % CI 1.53 to 4.01 (favours IVIG)" in note
    agree = dataclasses.replace(hk, ci_low=1.1)
    assert fm.model_note({"random_hk": agree, "random_z": z, "common_mh": mh}) is None


def test_outcome_indirectness_flags():
    assert fm.outcome_indirect_flag("Improvement in INCAT >= 1 point (primary outcome)") is None
    secondary = "Improved on a disability scale (secondary outcome; primary was muscle score)"
    assert "secondary outcome" in fm.outcome_indirect_flag(secondary)
    # the responder definition on the primary outcome's instrument (protocol rule 2) is direct
    rule2 = (
        "QMG responder, secondary endpoint; the responder definition on the instrument of the "
        "primary endpoint"
    )
    assert fm.outcome_indirect_flag(rule2) is None
    assert fm.outcome_indirect_flag(secondary, protocol_rule="1") is None
    assert "protocol rule 3" in fm.outcome_indirect_flag("anything", protocol_rule=3)
    assert "not defined" in fm.outcome_indirect_flag("'improved' per abstract")
    assert "not defined" in fm.outcome_indirect_flag(None)


def test_completeness_counts_identified_trials_and_lists_those_awaiting():
    import pandas as pd

    reg = pd.DataFrame(
        {
            "study_id": ["A", "B", "C", "D", "E"],
            "status": ["verified", "derived", "pending", "pending", "derived"],
        }
    )
    # E has counts for another outcome type only: identified, not awaiting
    c = fm.completeness(reg, ["A", "B"], 120)
    assert (c.analysed, c.identified, c.awaiting, c.other_outcome) == (2, 5, ("C", "D"), ("E",))
    m = fm.missing_of(c)
    assert m.share == 0.5 and m.awaiting == ("C", "D") and m.basis == "trials"
    assert fm.completeness(None, ["A"], 10).identified == 1


def test_missing_evidence_in_participants_when_every_awaiting_size_is_known():
    cell = Completeness(
        identified=4,
        analysed=3,
        analysed_ids=("A", "B", "C"),
        participants_analysed=1000,
        participants_known=1030,
        size_unknown=(),
        awaiting=("D",),
        other_outcome=(),
    )
    m = fm.missing_of(cell)
    assert m.basis == "participants" and m.participants_awaiting == 30
    # a size unknown: counted in trials
    m = fm.missing_of(dataclasses.replace(cell, size_unknown=("D",)))
    assert m.basis == "trials" and m.share == 0.25


def test_models_of_a_row_are_the_engine_with_and_without_hartung_knapp(bundle, df):
    """models.random_hk is the row's own primary fit; models.random_z the same rows fitted
    without Hartung-Knapp by the engine (checked against metafor in the conformance tests)."""
    config = results_bundle.PRIMARY
    for name, entry in bundle["comparisons"].items():
        if entry is None:
            continue
        rows = data.primary(df, name)
        for r in fm.ordered(entry["findings"]):
            if r["models"] is None:
                assert r["k"] == 1 and r["model_note"] is None
                continue
            part = rows if r["disease"] == "all" else rows[rows["disease"] == r["disease"]]
            z = results_bundle._fit(part.reset_index(drop=True), config, by=None, hk=False)
            assert z is not None
            assert r["models"]["random_z"]["ci_low"] == z.random.ci_low
            assert r["models"]["random_z"]["ci_high"] == z.random.ci_high
            assert r["models"]["random_hk"]["ci_low"] == r["ci_low"]
            typed = {m: fm.ModelResult.from_dict(v) for m, v in r["models"].items() if v}
            assert (r["model_note"] is None) == (fm.model_note(typed) is None)


def test_every_row_states_what_it_stands_on(bundle):
    """Each row carries the bundle's completeness cell of its comparison and disease, and the
    publication-bias domain rates the trials awaiting counts in it."""
    for name, entry in bundle["comparisons"].items():
        if entry is None:
            continue
        for r in fm.ordered(entry["findings"]):
            c = r["completeness"]
            assert c == bundle["completeness"][name][r["disease"]]
            assert c["analysed"] == r["k"]
            pb = next(d for d in r["certainty"]["domains"] if d["domain"] == "publication_bias")
            m = fm.missing_of(Completeness.from_dict(c))
            assert pb["rating"] in (gr_rating(m), "not_assessable")
            if c["awaiting"]:
                assert "known missing evidence" in pb["reason"]


def gr_rating(m) -> str:
    from analysis.stats import certainty as grade

    return grade.publication_bias(1, None, m).rating


def test_no_small_study_results_below_ten_trials(monkeypatch):
    from analysis.report import chapters as site
    from analysis.report.chapters import tables

    class Few:
        k = 9

    monkeypatch.setattr(tables, "result", lambda name: Few())
    md = tables.small_study("placebo").data
    assert "With 9 trials" in md and "not reported" in md and "13.3.5.4" in md
    assert "intercept" not in md and "Kendall" not in md and "imputes" not in md
    assert "Sterne" in site.small_study_warning().data or "ten or more" in (
        site.small_study_warning().data
    )


def test_conclusions_table_states_certainty_and_k_of_n(monkeypatch):
    from analysis.report import chapters as site

    rows = [dataclasses.replace(r, completeness=stands_on(3, 6)) for r in _constructed_rows()]
    monkeypatch.setattr(site, "findings_rows", lambda name: rows)
    cell = site.conclusion_cell("placebo")
    assert cell.count("low certainty, provisional: risk of bias not yet assessed; 3 of 6") == 3
    assert "**CIDP:** IVIG may result in a large increase in improvement, RR" in cell
    monkeypatch.setattr(site, "findings_rows", lambda name: [])
    assert "no conclusion" in site.conclusion_cell("placebo")


def test_methods_state_the_rules_and_the_wording_table():
    from analysis.report import chapters as site
    from analysis.stats import certainty as grade

    md = site.certainty_methods().data
    for key in ("guyatt2011pb", "page2023", "guyatt2011imp", "schunemann2022", "santesso2020"):
        assert f"@{key}" in md
    assert f"serious from {grade.MISSING_SERIOUS * 100:.0f} %" in md
    assert grade.PROVISIONAL_ROB in md
    for statement in fm.STATEMENTS.values():
        if "increase" in statement:
            assert "IVIG " + statement.format(o="…") in md
    assert "The evidence is very uncertain about the effect of IVIG on …" in md


def test_summary_paragraph_states_the_certainty_of_its_headline(monkeypatch):
    from analysis.report import chapters as site

    rows = _constructed_rows()
    rows[-1] = dataclasses.replace(rows[-1], completeness=stands_on(6, 26))
    monkeypatch.setattr(site, "findings_rows", lambda name: rows)
    s = site.headline_certainty("placebo")
    assert s.startswith(
        "Certainty of this evidence: ⊕⊕◯◯ low certainty, provisional: risk of bias not yet assessed"
    )
    assert s.endswith("it rests on 6 of 26 identified trials.")
    monkeypatch.setattr(site, "findings_rows", lambda name: [])
    assert site.headline_certainty("placebo") == ""
