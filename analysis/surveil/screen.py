"""From the sources' records to candidates: deduplicated, explained, flagged.

1. Records naming the same trial are merged across sources when they share a PMID, DOI,
   NCT number or normalised title (one candidate, several sources).
2. A candidate the register already holds (same identifiers, :mod:`.register`) is
   *known*: reported with the identifier that matched, never raised as new.
3. Each new candidate says **which rule made it a candidate** (the query of the source
   that found it and the words of the record that met each criterion of search.yaml:
   intervention, disease, randomised design) and **why it may be out of scope**
   (design: not randomised or a review, protocol, post hoc or extension report;
   population: none of the six diseases named; comparator: none of placebo, plasma
   exchange or corticosteroids named; a preprint; a registry record without results).
   The flags help the screener; a person decides (PRISMA-LSR: screening of new records).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from analysis.surveil.register import Register, normalise_title
from analysis.surveil.sources import (
    COMPARATOR_TERMS,
    DESIGN_TERMS,
    DISEASE_TERMS,
    INTERVENTION_TERMS,
    Record,
    Window,
)

__all__ = ["Candidate", "SurveillanceReport", "candidates"]

_NOT_TRIAL_TYPES = {
    "review",
    "systematic review",
    "meta-analysis",
    "case reports",
    "observational study",
    "comment",
    "editorial",
    "letter",
}
_NOT_TRIAL_WORDS = (
    "systematic review",
    "meta-analysis",
    "retrospective",
    "cohort",
    "case report",
    "case series",
    "observational",
    "protocol",
    "post hoc",
    "post-hoc",
    "open-label extension",
    "real-world",
)


@dataclass(frozen=True)
class Candidate:
    """One trial found by the search (one or more records of one or more sources)."""

    records: tuple[Record, ...]
    known_as: str | None = None  # the register's study id, when it holds the trial
    matched_by: tuple[str, str] | None = None  # (PMID | DOI | NCT | title, value)
    rules: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    disease: str | None = None

    def _first(self, name: str) -> Any:
        return next((getattr(r, name) for r in self.records if getattr(r, name)), "")

    @property
    def title(self) -> str:
        return str(self._first("title"))

    @property
    def first_author(self) -> str:
        return str(self._first("first_author"))

    @property
    def year(self) -> int | None:
        return self._first("year") or None

    @property
    def ids(self) -> dict[str, str]:
        """Identifiers: ``pmid``, ``doi``, ``nct`` and each source's own id."""
        out = {k: str(self._first(k)) for k in ("pmid", "doi", "nct") if self._first(k)}
        for r in self.records:
            out.setdefault(r.source, r.source_id)
        return out

    @property
    def key(self) -> str:
        """The identifier of the candidate's issue: its strongest id."""
        ids = self.ids
        for k in ("nct", "pmid", "doi"):
            if k in ids:
                return f"{k}:{ids[k].lower()}"
        r = self.records[0]
        return f"{r.source}:{r.source_id}".lower()

    @property
    def source_id(self) -> str:
        ids = self.ids
        return next(
            (
                f"{lab} {ids[k]}"
                for k, lab in (("pmid", "PMID"), ("nct", ""), ("doi", "doi:"))
                if k in ids
            ),
            f"{self.records[0].source} {self.records[0].source_id}",
        ).strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "first_author": self.first_author,
            "year": self.year,
            "ids": self.ids,
            "key": self.key,
            "sources": sorted({r.source for r in self.records}),
            "links": [r.url for r in self.records if r.url],
            "known_as": self.known_as,
            "matched_by": list(self.matched_by) if self.matched_by else None,
            "disease": self.disease,
            "rules": list(self.rules),
            "out_of_scope": list(self.out_of_scope),
        }


def _find(text: str, terms: Iterable[str]) -> str | None:
    low = text.lower()
    return next((t for t in terms if t.lower() in low), None)


def _explain(c: Candidate) -> Candidate:
    text = " ".join([c.title, *(x for r in c.records for x in r.conditions)])
    rules, flags = [], []
    for r in c.records:
        rules.append(f"{r.source} ({r.source_id}) returned it for the {r.source} query")
    drug = _find(text, INTERVENTION_TERMS) or ("IVIG (by the query)" if c.records else None)
    disease_code = next((code for code, terms in DISEASE_TERMS.items() if _find(text, terms)), None)
    disease_word = _find(text, DISEASE_TERMS[disease_code]) if disease_code else None
    pubtypes = [t for r in c.records for t in r.publication_types]
    randomised = (
        "publication type Randomized Controlled Trial"
        if any(t.lower() == "randomized controlled trial" for t in pubtypes)
        else "registry allocation RANDOMIZED"
        if any(r.allocation.upper() == "RANDOMIZED" for r in c.records)
        else (f'title word "{w}"' if (w := _find(c.title, DESIGN_TERMS)) else None)
    )
    rules.append(
        "criteria met: intervention "
        + (f'"{drug}"' if drug else "not named")
        + "; population "
        + (f'"{disease_word}"' if disease_word else "not named")
        + "; randomised "
        + (randomised or "not stated")
    )
    if randomised is None:
        flags.append("design: the record does not say the trial was randomised")
    bad_types = sorted({t for t in pubtypes if t.lower() in _NOT_TRIAL_TYPES})
    if bad_types:
        flags.append(f"design: publication type {', '.join(bad_types)}")
    word = _find(c.title, _NOT_TRIAL_WORDS)
    if word:
        flags.append(f'design: the title says "{word}"')
    if disease_code is None:
        flags.append("population: none of the six diseases is named in the title or conditions")
    if not any(_find(text, terms) for terms in COMPARATOR_TERMS.values()):
        flags.append(
            "comparator: neither placebo, plasma exchange nor corticosteroids is named "
            "(the full text may name one)"
        )
    if any(r.preprint for r in c.records) and not any(r.source == "PubMed" for r in c.records):
        flags.append("a preprint: not peer reviewed")
    reg = [r for r in c.records if r.source == "ClinicalTrials.gov"]
    if reg and len(reg) == len(c.records) and not any(r.has_results for r in reg):
        flags.append("a registry record only, without posted results: no counts to extract yet")
    return replace(c, rules=tuple(rules), out_of_scope=tuple(flags), disease=disease_code)


def _merge(records: Sequence[Record]) -> list[tuple[Record, ...]]:
    """Groups of records sharing a PMID, DOI, NCT number or normalised title (union-find)."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[tuple[str, str], int] = {}
    for i, r in enumerate(records):
        keys = [("pmid", r.pmid), ("doi", r.doi.lower()), ("nct", r.nct.upper())]
        norm = normalise_title(r.title)
        if len(norm) >= 20:
            keys.append(("title", norm))
        for key in keys:
            if not key[1]:
                continue
            if key in seen:
                parent[root(i)] = root(seen[key])
            else:
                seen[key] = i
    groups: dict[int, list[Record]] = {}
    for i, r in enumerate(records):
        groups.setdefault(root(i), []).append(r)
    return [tuple(g) for g in groups.values()]


def candidates(records: Sequence[Record], register: Register) -> list[Candidate]:
    """Merged, matched against the register, explained; new candidates first."""
    out = []
    for group in _merge(records):
        hit = None
        for r in group:
            hit = register.match(r.pmid, r.doi, r.nct, r.title)
            if hit:
                break
        c = Candidate(group, known_as=hit[0] if hit else None, matched_by=hit[1] if hit else None)
        out.append(_explain(c))
    out.sort(key=lambda c: (c.known_as is not None, -(c.year or 0), c.title.lower()))
    return out


@dataclass(frozen=True)
class SurveillanceReport:
    """What one run found: per-source status, new candidates and known trials."""

    window: Window
    run_on: _dt.date
    offline: bool
    sources: dict[str, str]  # source -> "ok: n records" or the one-line error
    found: tuple[Candidate, ...] = ()
    errors: tuple[str, ...] = field(default=())
    queries: dict[str, str] = field(default_factory=dict)

    @property
    def new(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.found if c.known_as is None)

    @property
    def known(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.found if c.known_as is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": {
                "since": self.window.since.isoformat(),
                "until": self.window.until.isoformat(),
            },
            "run_on": self.run_on.isoformat(),
            "offline": self.offline,
            "sources": dict(self.sources),
            "errors": list(self.errors),
            "queries": dict(self.queries),
            "new": [c.to_dict() for c in self.new],
            "known": [c.to_dict() for c in self.known],
        }

    def to_markdown(self) -> str:
        from analysis import escape

        w = self.window
        lines = [
            "# Surveillance search",
            "",
            f"Window {w.since.isoformat()} to {w.until.isoformat()}, run on "
            f"{self.run_on.isoformat()}" + (" from recorded responses." if self.offline else "."),
            "",
            "| source | result |",
            "| --- | --- |",
        ]
        lines += [
            f"| {escape.markdown(s)} | {escape.table_pipes(escape.markdown(v))} |"
            for s, v in self.sources.items()
        ]
        if self.queries:
            lines += [
                "",
                "Queries (the eligibility of data/search.yaml as each source's syntax):",
                "",
            ]
            lines += [f"- {escape.markdown(s)}: {escape.code(q)}" for s, q in self.queries.items()]
        lines += ["", f"## New candidates ({len(self.new)})", ""]
        if not self.new:
            lines.append("None.")
        for c in self.new:
            lines += _candidate_markdown(c)
        lines += ["", f"## Already in the register ({len(self.known)})", ""]
        for c in self.known:
            assert c.matched_by is not None
            lines.append(
                f"- {escape.markdown(c.known_as)}: {escape.markdown(c.title)} "
                f"(matched by {c.matched_by[0]} {escape.markdown(c.matched_by[1])})"
            )
        if not self.known:
            lines.append("None.")
        return "\n".join(lines) + "\n"


def _candidate_markdown(c: Candidate) -> list[str]:
    from analysis import escape

    head = ", ".join(
        x
        for x in (escape.markdown(c.first_author), str(c.year or ""), escape.markdown(c.source_id))
        if x
    )
    out = [f"### {head}", "", f"{escape.markdown(c.title)}", ""]
    out += [
        f"- Link: {escape.markdown_url(u)}"
        for u in dict.fromkeys(r.url for r in c.records if r.url)
    ]
    out += [f"- Why a candidate: {escape.markdown(r)}" for r in c.rules]
    out += [f"- May be out of scope: {escape.markdown(f)}" for f in c.out_of_scope] or [
        "- May be out of scope: nothing in the record says so"
    ]
    out.append("")
    return out
