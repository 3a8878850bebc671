"""Reading a user's study file for ``python -m analysis meta``.

The file is a CSV with a header row and the columns ``study_id, year, ivig_improved,
ivig_total, control_improved, control_total`` (any order; other columns are ignored
unless ``--by`` names one). Every problem is reported as one line

    FILE:ROW:COLUMN: rule broken (value)

raised as :class:`analysis.errors.UserError`. Rows are numbered as a spreadsheet shows
them: the header is row 1, the first study row 2 (a field with a line break inside
quotes still counts as one row). The first problem found, row by row and column by
column, is reported.

The file is read by :mod:`analysis.evidence.csvfile` in its ``"first"`` mode (the
standard library's ``csv``, no pandas, so ``meta`` starts fast); the rules of the study
columns are here.

Public API
----------
StudyTable                 the validated columns
read_studies(path, by=None) -> StudyTable
REQUIRED_COLUMNS
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import UserError
from analysis.evidence import csvfile
from analysis.vocabulary import ENGINE_COLUMNS

__all__ = ["REQUIRED_COLUMNS", "StudyTable", "read_studies"]

REQUIRED_COLUMNS = ENGINE_COLUMNS
_COUNTS = ("ivig_improved", "ivig_total", "control_improved", "control_total")
_INTEGER = re.compile(r"[+-]?\d+")
#: Largest value accepted per column (data/'s own bound on a count; a year of four digits).
_LIMITS = {"year": 9999, **dict.fromkeys(_COUNTS, 10_000_000)}


@dataclass(frozen=True)
class StudyTable:
    """Validated study rows, one entry per study in file order.

    Attributes
    ----------
    path : str
        The file as the user named it.
    rows : tuple[int, ...]
        Spreadsheet row number of each study.
    study_id : tuple[str, ...]
    year, ivig_improved, ivig_total, control_improved, control_total : tuple[int, ...]
    by : str or None
        The subgroup column, if asked for.
    groups : tuple[str, ...] or None
        Its value per study.
    """

    path: str
    rows: tuple[int, ...]
    study_id: tuple[str, ...]
    year: tuple[int, ...]
    ivig_improved: tuple[int, ...]
    ivig_total: tuple[int, ...]
    control_improved: tuple[int, ...]
    control_total: tuple[int, ...]
    by: str | None = None
    groups: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.study_id)


def _shorten(value: str, limit: int = 40) -> str:
    """A cell as one line of a message: line breaks shown as ``\\n``, long values cut."""
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value if len(value) <= limit else value[: limit - 3] + "..."


def read_studies(path: str | Path, by: str | None = None) -> StudyTable:
    """Read and validate a study file.

    Rules: the file exists and is UTF-8 text (a byte-order mark is allowed); it is not
    empty; the header names every required column once (and ``by`` when given); there
    is at least one study row; ``study_id`` is not blank and not repeated; ``year`` and
    the four counts are whole numbers, not blank, not negative, at most 10,000,000 (a
    year at most 9999); totals are greater than
    0; events do not exceed their arm's total; the ``by`` value is not blank. Rows with
    every field blank are skipped.

    Raises
    ------
    analysis.errors.UserError
        ``FILE:ROW:COLUMN: rule broken (value)`` for the first problem found.
    """
    name = str(path)

    def fail(row: int, column: str, rule: str, value: str | None = None) -> UserError:
        shown = None if value is None else _shorten(value)
        return UserError(str(csvfile.Problem(name, row, column, rule, shown)))

    table = csvfile.read(path, mode="first", name=name)
    if not table.rows:
        raise fail(1, "study_id", "empty file: expected a header row naming the columns")
    header = [h.strip() for h in table.rows[0][1]]
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if h in seen and h in REQUIRED_COLUMNS + ((by,) if by else ()):
            raise fail(1, h, f"column named twice (columns {seen[h] + 1} and {j + 1})", h)
        seen.setdefault(h, j)
    for col in REQUIRED_COLUMNS:
        if col not in seen:
            raise fail(1, col, "required column missing from the header")
    if by is not None and by not in seen:
        raise fail(1, by, "--by names a column that is not in the header")
    wanted = REQUIRED_COLUMNS + ((by,) if by and by not in REQUIRED_COLUMNS else ())
    index = {col: seen[col] for col in wanted}

    out: dict[str, list] = {col: [] for col in REQUIRED_COLUMNS}
    groups: list[str] = []
    rows: list[int] = []
    first_row: dict[str, int] = {}
    for row_no, record in table.rows[1:]:
        if not any(field.strip() for field in record):
            continue
        values = {col: (record[j].strip() if j < len(record) else "") for col, j in index.items()}
        sid = values["study_id"]
        if not sid:
            raise fail(row_no, "study_id", "blank study_id")
        if sid in first_row:
            raise fail(
                row_no, "study_id", f"duplicate study_id (first on row {first_row[sid]})", sid
            )
        first_row[sid] = row_no
        ints: dict[str, int] = {}
        for col in ("year",) + _COUNTS:
            raw = values[col]
            if raw == "":
                raise fail(row_no, col, "blank value: a whole number is required")
            if not _INTEGER.fullmatch(raw):
                raise fail(row_no, col, "not a whole number", raw)
            if len(raw.lstrip("+-")) > 15:  # before int(): thousands of digits are slow
                raise fail(row_no, col, f"too large: at most {_LIMITS[col]:,}", raw)
            n = int(raw)
            if n < 0:
                raise fail(row_no, col, "negative value", raw)
            if n > _LIMITS[col]:  # numpy's int64 and the estimators' float arithmetic
                raise fail(row_no, col, f"too large: at most {_LIMITS[col]:,}", raw)
            ints[col] = n
        for events, total in (
            ("ivig_improved", "ivig_total"),
            ("control_improved", "control_total"),
        ):
            if ints[total] <= 0:
                raise fail(row_no, total, "total must be greater than 0", values[total])
            if ints[events] > ints[total]:
                raise fail(
                    row_no,
                    events,
                    f"events exceed {total} of {ints[total]}",
                    values[events],
                )
        if by is not None:
            g = values[by]
            if not g:
                raise fail(row_no, by, "blank subgroup value")
            groups.append(g)
        out["study_id"].append(sid)
        for col, n in ints.items():
            out[col].append(n)
        rows.append(row_no)
    if not rows:
        raise fail(2, "study_id", "no study rows below the header")
    return StudyTable(
        path=name,
        rows=tuple(rows),
        study_id=tuple(out["study_id"]),
        year=tuple(out["year"]),
        ivig_improved=tuple(out["ivig_improved"]),
        ivig_total=tuple(out["ivig_total"]),
        control_improved=tuple(out["control_improved"]),
        control_total=tuple(out["control_total"]),
        by=by,
        groups=tuple(groups) if by is not None else None,
    )
