"""``validate --changed [BASE]``: the warnings of the rows a branch changed, not everyone's.

The rows of ``studies.csv`` added or changed since BASE (default: where the branch left
``main``, the merge base of HEAD with ``main`` or ``origin/main``) are found by their
``study_id`` and compared cell by cell with BASE's copy of the file (``git show``). The
report keeps

* every error, wherever it is (an error fails the check, whoever made it);
* the warnings on those rows, and the warnings about the whole file when the file changed;
* the warnings of another file (``references.bib``, ``certainty.csv``, ...) when that
  file changed.

The other warnings are counted, not shown (``validate`` without ``--changed`` lists them).
"""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import UserError
from analysis.evidence.csvfile import Problem

__all__ = ["MAIN_BRANCHES", "Changed", "changed_rows", "filter_problems", "merge_base"]

#: the branches a contributor's work is compared with when no BASE is given, in order
MAIN_BRANCHES = ("main", "origin/main")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise UserError("git is needed to compare with a revision") from exc


def toplevel(path: Path) -> Path:
    """The git repository holding ``path`` (one line when there is none)."""
    folder = path if path.is_dir() else path.parent
    proc = _git(folder, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise UserError(f"{folder}: not in a git repository, so nothing to compare with")
    return Path(proc.stdout.decode().strip())


def merge_base(repo: Path) -> str:
    """Where the current branch left ``main`` (or ``origin/main``): its merge base."""
    return merge_base_with(repo)[1]


def merge_base_with(repo: Path) -> tuple[str, str]:
    """The branch (``main`` or ``origin/main``) and the commit where HEAD left it."""
    for branch in MAIN_BRANCHES:
        proc = _git(repo, "merge-base", "HEAD", branch)
        if proc.returncode == 0 and proc.stdout.strip():
            return branch, proc.stdout.decode().strip()
    raise UserError(
        "no branch main or origin/main to compare with: name BASE"
        " (a revision, a tag, a results.json or a directory)"
    )


def resolve(repo: Path, rev: str) -> str:
    """The commit of revision or tag ``rev``; a missing one is one line, not git's error."""
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UserError(
            f"no revision or tag {rev!r} (git tag lists the tags, git branch -a the branches)"
        )
    return proc.stdout.decode().strip()


def file_at(repo: Path, sha: str, path: Path) -> bytes | None:
    """``path`` (inside ``repo``) as it was at commit ``sha``; None if it did not exist."""
    rel = path.resolve().relative_to(repo.resolve()).as_posix()
    proc = _git(repo, "show", f"{sha}:{rel}")
    return proc.stdout if proc.returncode == 0 else None


def _rows(raw: bytes) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row, cells by column) of a CSV's bytes, read leniently."""
    text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    out: list[tuple[int, dict[str, str]]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None:
            return out
        for i, cells in enumerate(reader, start=2):
            out.append((i, dict(zip(header, cells, strict=False))))
    except csv.Error:
        pass
    return out


def changed_rows(current: bytes, base: bytes | None) -> set[int]:
    """Spreadsheet rows of ``current`` that are new or differ from BASE's row with the same
    ``study_id`` (line endings inside values aside)."""

    def norm(row: dict[str, str]) -> dict[str, str]:
        return {k: v.replace("\r\n", "\n").replace("\r", "\n") for k, v in row.items()}

    old = {r.get("study_id", ""): norm(r) for _, r in _rows(base)} if base is not None else {}
    return {
        i
        for i, r in _rows(current)
        if any(v.strip() for v in r.values()) and old.get(r.get("study_id", "")) != norm(r)
    }


@dataclass(frozen=True)
class Changed:
    """The report of ``--changed``: problems kept and how many warnings were left out."""

    base: str
    rows: frozenset[int]
    problems: tuple[Problem, ...]
    hidden: int


def filter_problems(
    problems: tuple[Problem, ...],
    table: Path,
    table_name: str,
    others: dict[str, Path],
    base_rev: str | None,
) -> Changed:
    """Keep the errors, and the warnings of what changed since ``base_rev`` (see the module)."""
    repo = toplevel(table)
    sha = resolve(repo, base_rev) if base_rev else merge_base(repo)
    current = table.read_bytes() if table.is_file() else b""
    before = file_at(repo, sha, table)
    rows = changed_rows(current, before)
    table_changed = before != current
    changed_files = {
        name
        for name, path in others.items()
        if path.is_file() and file_at(repo, sha, path) != path.read_bytes()
    }
    kept: list[Problem] = []
    hidden = 0
    for p in problems:
        if p.severity == "error":
            keep = True
        elif p.file == table_name:
            keep = (p.row or 0) in rows or (table_changed and (p.row is None or p.row == 1))
        else:
            keep = p.file in changed_files
        if keep:
            kept.append(p)
        else:
            hidden += 1
    return Changed(sha, frozenset(rows), tuple(kept), hidden)
