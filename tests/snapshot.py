"""The frozen copy of ``data/`` that the code tests run on.

Code tests never assert today's ``data/``: a pull request that adds evidence must keep CI
green. They read :data:`SNAPSHOT` (``tests/fixtures/data_snapshot/``, see its README), a copy
of ``data/`` frozen on purpose, or data they construct. Only the tests of ``data/`` itself
(``test_data.py``) read ``data/``, and they state rules, never numbers or lists.

Public API
----------
ROOT : pathlib.Path       the repository root
DATA : pathlib.Path       the live ``data/`` (for tests of its rules only)
SNAPSHOT : pathlib.Path   the frozen copy
FILES : tuple[str, ...]   the data files of the snapshot (its README excluded)
copy_snapshot(dest) -> Path      the snapshot's data files copied into *dest* (created)
project(dest) -> Path            a project root at *dest*: the repository's top-level entries
                                 linked, ``data/`` a copy of the snapshot
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SNAPSHOT = ROOT / "tests" / "fixtures" / "data_snapshot"
FILES = tuple(sorted(p.name for p in SNAPSHOT.iterdir() if p.name != "README.md"))

#: top-level entries a project copy never needs (build output, environments, caches)
_SKIP = frozenset(
    {"data", "_site", ".venv", "node_modules", ".quarto", ".pytest_cache", ".hypothesis"}
)


def copy_snapshot(dest: Path) -> Path:
    """Copy the snapshot's data files (not its README) into *dest*; return *dest*."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy(SNAPSHOT / name, dest / name)
    return dest


def project(dest: Path) -> Path:
    """A project root at *dest* whose ``data/`` is a copy of the snapshot.

    Every other top-level file of the repository (``pyproject.toml``,
    ``review-metadata.yml`` ...) is copied and every folder (``chapters/``, ``changelog/``,
    ``.git`` ...) is a symbolic link to the checkout's, so the chapters'
    API, the version stamp and the build see the project as it is, on frozen data.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in _SKIP or entry.name.startswith("_site"):
            continue
        link = dest / entry.name
        if link.exists():
            continue
        if entry.is_file() and not entry.is_symlink():
            shutil.copy(entry, link)  # a file the loaders read (data files are never links)
        else:
            os.symlink(entry, link)
    copy_snapshot(dest / "data")
    return dest
