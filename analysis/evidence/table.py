"""One table of ``data/`` read against its Table Schema fields, cell by cell.

The machinery that :mod:`analysis.evidence.validate` (``studies.csv``) and
:mod:`analysis.evidence.outcomes` (``outcomes.csv``) share: the header checked against
the schema's fields (names, order, duplicates), each row's cells typed and checked against
their constraints (``required``, ``type``, ``enum``, ``minimum``, ``maximum``,
``pattern``), every problem collected as a :class:`~analysis.evidence.csvfile.Problem`
naming file, row, column and rule. It lives apart from both so that neither imports the
other for it.

References
----------
Frictionless Data, *Table Schema* specification, https://specs.frictionlessdata.io/.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from analysis.evidence import csvfile, spreadsheet
from analysis.evidence.csvfile import Problem

__all__ = [
    "INVALID",
    "MAX_BYTES",
    "RULES",
    "Collector",
    "check_header",
    "constraints_text",
    "parse_cell",
    "records",
    "show",
]

#: Refuse tables larger than this (the register is ~45 kB; 5 MB is a mistake).
MAX_BYTES = 5_000_000

#: The project's rules: its own copy of the descriptor, pinned in the code. A pull request
#: may change the text of ``data/datapackage.json`` (titles, descriptions) but not a rule:
#: every name, type, constraint, key and dialect must equal this copy.
RULES = Path(__file__).with_name("datapackage.json")

_INTEGER = re.compile(r"-?[0-9]+")
#: Longer integers are refused before conversion (counts are bounded at 10^7 by the rules).
_MAX_DIGITS = 15
_RANGE_RULES = {"year": "before the trial era: the first year allowed is {}"}
_PATTERN_RULES = {
    "doi": "malformed DOI: expected 10.NNNN/suffix, without https://doi.org/",
    "pmid": "malformed PMID: expected digits only",
    "study_id": "malformed study_id: expected Author + year (+ _suffix), e.g. Hahn1996",
}


class _Invalid:
    """A cell that broke its type or a constraint: present, but not usable by later rules."""

    def __repr__(self) -> str:
        return "<invalid>"


INVALID = _Invalid()


def show(value: str | None, limit: int = 60) -> str:
    if value is None or value == "":
        return "empty"
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Collector:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, file: str, row: int | None, column: str, rule: str, value=None) -> None:
        self.items.append(Problem(file, row, column, rule, value, "error"))

    def warn(self, file: str, row: int | None, column: str, rule: str, value=None) -> None:
        self.items.append(Problem(file, row, column, rule, value, "warning"))


def parse_cell(f: dict, raw: str, name: str, row: int, out: Collector):
    """Apply one field's type and constraints to one cell; return the typed value."""
    col = f["name"]
    cons = f.get("constraints", {})
    if csvfile.undecodable(raw):
        out.error(name, row, col, "not UTF-8 text: save the file as UTF-8", show(raw))
        raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if broken := spreadsheet.cell_line_break(raw):  # a quote copied from a PDF
        out.warn(name, row, col, broken, show(raw))
    if raw == "":
        if cons.get("required"):
            out.error(name, row, col, "required value missing", "empty")
        return None
    if raw != raw.strip():
        out.warn(name, row, col, "space at the start or end of the value", show(raw))
    value: int | str = raw
    if f.get("type", "string") == "integer":
        if not _INTEGER.fullmatch(raw):
            out.error(name, row, col, "not an integer", show(raw))
            return INVALID
        if len(raw.lstrip("-")) > _MAX_DIGITS:  # int() of thousands of digits is refused
            out.error(name, row, col, f"too large: at most {_MAX_DIGITS} digits", show(raw, 30))
            return INVALID
        value = int(raw)
        if "minimum" in cons and value < cons["minimum"]:
            rule = _RANGE_RULES.get(col, "below the minimum {}").format(cons["minimum"])
            out.error(name, row, col, rule, raw)
            return INVALID
        if "maximum" in cons and value > cons["maximum"]:
            out.error(name, row, col, f"above the maximum {cons['maximum']}", raw)
            return INVALID
    if "enum" in cons and value not in cons["enum"]:
        allowed = ", ".join(str(v) for v in cons["enum"])
        hint = difflib.get_close_matches(raw.strip().lower(), [str(v) for v in cons["enum"]], 1)
        rule = f"not one of {allowed}" + (f"; did you mean {hint[0]}?" if hint else "")
        out.error(name, row, col, rule, show(raw))
        return INVALID
    if "pattern" in cons and not re.fullmatch(cons["pattern"], raw):
        rule = _PATTERN_RULES.get(col, f"does not match the pattern {cons['pattern']}")
        out.error(name, row, col, rule, show(raw))
        return INVALID
    return value


def check_header(header: list[str], fields: list[dict], name: str, out: Collector) -> bool:
    expected = [f["name"] for f in fields]
    ok = True
    seen: set[str] = set()
    for i, h in enumerate(header, start=1):
        shown = show(h) if h else f"column {i}"
        if h in seen:
            out.error(name, 1, shown, "duplicate column name")
            ok = False
        seen.add(h)
        if h not in expected:
            hint = difflib.get_close_matches(h.strip().lower(), expected, 1)
            rule = "unknown column" + (f"; did you mean {hint[0]}?" if hint else "")
            out.error(name, 1, shown, rule)
            ok = False
    for col in expected:
        if col not in seen:
            out.error(name, 1, "-", "missing column", col)
            ok = False
    if ok and header != expected:
        first = next(i for i, (a, b) in enumerate(zip(header, expected, strict=True)) if a != b)
        out.error(
            name, 1, header[first], f"columns not in the schema's order: expected {expected[first]}"
        )
        ok = False
    return ok


def records(rows, fields, name, out) -> list[tuple[int, dict]]:
    header = rows[0][1]
    width = len(header)
    last_content = max((r for r, cells in rows if any(c.strip() for c in cells)), default=1)
    typed = []
    by_name = {f["name"]: f for f in fields}
    previous: list[str] | None = None
    for row, cells in rows[1:]:
        previous, before = cells, previous
        if not any(c.strip() for c in cells):
            if row > last_content:
                if row == last_content + 1:
                    out.warn(name, row, "-", "blank line at the end of the file (ignored)")
            else:
                out.error(name, row, "-", "blank row inside the table")
            continue
        if len(cells) != width:
            out.error(name, row, "-", spreadsheet.broken_row(cells, header, fields, before))
            continue
        rec = {
            col: parse_cell(by_name[col], raw, name, row, out)
            for col, raw in zip(header, cells, strict=True)
        }
        typed.append((row, rec))
    return typed


def constraints_text(f: dict) -> str:
    """A field's constraints in words for the data dictionary (enum, bounds, pattern)."""
    from analysis import escape

    cons = f.get("constraints", {})
    parts = []
    if "enum" in cons:
        parts.append(", ".join(escape.markdown_code(f"`{v}`") for v in cons["enum"]))
    if "minimum" in cons:
        parts.append(f"≥ {cons['minimum']}")
    if "maximum" in cons:
        parts.append(f"≤ {cons['maximum']}")
    if "pattern" in cons:
        parts.append("pattern " + escape.markdown_code(f"`{cons['pattern']}`"))
    if cons.get("unique"):
        parts.append("unique")
    return "; ".join(parts)
