"""What's new, machine-readable: each release's JSON record and the site's Atom feed.

:func:`release_record` turns the results diff of a release into ``changelog/vX.Y.Z.json``
(beside the Markdown entry): the trials added, removed and changed, and per comparison
and disease (the summary-of-findings rows of ``results.json``) the estimate, its 95 % CI
and the GRADE certainty before and after, with whether the conclusion changed by the
stated rule (:data:`CONCLUSION_RULE`, the README's semantic versioning of the evidence).

:func:`atom` writes the feed of releases (RFC 4287, The Atom Syndication Format: a
``feed`` with ``id``, ``title``, ``updated``, ``author`` and a ``self`` link; one
``entry`` per release with ``id``, ``title``, ``updated``, a ``link`` and a ``summary``),
published as ``releases.xml`` at the site's root by the build (:func:`write`).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from analysis.publish.diff.compare import Pooled, PooledChange
from analysis.report.changelog import CHANGELOG, ChangelogEntry, changelog_entries

__all__ = ["CONCLUSION_RULE", "FEED", "atom", "release_record", "write"]

FEED = "releases.xml"
ATOM = "http://www.w3.org/2005/Atom"
CONCLUSION_RULE = (
    "A conclusion changes when a pooled result changes statistical significance (its 95 % "
    "confidence interval newly includes or excludes no effect) or direction (the estimate "
    "crosses no effect while a confidence interval excludes it); the primary random-effects "
    "result of a comparison decides a major version."
)


def _side(row: Mapping | None) -> dict[str, Any] | None:
    if not row:
        return None
    cert = row.get("certainty") or {}
    return {
        "k": row.get("k"),
        "measure": row.get("measure"),
        "estimate": row.get("estimate"),
        "ci_low": row.get("ci_low"),
        "ci_high": row.get("ci_high"),
        "certainty": cert.get("label") if isinstance(cert, Mapping) else None,
    }


def _pooled(comparison: str, disease: str, row: Mapping | None) -> Pooled | None:
    if not row:
        return None
    return Pooled(
        comparison,
        "primary" if disease == "all" else f"disease/{disease}",
        "random effects",
        str(row.get("measure") or "RR"),
        row.get("k"),
        row.get("estimate"),
        row.get("ci_low"),
        row.get("ci_high"),
    )


def _findings(bundle: Mapping) -> dict[tuple[str, str], Mapping]:
    out = {}
    for comp, entry in ((bundle or {}).get("comparisons") or {}).items():
        for disease, row in ((entry or {}).get("findings") or {}).items():
            out[comp, disease] = row
    return out


def release_record(diff, version: str, released: str, base: str | None) -> dict[str, Any]:
    """The JSON record of a release, from its results diff (``ResultsDiff``)."""
    trials = diff.trials or ()
    before, after = _findings(diff.base.bundle), _findings(diff.head.bundle)
    results = []
    for comp, disease in sorted(set(before) | set(after)):
        old, new = before.get((comp, disease)), after.get((comp, disease))
        change = PooledChange(_pooled(comp, disease, old), _pooled(comp, disease, new))
        changed = change.significance_changed or change.direction_changed
        results.append(
            {
                "comparison": comp,
                "disease": disease,
                "before": _side(old),
                "after": _side(new),
                "conclusion_changed": changed,
                "why": (
                    "statistical significance changed"
                    if change.significance_changed
                    else "direction changed"
                    if change.direction_changed
                    else None
                ),
            }
        )
    return {
        "version": version,
        "released": released,
        "base": base,
        "trials": {
            "added": [t.study_id for t in trials if t.kind == "added"],
            "removed": [t.study_id for t in trials if t.kind == "removed"],
            "changed": [
                {"study_id": t.study_id, "columns": [f[0] for f in t.fields]}
                for t in trials
                if t.kind == "changed"
            ],
        },
        "results": results,
        "conclusion_changed": any(r["conclusion_changed"] for r in results),
        "conclusion_rule": CONCLUSION_RULE,
    }


def release_record_json(diff, version: str, released: str, base: str | None) -> str:
    return json.dumps(release_record(diff, version, released, base), indent=2) + "\n"


def _summary(entry: ChangelogEntry) -> str:
    """The entry's "What's new" list as plain text (the Markdown's marks removed)."""
    body = entry.body
    m = re.search(r"(?ms)^#+ What's new\s*\n(.*?)(?=^#|\Z)", body)
    text = m.group(1) if m else body.split("\n\n")[0]
    text = re.sub(r"[*`]", "", text)
    return " ".join(text.split())[:2000]


def atom(
    entries: Sequence[ChangelogEntry], site: str, *, title: str, updated: str | None = None
) -> str:
    """The Atom feed (RFC 4287) of *entries*, newest first, for the site at *site*.

    The feed's ``updated`` is its newest entry's date; with no release yet, *updated*
    (the build's time, RFC 3339), else the epoch.
    """
    site = site.rstrip("/") + "/"
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    def stamp(e: ChangelogEntry) -> str:
        return f"{e.date or '1970-01-01'}T00:00:00Z"

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", site + FEED)
    sub(feed, "title", title)
    sub(feed, "subtitle", "Each release of the living review: trials added, results changed.")
    fallback = updated or "1970-01-01T00:00:00Z"
    sub(feed, "updated", max((stamp(e) for e in entries), default=fallback))
    author = sub(feed, "author")
    sub(author, "name", "IVIG living review maintainers")
    sub(feed, "link", rel="self", type="application/atom+xml", href=site + FEED)
    sub(feed, "link", rel="alternate", type="text/html", href=site)
    for e in entries:
        item = sub(feed, "entry")
        tag = f"v{e.version}"
        sub(item, "id", f"{site}{tag}/")
        sub(item, "title", e.title)
        sub(item, "updated", stamp(e))
        sub(item, "link", rel="alternate", type="text/html", href=f"{site}{tag}/")
        if (e.path.with_suffix(".json")).is_file():
            sub(
                item,
                "link",
                rel="related",
                type="application/json",
                href=f"{site}{CHANGELOG}/{tag}.json",
            )
        sub(item, "summary", _summary(e), type="text")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def write(
    root: Path, staging: Path, site: str | None, *, title: str, updated: str | None = None
) -> None:
    """Put ``releases.xml`` and the releases' JSON records into the site being built."""
    entries = changelog_entries(root)
    xml = atom(entries, site or "./", title=title, updated=updated)
    (staging / FEED).write_text(xml, encoding="utf-8")
    records = [
        e.path.with_suffix(".json") for e in entries if e.path.with_suffix(".json").is_file()
    ]
    if records:
        (staging / CHANGELOG).mkdir(exist_ok=True)
        for path in records:
            shutil.copyfile(path, staging / CHANGELOG / path.name)
