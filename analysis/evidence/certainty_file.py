"""Reviewers' GRADE judgements: the rules for ``data/certainty.csv`` and its reader.

The rules of :mod:`analysis.stats.certainty` *propose* a rating for each GRADE domain. A
reviewer who judges a domain differently records it here, one row per comparison,
disease and domain, with a rationale and a name; the site then shows that rating as
judged, beside the rule's proposal. The file is optional and may hold only its header:
with no row every rating is rule-based.

Columns: ``comparison`` (``placebo``, ``plasma_exchange``, ``corticosteroid``),
``disease`` (a disease code of the register, or ``all`` for the across-disease pool),
``domain`` (``risk_of_bias``, ``inconsistency``, ``indirectness``, ``imprecision``,
``publication_bias``), ``rating`` (``not_serious``, ``serious``, ``very_serious``,
``not_assessable``), ``rationale`` and ``reviewer`` (plain text, required).

Problems are :class:`analysis.evidence.validate.Problem` (``file:row:column: rule
(value)``), collected by :func:`check` and reported by ``python -m analysis validate``
with the rest of ``data/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.evidence import csvfile
from analysis.evidence.csvfile import Problem, display
from analysis.vocabulary import GRADE_DOMAINS as DOMAINS
from analysis.vocabulary import GRADE_RATINGS as RATINGS

__all__ = ["ALL", "CERTAINTY", "COLUMNS", "Override", "check", "read_overrides"]


@dataclass(frozen=True)
class Override:
    """A reviewer's judgement of one domain (one row of ``data/certainty.csv``); the
    statistics take it as a :class:`analysis.stats.certainty.Judgement`."""

    domain: str
    rating: str
    rationale: str
    reviewer: str


CERTAINTY = "certainty.csv"
COLUMNS = ("comparison", "disease", "domain", "rating", "rationale", "reviewer")
#: the disease value of the across-disease pool
ALL = "all"
#: longest rationale or reviewer name accepted (a rationale is a sentence or two)
MAX_TEXT = 1000
MAX_BYTES = 1_000_000


def _enum(fields: list[dict] | tuple[dict, ...], name: str) -> tuple[str, ...] | None:
    for f in fields:
        if f.get("name") == name:
            return tuple(f.get("constraints", {}).get("enum") or ()) or None
    return None


def _rows(path: Path, problems: list[Problem]) -> list[tuple[int, dict]] | None:
    """The judgement rows, read by :mod:`analysis.evidence.csvfile` (collecting mode)."""
    table = csvfile.read(path, mode="all", name=display(path), max_bytes=MAX_BYTES)
    problems.extend(table.problems)
    name = table.name
    problems.extend(
        Problem(name, i, "-", "not UTF-8 text: save the file as UTF-8")
        for i, row in table.rows
        if any(csvfile.undecodable(c) for c in row)
    )
    if any(p.severity == "error" for p in problems):
        return None
    rows = [cells for _, cells in table.rows]
    if not rows or tuple(h.strip() for h in rows[0]) != COLUMNS:
        problems.append(
            Problem(
                name,
                1,
                "-",
                "header must be " + ",".join(COLUMNS),
                ",".join(rows[0] if rows else []),
            )
        )
        return None
    out = []
    for i, row in table.rows[1:]:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(COLUMNS):
            problems.append(Problem(name, i, "-", f"expected {len(COLUMNS)} fields", str(len(row))))
            continue
        out.append((i, {c: v.strip() for c, v in zip(COLUMNS, row, strict=True)}))
    return out


def check(path: Path, fields: list[dict] | tuple[dict, ...] = ()) -> tuple[Problem, ...]:
    """Every problem in a certainty file (none when the file does not exist).

    ``fields`` are the studies table's schema fields, whose ``comparator`` and ``disease``
    enums give the values allowed here (plus ``all`` for the disease).
    """
    path = Path(path)
    if not path.exists():
        return ()
    problems: list[Problem] = []
    rows = _rows(path, problems)
    if rows is None:
        return tuple(problems)
    name = display(path)
    comparisons = _enum(fields, "comparator")
    diseases = _enum(fields, "disease")
    seen: dict[tuple[str, str, str], int] = {}
    for i, r in rows:

        def bad(col: str, rule: str, i=i, r=r) -> None:
            problems.append(Problem(name, i, col, rule, r[col][:60] or "empty"))

        if comparisons and r["comparison"] not in comparisons:
            bad("comparison", "must be one of " + ", ".join(comparisons))
        if diseases and r["disease"] not in (*diseases, ALL):
            bad("disease", "must be a disease code of the register or all")
        if r["domain"] not in DOMAINS:
            bad("domain", "must be one of " + ", ".join(DOMAINS))
        if r["rating"] not in RATINGS:
            bad("rating", "must be one of " + ", ".join(RATINGS))
        for col in ("rationale", "reviewer"):
            v = r[col]
            if not v:
                bad(col, "required: a judgement needs its reason and its reviewer")
            elif len(v) > MAX_TEXT:
                bad(col, f"longer than {MAX_TEXT} characters")
            elif any(ord(ch) < 32 for ch in v):
                bad(col, "control characters are not allowed")
        key = (r["comparison"], r["disease"], r["domain"])
        if key in seen:
            bad(
                "domain", f"judged twice for this comparison and disease (first in row {seen[key]})"
            )
        else:
            seen[key] = i
    return tuple(problems)


def read_overrides(path: Path) -> dict[tuple[str, str], dict[str, Override]]:
    """The judgements keyed by (comparison, disease), then domain; {} without a file.

    Call after :func:`check` found no problem (``load_studies`` validation does).
    """
    path = Path(path)
    if not path.exists():
        return {}
    problems: list[Problem] = []
    rows = _rows(path, problems) or []
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValueError(str(errors[0]))
    out: dict[tuple[str, str], dict[str, Override]] = {}
    for _, r in rows:
        out.setdefault((r["comparison"], r["disease"]), {})[r["domain"]] = Override(
            r["domain"], r["rating"], r["rationale"], r["reviewer"]
        )
    return out
