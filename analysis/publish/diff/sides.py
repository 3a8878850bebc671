"""The two sides of a results diff: a ``results.json``, a working tree or a git revision
(its ``data/`` analysed with the current code, so that only the data differ)."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

from analysis.errors import UserError
from analysis.evidence.changed import resolve
from analysis.publish.diff.compare import Side, read_studies
from analysis.publish.diff.datafiles import read_folder


def _run_git(repo: Path, *args: str, binary: bool = False) -> bytes | str:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True)
    except FileNotFoundError as exc:
        raise UserError("git is needed to compare revisions") from exc
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(f"git {' '.join(args)}: {msg[-1] if msg else 'failed'}") from exc
    return proc.stdout if binary else proc.stdout.decode().strip()


def _compute(root: Path) -> dict:
    """Results bundle of the project at ``root`` (its ``data/``) with the current code."""
    from analysis.report.results_bundle import compute

    return compute(root)


def _uncommitted(root: Path) -> bool:
    """Whether ``data/`` of the working tree at ``root`` differs from its HEAD commit."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "data"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return False
    return proc.returncode == 0 and bool(proc.stdout.strip())


def _text(path: Path) -> str | None:
    return path.read_bytes().decode("utf-8", "replace") if path.is_file() else None


def _side(label: str, root: Path, bundle: Mapping) -> Side:
    data = root / "data"
    return Side(
        label,
        bundle,
        _studies_file(root),
        _text(data / "datapackage.json"),
        _text(data / "references.bib"),
        read_folder(data),
    )


def _studies_file(root: Path) -> tuple[dict[str, str], ...] | None:
    path = root / "data" / "studies.csv"
    if not path.is_file():
        return None
    return read_studies(path.read_text(encoding="utf-8"), str(path))


def bundle_at_revision(repo: Path, rev: str) -> Side:
    """Analyse the ``data/`` of git revision ``rev`` of ``repo`` with the current code."""
    sha = resolve(repo, rev)
    files = str(_run_git(repo, "ls-tree", "--name-only", sha, "--", "data", "pyproject.toml"))
    with tempfile.TemporaryDirectory(prefix="ivig-diff-") as tmp:
        root = Path(tmp)
        names = files.split()
        if names:
            tar = _run_git(repo, "archive", "--format=tar", sha, "--", *names, binary=True)
            with tarfile.open(fileobj=io.BytesIO(tar)) as tf:  # type: ignore[arg-type]
                # the "data" filter (Python >= 3.11.4) refuses links and paths out of root
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(root, filter="data")  # our own repository's archive
                else:
                    tf.extractall(root)
        studies = _studies_file(root)
        package = _text(root / "data" / "datapackage.json")
        bibliography = _text(root / "data" / "references.bib")
        data_files = read_folder(root / "data")
        if package is not None:
            # analysed with the current code, so under the current rules: an older
            # descriptor (before a rule was added) must not make the base unreadable
            from analysis.evidence.validate import RULES

            (root / "data" / "datapackage.json").write_bytes(RULES.read_bytes())
        if studies is None:  # before the register existed: no trial, nothing to analyse
            bundle: dict = {"comparisons": {}}
            studies = ()
        else:
            try:
                bundle = dict(_compute(root))
            except UserError as exc:
                raise UserError(f"cannot analyse the data of {rev}: {exc}") from exc
    epoch = str(_run_git(repo, "log", "-1", "--format=%ct", sha))
    from analysis.report.version import iso_utc

    version = "unknown"
    if "pyproject.toml" in names:
        version = _version_from_text(str(_run_git(repo, "show", f"{sha}:pyproject.toml")))
    bundle.update({"version": version, "commit": sha, "generated": iso_utc(int(epoch))})
    return Side(rev, bundle, studies, package, bibliography, data_files)


def _version_from_text(pyproject: str) -> str:
    import tomllib

    try:
        return str(tomllib.loads(pyproject)["project"]["version"])
    except (tomllib.TOMLDecodeError, KeyError):
        return "unknown"


def here() -> Path:
    """The git repository of the working directory (a contributor's clone), else the
    project's own checkout."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        proc = None
    if proc is not None and proc.returncode == 0 and proc.stdout.strip():
        return Path(proc.stdout.strip())
    from analysis.report.version import ROOT

    return ROOT


def load_side(spec: str, repo: Path | None = None) -> Side:
    """Resolve BASE or HEAD: a results.json file, a project directory, or a git revision."""
    repo = Path(repo) if repo is not None else here()
    path = Path(spec)
    if spec.endswith(".json") or path.is_file():
        if not path.is_file():
            raise UserError(f"{spec}: no such results file")
        try:
            bundle = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UserError(f"{spec}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(bundle, dict) or "comparisons" not in bundle:
            raise UserError(f"{spec}:1:1: not a results bundle (no 'comparisons' key)")
        beside = path.parent / "data" / "studies.csv"
        studies = (
            read_studies(beside.read_text(encoding="utf-8"), str(beside))
            if beside.is_file()
            else None
        )
        return Side(spec, bundle, studies)
    if path.is_dir():
        root = path.resolve()
        bundle = dict(_compute(root))
        if _uncommitted(root):
            bundle["uncommitted"] = True
        return _side(spec, root, bundle)
    return bundle_at_revision(repo, spec)
