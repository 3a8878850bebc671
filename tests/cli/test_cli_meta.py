"""``python -m analysis meta``: output formats and every kind of bad input.

Bad input must give exactly one line on standard error naming file, row and column
(``FILE:ROW:COLUMN: rule``), exit status 2 and nothing on standard output. These run
the real command in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.evidence.studyfile import read_studies

ROOT = Path(__file__).resolve().parents[2]
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "meta"


def _meta(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "meta", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


# (fixture, extra args, expected row, expected column, words of the rule)
BAD = [
    ("missing_column.csv", (), 1, "control_total", "required column missing"),
    ("text_in_count.csv", (), 3, "ivig_improved", "not a whole number (1x)"),
    ("events_above_total.csv", (), 3, "control_improved", "events exceed control_total"),
    ("negative_total.csv", (), 3, "ivig_total", "negative value (-25)"),
    ("zero_total.csv", (), 3, "control_total", "total must be greater than 0 (0)"),
    ("duplicate_id.csv", (), 3, "study_id", "duplicate study_id (first on row 2) (A 2001)"),
    ("empty.csv", (), 1, "study_id", "empty file"),
    ("header_only.csv", (), 2, "study_id", "no study rows"),
    ("blank_count.csv", (), 3, "ivig_total", "blank value"),
    ("fraction_total.csv", (), 3, "control_total", "not a whole number (2.5)"),
    ("blank_id.csv", (), 3, "study_id", "blank study_id"),
    ("good.csv", ("--by", "comparator"), 1, "comparator", "--by names a column"),
    ("all_double_zero.csv", (), 2, "ivig_improved", "no studies to analyse"),
]


@pytest.mark.parametrize(
    ("fixture", "extra", "row", "column", "rule"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_input_one_line_exit_2(fixture, extra, row, column, rule):
    path = FIX / fixture
    proc = _meta(str(path), "--json", *extra)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {path}:{row}:{column}: "), lines[0]
    assert rule in lines[0]


def test_bad_input_without_json_is_the_same():
    proc = _meta(str(FIX / "text_in_count.csv"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert ":3:ivig_improved: not a whole number" in proc.stderr


def test_missing_file():
    proc = _meta(str(FIX / "no-such-file.csv"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert "file not found" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_json_is_one_object_and_nothing_else():
    proc = _meta(str(FIX / "good.csv"), "--json", "--by", "disease", "--measure", "OR")
    assert proc.returncode == 0 and proc.stderr == ""
    obj = json.loads(proc.stdout)  # fails if anything else is printed
    assert obj["measure"] == "OR" and obj["k"] == 4
    assert obj["subgroups"]["by"] == "disease"
    assert set(obj["subgroups"]["groups"]) == {"CIDP", "GBS"}
    assert obj["random"]["tau2_method"] == "REML" and obj["random"]["hk"] is False
    assert "NaN" not in proc.stdout and "Infinity" not in proc.stdout


def test_options_reach_the_analysis():
    proc = _meta(str(FIX / "good.csv"), "--json", "--tau2", "DL", "--hk", "--measure", "RD")
    obj = json.loads(proc.stdout)
    assert obj["random"]["tau2_method"] == "DL" and obj["random"]["hk"] is True
    assert obj["measure"] == "RD" and obj["common"]["peto"] is None


def test_text_summary_is_readable():
    proc = _meta(str(FIX / "good.csv"), "--by", "disease")
    assert proc.returncode == 0 and proc.stderr == ""
    out = proc.stdout
    assert "Random effects (REML)" in out and "Mantel-Haenszel" in out
    assert "Subgroups by disease" in out and "Trim and fill" in out
    # every p-value reads as "p = x", "p < 0.0001" or "p -", never "p = <0.0001"
    assert "p = <" not in out and "p p" not in out
    assert out.count("p = ") + out.count("p < ") + out.count("p -") >= 6
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_bad_option_value_exits_2():
    proc = _meta(str(FIX / "good.csv"), "--tau2", "XX")
    assert proc.returncode == 2 and proc.stdout == ""


def test_reader_rows_and_groups():
    table = read_studies(FIX / "good.csv", by="disease")
    assert table.rows == (2, 3, 4, 5)
    assert table.groups == ("CIDP", "CIDP", "GBS", "GBS")
    assert table.ivig_total == (20, 25, 50, 15)


def test_reader_counts_rows_like_a_spreadsheet(tmp_path):
    # a quoted line break stays in one row; a blank row still counts
    f = tmp_path / "s.csv"
    f.write_text(
        "study_id,year,ivig_improved,ivig_total,control_improved,control_total\n"
        '"A\nmultiline",2001,1,10,2,10\n'
        "\n"
        "B,2002,1,10,x,10\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match=r"s\.csv:4:control_improved: not a whole number \(x\)"):
        read_studies(f)


def test_reader_accepts_byte_order_mark_and_extra_columns(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_bytes(
        b"\xef\xbb\xbfnotes,study_id,year,ivig_improved,ivig_total,control_improved,"
        b"control_total\nx,A,2001,1,10,2,10\n"
    )
    table = read_studies(f)
    assert table.study_id == ("A",) and table.control_total == (10,)


def test_reader_rejects_non_utf8(tmp_path):
    f = tmp_path / "latin1.csv"
    f.write_bytes(
        b"study_id,year,ivig_improved,ivig_total,control_improved,control_total\n"
        b"M\xfcller,2001,1,10,2,10\n"
    )
    with pytest.raises(UserError, match=r"latin1\.csv:2:-: not UTF-8"):
        read_studies(f)


def test_meta_path_imports_only_the_numerical_libraries():
    # start-up time counts (bench/): the command needs numpy and scipy.special, never the
    # table, chart or template layers, nor scipy.stats (several times the import cost of
    # scipy.special), nor scipy.optimize on data where Fisher scoring converges
    code = (
        "import io, sys, contextlib\n"
        "from analysis.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['meta', {str(FIX / 'good.csv')!r}, '--json', '--by', 'disease']) == 0\n"
        "heavy = ('pandas', 'altair', 'jinja2', 'scipy.stats', 'scipy.optimize')\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
        "print('scipy.special' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    heavy, special = proc.stdout.splitlines()
    assert heavy == ""
    assert special == "True"


def test_malformed_csv_names_its_row(tmp_path):
    # the one CSV reader (evidence/csvfile): the same line as the validator's, naming the row
    f = tmp_path / "quote.csv"
    f.write_text(
        "study_id,year,ivig_improved,ivig_total,control_improved,control_total\n"
        "A,2001,1,10,2,10\n"
        'B,2002,1,10,"2,10\n',
        encoding="utf-8",
    )
    proc = _meta(str(f), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"error: {f}:3:-: malformed CSV: a double quote must open and close a whole value"
        ' (write a quote inside a value as "") (unexpected end of data)'
    ]
