"""The rooms of ``analysis/`` and the one direction of their imports (docs/architecture.md).

cli > publish > report > evidence | stats > vocabulary, errors; the renderer
(``analysis.render``) imports none of stats, evidence or report. Every import counts,
including those inside functions (the lazy imports that keep start-up fast), so a
wrong-way dependency cannot hide in a function body.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: room -> the rooms it may import (besides itself)
ALLOWED: dict[str, frozenset[str]] = {
    "base": frozenset(),
    "stats": frozenset({"base"}),
    "evidence": frozenset({"base"}),
    "render": frozenset({"base"}),
    "report": frozenset({"base", "stats", "evidence"}),
    "surveil": frozenset({"base", "evidence"}),  # the scheduled search and integrity watch
    "publish": frozenset({"base", "stats", "evidence", "report", "render", "surveil"}),
    "cli": frozenset({"base", "stats", "evidence", "report", "render", "publish", "surveil"}),
    # the package's entry points: ``__main__`` calls the command line, ``__init__``
    # reads the version lazily for ``analysis.__version__``
    "entry": frozenset({"base", "stats", "evidence", "report", "render", "publish", "cli"}),
}
ROOMS = ("stats", "evidence", "report", "publish", "cli", "render", "surveil")
BASE = ("errors", "escape", "vocabulary")


def room(module: str, package: str = "analysis") -> str:
    """The room of a dotted module name inside ``package``."""
    parts = module.split(".")
    assert parts[0] == package, module
    if len(parts) == 1 or parts[1] in ("__init__", "__main__"):
        return "entry"
    if parts[1] in ROOMS:
        return parts[1]
    if parts[1] in BASE:
        return "base"
    raise AssertionError(f"{module}: not in any room; add it to one (docs/architecture.md)")


def imports(path: Path, module: str, package: str) -> list[tuple[str, int]]:
    """Every ``package`` module that ``path`` imports (top level and in functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")[: -node.level]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # ``from analysis import report`` imports the room itself
            found += [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return [(t, line) for t, line in found if t == package or t.startswith(package + ".")]


def _is_module(name: str, src: Path, package: str) -> bool:
    rel = Path(*name.split(".")[1:])
    top = src / package
    return (top / rel).with_suffix(".py").is_file() or (top / rel / "__init__.py").is_file()


def violations(src: Path, package: str = "analysis") -> list[str]:
    """``file:line: room imports room (module)`` for every import against the direction."""
    out = []
    for path in sorted((src / package).rglob("*.py")):
        rel = path.relative_to(src).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        here = room(module, package)
        wrong: dict[tuple[int, str], str] = {}  # (line, room) -> the most specific module
        for target, line in imports(path, module, package):
            if target != package and not _is_module(target, src, package):
                continue  # a name imported from a module, already counted as the module
            there = room(target, package)
            if there != here and there not in ALLOWED[here] and there != "entry":
                wrong[line, there] = max(wrong.get((line, there), ""), target, key=len)
        out += [
            f"{path.relative_to(src)}:{line}: {here} imports {there} ({target})"
            for (line, there), target in sorted(wrong.items())
        ]
    return out


def test_every_import_follows_the_direction():
    assert violations(ROOT) == []


def test_every_module_is_in_a_room():
    for path in (ROOT / "analysis").rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        room(".".join(rel.parts))  # raises for a module outside the rooms


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = tmp_path / "analysis" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    for folder in [tmp_path / "analysis", *(tmp_path / "analysis").rglob("*")]:
        if folder.is_dir() and not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text("", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # statistics reaching up into the report layer, inside a function
        (
            {"stats/tau2.py": "def f():\n    from analysis.report import charts\n"},
            ["analysis/stats/tau2.py:2: stats imports report (analysis.report.charts)"],
        ),
        # the renderer importing the statistics
        (
            {"render/html.py": "import analysis.stats.effects\n"},
            ["analysis/render/html.py:1: render imports stats (analysis.stats.effects)"],
        ),
        # evidence and stats are independent of each other
        (
            {"evidence/validate.py": "from analysis.stats.effects import escalc\n"},
            ["analysis/evidence/validate.py:1: evidence imports stats (analysis.stats.effects)"],
        ),
        # a relative import is resolved before it is judged
        (
            {"report/text.py": "from ..publish import build\n"},
            ["analysis/report/text.py:1: report imports publish (analysis.publish.build)"],
        ),
    ],
)
def test_a_wrong_way_import_is_caught(tmp_path, files, expected):
    files = {
        "stats/effects.py": "",
        "report/charts.py": "",
        "publish/build.py": "",
        "errors.py": "",
        **files,
    }
    got = violations(_package(tmp_path, files))
    assert got[: len(expected)] == expected
    assert len(got) == len(expected)


def test_the_right_way_passes(tmp_path):
    files = {
        "errors.py": "",
        "vocabulary.py": "",
        "stats/effects.py": "from analysis.vocabulary import X\n",
        "evidence/validate.py": "from analysis.errors import UserError\n",
        "report/charts.py": (
            "from analysis.stats import effects\nfrom analysis.evidence import validate\n"
        ),
        "publish/build.py": "from analysis.report import charts\nimport analysis.render.pdf\n",
        "render/pdf.py": "from analysis.errors import UserError\n",
        "cli/__init__.py": "from analysis.publish import build\n",
    }
    assert violations(_package(tmp_path, files)) == []
