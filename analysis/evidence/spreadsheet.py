"""Files as spreadsheets save them: what Excel, LibreOffice or Numbers do to a CSV, said in
one line each, and the safe part undone by ``validate --fix``.

* A byte-order mark (Excel's "CSV UTF-8") and Windows line endings (CRLF): every line of
  the file then differs in the pull request. Warned about; :func:`fix` removes the mark
  and writes LF line endings.
* Text that is not UTF-8 (Excel's plain "CSV" on Windows saves Windows-1252): :func:`fix`
  re-encodes it as UTF-8 (the characters stay the same).
* Semicolons or tabs between the values (a spreadsheet in a locale with a decimal comma,
  or "Text (tab delimited)"): recognised from the header and explained in one line,
  instead of one "missing column" per column.
* A line break inside a text value (a quote copied from a PDF or a web page): a warning,
  the likely copy artefact.
* A row with more or fewer cells than the header: the message names the likely cell,
  where a comma or a line break in an unquoted value split the row.

:func:`fix` rewrites only line endings and encoding, never a value: the cells read before
and after are compared and the file is left alone if they differ.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BOM",
    "Fixed",
    "broken_row",
    "cell_line_break",
    "fix",
    "line_ending_rule",
    "separator_rule",
]

BOM = b"\xef\xbb\xbf"
FIX = "python -m analysis validate --fix"

_SEPARATORS = {";": "semicolons", "\t": "tabs"}


def line_ending_rule(raw: bytes) -> str | None:
    """The warning for Windows (CRLF) or old Mac (CR) line endings, None for LF only."""
    if b"\r" not in raw:
        return None
    kind = "Windows line endings (CRLF)" if b"\r\n" in raw else "carriage-return line endings"
    return (
        f"{kind}, as a spreadsheet saves them: every line of the file would change in the"
        f" pull request; {FIX} rewrites them as LF"
    )


BOM_RULE = (
    "UTF-8 byte-order mark at the start of the file, as a spreadsheet saves it (ignored);"
    f" {FIX} removes it"
)


def separator_rule(header_line: str) -> str | None:
    """The one-line explanation when the header is separated by semicolons or tabs, not
    commas (None when it is a comma-separated header)."""
    counts = {sep: header_line.count(sep) for sep in _SEPARATORS}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] < 2 or counts[sep] <= header_line.count(","):
        return None
    return (
        f"values separated by {_SEPARATORS[sep]}, not commas (a spreadsheet's export):"
        " save the file again as CSV with commas, e.g. Excel 'CSV UTF-8 (Comma delimited)',"
        " LibreOffice 'Text CSV' with field delimiter ','"
    )


def cell_line_break(value: str) -> str | None:
    """The warning for a line break inside a text value (a copy artefact), else None."""
    if "\n" not in value and "\r" not in value:
        return None
    return (
        "line break inside the value, likely from copying a PDF or web page: join the lines"
        " (keep the quote verbatim otherwise)"
    )


def _fits(field: dict, raw: str) -> bool:
    """Whether a cell fits its column's type and constraints (for locating a split)."""
    cons = field.get("constraints", {})
    if raw == "":
        return not cons.get("required")
    if field.get("type") == "integer" and not re.fullmatch(r"-?[0-9]+", raw):
        return False
    if "enum" in cons and raw not in cons["enum"]:
        return False
    return not ("pattern" in cons and not re.fullmatch(cons["pattern"], raw))


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def broken_row(
    cells: Sequence[str],
    header: Sequence[str],
    fields: Sequence[dict],
    previous: Sequence[str] | None = None,
) -> str:
    """The rule for a row whose cells do not match the header, naming the likely cell.

    More cells than the header: the column where joining the extra cells back (a comma in
    an unquoted value) makes the most cells fit their columns (a tie: the one where the
    comma is followed by a space, as in prose). Fewer: the row's last cell
    (a line break in an unquoted value ended the row there); a short row right after
    another short row whose cells add up to one row is the rest of that row.
    """
    width = len(header)
    n = len(cells)
    by_name = {f.get("name"): f for f in fields}
    head = f"row has {n} cells but the header has {width}: a comma or line break inside a value"
    advice = "put that value in double quotes (a spreadsheet saving CSV does this)"
    if n > width:
        extra = n - width
        best, best_score = 0, (-1, -1, -1)
        for j in range(width):
            joined = ",".join(cells[j : j + extra + 1])
            merged = [*cells[:j], joined, *cells[j + extra + 1 :]]
            fit = sum(_fits(by_name.get(h, {}), c) for h, c in zip(header, merged, strict=True))
            # a tie goes to prose: a comma followed by a space, as people write one
            prose = sum(c[:1] == " " for c in cells[j + 1 : j + extra + 1])
            score = (fit, prose, joined.count(" "))
            if score > best_score:
                best, best_score = j, score
        value = ",".join(cells[best : best + extra + 1])
        return f"{head}, likely in {header[best]} ({_short(value)}): {advice}"
    if previous is not None and len(previous) < width and len(previous) + n - 1 == width:
        col = header[len(previous) - 1]
        return (
            f"{head}: this line is the rest of the row above, split by a line break in"
            f" {col} ({_short(cells[0])}): {advice}"
        )
    col = header[max(n - 1, 0)]
    return f"{head}, likely a line break in {col} ({_short(cells[-1] if cells else '')}): {advice}"


@dataclass(frozen=True)
class Fixed:
    """What :func:`fix` did to one file (``changes`` empty: nothing to do)."""

    path: Path
    changes: tuple[str, ...]
    refused: str | None = None  # why the file was left alone


def _cells(text: str) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None


def fix(path: Path, write: Callable[[Path, bytes], None] | None = None) -> Fixed:
    """Rewrite ``path`` with LF line endings, no byte-order mark, UTF-8: only line
    endings and encoding change (checked: every cell reads the same, line breaks inside
    values aside); nothing is written when nothing needs fixing or a value would change."""
    raw = path.read_bytes()
    changes: list[str] = []
    data = raw
    if data.startswith(BOM):
        data = data[len(BOM) :]
        changes.append("byte-order mark removed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return Fixed(path, (), "not UTF-8 nor Windows-1252 text: save it as CSV UTF-8")
        changes.append("re-encoded from Windows-1252 to UTF-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        changes.append("line endings rewritten as LF")
    if not changes:
        return Fixed(path, ())
    before = _cells(
        raw.removeprefix(BOM).decode("utf-8", "surrogateescape")
        if "re-encoded from Windows-1252 to UTF-8" not in changes
        else data.decode("cp1252")
    )
    after = _cells(text)
    if before is not None and after is not None:
        norm = [[c.replace("\r\n", "\n").replace("\r", "\n") for c in row] for row in before]
        if norm != after:
            return Fixed(path, (), "a value would change: fix it by hand")
    out = text.encode("utf-8")
    (write or _write)(path, out)
    return Fixed(path, tuple(changes))


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".fix-tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
