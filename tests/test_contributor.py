"""The contributor suite: realistic data pull requests keep everything working.

A living review grows by pull requests that change ``data/`` only. Each scenario here is
one such pull request, applied to a copy of the repository's *current* ``data/`` (never
the real folder): a pending trial given its counts, a new trial added, a risk-of-bias
judgement, a trial moved to another comparator, an outcome corrected, a trial removed.
On each, the validation passes, the results bundle is computed, every chapter's code runs
through the chapters' API (the ``{python}`` cells and inline expressions of ``index.qmd``
and ``chapters/*.qmd``, as the build runs them) and the results diff describes the change.

The scenarios pick their rows by rule ("the first pending trial that is not a crossover"),
never by name or number, so they keep working as the evidence grows; where ``data/``
offers no row a scenario needs, it is skipped with that reason. CONTRIBUTING.md ("What a
data pull request changes") says what a contributor may need to edit: ``data/`` only.
The slow test runs the fast code tests on a clone whose ``data/`` carries every scenario
at once: they read the frozen snapshot, so they pass untouched.
"""

from __future__ import annotations

import ast
import csv
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from analysis import vocabulary
from analysis.evidence.validate import validate
from analysis.publish.diff import Side, compare, read_studies
from analysis.render.qmd import CodeCell, inline_expressions, parse_qmd
from analysis.report.results_bundle import compute
from tests.snapshot import DATA, ROOT, project

Rows = list[dict[str, str]]
COUNTS = ("ivig_improved", "ivig_total", "control_improved", "control_total")
ROB = ("rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5")
WITH_COUNTS = {"verified", "derived"}
PRIMARY = set(vocabulary.PRIMARY_OUTCOMES)


# --------------------------------------------------------------------------- data files


def read_rows(data: Path) -> tuple[list[str], Rows]:
    text = (data / "studies.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def write_rows(data: Path, header: list[str], rows: Rows) -> None:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (data / "studies.csv").write_text(out.getvalue(), encoding="utf-8")


def _table(data: Path, name: str) -> tuple[list[str], Rows]:
    path = data / name
    if not path.is_file():
        return [], []
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return list(reader.fieldnames or []), list(reader)


def _write_table(data: Path, name: str, header: list[str], rows: Rows) -> None:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (data / name).write_text(out.getvalue(), encoding="utf-8")


def _with_outcomes(rows: Rows, data: Path) -> set[str]:
    """Trials that already have a row in ``outcomes.csv`` (when the data set keeps one)."""
    return {r["study_id"] for r in _table(data, "outcomes.csv")[1]}


def record_analysed_outcome(data: Path, row: dict[str, str]) -> None:
    """The outcome a trial's counts are for, recorded in ``outcomes.csv`` (where the data
    set keeps one) as the protocol's first rule chooses it: the trial's primary outcome,
    its counts in ``studies.csv`` (``in_studies``)."""
    header, rows = _table(data, "outcomes.csv")
    if not header:
        return
    new = {k: "" for k in header}
    new.update(
        study_id=row["study_id"],
        outcome_id="improved_primary",
        kind="efficacy",
        outcome_type=row["outcome_type"],
        definition=row["outcome_definition"],
        timepoint=row["timepoint"] or "end of treatment",
        trial_primary="yes",
        protocol_rule="1",
        status="in_studies",
    )
    rows.append(new)
    _write_table(data, "outcomes.csv", header, rows)


def _crossover(row: dict[str, str]) -> bool:
    return "crossover" in row["design"].lower().replace("-", "")


def _referenced(rows: Rows) -> set[str]:
    return {r["rereports"] for r in rows if r.get("rereports")}


def _first(rows: Rows, rule: Callable[[dict[str, str]], bool], what: str) -> dict[str, str]:
    for row in rows:
        if rule(row):
            return row
    pytest.skip(f"data/ has no {what} today")


def _counted(row: dict[str, str]) -> bool:
    return row["status"] in WITH_COUNTS and all(row[c] for c in COUNTS)


# --------------------------------------------------------------------------- the pull requests


def pending_trial_given_counts(data: Path) -> str:
    """A reviewer extracts the counts of a pending trial: status, counts, outcome, quote."""
    header, rows = read_rows(data)
    recorded = _with_outcomes(rows, data)
    row = _first(
        rows,
        lambda r: (
            r["status"] == "pending"
            and not _crossover(r)
            and not r["rereports"]
            and r["study_id"] not in recorded
        ),
        "pending parallel-group trial with no outcome recorded yet",
    )
    row.update(
        ivig_improved="12",
        ivig_total="20",
        control_improved="6",
        control_total="19",
        outcome_type="improvement",
        outcome_definition="Improvement of at least one grade on the trial's disability scale",
        status="verified",
        source_url=row["source_url"] or "https://example.org/trial-report",
        source_quote="Twelve of 20 patients given IVIG and 6 of 19 given the comparator improved",
    )
    write_rows(data, header, rows)
    record_analysed_outcome(data, row)
    return row["study_id"]


def new_trial_added(data: Path) -> str:
    """A new trial: one row (copied from a trial with counts) and its bibliography entry."""
    header, rows = read_rows(data)
    template = _first(
        rows,
        lambda r: _counted(r) and r["outcome_type"] in PRIMARY and not _crossover(r),
        "parallel-group trial with counts",
    )
    ids = {r["study_id"] for r in rows}
    study_id = next(
        f"Contributor2025_{n}" for n in range(1, 100) if f"Contributor2025_{n}" not in ids
    )
    row = {k: "" for k in header}
    row.update({k: template[k] for k in ("disease", "population", "comparator", "timepoint")})
    row.update(
        study_id=study_id,
        author="Contributor",
        year="2025",
        ivig_improved="15",
        ivig_total="25",
        control_improved="8",
        control_total="24",
        outcome_type="improvement",
        outcome_definition="Improvement of at least one point on the trial's disability scale",
        design="randomised, double-blind, parallel group",
        status="verified",
        source_url="https://example.org/contributor-2025",
        source_quote="15 of 25 patients on IVIG and 8 of 24 on the comparator improved",
        crossover_data="not_applicable",
    )
    for col in (*ROB, "rob_overall"):
        row[col] = "not_assessed"
    rows.append(row)
    write_rows(data, header, rows)
    record_analysed_outcome(data, row)
    with (data / "references.bib").open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n@article{{{study_id},\n  author = {{Contributor, Ann}},\n"
            "  title = {A randomised trial of intravenous immunoglobulin},\n"
            "  journal = {Journal of Trials},\n  year = {2025}\n}\n"
        )
    return study_id


def risk_of_bias_judged(data: Path) -> str:
    """A reviewer records a RoB 2 judgement, with where it comes from."""
    header, rows = read_rows(data)
    row = _first(
        rows,
        lambda r: _counted(r) and all(r[c] == "not_assessed" for c in (*ROB, "rob_overall")),
        "trial with counts and no risk-of-bias judgement",
    )
    row.update(
        rob_d1="low",
        rob_d2="some_concerns",
        rob_d3="low",
        rob_d4="low",
        rob_d5="low",
        rob_overall="some_concerns",
        rob_source="Cochrane review, risk-of-bias table of the included studies",
    )
    write_rows(data, header, rows)
    return row["study_id"]


def trial_moved_to_another_comparator(data: Path) -> str:
    """A trial filed under the wrong comparator moves to another one."""
    header, rows = read_rows(data)
    by = {
        c: [r for r in rows if r["comparator"] == c and _counted(r)] for c in vocabulary.COMPARATORS
    }
    source = max(vocabulary.COMPARATORS, key=lambda c: len(by[c]))
    row = _first(
        by[source][::-1],
        lambda r: r["outcome_type"] in PRIMARY,
        f"{source} trial in a primary analysis",
    )
    target = next(c for c in vocabulary.COMPARATORS if c != source)
    row["comparator"] = target
    write_rows(data, header, rows)
    return row["study_id"]


def outcome_corrected(data: Path) -> str:
    """A reviewer corrects a trial's outcome: one count and the definition it counts."""
    header, rows = read_rows(data)
    row = _first(
        rows,
        lambda r: _counted(r) and 0 < int(r["ivig_improved"]) < int(r["ivig_total"]),
        "trial with counts that can be corrected",
    )
    row["ivig_improved"] = str(int(row["ivig_improved"]) - 1)
    row["outcome_definition"] = row["outcome_definition"] + " (corrected from the full text)"
    write_rows(data, header, rows)
    return row["study_id"]


def trial_removed(data: Path) -> str:
    """A trial found not to be randomised is removed (its bibliography entry may stay)."""
    header, rows = read_rows(data)
    referenced = _referenced(rows)
    row = _first(
        rows[::-1],
        lambda r: r["study_id"] not in referenced and not r["rereports"],
        "trial that no other row re-reports",
    )
    rows.remove(row)
    write_rows(data, header, rows)
    out_header, outcomes = _table(data, "outcomes.csv")  # and its outcomes, where kept
    if out_header:
        kept = [o for o in outcomes if o["study_id"] != row["study_id"]]
        _write_table(data, "outcomes.csv", out_header, kept)
    return row["study_id"]


SCENARIOS: dict[str, Callable[[Path], str]] = {
    f.__name__: f
    for f in (
        pending_trial_given_counts,
        new_trial_added,
        risk_of_bias_judged,
        trial_moved_to_another_comparator,
        outcome_corrected,
        trial_removed,
    )
}


# --------------------------------------------------------------------------- the chapters


def chapter_files(root: Path) -> list[Path]:
    return [root / "index.qmd", *sorted((root / "chapters").glob("*.qmd"))]


def _shown(value: Any) -> str:
    """What a cell's value puts on the page (the interactive chart view: no SVG needed)."""
    if value is None:
        return ""
    for method in ("to_html", "_repr_markdown_", "_repr_html_"):
        if hasattr(value, method):
            return str(getattr(value, method)())
    return str(value)


def _run_cell(cell: CodeCell, namespace: dict[str, Any], where: str) -> str:
    tree = ast.parse(cell.code, filename=where)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, where, "exec"), namespace)  # noqa: S102 (the project's own chapters)
    if last is None:
        return ""
    value = eval(compile(ast.Expression(last.value), where, "eval"), namespace)  # noqa: S307
    return _shown(value)


def run_chapters(root: Path) -> dict[str, str]:
    """Run every chapter's code as the build does (cells in order, inline expressions),
    through the chapters' API on the project at *root*; return what each page shows."""
    pages: dict[str, str] = {}
    for path in chapter_files(root):
        doc = parse_qmd(path)
        namespace: dict[str, Any] = {"__name__": "__main__"}
        shown: list[str] = []
        for block in doc.blocks:
            where = f"{path.name}:{block.line}"
            if isinstance(block, CodeCell):
                shown.append(_run_cell(block, namespace, where))
            else:
                for m in inline_expressions(block.text):
                    expr = m.group("expr")
                    shown.append(str(eval(compile(expr, where, "eval"), namespace)))  # noqa: S307
        pages[path.name] = "\n".join(shown)
    return pages


@contextmanager
def chapters_on(root: Path, charts: Path) -> Iterator[None]:
    """The chapters' API pointed at *root* (its caches emptied before and after)."""
    from analysis.report import chapters

    saved = {k: os.environ.get(k) for k in ("IVIG_ROOT", "IVIG_RESULTS", "IVIG_CHARTS_DIR")}
    os.environ["IVIG_ROOT"] = str(root)
    os.environ["IVIG_CHARTS_DIR"] = str(charts)
    os.environ.pop("IVIG_RESULTS", None)
    chapters.bundle.cache_clear()
    chapters.studies.cache_clear()
    try:
        yield
    finally:
        chapters.bundle.cache_clear()
        chapters.studies.cache_clear()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------- the suite


def _project_on_live_data(dest: Path) -> Path:
    """A project root at *dest* whose ``data/`` is a copy of the repository's ``data/``."""
    root = project(dest)
    shutil.rmtree(root / "data")
    shutil.copytree(DATA, root / "data")
    return root


def _side(label: str, root: Path, bundle: dict) -> Side:
    data = root / "data"
    return Side(
        label,
        bundle,
        read_studies((data / "studies.csv").read_text(encoding="utf-8")),
        (data / "datapackage.json").read_text(encoding="utf-8"),
        (data / "references.bib").read_text(encoding="utf-8"),
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, dict]:
    root = _project_on_live_data(tmp_path_factory.mktemp("base"))
    return root, compute(root)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_data_pull_request(name, base, tmp_path):
    base_root, base_bundle = base
    root = _project_on_live_data(tmp_path / "head")
    before = {p.name: p.read_bytes() for p in DATA.iterdir()}
    study_id = SCENARIOS[name](root / "data")

    report = validate(root / "data")
    assert report.ok, [str(p) for p in report.errors]

    bundle = compute(root)
    assert bundle["register"]["identified"] == len(read_rows(root / "data")[1])

    with chapters_on(root, tmp_path / "charts"):
        pages = run_chapters(root)
    assert set(pages) == {p.name for p in chapter_files(root)}
    assert all(pages.values()), [k for k, v in pages.items() if not v]

    diff = compare(_side("base", base_root, base_bundle), _side("head", root, bundle))
    assert diff.trials is not None
    assert study_id in {t.study_id for t in diff.trials}
    md = diff.to_markdown()
    assert study_id in md.replace("\\", "")  # the comment escapes Markdown (_ as \\_)
    # the repository's own data/ was never touched
    assert {p.name: p.read_bytes() for p in DATA.iterdir()} == before


def test_the_unchanged_data_runs_too(base, tmp_path):
    """The base itself: the chapters run on today's data and the diff says nothing changed."""
    root, bundle = base
    with chapters_on(root, tmp_path / "charts"):
        pages = run_chapters(root)
    assert all(pages.values())
    same = compare(_side("base", root, bundle), _side("head", root, bundle))
    assert same.unchanged


def test_scenarios_pick_rows_by_rule_not_by_name():
    """No scenario names a trial of today's data (they must survive new evidence)."""
    source = Path(__file__).read_text(encoding="utf-8")
    _, rows = read_rows(DATA)
    named = [r["study_id"] for r in rows if f'"{r["study_id"]}"' in source]
    assert named == []


@pytest.mark.slow
def test_code_tests_pass_untouched_on_a_clone_carrying_every_scenario(tmp_path):
    """The promise to a data contributor: a clone whose data/ carries all six pull requests
    at once passes the fast code tests, none of them edited."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    for name in ("analysis", "tests", "chapters", "index.qmd", "_quarto.yml"):
        src, dst = ROOT / name, clone / name  # the working tree, committed or not
        if src.is_dir():
            shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    shutil.rmtree(clone / "data")
    shutil.copytree(DATA, clone / "data")
    for scenario in SCENARIOS.values():
        scenario(clone / "data")
    assert validate(clone / "data").ok
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "tests/test_data.py",
            "tests/report/test_bundle.py",
            "tests/report/test_site_helpers.py",
            "tests/report/test_findings.py",
            "tests/evidence/test_certainty_file.py",
            "tests/evidence/test_search_record.py",
            "tests/evidence/test_validate.py",
        ],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
