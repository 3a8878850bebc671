"""The diff's first lines: what a change does to each comparison's main result, in words a
clinician reads in a few seconds.

* One trial (nothing pooled): that trial's own effect and 95 % CI and its participants,
  "first trial: RR 1.14 (0.54 to 2.40), 32 participants; nothing pooled yet".
* Two trials or more: the pooled effect before → after, where it stands (favours IVIG,
  favours the comparator, inconclusive), the certainty of the evidence (GRADE) and what
  it stands on: k of the n trials identified for the comparison.

The pooled effect is the one the site leads with (``summary.model`` of the results file:
random effects with its CI from two trials, else the Mantel-Haenszel estimate, which for
one trial is that trial's own risk ratio).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analysis.publish.diff import style

if TYPE_CHECKING:  # types only (compare imports comment, which imports this module)
    from analysis.publish.diff.compare import ResultsDiff, Side
from analysis.publish.diff.labels import comparison_words

__all__ = ["Effect", "headline", "headline_lines"]


def _num(x: object) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _fmt(x: float | None) -> str:
    from analysis.report.text import num

    return num(x, 2)


@dataclass(frozen=True)
class Effect:
    """A comparison's main result on one side of the diff."""

    measure: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    k: int
    participants: int | None
    trial: str | None  # the one trial's id when k == 1
    certainty: str | None  # GRADE label in words, None when not rated

    @property
    def null(self) -> float:
        return 0.0 if self.measure.upper() == "RD" else 1.0

    def words(self) -> str:
        """``RR 1.14 (0.54 to 2.40)``; the CI is never dropped silently."""
        s = style.current()
        if self.estimate is None:
            return f"{s.t(self.measure)} not estimable"
        ci = (
            f"({_fmt(self.ci_low)} to {_fmt(self.ci_high)})"
            if self.ci_low is not None and self.ci_high is not None
            else "(no confidence interval)"
        )
        return f"{s.t(self.measure)} {_fmt(self.estimate)} {ci}"

    def verdict(self) -> str:
        if self.estimate is None or self.ci_low is None or self.ci_high is None:
            return "not estimable"
        if self.ci_low > self.null:
            return "favours IVIG"
        if self.ci_high < self.null:
            return "favours the comparator"
        return "inconclusive (the CI includes no effect)"


def _entry(side: Side, comparison: str) -> Mapping | None:
    entry = ((side.bundle or {}).get("comparisons") or {}).get(comparison)
    return entry if isinstance(entry, Mapping) else None


def _certainty(entry: Mapping) -> str | None:
    findings = entry.get("findings") or {}
    if not isinstance(findings, Mapping):
        return None
    row = findings.get("all")
    if row is None and len(findings) == 1:  # one disease: its row is the comparison's
        row = next(iter(findings.values()))
    label = ((row or {}).get("certainty") or {}).get("label") if isinstance(row, Mapping) else None
    return str(label).replace("_", " ") if label else None


def effect(side: Side, comparison: str) -> Effect | None:
    """The main result of ``comparison`` on ``side`` (None without trials)."""
    entry = _entry(side, comparison)
    if entry is None:
        return None
    studies = [s for s in entry.get("studies") or () if isinstance(s, Mapping)]
    k = int(_num(entry.get("k")) or len(studies))
    if k == 0:
        return None
    raw = entry.get("summary")
    summary: Mapping = raw if isinstance(raw, Mapping) else {}
    random = entry.get("random") or {}
    if k == 1 and studies:
        pooled: Mapping = studies[0]
    elif summary.get("model", "random") == "random" and random.get("ci_low") is not None:
        pooled = random
    else:
        pooled = (entry.get("common") or {}).get("mh") or random
    participants = _num(summary.get("participants"))
    return Effect(
        str(entry.get("measure") or "RR"),
        _num(pooled.get("estimate")),
        _num(pooled.get("ci_low")),
        _num(pooled.get("ci_high")),
        k,
        None if participants is None else int(participants),
        str(studies[0].get("study_id")) if k == 1 and studies else None,
        _certainty(entry),
    )


def identified(side: Side, comparison: str) -> int | None:
    """Trials of the register (any status) with this comparator; None without the rows."""
    if side.studies is None:
        return None
    return sum((r.get("comparator") or "").strip() == comparison for r in side.studies)


def _trials(n: int) -> str:
    return f"{n} trial{'s' if n != 1 else ''}"


def _people(e: Effect) -> str:
    return "" if e.participants is None else f", {e.participants} participants"


def _stands_on(e: Effect, n: int | None, before: Effect | None) -> str:
    """``6 of 12 identified trials`` (with the old k when it changed)."""
    if n is None or n < e.k:  # no register rows, or rows without their comparator
        return f"{_trials(e.k)} in the analysis"
    was = "" if before is None or before.k == e.k else f" (was {before.k})"
    return f"{e.k} of {n} identified trials{was}"


def _certainty_words(old: Effect | None, new: Effect) -> str:
    s = style.current()
    if new.certainty is None:
        return "certainty not rated"
    if old is None:
        return f"certainty {s.t(new.certainty)}"
    if old.certainty == new.certainty:
        return f"certainty {s.t(new.certainty)} (unchanged)"
    return f"certainty {s.t(old.certainty or 'not rated')} → {s.bold(s.t(new.certainty))}"


def _one(d: ResultsDiff, comparison: str) -> str:
    s = style.current()
    name = s.t(comparison_words(comparison))
    old, new = effect(d.base, comparison), effect(d.head, comparison)
    n = identified(d.head, comparison)
    if new is None:
        was = f"{old.words()}, {_trials(old.k)}" if old else "no result"
        return f"{name}: no trial left in the main analysis (was {was})."
    if new.k == 1:
        trial = s.t(new.trial or "?")
        result = f"{new.words()}{_people(new)}"
        if old is None:
            lead = f"first trial, {trial}: {result}"
        elif old.k == 1 and old.trial == new.trial:
            lead = f"only trial, {trial}: {old.words()} → {result}"
        elif old.k == 1:
            lead = f"only trial now {trial}: {result} (was {s.t(old.trial or '?')}, {old.words()})"
        else:
            lead = f"back to one trial, {trial}: {result} (was {old.words()}, {_trials(old.k)})"
        what = "nothing pooled yet" if old is None or old.k == 1 else "nothing pooled"
        return f"{name}: {lead}; {what} ({_stands_on(new, n, old)}); {_certainty_words(old, new)}."
    if old is None:
        return (
            f"{name}: first pooled result, {new.words()} from {_trials(new.k)}{_people(new)},"
            f" {new.verdict()}; {_certainty_words(None, new)}; {_stands_on(new, n, None)}."
        )
    if old.k == 1:
        before = f"before: one trial, {s.t(old.trial or '?')}, {old.words()}"
        return (
            f"{name}: first pooled result, {new.words()} from {_trials(new.k)}{_people(new)}"
            f" ({before}), {new.verdict()}; {_certainty_words(old, new)};"
            f" {_stands_on(new, n, old)}."
        )
    a, b = old.verdict(), new.verdict()
    stance = f"still {b}" if a == b else f"now {s.bold(b)} (before: {a})"
    ci = (
        f"({_fmt(new.ci_low)} to {_fmt(new.ci_high)})"
        if new.ci_low is not None and new.ci_high is not None
        else "(no confidence interval)"
    )
    return (
        f"{name}: {old.words()} → {_fmt(new.estimate)} {ci}{_people(new)}, {stance};"
        f" {_certainty_words(old, new)}; {_stands_on(new, n, old)}."
    )


def headline_lines(d: ResultsDiff) -> list[str]:
    """One sentence per comparison whose main result changed, in the order of the site."""
    seen: dict[str, None] = {}
    for c in d.pooled:
        if c.primary and c.changed:
            seen.setdefault(c.ref.comparison)
    return [_one(d, comp) for comp in seen]


def headline(d: ResultsDiff) -> str:
    """The headline: one line per comparison whose main result changed (Markdown bullets
    when there are several), or a line saying that none did."""
    lines = headline_lines(d)
    if not lines:
        return "No main result changes."
    if len(lines) == 1:
        return lines[0]
    bullet = "- " if style.current().markdown else "* "
    return "\n".join(bullet + line for line in lines)
