"""What changed in the outcomes behind the results: the protocol's selections, harms, alternatives.

The results diff lists trials (``studies.csv``) and pooled results; the outcomes table
(``outcomes.csv``) holds the counts of every other outcome. :func:`outcome_changes` compares
the parts of two results bundles that come from it (``protocol.selections``, ``harms``,
``choice_of_outcome``) and words each change for a maintainer: a trial's analysed outcome
chosen differently, a harm's counts added, removed or changed, an alternative outcome's counts
added, removed or changed. Data text is escaped for Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis import escape
from analysis.vocabulary import COMPARATOR_LABELS, DISEASE_LABELS

__all__ = ["outcome_changes"]


def _where(comparator: str, disease: str) -> str:
    c = COMPARATOR_LABELS.get(comparator, comparator).lower()
    return f"IVIG vs {c}, {DISEASE_LABELS.get(disease, disease)}"


def _counts(r: Mapping[str, Any]) -> str:
    return (
        f"{r.get('ivig_events')}/{r.get('ivig_total')} vs "
        f"{r.get('control_events')}/{r.get('control_total')}"
    )


def _harms(bundle: Mapping | None) -> dict[tuple[str, str, str], str]:
    out = {}
    for comp, cells in ((bundle or {}).get("harms") or {}).items():
        for disease, cell in (cells or {}).items():
            if disease == "all":
                continue
            for r in cell.get("rows") or []:
                ids = ", ".join(r.get("study_ids") or [])
                out[(comp, disease, r["label"])] = f"{_counts(r)} ({ids})"
    return out


def _alternatives(bundle: Mapping | None) -> dict[tuple[str, str, str, str], str]:
    out = {}
    for comp, cells in ((bundle or {}).get("choice_of_outcome") or {}).items():
        for disease, cell in (cells or {}).items():
            if disease == "all":
                continue
            for a in cell.get("alternatives") or []:
                out[(comp, disease, a["study_id"], a["outcome_id"])] = _counts(a)
    return out


def _selections(bundle: Mapping | None) -> dict[str, str]:
    protocol = (bundle or {}).get("protocol") or {}
    return {
        sid: f"{s.get('outcome_id')} (rule {s.get('rule')})"
        for sid, s in (protocol.get("selections") or {}).items()
    }


def _changes(old: Mapping, new: Mapping) -> list[tuple[Any, str | None, str | None]]:
    keys = sorted(set(old) | set(new), key=str)
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def outcome_changes(base: Mapping | None, head: Mapping | None) -> list[str]:
    """The outcome-level changes from ``base`` to ``head``, one sentence each (no final stop)."""
    md = escape.markdown
    lines = []
    if (base or {}).get("protocol") is not None:  # a first protocol is reported as adopted
        for sid, a, b in _changes(_selections(base), _selections(head)):
            lines.append(
                f"Analysed outcome of {md(sid)}: {md(a or 'none')} before, {md(b or 'none')} now"
            )
    for (comp, disease, label), a, b in _changes(_harms(base), _harms(head)):
        lines.append(
            f"Harms, {_where(comp, disease)}, {md(label)}: "
            f"{md(a or 'no counts')} before, {md(b or 'no counts')} now"
        )
    for (comp, disease, sid, oid), a, b in _changes(_alternatives(base), _alternatives(head)):
        lines.append(
            f"Alternative outcome {md(oid)} of {md(sid)} ({_where(comp, disease)}): "
            f"{md(a or 'none')} before, {md(b or 'none')} now"
        )
    return lines
