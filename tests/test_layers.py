"""The rooms of ``analysis/`` and the one direction of their imports (docs/architecture.md).

cli > publish > report > evidence | stats > vocabulary, errors; the renderer
(``analysis.render``) imports none of stats, evidence or report. Every import counts,
including those inside functions (the lazy imports that keep start-up fast) and those
written as strings (``importlib.import_module("analysis.x")``, ``__import__``, or any
call given a module's dotted name, as the chapters' lazy loader is), so a wrong-way
dependency cannot hide in a function body or a string. Each room may use only its own
third-party libraries (:data:`THIRD_PARTY`: the statistics numpy and scipy only); the
chapters (``index.qmd``, ``chapters/*.qmd``) import only the chapters' API; and no two
modules of a room import each other, directly or around a circle (imports needed only
for type checking, under ``if TYPE_CHECKING:``, and a package re-exporting its own
submodules are not circles).
"""

from __future__ import annotations

import ast
import re
import sys
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

#: room -> the third-party libraries it may import (top-level names; the standard library
#: is always allowed). The statistics are numpy and scipy only; the site toolchain
#: (Jupyter, pandoc, Typst, vl-convert, the CSS and font tools) stays in report, render
#: and publish, so ``meta`` and ``validate`` need none of it.
THIRD_PARTY: dict[str, frozenset[str]] = {
    "base": frozenset(),
    "entry": frozenset(),
    "stats": frozenset({"numpy", "scipy"}),
    "evidence": frozenset({"numpy", "pandas", "yaml"}),
    "report": frozenset(
        {"numpy", "pandas", "yaml", "altair", "jinja2", "vl_convert", "IPython", "pypandoc"}
    ),
    "render": frozenset({"yaml", "nbclient", "nbformat", "pypandoc", "typst"}),
    "publish": frozenset({"yaml", "vl_convert", "tinycss2", "fontTools"}),
    "cli": frozenset(),
    "surveil": frozenset(),  # the standard library's urllib and json only
}
#: what a chapter (a ``{python}`` cell of a ``.qmd``) may import
CHAPTER_IMPORTS = frozenset({"analysis.report.chapters"})
#: a module's dotted name written as a string
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


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


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", "")
            if name == "TYPE_CHECKING":
                out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def all_imports(tree: ast.AST, module: str, *, typing_too: bool = True) -> list[tuple[str, int]]:
    """Every module *tree* imports, as ``(dotted name, line)``: statements anywhere (top
    level, in functions), and dotted names passed as strings to a call
    (``importlib.import_module``, ``__import__``, a lazy loader). ``typing_too=False``
    leaves out the imports under ``if TYPE_CHECKING:``."""
    skip = set() if typing_too else _type_checking_only(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
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
        elif isinstance(node, ast.Call):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and _DOTTED.fullmatch(arg.value)
                ):
                    found.append((arg.value, node.lineno))
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((first.value, node.lineno))  # a single name: __import__("x")
    return found


def imports(
    path: Path, module: str, package: str, *, typing_too: bool = True
) -> list[tuple[str, int]]:
    """Every ``package`` module that ``path`` imports (top level, in functions, as strings)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = all_imports(tree, module, typing_too=typing_too)
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


def _modules(src: Path, package: str):
    for path in sorted((src / package).rglob("*.py")):
        rel = path.relative_to(src).with_suffix("")
        yield path, ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _library(name: str, package: str) -> str | None:
    """The third-party distribution a dotted import name belongs to (None: ours or stdlib)."""
    top = name.split(".")[0]
    if not top or top in (package, "__future__") or top in sys.stdlib_module_names:
        return None
    return top


def third_party_violations(src: Path, package: str = "analysis") -> list[str]:
    """``file:line: room imports third-party LIB`` for every library outside the room's list
    (:data:`THIRD_PARTY`), including ``importlib.import_module("lib")`` and ``__import__``."""
    out = []
    for path, module in _modules(src, package):
        here = room(module, package)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        seen = set()
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = node.args[0]
                if called in ("import_module", "__import__") and isinstance(first, ast.Constant):
                    names = [str(first.value)]
            for name in names:
                lib = _library(name, package)
                if lib and lib not in THIRD_PARTY[here] and (node.lineno, lib) not in seen:
                    seen.add((node.lineno, lib))
                    out.append(f"{path.relative_to(src)}:{node.lineno}: {here} imports {lib}")
    return out


def chapter_violations(root: Path, package: str = "analysis") -> list[str]:
    """``file:line: chapter imports X`` for every import in a ``{python}`` cell (or written
    as a string) that is not the chapters' API (:data:`CHAPTER_IMPORTS`)."""
    from analysis.render.qmd import CodeCell, parse_qmd

    out = []
    for path in [root / "index.qmd", *sorted((root / "chapters").glob("*.qmd"))]:
        doc = parse_qmd(path)
        for cell in (b for b in doc.blocks if isinstance(b, CodeCell)):
            tree = ast.parse(cell.code)
            for name, line in all_imports(tree, "__main__"):
                top = name.split(".")[0]
                if name in CHAPTER_IMPORTS or (top == package and _is_module_prefix(name)):
                    continue
                if top == package and any(c.startswith(name + ".") for c in CHAPTER_IMPORTS):
                    continue  # ``from analysis.report import chapters``: judged by its name
                out.append(f"{path.relative_to(root)}:{cell.line + line}: chapter imports {name}")
    return out


def _is_module_prefix(name: str) -> bool:
    return any(name == c or name.startswith(c + ".") for c in CHAPTER_IMPORTS)


def circles(src: Path, package: str = "analysis") -> list[str]:
    """Import circles inside a room, one line per circle: ``room: a -> b -> a``.

    Every runtime import counts (in functions too, and written as strings); imports under
    ``if TYPE_CHECKING:`` do not, nor a package's imports of its own submodules (its
    re-exports)."""
    graph, found = _circle_components(src, package)
    out = []
    for comp in found:
        members = set(comp)
        start = comp[0]
        path_, seen = [start], {start}
        while True:  # one circle through the component, for the message
            nxt = min(w for w in graph[path_[-1]] if w in members)
            if nxt in seen:
                path_ = path_[path_.index(nxt) :] + [nxt]
                break
            path_.append(nxt)
            seen.add(nxt)
        out.append(f"{room(start, package)}: {' -> '.join(path_)}")
    return out


def _circle_components(
    src: Path, package: str = "analysis"
) -> tuple[dict[str, set[str]], list[list[str]]]:
    """The import graph inside each room and its strongly connected components (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for path, module in _modules(src, package):
        here = room(module, package)
        edges = set()
        for target, _ in imports(path, module, package, typing_too=False):
            if target == module or not _is_module(target, src, package):
                continue
            if room(target, package) != here:
                continue
            if path.name == "__init__.py" and target.startswith(module + "."):
                continue  # a package re-exporting its submodules
            edges.add(target)
        graph[module] = edges
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return graph, found


def test_every_import_follows_the_direction():
    assert violations(ROOT) == []


def test_every_room_uses_only_its_libraries():
    assert third_party_violations(ROOT) == []


def test_chapters_import_only_the_chapters_api():
    assert chapter_violations(ROOT) == []


def test_no_import_circle_inside_a_room():
    assert circles(ROOT) == []


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


def test_a_string_import_is_caught(tmp_path):
    files = {
        "report/charts.py": "",
        "stats/effects.py": (
            "import importlib\n"
            "def f():\n"
            "    return importlib.import_module('analysis.report.charts')\n"
            "def g():\n"
            "    return __import__('analysis.report.charts')\n"
            "LAZY = _OnFirstUse('analysis.report.charts')\n"
        ),
    }
    assert violations(_package(tmp_path, files)) == [
        "analysis/stats/effects.py:3: stats imports report (analysis.report.charts)",
        "analysis/stats/effects.py:5: stats imports report (analysis.report.charts)",
        "analysis/stats/effects.py:6: stats imports report (analysis.report.charts)",
    ]


def test_a_forbidden_library_is_caught(tmp_path):
    """``import pandas`` in stats/ fails, as do a string import of it and scipy in base."""
    files = {
        "stats/effects.py": "import numpy as np\nimport pandas as pd\nfrom scipy import stats\n",
        "stats/tau2.py": "import importlib\nPD = importlib.import_module('pandas')\n",
        "evidence/validate.py": "import pandas\nimport yaml\n",
        "errors.py": "import scipy.special\n",
    }
    assert third_party_violations(_package(tmp_path, files)) == [
        "analysis/errors.py:1: base imports scipy",
        "analysis/stats/effects.py:2: stats imports pandas",
        "analysis/stats/tau2.py:2: stats imports pandas",
    ]


def test_a_chapter_importing_past_the_api_is_caught(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "index.qmd").write_text(
        "# Home\n\n```{python}\nfrom analysis.report import chapters as site\n```\n",
        encoding="utf-8",
    )
    (tmp_path / "chapters" / "x.qmd").write_text(
        "# X\n\n```{python}\nimport pandas as pd\nfrom analysis.stats import effects\n```\n",
        encoding="utf-8",
    )
    got = chapter_violations(tmp_path)
    assert [g.split(": ", 1)[1] for g in got] == [
        "chapter imports pandas",
        "chapter imports analysis.stats",
        "chapter imports analysis.stats.effects",
    ]
    assert all(g.startswith("chapters/x.qmd:") for g in got)


def test_an_import_circle_inside_a_room_is_caught(tmp_path):
    files = {
        "stats/results.py": "from analysis.stats import effects\n",
        # hidden in a function, still a circle
        "stats/effects.py": "def f():\n    from analysis.stats import results\n",
        # type checking only, and a package re-exporting its submodules: not circles
        "stats/tau2.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from analysis.stats import heterogeneity\n"
        ),
        "stats/heterogeneity.py": "from analysis.stats import tau2\n",
        "stats/__init__.py": "from analysis.stats import effects, tau2\n",
    }
    assert circles(_package(tmp_path, files)) == [
        "stats: analysis.stats.effects -> analysis.stats.results -> analysis.stats.effects"
    ]


#: test folders that are not rooms of analysis/: cross-cutting suites and their material
_TEST_SUITES = {"hostile", "browser", "workflows"}
_TEST_MATERIAL = {"fixtures", "data_corpus", "schemas", "tools"}
#: the tests at the top of tests/: of data/ itself and of the project as a whole
_TOP_LEVEL_TESTS = {
    "test_data.py",
    "test_contributor.py",
    "test_layers.py",
    "test_types.py",
    "test_dependencies.py",
    "test_bench.py",
    "test_shared_material.py",
}


def test_tests_are_laid_out_like_analysis():
    """A test of ``analysis/<room>/`` lives in ``tests/<room>/`` (tests/README.md): every test
    folder is a room of ``analysis/`` or one of the named suites, and the top of ``tests/``
    holds only the project-wide tests."""
    rooms = {
        p.name
        for p in (ROOT / "analysis").iterdir()
        if p.is_dir() and (p / "__init__.py").is_file()
    }
    tests = ROOT / "tests"
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders - _TEST_MATERIAL - _TEST_SUITES <= rooms, sorted(
        folders - _TEST_MATERIAL - _TEST_SUITES - rooms
    )
    for folder in folders - _TEST_MATERIAL:
        assert (tests / folder / "__init__.py").is_file(), folder
        assert any((tests / folder).glob("test_*.py")), f"tests/{folder} holds no test"
    assert {p.name for p in tests.glob("test_*.py")} <= _TOP_LEVEL_TESTS, sorted(
        {p.name for p in tests.glob("test_*.py")} - _TOP_LEVEL_TESTS
    )
    for folder in folders - _TEST_MATERIAL - _TEST_SUITES:
        assert not list((tests / folder).rglob("*/test_*.py")), f"tests/{folder} is one level"
