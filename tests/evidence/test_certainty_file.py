"""Reviewers' GRADE judgements in data/certainty.csv: rules, reader and the validate hook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.evidence import certainty_file as cf
from analysis.evidence.validate import package_fields, validate
from tests.snapshot import SNAPSHOT

ROOT = Path(__file__).resolve().parents[2]
HEADER = ",".join(cf.COLUMNS) + "\n"


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / cf.CERTAINTY
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_shipped_file_follows_the_rules():
    """A rule of data/ (whatever judgements it holds): the file passes its checks."""
    assert cf.check(ROOT / "data" / cf.CERTAINTY, package_fields()) == ()


def test_snapshot_file_holds_no_judgement():
    assert cf.check(SNAPSHOT / cf.CERTAINTY, package_fields()) == ()
    assert cf.read_overrides(SNAPSHOT / cf.CERTAINTY) == {}


def test_missing_file_is_fine(tmp_path):
    assert cf.check(tmp_path / cf.CERTAINTY) == ()
    assert cf.read_overrides(tmp_path / cf.CERTAINTY) == {}


def test_good_row_is_read(tmp_path):
    p = _write(
        tmp_path, "placebo,cidp,imprecision,not_serious,Large effect; CI far from 1,A. Reviewer\n"
    )
    assert cf.check(p, package_fields()) == ()
    o = cf.read_overrides(p)[("placebo", "cidp")]["imprecision"]
    assert (o.rating, o.rationale, o.reviewer) == (
        "not_serious",
        "Large effect; CI far from 1",
        "A. Reviewer",
    )


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("vaccine,cidp,imprecision,serious,r,x", "comparison", "must be one of"),
        ("placebo,gout,imprecision,serious,r,x", "disease", "disease code"),
        ("placebo,cidp,precision,serious,r,x", "domain", "must be one of"),
        ("placebo,cidp,imprecision,bad,r,x", "rating", "must be one of"),
        ("placebo,cidp,imprecision,serious,,x", "rationale", "required"),
        ("placebo,cidp,imprecision,serious,r,", "reviewer", "required"),
    ],
)
def test_bad_rows_name_row_column_and_rule(tmp_path, row, column, rule):
    problems = cf.check(_write(tmp_path, row + "\n"), package_fields())
    assert len(problems) == 1
    p = problems[0]
    assert (p.row, p.column) == (2, column) and rule in p.rule
    assert str(p).startswith(f"{p.file}:2:{column}: ")


def test_duplicate_judgement(tmp_path):
    row = "placebo,all,indirectness,serious,r,x\n"
    problems = cf.check(_write(tmp_path, row + row), package_fields())
    assert [(p.row, p.column) for p in problems] == [(3, "domain")]
    assert "judged twice" in problems[0].rule


def test_bad_header(tmp_path):
    p = tmp_path / cf.CERTAINTY
    p.write_text("comparison,domain\n", encoding="utf-8")
    (problem,) = cf.check(p)
    assert problem.row == 1 and "header must be" in problem.rule


def test_validate_reports_certainty_problems_with_the_data(tmp_path):
    for name in ("studies.csv", "datapackage.json", "references.bib"):
        shutil.copy(SNAPSHOT / name, tmp_path / name)
    _write(tmp_path, "placebo,cidp,imprecision,maybe,r,x\n")
    report = validate(tmp_path)
    assert not report.ok
    assert any(p.column == "rating" and p.file.endswith(cf.CERTAINTY) for p in report.errors)


def test_read_like_every_csv_of_data(tmp_path):
    # the one reader (evidence/csvfile): a byte-order mark is a warning and the row is read;
    # bytes that are not UTF-8 and a broken quote are errors naming their row
    good = "placebo,cidp,imprecision,not_serious,r,x\n"
    p = tmp_path / cf.CERTAINTY
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER + good).encode())
    (bom,) = cf.check(p, package_fields())
    assert bom.severity == "warning" and "byte-order mark" in bom.rule
    assert set(cf.read_overrides(p)) == {("placebo", "cidp")}
    p.write_bytes((HEADER + good).encode() + b"placebo,cidp,rating,serious,M\xfcller,x\n")
    (latin,) = cf.check(p, package_fields())
    assert (latin.row, latin.rule) == (3, "not UTF-8 text: save the file as UTF-8")
    with pytest.raises(ValueError, match="not UTF-8"):
        cf.read_overrides(p)
    p.write_text(HEADER + good + 'placebo,cidp,rating,serious,"r,x\n', encoding="utf-8")
    (quote,) = cf.check(p, package_fields())
    assert quote.row == 3 and quote.rule.startswith("malformed CSV")
