"""Access to the R metafor reference results, the project's own test fixtures.

They live in ``tests/fixtures/metafor/`` (with their README and ``make_reference.R``, the R
script that regenerates them with metafor 3.8-1). Each data set NAME has ``NAME.csv`` (the
project's study schema) and ``NAME.json`` (what metafor computes on it; see the README there).

Public API
----------
REFERENCE_DIR : pathlib.Path         ``tests/fixtures/metafor``
names() -> list[str]                 data set names that have both a CSV and a JSON, sorted
load_csv(name) -> dict[str, numpy.ndarray | list[str]]
    columns of NAME.csv: study_id (list of str), year, ivig_improved, ivig_total,
    control_improved, control_total (int arrays) and subgroup (list of str) when present
load_json(name) -> dict              NAME.json parsed
excluded(measure_block) -> list[str] the ``excluded_double_zero`` entry as a list
    (R writes a single name as a bare string)
is_error(value) -> bool              True for a ``{"error": ...}`` entry (to be skipped)
"""

from __future__ import annotations

import csv
import json
import math
from functools import cache
from pathlib import Path

import numpy as np

#: The metafor reference results: part of the repository, so a fresh clone (or a fork's CI)
#: runs the conformance tests with nothing beside it.
REFERENCE_DIR = Path(__file__).resolve().parent / "fixtures" / "metafor"

_INT_COLUMNS = ("year", "ivig_improved", "ivig_total", "control_improved", "control_total")

__all__ = [
    "RTOL",
    "ATOL_AT_ZERO",
    "close",
    "POOLED",
    "figures",
    "REFERENCE_DIR",
    "names",
    "load_csv",
    "load_json",
    "excluded",
    "is_error",
]


def names() -> list[str]:
    """Names of the reference data sets (both NAME.csv and NAME.json present)."""
    return sorted(p.stem for p in REFERENCE_DIR.glob("*.json") if p.with_suffix(".csv").exists())


@cache
def load_csv(name: str) -> dict:
    """Columns of ``NAME.csv``: integer count columns as arrays, text columns as lists."""
    with open(REFERENCE_DIR / f"{name}.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out: dict = {"study_id": [r["study_id"] for r in rows]}
    for col in _INT_COLUMNS:
        out[col] = np.array([int(r[col]) for r in rows], dtype=np.int64)
    if rows and "subgroup" in rows[0]:
        out["subgroup"] = [r["subgroup"] for r in rows]
    return out


@cache
def load_json(name: str) -> dict:
    """``NAME.json`` parsed."""
    return json.loads((REFERENCE_DIR / f"{name}.json").read_text(encoding="utf-8"))


def excluded(block: dict) -> list[str]:
    """``excluded_double_zero`` of a measure block as a list of study ids."""
    x = block.get("excluded_double_zero", [])
    return [x] if isinstance(x, str) else list(x)


def is_error(value) -> bool:
    """True for an entry metafor could not compute (``{"error": "..."}``)."""
    return isinstance(value, dict) and set(value) == {"error"}


#: the agreement required with metafor: relative 1e-6 (its iterations ran to 1e-12)
RTOL = 1e-6
#: where metafor's figure is exactly 0 (tau² = 0, ...), a relative error means nothing
ATOL_AT_ZERO = 1e-10


def close(ours, ref, atol: float | None = None) -> bool:
    """Whether our figure agrees with metafor's.

    ``None`` (undefined) agrees only with ``None``; strings must be equal; numbers must be
    finite and within ``RTOL`` relative of ``ref`` (``ATOL_AT_ZERO`` when ``ref`` is 0), or
    within ``atol`` when one is given (fits at the tau² = 0 boundary, see the suites).
    """
    if ref is None:
        return ours is None
    if ours is None or isinstance(ours, bool):
        return False
    if isinstance(ref, str):
        return ours == ref
    ours, ref = float(ours), float(ref)
    if not math.isfinite(ours):
        return False
    if atol is not None:
        return abs(ours - ref) <= atol
    if ref == 0:
        return abs(ours) <= ATOL_AT_ZERO
    return abs(ours - ref) <= RTOL * abs(ref)


#: the figures metafor reports for every pooled model (``rma``, ``rma.mh``, ``rma.peto``)
POOLED = ("b", "se", "ci_lb", "ci_ub", "estimate", "ci_low", "ci_high", "stat", "p", "k")


def figures(result, names=POOLED) -> dict:
    """``{name: result.name}`` for the reference keys that are attributes of the same name."""
    return {name: getattr(result, name) for name in names}
