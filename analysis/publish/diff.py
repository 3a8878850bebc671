"""``python -m analysis diff BASE HEAD``: what a data change does to the pooled results.

BASE and HEAD are each one of

* a ``results.json`` file (the bundle that ``python -m analysis build`` writes:
  ``version``, ``commit``, ``generated`` and ``comparisons``, each comparison
  being the JSON object of ``python -m analysis meta`` for its primary analysis
  plus sensitivity analyses under their own keys, or ``null`` without trials);
* a directory: a working tree whose ``data/`` is analysed with the current code
  (``.`` is the working tree you are in);
* a git revision: its ``data/`` is taken with ``git archive`` into a temporary
  directory and analysed with the *current* code, so that only the data differ.

The report (Markdown, on standard output) lists trials added, removed or
changed (with the fields that changed) and, for every pooled result, the old
and new estimate, CI, tau², I² and k, flagging a change of statistical
significance (the 95 % CI starts or stops excluding the null: 1 for ratio
measures, 0 for the risk difference) or of direction (the estimate crosses the
null). It is the pull-request comment and, for each release, the changelog
entry.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import math
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from analysis import escape
from analysis.errors import UserError
from analysis.vocabulary import COMPARATOR_LABELS, COMPARATORS

HELP = "Markdown report of how the trials and pooled results differ between two versions."

__all__ = [
    "COMPARISONS",
    "Pooled",
    "PooledChange",
    "ResultsDiff",
    "Side",
    "TrialChange",
    "compare",
    "diff_pooled",
    "diff_trials",
    "load_side",
    "pooled_results",
    "read_studies",
]

#: comparison key in results.json -> heading
COMPARISONS: dict[str, str] = {c: f"IVIG vs {COMPARATOR_LABELS[c].lower()}" for c in COMPARATORS}

#: keys of the meta-cli JSON object that are not sensitivity analyses
_META_KEYS = {
    "measure",
    "k",
    "excluded",
    "studies",
    "common",
    "heterogeneity",
    "random",
    "small_study",
    "leave_one_out",
    "cumulative",
    "subgroups",
    "baujat",
}

#: fields whose old and new values are too long to print in a table cell
_LONG_TEXT = 40


@dataclass(frozen=True)
class Pooled:
    """One pooled estimate of one analysis (ratio measures on the natural scale)."""

    comparison: str
    analysis: str
    model: str
    measure: str
    k: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    tau2: float | None = None
    i2: float | None = None

    @property
    def null(self) -> float:
        """The value of no effect: 0 for the risk difference, 1 for RR and OR."""
        return 0.0 if self.measure.upper() == "RD" else 1.0

    @property
    def significant(self) -> bool | None:
        """Whether the 95 % CI excludes the null (None when there is no CI)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return self.ci_low > self.null or self.ci_high < self.null

    @property
    def direction(self) -> int | None:
        """+1 above the null (favours IVIG for a benefit outcome), -1 below, 0 on it."""
        if self.estimate is None:
            return None
        return (self.estimate > self.null) - (self.estimate < self.null)


@dataclass(frozen=True)
class PooledChange:
    """The same pooled result in BASE and HEAD (``old`` or ``new`` is None if absent)."""

    old: Pooled | None
    new: Pooled | None

    @property
    def ref(self) -> Pooled:
        return self.new if self.new is not None else self.old  # type: ignore[return-value]

    @property
    def changed(self) -> bool:
        if self.old is None or self.new is None:
            return True
        return any(
            not _same(getattr(self.old, f), getattr(self.new, f))
            for f in ("k", "estimate", "ci_low", "ci_high", "tau2", "i2", "measure")
        )

    @property
    def significance_changed(self) -> bool:
        if self.old is None or self.new is None:
            return False
        a, b = self.old.significant, self.new.significant
        return a is not None and b is not None and a != b

    @property
    def primary(self) -> bool:
        """The comparison's primary random-effects result (the one its conclusion rests on)."""
        return self.ref.analysis == "primary" and self.ref.model.startswith("random")

    @property
    def crossed(self) -> bool:
        """The estimate moved to the other side of the null (or onto or off it)."""
        if self.old is None or self.new is None:
            return False
        a, b = self.old.direction, self.new.direction
        return a is not None and b is not None and a != b

    @property
    def direction_changed(self) -> bool:
        """A change of direction worth a flag: the estimate crossed the null and at least one
        of the two CIs excludes it, or the primary random-effects estimate crossed it. A
        wobble across the null with both CIs spanning it is only a "moved" line."""
        if not self.crossed:
            return False
        assert self.old is not None and self.new is not None
        return self.primary or bool(self.old.significant) or bool(self.new.significant)


@dataclass(frozen=True)
class TrialChange:
    """A trial (row of ``data/studies.csv``) added, removed or changed."""

    study_id: str
    kind: str  # "added" | "removed" | "changed"
    fields: tuple[tuple[str, str, str], ...] = ()  # (column, old, new)


@dataclass(frozen=True)
class Side:
    """One side of the comparison: its results bundle, its trial rows and a label."""

    label: str
    bundle: Mapping
    studies: tuple[dict[str, str], ...] | None = None  # None: no studies.csv available
    #: text of data/datapackage.json and data/references.bib (None: not available)
    package: str | None = None
    bibliography: str | None = None


@dataclass(frozen=True)
class ResultsDiff:
    """Everything the report says; :meth:`to_markdown` writes it."""

    base: Side
    head: Side
    trials: tuple[TrialChange, ...] | None
    columns_added: tuple[str, ...]
    columns_removed: tuple[str, ...]
    pooled: tuple[PooledChange, ...]
    membership: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    #: changes to the rules or references a maintainer must review, in words
    reviews: tuple[str, ...] = ()

    @property
    def flagged(self) -> tuple[PooledChange, ...]:
        """Pooled results whose significance or direction changed."""
        return tuple(c for c in self.pooled if c.significance_changed or c.direction_changed)

    @property
    def unchanged(self) -> bool:
        return (
            not any(c.changed for c in self.pooled)
            and not self.trials
            and not self.columns_added
            and not self.columns_removed
            and not self.reviews
        )

    def to_markdown(self, level: int = 2) -> str:
        return _markdown(self, level)


# --------------------------------------------------------------------------- pure diff


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _num(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _int(value: object) -> int | None:
    x = _num(value)
    return None if x is None else int(x)


def _is_meta(obj: object) -> bool:
    return isinstance(obj, Mapping) and "measure" in obj and "random" in obj


def _is_pooled(obj: object) -> bool:
    return isinstance(obj, Mapping) and {"estimate", "ci_low", "ci_high"} <= set(obj)


def _from_meta(comparison: str, analysis: str, m: Mapping) -> Iterator[Pooled]:
    measure = str(m.get("measure") or "RR")
    k = _int(m.get("k"))
    het = m.get("heterogeneity") or {}
    r = m.get("random")
    if isinstance(r, Mapping):
        method = r.get("tau2_method") or ""
        hk = ", HK" if r.get("hk") else ""
        yield Pooled(
            comparison,
            analysis,
            f"random effects ({method}{hk})" if method else "random effects",
            measure,
            k,
            _num(r.get("estimate")),
            _num(r.get("ci_low")),
            _num(r.get("ci_high")),
            _num(r.get("tau2")),
            _num(r.get("i2")),
        )
    common = m.get("common") or {}
    for key, name in (("mh", "common effect (MH)"), ("iv", "common effect (IV)"), ("peto", "Peto")):
        c = common.get(key)
        if isinstance(c, Mapping):
            yield Pooled(
                comparison,
                analysis,
                name,
                measure,
                k,
                _num(c.get("estimate")),
                _num(c.get("ci_low")),
                _num(c.get("ci_high")),
                None,
                _num(het.get("i2")),
            )


def _walk(
    comparison: str, path: str, obj: object, measure: str, k: int | None = None
) -> Iterator[Pooled]:
    """Pooled results in a comparison: the primary meta object, then every nested analysis.

    A bare pooled estimate without its own ``k`` (another model fitted to the same
    trials, e.g. another tau² estimator) takes the ``k`` of the enclosing analysis.
    """
    if _is_meta(obj):
        yield from _from_meta(comparison, path or "primary", obj)  # type: ignore[arg-type]
        meta = cast(Mapping[str, Any], obj)
        extra = {k: v for k, v in meta.items() if k not in _META_KEYS}
        measure = str(meta.get("measure") or measure)
        k = _int(meta.get("k"))
        for key, value in extra.items():
            yield from _walk(comparison, f"{path}/{key}" if path else str(key), value, measure, k)
    elif _is_pooled(obj):
        o: Mapping = obj  # type: ignore[assignment]
        model = o.get("model") or o.get("method")
        if not model and o.get("tau2_method"):
            model = f"random effects ({o['tau2_method']}{', HK' if o.get('hk') else ''})"
        yield Pooled(
            comparison,
            path or "primary",
            str(model or "pooled"),
            str(o.get("measure") or measure),
            _int(o["k"]) if "k" in o else k,
            _num(o.get("estimate")),
            _num(o.get("ci_low")),
            _num(o.get("ci_high")),
            _num(o.get("tau2")),
            _num(o.get("i2")),
        )
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _walk(comparison, f"{path}/{key}" if path else str(key), value, measure, k)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            label = value.get("label") or value.get("name") if isinstance(value, Mapping) else None
            yield from _walk(comparison, f"{path}/{label or i}", value, measure, k)


def pooled_results(bundle: Mapping | None) -> list[Pooled]:
    """Every pooled result of a results bundle, comparisons in the order of :data:`COMPARISONS`.

    A comparison that is null or absent (no trials) contributes nothing.
    """
    comparisons = (bundle or {}).get("comparisons") or {}
    names = [c for c in COMPARISONS if c in comparisons] + sorted(
        c for c in comparisons if c not in COMPARISONS
    )
    out: list[Pooled] = []
    unavailable = (bundle or {}).get("unavailable") or {}
    for name in names:
        if comparisons[name] is not None:
            out.extend(_walk(name, "", comparisons[name], "RR"))
        elif isinstance(unavailable.get(name), Mapping):
            # no primary analysis, but sensitivity analyses may exist (e.g. other outcomes)
            sens = unavailable[name].get("sensitivity")
            out.extend(_walk(name, "sensitivity", sens, "RR"))
    return out


def diff_pooled(base: Mapping | None, head: Mapping | None) -> list[PooledChange]:
    """Pair the pooled results of two bundles by (comparison, analysis, model)."""
    old = {(p.comparison, p.analysis, p.model): p for p in pooled_results(base)}
    new = {(p.comparison, p.analysis, p.model): p for p in pooled_results(head)}
    keys = list(new) + [k for k in old if k not in new]
    order = {c: i for i, c in enumerate(COMPARISONS)}
    keys.sort(key=lambda k: order.get(k[0], len(order)))  # stable: keeps analysis order
    return [PooledChange(old.get(k), new.get(k)) for k in keys]


def _membership(bundle: Mapping | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, comp in ((bundle or {}).get("comparisons") or {}).items():
        if isinstance(comp, Mapping):
            out[name] = {str(s.get("study_id")) for s in comp.get("studies") or ()}
    return out


def diff_membership(
    base: Mapping | None, head: Mapping | None
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Per comparison, the trials entering and leaving its primary analysis."""
    old, new = _membership(base), _membership(head)
    out = {}
    for name in sorted(set(old) | set(new), key=lambda c: (c not in COMPARISONS, c)):
        a, b = old.get(name, set()), new.get(name, set())
        if a != b:
            out[name] = (tuple(sorted(b - a)), tuple(sorted(a - b)))
    return out


def read_studies(text: str, source: str = "studies.csv") -> tuple[dict[str, str], ...]:
    """Rows of a ``studies.csv`` as dicts of strings (compared as written, no parsing)."""
    # the same reading as the validator's: a byte-order mark ignored, any line ending
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    if reader.fieldnames is None or "study_id" not in reader.fieldnames:
        raise UserError(f"{source}:1:study_id: column is required")
    return tuple(dict(row) for row in reader)


def diff_trials(
    base: Sequence[Mapping[str, str]], head: Sequence[Mapping[str, str]]
) -> tuple[list[TrialChange], tuple[str, ...], tuple[str, ...]]:
    """Trials added, removed and changed between two sets of ``studies.csv`` rows.

    Returns the changes (in HEAD's row order, then removed trials in BASE's
    order) and the columns added and removed.
    """
    old = {r["study_id"]: r for r in base}
    new = {r["study_id"]: r for r in head}
    old_cols = list(base[0]) if base else []
    new_cols = list(head[0]) if head else []
    cols_added = tuple(c for c in new_cols if c not in old_cols) if base else ()
    cols_removed = tuple(c for c in old_cols if c not in new_cols) if head else ()
    changes: list[TrialChange] = []
    for sid, row in new.items():
        if sid not in old:
            changes.append(TrialChange(sid, "added"))
            continue
        before = old[sid]
        fields = tuple(
            (c, before.get(c) or "", row.get(c) or "")
            for c in new_cols
            if c in before and (before.get(c) or "") != (row.get(c) or "")
        )
        if fields:
            changes.append(TrialChange(sid, "changed", fields))
    changes += [TrialChange(sid, "removed") for sid in old if sid not in new]
    return changes, cols_added, cols_removed


def compare(base: Side, head: Side) -> ResultsDiff:
    """The full diff of two sides (trials only when both have ``studies.csv`` rows)."""
    if base.studies is not None and head.studies is not None:
        trials, added, removed = diff_trials(base.studies, head.studies)
        trial_changes: tuple[TrialChange, ...] | None = tuple(trials)
    else:
        trial_changes, added, removed = None, (), ()
    return ResultsDiff(
        base=base,
        head=head,
        trials=trial_changes,
        columns_added=added,
        columns_removed=removed,
        pooled=tuple(diff_pooled(base.bundle, head.bundle)),
        membership=diff_membership(base.bundle, head.bundle),
        reviews=tuple(diff_package(base.package, head.package))
        + tuple(diff_bibliography(base.bibliography, head.bibliography)),
    )


def diff_package(old: str | None, new: str | None) -> list[str]:
    """What changed in ``datapackage.json``: rules (a maintainer's decision) or prose."""
    if old is None or new is None or old == new:
        return []
    try:
        a, b = json.loads(old.removeprefix("\ufeff")), json.loads(new.removeprefix("\ufeff"))
    except (json.JSONDecodeError, RecursionError):
        return ["`data/datapackage.json` changed and is not valid JSON"]
    paths: list[str] = []

    def walk(x: object, y: object, where: str) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=str):
                walk(x.get(k), y.get(k), f"{where}.{k}" if where else str(k))
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                walk(u, v, f"{where}[{i}]")
        elif x != y:
            paths.append(where or "$")

    walk(a, b, "")
    prose = [p for p in paths if p.rsplit(".", 1)[-1] in ("description", "title")]
    rules = [p for p in paths if p not in prose]
    out = []
    if rules:
        shown = ", ".join(escape.code(p) for p in rules[:10])
        more = f" and {len(rules) - 10} more" if len(rules) > 10 else ""
        out.append(
            f"**Rules changed** in `data/datapackage.json` ({shown}{more}): validation applies "
            "the project's pinned rules (`analysis/evidence/datapackage.json`), so this needs a "
            "maintainer's decision"
        )
    if prose:
        shown = ", ".join(escape.code(p) for p in prose[:10])
        more = f" and {len(prose) - 10} more" if len(prose) > 10 else ""
        out.append(f"Descriptions changed in `data/datapackage.json`: {shown}{more}")
    return out


def diff_bibliography(old: str | None, new: str | None) -> list[str]:
    """Entries of ``references.bib`` added, removed or changed (keys, escaped)."""
    if old is None or new is None or old == new:
        return []
    from analysis.evidence import bibtex

    a = {e.key: e.fields for e in bibtex.parse(old)[0]}
    b = {e.key: e.fields for e in bibtex.parse(new)[0]}
    parts = []
    for word, keys in (
        ("added", [k for k in b if k not in a]),
        ("removed", [k for k in a if k not in b]),
        ("changed", [k for k in b if k in a and a[k] != b[k]]),
    ):
        if keys:
            shown = ", ".join(_t(k) for k in keys[:20])
            more = f" and {len(keys) - 20} more" if len(keys) > 20 else ""
            parts.append(f"{word} {shown}{more}")
    what = "; ".join(parts) or "formatting only"
    return [f"`data/references.bib` changed ({what}): check each entry against its source"]


# --------------------------------------------------------------------------- Markdown


def _fmt(x: float | None, digits: int = 2) -> str:
    """The site's number formatter (the same rounding of halves, the minus sign)."""
    from analysis.report.text import num

    return num(x, digits)


def _effect(p: Pooled | None) -> str:
    if p is None:
        return "–"
    if p.estimate is None:
        return "not estimable"
    return f"{_t(p.measure)} {_fmt(p.estimate)} ({_fmt(p.ci_low)} to {_fmt(p.ci_high)})"


def _pair(old: str, new: str) -> str:
    return new if old == new else f"{old} → {new}"


def _sig_word(p: Pooled) -> str:
    s = p.significant
    return "CI not available" if s is None else ("significant" if s else "not significant")


def _dir_word(p: Pooled) -> str:
    word = "?" if p.direction is None else {1: "above", -1: "below", 0: "on"}[p.direction]
    return f"{word} {p.null:g}"


def _cell(text: str) -> str:
    """A data value for a table cell: shortened, then escaped (mentions, markup, pipes)."""
    text = escape.plain(text)
    text = text if len(text) <= _LONG_TEXT else text[: _LONG_TEXT - 1] + "…"
    return escape.comment(text)


def _t(text: object) -> str:
    """Any other text that comes from the data or a results file: escaped."""
    return escape.comment(text)


def word_diff(old: str, new: str) -> str:
    """A word-level diff for a comment: removed words ``~~struck~~``, added ones **bold**,
    every word escaped (so no markup or mention from the data; the markers stay ours)."""
    a, b = escape.plain(old).split(" "), escape.plain(new).split(" ")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(" ".join(_t(w) for w in a[i1:i2]))
            continue
        if op in ("delete", "replace") and i2 > i1:
            out.append("~~" + " ".join(_t(w) for w in a[i1:i2]) + "~~")
        if op in ("insert", "replace") and j2 > j1:
            out.append("**" + " ".join(_t(w) for w in b[j1:j2]) + "**")
    return " ".join(x for x in out if x)


def _is_long(a: str, b: str) -> bool:
    return max(len(a), len(b)) > _LONG_TEXT


def _label(analysis: str) -> str:
    """``sensitivity/tau2_methods/DL`` -> ``tau2 methods, DL`` (the primary stays ``primary``)."""
    parts = analysis.split("/")
    if parts[0] == "sensitivity" and len(parts) > 1:
        parts = parts[1:]
    return _t(", ".join(part.replace("_", " ") for part in parts))


def _describe(side: Side) -> str:
    b = side.bundle or {}
    if not b.get("commit"):
        return escape.code(side.label)
    commit = str(b["commit"])
    parts = [f"version {_t(b.get('version', '?'))}", f"commit {escape.code(commit[:12])}"]
    if b.get("uncommitted"):
        parts[1] = f"uncommitted changes on top of commit {escape.code(commit[:12])}"
    if b.get("generated") and not b.get("uncommitted"):
        parts.append(f"dated {_t(b['generated'])}")
    return f"{escape.code(side.label)} ({', '.join(parts)})"


def _verdict(p: Pooled) -> str:
    """Where a primary result stands, in words (benefit outcomes: above the null favours IVIG)."""
    if p.estimate is None or p.ci_low is None or p.ci_high is None:
        return "not estimable"
    if p.ci_low > p.null:
        return "favours IVIG"
    if p.ci_high < p.null:
        return "favours the comparator"
    return "inconclusive (the CI includes no effect)"


def _certainty(bundle: Mapping, comparison: str) -> str | None:
    """The GRADE certainty of a comparison's across-disease result in a bundle, in words."""
    finding = ((bundle.get("comparisons") or {}).get(comparison) or {}).get("findings") or {}
    label = ((finding.get("all") or {}).get("certainty") or {}).get("label")
    return str(label).replace("_", " ") if label else None


def _certainty_words(d: ResultsDiff, comparison: str) -> str:
    """``certainty unchanged (low)``, ``certainty low → moderate``, or nothing when unrated."""
    before, after = _certainty(d.base.bundle, comparison), _certainty(d.head.bundle, comparison)
    if after is None:
        return ""
    if before == after:
        return f"; certainty unchanged ({_t(after)})"
    return f"; certainty {_t(before or 'not rated')} → **{_t(after)}**"


def headline(d: ResultsDiff) -> str:
    """The first line: what the change does to each comparison's primary conclusion and to
    the certainty of its evidence."""
    parts = []
    for c in d.pooled:
        if not (c.primary and c.changed):
            continue
        name = _t(COMPARISONS.get(c.ref.comparison, c.ref.comparison))
        o, n = c.old, c.new
        if o is None:
            parts.append(f"{name}: new primary result {_effect(n)}, {_verdict(n)}")  # type: ignore[arg-type]
        elif n is None:
            parts.append(f"{name}: primary result removed (was {_effect(o)})")
        else:
            before, after = _verdict(o), _verdict(n)
            stance = f"still {after}" if before == after else f"now **{after}** (before: {before})"
            parts.append(
                f"{name}: {_t(n.measure)} {_fmt(o.estimate)} → {_fmt(n.estimate)}, {stance}"
                + _certainty_words(d, c.ref.comparison)
            )
    if not parts:
        return "No primary (random-effects) result changes."
    return "; ".join(parts) + "."


def _markdown(d: ResultsDiff, level: int) -> str:
    h = "#" * level
    out = [f"{h} Results diff", ""]
    out += [headline(d), ""]
    out.append(f"From {_describe(d.base)} to {_describe(d.head)}.")
    out.append("")

    trials = d.trials or ()
    counts = {k: sum(t.kind == k for t in trials) for k in ("added", "removed", "changed")}
    changed_results = sum(c.changed for c in d.pooled)
    summary = []
    if d.trials is not None:
        summary.append(
            f"{counts['added']} trial(s) added, {counts['removed']} removed, "
            f"{counts['changed']} changed"
        )
    summary.append(f"{changed_results} of {len(d.pooled)} pooled result(s) changed")
    sig = sum(c.significance_changed for c in d.pooled)
    dirn = sum(c.direction_changed for c in d.pooled)
    summary.append(f"**{sig} change(s) of statistical significance, {dirn} of direction**")
    out.append("; ".join(summary) + ".")
    out.append("")
    from analysis.publish.release import bump_and_reason

    kind, why = bump_and_reason(d)
    label = {c: COMPARISONS[c] for c in COMPARISONS}
    for key, name in label.items():
        why = why.replace(f"of {key} ", f"of {name} ")
    out += [f"Suggested version bump: **{kind}** ({_t(why)}).", ""]
    if d.unchanged:
        out += ["No change in the trial data or in any pooled result.", ""]

    if d.reviews:
        out += [f"{h}# For a maintainer's review", ""]
        out += [f"- {r}." for r in d.reviews]
        out.append("")

    if d.flagged:
        out += [f"{h}# Changes of significance or direction", ""]
        for c in d.flagged:
            p, o, n = c.ref, c.old, c.new
            assert o is not None and n is not None
            what = []
            if c.significance_changed:
                what.append(f"significance: {_sig_word(o)} → {_sig_word(n)}")
            if c.direction_changed:
                what.append(f"direction: estimate {_dir_word(o)} → {_dir_word(n)}")
            out.append(
                f"- **{_t(COMPARISONS.get(p.comparison, p.comparison))}**, {_label(p.analysis)}, "
                f"{_t(p.model)}: "
                f"{_effect(o)} → {_effect(n)}; {'; '.join(what)}."
            )
        out.append("")

    out += [f"{h}# Trials", ""]
    if d.trials is None:
        out += [
            "Trial-level data (`studies.csv`) are not available for both sides; "
            "only the membership of each analysis is compared below.",
            "",
        ]
    elif not trials and not d.columns_added and not d.columns_removed:
        out.pop()  # nothing to say: no section (the summary line says 0 changed)
        out.pop()
    else:
        if d.columns_added or d.columns_removed:
            if d.columns_added:
                out.append(f"Columns added: {', '.join(escape.code(c) for c in d.columns_added)}.")
            if d.columns_removed:
                out.append(
                    f"Columns removed: {', '.join(escape.code(c) for c in d.columns_removed)}."
                )
            out.append("")
        if trials:
            out += ["| Trial | Change | Fields (old → new) |", "| --- | --- | --- |"]
            long_fields: list[tuple[str, str, str, str]] = []
            for t in trials:
                if t.kind == "changed":
                    parts = []
                    for col, a, b in t.fields:
                        if _is_long(a, b):
                            long_fields.append((t.study_id, col, a, b))
                            parts.append(f"{escape.code(col)}: text changed (below)")
                        else:
                            parts.append(
                                f"{escape.code(col)}: {_cell(a or '(blank)')} → "
                                f"{_cell(b or '(blank)')}"
                            )
                    cells = "; ".join(parts)
                else:
                    cells = ""
                cells = escape.table_pipes(cells)  # a pipe in a code span still splits a cell
                out.append(f"| {_t(t.study_id)} | {t.kind} | {cells} |")
            out.append("")
            for sid, col, a, b in long_fields:
                out += [
                    "<details>",
                    f"<summary>{escape.comment_html(sid)}: {escape.comment_html(col)} (word diff: "
                    "~~removed~~, **added**)</summary>",
                    "",
                    word_diff(a, b),
                    "",
                    "</details>",
                    "",
                ]

    pooled_head = len(out)
    out += [f"{h}# Pooled results", ""]
    if not d.pooled:
        out += ["Neither side has a pooled result (no comparison has trials).", ""]
    by_comp: dict[str, list[PooledChange]] = {}
    for c in d.pooled:
        by_comp.setdefault(c.ref.comparison, []).append(c)
    unchanged: list[str] = []
    for comp, rows in by_comp.items():
        entering, leaving = d.membership.get(comp, ((), ()))
        # what moved, the primary random-effects result first
        shown = sorted(
            (c for c in rows if c.changed),
            key=lambda c: (not c.primary, c.ref.analysis != "primary"),
        )
        if not shown and not entering and not leaving:
            unchanged.append(_t(COMPARISONS.get(comp, comp)))
            continue  # a section with nothing to say is left out
        out += [f"{h}## {_t(COMPARISONS.get(comp, comp))}", ""]
        if entering:
            out.append(f"Trials entering the analysis: {', '.join(map(_t, entering))}.")
        if leaving:
            out.append(f"Trials leaving the analysis: {', '.join(map(_t, leaving))}.")
        if entering or leaving:
            out.append("")
        if shown:
            out += [
                "| Analysis | Model | k | Estimate (95% CI) | τ² | I² (%) | Flag |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
        for c in shown:
            o, n, p = c.old, c.new, c.ref
            k = _pair(
                "–" if o is None or o.k is None else str(o.k),
                "–" if n is None or n.k is None else str(n.k),
            )
            tau2 = _pair(_fmt(o.tau2 if o else None, 4), _fmt(n.tau2 if n else None, 4))
            i2 = _pair(_fmt(o.i2 if o else None, 1), _fmt(n.i2 if n else None, 1))
            flags = []
            if o is None:
                flags.append("new")
            elif n is None:
                flags.append("removed")
            if c.significance_changed:
                flags.append("**significance changed**")
            if c.direction_changed:
                flags.append("**direction changed**")
            elif c.crossed:
                flags.append("moved across the null (both CIs span it)")
            if not flags and c.changed:
                flags.append("moved")
            out.append(
                f"| {_label(p.analysis)} | {_t(p.model)} | {k} | {_pair(_effect(o), _effect(n))} "
                f"| {tau2} | {i2} | {', '.join(flags)} |"
            )
        out.append("")
        if shown and len(rows) > len(shown):
            out += [f"{len(rows) - len(shown)} further result(s) unchanged.", ""]
    if unchanged:
        out += [f"Unchanged: {', '.join(unchanged)}.", ""]
    if d.pooled and len(out) == pooled_head + 2 + 2 * bool(unchanged):
        del out[pooled_head : pooled_head + 2]  # no pooled result moved: no heading
    base_comps = set(((d.base.bundle or {}).get("comparisons") or {}).keys())
    empty = [
        COMPARISONS[c]
        for c in COMPARISONS
        if c not in by_comp
        and (c in base_comps or c in ((d.head.bundle or {}).get("comparisons") or {}))
    ]
    if empty:
        out += [f"No trials in the primary analysis on either side: {', '.join(empty)}.", ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- loading sides


def _run_git(repo: Path, *args: str, binary: bool = False) -> bytes | str:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True)
    except FileNotFoundError as exc:
        raise UserError("git is needed to compare revisions") from exc
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(f"git {' '.join(args)}: {msg[-1] if msg else 'failed'}") from exc
    return proc.stdout if binary else proc.stdout.decode().strip()


def _compute(root: Path) -> dict:
    """Results bundle of the project at ``root`` (its ``data/``) with the current code."""
    from analysis.report.results_bundle import compute

    return compute(root)


def _uncommitted(root: Path) -> bool:
    """Whether ``data/`` of the working tree at ``root`` differs from its HEAD commit."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "data"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return False
    return proc.returncode == 0 and bool(proc.stdout.strip())


def _text(path: Path) -> str | None:
    return path.read_bytes().decode("utf-8", "replace") if path.is_file() else None


def _side(label: str, root: Path, bundle: Mapping) -> Side:
    data = root / "data"
    return Side(
        label,
        bundle,
        _studies_file(root),
        _text(data / "datapackage.json"),
        _text(data / "references.bib"),
    )


def _studies_file(root: Path) -> tuple[dict[str, str], ...] | None:
    path = root / "data" / "studies.csv"
    if not path.is_file():
        return None
    return read_studies(path.read_text(encoding="utf-8"), str(path))


def bundle_at_revision(repo: Path, rev: str) -> Side:
    """Analyse the ``data/`` of git revision ``rev`` of ``repo`` with the current code."""
    sha = str(_run_git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"))
    files = str(_run_git(repo, "ls-tree", "--name-only", sha, "--", "data", "pyproject.toml"))
    with tempfile.TemporaryDirectory(prefix="ivig-diff-") as tmp:
        root = Path(tmp)
        names = files.split()
        if names:
            tar = _run_git(repo, "archive", "--format=tar", sha, "--", *names, binary=True)
            with tarfile.open(fileobj=io.BytesIO(tar)) as tf:  # type: ignore[arg-type]
                # the "data" filter (Python >= 3.11.4) refuses links and paths out of root
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(root, filter="data")  # our own repository's archive
                else:
                    tf.extractall(root)
        studies = _studies_file(root)
        package = _text(root / "data" / "datapackage.json")
        bibliography = _text(root / "data" / "references.bib")
        if package is not None:
            # analysed with the current code, so under the current rules: an older
            # descriptor (before a rule was added) must not make the base unreadable
            from analysis.evidence.validate import RULES

            (root / "data" / "datapackage.json").write_bytes(RULES.read_bytes())
        if studies is None:  # before the register existed: no trial, nothing to analyse
            bundle: dict = {"comparisons": {}}
            studies = ()
        else:
            try:
                bundle = dict(_compute(root))
            except UserError as exc:
                raise UserError(f"cannot analyse the data of {rev}: {exc}") from exc
    epoch = str(_run_git(repo, "log", "-1", "--format=%ct", sha))
    from analysis.report.version import iso_utc

    version = "unknown"
    if "pyproject.toml" in names:
        version = _version_from_text(str(_run_git(repo, "show", f"{sha}:pyproject.toml")))
    bundle.update({"version": version, "commit": sha, "generated": iso_utc(int(epoch))})
    return Side(rev, bundle, studies, package, bibliography)


def _version_from_text(pyproject: str) -> str:
    import tomllib

    try:
        return str(tomllib.loads(pyproject)["project"]["version"])
    except (tomllib.TOMLDecodeError, KeyError):
        return "unknown"


def load_side(spec: str, repo: Path | None = None) -> Side:
    """Resolve BASE or HEAD: a results.json file, a project directory, or a git revision."""
    from analysis.report.version import ROOT

    repo = Path(repo) if repo is not None else ROOT
    path = Path(spec)
    if spec.endswith(".json") or path.is_file():
        if not path.is_file():
            raise UserError(f"{spec}: no such results file")
        try:
            bundle = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UserError(f"{spec}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(bundle, dict) or "comparisons" not in bundle:
            raise UserError(f"{spec}:1:1: not a results bundle (no 'comparisons' key)")
        beside = path.parent / "data" / "studies.csv"
        studies = (
            read_studies(beside.read_text(encoding="utf-8"), str(beside))
            if beside.is_file()
            else None
        )
        return Side(spec, bundle, studies)
    if path.is_dir():
        root = path.resolve()
        bundle = dict(_compute(root))
        if _uncommitted(root):
            bundle["uncommitted"] = True
        return _side(spec, root, bundle)
    return bundle_at_revision(repo, spec)


# --------------------------------------------------------------------------- command line


def forest_images(d: ResultsDiff, out: Path) -> list[Path]:
    """Before and after forest plots (SVG, drawn by vl-convert) of every comparison whose
    primary random-effects result moved, written into ``out``; returns the files.

    The comment only names them (the CI run attaches ``out`` as an artifact): no image
    drawn from a pull request's data is ever embedded in the comment.
    """
    import vl_convert as vlc

    from analysis.report import charts
    from analysis.report.chart_display import vl_version

    written: list[Path] = []
    moved = [c.ref.comparison for c in d.pooled if c.primary and c.changed]
    for comp in dict.fromkeys(moved):
        if comp not in COMPARISONS:
            continue  # a name from a results file: never a file name
        for side, when in ((d.base, "before"), (d.head, "after")):
            r = ((side.bundle or {}).get("comparisons") or {}).get(comp)
            if not isinstance(r, Mapping) or not r.get("studies"):
                continue
            fig = charts.forest(dict(r), name=f"{comp}-{when}", by=None)
            spec = dict(fig.spec())
            if spec.get("width") == "container":
                spec["width"] = 520
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"forest-{comp.replace('_', '-')}-{when}.svg"
            path.write_text(vlc.vegalite_to_svg(spec, vl_version=vl_version()), encoding="utf-8")
            written.append(path)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", metavar="BASE", help="git revision, results.json or directory")
    parser.add_argument(
        "head",
        metavar="HEAD",
        nargs="?",
        default=".",
        help="git revision, results.json or directory (default: the working tree, '.')",
    )
    parser.add_argument("--output", "-o", type=Path, help="write the report here, not to stdout")
    parser.add_argument(
        "--images",
        type=Path,
        metavar="DIR",
        help="write before/after forest plots (SVG) of comparisons whose primary result moved",
    )


def run(args: argparse.Namespace) -> int:
    d = compare(load_side(args.base), load_side(args.head))
    report = d.to_markdown()
    if getattr(args, "images", None):
        files = forest_images(d, args.images)
        if files:
            names = ", ".join(escape.code(f.name) for f in files)
            report += (
                f"\nBefore/after forest plots of the comparisons that moved: {names}, in this"
                " CI run's `forest-plots` artifact (linked below).\n"
            )
    # escaped first, cut second: the cut report stays below GitHub's limit
    report = escape.truncate_comment(report)
    if args.output:
        tmp = args.output.with_name(args.output.name + ".tmp")
        tmp.write_text(report, encoding="utf-8")
        tmp.replace(args.output)
    else:
        print(report, end="")
    return 0
