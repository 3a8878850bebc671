"""The search record (data/search.yaml): its rules and what the Methods chapter takes from it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from analysis import vocabulary
from analysis.errors import UserError
from analysis.evidence import search
from analysis.evidence.validate import validate
from tests.snapshot import SNAPSHOT

#: the frozen data snapshot (tests/fixtures/data_snapshot); LIVE is today's data/ (rules only)
DATA = SNAPSHOT
LIVE = Path(__file__).resolve().parents[2] / "data"


def _copy(tmp_path: Path, edit=None) -> Path:
    for name in ("studies.csv", "datapackage.json", "references.bib", "search.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    if edit is not None:
        raw = yaml.safe_load((tmp_path / "search.yaml").read_text(encoding="utf-8"))
        edit(raw)
        (tmp_path / "search.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return tmp_path


def test_the_shipped_record_is_valid_and_dated():
    """A rule of data/: the record loads, its dates are in order, its comparators are known."""
    rec = search.load(LIVE)
    assert rec.identification_started <= rec.last_searched
    assert set(rec.eligibility["comparators"]) <= set(vocabulary.COMPARATORS)
    assert validate(LIVE).ok


def test_the_snapshot_record_is_read():
    rec = search.load(DATA)
    assert rec.last_searched == dt.date(2026, 11, 30)
    assert set(rec.eligibility["comparators"]) == {"placebo", "plasma_exchange", "corticosteroid"}


@pytest.mark.parametrize(
    ("edit", "column", "rule"),
    [
        (lambda r: r.pop("last_searched"), "last_searched", "required"),
        (lambda r: r.update(last_searched="30 November"), "last_searched", "must be a date"),
        (lambda r: r.update(last_searched="2026-11-01"), "last_searched", "before"),
        (lambda r: r["eligibility"].update(comparators=["surgery"]), "eligibility.comparators", ""),
        (lambda r: r.update(sources=[{"kind": "x"}]), "sources[1]", "kind and a detail"),
    ],
)
def test_a_broken_rule_is_one_clear_error(tmp_path, edit, column, rule):
    report = validate(_copy(tmp_path, edit))
    errors = [p for p in report.errors if p.file.endswith("search.yaml")]
    assert errors, "the validator must check the search record"
    assert any(p.column == column and rule in p.rule for p in errors), [str(p) for p in errors]
    with pytest.raises(UserError, match=r"search\.yaml"):
        search.load(tmp_path)


def test_a_missing_record_in_a_data_directory_is_not_required_elsewhere(tmp_path):
    _copy(tmp_path)
    (tmp_path / "search.yaml").unlink()
    assert not [p for p in validate(tmp_path).errors if "search" in p.file]


def test_new_trials_are_those_published_after_the_source_review_search():
    rec = search.load(DATA)
    years = {"A2021": 2021, "B2022": 2022, "C2025": 2025, "D1996": 1996}
    assert search.new_since_source_review(rec, years) == ["B2022", "C2025"]
