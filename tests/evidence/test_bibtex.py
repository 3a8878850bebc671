"""The small BibTeX reader used to check references.bib."""

from analysis.evidence.bibtex import parse


def test_fields_braces_quotes_and_lines():
    text = (
        "% a comment line\n"
        "@string{lancet = {Lancet}}\n"
        "@Article{Hahn1996,\n"
        "  author = {Hahn and {van Doorn}},\n"
        '  title = "A {CIDP} trial",\n'
        "  year = 1996,\n"
        "  note = {two\n    lines},\n"
        "}\n"
        "@misc{Other2001, year = {2001}}\n"
    )
    entries, problems = parse(text)
    assert problems == []
    assert [(e.kind, e.key, e.line) for e in entries] == [
        ("article", "Hahn1996", 3),
        ("misc", "Other2001", 10),
    ]
    hahn = entries[0]
    assert hahn.fields == {
        "author": "Hahn and {van Doorn}",
        "title": "A {CIDP} trial",
        "year": "1996",
        "note": "two lines",
    }
    assert hahn.field_lines == {"author": 4, "title": 5, "year": 6, "note": 7}


def test_unbalanced_braces_are_reported_and_parsing_resumes():
    text = "@misc{A2000,\n  title = {open {inner,\n}\n@misc{B2001,\n  year = {2001},\n}\n"
    entries, problems = parse(text)
    assert [(p.line, p.message) for p in problems] == [
        (2, "unbalanced braces or quotes in field title of entry A2000")
    ]
    # the broken field is dropped, and reading resumes at the next entry
    assert [(e.key, e.fields) for e in entries] == [("A2000", {}), ("B2001", {"year": "2001"})]


def test_entry_without_key():
    entries, problems = parse("@article{, year = {1999}}\n")
    assert entries == []
    assert [(p.line, p.message) for p in problems] == [(1, "entry without a key")]


def test_extra_closing_brace_is_reported_not_a_silently_dropped_field():
    text = (
        "@article{A1990,\n  title = {x}},\n  doi = {10.1000/x}\n}\n\n"
        "% comment\n@misc{B1991, year={1991}}\n"
    )
    entries, problems = parse(text)
    assert [(p.line, p.message) for p in problems] == [
        (2, "text after the end of entry A1990: an extra closing brace ended it early?")
    ]
    assert [e.key for e in entries] == ["A1990", "B1991"]


def test_large_file_keeps_exact_lines():
    """10k entries (the reader is one pass; its times are in bench/bib_bench.py)."""
    from bench.bib_bench import synthetic

    entries, problems = parse(synthetic(10_000))
    assert problems == [] and len(entries) == 10_000
    # each synthetic entry is 9 lines: "@" of entry i on line 9 i + 1, its doi on 9 i + 6
    assert entries[-1].line == 9 * 9_999 + 1
    assert entries[-1].field_lines["doi"] == 9 * 9_999 + 6


def test_benchmark_quick_mode_writes_its_result(tmp_path):
    from bench import bib_bench

    assert bib_bench.main(["--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "bibtex_quick.json").is_file()
