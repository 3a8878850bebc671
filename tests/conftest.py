"""Shared test set-up: the code tests run on the frozen data snapshot, computed once.

For the whole session ``$IVIG_ROOT`` names a project root whose ``data/`` is the frozen
snapshot (``tests/fixtures/data_snapshot/``, see ``tests/snapshot.py``): the chapters' API
(``analysis.report.chapters``) and anything else that reads the project root see frozen
data, never today's ``data/``. ``$IVIG_RESULTS`` is cleared so no stale results file leaks
in, and ``$IVIG_CHARTS_DIR`` points into the session's temporary folder, so no test writes
chart specs into the checkout's ``_site/``.

Session-scoped fixtures (computed once, shared by every module; treat them as read-only):

snapshot_root      the project root on the snapshot (a path)
snapshot_studies   its validated study rows (a pandas DataFrame; copy before changing)
snapshot_bundle    its results bundle (``results_bundle.compute``; deep-copy before changing)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests import snapshot

_SESSION_ROOT: Path | None = None
_SAVED: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    global _SESSION_ROOT
    _SESSION_ROOT = Path(tempfile.mkdtemp(prefix="ivig-snapshot-"))
    root = snapshot.project(_SESSION_ROOT / "project")
    for name in ("IVIG_ROOT", "IVIG_RESULTS", "IVIG_CHARTS_DIR"):
        _SAVED[name] = os.environ.get(name)
    os.environ["IVIG_ROOT"] = str(root)
    os.environ["IVIG_CHARTS_DIR"] = str(_SESSION_ROOT / "charts")
    os.environ.pop("IVIG_RESULTS", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _SAVED.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if _SESSION_ROOT is not None:
        shutil.rmtree(_SESSION_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def snapshot_root() -> Path:
    """The project root whose ``data/`` is the frozen snapshot (``$IVIG_ROOT``)."""
    return Path(os.environ["IVIG_ROOT"])


@pytest.fixture(scope="session")
def snapshot_studies(snapshot_root: Path):
    """The snapshot's study rows, validated once."""
    from analysis.evidence.studies import load_studies

    return load_studies(snapshot_root / "data")


@pytest.fixture(scope="session")
def snapshot_bundle(snapshot_root: Path) -> dict:
    """The snapshot's results bundle, computed once per session."""
    from analysis.report.results_bundle import compute

    return compute(snapshot_root)
