"""Every data file, every path: the hostile contributor, round two (issue 25).

* each measured reproducer that validation must refuse (``tests/hostile/datafiles.py``):
  one line naming file, key or row, and rule; exit 2; no traceback;
* the files under ``data/`` are all known to a schema, and the corpus covers every file
  the schemas know and every field of each;
* what passes is shown inert: published results, the source review's name, in the
  chapters' Markdown through pandoc (HTML and Typst);
* ``python -m analysis meta`` on any CSV: one-line errors, never a traceback;
* the YAML reader: aliases, tags, duplicate keys, depth and dates.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.evidence import datafiles, published, yamlfile
from analysis.evidence.validate import validate
from tests.hostile.corpus import DATA, copy_data
from tests.hostile.datafiles import ALIAS_BOMB, FIELDS, REFUSED

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_one_line(name, tmp_path):
    edit, expected = REFUSED[name]
    data = copy_data(tmp_path / "data")
    edit(data)
    report = validate(data)
    lines = [str(p) for p in report.errors]
    assert not report.ok
    assert any(expected in line for line in lines), lines
    for line in lines:
        assert "\n" not in line and "Traceback" not in line


def test_refused_by_the_command_line_without_traceback(tmp_path):
    """The command line, on three reproducers at once (bomb, impossible date, link)."""
    data = copy_data(tmp_path / "data")
    for name in ("published_alias_bomb", "search_impossible_date", "symlink_loop"):
        REFUSED[name][0](data)
    proc = _cli("validate", "data", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in ("published_alias_bomb", "search_impossible_date", "symlink_loop"):
        assert REFUSED[name][1] in proc.stderr


def test_the_project_data_is_known_to_the_schemas():
    """Every file under data/ is one the schemas know (a new file needs its schema)."""
    assert datafiles.check_folder(DATA) == []
    names = {p.name for p in DATA.iterdir()}
    assert names <= set(datafiles.SCHEMAS), names - set(datafiles.SCHEMAS)


def test_an_unknown_file_fails_the_listing(tmp_path):
    data = copy_data(tmp_path / "data")
    (data / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    (problem,) = datafiles.check_folder(data)
    assert str(problem).startswith("data/extra.csv:-:-: not a file the project knows")


def test_a_schema_is_registered_in_one_place(tmp_path, monkeypatch):
    """A new data file (harms.yaml, say) is known once SCHEMAS names it,
    and its check's problems reach validate."""
    from analysis.evidence.csvfile import Problem

    data = copy_data(tmp_path / "data")
    (data / "harms.yaml").write_text("rules: []\n", encoding="utf-8")
    assert any("harms.yaml" in str(p) for p in validate(data).errors)
    monkeypatch.setitem(
        datafiles.SCHEMAS,
        "harms.yaml",
        lambda path, ctx: [Problem("data/harms.yaml", 1, "rules", "checked")],
    )
    assert [str(p) for p in validate(data).errors] == ["data/harms.yaml:1:rules: checked"]


def test_the_corpus_covers_every_file_and_field():
    assert set(FIELDS) == set(datafiles.SCHEMAS)
    assert FIELDS["published.yaml"] == set(published._KEYS)
    from analysis.evidence.certainty_file import COLUMNS

    text_columns = {"rationale", "reviewer"}
    assert text_columns <= FIELDS["certainty.csv"] and set(COLUMNS) - text_columns <= {
        "comparison",
        "disease",
        "domain",
        "rating",
    }
    from tests.hostile.corpus import REFUSED as ROUND_ONE  # descriptor, counts, ids, bib

    covered = {n.split("_")[0] for n in (*REFUSED, *ROUND_ONE)}
    for file in datafiles.SCHEMAS:  # every file a schema knows has a refused entry
        stem = {"references.bib": "bib", "README.md": "unknown", "datapackage.json": "descriptor"}
        stem = stem.get(file, file.split(".")[0])
        assert stem in covered, file


def test_the_build_copy_keeps_links_as_links_or_refuses(tmp_path):
    """Quarto's copy of the project never follows a link (a loop or the disk), and a build
    of data/ holding a link stops at validation with the data's one-line message."""
    from tests.hostile.corpus import copy_project

    src = (ROOT / "analysis" / "publish" / "build.py").read_text(encoding="utf-8")
    calls = re.findall(r"shutil\.copytree\((?:[^()]|\([^()]*\))*\)", src, re.S)
    assert calls and all("symlinks=True" in c for c in calls), calls
    project = copy_project(tmp_path / "project")
    (project / "data" / "loop").symlink_to("..")
    proc = _cli("build", "--root", str(project), "--out", str(project / "_site"), cwd=project)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "data/loop:-:-: a symbolic link: data/ holds regular files only" in proc.stderr
    assert not (project / "_site").exists()


# --------------------------------------------------------------------------- shown inert


def _pandoc_html(md: str) -> str:
    import pypandoc

    return pypandoc.convert_text(md, "html", format="markdown")


HOSTILE = "<img src=x onerror=alert(1)> `#text(fill: red)[x]`{=typst} [a](javascript:alert(2))"


def test_published_text_is_inert_in_every_table(tmp_path, monkeypatch):
    """A hostile source (the source review's, whose first part heads a column) and
    result reach the home page, the summary page and the PDF as text."""
    from analysis.report import chapters
    from analysis.report.chapters import certainty, pages, tables

    project = tmp_path / "p"
    data = copy_data(project / "data")
    text = (data / "published.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "source: Morales-Ruiz 2022, Autoimmunity Reviews 21(3):103019",
        f"source: '{HOSTILE}, Autoimmunity Reviews'",
    )
    text = text.replace("result: MD 0.02 grade (no difference)", f"result: '{HOSTILE}'")
    (data / "published.yaml").write_text(text, encoding="utf-8")
    assert published.check(data / "published.yaml")[1] == []
    from analysis.report import data_sections

    # the bundle's published section, made from the hostile file as the build makes it
    hostile = data_sections.published(data)
    real = tables.section
    monkeypatch.setattr(tables, "section", lambda key: hostile if key == "published" else real(key))
    tables.published.cache_clear()
    try:
        parts = [tables.published_table().data, certainty.published_beside().data]
        parts.append(pages.source_review_name().data)
        parts.append(pages.conclusions_table().data)
    finally:
        tables.published.cache_clear()
    assert chapters  # the package the functions belong to
    for md in parts:
        html = _pandoc_html(md)
        assert "<img" not in html and "javascript:" not in html.replace("javascript:alert", "")
        assert 'href="javascript' not in html
        import pypandoc

        typst = pypandoc.convert_text(md, "typst", format="markdown")
        assert "#text(fill: red)" not in typst.replace("\\#text", "")


# --------------------------------------------------------------------------- meta


def _meta_csv(tmp_path: Path, rows_: list[list[str]]) -> Path:
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["study_id", "year", "ivig_improved", "ivig_total", "control_improved", "control_total"]
    )
    w.writerows(rows_)
    path = tmp_path / "s.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_meta_on_astronomical_counts_is_one_line(tmp_path):
    big = "1" + "0" * 30
    path = _meta_csv(
        tmp_path, [["A1990", "1990", big, big, "3", "10"], ["B1991", "1991", "2", "10", "3", "10"]]
    )
    proc = _cli("meta", str(path), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip()
        == f"error: {path}:2:ivig_improved: too large: at most 10,000,000 ({big})"
    )


_cells = st.one_of(
    st.integers(min_value=-5, max_value=10**40).map(str),
    st.sampled_from(["", "1e30", "nan", "inf", "-0", "+3", "0", "10000000", "10000001", " 7 "]),
    st.text(max_size=6),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(st.lists(_cells, min_size=4, max_size=4), min_size=1, max_size=3),
    measure=st.sampled_from(["RR", "OR", "RD"]),
    tau2=st.sampled_from(["DL", "REML", "PM"]),
)
def test_meta_never_raises_on_any_counts(cells, measure, tau2, tmp_path, capsys):
    """Any counts: a result or one error line (UserError), never another exception."""
    from analysis.cli import main

    path = _meta_csv(tmp_path, [[f"S{i}199{i}", f"199{i}", *c] for i, c in enumerate(cells)])
    status = main(["meta", "--measure", measure, "--tau2", tau2, "--hk", str(path)])
    err = capsys.readouterr().err
    assert status in (0, 2)
    if status == 2:
        assert err.startswith("error: ") and err.count("\n") == 1, err


# --------------------------------------------------------------------------- the YAML reader


def test_yaml_reader_refuses_what_safe_load_accepts(tmp_path):
    cases = {
        "bomb": (ALIAS_BOMB, "anchors (&name) are not allowed"),
        "alias": ("a: &x 1\nb: *x\n", "anchors"),
        "tag": ("a: !!binary aGk=\n", "tags (!name, !!type) are not allowed"),
        "local_tag": ("a: !thing 1\n", "tags"),
        "dup": ("a: 1\nb: 2\na: 3\n", "duplicate key: first on line 1"),
        "key": ("? [a, b]\n: 1\n", "keys must be plain text"),
        "int_key": ("1: x\n", "keys must be plain text"),
        "deep": ("a: " + "[" * 50 + "]" * 50 + "\n", "nested deeper than 20 levels"),
        "syntax": ("a: [1\n", "not valid YAML"),
    }
    for name, (text, rule) in cases.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text, encoding="utf-8")
        doc = yamlfile.read(p, p.name)
        assert doc.data is None and any(rule in q.rule for q in doc.problems), (name, doc)


def test_yaml_reader_keeps_dates_as_text_and_checks_them(tmp_path):
    import datetime as dt

    p = tmp_path / "d.yaml"
    p.write_text("a: 2026-02-30\nb: 2026-01-31\n", encoding="utf-8")
    doc = yamlfile.read(p)
    assert doc.data == {"a": "2026-02-30", "b": "2026-01-31"} and doc.problems == ()
    today = dt.date(2026, 6, 1)
    assert yamlfile.date("2026-02-30", today=today) == (None, "not a day of the calendar")
    assert yamlfile.date("2026-01-31", today=today) == (dt.date(2026, 1, 31), None)
    assert yamlfile.date("2026-06-02", today=today)[1] == "in the future (today is 2026-06-01)"
    assert yamlfile.date("30 Nov", today=today)[1] == "must be a date written YYYY-MM-DD"
    assert doc.line(("b",)) == 2


def test_bidi_controls_that_reach_a_writer_are_shown_visibly():
    """Refused in data; text that was never validated (a pull request's data in the diff
    comment) shows them as visible escapes, never reversed."""
    from analysis import escape

    for fn in (escape.plain, escape.html, escape.markdown, escape.comment, escape.typst):
        out = fn("Hughes\u202eevil\u2066x")
        assert "\u202e" not in out and "\u2066" not in out
        assert "U" in out and "202E" in out


def test_review_metadata_is_read_as_data(tmp_path):
    from analysis.errors import UserError
    from analysis.report.citation import people

    (tmp_path / "review-metadata.yml").write_text(
        "group_author: &g X\nfunding: [*g]\n", encoding="utf-8"
    )
    with pytest.raises(UserError, match=r"review-metadata.yml:1:-: anchors"):
        people(tmp_path)


# --------------------------------------------------------------------------- sizes (kept so)


def test_ten_thousand_columns_or_rows_are_refused_in_lines_not_a_traceback(tmp_path):
    """Measured not exploitable; kept so: each is refused in time, one line per problem."""
    import time

    from tests.hostile.corpus import rows, write_rows

    wide = copy_data(tmp_path / "wide")
    header, table = rows(wide)
    extra = [f"c{i}" for i in range(10_000)]
    write_rows(wide, header + extra, [{**r, **dict.fromkeys(extra, "x")} for r in table[:3]])
    long = copy_data(tmp_path / "long")
    header, table = rows(long)
    template = next(r for r in table if r["status"] == "pending")
    short = {k: v[:40] for k, v in template.items()}  # under the 5 MB cap
    ids = (
        f"Trial{chr(97 + i // 676)}{chr(97 + i // 26 % 26)}{chr(97 + i % 26)}" for i in range(10**4)
    )
    many = [{**short, "study_id": f"{sid}1990"} for sid in ids]
    write_rows(long, header, many)
    for data, expected in ((wide, ":1:c0: unknown column"), (long, ":study_id: no entry")):
        start = time.perf_counter()
        report = validate(data)
        assert time.perf_counter() - start < 60
        lines = [str(p) for p in report.errors]
        assert lines and any(expected in x for x in lines), lines[:3]
        assert all("\n" not in x for x in lines)
