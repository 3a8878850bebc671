"""``python -m analysis release X.Y.Z``: cut a new version of the evidence.

Semantic versioning of the evidence: **major** when a conclusion changes (a
pooled result of a primary analysis changes statistical significance or
direction), **minor** when trials are added, **patch** for corrections.

The command

1. checks that ``X.Y.Z`` is a semantic version greater than every release tag
   (``vA.B.C``) and not below ``pyproject.toml``'s version;
2. analyses the data of the previous release tag (or ``--base REV``) and of
   the working tree with the current code and writes the diff report as the
   changelog entry ``changelog/vX.Y.Z.md``;
3. sets the version in ``pyproject.toml`` (the single source), ``CITATION.cff``
   (``version``, ``date-released``) and ``.zenodo.json`` (``version``,
   ``publication_date``).

``--dry-run`` prints the entry and the planned edits and writes nothing.
Committing, tagging ``vX.Y.Z`` and pushing stay with the maintainer: the
pushed tag makes GitHub Actions publish the version (``publish.yml``).

:func:`changelog_entries` gives the changelog chapter its content.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from analysis.errors import UserError
from analysis.publish.diff.bump import suggested_bump
from analysis.report.changelog import CHANGELOG, ChangelogEntry, changelog_entries, shift_headings
from analysis.report.version import ROOT, Version, current, parse

HELP = "Bump the version everywhere and write the changelog entry (diff since the last release)."

__all__ = [
    "ChangelogEntry",
    "Plan",
    "changelog_entries",
    "plan",
    "release_tags",
    "shift_headings",
    "suggested_bump",
    "whats_new",
]


@dataclass(frozen=True)
class Plan:
    """What a release writes: file path -> new text, and the changelog entry."""

    version: str
    previous: str
    base: str | None
    released: str
    files: dict[Path, str]
    entry: str
    warnings: tuple[str, ...]


def release_tags(root: Path) -> list[Version]:
    """The release tags ``vX.Y.Z`` of the repository at ``root``, oldest first."""
    from analysis.publish.diff import _run_git

    out = str(_run_git(root, "tag", "--list", "v*"))
    tags = []
    for name in out.split():
        try:
            tags.append(parse(name))
        except ValueError:
            continue
    return sorted(tags)


def _effect_words(p) -> str:
    if p is None or p.estimate is None:
        return "not estimable"
    if p.ci_low is None or p.ci_high is None:
        return f"{p.measure} {p.estimate:.2f}"
    return f"{p.measure} {p.estimate:.2f} (95 % CI {p.ci_low:.2f} to {p.ci_high:.2f})"


def whats_new(diff) -> str:
    """The "What's new" section of a changelog entry, for readers, from the results diff.

    Trials added, removed and corrected (by study id), then the headline (primary,
    random-effects) results that moved, the ones whose significance or direction changed
    first; the full diff follows it in the entry.
    """
    lines = ["## What's new", ""]
    from analysis.publish.diff.amendments import protocol_changes  # protocol amendments first

    lines += [f"- {c}." for c in protocol_changes(diff.base.bundle, diff.head.bundle)]
    trials = diff.trials or ()
    for kind, verb in (
        ("added", "Trials added"),
        ("removed", "Trials removed"),
        ("changed", "Trials corrected"),
    ):
        ids = [t.study_id for t in trials if t.kind == kind]
        if ids:
            lines.append(f"- {verb} ({len(ids)}): {', '.join(ids)}.")
    from analysis.report import text

    primary = [
        c
        for c in diff.pooled
        if c.ref.analysis == "primary" and c.ref.model.startswith("random") and c.changed
    ]
    primary.sort(key=lambda c: not (c.significance_changed or c.direction_changed))
    for c in primary:
        name = text.COMPARISONS.get(c.ref.comparison, (None, c.ref.comparison))[1]
        flag = (
            " **The conclusion changed** (statistical significance or direction)."
            if c.significance_changed or c.direction_changed
            else ""
        )
        lines.append(
            f"- IVIG vs {str(name).lower()}: {_effect_words(c.old)} before, "
            f"{_effect_words(c.new)} now.{flag}"
        )
    if len(lines) == 2:
        lines.append("- No trial and no headline result changed.")
    return "\n".join(lines)


def _bump_kind(old: Version, new: Version) -> str:
    if new.major != old.major:
        return "major"
    if new.minor != old.minor:
        return "minor"
    return "patch"


_RANK = {"patch": 0, "minor": 1, "major": 2}


def _set_line(text: str, pattern: str, replacement: str, source: Path) -> str:
    new, n = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    if n != 1:
        raise UserError(f"{source}: no line matching {pattern!r} to update")
    return new


def _pyproject(text: str, version: str, source: Path) -> str:
    # the `version = "..."` line of the [project] table (the first table that has one)
    start = re.search(r"(?m)^\[project\]\s*$", text)
    if start is None:
        raise UserError(f"{source}: no [project] table")
    end = re.search(r"(?m)^\[", text[start.end() :])
    stop = start.end() + (end.start() if end else len(text) - start.end())
    section = _set_line(
        text[start.end() : stop], r'^version\s*=\s*"[^"]*"', f'version = "{version}"', source
    )
    return text[: start.end()] + section + text[stop:]


def plan(
    root: Path, version: str, *, base: str | None = None, released: date | None = None
) -> Plan:
    """Check the new version, compute the changelog entry and the edited files (writes nothing)."""
    from analysis.publish.diff import Side, bundle_at_revision, compare, load_side

    root = Path(root).resolve()
    try:
        new = parse(version)
    except ValueError as exc:
        raise UserError(f"release: {exc}") from exc
    if version.startswith("v"):
        raise UserError(f"release: give the version without 'v' ({version[1:]})")
    old = parse(current(root))
    tags = release_tags(root)
    if tags and new <= tags[-1]:
        raise UserError(f"release: {new} is not greater than the last release {tags[-1].tag}")
    if new < old:
        raise UserError(f"release: {new} is lower than the current version {old}")
    if (root / CHANGELOG / f"{new.tag}.md").exists():
        raise UserError(f"{root / CHANGELOG / (new.tag + '.md')}: entry already exists")
    base = base or (tags[-1].tag if tags else None)
    released = released or datetime.now(UTC).date()

    base_side = (
        bundle_at_revision(root, base)
        if base
        else Side("no earlier release", {"comparisons": {}}, ())
    )
    head_side = load_side(str(root), root)
    head_bundle = {**head_side.bundle, "version": str(new)}
    head_side = Side(f"{new.tag} (working tree)", head_bundle, head_side.studies)
    diff = compare(base_side, head_side)

    warnings = []
    previous = tags[-1] if tags else None
    if previous is not None:
        needed, given = suggested_bump(diff), _bump_kind(previous, new)
        if _RANK[given] < _RANK[needed]:
            warnings.append(
                f"the changes since {previous.tag} call for a {needed} release "
                f"(semantic versioning of the evidence), but {previous} -> {new} is a {given} bump"
            )

    title = f"# {new.tag} ({released.isoformat()})"
    intro = f"Changes since {base}." if base else "First release: every trial and result is new."
    entry = f"{title}\n\n{intro}\n\n{whats_new(diff)}\n\n{diff.to_markdown(level=2)}"

    files: dict[Path, str] = {}
    py = root / "pyproject.toml"
    files[py] = _pyproject(py.read_text(encoding="utf-8"), str(new), py)
    cff = root / "CITATION.cff"
    text = cff.read_text(encoding="utf-8")
    text = _set_line(text, r"^version:.*$", f"version: {new}", cff)
    text = _set_line(text, r"^date-released:.*$", f'date-released: "{released}"', cff)
    files[cff] = text
    zen = root / ".zenodo.json"
    meta = json.loads(zen.read_text(encoding="utf-8"))
    meta["version"] = str(new)
    meta["publication_date"] = released.isoformat()
    files[zen] = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    files[root / CHANGELOG / f"{new.tag}.md"] = entry
    from analysis.publish.feed import release_record_json  # the machine-readable entry

    files[root / CHANGELOG / f"{new.tag}.json"] = release_record_json(
        diff, str(new), released.isoformat(), base
    )
    return Plan(str(new), str(old), base, released.isoformat(), files, entry, tuple(warnings))


def apply(p: Plan) -> None:
    """Write the planned files (each atomically: a temporary file, then a rename)."""
    for path, text in p.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", metavar="X.Y.Z", help="the new version")
    parser.add_argument("--base", help="compare with this revision (default: the last release tag)")
    parser.add_argument(
        "--date", type=date.fromisoformat, help="release date YYYY-MM-DD (default: today, UTC)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change; write nothing"
    )
    parser.add_argument(
        "--integrity-offline",
        type=Path,
        metavar="DIR",
        help="check retractions against recorded Crossref responses in DIR (default: live)",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from analysis.surveil.integrity import check_release  # the retraction check

    check_release(Path(args.root) / "data", args.integrity_offline)
    p = plan(args.root, args.version, base=args.base, released=args.date)
    for w in p.warnings:
        print(f"warning: {w}", file=sys.stderr)
    root = Path(args.root).resolve()
    paths = " ".join(str(path.relative_to(root)) for path in p.files)
    if args.dry_run:
        print(f"dry run: {p.previous} -> {p.version}, would write {paths}\n")
        print(p.entry, end="")
        return 0
    apply(p)
    print(f"{p.previous} -> {p.version}: wrote {paths}")
    print(
        "next: review the changelog entry, then\n"
        f"  git commit -m 'Release v{p.version}' -- {paths}\n"
        f"  git tag -a v{p.version} -m 'v{p.version}' && git push origin main v{p.version}"
    )
    return 0
