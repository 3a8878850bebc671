"""One reader for the project's CSV files, in two modes.

``read(path, mode="all")`` reads as far as it can and returns the rows together with
every problem met on the way (the validator of ``data/``, which lists all problems);
``read(path, mode="first")`` raises :class:`analysis.errors.UserError` with the first
problem (the study file of ``python -m analysis meta``). A problem is one line
``FILE:ROW:COLUMN: rule broken (value)`` (:class:`Problem`), never a traceback: the
file is untrusted input.

Both modes read alike: UTF-8 with an optional byte-order mark, any line ending, a
quoted field may span lines and still counts as one row, rows are numbered as a
spreadsheet shows them (the header is row 1). A file holding only white space has no
rows; the caller says what it expected there (its own header rule). What the mode
changes is only what happens at a problem:

================================  ===============================  ========================
event                             ``"all"``                        ``"first"``
================================  ===============================  ========================
file missing, unreadable, too     error, no rows                   raised
large, a directory
byte-order mark, CRLF endings     warning (the rows are read)      accepted silently
semicolons or tabs, not commas    error, no rows                   raised
bytes that are not UTF-8          kept as surrogate escapes, so    raised, naming the line
                                  the caller reports each cell
                                  with its column
malformed CSV (a quote never      error on that row; the rows      raised
closed, text after a quote)       before it are kept
================================  ===============================  ========================

A problem with the whole file has row ``-`` in ``"all"`` mode and ``0`` in ``"first"``
mode (the command line's ``FILE:ROW:COLUMN`` always has a number).

Splitting is the standard library's :mod:`csv` in strict mode (RFC 4180 quoting); only
the decoding and the row numbering are written here, because the messages must name the
row a spreadsheet shows. frictionless is not used: it is not a dependency of the
project, and the validator applies the project's pinned Table Schema itself.

Public API
----------
Problem, Table, Mode
read(path, *, mode, name=None, max_bytes=None) -> Table
undecodable(cell) -> bool
    whether a cell read in ``"all"`` mode holds bytes that are not UTF-8
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from analysis.errors import UserError
from analysis.evidence import spreadsheet

__all__ = ["Mode", "Problem", "Row", "Table", "display", "read", "undecodable"]

Severity = Literal["error", "warning"]
#: ``"all"``: collect every problem; ``"first"``: raise at the first one.
Mode = Literal["all", "first"]
#: (spreadsheet row, the cells as written)
Row = tuple[int, list[str]]

BOM = b"\xef\xbb\xbf"
MALFORMED = (
    "malformed CSV: a double quote must open and close a whole value"
    ' (write a quote inside a value as "")'
)


@dataclass(frozen=True)
class Problem:
    """One broken rule at one place.

    Attributes
    ----------
    file : str
        The file as the user named it (relative to the working directory when inside it).
    row : int or None
        Spreadsheet row (header = 1) or line (BibTeX); None for the whole file.
    column : str
        Column name (or BibTeX field / key); ``-`` for the whole row or file.
    rule : str
        The rule broken, in words.
    value : str or None
        The offending value as found (None when there is no single value to show).
    severity : {"error", "warning"}
    """

    file: str
    row: int | None
    column: str
    rule: str
    value: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{'-' if self.row is None else self.row}:{self.column}"
        tag = "warning: " if self.severity == "warning" else ""
        what = "" if self.value is None else f" ({self.value})"
        return f"{where}: {tag}{self.rule}{what}"


@dataclass(frozen=True)
class Table:
    """What :func:`read` found.

    Attributes
    ----------
    name : str
        The file as named in the problems.
    rows : tuple of (int, list of str)
        Spreadsheet row and cells of every row read, the header first; empty for a
        file of white space only, or when the file could not be read.
    problems : tuple of Problem
        In ``"all"`` mode every problem met (errors and warnings); in ``"first"`` mode
        always empty (the first error was raised).
    """

    name: str
    rows: tuple[Row, ...]
    problems: tuple[Problem, ...] = ()


def read(
    path: str | Path,
    *,
    mode: Mode,
    name: str | None = None,
    max_bytes: int | None = None,
) -> Table:
    """Read a CSV file into numbered rows of cells (see the module's docstring).

    Parameters
    ----------
    path : path-like
    mode : {"all", "first"}
        Collect every problem, or raise at the first.
    name : str, optional
        The file as the messages name it; default ``str(path)``.
    max_bytes : int, optional
        Refuse a larger file before reading it.

    Raises
    ------
    analysis.errors.UserError
        In ``"first"`` mode, ``FILE:ROW:COLUMN: rule`` for the first problem.
    """
    p = Path(path)
    name = str(path) if name is None else name
    problems: list[Problem] = []
    whole = 0 if mode == "first" else None  # the row of a problem with the whole file

    def problem(row: int | None, rule: str, value: str | None = None, warning: bool = False):
        if warning and mode == "first":
            return  # a warning never stops a reading
        found = Problem(name, row, "-", rule, value, "warning" if warning else "error")
        if mode == "first":
            raise UserError(str(found))
        problems.append(found)

    def done(rows: list[Row] | None = None) -> Table:
        return Table(name, tuple(rows or ()), tuple(problems))

    try:
        size = p.stat().st_size
        if max_bytes is not None and size > max_bytes:
            problem(whole, f"file too large: the limit is {max_bytes} bytes", str(size))
            return done()
        raw = p.read_bytes()
    except FileNotFoundError:
        problem(whole, "file not found")
        return done()
    except IsADirectoryError:
        problem(whole, "is a directory, not a CSV file")
        return done()
    except OSError as exc:
        problem(whole, f"cannot read the file ({exc.strerror})")
        return done()
    if raw.startswith(BOM):
        problem(1, spreadsheet.BOM_RULE, warning=True)
        raw = raw[len(BOM) :]
    endings = spreadsheet.line_ending_rule(raw)
    if endings:
        problem(1, endings, warning=True)
    if mode == "first":
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:  # byte counted after the byte-order mark
            problem(raw[: exc.start].count(b"\n") + 1, f"not UTF-8 text (byte {exc.start})")
    text = raw.decode("utf-8", "surrogateescape")
    if not text.strip():
        return done()
    separated = spreadsheet.separator_rule(text.split("\n", 1)[0])
    if separated:
        problem(1, separated)
        return done()
    rows: list[Row] = []
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), strict=True):
            rows.append((len(rows) + 1, cells))
    except csv.Error as exc:
        problem(len(rows) + 1, MALFORMED, str(exc))  # the rows before the broken one stand
    return done(rows)


def undecodable(cell: str) -> bool:
    """Whether a cell read in ``"all"`` mode holds bytes that are not UTF-8 (kept as
    surrogate escapes, U+DC80 to U+DCFF)."""
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


def display(path: Path) -> str:
    """Name ``path`` as a user would: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel
