"""The register's identifiers, for deduplication: PMID, DOI, NCT number, normalised title.

Read from ``data/studies.csv`` (``pmid``, ``doi``; NCT numbers wherever a row names one)
and ``data/references.bib`` (the trial's title, keyed by study id). Titles are compared
normalised: Unicode folded to ASCII, lower case, everything but letters and digits
dropped, so "Intravenous immune globulin (10% ...): a randomised trial" and its
PubMed spelling match.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analysis.evidence import bibtex

__all__ = ["Register", "RegisterTrial", "load_register", "normalise_title"]

_NCT = re.compile(r"\bNCT\d{8}\b", re.IGNORECASE)


def normalise_title(title: str) -> str:
    """A title reduced to lower-case ASCII letters and digits separated by single spaces."""
    text = unicodedata.normalize("NFKD", str(title or "")).encode("ascii", "ignore").decode()
    text = re.sub(r"[{}\\]", "", text).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _doi(value: str) -> str:
    doi = str(value or "").strip().lower()
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi)


@dataclass(frozen=True)
class RegisterTrial:
    """One row of the register and what identifies it."""

    study_id: str
    row: Mapping[str, str]
    pmid: str = ""
    doi: str = ""
    ncts: tuple[str, ...] = ()
    title: str = ""

    @property
    def status(self) -> str:
        return str(self.row.get("status") or "")


@dataclass(frozen=True)
class Register:
    """Every register trial, with lookups by identifier."""

    trials: tuple[RegisterTrial, ...]
    by_key: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, trials: Iterable[RegisterTrial]) -> Register:
        trials = tuple(trials)
        keys: dict[tuple[str, str], str] = {}
        for t in trials:
            for key in _keys(t.pmid, t.doi, t.ncts, t.title):
                keys.setdefault(key, t.study_id)
        return cls(trials, keys)

    def match(
        self, pmid: str, doi: str, nct: str, title: str
    ) -> tuple[str, tuple[str, str]] | None:
        """``(study_id, (kind, value))`` of the first identifier the register knows."""
        for key in _keys(pmid, doi, (nct,) if nct else (), title):
            if key in self.by_key:
                return self.by_key[key], key
        return None


def _keys(pmid: str, doi: str, ncts: Iterable[str], title: str) -> list[tuple[str, str]]:
    out = []
    if pmid:
        out.append(("PMID", str(pmid).strip()))
    if doi:
        out.append(("DOI", _doi(doi)))
    out += [("NCT", n.upper()) for n in ncts if n]
    norm = normalise_title(title)
    if len(norm) >= 20:  # a short title is too weak a match
        out.append(("title", norm))
    return out


def load_register(data_dir: Path) -> Register:
    """The register of *data_dir* (``studies.csv`` and the titles of ``references.bib``)."""
    data_dir = Path(data_dir)
    rows = list(csv.DictReader(io.StringIO((data_dir / "studies.csv").read_text(encoding="utf-8"))))
    bib = data_dir / "references.bib"
    titles: dict[str, str] = {}
    ncts_bib: dict[str, list[str]] = {}
    if bib.is_file():
        entries, _ = bibtex.parse(bib.read_text(encoding="utf-8"))
        for e in entries:
            titles[e.key] = e.fields.get("title", "")
            ncts_bib[e.key] = _NCT.findall(" ".join(e.fields.values()))
    trials = []
    for row in rows:
        sid = row.get("study_id", "")
        ncts = sorted(
            {n.upper() for n in _NCT.findall(" ".join(row.values()))} | set(ncts_bib.get(sid, []))
        )
        trials.append(
            RegisterTrial(
                study_id=sid,
                row=row,
                pmid=str(row.get("pmid") or "").strip(),
                doi=_doi(row.get("doi") or ""),
                ncts=tuple(ncts),
                title=titles.get(sid, ""),
            )
        )
    return Register.of(trials)
