"""The results diff sees every data file: what changed outside the trials table, in words.

A pull request can change the site's conclusions without touching ``studies.csv``: five
rows of ``certainty.csv`` can raise the certainty of a comparison from very low to high, a
``published.yaml`` edit changes the figures shown beside ours, ``search.yaml`` the search
the Methods chapter reports, ``references.bib`` the references. :func:`review` lists each
change, old -> new and escaped (:func:`analysis.escape.comment`), for the section "For a
maintainer's review" of the pull-request comment; :func:`certainty_changes` finds each
GRADE certainty that changed (comparison x disease), which counts as a change of
conclusion in the suggested version bump (:func:`bump`).

The trials table and its descriptor are compared by :mod:`analysis.publish.diff.compare`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis import escape
from analysis.vocabulary import COMPARATOR_LABELS, DISEASE_LABELS

__all__ = ["CertaintyChange", "bump", "certainty_changes", "read_folder", "review"]

#: compared elsewhere (the trials and the rules of the descriptor)
ELSEWHERE = frozenset({"studies.csv", "datapackage.json"})
#: longest old or new value shown in a line of the comment
SHOWN = 80

CertaintyChange = tuple[str, str, str | None, str | None]  # comparison, disease, old, new


def read_folder(data: Path) -> dict[str, str] | None:
    """Every entry of ``data/`` by name -> its text (a link or folder named as such)."""
    data = Path(data)
    if not data.is_dir():
        return None
    out = {}
    for p in sorted(data.iterdir()):
        if p.is_symlink():
            out[p.name] = f"<a symbolic link to {p.readlink()}>"
        elif p.is_dir():
            out[p.name] = "<a folder>"
        else:
            out[p.name] = p.read_bytes().decode("utf-8", "replace")
    return out


def _v(value: Any) -> str:
    """An old or new value in the comment: escaped, on one line, shortened."""
    text = escape.plain("" if value is None else value)
    if len(text) > SHOWN:
        text = text[: SHOWN - 1] + "…"
    return escape.comment(text) if text else "(empty)"


def _pair(old: Any, new: Any) -> str:
    return f"{_v(old)} → {_v(new)}"


def _name(comparison: str, disease: str) -> str:
    comp = COMPARATOR_LABELS.get(comparison)
    what = f"IVIG vs {comp.lower()}" if comp else _v(comparison)
    dis = "all diseases" if disease == "all" else DISEASE_LABELS.get(disease) or _v(disease)
    return f"{what}, {dis}"


# --------------------------------------------------------------------------- certainty


def _certainties(bundle: Mapping | None) -> dict[tuple[str, str], str]:
    out = {}
    for comp, entry in ((bundle or {}).get("comparisons") or {}).items():
        findings = (entry or {}).get("findings") if isinstance(entry, Mapping) else None
        if not isinstance(findings, Mapping):
            continue
        for disease, f in findings.items():
            if not isinstance(f, Mapping):
                continue
            label = (f.get("certainty") or {}).get("label")
            if label:
                out[(str(comp), str(disease))] = str(label)
    return out


def certainty_changes(base: Mapping | None, head: Mapping | None) -> list[CertaintyChange]:
    """Every GRADE certainty (comparison x disease) that differs between two bundles."""
    a, b = _certainties(base), _certainties(head)
    return [
        (c, d, a.get((c, d)), b.get((c, d)))
        for c, d in sorted(set(a) | set(b))
        if a.get((c, d)) != b.get((c, d))
    ]


def bump(diff: Any) -> tuple[str, str] | None:
    """``("major", why)`` when a certainty changed (a change of the review's conclusion),
    else None; :func:`analysis.publish.diff.bump.bump_and_reason` asks this first."""
    changes = certainty_changes(diff.base.bundle, diff.head.bundle)
    if not changes:
        return None
    c, d, old, new = changes[0]
    more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
    return "major", (
        f"the certainty of {_name(c, d)} changed from {(old or 'not rated').replace('_', ' ')}"
        f" to {(new or 'not rated').replace('_', ' ')}{more}"
    )


# --------------------------------------------------------------------------- per file


def _csv_rows(text: str | None) -> list[dict[str, str]]:
    if not text:
        return []
    try:
        return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error:
        return []


def _certainty_file(old: str | None, new: str | None) -> list[str]:
    def keyed(text: str | None) -> dict[tuple[str, str, str], dict[str, str]]:
        out = {}
        for r in _csv_rows(text):
            key = (r.get("comparison") or "", r.get("disease") or "", r.get("domain") or "")
            out[key] = r
        return out

    a, b = keyed(old), keyed(new)
    lines = []
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        if ra == rb:
            continue
        where = f"{_name(key[0], key[1])}, {_v(key[2].replace('_', ' '))}"
        rating = _pair((ra or {}).get("rating"), (rb or {}).get("rating"))
        who = _v((rb or ra or {}).get("reviewer"))
        why = _pair((ra or {}).get("rationale"), (rb or {}).get("rationale"))
        lines.append(
            f"`data/certainty.csv`: a reviewer's judgement of {where}: rating {rating}"
            f" (signed {who}; rationale {why})"
        )
    return lines


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{path}.{k}" if path else str(k)))
        return out or {path: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value, 1):
            out.update(_flat(v, f"{path}[{i}]"))
        return out or {path: []}
    return {path: value}


def _yaml(name: str, old: str | None, new: str | None) -> list[str]:
    from analysis.evidence import yamlfile

    docs = [yamlfile.parse(t, name) if t is not None else None for t in (old, new)]
    if any(d is not None and d.problems for d in docs):
        return [f"{escape.code('data/' + name)} changed and is not a valid data file"]
    a, b = (_flat(d.data) if d is not None else {} for d in docs)
    lines = []
    changed = [k for k in sorted(set(a) | set(b), key=str) if a.get(k) != b.get(k)]
    for k in changed[:30]:
        lines.append(f"{escape.code('data/' + name)} {escape.code(k)}: {_pair(a.get(k), b.get(k))}")
    if len(changed) > 30:
        lines.append(f"{escape.code('data/' + name)}: and {len(changed) - 30} more keys changed")
    return lines


def _bibliography(old: str | None, new: str | None) -> list[str]:
    from analysis.evidence import bibtex

    a = {e.key: e.fields for e in bibtex.parse(old or "")[0]}
    b = {e.key: e.fields for e in bibtex.parse(new or "")[0]}
    lines = []
    for key in sorted(set(a) & set(b)):
        for f in sorted(set(a[key]) | set(b[key])):
            if a[key].get(f) != b[key].get(f):
                lines.append(
                    f"`data/references.bib` {escape.comment(key)}, {escape.comment(f)}:"
                    f" {_pair(a[key].get(f), b[key].get(f))}"
                )
    return lines[:40]


def review(old: Mapping[str, str] | None, new: Mapping[str, str] | None) -> list[str]:
    """What changed in the data files other than the trials table and its descriptor."""
    if old is None or new is None:
        return []
    lines: list[str] = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a == b or name in ELSEWHERE:
            continue
        if name == "certainty.csv":
            lines += _certainty_file(a, b)
        elif name.endswith((".yaml", ".yml")):
            lines += _yaml(name, a, b)
        elif name == "references.bib":
            lines += _bibliography(a, b)
        if a is None or b is None:
            what = "added" if a is None else "removed"
            lines.append(f"{escape.code('data/' + name)} {what}")
        elif name not in ("certainty.csv", "references.bib") and not name.endswith(
            (".yaml", ".yml")
        ):
            lines.append(f"{escape.code('data/' + name)} changed")
    return lines


def certainty_lines(base: Mapping | None, head: Mapping | None) -> list[str]:
    """Each certainty that changed, in words (first in the maintainer's review)."""

    def words(label: str | None) -> str:
        return (label or "not rated").replace("_", " ")

    return [
        f"**Certainty changed**: {_name(c, d)}: {_pair(words(o), words(n))}"
        " (a change of conclusion)"
        for c, d, o, n in certainty_changes(base, head)
    ]
