"""A small BibTeX reader: entry keys, fields and the line each starts on.

Enough to check ``data/references.bib`` against ``data/studies.csv`` (every
study has an entry; years and DOIs agree). It reads the common syntax
(``@type{key, field = {value}, field = "value", field = 1996}``) with nested
braces; ``@comment``, ``@preamble`` and ``@string`` blocks are skipped. It does
not expand ``@string`` macros or ``#`` concatenation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*[{(]")
_KEY = re.compile(r"\s*([^,\s{}()]+)\s*,")
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


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


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
    m = re.compile(r"[\w.:-]+").match(text, pos)
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
    pos = 0
    while True:
        m = _ENTRY.search(text, pos)
        if not m:
            break
        kind = m.group(1).lower()
        start_line = _line_of(text, m.start())
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
                break
            fm = _FIELD.match(text, pos)
            if not fm:
                problems.append(
                    SyntaxProblem(_line_of(text, pos), f"unreadable field in entry {entry.key}")
                )
                nxt = text.find("@", pos)
                pos = len(text) if nxt < 0 else nxt
                break
            name = fm.group(1).lower()
            got = _value(text, fm.end())
            if got is None:
                problems.append(
                    SyntaxProblem(
                        _line_of(text, fm.start()),
                        f"unbalanced braces or quotes in field {name} of entry {entry.key}",
                    )
                )
                nxt = text.find("@", fm.end())
                pos = len(text) if nxt < 0 else nxt
                break
            entry.fields[name] = " ".join(got[0].split())
            entry.field_lines[name] = _line_of(text, fm.start())
            pos = got[1]
        entries.append(entry)
    return entries, problems
