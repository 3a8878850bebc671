"""The one CSV reader (``analysis.evidence.csvfile``): both modes read alike, and differ
only at a problem (collect it, or raise it as one line)."""

from __future__ import annotations

import pytest

from analysis.errors import UserError
from analysis.evidence import csvfile

TEXT = 'a,b\r\n"x\ny",1\n\n2,"q ""z"""\n'
ROWS = ((1, ["a", "b"]), (2, ["x\ny", "1"]), (3, []), (4, ["2", 'q "z"']))


@pytest.mark.parametrize("mode", ["all", "first"])
def test_both_modes_read_the_same_rows(tmp_path, mode):
    f = tmp_path / "t.csv"
    f.write_bytes(csvfile.BOM + TEXT.encode())
    table = csvfile.read(f, mode=mode, name="t.csv")
    assert table.rows == ROWS
    warned = (
        "t.csv:1:-: warning: UTF-8 byte-order mark at the start of the file, as a spreadsheet"
        " saves it (ignored); python -m analysis validate --fix removes it",
        "t.csv:1:-: warning: Windows line endings (CRLF), as a spreadsheet saves them: every"
        " line of the file would change in the pull request; python -m analysis validate --fix"
        " rewrites them as LF",
    )
    assert tuple(str(p) for p in table.problems) == (warned if mode == "all" else ())


@pytest.mark.parametrize("mode", ["all", "first"])
def test_white_space_only_has_no_rows(tmp_path, mode):
    f = tmp_path / "t.csv"
    f.write_bytes(b" \r\n\n")
    assert csvfile.read(f, mode=mode).rows == ()


def test_malformed_csv_keeps_the_rows_before_or_stops(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text('a,b\n1,2\n3,"4\n', encoding="utf-8")
    table = csvfile.read(f, mode="all", name="t.csv")
    assert table.rows == ((1, ["a", "b"]), (2, ["1", "2"]))
    assert [str(p) for p in table.problems] == [
        f"t.csv:3:-: {csvfile.MALFORMED} (unexpected end of data)"
    ]
    with pytest.raises(UserError) as err:
        csvfile.read(f, mode="first", name="t.csv")
    assert str(err.value) == str(table.problems[0])


def test_file_problems_row_dash_or_zero(tmp_path):
    missing = tmp_path / "none.csv"
    assert [str(p) for p in csvfile.read(missing, mode="all", name="n").problems] == [
        "n:-:-: file not found"
    ]
    with pytest.raises(UserError, match=r"^n:0:-: file not found$"):
        csvfile.read(missing, mode="first", name="n")
    with pytest.raises(UserError, match=r"^d:0:-: is a directory, not a CSV file$"):
        csvfile.read(tmp_path, mode="first", name="d")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a\n" * 10)
    table = csvfile.read(big, mode="all", name="b", max_bytes=5)
    assert table.rows == () and [str(p) for p in table.problems] == [
        "b:-:-: file too large: the limit is 5 bytes (20)"
    ]


def test_bytes_not_utf8_kept_or_raised_with_their_line(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(b"a,b\nM\xfcller,1\n")
    table = csvfile.read(f, mode="all")
    assert table.problems == () and table.rows[1][1][0] == "M\udcfcller"
    with pytest.raises(UserError, match=r"^t:2:-: not UTF-8 text \(byte 5\)$"):
        csvfile.read(f, mode="first", name="t")


@pytest.mark.parametrize(("sep", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_semicolon_or_tab_separated_files_are_explained_in_one_line(tmp_path, sep, word):
    f = tmp_path / "t.csv"
    f.write_text(sep.join(["study_id", "year", "ivig_total"]) + "\nA" + sep + "1990" + sep + "3\n")
    table = csvfile.read(f, mode="all", name="t.csv")
    assert table.rows == ()
    assert [str(p) for p in table.problems] == [
        f"t.csv:1:-: values separated by {word}, not commas (a spreadsheet's export): save the"
        " file again as CSV with commas, e.g. Excel 'CSV UTF-8 (Comma delimited)', LibreOffice"
        " 'Text CSV' with field delimiter ','"
    ]
    with pytest.raises(UserError, match=f"t.csv:1:-: values separated by {word}"):
        csvfile.read(f, mode="first", name="t.csv")
    # a comma-separated header whose values hold semicolons is not taken for one
    f.write_text("a,b;c;d,e\n1,2\n")
    assert csvfile.read(f, mode="all", name="t.csv").problems == ()
