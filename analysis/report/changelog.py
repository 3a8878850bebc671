"""The changelog: the released versions' entries in ``changelog/vX.Y.Z.md``.

Read by the Changelog chapter (:mod:`analysis.report.chapters`) and written by
``python -m analysis release`` (:mod:`analysis.publish.release`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from analysis.report.version import ROOT, parse

__all__ = ["CHANGELOG", "ChangelogEntry", "changelog_entries", "shift_headings"]

CHANGELOG = "changelog"


@dataclass(frozen=True)
class ChangelogEntry:
    """One released version's entry in ``changelog/vX.Y.Z.md``.

    ``title`` is the entry's first heading without ``#`` (``v0.2.0 (2026-11-25)``);
    ``body`` is the rest, with its headings starting at level 2.
    """

    version: str
    date: str | None
    title: str
    body: str
    path: Path

    def body_at(self, level: int) -> str:
        """The body with its top headings at ``level`` (e.g. 3 under a chapter's ``##``)."""
        return shift_headings(self.body, level - 2)


def shift_headings(markdown: str, by: int) -> str:
    """Move every ATX heading (outside fenced code) down (``by`` > 0) or up by ``by`` levels."""
    if by == 0:
        return markdown
    out, fenced = [], False
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        m = None if fenced else re.match(r"^(#{1,6})(\s)", line)
        if m:
            level = min(6, max(1, len(m.group(1)) + by))
            line = "#" * level + line[len(m.group(1)) :]
        out.append(line)
    return "".join(out)


def changelog_entries(root: Path | None = None) -> list[ChangelogEntry]:
    """Every released version's changelog entry, newest first."""
    folder = (Path(root) if root is not None else ROOT) / CHANGELOG
    entries = []
    for path in folder.glob("v*.md") if folder.is_dir() else ():
        try:
            v = parse(path.stem)
        except ValueError:
            continue
        text = path.read_text(encoding="utf-8")
        first, _, body = text.partition("\n")
        title = first.lstrip("#").strip() or path.stem
        m = re.search(r"\((\d{4}-\d{2}-\d{2})\)", title)
        entries.append(
            ChangelogEntry(str(v), m.group(1) if m else None, title, body.lstrip("\n"), path)
        )
    entries.sort(key=lambda e: parse(e.version), reverse=True)
    return entries
