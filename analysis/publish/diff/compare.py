"""What differs between two versions: trials, pooled results, rules and references.

The pure part of ``python -m analysis diff`` (see :mod:`analysis.publish.diff`): two
:class:`Side` objects in, a :class:`ResultsDiff` out.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from analysis import escape
from analysis.errors import UserError
from analysis.publish.diff.amendments import protocol_changes
from analysis.publish.diff.comment import markdown
from analysis.publish.diff.labels import COMPARISONS, LONG_TEXT
from analysis.publish.diff.outcome_changes import outcome_changes

__all__ = [
    "COMPARISONS",
    "Pooled",
    "PooledChange",
    "ResultsDiff",
    "Side",
    "TrialChange",
    "compare",
    "diff_pooled",
    "diff_bibliography",
    "diff_package",
    "diff_trials",
    "pooled_results",
    "read_studies",
]

#: comparison key in results.json -> heading

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

_LONG_TEXT = LONG_TEXT

#: sections of the results bundle outside ``comparisons`` whose pooled results the diff
#: pairs too (by disease): harms, the choice-of-outcome sensitivity analysis, and the
#: few-trials models (GLMM, Bayesian) beside the primary result
SECONDARY = ("harms", "choice_of_outcome", "few_trials")


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
    #: every file of data/ by name -> text (None: not available); see diff.datafiles
    data: Mapping[str, str] | None = None


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
        return markdown(self, level)


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
        model = o.get("model") or o.get("method") or o.get("label")
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
        k = _int(obj["k"]) if isinstance(obj.get("k"), int) else k  # e.g. a few-trials cell
        for key, value in obj.items():
            yield from _walk(comparison, f"{path}/{key}" if path else str(key), value, measure, k)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            label = (
                value.get("label") or value.get("name") or value.get("outcome_id")
                if isinstance(value, Mapping)
                else None
            )
            yield from _walk(comparison, f"{path}/{label or i}", value, measure, k)


def pooled_results(bundle: Mapping | None) -> list[Pooled]:
    """Every pooled result of a results bundle, comparisons in the order of :data:`COMPARISONS`.

    A comparison that is null or absent (no trials) contributes nothing.
    """
    comparisons = (bundle or {}).get("comparisons") or {}
    names = _in_order(comparisons)
    out: list[Pooled] = []
    unavailable = (bundle or {}).get("unavailable") or {}
    for name in names:
        if comparisons[name] is not None:
            out.extend(_walk(name, "", comparisons[name], "RR"))
        elif isinstance(unavailable.get(name), Mapping):
            # no primary analysis, but sensitivity analyses may exist (e.g. other outcomes)
            sens = unavailable[name].get("sensitivity")
            out.extend(_walk(name, "sensitivity", sens, "RR"))
    for section in SECONDARY:
        part = (bundle or {}).get(section)
        if not isinstance(part, Mapping):
            continue
        for name in _in_order(part):
            out.extend(p for p in _walk(name, section, part[name], "RR") if not _repeats_primary(p))
    return out


def _in_order(keys: Mapping) -> list[str]:
    """The comparisons of a bundle section: those of :data:`COMPARISONS` in its order, then
    any other key, sorted."""
    return [c for c in COMPARISONS if c in keys] + sorted(c for c in keys if c not in COMPARISONS)


def _repeats_primary(p: Pooled) -> bool:
    """A secondary section's copy of a result the comparison already lists (the protocol's
    outcome under choice of outcome; the Mantel-Haenszel and REML models of the few-trials
    panel, which are the summary of findings' and the sensitivity analyses')."""
    parts = p.analysis.split("/")
    if parts[0] == "choice_of_outcome":
        return "alternatives" not in parts
    if parts[0] == "few_trials":
        return parts[-1] not in ("glmm", "bayes")
    return False


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
    from analysis.publish.diff import datafiles  # every other data file, and certainty

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
        reviews=tuple(protocol_changes(base.bundle, head.bundle))  # amendments first
        + tuple(datafiles.certainty_lines(base.bundle, head.bundle))
        + tuple(outcome_changes(base.bundle, head.bundle))
        + tuple(diff_package(base.package, head.package))
        + tuple(diff_bibliography(base.bibliography, head.bibliography))
        + tuple(datafiles.review(base.data, head.data)),
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
            shown = ", ".join(escape.comment(k) for k in keys[:20])
            more = f" and {len(keys) - 20} more" if len(keys) > 20 else ""
            parts.append(f"{word} {shown}{more}")
    what = "; ".join(parts) or "formatting only"
    return [f"`data/references.bib` changed ({what}): check each entry against its source"]


# --------------------------------------------------------------------------- Markdown
