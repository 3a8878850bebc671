"""The validator: every rule, every quirk of CSV files, exact messages, nothing written."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from analysis.evidence.studies import DataError, datadictionary, load_studies
from analysis.evidence.validate import MAX_BYTES, Problem, validate
from tests.snapshot import SNAPSHOT, copy_snapshot

ROOT = Path(__file__).resolve().parents[2]
#: code tests read the frozen copy of data/ (tests/fixtures/data_snapshot), never today's data/
DATA = SNAPSHOT
#: the columns of the curated trial register, which studies.csv keeps first and in order
REGISTER_COLUMNS = (
    "study_id,author,year,disease,population,comparator,ivig_improved,ivig_total,"
    "control_improved,control_total,outcome_type,outcome_definition,timepoint,design,status,"
    "pmid,doi,source_url,source_quote,notes"
).split(",")
CORPUS = ROOT / "tests" / "data_corpus"

# (entry in tests/data_corpus, exit status, stderr lines without the summary; {f} = the path)
CASES = [
    ("events_exceed_total.csv", 2, [
        "{f}:2:ivig_improved: more events than patients in the IVIG arm (40 > 15)",
        "{f}:2:ivig_improved: warning: 40 is not in source_quote (in digits, in words or as a"
        " percentage of the IVIG arm's 15): check the count against the quote (\"Fifteen"
        " patients were randomised to IVIg and 13 to placebo. In the IV…\")",
    ]),
    ("total_zero.csv", 2, [
        "{f}:2:control_total: below the minimum 1 (0)",
    ]),
    ("count_not_integer.csv", 2, [
        "{f}:2:ivig_total: not an integer (15.0)",
    ]),
    ("count_negative.csv", 2, [
        "{f}:2:control_improved: below the minimum 0 (-3)",
    ]),
    ("counts_missing_verified.csv", 2, [
        "{f}:2:control_improved: count required when status is verified (empty)",
    ]),
    ("counts_on_pending.csv", 2, [
        "{f}:3:ivig_improved: count must be blank while status is pending (9)",
        "{f}:3:ivig_total: count must be blank while status is pending (16)",
        "{f}:3:control_improved: count must be blank while status is pending (5)",
        "{f}:3:control_total: count must be blank while status is pending (14)",
    ]),
    ("verified_without_source.csv", 2, [
        "{f}:2:source_url: required when status is verified (empty)",
        "{f}:2:source_quote: required when status is verified (empty)",
    ]),
    ("outcome_missing_verified.csv", 2, [
        "{f}:2:outcome_type: required when status is verified (empty)",
        "{f}:2:outcome_definition: required when status is verified (empty)",
    ]),
    ("derived_without_arithmetic.csv", 2, [
        "{f}:2:notes: a derived row must show its arithmetic in notes, e.g. '24 - 21 = 3'"
        " (LOW CONFIDENCE, DERIVED from the follow…)",
        "{f}:2:outcome_type: warning: outside the primary analysis (improvement, responder):"
        " sensitivity analyses only (treatment_success)",
    ]),
    ("crossover_not_marked.csv", 2, [
        "{f}:3:crossover_data: design is a crossover: say first_period or paired"
        " (not_applicable)",
    ]),
    ("crossover_unknown_verified.csv", 2, [
        "{f}:2:crossover_data: unknown is allowed only while pending (unknown)",
    ]),
    ("crossover_paired_with_counts.csv", 2, [
        f"{{f}}:2:{col}: paired crossover counts cannot be pooled as independent arms:"
        f" leave the counts blank ({v})"
        for col, v in [
            ("ivig_improved", 11), ("ivig_total", 17), ("control_improved", 6),
            ("control_total", 17),
        ]
    ] + [
        "{f}:2:outcome_type: warning: outside the primary analysis (improvement, responder):"
        " sensitivity analyses only (relapse_free)",
    ]),
    ("parallel_marked_first_period.csv", 2, [
        "{f}:2:crossover_data: first_period but the design is not a crossover (parallel)",
    ]),
    ("duplicate_study_id.csv", 2, [
        "{f}:5:study_id: duplicate value: already on row 2 (Vermeulen1993)",
    ]),
    ("no_bibliography_entry.csv", 2, [
        "{f}:2:study_id: no entry in references.bib (Vermeulen1994)",
    ]),
    ("year_before_era.csv", 2, [
        "{f}:2:year: before the trial era: the first year allowed is 1980 (1975)",
    ]),
    ("year_not_integer.csv", 2, [
        "{f}:2:year: not an integer (c. 1993)",
    ]),
    ("doi_malformed.csv", 2, [
        "{f}:2:doi: malformed DOI: expected 10.NNNN/suffix, without https://doi.org/"
        " (https://doi.org/10.1136/jnnp.56.1.36)",
    ]),
    ("pmid_malformed.csv", 2, [
        "{f}:2:pmid: malformed PMID: expected digits only (PMID8429321)",
    ]),
    ("rereport_counted_twice.csv", 2, [
        "{f}:3:rereports: re-reports a trial already counted on row 2: only one report of a"
        " trial may carry counts (Fazekas1997_AIMS)",
        "{f}:3:ivig_total: warning: 20 is not in source_quote (in digits or in words): check"
        " the IVIG arm's size against the quote (\"We conducted a double-blind,"
        " placebo-controlled study of 40 patients …\")",
        "{f}:3:control_improved: warning: zero cell: no events in the control arm (0/20)",
        "{f}:3:control_total: warning: 20 is not in source_quote (in digits or in words): check"
        " the control arm's size against the quote (\"We conducted a double-blind,"
        " placebo-controlled study of 40 patients …\")",
        "{f}:3:outcome_type: warning: outside the primary analysis (improvement, responder):"
        " sensitivity analyses only (relapse_free)",
    ]),
    ("rereport_unknown_study.csv", 2, [
        "{f}:3:rereports: names no study_id in this file (Strasser2000)",
    ]),
    ("enum_wrong_case.csv", 2, [
        "{f}:2:comparator: not one of placebo, plasma_exchange, corticosteroid;"
        " did you mean placebo? (Placebo)",
    ]),
    ("enum_unknown_status.csv", 2, [
        "{f}:2:status: not one of verified, derived, pending (checked)",
    ]),
    ("required_missing.csv", 2, [
        "{f}:2:author: required value missing (empty)",
    ]),
    ("rob_inconsistent.csv", 2, [
        "{f}:3:rob_overall: must be high when a domain is high (not_assessed)",
        "{f}:3:rob_source: a risk-of-bias judgement needs its provenance (empty)",
    ]),
    ("rob_without_provenance.csv", 2, [
        "{f}:2:rob_source: a risk-of-bias judgement needs its provenance (empty)",
    ]),
    ("header_typo.csv", 2, [
        "{f}:1:ivig_improvd: unknown column; did you mean ivig_improved?",
        "{f}:1:-: missing column (ivig_improved)",
    ]),
    ("extra_column.csv", 2, [
        "{f}:1:comments: unknown column",
    ]),
    ("columns_out_of_order.csv", 2, [
        "{f}:1:disease: columns not in the schema's order: expected year",
    ]),
    ("empty.csv", 2, [
        "{f}:1:-: empty file: expected a header row",
    ]),
    ("header_only.csv", 2, [
        "{f}:2:-: no trial rows below the header",
    ]),
    ("latin1_bytes.csv", 2, [
        "{f}:3:author: not UTF-8 text: save the file as UTF-8 (S\\xf8rensen)",
    ]),
    ("unquoted_comma.csv", 2, [
        "{f}:3:-: row has 30 cells but the header has 29: a comma or line break inside a"
        " value, likely in population (optic neuritis (persistent visual loss,…): put that"
        " value in double quotes (a spreadsheet saving CSV does this)",
    ]),
    ("unclosed_quote.csv", 2, [
        "{f}:2:-: malformed CSV: a double quote must open and close a whole value"
        " (write a quote inside a value as \"\") (',' expected after '\"')",
    ]),
    ("quote_never_closed.csv", 2, [
        "{f}:5:-: malformed CSV: a double quote must open and close a whole value"
        " (write a quote inside a value as \"\") (unexpected end of data)",
    ]),
    ("blank_row_inside.csv", 2, [
        "{f}:3:-: blank row inside the table",
    ]),
    ("bom_utf8.csv", 0, [
        "{f}:1:-: warning: UTF-8 byte-order mark at the start of the file, as a spreadsheet"
        " saves it (ignored); python -m analysis validate --fix removes it",
    ]),
    ("crlf_line_ends.csv", 0, [
        "{f}:1:-: warning: Windows line endings (CRLF), as a spreadsheet saves them: every line"
        " of the file would change in the pull request; python -m analysis validate --fix"
        " rewrites them as LF",
    ]),
    ("trailing_blank_line.csv", 0, [
        "{f}:5:-: warning: blank line at the end of the file (ignored)",
    ]),
    ("quoted_commas.csv", 0, []),
    ("whitespace_around_value.csv", 0, [
        "{f}:2:author: warning: space at the start or end of the value (Vermeulen )",
    ]),
    ("bibliography_problems", 2, [
        "{f}/references.bib:6:year: Vermeulen1993: year differs from studies.csv row 2"
        " (1992 vs 1993)",
        "{f}/references.bib:18:pmid: malformed PMID (88-13271)",
        "{f}/references.bib:23:Hahn1996: duplicate key: first on line 13",
    ]),
    ("count_not_in_quote.csv", 0, [
        "{f}:2:ivig_improved: warning: 7 is not in source_quote (in digits, in words or as a"
        " percentage of the IVIG arm's 8): check the count against the quote (\"Six of 8"
        " patients in the IVIG group were responders, compared to 2 of…\")",
        "{f}:2:ivig_total: warning: tiny arm: fewer than 10 patients (8)",
        "{f}:2:control_total: warning: tiny arm: fewer than 10 patients (9)",
    ]),
    ("arms_transposed.csv", 0, [
        "{f}:2:ivig_improved: warning: arms look transposed: the quote gives 6 of 8 for IVIG"
        " and 2 of 9 for the comparator; swap the arms' counts (\"Six of 8 patients in the"
        " IVIG group were responders, compared to 2 of…\")",
        "{f}:2:ivig_total: warning: tiny arm: fewer than 10 patients (9)",
        "{f}:2:control_total: warning: tiny arm: fewer than 10 patients (8)",
    ]),
    ("descriptor_invalid_json", 2, [
        "{f}/datapackage.json:17:7: invalid JSON (Expecting ',' delimiter)",
    ]),
]  # fmt: skip

_SUMMARY = re.compile(
    r"(?P<file>.+): (?P<rows>\d+) rows?, (?P<e>\d+) errors?, (?P<w>\d+) warnings?"
)


def _digest(path: Path) -> dict[str, str]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout, from any directory
    )


def test_corpus_is_large_and_every_entry_is_tested():
    entries = {p.name for p in CORPUS.iterdir() if p.name != "README.md"}
    assert entries == {name for name, _, _ in CASES}
    broken = [name for name, status, _ in CASES if status == 2]
    assert len(broken) >= 25
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for name in entries:
        assert f"`{name}" in readme, name


@pytest.mark.parametrize(("name", "status", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corpus_entry(name, status, expected):
    rel = f"tests/data_corpus/{name}"
    before = _digest(CORPUS / name)
    data_before = _digest(ROOT / "data")
    proc = _run(rel)
    assert _digest(CORPUS / name) == before, "the validator changed a file"
    assert _digest(ROOT / "data") == data_before
    assert proc.returncode == status, proc.stderr
    lines = proc.stderr.splitlines()
    if status == 0:
        summary = proc.stdout.strip()
    else:
        assert proc.stdout == ""
        summary = lines.pop()
    assert lines == [e.format(f=rel) for e in expected]
    m = _SUMMARY.fullmatch(summary)
    assert m, summary
    assert int(m["e"]) == sum(": warning: " not in x for x in lines)
    assert int(m["w"]) == sum(": warning: " in x for x in lines)
    # errors are listed before warnings
    kinds = [": warning: " in x for x in lines]
    assert kinds == sorted(kinds)


@pytest.mark.parametrize("name", [c[0] for c in CASES if c[1] == 2])
def test_loader_refuses_every_broken_entry(name):
    path = CORPUS / name
    before = _digest(path)
    with pytest.raises(DataError) as info:
        load_studies(path)
    assert info.value.problems
    assert all(p.severity == "error" for p in info.value.problems)
    assert _digest(path) == before


def test_quirky_but_valid_files_read_the_same_values():
    """BOM, CRLF, a trailing blank line and quoted commas change nothing in the values."""
    plain = validate(CORPUS / "events_exceed_total.csv").records  # same rows, one edit
    for name in ("bom_utf8.csv", "crlf_line_ends.csv", "trailing_blank_line.csv"):
        records = validate(CORPUS / name).records
        assert len(records) == 3
        assert records[1:] == plain[1:], name
        assert records[0]["ivig_improved"] == 4 and plain[0]["ivig_improved"] == 40
    quoted = validate(CORPUS / "quoted_commas.csv").records
    assert quoted[1]["population"] == "optic neuritis (persistent visual loss, MS)"


def test_shipped_data_is_clean_from_any_directory():
    """A rule of data/: it validates (warnings allowed), and the default directory is the
    project's data/, from any working directory."""
    assert _run(cwd=ROOT).returncode == 0
    assert _run(cwd=ROOT / "tests").returncode == 0


def test_snapshot_is_clean_and_its_warnings_are_the_known_caveats(tmp_path):
    copy_snapshot(tmp_path / "data")
    proc = _run("data", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    m = _SUMMARY.fullmatch(proc.stdout.strip())
    assert m and m["file"] == "data/studies.csv" and m["e"] == "0", proc.stdout
    warnings = proc.stderr.splitlines()
    assert warnings == [
        "data/studies.csv:9:outcome_type: warning: outside the primary analysis (improvement,"
        " responder): sensitivity analyses only (treatment_success)",
        "data/studies.csv:23:ivig_total: warning: 20 is not in source_quote (in digits or in"
        " words): check the IVIG arm's size against the quote (\"We conducted a double-blind,"
        ' placebo-controlled study of 40 patients \u2026")',
        "data/studies.csv:23:control_improved: warning: zero cell: no events in the control arm"
        " (0/20)",
        "data/studies.csv:23:control_total: warning: 20 is not in source_quote (in digits or in"
        " words): check the control arm's size against the quote (\"We conducted a double-blind,"
        ' placebo-controlled study of 40 patients \u2026")',
        "data/studies.csv:23:outcome_type: warning: outside the primary analysis (improvement,"
        " responder): sensitivity analyses only (relapse_free)",
        "data/studies.csv:34:ivig_total: warning: tiny arm: fewer than 10 patients (8)",
        "data/studies.csv:34:control_total: warning: tiny arm: fewer than 10 patients (9)",
        "data/studies.csv:41:outcome_type: warning: outside the primary analysis (improvement,"
        " responder): sensitivity analyses only (treatment_success)",
    ]


def test_huge_file_is_refused_quickly(tmp_path):
    big = tmp_path / "studies.csv"
    head = (DATA / "studies.csv").read_bytes()
    with big.open("wb") as fh:
        while fh.tell() <= MAX_BYTES:
            fh.write(head)
    size = big.stat().st_size
    before = _digest(big)
    proc = _run(str(big))
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == (
        f"{big}:-:-: file too large: the limit is {MAX_BYTES} bytes ({size})"
    )
    assert _digest(big) == before


def test_many_problems_are_all_reported(tmp_path):
    """Every error in one run, not just the first: 40 rows with a bad count each."""
    text = (DATA / "studies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    out = [text[0]]
    for line in text[1:]:
        out.append(line.replace(",cidp,", ",CIDP,", 1).replace(",multiple_sclerosis,", ",ms,", 1))
    path = tmp_path / "studies.csv"
    path.write_text("".join(out), encoding="utf-8")
    report = validate(path)
    bad_rows = sorted(p.row for p in report.errors)
    expected = [
        i
        for i, line in enumerate(text[1:], start=2)
        if ",cidp," in line or ",multiple_sclerosis," in line
    ]
    assert bad_rows == expected
    assert len(expected) > 15
    assert all(p.column == "disease" for p in report.errors)


def test_year_after_this_year(tmp_path):
    src = (CORPUS / "events_exceed_total.csv").read_text(encoding="utf-8")
    path = tmp_path / "studies.csv"
    path.write_text(src.replace(",40,15,", ",4,15,").replace(",1993,", ",2031,", 1), "utf-8")
    this_year = dt.datetime.now(dt.UTC).year
    report = validate(path)
    assert [str(p) for p in report.errors][0] == (
        f"{path}:2:year: after the current year {this_year} (2031)"
    )
    later = validate(path, this_year=2031).errors  # now only the bibliography disagrees
    assert [(Path(p.file).name, p.column, p.value) for p in later] == [
        ("references.bib", "year", "1993 vs 2031")
    ]


def test_missing_files(tmp_path):
    proc = _run(str(tmp_path / "nowhere.csv"))
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == f"{tmp_path / 'nowhere.csv'}:-:-: file not found"
    shutil.copy(DATA / "studies.csv", tmp_path / "studies.csv")
    (tmp_path / "references.bib").write_text("", encoding="utf-8")
    report = validate(tmp_path)
    assert len(report.errors) == 40
    assert str(report.errors[0]) == (
        f"{tmp_path / 'studies.csv'}:2:study_id: no entry in references.bib (Hughes2008_ICE)"
    )


def test_problem_format():
    p = Problem("data/studies.csv", 7, "doi", "malformed DOI", "x")
    assert str(p) == "data/studies.csv:7:doi: malformed DOI (x)"
    w = Problem("f.csv", None, "-", "file too large", severity="warning")
    assert str(w) == "f.csv:-:-: warning: file too large"


# --------------------------------------------------------------------------- the descriptor

_NAME = {"type": "string", "pattern": "^([-a-z0-9._/])+$"}
_FIELD_TYPES = [
    "string", "number", "integer", "boolean", "object", "array", "date", "time", "datetime",
    "year", "yearmonth", "duration", "geopoint", "geojson", "any",
]  # fmt: skip
#: The parts of the Frictionless "tabular-data-package" profile our descriptor uses.
TABULAR_DATA_PACKAGE = {
    "type": "object",
    "required": ["resources"],
    "properties": {
        "profile": {"const": "tabular-data-package"},
        "name": _NAME,
        "title": {"type": "string"},
        "description": {"type": "string"},
        "licenses": {
            "type": "array",
            "items": {"type": "object", "anyOf": [{"required": ["name"]}, {"required": ["path"]}]},
        },
        "resources": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "path", "profile", "schema"],
                "properties": {
                    "profile": {"const": "tabular-data-resource"},
                    "name": _NAME,
                    "path": {"type": "string", "pattern": "^(?!/)(?!.*\\.\\.)"},
                    "format": {"type": "string"},
                    "mediatype": {"type": "string", "pattern": "^(.+)/(.+)$"},
                    "encoding": {"type": "string"},
                    "dialect": {"type": "object"},
                    "schema": {
                        "type": "object",
                        "required": ["fields"],
                        "properties": {
                            "fields": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "title": {"type": "string"},
                                        "description": {"type": "string"},
                                        "type": {"enum": _FIELD_TYPES},
                                        "format": {"type": "string"},
                                        "constraints": {
                                            "type": "object",
                                            "additionalProperties": False,
                                            "properties": {
                                                "required": {"type": "boolean"},
                                                "unique": {"type": "boolean"},
                                                "minimum": {"type": "integer"},
                                                "maximum": {"type": "integer"},
                                                "pattern": {"type": "string"},
                                                "enum": {"type": "array", "minItems": 1},
                                                "minLength": {"type": "integer"},
                                                "maxLength": {"type": "integer"},
                                            },
                                        },
                                    },
                                },
                            },
                            "primaryKey": {
                                "oneOf": [
                                    {"type": "string"},
                                    {"type": "array", "items": {"type": "string"}},
                                ]
                            },
                            "foreignKeys": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["fields", "reference"],
                                    "properties": {
                                        "reference": {
                                            "type": "object",
                                            "required": ["resource", "fields"],
                                        }
                                    },
                                },
                            },
                            "missingValues": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}


def test_descriptor_is_a_tabular_data_package():
    pkg = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    jsonschema.validate(pkg, TABULAR_DATA_PACKAGE)
    resource = pkg["resources"][0]
    assert (DATA / resource["path"]).is_file()
    schema = resource["schema"]
    names = [f["name"] for f in schema["fields"]]
    assert len(names) == len(set(names))
    assert set(schema["primaryKey"]) <= set(names)
    for fk in schema["foreignKeys"]:
        assert set(fk["fields"]) <= set(names)
        assert set(fk["reference"]["fields"]) <= set(names)
    # the header of studies.csv is the schema, in order
    header = (DATA / "studies.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == names
    # the register's columns come first, unchanged
    assert names[: len(REGISTER_COLUMNS)] == REGISTER_COLUMNS
    assert {"rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5", "rob_overall"} <= set(names)


def test_descriptor_rejects_what_the_schema_forbids():
    """The jsonschema above has teeth: a wrong field type and a stray constraint fail it."""
    pkg = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    pkg["resources"][0]["schema"]["fields"][0]["type"] = "text"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(pkg, TABULAR_DATA_PACKAGE)
    pkg["resources"][0]["schema"]["fields"][0]["type"] = "string"
    pkg["resources"][0]["schema"]["fields"][0]["constraints"]["required_when"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(pkg, TABULAR_DATA_PACKAGE)


def test_unsupported_descriptor_is_reported(tmp_path):
    pkg = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    pkg["resources"][0]["schema"]["fields"][2]["type"] = "date"
    del pkg["resources"][0]["schema"]["fields"][-1]
    (tmp_path / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")
    shutil.copy(DATA / "studies.csv", tmp_path / "studies.csv")
    proc = _run(str(tmp_path))
    assert proc.returncode == 2
    pkg_path = tmp_path / "datapackage.json"
    assert proc.stderr.splitlines()[:2] == [
        f"{pkg_path}:-:year: unsupported field type (date)",
        f"{pkg_path}:-:rob_source: column missing from the schema",
    ]


# --------------------------------------------------------------------------- documentation


def test_contributing_carries_the_generated_data_dictionary():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    begin, end = "<!-- data dictionary: begin -->\n", "<!-- data dictionary: end -->"
    committed = text.split(begin, 1)[1].split(end, 1)[0]
    assert committed == datadictionary(), (
        "CONTRIBUTING.md's data dictionary differs from datapackage.json: regenerate it with "
        "`python -m analysis validate --dictionary`"
    )


def test_dictionary_lists_every_field_and_the_cli_prints_it():
    table = datadictionary()
    pkg = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    for f in pkg["resources"][0]["schema"]["fields"]:
        assert f"| `{f['name']}` | {f['type']} |" in table
    assert "`some_concerns`" in table and "`first_period`" in table
    proc = _run("--dictionary")
    assert proc.returncode == 0
    assert proc.stdout == table


def test_readme_documents_the_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Contributing data", 1)[1]
    assert "python -m analysis validate" in section
    assert "CONTRIBUTING.md" in section
    template = (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    assert "python -m analysis validate" in template


def _git_repo(root: Path) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e.org",
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
    }
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "data"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def test_contributing_example_is_real_output(tmp_path):
    """The example in CONTRIBUTING.md is what `validate --changed` prints for the edit it
    describes (the summary's counts and commit aside: they depend on the day's data)."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    example = text.split("pasting its DOI as a link:\n\n```\n", 1)[1].split("```", 1)[0]
    copy_snapshot(tmp_path / "data")
    _git_repo(tmp_path)
    csv_path = tmp_path / "data" / "studies.csv"
    rows = csv_path.read_text(encoding="utf-8")
    rows = rows.replace(",4,15,3,13,", ",40,15,3,13,", 1)
    rows = rows.replace(",10.1136/jnnp.56.1.36,", ",https://doi.org/10.1136/jnnp.56.1.36,", 1)
    csv_path.write_text(rows, encoding="utf-8")
    proc = _run("data", "--changed", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    got, want = proc.stderr.splitlines(), example.splitlines()
    assert got[:-1] == want[:-1]
    summary = re.compile(
        r"data/studies\.csv: \d+ rows, 2 errors, 1 warning on the 1 row changed since"
        r" [0-9a-f]{12} \(\d+ more warnings on other rows: validate without --changed lists"
        r" them\)"
    )
    assert summary.fullmatch(got[-1]) and summary.fullmatch(want[-1]), got[-1]


# --------------------------------------------------------------------------- issue 24: quotes


def _quote_warnings(counts, quote):
    from analysis.evidence import quotes

    got: list[tuple[str, str]] = []
    keys = ("ivig_improved", "ivig_total", "control_improved", "control_total")
    quotes.check_row(
        dict(zip(keys, counts, strict=True)), quote, lambda c, r, v: got.append((c, r))
    )
    return got


def test_a_count_the_quote_does_not_give_is_named_with_the_quote():
    quote = "8 of the 16 patients given IVIG improved, compared with 3 of 15 on placebo."
    assert _quote_warnings((8, 16, 3, 15), quote) == []
    got = _quote_warnings((9, 16, 3, 15), quote)
    assert got == [
        (
            "ivig_improved",
            "9 is not in source_quote (in digits, in words or as a percentage of the IVIG"
            " arm's 16): check the count against the quote",
        )
    ]
    # 18 contains 8, 0.8 contains 8: neither is the count 8
    assert [c for c, _ in _quote_warnings((8, 16, 3, 15), "18 of 16, 0.8 and 3 of 15")] == [
        "ivig_improved"
    ]


def test_number_words_and_percentages_with_their_arm_size_count_as_found():
    from analysis.evidence.quotes import number_words

    assert [number_words(w) for w in ("Eight", "twenty-one", "ninety nine", "a hundred")] == [
        8,
        21,
        99,
        100,
    ]
    assert number_words("none") == 0 and number_words("umpteen") is None
    words = "Twenty-one of thirty-four on IVIG and none of the twelve on placebo improved."
    assert _quote_warnings((21, 34, 0, 12), words) == []
    # a percentage stands for the events of its arm: 32/59 = 54.2 %, 12/58 = 20.7 %
    pct = "54% of the 59 patients treated with IGIV-C and 21 % of the 58 given placebo"
    assert _quote_warnings((32, 59, 12, 58), pct) == []
    assert [c for c, _ in _quote_warnings((33, 59, 12, 58), pct)] == ["ivig_improved"]
    # one printed decimal is read at its precision: 20.7 % of 58 is 12, not 13 (22.4 %)
    assert [c for c, _ in _quote_warnings((32, 59, 13, 58), "54% ... 20.7% ... 59 58")] == [
        "control_improved"
    ]


def test_transposed_arms_are_caught_and_respectively_is_not_guessed():
    quote = (
        "Six of 8 patients in the IVIG group were responders,"
        " compared to 2 of 9 in the placebo group."
    )
    assert _quote_warnings((6, 8, 2, 9), quote) == []
    got = _quote_warnings((2, 9, 6, 8), quote)
    assert got == [
        (
            "ivig_improved",
            "arms look transposed: the quote gives 6 of 8 for IVIG and 2 of 9 for the"
            " comparator; swap the arms' counts",
        )
    ]
    before = "In the placebo group 3/15 improved; in the IVIG group, 8 of 16 improved."
    assert [c for c, _ in _quote_warnings((3, 15, 8, 16), before)] == ["ivig_improved"]
    respectively = "20/21 and 18/20 children in the PE and IVIG groups respectively walked."
    assert _quote_warnings((18, 20, 20, 21), respectively) == []
    assert _quote_warnings((20, 21, 18, 20), respectively) == []  # order not guessed


def test_only_verified_rows_with_their_four_counts_are_checked():
    from analysis.evidence import quotes

    got: list = []
    rec = {
        "status": "derived",
        "source_quote": "nothing",
        "ivig_improved": 1,
        "ivig_total": 2,
        "control_improved": 1,
        "control_total": 2,
    }
    quotes.check_record(rec, lambda *a: got.append(a))
    quotes.check_record({**rec, "status": "verified", "control_total": None}, got.append)
    assert got == []
    quotes.check_record({**rec, "status": "verified"}, lambda *a: got.append(a))
    assert len(got) == 4


# --------------------------------------------------------------------------- issue 24: spreadsheets


def _table_text(rows: list[list[str]], newline: str = "\n") -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue()


def _data_rows() -> list[list[str]]:
    """A frozen-shape copy of the register read as cells (values are not asserted)."""
    import csv
    import io

    return list(csv.reader(io.StringIO((DATA / "studies.csv").read_text("utf-8"), newline="")))


def test_fix_round_trips_a_spreadsheet_export_except_the_changed_row(tmp_path):
    """A spreadsheet saves the file with a BOM and CRLF and one edited cell; `--fix`
    gives back the repository's bytes, line for line, except the edited row."""
    shutil.copytree(DATA, tmp_path / "data")
    rows = _data_rows()
    repo_bytes = _table_text(rows).encode()
    (tmp_path / "data" / "studies.csv").write_bytes(repo_bytes)  # the repository's form
    i = next(i for i, r in enumerate(rows) if i and r[rows[0].index("notes")])
    edited = [list(r) for r in rows]
    edited[i][rows[0].index("notes")] += " Checked again, page 3."
    export = b"\xef\xbb\xbf" + _table_text(edited, "\r\n").encode()
    path = tmp_path / "data" / "studies.csv"
    path.write_bytes(export)
    warned = _run("data", cwd=tmp_path)
    assert "warning: UTF-8 byte-order mark at the start of the file" in warned.stderr
    assert "warning: Windows line endings (CRLF), as a spreadsheet saves them" in warned.stderr
    proc = _run("data", "--fix", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "data/studies.csv: fixed: byte-order mark removed, line endings rewritten as LF\n"
    )
    assert "byte-order mark" not in proc.stderr and "CRLF" not in proc.stderr
    fixed = path.read_bytes()
    assert fixed == _table_text(edited).encode()
    old_lines, new_lines = repo_bytes.split(b"\n"), fixed.split(b"\n")
    assert len(old_lines) == len(new_lines)
    differ = [n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert len(differ) == 1 and b"Checked again, page 3." in new_lines[differ[0]]
    # run again: nothing left to fix, nothing written
    again = _run("data", "--fix", cwd=tmp_path)
    assert "fixed:" not in again.stdout and path.read_bytes() == fixed


def test_fix_never_changes_a_value_and_re_encodes_windows_1252(tmp_path):
    from analysis.evidence import spreadsheet

    f = tmp_path / "t.csv"
    f.write_bytes("a,b\r\nS\xf8rensen,1\r\n".encode("cp1252"))
    done = spreadsheet.fix(f)
    assert done.changes == ("re-encoded from Windows-1252 to UTF-8", "line endings rewritten as LF")
    assert f.read_bytes() == "a,b\nSørensen,1\n".encode()
    # a lone CR inside an unquoted value would change how the row splits: left alone
    f.write_bytes(b'a,b\n"x\ry",1\n1,2\r\n')
    assert spreadsheet.fix(f).changes == ("line endings rewritten as LF",)
    g = tmp_path / "g.csv"
    g.write_bytes(b"a,b\nx\ry,1\n")  # unquoted: CR ends a row for csv, LF would too
    assert spreadsheet.fix(g).changes == ("line endings rewritten as LF",)
    h = tmp_path / "h.csv"
    h.write_bytes(b"a,b\n\x81\x8d,1\n")  # bytes neither UTF-8 nor Windows-1252 define
    assert spreadsheet.fix(h).refused and h.read_bytes() == b"a,b\n\x81\x8d,1\n"


def test_gitattributes_keeps_data_in_lf():
    text = (ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "data/** text eol=lf" in text.splitlines()


@pytest.mark.parametrize(("sep", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_semicolon_or_tab_export_is_one_line(tmp_path, sep, word):
    rows = _data_rows()[:3]
    (tmp_path / "studies.csv").write_text("\n".join(sep.join(r) for r in rows[:1]) + "\n")
    proc = _run(str(tmp_path / "studies.csv"))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and "missing column" not in proc.stderr
    assert lines[0] == (
        f"{tmp_path}/studies.csv:1:-: values separated by {word}, not commas (a spreadsheet's"
        " export): save the file again as CSV with commas, e.g. Excel 'CSV UTF-8 (Comma"
        " delimited)', LibreOffice 'Text CSV' with field delimiter ','"
    )


def test_a_line_break_inside_a_text_value_is_a_likely_copy_artefact(tmp_path):
    rows = _data_rows()
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("status")] == "verified")
    q = header.index("outcome_definition")
    row = list(row)
    row[q] = row[q][:10] + "\n" + row[q][10:]
    (tmp_path / "studies.csv").write_text(_table_text([header, row]))
    proc = _run(str(tmp_path / "studies.csv"))
    expected = (
        f"{tmp_path}/studies.csv:2:outcome_definition: warning: line break inside the value,"
        " likely from copying a PDF or web page: join the lines (keep the quote verbatim"
        " otherwise)"
    )
    assert any(line.startswith(expected) for line in proc.stderr.splitlines()), proc.stderr


def test_a_broken_row_names_the_likely_cell_and_says_comma_or_line_break(tmp_path):
    rows = _data_rows()
    header = rows[0]
    row = list(next(r for r in rows[1:] if r[header.index("status")] == "verified"))
    q = header.index("source_quote")
    # an unquoted line break in source_quote: the row ends there and the rest is a new row
    before = _table_text([row[:q]]).rstrip("\n")
    after = _table_text([row[q + 1 :]]).rstrip("\n")
    first = before + ",They improved"
    rest = "then as reported," + after
    (tmp_path / "studies.csv").write_text(",".join(header) + "\n" + first + "\n" + rest + "\n")
    proc = _run(str(tmp_path / "studies.csv"))
    lines = [line for line in proc.stderr.splitlines() if ":-: row has" in line]
    name = f"{tmp_path}/studies.csv"
    assert lines == [
        f"{name}:2:-: row has {q + 1} cells but the header has {len(header)}: a comma or line"
        " break inside a value, likely a line break in source_quote (They improved): put that"
        " value in double quotes (a spreadsheet saving CSV does this)",
        f"{name}:3:-: row has {len(header) - q} cells but the header has {len(header)}: a"
        " comma or line break inside a value: this line is the rest of the row above, split"
        " by a line break in source_quote (then as reported): put that value in double quotes"
        " (a spreadsheet saving CSV does this)",
    ]
    # an unquoted comma in source_quote: one cell too many, named
    line = before + ",They improved then, as reported," + after
    (tmp_path / "studies.csv").write_text(",".join(header) + "\n" + line + "\n")
    proc = _run(str(tmp_path / "studies.csv"))
    assert (
        f"{name}:2:-: row has {len(header) + 1} cells but the header has {len(header)}: a comma"
        " or line break inside a value, likely in source_quote (They improved then, as"
        " reported): put that value in double quotes" in proc.stderr
    ), proc.stderr


def test_changed_reports_only_the_rows_the_branch_changed(tmp_path):
    """Every error, but only the warnings of the rows changed since the merge base."""
    rows = _data_rows()
    header = rows[0]
    status, author = header.index("status"), header.index("author")
    (tmp_path / "data").mkdir()
    for name in ("datapackage.json", "references.bib"):
        shutil.copy(DATA / name, tmp_path / "data" / name)
    verified = [i for i, r in enumerate(rows) if i and r[status] == "verified"]
    a, b = verified[:2]
    rows[a][author] += " "  # a warning (space at the end) before the branch
    (tmp_path / "data" / "studies.csv").write_text(_table_text(rows))
    _git_repo(tmp_path)
    space = "author: warning: space at the start or end of the value"
    full = _run("data", cwd=tmp_path)
    assert f"data/studies.csv:{a + 1}:{space}" in full.stderr
    rows[b][author] += " "  # the branch's own edit
    (tmp_path / "data" / "studies.csv").write_text(_table_text(rows))
    proc = _run("data", "--changed", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [f"data/studies.csv:{b + 1}:{space} ({rows[b][author]})"]
    # `--changed data`: a directory after --changed is the path, not a revision
    assert _run("--changed", "data", cwd=tmp_path).stdout == proc.stdout
    assert re.fullmatch(
        r"data/studies\.csv: \d+ rows, 0 errors, 1 warning on the 1 row changed since"
        r" [0-9a-f]{12} \(\d+ more warnings? on other rows: validate without --changed lists"
        r" them\)\n",
        proc.stdout,
    )
    # an error elsewhere is never hidden
    rows[a][header.index("ivig_improved")] = "9999"
    (tmp_path / "data" / "studies.csv").write_text(_table_text(rows))
    proc = _run("data", "--changed", cwd=tmp_path)
    assert proc.returncode == 2
    assert f"data/studies.csv:{a + 1}:ivig_improved: more events than patients" in proc.stderr
    bad = _run("data", "--changed", "v0.1.0", cwd=tmp_path)
    assert (
        bad.returncode == 2
        and bad.stderr.startswith("error: no revision or tag 'v0.1.0'")
        and len(bad.stderr.splitlines()) == 1
    )


def test_a_data_bibliography_may_not_redefine_a_reference_the_methods_cite(tmp_path):
    """The references the review's own text cites are the code's (``methods.bib``); a data
    entry under one of their keys (in any letter case) is refused in one line, so a pull
    request can neither remove nor redefine what the Methods cite."""
    from analysis.evidence import bibtex

    data = copy_snapshot(tmp_path / "data")
    key = sorted(bibtex.method_keys())[0]
    bib = data / "references.bib"
    lines = bib.read_text(encoding="utf-8").count("\n")
    bib.write_text(
        bib.read_text(encoding="utf-8")
        + f"\n@article{{{key.upper()},\n  title = {{Something else}},\n  year = {{2020}}\n}}\n",
        encoding="utf-8",
    )
    report = validate(data)
    errors = [p for p in report.errors if p.column == key.upper()]
    assert len(errors) == 1, report.errors
    assert errors[0].row == lines + 2 and "methods.bib" in errors[0].rule
    # the same entry under a key of its own is accepted
    bib.write_text(bib.read_text(encoding="utf-8").replace(key.upper(), "Other2020"), "utf-8")
    assert not [p for p in validate(data).errors if "methods.bib" in p.rule]


def test_the_methods_bibliography_holds_every_reference_the_code_cites():
    """Every citation written in the publication's own text (templates, chapters, the chapters'
    code) resolves in ``methods.bib``, never in ``data/``: a data pull request cannot make the
    Methods cite nothing. Trial keys come from data and are cited only through
    ``comparison.trial_cell``."""
    from analysis.evidence import bibtex
    from analysis.report.chapters.methods import TAU2_REFERENCES

    sources = [
        *(ROOT / "analysis" / "report").rglob("*.j2"),
        *(ROOT / "analysis" / "report").rglob("*.py"),
        ROOT / "index.qmd",
        *(ROOT / "chapters").glob("*.qmd"),
    ]
    cited = set(TAU2_REFERENCES.values())
    for path in sources:
        cited |= set(re.findall(r"@([a-z][a-z]*[0-9]{4}[a-z]*)\b", path.read_text("utf-8")))
    assert len(cited) > 20  # the scan sees the Methods' citations
    missing = {k for k in cited if k.casefold() not in bibtex.method_keys()}
    assert not missing, f"cited by the code but not in methods.bib: {sorted(missing)}"
