"""Quiet builds: a renderer's full output goes to a log file; the terminal gets one progress
line per step and, on failure, the log.

``quarto render`` prints a few hundred lines for this book (its YAML metadata, pandoc's
and Typst's notes, ``typst-gather`` warnings) around the one line that matters. The build
passes them through :func:`run_logged`, which keeps every byte in the log, shows the
steps Quarto announces (``[ 3/12] chapters/placebo.qmd``) as progress lines, and prints
the whole log when the command fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from analysis.errors import UserError

__all__ = ["log_path", "run_logged"]

#: Quarto's step line: ``[ 3/12] chapters/placebo.qmd`` (the file it renders next)
_STEP = re.compile(rb"^\s*\[\s*(\d+)\s*/\s*(\d+)\s*\]\s+(\S.*?)\s*$")


def log_path(dest: Path) -> Path:
    """Where the build of ``dest`` (``_site``) writes its renderer's output:
    ``_site.build.log`` beside it (git-ignored)."""
    return dest.parent / f"{dest.name}.build.log"


def run_logged(
    cmd: Sequence[str],
    *,
    log: Path,
    progress: Callable[[str], None],
    what: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stream=None,
) -> None:
    """Run ``cmd`` with its standard output and error written to ``log``; each step it
    announces becomes a progress line (``what: 3/12 chapters/placebo.qmd``).

    Raises :class:`UserError` naming the log when the command fails, after printing the
    log to ``stream`` (standard error by default).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            fh.write(line)
            m = _STEP.match(line)
            if m:
                name = m.group(3).decode("utf-8", "replace")
                progress(f"{what}: {int(m.group(1))}/{int(m.group(2))} {name}")
        status = proc.wait()
    if status != 0:
        out = stream if stream is not None else sys.stderr
        print(log.read_bytes().decode("utf-8", "replace").rstrip(), file=out, flush=True)
        raise UserError(f"{what} failed (exit {status}); its full output is above and in {log}")
