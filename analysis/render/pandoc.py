"""Calling the pandoc that ``pypandoc_binary`` ships."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

__all__ = ["PandocError", "pandoc", "pandoc_path", "CALLOUTS"]

#: Lua filter for Quarto-style callouts.
CALLOUTS = Path(__file__).with_name("callouts.lua")
#: keyboard-reachable scrolling regions for tables (HTML), ragged-right cells (Typst)
TABLES = Path(__file__).with_name("tables.lua")
#: the reference list keeps text and http(s)/DOI links only (after citeproc; issue 25)
REFERENCES = Path(__file__).with_name("references.lua")

_CITE_MISSING = re.compile(r"Citeproc: citation (\S+) not found")


class PandocError(Exception):
    """pandoc failed, or cited a key the bibliography lacks."""


@functools.cache
def pandoc_path() -> str:
    """Path of the pandoc executable bundled with ``pypandoc_binary``."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc(
    markdown: str,
    to: str,
    *,
    args: tuple[str, ...] = (),
    cwd: Path | None = None,
    where: str = "pandoc",
    bibliography: tuple[Path, ...] = (),
    csl: Path | None = None,
    fr: str = "markdown",
) -> str:
    """Convert pandoc Markdown to ``to`` and return the output text.

    With ``bibliography`` (one or more files, as Quarto's ``bibliography:`` list),
    citations are resolved by citeproc; a citation whose key is in none of them is an
    error naming ``where`` and the key.

    Raises
    ------
    PandocError
        If pandoc exits non-zero or a citation is not found.
    """
    cmd = [
        pandoc_path(),
        f"--from={fr}",
        f"--to={to}",
        "--wrap=none",
        "--syntax-highlighting=none",
        f"--lua-filter={CALLOUTS}",
        f"--lua-filter={TABLES}",
        *args,
    ]
    if bibliography:
        cmd += ["--citeproc", *(f"--bibliography={b}" for b in bibliography)]
        cmd.append("--metadata=link-citations:true")
        if csl is not None:
            cmd.append(f"--csl={csl}")
        cmd.append(f"--lua-filter={REFERENCES}")  # after --citeproc: filters run in order
    proc = subprocess.run(cmd, input=markdown.encode("utf-8"), capture_output=True, cwd=cwd)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise PandocError(f"{where}: pandoc failed: {err.strip()}")
    missing = _CITE_MISSING.findall(err)
    if missing:
        keys = ", ".join(sorted(set(missing)))
        raise PandocError(f"{where}: citation key(s) not in the bibliography: {keys}")
    return proc.stdout.decode("utf-8")
