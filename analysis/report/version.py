"""The project's version: one source, read everywhere.

The single source is ``[project] version`` in ``pyproject.toml``. It versions the
*evidence*, following semantic versioning (https://semver.org): the major number
changes when a conclusion changes, the minor number when trials are added, the
patch number for corrections. ``CITATION.cff``, ``.zenodo.json``, the results
bundle, the site footer and the PDF title page all take it from here;
``python -m analysis release X.Y.Z`` is the one way to change it.

:func:`stamp` adds the commit and a date to the version. The date is the
commit's date (or ``SOURCE_DATE_EPOCH`` when set), never the wall clock, so two
builds of the same commit produce the same bundle.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from analysis.errors import UserError

__all__ = [
    "ROOT",
    "SEMVER",
    "Release",
    "Version",
    "build_version",
    "current",
    "latest_release",
    "parse",
    "release_at_head",
    "stamp",
]

#: The repository root when the package runs from a checkout.
ROOT = Path(__file__).resolve().parents[2]

#: Semantic version without pre-release or build parts: MAJOR.MINOR.PATCH, no leading zeros.
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

#: Distribution name in pyproject.toml, used when the package is installed without its source.
DISTRIBUTION = "ivig-living-review"


class Version(NamedTuple):
    """A release number ``major.minor.patch``, ordered numerically."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def tag(self) -> str:
        """The git tag of the release, ``vX.Y.Z``."""
        return f"v{self}"


def parse(text: str) -> Version:
    """Parse ``X.Y.Z`` (an optional leading ``v`` is accepted) into a :class:`Version`.

    Raises
    ------
    ValueError
        If ``text`` is not a semantic version ``MAJOR.MINOR.PATCH``.
    """
    raw = text[1:] if text.startswith("v") else text
    m = SEMVER.match(raw)
    if m is None:
        raise ValueError(f"not a semantic version MAJOR.MINOR.PATCH: {text!r}")
    return Version(*(int(g) for g in m.groups()))


def _root(root: Path | None) -> Path:
    return Path(root).resolve() if root is not None else ROOT


def current(root: Path | None = None) -> str:
    """The project's version, from ``[project] version`` in ``root/pyproject.toml``.

    Without a ``pyproject.toml`` (an installed package, no source tree) the
    installed distribution's metadata is used.
    """
    path = _root(root) / "pyproject.toml"
    if path.is_file():
        with path.open("rb") as fh:
            version = tomllib.load(fh)["project"]["version"]
        parse(version)  # refuse a malformed single source early
        return version
    from importlib.metadata import version as dist_version

    return dist_version(DISTRIBUTION)


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "GIT_CEILING_DIRECTORIES": str(root.parent)},
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def _is_repo_root(root: Path) -> bool:
    top = _git(root, "rev-parse", "--show-toplevel")
    return top is not None and Path(top).resolve() == root


def iso_utc(epoch: int) -> str:
    """Seconds since the epoch as ISO 8601 in UTC, e.g. ``2026-11-25T04:33:00Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(root: Path | None = None) -> dict[str, str]:
    """The version, commit and date that a build writes into its outputs.

    Returns
    -------
    dict
        ``version`` (:func:`build_version`: ``X.Y.Z`` for a release, ``X.Y.Z.dev0+<commit>``
        otherwise), ``release`` (the planned number, :func:`current`), ``released``
        (``"true"`` when the tag of that number points at the commit, else ``"false"``),
        ``commit`` (``git rev-parse HEAD`` of the
        repository whose root is ``root``, or ``"unknown"`` outside git) and
        ``generated``: ``SOURCE_DATE_EPOCH`` if set, else the commit's committer
        date, as ISO 8601 UTC (``"unknown"`` outside git without
        ``SOURCE_DATE_EPOCH``). Never the wall clock: the same commit gives the
        same stamp (https://reproducible-builds.org/specs/source-date-epoch/).
    """
    r = _root(root)
    in_git = _is_repo_root(r)
    commit = (_git(r, "rev-parse", "HEAD") if in_git else None) or "unknown"
    planned = current(r)
    released = release_at_head(r) is not None
    source_date = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if source_date:
        if not source_date.isascii() or not source_date.isdigit() or len(source_date) > 12:
            raise UserError(
                "SOURCE_DATE_EPOCH must be a number of seconds since 1970-01-01 UTC"
                f" (digits only, e.g. 1764045180), not {source_date[:40]!r}"
            )
        generated = iso_utc(int(source_date))
    else:
        epoch = _git(r, "log", "-1", "--format=%ct", "HEAD") if in_git else None
        generated = iso_utc(int(epoch)) if epoch else "unknown"
    return {
        "version": build_version(planned, commit, released=released),
        "release": planned,
        "released": "true" if released else "false",
        "commit": commit,
        "generated": generated,
    }


def build_version(planned: str, commit: str, *, released: bool) -> str:
    """The version a build carries: ``X.Y.Z`` for a release (its tag points at the commit),
    else the development version of the planned release, ``X.Y.Z.dev0+<commit>`` (PEP 440:
    a development release before X.Y.Z, with the commit as its local label), so that no
    file of an unreleased build can be taken for the release."""
    if released:
        return planned
    label = commit[:12] if re.fullmatch(r"[0-9a-f]{7,40}", commit or "") else ""
    return f"{planned}.dev0" + (f"+{label}" if label else "")


def is_release_version(text: str) -> bool:
    """True for ``X.Y.Z`` (a release), False for a development version (``X.Y.Z.dev0+...``)."""
    return SEMVER.match(text or "") is not None


class Release(NamedTuple):
    """A released version: its number and release date (``YYYY-MM-DD``)."""

    version: str
    date: str

    @property
    def tag(self) -> str:
        return f"v{self.version}"


def _tags(root: Path, *args: str) -> list[Version]:
    out = _git(root, "tag", "--list", "v*", *args) if _is_repo_root(root) else None
    found = []
    for name in (out or "").split():
        try:
            found.append(parse(name))
        except ValueError:
            continue
    return sorted(found)


def _release_date(root: Path, v: Version) -> str:
    """The release date of tag *v*: ``date-released`` of its ``CITATION.cff``, else the tag's
    own date (the date ``python -m analysis release`` wrote is the one a citation gives)."""
    import yaml

    cff = _git(root, "show", f"{v.tag}:CITATION.cff")
    if cff:
        try:
            released = (yaml.safe_load(cff) or {}).get("date-released")
        except yaml.YAMLError:
            released = None
        if released:
            return str(released)[:10]
    made = _git(root, "for-each-ref", "--format=%(creatordate:short)", f"refs/tags/{v.tag}")
    return (made or "")[:10] or "unknown"


def release_at_head(root: Path | None = None) -> Release | None:
    """The release this checkout is, or None for a development build.

    A build is a release only when the tag ``vX.Y.Z`` of the version in
    ``pyproject.toml`` points at ``HEAD``; a version number alone is a plan, not a
    release (the version is set before the tag is made). Outside git: None.
    """
    r = _root(root)
    v = parse(current(r))
    if v not in _tags(r, "--points-at", "HEAD"):
        return None
    return Release(str(v), _release_date(r, v))


def latest_release(root: Path | None = None) -> Release | None:
    """The newest release tag reachable from ``HEAD``, or None when nothing is released."""
    r = _root(root)
    tags = _tags(r, "--merged", "HEAD")
    if not tags:
        return None
    return Release(str(tags[-1]), _release_date(r, tags[-1]))
