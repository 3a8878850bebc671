"""Every outcome of every trial (``data/outcomes.csv``), and the protocol's choice among them.

A trial reports many outcomes: several responder definitions, relapse-free or
treatment-success outcomes, harms. ``outcomes.csv`` records each one (long format, one row
per trial and outcome) with the facts the protocol's rules read (kind, outcome type,
instrument, whether it is the trial's primary outcome) and, for every outcome except the
analysed one, its counts with their status, source and verbatim quote. The analysed
outcome's counts live in ``studies.csv`` only: its row here says ``in_studies``, so no count
is ever typed twice.

:func:`select` applies the rules of ``data/protocol.yaml`` in order to a trial's improvement
and responder outcomes; :func:`check` validates the file (the same cell rules as
``studies.csv``: types, bounds, events never above the arm, counts exactly when verified or
derived, source and quote, a derived row's derivation in notes) and refuses a data set where the
recorded selection (``protocol_rule`` and the ``in_studies`` row) disagrees with the rules,
in one line per trial naming the rule that selects which row. :func:`load` returns the
validated :class:`Outcomes`.

References
----------
Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions,
version 6.4, 2023, chapter 9.3.4 (selecting results when a trial reports several) and
chapter 13.2 (bias from selective reporting of results).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.evidence import csvfile
from analysis.evidence import table as schema_table
from analysis.evidence.csvfile import display
from analysis.evidence.protocol import SELECTORS, Protocol, Rule
from analysis.evidence.table import INVALID, RULES

__all__ = [
    "FILE",
    "Outcome",
    "Outcomes",
    "Selection",
    "check",
    "load",
    "select",
    "selection_lines",
]

#: File name of the outcomes table, beside ``studies.csv``.
FILE = "outcomes.csv"
COUNTS = ("ivig_events", "ivig_total", "control_events", "control_total")
_STUDY_COUNTS = ("ivig_improved", "ivig_total", "control_improved", "control_total")
WITH_COUNTS = frozenset({"verified", "derived"})


@dataclass(frozen=True)
class Outcome:
    """One row of ``outcomes.csv`` (``row``: its spreadsheet row, header = 1)."""

    row: int
    study_id: str
    outcome_id: str
    kind: str
    outcome_type: str
    definition: str
    instrument: str | None
    threshold: str | None
    timepoint: str
    trial_primary: str
    protocol_rule: int | None
    ivig_events: int | None
    ivig_total: int | None
    control_events: int | None
    control_total: int | None
    status: str
    source_url: str | None
    source_quote: str | None
    notes: str | None

    @property
    def has_counts(self) -> bool:
        """True when this row carries its own four counts (verified or derived)."""
        return self.status in WITH_COUNTS and None not in self.counts

    @property
    def counts(self) -> tuple[int | None, int | None, int | None, int | None]:
        return (self.ivig_events, self.ivig_total, self.control_events, self.control_total)


@dataclass(frozen=True)
class Selection:
    """The protocol's choice for one trial: the outcome and the rule that selected it."""

    study_id: str
    outcome: Outcome
    rule: Rule


@dataclass(frozen=True)
class Outcomes:
    """The validated outcomes and the protocol's selection per trial."""

    rows: tuple[Outcome, ...]
    selections: dict[str, Selection]

    def of(self, study_id: str) -> tuple[Outcome, ...]:
        """The outcomes of one trial, in file order."""
        return tuple(o for o in self.rows if o.study_id == study_id)

    def alternatives(self, study_id: str, types: Iterable[str]) -> tuple[Outcome, ...]:
        """Efficacy outcomes of ``types`` with their own counts that the rules did not select."""
        wanted = set(types)
        chosen = self.selections.get(study_id)
        return tuple(
            o
            for o in self.of(study_id)
            if o.kind == "efficacy"
            and o.outcome_type in wanted
            and o.has_counts
            and (chosen is None or o.outcome_id != chosen.outcome.outcome_id)
        )

    def harms(self) -> tuple[Outcome, ...]:
        """Every harm row, in file order."""
        return tuple(o for o in self.rows if o.kind == "harm")


def fields() -> list[dict]:
    """The schema fields of ``outcomes.csv``: the project's pinned rules (never the data's)."""
    pkg = json.loads(RULES.read_text(encoding="utf-8"))
    return next(r for r in pkg["resources"] if r["name"] == "outcomes")["schema"]["fields"]


def select(trial: Iterable[Outcome], protocol: Protocol) -> tuple[Rule, Outcome] | None:
    """The rule that applies first and the outcome it selects, or None.

    Candidates are the trial's efficacy outcomes of the protocol's primary outcome types
    (improvement, responder), whatever their status: a selected outcome without counts is
    the trial's analysed outcome, awaiting its counts. Each rule's selector
    (:data:`analysis.evidence.protocol.SELECTORS`) picks among them; rules apply in order.
    """
    types = set(protocol.primary_types)
    candidates = [o for o in trial if o.kind == "efficacy" and o.outcome_type in types]
    for rule in protocol.rules:
        if rule.select == "trial_primary":
            picks = [o for o in candidates if o.trial_primary == "yes"]
        elif rule.select == "primary_instrument":
            picks = [o for o in candidates if o.trial_primary == "same_instrument"]
        else:  # first_listed
            picks = candidates[:1]
        if picks:
            return rule, picks[0]
    return None


def _typed(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if v is INVALID else v) for k, v in rec.items()}


def _row_rules(o: Outcome, name: str, out: Any) -> None:
    row = o.row
    for col, value in zip(COUNTS, o.counts, strict=True):
        if o.status in WITH_COUNTS and value is None:
            out.error(name, row, col, f"count required when status is {o.status}", "empty")
        if o.status in ("pending", "in_studies") and value is not None:
            why = (
                "the counts of the analysed outcome are in studies.csv: leave them blank here"
                if o.status == "in_studies"
                else "count must be blank while status is pending"
            )
            out.error(name, row, col, why, str(value))
    for events, total, arm in (
        (o.ivig_events, o.ivig_total, "IVIG"),
        (o.control_events, o.control_total, "control"),
    ):
        if events is not None and total is not None and events > total:
            col = "ivig_events" if arm == "IVIG" else "control_events"
            out.error(
                name, row, col, f"more events than patients in the {arm} arm", f"{events} > {total}"
            )
    if o.status in WITH_COUNTS:
        for col in ("source_url", "source_quote"):
            if getattr(o, col) is None:
                out.error(name, row, col, f"required when status is {o.status}", "empty")
    if o.status == "derived" and not o.notes:
        out.error(name, row, "notes", "a derived row shows how its counts were derived in notes")
    from analysis import vocabulary

    allowed = vocabulary.HARM_TYPES if o.kind == "harm" else vocabulary.OUTCOME_TYPES
    if o.outcome_type not in allowed:
        out.error(name, row, "outcome_type", f"not a {o.kind} outcome type", o.outcome_type)
    if o.kind == "harm" and o.protocol_rule is not None:
        out.error(
            name, row, "protocol_rule", "a harm is never the analysed outcome", str(o.protocol_rule)
        )


def _selection_rules(
    rows: list[Outcome],
    studies: dict[str, dict],
    protocol: Protocol,
    name: str,
    studies_name: str,
    out: Any,
) -> dict[str, Selection]:
    selections: dict[str, Selection] = {}
    by_trial: dict[str, list[Outcome]] = {}
    for o in rows:
        by_trial.setdefault(o.study_id, []).append(o)
    primary_types = set(protocol.primary_types)
    for sid, trial in by_trial.items():
        st = studies.get(sid)
        in_studies = [o for o in trial if o.status == "in_studies"]
        if len(in_studies) > 1:
            out.error(
                name,
                in_studies[1].row,
                "status",
                f"{sid}: only one outcome is the trial's row in studies.csv"
                f" (already row {in_studies[0].row})",
                "in_studies",
            )
        counted = st is not None and st.get("status") in WITH_COUNTS
        if in_studies and not counted:
            out.error(
                name,
                in_studies[0].row,
                "status",
                f"{sid}: in_studies, but its row in studies.csv has no counts",
                "in_studies",
            )
        if (
            in_studies
            and counted
            and st is not None
            and st.get("outcome_type") != in_studies[0].outcome_type
        ):
            out.error(
                name,
                in_studies[0].row,
                "outcome_type",
                f"{sid}: differs from the outcome type of its row in studies.csv"
                f" ({st.get('outcome_type')})",
                in_studies[0].outcome_type,
            )
        if counted and not in_studies:
            out.error(
                name,
                trial[0].row,
                "status",
                f"{sid}: studies.csv carries its counts,"
                " so one of its outcomes here must say in_studies",
            )
        chosen = select(trial, protocol)
        recorded = [o for o in trial if o.protocol_rule is not None]
        carried = [o for o in in_studies if o.outcome_type in primary_types]
        if chosen is None:
            for o in recorded + [c for c in carried if c not in recorded]:
                col = "protocol_rule" if o.protocol_rule is not None else "status"
                out.error(
                    name,
                    o.row,
                    col,
                    f"{sid}: no rule of the protocol selects an outcome of this trial, "
                    f"but this row is recorded as its analysed outcome",
                    str(o.protocol_rule or o.status),
                )
            continue
        rule, pick = chosen
        selections[sid] = Selection(sid, pick, rule)
        claim = next((o for o in recorded + carried if o.outcome_id != pick.outcome_id), None)
        how = f"rule {rule.rule} ({SELECTORS[rule.select]})"
        if claim is not None:
            col = "protocol_rule" if claim in recorded else "status"
            out.error(
                name,
                claim.row,
                col,
                f"{sid}: the protocol selects {pick.outcome_id} (row {pick.row}) by {how}, "
                f"not {claim.outcome_id}; record the selection there",
                str(claim.protocol_rule) if claim in recorded else claim.status,
            )
            continue
        if pick.protocol_rule is None and pick.status == "pending":
            pass  # provisional: the rule is recorded when the counts arrive
        elif pick.protocol_rule != rule.rule:
            out.error(
                name,
                pick.row,
                "protocol_rule",
                f"{sid}: the protocol selects this outcome by {how}: record {rule.rule}",
                "empty" if pick.protocol_rule is None else str(pick.protocol_rule),
            )
        elif pick.has_counts:
            out.error(
                name,
                pick.row,
                "status",
                f"{sid}: the analysed outcome's counts belong in {studies_name} "
                "(its row there, with source and quote); here say in_studies",
                pick.status,
            )
    return selections


def check(
    path: Path,
    studies: Iterable[dict],
    protocol: Protocol | None,
    out: Any,
    *,
    studies_name: str = "studies.csv",
) -> Outcomes | None:
    """Validate ``outcomes.csv`` against the trials and the protocol; report to ``out``.

    Parameters
    ----------
    path : pathlib.Path
        The outcomes table.
    studies : iterable of dict
        The typed records of ``studies.csv`` (study_id, status, outcome_type, counts).
    protocol : Protocol or None
        The validated protocol; None when it failed (the selection is then not checked).
    out
        A problem collector with ``error(file, row, column, rule, value)``.

    Returns
    -------
    Outcomes or None
        None when the file could not be read as a table.
    """
    name = display(path)
    if not path.is_file():
        out.error(name, None, "-", "the outcomes table is missing (every outcome of every trial)")
        return None
    table = csvfile.read(path, mode="all", name=name, max_bytes=schema_table.MAX_BYTES)
    out.items.extend(table.problems)
    if not table.rows:
        out.error(name, 1, "-", "empty file: expected a header row")
        return None
    schema = fields()
    rows = list(table.rows)
    if not schema_table.check_header(rows[0][1], schema, name, out):
        return None
    records = schema_table.records(rows, schema, name, out)
    known = {r["study_id"]: r for r in studies if r.get("study_id")}
    seen: dict[tuple[str, str], int] = {}
    parsed: list[Outcome] = []
    for row, rec in records:
        r = _typed(rec)
        if r["study_id"] is not None and r["study_id"] not in known:
            out.error(name, row, "study_id", f"names no trial in {studies_name}", r["study_id"])
            continue
        key = (r["study_id"], r["outcome_id"])
        if None not in key and key in seen:
            out.error(
                name,
                row,
                "outcome_id",
                f"duplicate outcome of this trial: already on row {seen[key]}",
                key[1],
            )
            continue
        seen[key] = row
        required = (
            "study_id",
            "outcome_id",
            "kind",
            "outcome_type",
            "definition",
            "timepoint",
            "trial_primary",
            "status",
        )
        if any(r[c] is None for c in required):
            continue  # the cell's own rule has reported it
        o = Outcome(row=row, **{k: r[k] for k in r})
        _row_rules(o, name, out)
        parsed.append(o)
    selections = (
        {}
        if protocol is None
        else _selection_rules(parsed, known, protocol, name, studies_name, out)
    )
    for sid, st in known.items():
        if st.get("status") in WITH_COUNTS and not any(o.study_id == sid for o in parsed):
            out.error(
                name,
                None,
                "study_id",
                f"{sid} has counts in {studies_name} but no outcome here: record its outcome "
                "(with in_studies) so the protocol can check the choice",
                sid,
            )
    return Outcomes(tuple(parsed), selections)


def check_beside(folder: Path, studies: Iterable[dict], out: Any, *, project: bool) -> None:
    """Check ``protocol.yaml`` and ``outcomes.csv`` beside a ``studies.csv`` (the validator's hook).

    Both are checked when present, and always for the project's ``data/`` (where they are
    required); a folder of one edited CSV without them is checked as before.
    """
    from analysis.evidence import protocol as protocol_mod

    prot = None
    if project or (folder / protocol_mod.FILE).exists():
        prot = protocol_mod.check(folder / protocol_mod.FILE, out)
    if project or (folder / FILE).exists():
        check(folder / FILE, studies, prot, out)


def selection_lines(report: Any) -> list[str]:
    """Which rule selected which outcome row of each trial, one line each, for a clean report.

    ``report`` is :func:`analysis.evidence.validate.validate`'s; the protocol and outcomes are
    read from beside its table. Empty when there are none.
    """
    from analysis.evidence import protocol as protocol_mod

    folder = Path(report.studies).parent
    if not (folder / protocol_mod.FILE).is_file() or not (folder / FILE).is_file():
        return []
    found = load(folder, report.records, protocol_mod.load(folder / protocol_mod.FILE))
    name = display(folder / FILE)
    return [
        f"{sid}: {s.outcome.outcome_id} ({name}:{s.outcome.row}) selected by rule {s.rule.rule}"
        f" ({SELECTORS[s.rule.select]})"
        + ("; counts not yet extracted" if s.outcome.status == "pending" else "")
        for sid, s in sorted(found.selections.items(), key=lambda kv: kv[1].outcome.row)
    ]


class _Lines:
    def __init__(self) -> None:
        self.items: list[csvfile.Problem] = []

    def error(self, file: str, row: int | None, column: str, rule: str, value=None) -> None:
        self.items.append(csvfile.Problem(file, row, column, rule, value, "error"))

    def warn(self, file: str, row: int | None, column: str, rule: str, value=None) -> None:
        self.items.append(csvfile.Problem(file, row, column, rule, value, "warning"))


def load(data_dir: Path, studies: Iterable[dict], protocol: Protocol) -> Outcomes:
    """The validated outcomes of ``data_dir``; :class:`analysis.errors.UserError` on any error."""
    from analysis.errors import UserError

    sink = _Lines()
    result = check(Path(data_dir) / FILE, studies, protocol, sink)
    errors = [p for p in sink.items if p.severity == "error"]
    if result is None or errors:
        raise UserError("\n".join(str(p) for p in errors) or f"{data_dir / FILE}: unreadable")
    return result
