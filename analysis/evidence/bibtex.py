"""A small BibTeX reader: entry keys, fields and the line each starts on.

Enough to check ``data/references.bib`` against ``data/studies.csv`` (every
study has an entry; years and DOIs agree). It reads the common syntax
(``@type{key, field = {value}, field = "value", field = 1996}``) with nested
braces; ``@comment``, ``@preamble`` and ``@string`` blocks are skipped. It does
not expand ``@string`` macros or ``#`` concatenation.

Why not bibtexparser: the checks need the line of every entry and field and a
strict reading (an extra ``}`` that ends an entry early is an error, not a field
silently dropped); this reader is one left-to-right pass (line numbers by binary
search over the line starts), so its time is linear in the file's size.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: the references the review's own text cites (the source review, the methods): part of
#: the code, beside the templates that cite them, never of ``data/``
METHODS_BIB = Path(__file__).resolve().parents[1] / "report" / "methods.bib"

_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*[{(]")
_KEY = re.compile(r"\s*([^,\s{}()]+)\s*,")
# what follows an entry up to the next "@" (or the end): only white space is expected
# (white space and whole-line "%" comments are expected; anything else is reported)
_STRAY = re.compile(r"(?:\s|%[^\n]*)*([^@\s%][^@\n]*)?")
_BARE = re.compile(r"[\w.:-]+")
_FIELD = re.compile(r"\s*([A-Za-z][\w-]*)\s*=\s*")


@dataclass(frozen=True)
class Entry:
    """One BibTeX entry.

    Attributes
    ----------
    kind : str
        Entry type in lower case (``article``, ``misc``, ...).
    key : str
        Citation key.
    line : int
        1-based line of the ``@``.
    fields : dict[str, str]
        Field name (lower case) -> value without the outer braces or quotes.
    field_lines : dict[str, int]
        Field name -> 1-based line where the field starts.
    """

    kind: str
    key: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SyntaxProblem:
    """A place where the reader could not make sense of the file."""

    line: int
    message: str


class _Lines:
    """Line numbers of positions in one text, O(log n) each."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)


def _value(text: str, pos: int) -> tuple[str, int] | None:
    """Read a braced, quoted or bare value starting at ``pos``; return (value, end)."""
    if pos >= len(text):
        return None
    if text[pos] == "{":
        depth, i = 0, pos
        while i < len(text):
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[pos + 1 : i], i + 1
            i += 1
        return None
    if text[pos] == '"':
        depth, i = 0, pos + 1
        while i < len(text):
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == '"' and depth == 0:
                return text[pos + 1 : i], i + 1
            i += 1
        return None
    m = _BARE.match(text, pos)
    if not m:
        return None
    return m.group(0), m.end()


def parse(text: str) -> tuple[list[Entry], list[SyntaxProblem]]:
    """Parse BibTeX ``text`` into entries, collecting syntax problems.

    Parameters
    ----------
    text : str
        The file's contents.

    Returns
    -------
    entries : list of Entry
        In file order (duplicates kept, so a caller can report them).
    problems : list of SyntaxProblem
        Unreadable places; parsing resumes at the next ``@``.
    """
    entries: list[Entry] = []
    problems: list[SyntaxProblem] = []
    _line_of = _Lines(text)
    pos = 0
    while True:
        m = _ENTRY.search(text, pos)
        if not m:
            break
        kind = m.group(1).lower()
        start_line = _line_of(m.start())
        pos = m.end()
        if kind in {"comment", "preamble", "string"}:
            got = _value(text, m.end() - 1)
            pos = got[1] if got else m.end()
            continue
        km = _KEY.match(text, pos)
        if not km:
            problems.append(SyntaxProblem(start_line, "entry without a key"))
            continue
        entry = Entry(kind, km.group(1), start_line)
        pos = km.end()
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos < len(text) and text[pos] in "})":
                pos += 1
                stray = _STRAY.match(text, pos)
                if stray and stray.group(1):
                    problems.append(
                        SyntaxProblem(
                            _line_of(stray.start(1)),
                            f"text after the end of entry {entry.key}: an extra closing"
                            " brace ended it early?",
                        )
                    )
                break
            fm = _FIELD.match(text, pos)
            if not fm:
                problems.append(
                    SyntaxProblem(_line_of(pos), f"unreadable field in entry {entry.key}")
                )
                nxt = text.find("@", pos)
                pos = len(text) if nxt < 0 else nxt
                break
            name = fm.group(1).lower()
            got = _value(text, fm.end())
            if got is None:
                problems.append(
                    SyntaxProblem(
                        _line_of(fm.start()),
                        f"unbalanced braces or quotes in field {name} of entry {entry.key}",
                    )
                )
                nxt = text.find("@", fm.end())
                pos = len(text) if nxt < 0 else nxt
                break
            entry.fields[name] = " ".join(got[0].split())
            entry.field_lines[name] = _line_of(fm.start())
            pos = got[1]
        entries.append(entry)
    return entries, problems


@cache
def method_keys() -> frozenset[str]:
    """The keys of :data:`METHODS_BIB`, case-folded (BibTeX keys are case-insensitive).

    ``data/references.bib`` may not repeat one: a data pull request could otherwise
    redefine a reference the Methods cite.
    """
    entries, _ = parse(METHODS_BIB.read_text(encoding="utf-8"))
    return frozenset(e.key.casefold() for e in entries)
