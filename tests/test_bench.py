"""The engine benchmark's quick mode (CI): it runs the real pipeline on a simulated
k = 200 set and writes its result file. No timing is asserted (speed goals live in
``bench/`` and are reported, not tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.meta_bench import simulate

ROOT = Path(__file__).resolve().parents[1]


def test_simulation_is_deterministic_and_valid():
    text = simulate(200)
    assert text == simulate(200)
    rows = text.splitlines()
    assert rows[0].split(",")[-1] == "subgroup" and len(rows) == 201
    for row in rows[1:]:
        _, _, a, n1, c, n2, _ = row.split(",")
        assert 0 <= int(a) <= int(n1) and 0 <= int(c) <= int(n2)


@pytest.mark.bench
def test_quick_mode_writes_result(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "meta_quick.json").read_text(encoding="utf-8"))
    assert result["mode"] == "quick"
    entry = result["sizes"]["200"]
    assert entry["k"] == 200 and entry["studies_analysed"] == 200
    assert entry["ours_seconds"] > 0 and entry["r_seconds"] is None


def test_missing_r_is_reported_not_installed(monkeypatch, capsys, tmp_path):
    from bench import meta_bench

    monkeypatch.setattr(meta_bench.shutil, "which", lambda name: None)
    assert meta_bench.run_r(tmp_path / "x.csv", 1) is None
    err = capsys.readouterr().err
    assert "Rscript not found" in err and "r-cran-metafor" in err
