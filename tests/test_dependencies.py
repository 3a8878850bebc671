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
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    return runtime, dev


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
