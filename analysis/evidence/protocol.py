"""The review's protocol as data: ``data/protocol.yaml``, checked and loaded.

The protocol fixes, before any result is looked at, which outcome of each trial is
analysed (its ``primary_outcome.rules``, applied in order by
:mod:`analysis.evidence.outcomes`), which outcome types answer other questions, which harms
are recorded, how completeness is reported, the model, and the secondary models for few
trials (``few_trials``: the scale of the half-normal prior on tau of the Bayesian analysis,
:func:`analysis.stats.bayes.bayes_re`). A change to it is a protocol amendment, recorded
in ``amendments`` (date, change, reason) and shown first in the results diff and in
"What's new".

:func:`check` holds the rules ``python -m analysis validate`` applies to the file (one
problem per line, ``file:line:key: rule (value)``, the line of the key where YAML gives
it); :func:`load` returns the validated :class:`Protocol`.

References
----------
Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions,
version 6.4, 2023: chapter 3.2.4 (outcomes fixed in the protocol) and chapter 9.3.4
(selecting results when a trial reports several).
Röver C et al. On weakly informative prior distributions for the heterogeneity parameter in
Bayesian random-effects meta-analysis. *Res Synth Methods* 2021;12:448-474 (the half-normal
scale 0.5 for log odds and risk ratios, ``few_trials.tau_prior_scale``).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Protocol as _Protocol

from analysis import vocabulary
from analysis.evidence.yamlfile import as_date

__all__ = [
    "FILE",
    "MAX_TAU_PRIOR_SCALE",
    "PARTS",
    "SELECTORS",
    "Amendment",
    "Protocol",
    "Rule",
    "check",
    "load",
]

#: File name of the protocol, beside ``studies.csv``.
FILE = "protocol.yaml"

#: What each rule's ``select`` may name: the selectors :mod:`analysis.evidence.outcomes`
#: knows, with what each picks among a trial's improvement or responder outcomes.
SELECTORS: dict[str, str] = {
    "trial_primary": "the trial's primary outcome: trial_primary yes",
    "primary_instrument": (
        "the responder outcome on the instrument of the trial's continuous primary outcome:"
        " trial_primary same_instrument"
    ),
    "first_listed": "the trial's first-listed improvement or responder outcome",
}
#: the protocol's rules (what an amendment changes); the record around them is the title,
#: the date adopted and the list of amendments
PARTS = (
    "population",
    "comparators",
    "analysis_order",
    "primary_outcome",
    "other_outcomes",
    "harms",
    "completeness",
    "model",
    "few_trials",
)
#: the largest half-normal scale on tau (log scale) the protocol may set: a scale of 5 already
#: gives a prior median of tau of about 3.4, ratios spread over a factor of e^13 between trials
MAX_TAU_PRIOR_SCALE = 5.0
_FEW_TRIALS = ("tau_prior_scale", "reference", "text")
_TOP = ("title", "adopted", "amendments", *PARTS)


class _Sink(_Protocol):
    def error(self, file: str, row: int | None, column: str, rule: str, value=None) -> None: ...


@dataclass(frozen=True)
class Rule:
    """One outcome-selection rule: its number, what code applies it, its words."""

    rule: int
    select: str
    text: str


@dataclass(frozen=True)
class Amendment:
    """A dated change to the protocol, with its reason."""

    date: _dt.date
    change: str
    reason: str


@dataclass(frozen=True)
class Protocol:
    """The validated content of ``protocol.yaml``."""

    title: str
    adopted: _dt.date
    amendments: tuple[Amendment, ...]
    population: str
    comparators: tuple[str, ...]
    analysis_order: str
    primary_outcome_name: str
    primary_types: tuple[str, ...]
    rules: tuple[Rule, ...]
    timepoint: str
    crossover: str
    alternatives: str
    other_types: tuple[str, ...]
    other_text: str
    harm_types: tuple[str, ...]
    harms_text: str
    completeness: str
    model: str
    tau_prior_scale: float
    few_trials_reference: str
    few_trials_text: str

    def to_dict(self) -> dict[str, Any]:
        """The protocol as recorded in the results bundle (dates as ISO text)."""
        return {
            "title": self.title,
            "adopted": self.adopted.isoformat(),
            "amendments": [
                {"date": a.date.isoformat(), "change": a.change, "reason": a.reason}
                for a in self.amendments
            ],
            "population": self.population,
            "comparators": list(self.comparators),
            "analysis_order": self.analysis_order,
            "primary_outcome": {
                "name": self.primary_outcome_name,
                "outcome_types": list(self.primary_types),
                "rules": [{"rule": r.rule, "select": r.select, "text": r.text} for r in self.rules],
                "timepoint": self.timepoint,
                "crossover": self.crossover,
                "alternatives": self.alternatives,
            },
            "other_outcomes": {"outcome_types": list(self.other_types), "text": self.other_text},
            "harms": {"types": list(self.harm_types), "text": self.harms_text},
            "completeness": self.completeness,
            "model": self.model,
            "few_trials": {
                "tau_prior_scale": self.tau_prior_scale,
                "reference": self.few_trials_reference,
                "text": self.few_trials_text,
            },
        }


def _text(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _path(where: str) -> tuple:
    """``primary_outcome.rules[2].select`` as the reader's key path (list items from 0)."""
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", where):
        out.append(int(part[1:-1]) - 1 if part.startswith("[") else part)
    return tuple(out)


class _Check:
    """Collects problems of one file, each at the line of its key where the reader saw it;
    remembers whether any was found."""

    def __init__(
        self, name: str, out: _Sink, line: Callable[[tuple], int | None] = lambda p: None
    ) -> None:
        self.name, self.out, self.line, self.bad = name, out, line, False

    def __call__(self, where: str, rule: str, value: Any = None) -> None:
        self.bad = True
        row = None if where == "-" else self.line(_path(where))
        self.out.error(self.name, row, where, rule, None if value is None else str(value)[:60])


def _codes(
    raw: Any, allowed: tuple[str, ...], where: str, bad: _Check, *, empty_ok: bool = False
) -> tuple[str, ...]:
    if not isinstance(raw, list) or (not raw and not empty_ok):
        bad(where, "must be a list of codes", raw)
        return ()
    for code in raw:
        if code not in allowed:
            bad(where, "not one of " + ", ".join(allowed), code)
    if len(set(map(str, raw))) != len(raw):
        bad(where, "a code is listed twice", raw)
    return tuple(str(c) for c in raw)


def _scale(value: Any, bad: _Check) -> float | None:
    """The half-normal scale on tau: a number above 0 and at most :data:`MAX_TAU_PRIOR_SCALE`."""
    where = "few_trials.tau_prior_scale"
    rule = (
        f"must be a number above 0 and at most {MAX_TAU_PRIOR_SCALE:g}: the scale of the "
        "half-normal prior on tau, on the log scale (Röver et al. 2021 recommend 0.5)"
    )
    if isinstance(value, bool) or not isinstance(value, int | float):
        bad(where, rule, repr(value) if isinstance(value, str) else value)
        return None
    scale = float(value)
    if not math.isfinite(scale) or not 0 < scale <= MAX_TAU_PRIOR_SCALE:
        bad(where, rule, value)
        return None
    return scale


def _parse(raw: Any, bad: _Check) -> Protocol | None:
    if not isinstance(raw, dict):
        bad("-", "the protocol must be a mapping of the keys " + ", ".join(_TOP))
        return None
    for key in _TOP:
        if key not in raw:
            bad(key, "missing (the protocol needs it)")
    for key in raw:
        if key not in _TOP:
            bad(str(key), "unknown key; expected one of " + ", ".join(_TOP))
    if bad.bad:
        return None
    texts = {}
    for key in ("title", "population", "analysis_order", "completeness", "model"):
        texts[key] = _text(raw[key])
        if texts[key] is None:
            bad(key, "must be non-empty text", raw[key])
    adopted = as_date(raw["adopted"])
    if adopted is None:
        bad("adopted", "not a date (YYYY-MM-DD)", raw["adopted"])
    amendments: list[Amendment] = []
    if not isinstance(raw["amendments"], list):
        bad("amendments", "must be a list (empty when the protocol was never amended)")
    else:
        for i, a in enumerate(raw["amendments"], start=1):
            where = f"amendments[{i}]"
            if not isinstance(a, dict) or set(a) != {"date", "change", "reason"}:
                bad(where, "an amendment has exactly date, change and reason", a)
                continue
            d, change, reason = as_date(a["date"]), _text(a["change"]), _text(a["reason"])
            if d is None:
                bad(where + ".date", "not a date (YYYY-MM-DD)", a["date"])
            elif adopted is not None and d < adopted:
                bad(where + ".date", f"before the protocol was adopted ({adopted})", d)
            if change is None or reason is None:
                bad(where, "an amendment says what changed and why", a)
            if d is not None and change and reason:
                amendments.append(Amendment(d, change, reason))
    comparators = _codes(raw["comparators"], vocabulary.COMPARATORS, "comparators", bad)
    primary = raw["primary_outcome"]
    rules: list[Rule] = []
    if not isinstance(primary, dict):
        bad("primary_outcome", "must be a mapping")
        return None
    for key in ("name", "outcome_types", "rules", "timepoint", "crossover", "alternatives"):
        if key not in primary:
            bad(f"primary_outcome.{key}", "missing (the protocol needs it)")
    if bad.bad:
        return None
    primary_types = _codes(
        primary["outcome_types"],
        vocabulary.OUTCOME_TYPES,
        "primary_outcome.outcome_types",
        bad,
    )
    if not isinstance(primary["rules"], list) or not primary["rules"]:
        bad("primary_outcome.rules", "must be a non-empty list of rules")
    else:
        for i, r in enumerate(primary["rules"], start=1):
            where = f"primary_outcome.rules[{i}]"
            if not isinstance(r, dict) or set(r) != {"rule", "select", "text"}:
                bad(where, "a rule has exactly rule, select and text", r)
                continue
            if r["rule"] != i:
                bad(where + ".rule", f"rules are numbered in order: expected {i}", r["rule"])
            if r["select"] not in SELECTORS:
                bad(where + ".select", "not one of " + ", ".join(SELECTORS), r["select"])
            if _text(r["text"]) is None:
                bad(where + ".text", "must be non-empty text", r["text"])
            if not bad.bad:
                rules.append(Rule(i, str(r["select"]), str(_text(r["text"]))))
    other, harms = raw["other_outcomes"], raw["harms"]
    if not isinstance(other, dict) or set(other) != {"outcome_types", "text"}:
        bad("other_outcomes", "must have exactly outcome_types and text", other)
        return None
    if not isinstance(harms, dict) or set(harms) != {"types", "text"}:
        bad("harms", "must have exactly types and text", harms)
        return None
    other_types = _codes(
        other["outcome_types"], vocabulary.OUTCOME_TYPES, "other_outcomes.outcome_types", bad
    )
    if set(other_types) & set(primary_types):
        bad("other_outcomes.outcome_types", "an outcome type is both primary and other")
    if primary_types and set(primary_types) != set(vocabulary.PRIMARY_OUTCOMES):
        bad(
            "primary_outcome.outcome_types",
            "the analysis pools "
            + " and ".join(vocabulary.PRIMARY_OUTCOMES)
            + ": another choice is an amendment that needs the code changed with it",
            ", ".join(primary_types),
        )
    harm_types = _codes(harms["types"], vocabulary.HARM_TYPES, "harms.types", bad)
    for where, value in (
        ("primary_outcome.name", primary["name"]),
        ("primary_outcome.timepoint", primary["timepoint"]),
        ("primary_outcome.crossover", primary["crossover"]),
        ("primary_outcome.alternatives", primary["alternatives"]),
        ("other_outcomes.text", other["text"]),
        ("harms.text", harms["text"]),
    ):
        if _text(value) is None:
            bad(where, "must be non-empty text", value)
    few = raw["few_trials"]
    if not isinstance(few, dict) or set(few) != set(_FEW_TRIALS):
        bad("few_trials", "must have exactly " + ", ".join(_FEW_TRIALS), few)
        return None
    scale = _scale(few["tau_prior_scale"], bad)
    for key in ("reference", "text"):
        if _text(few[key]) is None:
            bad(f"few_trials.{key}", "must be non-empty text", few[key])
    if bad.bad or adopted is None or scale is None:
        return None
    return Protocol(
        title=str(texts["title"]),
        adopted=adopted,
        amendments=tuple(amendments),
        population=str(texts["population"]),
        comparators=comparators,
        analysis_order=str(texts["analysis_order"]),
        primary_outcome_name=str(_text(primary["name"])),
        primary_types=primary_types,
        rules=tuple(rules),
        timepoint=str(_text(primary["timepoint"])),
        crossover=str(_text(primary["crossover"])),
        alternatives=str(_text(primary["alternatives"])),
        other_types=other_types,
        other_text=str(_text(other["text"])),
        harm_types=harm_types,
        harms_text=str(_text(harms["text"])),
        completeness=str(texts["completeness"]),
        model=str(texts["model"]),
        tau_prior_scale=scale,
        few_trials_reference=str(_text(few["reference"])),
        few_trials_text=str(_text(few["text"])),
    )


def _read(path: Path, name: str, out: _Sink) -> Any:
    """The reader's document (None when the file is missing)."""
    if not path.is_file():
        out.error(name, None, "-", "the protocol is missing (the rules that choose each outcome)")
        return None
    from analysis.evidence import yamlfile  # no aliases, tags or duplicate keys (issue 25)

    doc = yamlfile.read(path, name)
    for p in doc.problems:
        out.error(p.file, p.row, p.column, p.rule, p.value)
    return doc


def check(path: Path, out: _Sink, name: str | None = None) -> Protocol | None:
    """Apply the protocol's rules to ``path``; report each problem to ``out``.

    Returns the validated :class:`Protocol`, or None when any problem was found.
    """
    from analysis.evidence.csvfile import display

    name = name or display(path)
    doc = _read(path, name, out)
    if doc is None or doc.problems:
        return None  # an empty file goes on to "must be a mapping"
    return _parse(doc.data, _Check(name, out, doc.line))


class _Raise:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def error(self, file: str, row: int | None, column: str, rule: str, value=None) -> None:
        where = f"{file}:{row}" if row else file
        shown = f" ({value})" if value is not None else ""
        self.lines.append(f"{where}:{column}: {rule}{shown}")


def load(path: Path) -> Protocol:
    """The validated protocol at ``path``; :class:`analysis.errors.UserError` when invalid."""
    from analysis.errors import UserError

    sink = _Raise()
    result = check(path, sink)
    if result is None:
        raise UserError("\n".join(sink.lines) or f"{path}: the protocol could not be read")
    return result
