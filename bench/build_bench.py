"""Time the site build: a cold build, then a rebuild after editing one count.

Run ``python -m bench.build_bench`` from the repository root. It works on a copy
of the repository in a temporary directory (the real ``data/`` is never
edited): the copy is built once from scratch (a new process, a new Jupyter
kernel, an empty destination), then one count in the copy's
``data/studies.csv`` is raised by one (a row whose arm is not already all
improved) and the site is built again. Both are full builds through
``python -m analysis build --engine embedded``: validation, results bundle,
every page and the PDF.

Targets (issue 4, on the 2-core machine): cold build <= 20 s, rebuild <= 10 s.
The figures are printed and written to ``bench/results/build.json``.

``--quarto`` (issue 10) times instead, in the same run, the cold build with real Quarto
(``python -m analysis build --engine quarto``, the Quarto of ``make setup``) and its
**floor**: ``quarto render`` of a copy of the book with the same chapters and formats
whose cells do nothing but ``print(1)`` (inline expressions become ``1``, cell labels
are dropped so no cross-reference needs an output). Goal: build <= 1.5 x floor. Written
to ``bench/results/quarto_build.json``, with the embedded renderer's cold build and
one-count rebuild of the same run and their ratios to the floor.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "build.json"
QUARTO_RESULTS = ROOT / "bench" / "results" / "quarto_build.json"
TARGETS = {"cold_s": 20.0, "rebuild_s": 10.0}
#: The Quarto build may take at most this many times its floor.
QUARTO_RATIO_TARGET = 1.5


def _copy_repo(dest: Path) -> Path:
    files = (
        subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def _edit_one_count(csv_path: Path) -> str:
    """Raise ``ivig_improved`` by one in the first row where that stays <= ``ivig_total``."""
    text = csv_path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    fields = list(rows[0].keys())
    for row in rows:
        improved, total = row.get("ivig_improved", ""), row.get("ivig_total", "")
        if improved.isdigit() and total.isdigit() and int(improved) < int(total):
            row["ivig_improved"] = str(int(improved) + 1)
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            csv_path.write_text(out.getvalue(), encoding="utf-8")
            return f"{row['study_id']}: ivig_improved {improved} -> {int(improved) + 1}"
    raise RuntimeError(f"{csv_path}: no row where a count can be raised")


def _build(root: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--root", str(root), "--engine", "embedded"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"build failed (exit {proc.returncode}):\n{proc.stderr}")
    return elapsed


def run(write: bool = True) -> dict:
    """Time both builds; return (and by default write) the figures."""
    epoch = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True
    ).stdout.strip()
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch or "0"}
    with tempfile.TemporaryDirectory(prefix="ivig-bench-") as tmp:
        root = _copy_repo(Path(tmp) / "repo")
        cold = _build(root, env)
        edit = _edit_one_count(root / "data" / "studies.csv")
        rebuild = _build(root, env)
        pages = len(list((root / "_site").rglob("*.html")))
        pdf = sum(p.stat().st_size for p in (root / "_site").glob("*.pdf"))
    result = {
        "cold_s": round(cold, 2),
        "rebuild_s": round(rebuild, 2),
        "targets": TARGETS,
        "edit": edit,
        "pages": pages,
        "pdf_bytes": pdf,
        "cpus": os.cpu_count(),
    }
    if write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


_CELL = re.compile(r"^```\{python\}[^\n]*\n(?P<body>.*?)^```", re.S | re.M)
_INLINE = re.compile(r"(?<!`)`\{python\}[^`\n]*`(?!`)")


def floor_qmd(text: str) -> str:
    """The same page with every cell reduced to ``print(1)`` and inline code to ``1``."""
    text = _INLINE.sub("`{python} 1`", text)
    return _CELL.sub(lambda m: "```{python}\nprint(1)\n```", text)


def _quarto() -> str:
    sys.path.insert(0, str(ROOT))
    from tests.browser.harness import find_quarto

    quarto = find_quarto()
    if quarto is None:
        raise SystemExit("no Quarto: run `make setup` with ../shared/quarto present")
    return quarto


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return elapsed


def run_quarto(write: bool = True) -> dict:
    """Time the cold Quarto build and its floor in the same run."""
    quarto = _quarto()
    env = {
        **os.environ,
        "PATH": str(Path(quarto).parent) + os.pathsep + os.environ.get("PATH", ""),
        "QUARTO_PYTHON": sys.executable,
    }
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ivig-bench-quarto-") as tmp:
        floor_root = _copy_repo(Path(tmp) / "floor")
        for qmd in [floor_root / "index.qmd", *(floor_root / "chapters").glob("*.qmd")]:
            qmd.write_text(floor_qmd(qmd.read_text(encoding="utf-8")), encoding="utf-8")
        floor = _timed(
            [quarto, "render", "--output-dir", str(Path(tmp) / "floor-out")], floor_root, env
        )
        root = _copy_repo(Path(tmp) / "repo")
        cmd = [sys.executable, "-m", "analysis", "build", "--root", str(root), "--engine", "quarto"]
        build = _timed(cmd, root, env)
    # the embedded renderer's cold build and one-count rebuild, in the same run
    embedded = run(write=False)
    result = {
        "quarto_cold_s": round(build, 1),
        "floor_s": round(floor, 1),
        "ratio": round(build / floor, 2),
        "target_ratio": QUARTO_RATIO_TARGET,
        "embedded_cold_s": embedded["cold_s"],
        "embedded_rebuild_s": embedded["rebuild_s"],
        "embedded_targets": TARGETS,
        "embedded_cold_ratio": round(embedded["cold_s"] / floor, 3),
        "embedded_rebuild_ratio": round(embedded["rebuild_s"] / floor, 3),
        "quarto": subprocess.run(
            [quarto, "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "cpus": os.cpu_count(),
        # other work on the machine skews both timings (1-minute load averages)
        "load_before": round(load_before[0], 1),
        "load_after": round(os.getloadavg()[0], 1),
    }
    if write:
        QUARTO_RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    parser.add_argument("--quarto", action="store_true", help="time the Quarto build and its floor")
    args = parser.parse_args(argv)
    if args.quarto:
        r = run_quarto(write=not args.no_write)
        flag = "ok" if r["ratio"] <= QUARTO_RATIO_TARGET else "OVER TARGET"
        print(
            f"Quarto build {r['quarto_cold_s']:.1f} s, floor {r['floor_s']:.1f} s: "
            f"{r['ratio']:.2f} x the floor (target <= {QUARTO_RATIO_TARGET}) {flag}"
        )
        for key, target in TARGETS.items():
            took = r[f"embedded_{key}"]
            flag = "ok" if took <= target else "OVER TARGET"
            print(
                f"embedded {key}: {took:.2f} s (target <= {target:.0f} s), "
                f"{took / r['floor_s']:.3f} x the floor {flag}"
            )
        return 0
    result = run(write=not args.no_write)
    for key, target in TARGETS.items():
        flag = "ok" if result[key] <= target else "OVER TARGET"
        print(f"{key}: {result[key]:.2f} s (target <= {target:.0f} s) {flag}")
    print(f"edit: {result['edit']}; {result['pages']} pages; PDF {result['pdf_bytes']} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
