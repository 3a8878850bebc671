"""The package type-checks: ``mypy`` (configured in pyproject.toml ``[tool.mypy]``) finds no error.

Run as CI would, from the repository root, so the configuration (files, overrides for
untyped libraries, ``warn_unused_ignores``) is the one in pyproject.toml.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_finds_no_error_in_the_package():
    run = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"mypy exited {run.returncode}:\n{run.stdout}{run.stderr}"
