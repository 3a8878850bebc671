"""The protocol as data (protocol.yaml) and every outcome (outcomes.csv): rules and selection.

Every case works on the frozen fixture ``tests/fixtures/outcomes/`` (five trials copied from
the register, with the protocol) and edits a copy of it; nothing here reads today's
``data/`` except the check that the shipped files pass.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis.errors import UserError
from analysis.evidence import outcomes, protocol
from analysis.evidence.validate import validate

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "outcomes"
BRIL = "Bril2025_MG_maintenance"


def _copy(tmp_path: Path) -> Path:
    for f in FIXTURE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _edit(folder: Path, study: str, outcome: str, **changes: str) -> None:
    rows = _rows(folder / "outcomes.csv")
    hit = [r for r in rows if r["study_id"] == study and r["outcome_id"] == outcome]
    assert len(hit) == 1
    hit[0].update(changes)
    _write(folder / "outcomes.csv", rows)


def _errors(folder: Path) -> list[str]:
    return [str(p) for p in validate(folder).errors]


def test_the_fixture_and_the_shipped_data_pass():
    assert _errors(FIXTURE) == []
    assert validate().ok


def test_the_protocol_selects_the_qmg_responder_for_bril_2025_by_rule_2():
    prot = protocol.load(FIXTURE / "protocol.yaml")
    studies = validate(FIXTURE).records
    got = outcomes.load(FIXTURE, studies, prot)
    sel = got.selections[BRIL]
    assert (sel.outcome.outcome_id, sel.rule.rule) == ("qmg_responder_w24", 2)
    alternatives = [o.outcome_id for o in got.alternatives(BRIL, ("improvement", "responder"))]
    assert alternatives == ["mgadl_responder_w24", "mgc_responder_w24"]
    # rule 1 (the trial's primary count) and rule 3 (first listed) select too
    assert got.selections["Dubey2020"].rule.rule == 1
    assert got.selections["Mendell2001"].rule.rule == 3


def test_a_data_set_claiming_mg_adl_as_analysed_fails_with_one_clear_line(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, BRIL, "qmg_responder_w24", protocol_rule="")
    _edit(folder, BRIL, "mgadl_responder_w24", protocol_rule="2")
    errors = _errors(folder)
    assert len(errors) == 1, errors
    line = errors[0]
    assert line.startswith("tests/fixtures") is False and "outcomes.csv:" in line
    assert "protocol_rule" in line and BRIL in line
    assert "selects qmg_responder_w24" in line and "rule 2" in line
    assert "not mgadl_responder_w24" in line


def test_studies_csv_carrying_the_mg_adl_counts_fails_with_one_clear_line(tmp_path):
    """The analysed counts moved back to MG-ADL: studies.csv 21/30 vs 13/32, in_studies on it."""
    folder = _copy(tmp_path)
    studies = _rows(folder / "studies.csv")
    bril = next(r for r in studies if r["study_id"] == BRIL)
    bril.update(control_improved="13")
    _write(folder / "studies.csv", studies)
    _edit(
        folder,
        BRIL,
        "qmg_responder_w24",
        status="derived",
        ivig_events="21",
        ivig_total="30",
        control_events="19",
        control_total="32",
        source_url="https://pubmed.ncbi.nlm.nih.gov/39506903/",
        source_quote="70.0% for IGIV-C versus 59.4% for placebo",
    )
    rows = _rows(folder / "outcomes.csv")
    mg = next(r for r in rows if r["outcome_id"] == "mgadl_responder_w24")
    mg.update(status="in_studies", ivig_events="", ivig_total="", control_events="")
    mg.update(control_total="", source_url="", source_quote="")
    _write(folder / "outcomes.csv", rows)
    errors = _errors(folder)
    assert len(errors) == 1, errors
    assert "selects qmg_responder_w24" in errors[0] and ":status:" in errors[0]


def test_the_validate_command_names_the_rule_and_exits_2(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, BRIL, "qmg_responder_w24", protocol_rule="1")
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert "record 2" in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("study", "outcome", "changes", "column", "rule"),
    [
        (
            "Hommes2004_ESIMS",
            "thromboembolic_27mo",
            {"ivig_events": "160"},
            "ivig_events",
            "more events",
        ),
        (
            "Hommes2004_ESIMS",
            "thromboembolic_27mo",
            {"source_quote": ""},
            "source_quote",
            "required",
        ),
        ("Hommes2004_ESIMS", "thromboembolic_27mo", {"status": "pending"}, "ivig_events", "blank"),
        (
            "Hommes2004_ESIMS",
            "thromboembolic_27mo",
            {"control_total": "-1"},
            "control_total",
            "minimum",
        ),
        (
            "Hommes2004_ESIMS",
            "thromboembolic_27mo",
            {"kind": "efficacy"},
            "outcome_type",
            "not a efficacy",
        ),
        (
            "Hommes2004_ESIMS",
            "thromboembolic_27mo",
            {"protocol_rule": "1"},
            "protocol_rule",
            "harm",
        ),
        (
            "Hommes2004_ESIMS",
            "thromboembolic_27mo",
            {"study_id": "Nobody2001"},
            "study_id",
            "no trial",
        ),
        (BRIL, "qmg_responder_w24", {"ivig_total": "30"}, "ivig_total", "in studies.csv"),
        (BRIL, "qmg_responder_w24", {"trial_primary": "maybe"}, "trial_primary", "not one of"),
        (BRIL, "mgc_responder_w24", {"notes": ""}, "notes", "derived"),
    ],
)
def test_a_broken_outcome_row_is_a_clear_error(tmp_path, study, outcome, changes, column, rule):
    folder = _copy(tmp_path)
    _edit(folder, study, outcome, **changes)
    report = validate(folder)
    errors = [p for p in report.errors if p.file.endswith("outcomes.csv")]
    assert any(p.column == column and rule in p.rule for p in errors), [str(p) for p in errors]


def test_counts_in_studies_need_their_outcome_recorded(tmp_path):
    folder = _copy(tmp_path)
    rows = [r for r in _rows(folder / "outcomes.csv") if r["study_id"] != "Mendell2001"]
    _write(folder / "outcomes.csv", rows)
    assert any("Mendell2001 has counts" in e for e in _errors(folder))


def test_a_folder_without_protocol_or_outcomes_is_checked_as_before(tmp_path):
    folder = _copy(tmp_path)
    (folder / "outcomes.csv").unlink()
    (folder / "protocol.yaml").unlink()
    assert _errors(folder) == []


def _protocol(tmp_path: Path, edit) -> Path:
    folder = _copy(tmp_path)
    raw = yaml.safe_load((folder / "protocol.yaml").read_text(encoding="utf-8"))
    edit(raw)
    (folder / "protocol.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("edit", "column", "rule"),
    [
        (lambda r: r.pop("harms"), "harms", "missing"),
        (
            lambda r: r["primary_outcome"]["rules"][0].update(select="best_p"),
            "rules[1].select",
            "not one of",
        ),
        (lambda r: r["primary_outcome"]["rules"][1].update(rule=5), "rules[2].rule", "in order"),
        (lambda r: r.update(adopted="soon"), "adopted", "date"),
        (
            lambda r: r.update(amendments=[{"date": "2026-12-02", "change": "x"}]),
            "amendments[1]",
            "reason",
        ),
        (lambda r: r["harms"].update(types=["headache"]), "harms.types", "not one of"),
        (lambda r: r.update(comparators=["surgery"]), "comparators", "not one of"),
        (
            lambda r: r["primary_outcome"].update(outcome_types=["improvement"]),
            "primary_outcome.outcome_types",
            "needs the code changed",
        ),
    ],
)
def test_a_broken_protocol_is_a_clear_error(tmp_path, edit, column, rule):
    folder = _protocol(tmp_path, edit)
    errors = [p for p in validate(folder).errors if p.file.endswith("protocol.yaml")]
    assert any(column in p.column and rule in p.rule for p in errors), [str(p) for p in errors]
    with pytest.raises(UserError, match=r"protocol\.yaml"):
        protocol.load(folder / "protocol.yaml")


def test_rule_order_is_the_protocol_s_precedence(tmp_path):
    """Amend the protocol so that rule 3 comes first: Bril 2025 is then its first-listed outcome."""

    def first_listed_first(raw):
        rules = raw["primary_outcome"]["rules"]
        rules.insert(0, rules.pop())
        for i, r in enumerate(rules, start=1):
            r["rule"] = i

    folder = _protocol(tmp_path, first_listed_first)
    prot = protocol.load(folder / "protocol.yaml")
    rows = [
        o
        for o in outcomes.check(
            folder / "outcomes.csv", validate(FIXTURE).records, None, _Sink()
        ).rows
        if o.study_id == BRIL
    ]
    rule, pick = outcomes.select(rows, prot)
    assert (rule.select, pick.outcome_id) == ("first_listed", "qmg_responder_w24")
    # and Mendell 2001 still falls to first_listed whatever the order
    amended = [p for p in validate(folder).errors if "protocol_rule" in p.column]
    assert amended, "a recorded rule number that the amended protocol renumbers is refused"


class _Sink:
    def __init__(self) -> None:
        self.items: list = []

    def error(self, *args) -> None:
        self.items.append(args)

    def warn(self, *args) -> None:
        self.items.append(args)


def test_contributing_shows_the_real_refusal_line(tmp_path):
    """CONTRIBUTING.md's example is what the command prints for the edit it describes
    (on the frozen data snapshot, so the row numbers never move)."""
    from tests.snapshot import copy_snapshot

    data = copy_snapshot(tmp_path / "data")
    _edit(data, BRIL, "qmg_responder_w24", protocol_rule="")
    _edit(data, BRIL, "mgadl_responder_w24", protocol_rule="2")
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "data"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if "warning" not in line]
    assert len(errors) == 1, errors
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert f"```\n{errors[0]}\n```" in guide


def test_validate_protocol_says_which_rule_selected_which_row():
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", str(FIXTURE), "--protocol"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()[1:]
    bril = next(line for line in lines if line.startswith(BRIL))
    assert "qmg_responder_w24 (" in bril and "outcomes.csv:" in bril
    assert "selected by rule 2" in bril and "same_instrument" in bril
    assert any(line.startswith("Mendell2001: disability_improved") for line in lines)


def test_contributing_carries_the_generated_outcomes_dictionary():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    begin, end = "<!-- outcomes dictionary: begin -->\n", "<!-- outcomes dictionary: end -->"
    committed = text.split(begin, 1)[1].split(end, 1)[0]
    from analysis.evidence.studies import datadictionary

    assert committed == datadictionary(fields=outcomes.fields())
    for f in outcomes.fields():
        assert f"| `{f['name']}` |" in committed
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--outcomes-dictionary"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0 and run.stdout == committed
