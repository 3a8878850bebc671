"""The search record: how and when the trials in ``studies.csv`` were identified.

``data/search.yaml`` records what the Methods chapter reports under PRISMA 2020
items 5 to 9 (eligibility, information sources, search, selection, data
collection; Page et al. 2021, ``page2021`` in references.bib): the eligibility criteria
(PICO), the sources used, the level of access, the extraction rule and the
dates, above all ``last_searched``, the date the site calls "evidence last
searched" (distinct from the build's commit date).

:func:`check` holds the rules ``python -m analysis validate`` applies to it;
:func:`load` returns the validated record as a :class:`SearchRecord`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from analysis.evidence import plaintext, yamlfile
from analysis.evidence.yamlfile import as_date

__all__ = ["FILE", "SearchRecord", "check", "load", "new_since_source_review"]

#: File name of the search record, beside ``studies.csv``.
FILE = "search.yaml"

_COMPARATORS = {"placebo", "plasma_exchange", "corticosteroid"}
_TOP = (
    "eligibility",
    "source_review_search",
    "sources",
    "access",
    "extraction",
    "identification_started",
    "last_searched",
)
_ELIGIBILITY = ("design", "population", "intervention", "comparators", "outcome")


class _Sink(Protocol):
    def error(self, file: str, row: int | None, column: str, rule: str, value=None) -> None: ...


@dataclass(frozen=True)
class SearchRecord:
    """The validated content of ``search.yaml``."""

    eligibility: dict[str, Any]
    source_review_search: dict[str, Any]
    sources: tuple[dict[str, str], ...]
    access: str
    extraction: dict[str, Any]
    identification_started: _dt.date
    last_searched: _dt.date
    unidentified_leads: tuple[str, ...] = ()

    @property
    def source_review_until(self) -> str:
        """The source review's search end, as written (``2021-11``)."""
        return str(self.source_review_search.get("searched_until", ""))


def _read(path: Path, name: str, out: _Sink) -> dict | None:
    if not path.exists() and not path.is_symlink():
        out.error(name, None, "-", "the search record is missing (how the trials were identified)")
        return None
    doc = yamlfile.read(path, name)
    for p in doc.problems:
        out.error(p.file, p.row, p.column, p.rule, p.value)
    if doc.problems:
        return None
    raw = doc.data
    if not isinstance(raw, dict):
        out.error(name, None, "-", "must be a mapping of keys to values")
        return None
    bad = False
    for key_path, value in _strings(raw, ()):
        rule = plaintext.format_character(value)
        if rule:
            out.error(
                name,
                doc.line(key_path),
                yamlfile.key_path(key_path),
                rule,
                value[:60].encode("unicode_escape").decode("ascii"),
            )
            bad = True
    return None if bad else raw


def _strings(value: Any, path: tuple):
    """Every text value of the record with its key path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


def check(path: Path, out: _Sink, *, this_year: int | None = None) -> dict | None:
    """Check ``search.yaml`` at *path*, reporting each broken rule to *out*; return its content.

    Rules: every top-level key of :data:`_TOP` present; eligibility names the
    design, population, intervention, comparators (each one the data knows) and
    outcome; at least one source, each with ``kind`` and ``detail``; dates are
    ISO dates, ``identification_started`` <= ``last_searched`` and neither in a
    year after *this_year*, real days of the calendar (not ``2026-02-30``) and not in
    the future. The file is read by :mod:`analysis.evidence.yamlfile` (no aliases, tags or
    duplicate keys) and no text holds an invisible format character. Returns None when
    the record is unusable.
    """
    name = path.name if path.parent.name != "data" else f"data/{path.name}"
    raw = _read(path, name, out)
    if raw is None:
        return None
    ok = True
    for key in _TOP:
        if key not in raw or raw[key] in (None, "", [], {}):
            out.error(name, None, key, "required (the Methods chapter reports it)")
            ok = False
    elig = raw.get("eligibility") or {}
    if isinstance(elig, dict):
        for key in _ELIGIBILITY:
            if not elig.get(key):
                out.error(name, None, f"eligibility.{key}", "required")
                ok = False
        for comp in elig.get("comparators") or []:
            if not isinstance(comp, str) or comp not in _COMPARATORS:
                out.error(
                    name,
                    None,
                    "eligibility.comparators",
                    f"must be one of {', '.join(sorted(_COMPARATORS))}",
                    comp,
                )
                ok = False
    sources = raw.get("sources") or []
    if not isinstance(sources, list):
        out.error(name, None, "sources", "must be a list")
        ok = False
    else:
        for i, src in enumerate(sources, 1):
            if not isinstance(src, dict) or not src.get("kind") or not src.get("detail"):
                out.error(name, None, f"sources[{i}]", "needs a kind and a detail")
                ok = False
    this_year = this_year or _dt.datetime.now(_dt.UTC).year
    today = min(_dt.datetime.now(_dt.UTC).date(), _dt.date(this_year, 12, 31))
    dates = {}
    for key in ("identification_started", "last_searched"):
        if key not in raw:
            continue
        d, rule = yamlfile.date(raw[key], today=today)
        if d is None:
            out.error(name, None, key, rule or "must be a date YYYY-MM-DD", raw[key])
            ok = False
        else:
            dates[key] = d
    if len(dates) == 2 and dates["identification_started"] > dates["last_searched"]:
        out.error(name, None, "last_searched", "is before identification_started")
        ok = False
    return raw if ok else None


class _Raise:
    def error(self, file: str, row: int | None, column: str, rule: str, value=None) -> None:
        from analysis.errors import UserError

        shown = f" ({value})" if value is not None else ""
        raise UserError(f"{file}:{row or '-'}:{column}: {rule}{shown}")


def load(data_dir: Path) -> SearchRecord:
    """The validated search record of *data_dir*.

    Raises
    ------
    analysis.errors.UserError
        At the first broken rule, naming file, key and rule.
    """
    raw = check(Path(data_dir) / FILE, _Raise())
    assert raw is not None  # _Raise raised otherwise
    return SearchRecord(
        eligibility=dict(raw["eligibility"]),
        source_review_search=dict(raw["source_review_search"]),
        sources=tuple(dict(s) for s in raw["sources"]),
        access=str(raw["access"]).strip(),
        extraction=dict(raw["extraction"]),
        identification_started=as_date(raw["identification_started"]),  # type: ignore[arg-type]
        last_searched=as_date(raw["last_searched"]),  # type: ignore[arg-type]
        unidentified_leads=tuple(str(x) for x in raw.get("unidentified_leads") or ()),
    )


def new_since_source_review(record: SearchRecord, years: dict[str, int]) -> list[str]:
    """Study ids published after the year the source review's search ended.

    *years* maps study id to publication year. A trial published in the year the
    search ended may or may not have been found by it, so only later years count.
    """
    until = record.source_review_until[:4]
    if not until.isdigit():
        return []
    return sorted((s for s, y in years.items() if int(y) > int(until)), key=lambda s: (years[s], s))
