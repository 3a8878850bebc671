"""Who may sign a certainty judgement: the named authors of ``review-metadata.yml``.

A row of ``data/certainty.csv`` overrides a GRADE rating on the site, so its
``reviewer`` is not free text: it must be one of the review's named authors, written
``Given Family`` (or ``Family, Given``) as ``review-metadata.yml`` lists them. With no
named author, no judgement can be recorded; and a pull request that adds an author
changes ``review-metadata.yml``, which ``.github/CODEOWNERS`` gives to a maintainer.

The metadata file is read by :mod:`analysis.evidence.yamlfile` (no aliases, tags or
duplicate keys).
"""

from __future__ import annotations

from pathlib import Path

from analysis.evidence import yamlfile
from analysis.evidence.csvfile import Problem

__all__ = ["METADATA", "check", "named"]

METADATA = "review-metadata.yml"


def named(path: Path) -> tuple[frozenset[str] | None, list[Problem]]:
    """The names a reviewer may sign with (both orders), or None with the problems."""
    doc = yamlfile.read(path, path.name)
    if doc.problems:
        return None, list(doc.problems)
    raw = doc.data if isinstance(doc.data, dict) else {}
    names: set[str] = set()
    for a in raw.get("authors") or ():
        if not isinstance(a, dict):
            continue
        family, given = str(a.get("family-names") or "").strip(), a.get("given-names")
        given = str(given or "").strip()
        if family and given:
            names |= {f"{given} {family}", f"{family}, {given}"}
        elif family:
            names.add(family)
    return frozenset(names), []


def check(
    certainty: Path, metadata: Path, rows: list[tuple[int, dict]], name: str | None = None
) -> list[Problem]:
    """A problem for each row whose ``reviewer`` is not a named author."""
    if not rows:
        return []
    allowed, problems = named(metadata) if metadata.is_file() else (frozenset(), [])
    if allowed is None:
        return problems
    out = []
    for row, r in rows:
        who = " ".join(str(r.get("reviewer", "")).split())
        if who and who not in allowed:
            rule = (
                f"not a named author of {METADATA}: a judgement is signed by one of the"
                " review's authors (Given Family)"
                if allowed
                else f"{METADATA} names no author yet, so no judgement can be signed"
            )
            out.append(Problem(name or str(certainty), row, "reviewer", rule, who[:60]))
    return out
