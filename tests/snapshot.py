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
                                 copied (.git and tests linked), ``data/`` the snapshot
bibliography() -> (entries, problems)   the publication's bibliography on the snapshot
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
    {"data", "_site", ".venv", ".quarto", ".pytest_cache", ".hypothesis", ".ruff_cache"}
)
#: entries linked rather than copied: large, and never read as the project's files
_LINK = frozenset({".git", "tests", "bench", "node_modules", ".quarto-cli"})


def copy_snapshot(dest: Path) -> Path:
    """Copy the snapshot's data files (not its README) into *dest*; return *dest*."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy(SNAPSHOT / name, dest / name)
    return dest


def project(dest: Path) -> Path:
    """A project root at *dest* whose ``data/`` is a copy of the snapshot.

    Every other top-level file and folder of the repository (``pyproject.toml``,
    ``review-metadata.yml``, ``chapters/``, ``changelog/`` ...) is copied (the project
    refuses data files that are symbolic links); ``.git`` and the folders never read as
    the project's files (:data:`_LINK`) are linked, so the chapters' API, the version stamp
    and the build see the project as it is, on frozen data.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in _SKIP or entry.name.startswith("_site"):
            continue
        target = dest / entry.name
        if target.exists() or target.is_symlink():
            continue
        if entry.name in _LINK:
            os.symlink(entry, target)
        elif entry.is_dir():
            shutil.copytree(entry, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(entry, target)
    copy_snapshot(dest / "data")
    return dest


def bibliography() -> tuple[list, list]:
    """The publication's bibliography on the snapshot, parsed: the snapshot's
    ``references.bib`` (the trials) and the code's ``analysis/report/methods.bib``, as
    ``(entries, problems)`` of :func:`analysis.evidence.bibtex.parse`."""
    from analysis.evidence import bibtex

    entries: list = []
    problems: list = []
    for path in (SNAPSHOT / "references.bib", bibtex.METHODS_BIB):
        more, bad = bibtex.parse(path.read_text(encoding="utf-8"))
        entries += more
        problems += bad
    return entries, problems
