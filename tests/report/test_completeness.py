"""What each result stands on (k of n), harms rows, choice of outcome, protocol amendments.

Constructed data only: a placebo x multiple sclerosis cell with 12 identified trials of which
one has counts, an optic neuritis cell with none, harms with and without counts, and the
frozen outcomes fixture for the choice of outcome. Figures are checked against the closed
forms metafor uses for a single trial (log risk ratio, Katz variance).
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.evidence import outcomes as outcomes_mod
from analysis.evidence import protocol as protocol_mod
from analysis.evidence.outcomes import Outcome
from analysis.evidence.validate import validate
from analysis.publish.diff.amendments import protocol_changes
from analysis.report import chapters as site
from analysis.report import results_bundle
from analysis.report.chapters import completeness as pages
from analysis.report.completeness import completeness
from analysis.report.harms import harms
from analysis.report.outcome_choice import choice_of_outcome
from analysis.stats.results import to_json

compare_mod = importlib.import_module("analysis.publish.diff.compare")
ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "outcomes"
Z = 1.959963984540054


def _trial(sid: str, disease: str, counts=None, comparator="placebo", outcome="improvement"):
    a, n, c, m = counts or (None, None, None, None)
    return {
        "study_id": sid,
        "year": 2000,
        "disease": disease,
        "comparator": comparator,
        "ivig_improved": a,
        "ivig_total": n,
        "control_improved": c,
        "control_total": m,
        "outcome_type": outcome if counts else None,
        "status": "verified" if counts else "pending",
        "rereports": None,
        "population": disease,
        "rob_overall": "not_assessed",
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in ("ivig_improved", "ivig_total", "control_improved", "control_total", "year"):
        df[c] = pd.array(list(df[c]), dtype="Int64")
    for c in ("study_id", "disease", "comparator", "outcome_type", "status", "rereports"):
        df[c] = pd.array(list(df[c]), dtype="string")
    return df


def _ms_world() -> pd.DataFrame:
    rows = [_trial("Alpha1997", "multiple_sclerosis", (23, 75, 10, 73))]
    rows += [_trial(f"Pending{2000 + i}", "multiple_sclerosis") for i in range(11)]
    rows += [_trial("Optic2001", "optic_neuritis"), _trial("Optic2005", "optic_neuritis")]
    rows.append(_trial("Reprint1999", "multiple_sclerosis") | {"rereports": "Alpha1997"})
    return _frame(rows)


def _primary(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from analysis.evidence import studies

    return {c: studies.primary(df, c) for c in ("placebo",)}


def _fit(rows: pd.DataFrame):
    return results_bundle._fit(rows, results_bundle.PRIMARY, by=None)


def test_k_of_n_counts_identified_trials_once_and_lists_those_awaiting():
    df = _ms_world()
    cell = completeness(df, _primary(df))["placebo"]["multiple_sclerosis"]
    assert (cell.identified, cell.analysed) == (12, 1)  # the re-report is not a trial
    assert cell.participants_analysed == 148
    assert len(cell.awaiting) == 11
    words = pages.stands_on(cell.to_dict())  # the chapters read the bundle's JSON
    assert words.startswith("1 of 12 identified trials (148 of 148 participants where known")
    assert "the size of 11 trials not recorded" in words
    assert "awaiting counts: Pending2000" in words


@pytest.fixture
def ms_bundle(monkeypatch):
    df = _ms_world()
    found = [
        Outcome(
            1,
            "Pending2004",
            "thromboembolic",
            "harm",
            "thromboembolic_event",
            "DVT or PE",
            None,
            None,
            "27 months",
            "no",
            None,
            6,
            159,
            1,
            159,
            "verified",
            "u",
            "q",
            None,
        ),
        Outcome(
            2,
            "Pending2005",
            "sae",
            "harm",
            "serious_adverse_event",
            "SAE in words",
            None,
            None,
            "1 year",
            "no",
            None,
            None,
            None,
            None,
            None,
            "pending",
            "u",
            "q",
            None,
        ),
    ]
    bundle = to_json(  # as the results bundle writes it
        {
            "completeness": completeness(df, _primary(df), found),
            "harms": harms(df, found, _fit),
        }
    )
    monkeypatch.setattr(site, "bundle", lambda: bundle)
    return bundle


def test_the_home_page_and_the_findings_rows_say_1_of_12(ms_bundle):
    home = site.completeness_lines().data
    assert "**IVIG vs placebo, multiple sclerosis:** 1 of 12 identified trials (" in home
    # a comparison x disease with identified trials but no counts appears as such
    assert "**IVIG vs placebo, optic neuritis:** 2 trials identified, none with counts yet" in home
    table = site.completeness_table("placebo").data
    row = next(line for line in table.splitlines() if line.startswith("| Multiple sclerosis"))
    assert "1 of 12 identified trials" in row and "Pending2000" in row
    assert "| Optic neuritis | 2 trials identified, none with counts yet |" in table
    sentence = site.completeness_sentence("placebo").data
    assert "1 of the 14 trials identified" in sentence and "other 13 trials" in sentence
    assert "multiple sclerosis, 1 of 12" in sentence and "optic neuritis, 0 of 2" in sentence
    note = site.completeness_note("placebo").data
    assert "Multiple sclerosis: 1 of 12 identified trials" in note


def test_every_summary_of_findings_shows_harms_with_counts_or_not_yet_extracted(ms_bundle):
    row = ms_bundle["harms"]["placebo"]["multiple_sclerosis"]["rows"][0]
    assert (row["ivig_events"], row["ivig_total"], row["control_events"]) == (6, 159, 1)
    mh = row["analysis"]["common"]["mh"]
    se = math.sqrt(1 / 6 - 1 / 159 + 1 / 1 - 1 / 159)  # Katz: metafor's escalc(RR) for one trial
    assert mh["estimate"] == pytest.approx(6.0, rel=1e-9)
    assert mh["ci_low"] == pytest.approx(math.exp(math.log(6) - Z * se), rel=1e-6)
    assert mh["ci_high"] == pytest.approx(math.exp(math.log(6) + Z * se), rel=1e-6)
    table = site.harms_table("placebo").data
    lines = table.splitlines()
    te = next(line for line in lines if "Thromboembolic events" in line)
    assert "| 6/159 | 1/159 | RR 6.00 (95 % CI 0.73 to 49.27) |" in te
    assert any(
        "Other harms: not yet extracted (1 trial reports harms only in words: Pending2005)" in line
        for line in lines
    )
    optic = next(line for line in lines if line.startswith("| Optic neuritis"))
    assert "Harms: not yet extracted" in optic


def test_choice_of_outcome_repeats_the_analysis_with_each_alternative():
    prot = protocol_mod.load(FIXTURE / "protocol.yaml")
    report = validate(FIXTURE)
    found = outcomes_mod.load(FIXTURE, report.records, prot)
    from analysis.evidence import studies

    df = studies.load_studies(FIXTURE)
    primary = {"placebo": studies.primary(df, "placebo")}
    cells = to_json(choice_of_outcome(primary, found, _fit))["placebo"]
    mg = cells["myasthenia_gravis"]
    assert [a["outcome_id"] for a in mg["alternatives"]] == [
        "mgadl_responder_w24",
        "mgc_responder_w24",
    ]
    adl = mg["alternatives"][0]
    got = adl["analysis"]["common"]["mh"]["estimate"]
    assert got == pytest.approx((21 / 30) / (13 / 32), rel=1e-9)
    primary_rr = mg["primary"]["common"]["mh"]["estimate"]
    assert primary_rr == pytest.approx((21 / 30) / (19 / 32), rel=1e-9)
    assert adl["same_arms"] is True
    lgi1 = cells["autoimmune_encephalitis"]["alternatives"][0]
    assert (lgi1["same_arms"], lgi1["analysed_arms"]) == (False, [8, 9])  # a subgroup
    # the pool across diseases is repeated too, every other trial unchanged
    assert {a["outcome_id"] for a in cells["all"]["alternatives"]} >= {"mgadl_responder_w24"}
    assert cells["all"]["alternatives"][0]["analysis"]["k"] == cells["all"]["primary"]["k"]


def _prot(**changes) -> dict:
    base = {
        "adopted": "2026-12-01",
        "amendments": [],
        "primary_outcome": {"rules": [{"rule": 1, "select": "trial_primary", "text": "x"}]},
        "harms": {"types": ["death"], "text": "t"},
    }
    base.update(changes)
    return {"comparisons": {}, "protocol": base}


def test_a_protocol_amendment_is_listed_first_in_the_diff_and_whats_new():
    from analysis.publish.release import whats_new

    amended = _prot(
        amendments=[{"date": "2027-01-05", "change": "Harms add <b>falls</b>.", "reason": "R."}],
        harms={"types": ["death", "serious_adverse_event"], "text": "t"},
    )
    lines = protocol_changes(_prot(), amended)
    assert len(lines) == 1 and lines[0].startswith("**Protocol amendment** (2027\\-01\\-05)")
    assert "<b>" not in lines[0]  # data text is escaped
    d = compare_mod.compare(compare_mod.Side("base", _prot()), compare_mod.Side("head", amended))
    assert d.reviews[0] == lines[0]
    assert whats_new(d).splitlines()[2].startswith("- **Protocol amendment**")
    silent = protocol_changes(_prot(), _prot(harms={"types": [], "text": "t"}))
    assert "without a dated amendment" in silent[0] and "harms" in silent[0]
    assert protocol_changes(_prot(), _prot()) == []


def test_data_text_in_harms_and_outcome_tables_stays_plain_text(monkeypatch):
    df = _ms_world()
    evil = "<script>alert(1)</script> [x](javascript:alert(1)) | col"
    found = [
        Outcome(
            1,
            "Pending2004",
            "te",
            "harm",
            "thromboembolic_event",
            evil,
            None,
            None,
            "t",
            "no",
            None,
            6,
            159,
            1,
            159,
            "verified",
            "u",
            "q",
            None,
        )
    ]
    bundle = to_json({"completeness": completeness(df, _primary(df), found)})
    bundle["harms"] = to_json(harms(df, found, _fit))
    monkeypatch.setattr(site, "bundle", lambda: bundle)
    table = site.harms_table("placebo").data
    import re

    assert not re.search(r"(?<!\\)<script", table)  # every markup character escaped
    assert not re.search(r"(?<!\\)\]\(javascript", table)
    row = next(line for line in table.splitlines() if "Thromboembolic" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 7  # the pipe in the data adds no column


def test_on_the_frozen_snapshot_the_sof_row_and_home_line_say_1_of_12():
    """The snapshot (tests/fixtures/data_snapshot, frozen) has 12 placebo x multiple sclerosis
    trials of which one has counts: its summary-of-findings row and home-page line say so."""
    sof = site.findings_table("placebo").data
    ms = next(line for line in sof.splitlines() if line.startswith("| Multiple sclerosis"))
    assert "| 1 of 12 identified (148) |" in ms
    home = site.first_screen().data
    line = next(x for x in home.splitlines() if "placebo, Multiple sclerosis" in x)
    assert "1 of 12 identified trials, 148 participants" in line
    assert "**IVIG vs placebo, multiple sclerosis:** 1 of 12 identified trials (148 of" in (
        site.completeness_lines().data
    )


def test_the_diff_lists_outcome_changes_for_a_maintainer():
    from analysis.publish.diff.outcome_changes import outcome_changes

    def bundle(events: int, rule: int, alt: bool) -> dict:
        harm = {"label": "thromboembolic events", "study_ids": ["Hommes2004_ESIMS"]}
        harm |= {"ivig_events": events, "ivig_total": 159, "control_events": 1}
        harm |= {"control_total": 159}
        alts = [
            {"study_id": "Bril2025", "outcome_id": "mgadl", "ivig_events": 21, "ivig_total": 30}
            | {"control_events": 13, "control_total": 32}
        ]
        return {
            "protocol": {"selections": {"Bril2025": {"outcome_id": "qmg", "rule": rule}}},
            "harms": {"placebo": {"multiple_sclerosis": {"rows": [harm]}}},
            "choice_of_outcome": {
                "placebo": {"myasthenia_gravis": {"alternatives": alts if alt else []}}
            },
        }

    assert outcome_changes(bundle(6, 2, True), bundle(6, 2, True)) == []
    lines = outcome_changes(bundle(6, 2, False), bundle(7, 1, True))
    assert len(lines) == 3, lines
    shown = [x.replace("\\", "") for x in lines]  # data text is Markdown-escaped
    assert "Analysed outcome of Bril2025: qmg (rule 2) before, qmg (rule 1) now" in shown
    assert any(
        "thromboembolic events: 6/159 vs 1/159" in x and "7/159 vs 1/159" in x for x in shown
    )
    assert any(
        x.startswith("Alternative outcome mgadl of Bril2025") and "21/30" in x for x in shown
    )
    d = compare_mod.compare(
        compare_mod.Side("base", bundle(6, 2, True) | {"comparisons": {}}),
        compare_mod.Side("head", bundle(7, 2, True) | {"comparisons": {}}),
    )
    assert any("7\\/159" in r for r in d.reviews)


def test_the_methods_protocol_section_states_the_rules_their_use_and_amendments(monkeypatch):
    text_md = site.protocol_md().data
    assert text_md.startswith("## Protocol {#sec-protocol}")
    assert "\n1. " in text_md and "\n2. " in text_md and "\n3. " in text_md
    assert "rule 2: Bril2025\\_MG\\_maintenance" in text_md  # the frozen snapshot's selection
    assert "has not been amended" in text_md
    amended = dict(site.bundle())
    amended["protocol"] = dict(amended["protocol"])
    amended["protocol"]["amendments"] = [
        {"date": "2027-02-01", "change": "Rule 3 now <i>first</i>.", "reason": "Because."}
    ]
    monkeypatch.setattr(site, "bundle", lambda: amended)
    shown = site.protocol_md().data
    assert "- 2027\\-02\\-01: Rule 3 now \\<i\\>first\\<\\/i\\>\\. Reason: Because\\." in shown
