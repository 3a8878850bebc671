"""Data is untrusted input (issue 11): the hostile corpus of ``tests/hostile/corpus.py``.

* every refused input: the exact lines, exit status 2, no traceback, the input files and
  the project's ``data/`` unchanged, and a build refusing it leaves ``_site/`` as it was;
* texts that pass: shown literally by the chapters' tables (pandoc HTML and Typst), the
  data dictionary and the pull-request comment, never as markup (a property test over
  generated hostile text, with the results bundle computed each time);
* BOM and CRLF data read the same by every reader (validate, the ``meta`` reader, diff).

The built site and PDF of the corpus are checked in ``tests/browser/test_hostile_site.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pypandoc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import escape
from analysis.evidence import plaintext
from analysis.evidence.studies import datadictionary
from analysis.evidence.validate import validate
from analysis.publish import diff as diff_mod
from tests.hostile.corpus import DATA, PAYLOADS, REFUSED, copy_data, rows, write_rows

ROOT = Path(__file__).resolve().parents[2]
BOM = b"\xef\xbb\xbf"


def _digest(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


def _cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_input(name, tmp_path):
    edit, expected = REFUSED[name]
    data = copy_data(tmp_path / "data")
    edit(data)
    before, project_before = _digest(data), _digest(DATA)
    proc = _cli("validate", str(data))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    files = {k: str(data / v) for k, v in (("pkg", "datapackage.json"), ("csv", "studies.csv"))}
    files["bib"] = str(data / "references.bib")
    lines = [e.format(**files) for e in expected]
    assert proc.stderr.splitlines()[: len(lines)] == lines
    assert _digest(data) == before and _digest(DATA) == project_before


def test_a_build_refusing_a_loosened_descriptor_keeps_the_site(tmp_path):
    """The build validates with the project's rules too; the previous _site/ stays."""
    from tests.hostile.corpus import copy_project

    project = copy_project(tmp_path / "project")
    site = project / "_site"
    (site / "chapters").mkdir(parents=True)
    (site / "index.html").write_text("<p>the published site</p>", encoding="utf-8")
    before = _digest(site)
    REFUSED["descriptor_new_status_value"][0](project / "data")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764045180"}
    proc = _cli("build", "--root", str(project), "--out", str(site), cwd=project, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "constraints.enum: a value the project's rules do not allow" in proc.stderr
    assert _digest(site) == before
    assert sorted(p.name for p in project.glob("_site*")) == ["_site"]


# --------------------------------------------------------------------------- passing text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


TABLE_TAGS = {"table", "colgroup", "col", "thead", "tbody", "tr", "th", "td", "span", "p", "code"}
LIVE_ATTRS = re.compile(r"^on|^srcdoc$|^href$|^src$")
EVIDENCE_TAGS = {"details", "summary", "blockquote", "a", "div", "em", "strong", "ul", "li", "dl"}
EVIDENCE_TAGS |= {"dt", "dd", "br", "section", "h3", "h4"}


def _live(attr: str, value: str | None) -> bool:
    """An attribute that could run or load something (a link only to http(s) is fine)."""
    if attr == "href":
        return not re.match(r"https?://", value or "")
    return bool(LIVE_ATTRS.search(attr))


def _html_of(markdown: str) -> _Tags:
    out = _Tags()
    out.feed(pypandoc.convert_text(markdown, "html", format="markdown"))
    return out


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def test_the_data_dictionary_shows_descriptor_markup_as_text(tmp_path):
    from tests.hostile.corpus import inject

    data = copy_data(tmp_path / "data")
    inject(data)
    table = datadictionary(data / "datapackage.json")
    page = _html_of(table)
    assert page.tags <= TABLE_TAGS, page.tags
    assert not [a for a, _ in page.attrs if LIVE_ATTRS.search(a)]
    # back-ticked words stay code spans (literal); everything else is escaped text
    shown = (PAYLOADS[1] + " " + PAYLOADS[2]).replace("`", "")
    assert _squash(shown) in _squash("".join(page.text))
    assert "code" in page.tags
    typst = pypandoc.convert_text(table, "typst", format="markdown")
    outside_raw = re.sub(r"`[^`]*`", "", typst)  # Typst raw text is literal
    assert "#panic" not in outside_raw.replace("\\#panic", "")


hostile_text = (
    st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
            min_size=1,
            max_size=80,
        ),
        st.lists(
            st.sampled_from(
                [
                    "<",
                    ">",
                    "@",
                    "#1",
                    "`",
                    "{=html}",
                    "[",
                    "](",
                    "!",
                    "\\",
                    "|",
                    "&#64;",
                    "*",
                    "_",
                    "$",
                    "x",
                    " ",
                    "javascript:",
                    "</td>",
                ]
            ),
            min_size=1,
            max_size=25,
        ).map("".join),
    )
    .map(str.strip)
    .filter(bool)
    # text that could deceive (a formula, a bidi control) is refused: see test_hostile_data
    .filter(lambda t: plaintext.problem(t, csv_cell=True) is None)
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=hostile_text)
def test_property_hostile_text_passes_everywhere_as_text(text, tmp_path_factory, monkeypatch):
    """Valid rows with hostile text: the bundle is computed, the register (chapters) shows
    the text literally through pandoc, and the diff comment carries it escaped."""
    from analysis.report import chapters
    from analysis.report.results_bundle import compute

    project = tmp_path_factory.mktemp("p")
    data = copy_data(project / "data")
    (project / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    header, table = rows(data)
    base = [dict(r) for r in table]
    pending = next(r for r in table if r["status"] == "pending")
    pending["notes"] = text
    verified = next(r for r in table if r["status"] == "verified")
    verified["population"] = text
    write_rows(data, header, table)
    report = validate(data)
    assert report.ok, [str(p) for p in report.errors]

    bundle = compute(project)
    assert set(bundle["comparisons"]) >= {"placebo"}

    monkeypatch.setenv("IVIG_ROOT", str(project))
    results = project / "results.json"
    results.write_text(json.dumps(bundle), encoding="utf-8")
    monkeypatch.setenv("IVIG_RESULTS", str(results))  # the chapters read it, as in a build
    chapters.bundle.cache_clear()
    chapters.studies.cache_clear()
    try:
        # the register and, where the chapters have it, the evidence behind each line
        parts = [chapters.register_table()]
        if hasattr(chapters, "register_evidence"):
            parts.append(chapters.register_evidence())
        register = "\n\n".join(p._repr_markdown_() for p in parts)  # both Markdown classes
    finally:
        chapters.bundle.cache_clear()
        chapters.studies.cache_clear()
    page = _html_of(register)
    assert page.tags <= TABLE_TAGS | EVIDENCE_TAGS, page.tags
    assert not [(a, v) for a, v in page.attrs if _live(a, v)]
    if hasattr(chapters, "_lower_first"):  # the register shows the notes' first sentence
        shown = chapters._lower_first(chapters._first_sentence(escape.plain(text)))
    else:
        shown = escape.plain(text)
    if shown:
        assert _squash(shown) in _squash("".join(page.text))

    head = tuple(dict(r) for r in table)
    md = diff_mod.compare(
        diff_mod.Side("base", bundle, tuple(base)), diff_mod.Side("head", bundle, head)
    ).to_markdown()
    for line in md.splitlines():
        line = re.sub(r"</?(?:details|summary)>", "", line)  # the report's own markup
        if pending["study_id"] in line or verified["study_id"] in line:
            assert re.search(r"@(?!\u200d)", line) is None
            assert re.search(r"#(?!\u200d)[0-9]", line) is None
            assert re.search(r"(?<!\\)<", line) is None


def test_comment_cut_after_escaping_stays_below_the_limit():
    rows_ = [{"study_id": f"X{i}1990", "notes": "<@a>" * 40} for i in range(3000)]
    changed = [{**r, "notes": "@b&#64;" * 40} for r in rows_]
    d = diff_mod.compare(
        diff_mod.Side("a", {"comparisons": {}}, tuple(rows_)),
        diff_mod.Side("b", {"comparisons": {}}, tuple(changed)),
    )
    full = d.to_markdown()
    assert len(full) > escape.COMMENT_LIMIT
    cut = escape.truncate_comment(full)
    assert len(cut) <= escape.COMMENT_LIMIT < 65_536
    assert cut.rstrip().endswith("for the whole report.")
    assert "**This report was cut at 65,000 characters**" in cut
    body = cut.split("\n\n**This report was cut")[0]
    assert full.startswith(body)  # cut at a line: no escape or row split


# --------------------------------------------------------------------------- BOM and CRLF


def test_bom_and_crlf_are_read_alike_by_every_reader(tmp_path):
    from analysis.evidence.studyfile import read_studies as meta_read

    plain_dir = copy_data(tmp_path / "plain")
    odd_dir = copy_data(tmp_path / "odd")
    header, table = rows(odd_dir)
    write_rows(odd_dir, header, table, lineterminator="\r\n", prefix=b"\xef\xbb\xbf")
    a, b = validate(plain_dir), validate(odd_dir)
    assert a.records == b.records and not b.errors
    assert [str(p).replace("odd", "plain") for p in b.warnings] == [
        f"{plain_dir / 'studies.csv'}:1:-: warning: UTF-8 byte-order mark at the start of the"
        " file, as a spreadsheet saves it (ignored); python -m analysis validate --fix removes it",
        f"{plain_dir / 'studies.csv'}:1:-: warning: Windows line endings (CRLF), as a spreadsheet"
        " saves them: every line of the file would change in the pull request; python -m"
        " analysis validate --fix rewrites them as LF",
        *(str(p) for p in a.warnings),
    ]
    counted = [r for r in table if r["status"] in ("verified", "derived") and r["ivig_total"]]
    for folder, kw in ((plain_dir, {}), (odd_dir, {"lineterminator": "\r\n", "prefix": BOM})):
        write_rows(folder, header, counted, **kw)  # the meta reader takes rows with counts
    odd_table, plain_table = (
        meta_read(odd_dir / "studies.csv"),
        meta_read(plain_dir / "studies.csv"),
    )
    assert dataclasses.replace(odd_table, path=plain_table.path) == plain_table
    for folder, kw in ((plain_dir, {}), (odd_dir, {"lineterminator": "\r\n", "prefix": BOM})):
        write_rows(folder, header, table, **kw)
    base = diff_mod.read_studies((plain_dir / "studies.csv").read_text(encoding="utf-8"))
    head = diff_mod.read_studies(
        (odd_dir / "studies.csv").read_bytes().decode("utf-8").replace("\r\n", "\n")
    )
    raw_head = diff_mod.read_studies((odd_dir / "studies.csv").read_bytes().decode("utf-8"))
    assert base == head == raw_head
    changes, added, removed = diff_mod.diff_trials(base, raw_head)
    assert changes == [] and added == () and removed == ()


def test_escaping_functions_on_the_payloads():
    for p in PAYLOADS:
        md = escape.markdown(p)
        assert re.search(r"(?<!\\)[<>@`\[\]!{}&#*$_]", md) is None, md
        assert escape.html(p).count("<") == 0
        out = escape.comment(p)
        assert (
            re.search(r"@(?!\u200d)", out) is None and re.search(r"#(?!\u200d)[0-9]", out) is None
        )
    assert escape.markdown_url("javascript:alert(1)") == "javascript\\:alert\\(1\\)"
    assert (
        escape.markdown_url("https://a.org/x ; http://b.org")
        == "<https://a.org/x> ; <http://b.org>"
    )
    assert escape.markdown_url("https://a.org/<x>") == "https\\:\\/\\/a\\.org\\/\\<x\\>"
    assert escape.code("a``b") == "``` a``b ```"
    assert escape.typst('#panic("x") $y$ @key <l>') == '\\#panic(\\"x\\") \\$y\\$ \\@key \\<l\\>'
    assert escape.code_block("```\nx").startswith("````text\n")
    assert html.unescape(escape.html('"<x>"')) == '"<x>"'


def test_typst_escaping_compiles_to_the_literal_text(tmp_path):
    import io

    import pypdf
    import typst

    text = '#panic("x") $y$ @key <l> *b* _i_ = h // c'
    src = tmp_path / "a.typ"
    src.write_text(escape.typst(text), encoding="utf-8")
    pdf = pypdf.PdfReader(io.BytesIO(typst.compile(str(src))))
    assert pdf.pages[0].extract_text().strip() == text


def test_the_pinned_rules_and_the_published_descriptor_agree():
    """A maintainer changes a rule in both files at once; the data's copy is what other
    tools (Frictionless) read, the code's copy is what validation applies."""
    from analysis.evidence.validate import RULES

    assert RULES.read_bytes() == (DATA / "datapackage.json").read_bytes()
