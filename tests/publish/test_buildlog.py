"""Quiet builds (issue 24): a renderer's output goes to a log file, the terminal gets one
progress line per step, and the log is printed when the renderer fails."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.publish.buildlog import log_path, run_logged

NOISY = r"""
import sys
print("title: Fixture\nformat:\n  html: {}\n  typst: {}")  # Quarto's YAML dump
for i, name in enumerate(["index.qmd", "chapters/placebo.qmd"], 1):
    print(f"[{i:2d}/2] {name}")
    print("pandoc\n  to: html\n  standalone: true", file=sys.stderr)
print("WARN: typst-gather: no packages to gather", file=sys.stderr)
print("Output created: _book/index.html")
sys.exit(int(sys.argv[1]))
"""


def _run(tmp_path: Path, status: int):
    script = tmp_path / "fake_quarto.py"
    script.write_text(NOISY)
    steps: list[str] = []
    shown = io.StringIO()
    log = tmp_path / "_site.build.log"
    run_logged(
        [sys.executable, str(script), str(status)],
        log=log,
        progress=steps.append,
        what="quarto render",
        stream=shown,
    )
    return steps, shown, log


def test_the_renderers_output_goes_to_the_log_and_steps_to_the_terminal(tmp_path):
    steps, shown, log = _run(tmp_path, 0)
    assert steps == ["quarto render: 1/2 index.qmd", "quarto render: 2/2 chapters/placebo.qmd"]
    assert shown.getvalue() == ""
    text = log.read_text()
    for line in ("title: Fixture", "typst-gather", "standalone: true", "Output created"):
        assert line in text


def test_a_failure_prints_the_log_and_names_it(tmp_path):
    with pytest.raises(UserError) as err:
        _run(tmp_path, 3)
    log = tmp_path / "_site.build.log"
    assert str(err.value) == (
        f"quarto render failed (exit 3); its full output is above and in {log}"
    )
    assert "typst-gather" in log.read_text()


def test_a_failure_prints_the_whole_log(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(
        "import sys\nprint('[1/1] x.qmd')\nprint('ERROR: bad', file=sys.stderr)\nsys.exit(1)\n"
    )
    shown = io.StringIO()
    with pytest.raises(UserError):
        run_logged(
            [sys.executable, str(script)],
            log=tmp_path / "x.log",
            progress=lambda _m: None,
            what="quarto render",
            stream=shown,
        )
    assert shown.getvalue() == "[1/1] x.qmd\nERROR: bad\n"


def test_the_log_sits_beside_the_site_and_git_ignores_it():
    assert log_path(Path("/p/_site")) == Path("/p/_site.build.log")
    root = Path(__file__).resolve().parents[2]
    assert "*.build.log" in (root / ".gitignore").read_text().splitlines()
