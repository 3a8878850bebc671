"""``python -m analysis assemble``: merge a built site into the published, versioned tree.

The published tree (what GitHub Pages serves) looks like::

    index.html, chapters/, ...    the latest build of main ("latest")
    v0.1.0/                        each release, at its permanent address, never changed again
    v0.2.0/
    versions.json                  what the site's version menu reads

``--version X.Y.Z`` copies the site into ``vX.Y.Z/``. An existing version
directory is never overwritten: assembling the same bytes again is a no-op,
different bytes are refused. ``--latest`` replaces the root's content (everything
except the version directories) with the site. Either way ``versions.json`` is
rewritten from what is on disk, newest release first::

    {
      "latest": {"version": "0.2.0", "commit": "...", "generated": "...", "path": "./"},
      "versions": [
        {"version": "0.2.0", "path": "v0.2.0/", "commit": "...", "generated": "..."},
        {"version": "0.1.0", "path": "v0.1.0/", "commit": "...", "generated": "..."}
      ]
    }

Paths are relative to ``versions.json`` itself (the site may be served below a
project path such as ``/REPO/``), so a menu resolves them with
``new URL(path, versionsJsonUrl)``; each entry also has an absolute ``url``
(the site's address, from ``CITATION.cff``'s ``url`` or ``--base-url``, plus
the path), which a page can use from anywhere. ``commit`` and ``generated``
come from each tree's ``results.json`` when it has one.

Only the standard library is used, so the publishing job runs it without
installing the analysis dependencies.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import shutil
from pathlib import Path

from analysis.errors import UserError
from analysis.report.version import ROOT, parse

HELP = (
    "Merge a built site into the published tree at vX.Y.Z/ and/or as latest; update versions.json."
)

__all__ = ["MANIFEST", "assemble", "manifest", "same_tree", "site_url"]

MANIFEST = "versions.json"
_VERSION_DIR = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
#: root entries that --latest never removes
_KEEP = {MANIFEST, ".git", ".nojekyll"}


def same_tree(a: Path, b: Path) -> bool:
    """True when two directory trees hold the same file names with the same bytes."""
    cmp = filecmp.dircmp(a, b, ignore=[])
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(a / d, b / d) for d in cmp.common_dirs)


def _stamp(tree: Path) -> dict:
    path = tree / "results.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
    return {k: data[k] for k in ("version", "released", "commit", "generated") if k in data}


def site_url(root: Path | None = None) -> str | None:
    """The published site's address: the ``url`` of ``CITATION.cff`` (None if absent)."""
    path = (Path(root) if root is not None else ROOT) / "CITATION.cff"
    if not path.is_file():
        return None
    m = re.search(r"""(?m)^url:\s*["']?([^"'\s#]+)""", path.read_text(encoding="utf-8"))
    return m.group(1).rstrip("/") + "/" if m else None


def manifest(published: Path, base_url: str | None = None) -> dict:
    """The ``versions.json`` content for a published tree, as it is on disk.

    With ``base_url`` (the site's address) each entry also gets an absolute ``url``.
    """
    releases = []
    for d in published.iterdir():
        if d.is_dir() and _VERSION_DIR.match(d.name):
            entry = {"version": d.name[1:], "path": f"{d.name}/"}
            entry.update({k: v for k, v in _stamp(d).items() if k not in ("version", "released")})
            releases.append(entry)
    releases.sort(key=lambda e: parse(e["version"]), reverse=True)
    out: dict = {"latest": None, "versions": releases}
    root_stamp = _stamp(published)
    if root_stamp or (published / "index.html").is_file():
        out["latest"] = {**root_stamp, "path": "./"}
    if base_url:
        base = base_url.rstrip("/") + "/"
        for entry in [*releases, out["latest"]]:
            if entry is not None:
                entry["url"] = base + entry["path"].removeprefix("./")
    return out


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _check_site(site: Path, version: str | None) -> None:
    if not site.is_dir():
        raise UserError(f"{site}: no built site here (run `python -m analysis build`)")
    built = _stamp(site).get("version")
    # a development build (X.Y.Z.dev0+commit) is published as X.Y.Z only by the test suite's
    # stand-in for the publishing workflow; what it compares is the planned number
    built = None if built is None else str(built).split(".dev", 1)[0]
    if version is not None and built is not None and built != version:
        raise UserError(
            f"{site / 'results.json'}: version is {built}, not {version} "
            "(tag and pyproject.toml disagree?)"
        )


def _publish_version(published: Path, site: Path, version: str) -> str:
    dest = published / f"v{version}"
    if dest.exists():
        if same_tree(site, dest):
            return f"v{version}/ already published with the same content; left as it is"
        raise UserError(
            f"{dest}: version {version} is already published with different content; "
            "a released version is never changed (release a new patch version instead)"
        )
    partial = published / f".v{version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(site, partial)
    os.replace(partial, dest)
    return f"published v{version}/"


def _publish_latest(published: Path, site: Path) -> str:
    partial = published / ".latest.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(site, partial)
    for entry in published.iterdir():
        if entry.name in _KEEP or entry == partial or _VERSION_DIR.match(entry.name):
            continue
        if entry.name.startswith(".") and entry.name.endswith(".partial"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in partial.iterdir():
        if _VERSION_DIR.match(entry.name):
            raise UserError(
                f"{site / entry.name}: a built site must not contain a version directory"
            )
        os.replace(entry, published / entry.name)
    partial.rmdir()
    return "refreshed latest at the root"


def assemble(
    published: Path,
    site: Path,
    version: str | None = None,
    latest: bool = False,
    base_url: str | None = None,
) -> dict:
    """Merge ``site`` into ``published`` and rewrite ``versions.json``; returns the manifest.

    Parameters
    ----------
    published : Path
        The published tree (created if missing).
    site : Path
        The freshly built site (``_site``).
    version : str, optional
        Publish the site at ``vX.Y.Z/`` (refused if that version exists with other bytes).
    latest : bool
        Replace the root's content (all but the version directories) with the site.
    base_url : str, optional
        The site's address, for absolute ``url`` fields in ``versions.json``.
    """
    if version is None and not latest:
        raise UserError("nothing to do: give --version X.Y.Z, --latest, or both")
    if version is not None:
        try:
            version = str(parse(version))
        except ValueError as exc:
            raise UserError(f"--version: {exc}") from exc
    _check_site(site, version)
    published.mkdir(parents=True, exist_ok=True)
    if site.resolve() == published.resolve():
        raise UserError(f"{site}: the site and the published tree must be different directories")
    if version is not None:
        _publish_version(published, site, version)
    if latest:
        _publish_latest(published, site)
    (published / ".nojekyll").touch()
    return write_manifest(published, base_url)


def write_manifest(published: Path, base_url: str | None = None) -> dict:
    """Write ``published/versions.json`` from what the tree holds; returns the manifest.

    The build calls it on a fresh site (one entry: itself), so a site served as it is
    (``preview``) has the file its version menu fetches; :func:`assemble` rewrites it.
    """
    data = manifest(published, base_url)
    _write_atomic(published / MANIFEST, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--published", type=Path, required=True, help="the published tree")
    parser.add_argument("--site", type=Path, default=Path("_site"), help="the built site")
    parser.add_argument("--version", help="publish the site as release X.Y.Z at vX.Y.Z/")
    parser.add_argument("--latest", action="store_true", help="publish the site at the root")
    parser.add_argument(
        "--base-url",
        help="the site's address, for absolute urls in versions.json "
        "(default: the url in CITATION.cff)",
    )


def run(args: argparse.Namespace) -> int:
    base_url = args.base_url if args.base_url is not None else site_url()
    data = assemble(args.published, args.site, args.version, args.latest, base_url or None)
    shown = ", ".join(v["version"] for v in data["versions"]) or "none"
    latest = (data["latest"] or {}).get("version", "none")
    print(f"{args.published}: latest {latest}; releases {shown}")
    return 0
