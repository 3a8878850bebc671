"""Published pooled results shown beside ours: the rules for ``data/published.yaml``.

Each entry is one result another review published, copied with its source; the Summary
of findings page shows it beside this version's closest analysis, and the entry with
``comparison: all`` is the source review whose conclusions the home page quotes. The
file is untrusted input like every file of ``data/``: it is read by
:mod:`analysis.evidence.yamlfile` (no aliases, tags or duplicate keys) and every entry
obeys this schema, so whatever passes ``python -m analysis validate`` builds.

Schema of an entry (a mapping; no other key is allowed):

=====================  ========  =====================================================
key                    required  rule
=====================  ========  =====================================================
comparison             yes       ``placebo``, ``plasma_exchange``, ``corticosteroid``
                                 or ``all`` (exactly one entry is ``all``)
population, outcome,   yes       plain text, at most :data:`MAX_TEXT` characters, one
source                           line, no invisible format character
disease                no        a disease code of the register
outcome_type           no        an outcome type of the register, or ``continuous``
measure, estimate,     together  ``measure`` one of RR, OR, RD; the three numbers
ci_low, ci_high                  finite with ``ci_low <= estimate <= ci_high``
                                 (positive for a ratio)
digits                 no        an integer 0 to 4 (decimals shown); only with an estimate
result                 either    plain text: a result given in words (when there is no
                                 estimate; one of the two is required)
result_note            no        plain text
trials, participants   no        whole numbers, 1 to 1,000,000 (participants only with
                                 trials)
participants_word      no        ``participants``, ``patients`` or ``people``
=====================  ========  =====================================================

Problems are :class:`analysis.evidence.csvfile.Problem` lines
``data/published.yaml:LINE:[N].key: rule (value)``, entries numbered from 1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from analysis import vocabulary
from analysis.errors import UserError
from analysis.evidence import plaintext, yamlfile
from analysis.evidence.csvfile import Problem

__all__ = ["FILE", "MAX_TEXT", "check", "load"]

FILE = "published.yaml"
#: Longest text value accepted (a source with its journal is under 120 characters).
MAX_TEXT = 300
MAX_COUNT = 1_000_000
ALL = "all"
_COMPARISONS = (*vocabulary.COMPARATORS, ALL)
_OUTCOME_TYPES = (*vocabulary.OUTCOME_TYPES, "continuous")
_WORDS = ("participants", "patients", "people")
_TEXT = ("population", "outcome", "source", "result", "result_note")
_REQUIRED = ("comparison", "population", "outcome", "source")
_EFFECT = ("measure", "estimate", "ci_low", "ci_high")
_KEYS = frozenset(
    (*_TEXT, *_EFFECT, "comparison", "disease", "outcome_type", "digits")
    + ("trials", "participants", "participants_word")
)


def _shown(value: Any) -> str:
    text = str(value).replace("\n", "\\n")
    return text if len(text) <= 60 else text[:59] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _entry(i: int, p: Any, doc: yamlfile.Document, out: list[Problem]) -> None:
    def bad(key: str | None, rule: str, value: Any = None) -> None:
        path = (i,) if key is None else (i, key)
        shown = None if value is None else _shown(value)
        out.append(Problem(doc.name, doc.line(path), yamlfile.key_path(path), rule, shown))

    if not isinstance(p, dict):
        bad(None, "must be a mapping of keys to values")
        return
    for key in p:
        if key not in _KEYS:
            bad(key, "unknown key: allowed are " + ", ".join(sorted(_KEYS)))
    for key in _REQUIRED:
        if p.get(key) in (None, ""):
            bad(key, "required")
    if "comparison" in p and p["comparison"] not in _COMPARISONS:
        bad("comparison", "must be one of " + ", ".join(_COMPARISONS), p["comparison"])
    if "disease" in p and p["disease"] not in vocabulary.DISEASES:
        bad("disease", "must be a disease code of the register", p["disease"])
    if "outcome_type" in p and p["outcome_type"] not in _OUTCOME_TYPES:
        bad("outcome_type", "must be one of " + ", ".join(_OUTCOME_TYPES), p["outcome_type"])
    if "participants_word" in p and p["participants_word"] not in _WORDS:
        bad("participants_word", "must be one of " + ", ".join(_WORDS), p["participants_word"])
    for key in _TEXT:
        if key not in p or p[key] in (None, ""):
            continue
        v = p[key]
        if not isinstance(v, str):
            bad(key, "must be text", v)
        elif len(v) > MAX_TEXT:
            bad(key, f"longer than {MAX_TEXT} characters", v)
        elif "\n" in v.strip() or "\r" in v:
            bad(key, "must be one line", v)
        elif rule := plaintext.format_character(v):
            bad(key, rule, v.encode("unicode_escape").decode("ascii"))
    given = [k for k in _EFFECT if k in p]
    if given and len(given) < len(_EFFECT):
        missing = [k for k in _EFFECT if k not in p]
        bad(missing[0], "an estimate needs measure, estimate, ci_low and ci_high together")
    elif given:
        if p["measure"] not in vocabulary.MEASURES:
            bad("measure", "must be one of " + ", ".join(vocabulary.MEASURES), p["measure"])
        nums = {k: _number(p[k]) for k in ("estimate", "ci_low", "ci_high")}
        for k, v in nums.items():
            if v is None:
                bad(k, "must be a finite number", p[k])
        lo, est, hi = nums["ci_low"], nums["estimate"], nums["ci_high"]
        if None not in (lo, est, hi) and not (lo <= est <= hi):  # type: ignore[operator]
            bad("estimate", "must lie within its interval: ci_low <= estimate <= ci_high")
        if p["measure"] in ("RR", "OR") and lo is not None and lo <= 0:
            bad("ci_low", "a ratio must be positive", p["ci_low"])
        if p.get("result") not in (None, ""):
            bad("result", "give an estimate or a result in words, not both")
    elif p.get("result") in (None, ""):
        bad("result", "required when there is no estimate (measure, estimate, ci_low, ci_high)")
    if "digits" in p:
        d = p["digits"]
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 4:
            bad("digits", "must be a whole number from 0 to 4", d)
        elif not given:
            bad("digits", "only with an estimate")
    for key in ("trials", "participants"):
        if key in p:
            v = p[key]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_COUNT:
                bad(key, f"must be a whole number from 1 to {MAX_COUNT:,}", v)
    if "participants" in p and "trials" not in p:
        bad("participants", "only with trials")
    if "participants_word" in p and "participants" not in p:
        bad("participants_word", "only with participants")


def check(path: Path, name: str | None = None) -> tuple[tuple[dict, ...] | None, list[Problem]]:
    """Read and check ``published.yaml``; return (entries or None, every problem)."""
    doc = yamlfile.read(path, name)
    out = list(doc.problems)
    if out:
        return None, out
    raw = doc.data
    if not isinstance(raw, list) or not raw:
        out.append(Problem(doc.name, 1, "-", "must be a list of published results"))
        return None, out
    for i, p in enumerate(raw):
        _entry(i, p, doc, out)
    alls = [i for i, p in enumerate(raw) if isinstance(p, dict) and p.get("comparison") == ALL]
    if len(alls) != 1:
        out.append(
            Problem(
                doc.name,
                None,
                "comparison",
                "exactly one entry must be the source review (comparison: all)",
                f"{len(alls)} found",
            )
        )
    return (None, out) if out else (tuple(raw), out)


def load(data_dir: Path) -> tuple[dict, ...]:
    """The validated entries of ``data_dir/published.yaml``.

    Raises
    ------
    analysis.errors.UserError
        Naming the first problem (``file:line:key: rule``).
    """
    path = Path(data_dir) / FILE
    entries, problems = check(path, f"data/{FILE}" if Path(data_dir).name == "data" else None)
    if entries is None:
        raise UserError(str(problems[0]) if problems else f"{path}: unusable")
    return entries
