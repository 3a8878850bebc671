"""The dependency list tells the truth: what ``analysis`` imports is declared, and what is
declared is imported (or named here with the reason it is not).

The same check as deptry's DEP001/DEP002/DEP004, over the AST of every module (imports
inside functions included), with the import-to-distribution map of the installed packages
(``importlib.metadata.packages_distributions``).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: declared runtime dependencies that no module imports, and why they are needed
NOT_IMPORTED = {
    "ipykernel": "the Jupyter kernel that the renderer (and Quarto) starts for each chapter",
}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> tuple[set[str], set[str]]:
    """(what the package may import: the runtime and the ``site`` extra, the dev tools)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    runtime |= _site()
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    return runtime, dev


def _site() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_name(r) for r in project["optional-dependencies"]["site"]}


def _core() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_name(r) for r in project["dependencies"]}


def _locked(name: str) -> set[str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {
        m.group(1).lower().replace("_", "-") for m in re.finditer(r"(?m)^([A-Za-z0-9_.-]+)==", text)
    }


def _imported(folder: Path) -> set[str]:
    """Top-level names of every third-party module imported under ``folder``."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    local = {"analysis", "tests", "bench"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def _distributions(modules: set[str]) -> dict[str, str]:
    table = metadata.packages_distributions()
    out = {}
    for module in modules:
        dists = table.get(module)
        assert dists, f"{module}: imported but no installed distribution provides it"
        out[module] = dists[0].lower().replace("_", "-")
    return out


def test_what_the_package_imports_is_a_runtime_dependency():
    runtime, _ = _declared()
    used = _distributions(_imported(ROOT / "analysis"))
    undeclared = {m: d for m, d in used.items() if d not in runtime}
    assert undeclared == {}, "imported by analysis/ but not in [project] dependencies"


def test_every_runtime_dependency_is_imported_or_explained():
    runtime, _ = _declared()
    used = set(_distributions(_imported(ROOT / "analysis")).values())
    unused = runtime - used - set(NOT_IMPORTED)
    assert unused == set(), "declared in [project] dependencies but imported nowhere"


def test_tests_and_benchmarks_import_only_declared_packages():
    runtime, dev = _declared()
    used = _distributions(_imported(ROOT / "tests") | _imported(ROOT / "bench"))
    undeclared = {m: d for m, d in used.items() if d not in runtime | dev}
    assert undeclared == {}, "imported by tests/ or bench/ but declared nowhere"


def test_the_runtime_lock_brings_no_site_toolchain():
    """``pip install`` of the package (requirements.lock) is the analysis alone; the site
    toolchain and the dev tools are pinned in requirements-dev.lock."""
    runtime, dev = _locked("requirements.lock"), _locked("requirements-dev.lock")
    assert _core() <= runtime
    assert not runtime & (_site() | {"jupyter-client", "ipykernel", "pytest", "ruff", "mypy"})
    assert _core() | _site() <= dev
    assert runtime <= dev
    pins = {}
    for name in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text(encoding="utf-8")
        for m in re.finditer(r"(?m)^([A-Za-z0-9_.-]+)==(\S+)", text):
            pins.setdefault(m.group(1).lower(), set()).add(m.group(2))
    assert {k: v for k, v in pins.items() if len(v) > 1} == {}, "the two locks disagree"


_BLOCKER = """
import importlib.abc, sys
SITE = {site!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in SITE:
            raise ModuleNotFoundError(f"No module named {{name!r}} (site toolchain blocked)")
sys.meta_path.insert(0, Block())
import runpy
sys.argv = ["analysis", *sys.argv[1:]]
runpy.run_module("analysis", run_name="__main__")
"""


def test_meta_and_validate_need_no_site_toolchain(tmp_path):
    """The ``meta`` and ``validate`` commands run with every package of the ``site`` extra
    unimportable, as after ``pip install`` of the runtime alone."""
    import subprocess

    modules = set()
    for dist in _site():
        try:
            modules |= {
                m
                for m, ds in metadata.packages_distributions().items()
                if dist in {d.lower().replace("_", "-") for d in ds}
            }
        except Exception:  # pragma: no cover - metadata of an odd distribution
            continue
    modules |= {"altair", "jinja2", "vl_convert", "pypandoc", "typst", "nbformat", "nbclient"}
    modules |= {"IPython", "ipykernel", "tinycss2", "fontTools", "jupyter_client"}
    script = tmp_path / "blocked.py"
    script.write_text(_BLOCKER.format(site=sorted(modules)), encoding="utf-8")
    fixture = ROOT / "tests" / "fixtures" / "meta" / "good.csv"
    for args in (
        ["meta", str(fixture), "--json"],
        ["validate", str(ROOT / "tests/fixtures/data_snapshot")],
    ):
        proc = subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            timeout=300,
        )
        assert proc.returncode == 0, (args[0], proc.stderr[-2000:])
