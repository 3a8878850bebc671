"""``meta FILE.csv --glmm MODEL`` and ``--bayes [SCALE]``: the ``glmm`` and ``bayes`` objects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import meta
from analysis.stats import bayes, glmm

DATA = Path(__file__).parents[1] / "reference" / "glmm" / "edge_zero_cells.csv"
ROOT = Path(__file__).resolve().parents[2]


def _meta(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "meta", str(DATA), *args],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip


def test_cli_constants_match_the_statistics() -> None:
    assert meta.GLMM_MODELS == glmm.MODELS
    assert meta.BAYES_DEFAULT_SCALE == bayes.DEFAULT_TAU_SCALE


def test_glmm_and_bayes_objects() -> None:
    run = _meta("--measure", "OR", "--glmm", "UM.FS", "--bayes", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    g = out["glmm"]
    for key in ("model", "estimate", "ci_low", "ci_high", "tau2", "p", "note"):
        assert key in g
    ref = json.loads((DATA.parent / "edge_zero_cells.glmm.json").read_text())["UM.FS"]["tight"]
    assert g["model"] == "UM.FS" and abs(g["estimate"] - ref["estimate"]) < 1e-5 * ref["estimate"]
    assert "left out" in g["note"]
    b = out["bayes"]
    for key in ("prior", "estimate", "ci_low", "ci_high", "tau", "tau_ci_low", "tau_ci_high",
                "pi_low", "pi_high", "p_benefit", "note"):  # fmt: skip
        assert key in b
    assert b["ci_low"] < b["estimate"] < b["ci_high"] and "0.5" in b["prior"]
    assert "mu" not in b  # the analysis scale stays inside


def test_bayes_scale_and_text() -> None:
    run = _meta("--bayes", "1.0", "--glmm", "CM.EL", "--measure", "OR")
    assert run.returncode == 0, run.stderr
    assert "scale 1," in run.stdout and "GLMM (CM.EL" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--glmm", "UM.FS"), "--measure OR"), (("--bayes", "0"), "above 0")],
)
def test_bad_requests_are_one_line(args: tuple[str, ...], message: str) -> None:
    run = _meta(*args, "--json")
    assert run.returncode == 2 and run.stdout == ""
    assert message in run.stderr and "Traceback" not in run.stderr
