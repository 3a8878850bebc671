"""The integrity watch: updates to the register's trial reports, and posted registry results.

* **Crossref** (REST API ``/works`` with ``filter=updates:DOI``, several DOIs in one
  request; Crossref "REST API filters": ``updates`` lists the notices that update the
  given DOI): each item is a notice whose ``update-to`` list names the updated DOI, the
  update ``type`` (``retraction``, ``correction``, ``expression_of_concern``,
  ``withdrawal``, ...), a ``label`` and the ``updated`` date-parts. Recorded as
  ``crossref.json``.
* **ClinicalTrials.gov** API v2 ``/studies?filter.ids=NCT...``: ``hasResults`` and
  ``resultsFirstPostDateStruct`` of each registered trial (recorded as
  ``ctgov_results.json``): posted results of a pending trial are counts to extract.

:func:`release_problems` is the release check: a retraction of a register trial's report
with no decision recorded in ``data/integrity.yaml`` stops the release.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.evidence.surveillance import load_decisions
from analysis.surveil.fetch import Fetcher, SourceError
from analysis.surveil.register import Register, load_register
from analysis.surveil.sources import URLS, parse_ctgov

__all__ = [
    "Update",
    "Watch",
    "parse_crossref_updates",
    "release_problems",
    "check_release",
    "watch",
]

#: DOIs per Crossref request (the filter's values are OR-ed)
BATCH = 25
#: Crossref update types and the register's names for them
_TYPES = {
    "retraction": "retraction",
    "removal": "retraction",
    "withdrawal": "withdrawal",
    "expression_of_concern": "expression_of_concern",
    "expression-of-concern": "expression_of_concern",
    "correction": "correction",
    "erratum": "correction",
    "corrigendum": "correction",
}


@dataclass(frozen=True)
class Update:
    """A notice updating one register trial's report."""

    study_id: str
    doi: str
    update: str  # retraction | expression_of_concern | correction | withdrawal
    notice: str
    date: str
    label: str = ""

    @property
    def blocks_release(self) -> bool:
        return self.update in ("retraction", "withdrawal")

    @property
    def key(self) -> str:
        return f"integrity:{self.doi}:{self.update}:{self.notice}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "doi": self.doi,
            "update": self.update,
            "notice": self.notice,
            "date": self.date,
            "label": self.label,
            "blocks_release": self.blocks_release,
        }


@dataclass(frozen=True)
class Watch:
    """What the integrity watch found."""

    updates: tuple[Update, ...] = ()
    results_posted: tuple[tuple[str, str, str], ...] = ()  # (study_id, NCT, date)
    errors: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "updates": [u.to_dict() for u in self.updates],
            "results_posted": [
                {"study_id": s, "nct": n, "date": d} for s, n, d in self.results_posted
            ],
            "errors": list(self.errors),
        }

    def to_markdown(self) -> str:
        from analysis import escape

        lines = ["# Integrity watch", ""]
        for u in self.updates:
            lines.append(
                f"- {escape.markdown(u.study_id)} (doi {escape.markdown(u.doi)}): "
                f"{u.update.replace('_', ' ')} {escape.markdown(u.notice)} ({u.date})"
                + (
                    " **blocks the release until data/integrity.yaml records a decision**"
                    if u.blocks_release
                    else ""
                )
            )
        for s, n, d in self.results_posted:
            lines.append(f"- {escape.markdown(s)}: results posted on ClinicalTrials.gov ({n}, {d})")
        if len(lines) == 2:
            lines.append("No update and no posted result found.")
        lines += [f"- Source error: {escape.markdown(e)}" for e in self.errors]
        return "\n".join(lines) + "\n"


def _date_parts(obj: Any) -> str:
    try:
        parts = obj["date-parts"][0]
        return "-".join(f"{int(p):02d}" if i else str(int(p)) for i, p in enumerate(parts))
    except (KeyError, IndexError, TypeError, ValueError):
        return ""


def parse_crossref_updates(payload: Any, dois: Mapping[str, str]) -> list[Update]:
    """Updates in a Crossref ``work-list`` response to the DOIs of *dois* (DOI -> study id)."""
    if not isinstance(payload, Mapping) or payload.get("status") != "ok":
        raise SourceError("crossref: malformed response (no status ok)")
    message = payload.get("message")
    items = message.get("items") if isinstance(message, Mapping) else None
    if not isinstance(items, list):
        raise SourceError("crossref: malformed response (no message.items list)")
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            raise SourceError("crossref: malformed response (an item is not an object)")
        for up in item.get("update-to") or ():
            target = str(up.get("DOI") or "").lower()
            if target not in dois:
                continue
            kind = _TYPES.get(str(up.get("type") or "").lower().replace(" ", "_"))
            if kind is None:
                continue
            out.append(
                Update(
                    study_id=dois[target],
                    doi=target,
                    update=kind,
                    notice=str(item.get("DOI") or "").lower(),
                    date=_date_parts(up.get("updated")),
                    label=str(up.get("label") or ""),
                )
            )
    return out


def watch(
    data_dir: Path, fetch: Fetcher, *, mailto: str = "", register: Register | None = None
) -> Watch:
    """Crossref updates of every register trial with a DOI; posted results of those with an NCT."""
    register = register or load_register(data_dir)
    dois = {t.doi: t.study_id for t in register.trials if t.doi}
    updates: list[Update] = []
    errors: list[str] = []
    items = sorted(dois)
    try:
        for i in range(0, len(items), BATCH):
            batch = items[i : i + BATCH]
            params = {
                "filter": ",".join(f"updates:{d}" for d in batch),
                "rows": "100",
                **({"mailto": mailto} if mailto else {}),
            }
            updates += parse_crossref_updates(fetch.get("crossref", URLS["crossref"], params), dois)
    except SourceError as exc:
        errors.append(f"Crossref: {exc}")
    ncts = {n: t.study_id for t in register.trials for n in t.ncts}
    posted: list[tuple[str, str, str]] = []
    if ncts:
        try:
            payload = fetch.get(
                "ctgov_results",
                URLS["ctgov"],
                {"filter.ids": ",".join(sorted(ncts)), "pageSize": "100", "format": "json"},
            )
            for rec in parse_ctgov(payload, "ctgov_results"):
                if rec.has_results and rec.nct in ncts:
                    posted.append((ncts[rec.nct], rec.nct, str(rec.year or "")))
            # the posting date, when the record gives it
            posted = [(s, n, _results_date(payload, n) or d) for s, n, d in posted]
        except SourceError as exc:
            errors.append(f"ClinicalTrials.gov: {exc}")
    unique = {u.key: u for u in updates}
    return Watch(tuple(unique.values()), tuple(posted), tuple(errors))


def _results_date(payload: Any, nct: str) -> str:
    for s in payload.get("studies") or ():
        proto = s.get("protocolSection") or {}
        if (proto.get("identificationModule") or {}).get("nctId") == nct:
            return str(
                ((proto.get("statusModule") or {}).get("resultsFirstPostDateStruct") or {}).get(
                    "date"
                )
                or ""
            )
    return ""


def release_problems(data_dir: Path, found: Watch) -> list[str]:
    """Why the release must wait: each retraction without a recorded decision, one line.

    A watch that could not reach Crossref cannot clear the release either.
    """
    decided = {(d.doi, d.update) for d in load_decisions(data_dir)}
    problems = [
        f"data/integrity.yaml: {u.study_id} (doi {u.doi}) has a {u.update.replace('_', ' ')} "
        f"notice {u.notice or '(no DOI)'} dated {u.date or 'unknown'}; record the decision "
        "(excluded or kept, with the reason) before releasing"
        for u in found.updates
        if u.blocks_release and (u.doi, u.update) not in decided
    ]
    problems += [
        f"integrity watch incomplete: {e}" for e in found.errors if e.startswith("Crossref")
    ]
    return problems


def check_release(data_dir: Path, offline: Path | None = None) -> None:
    """The release check: Crossref asked now (or *offline* recordings replayed).

    Raises
    ------
    analysis.errors.UserError
        Listing every retraction without a decision in ``data/integrity.yaml`` (and a
        Crossref that could not be asked), one line each.
    """
    import os

    from analysis.errors import UserError
    from analysis.evidence.surveillance import EMAIL_ENV, SURVEILLANCE_FILE, load_plan
    from analysis.surveil.fetch import Http, Replay

    if (Path(data_dir) / SURVEILLANCE_FILE).is_file():
        plan = load_plan(data_dir)
        tool, email = plan.tool, plan.contact_email
    else:  # a data folder without a surveillance record: identify the tool all the same
        tool, email = "ivig-living-review", os.environ.get(EMAIL_ENV, "")
    fetch: Fetcher = Replay(offline) if offline is not None else Http(tool, email)
    found = watch(data_dir, fetch, mailto=email)
    problems = release_problems(data_dir, found)
    if problems:
        raise UserError("release blocked by the integrity watch:\n" + "\n".join(problems))
