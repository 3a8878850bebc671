"""The surveillance record (``data/surveillance.yaml``) and integrity decisions.

``surveillance.yaml`` says how the living review looks for new evidence (what the
Methods chapter reports under PRISMA-LSR, the PRISMA extension for living systematic
reviews: sources, frequency, date of
the last screened run, how candidates are screened) and carries the politeness settings
sent to the public APIs (tool name and contact e-mail). ``integrity.yaml`` records a
maintainer's decision on a retraction, expression of concern or correction of an
included trial's report; the release check (``analysis.surveil.integrity``) reads it.

Both are read strictly: a broken rule raises :class:`~analysis.errors.UserError` naming
file, entry, key and rule, in one line.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import UserError
from analysis.evidence.yamlfile import as_date

__all__ = [
    "DECISIONS",
    "EMAIL_ENV",
    "INTEGRITY_FILE",
    "SURVEILLANCE_FILE",
    "UPDATE_TYPES",
    "Decision",
    "SurveillancePlan",
    "load_decisions",
    "load_plan",
]

SURVEILLANCE_FILE = "surveillance.yaml"
INTEGRITY_FILE = "integrity.yaml"
#: the kinds of update Crossref records (``update-to[].type``), as the register names them
UPDATE_TYPES = ("retraction", "expression_of_concern", "correction", "withdrawal")
#: what the review may decide about an updated trial report
DECISIONS = ("excluded", "kept")
#: environment variable that overrides ``contact_email`` (the workflow's repository variable)
EMAIL_ENV = "IVIG_CONTACT_EMAIL"


@dataclass(frozen=True)
class SurveillancePlan:
    """The validated content of ``surveillance.yaml``."""

    tool: str
    contact_email: str
    frequency: str
    sources: tuple[str, ...]
    started: _dt.date
    last_screened_run: _dt.date | None
    screening: str
    found_by_surveillance: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """A maintainer's decision on one update of one trial report."""

    doi: str
    update: str
    decision: str
    reason: str
    decided: _dt.date
    by: str = ""
    notice: str = ""


def _read(path: Path) -> dict:
    name = f"data/{path.name}"
    if not path.is_file():
        raise UserError(f"{name}:-:-: missing")
    from analysis.evidence import yamlfile  # no aliases, tags or duplicate keys (issue 25)

    doc = yamlfile.read(path, name)
    if doc.problems:
        raise UserError(str(doc.problems[0]))
    raw = doc.data
    if not isinstance(raw, dict):
        raise UserError(f"{name}:-:-: must be a mapping of keys to values")
    return raw


def load_plan(data_dir: Path, environ: Mapping[str, str] | None = None) -> SurveillancePlan:
    """The surveillance record of *data_dir*; ``$IVIG_CONTACT_EMAIL`` (in *environ*, by
    default the process's environment) overrides the e-mail."""
    raw = _read(Path(data_dir) / SURVEILLANCE_FILE)
    name = f"data/{SURVEILLANCE_FILE}"
    for key in ("tool", "frequency", "sources", "started", "screening"):
        if not raw.get(key):
            raise UserError(f"{name}:-:{key}: required (the Methods chapter reports it)")
    started = as_date(raw["started"])
    if started is None:
        raise UserError(f"{name}:-:started: must be a date YYYY-MM-DD ({raw['started']})")
    last = raw.get("last_screened_run")
    last_date = None if last in (None, "") else as_date(last)
    if last not in (None, "") and last_date is None:
        raise UserError(f"{name}:-:last_screened_run: must be a date YYYY-MM-DD or null ({last})")
    sources = raw["sources"]
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise UserError(f"{name}:-:sources: must be a list of names")
    found = raw.get("found_by_surveillance") or []
    if not isinstance(found, list):
        raise UserError(f"{name}:-:found_by_surveillance: must be a list of study ids")
    env = os.environ if environ is None else environ
    email = env.get(EMAIL_ENV) or str(raw.get("contact_email") or "")
    return SurveillancePlan(
        tool=str(raw["tool"]),
        contact_email=email.strip(),
        frequency=str(raw["frequency"]),
        sources=tuple(sources),
        started=started,
        last_screened_run=last_date,
        screening=" ".join(str(raw["screening"]).split()),
        found_by_surveillance=tuple(str(s) for s in found),
    )


def load_decisions(data_dir: Path) -> tuple[Decision, ...]:
    """The recorded decisions of ``integrity.yaml`` (an absent file records none)."""
    path = Path(data_dir) / INTEGRITY_FILE
    if not path.is_file():
        return ()
    raw = _read(path)
    name = f"data/{INTEGRITY_FILE}"
    entries = raw.get("decisions") or []
    if not isinstance(entries, list):
        raise UserError(f"{name}:-:decisions: must be a list")
    out = []
    for i, e in enumerate(entries, 1):
        where = f"{name}:decisions[{i}]"
        if not isinstance(e, dict):
            raise UserError(f"{where}:-: must be a mapping")
        for key in ("doi", "update", "decision", "reason", "decided"):
            if not e.get(key):
                raise UserError(f"{where}:{key}: required")
        if e["update"] not in UPDATE_TYPES:
            raise UserError(f"{where}:update: must be one of {', '.join(UPDATE_TYPES)}")
        if e["decision"] not in DECISIONS:
            raise UserError(f"{where}:decision: must be one of {', '.join(DECISIONS)}")
        decided = as_date(e["decided"])
        if decided is None:
            raise UserError(f"{where}:decided: must be a date YYYY-MM-DD ({e['decided']})")
        out.append(
            Decision(
                doi=str(e["doi"]).strip().lower(),
                update=str(e["update"]),
                decision=str(e["decision"]),
                reason=" ".join(str(e["reason"]).split()),
                decided=decided,
                by=str(e.get("by") or ""),
                notice=str(e.get("notice") or "").strip().lower(),
            )
        )
    return tuple(out)
