"""Time the full meta-analysis against R metafor: inside each process, and process to process.

``python -m bench`` simulates data sets of 200 and 2000 two-arm trials with a
``subgroup`` column (a fixed seed: the same files every run), then, in one run:

**Inside the process, after imports (the fair comparison: start-up is not the engine).**

- ours: a fresh ``python`` process imports the engine, reads the file once, then times
  ``analyse_arrays(...).to_dict()`` (the full analysis and its JSON object)
  ``--repeats`` times with ``time.perf_counter``; it reports the fastest run, the
  process's peak resident memory (``ru_maxrss``: interpreter, numpy and scipy included)
  and the analysis's own peak allocation (``tracemalloc``, one extra run);
- R: ``Rscript bench/metafor_inprocess.R FILE full|one N`` times, after
  ``library(metafor)``, the same analysis (``full``, at k = 200) or one
  ``rma(method = "REML")`` fit (``one``, at every k) with R's ``system.time``.

Targets (issue 12): at k = 200 the analysis at least 50x faster than metafor's; at
k = 2000 the whole analysis at least 10x faster than one metafor REML fit; cost growth
from k = 200 to 2000 at most 20x; peak memory at k = 2000 under 250 MB. The ratios are
in ``bench/results/meta.json`` under ``inside``.

**Process to process (for information)**, as before:
- ours: ``python -m analysis meta FILE --by subgroup --json`` as a new process (Python
  start-up and imports included), and
- R: ``Rscript bench/metafor_full.R FILE``, the same analysis in metafor (escalc, rma.mh,
  rma REML, confint, predict, regtest, ranktest, trimfill, leave1out, cumul and one rma
  per subgroup), also a new process.

R runs at k = 200 only unless ``--r-max-k`` allows more: at k = 2000 metafor's
leave1out alone is 2000 dense fits with 2000 x 2000 weight matrices, which takes hours
here. Instead one metafor REML fit is timed at that k (``bench/metafor_one_fit.R``) and
2k times it (leave1out plus cumul) is recorded as a lower bound for R.
``--r-timeout`` caps each R run (a run cut off is recorded as a lower bound).

Each side runs ``--repeats`` times (default 3) and the median wall time counts. Both
sides' pooled estimates are compared, so the two did the same analysis. Targets
(issue 2, same machine): k = 200 at least 20x faster than R; k = 2000 under 5 s.

R is not installed by this script. Without ``Rscript`` (or without metafor) it says so,
times our side only and records R as missing. Install R metafor from Debian:
``apt-get install -y r-cran-metafor``.

``--quick`` (CI): k = 200 only, one run of ours, no R; checks the output and writes the
result file. No timing is asserted anywhere.

Results: ``bench/results/meta.json`` (``meta_quick.json`` for ``--quick``), or the
directory given by ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
R_SCRIPT = Path(__file__).resolve().parent / "metafor_full.R"
R_ONE_FIT = Path(__file__).resolve().parent / "metafor_one_fit.R"
RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (200, 2000)
TARGET_RATIO_200 = 20.0
TARGET_SECONDS_2000 = 5.0
R_MISSING = (
    "Rscript not found: R metafor is needed for the comparison "
    "(Debian: apt-get install -y r-cran-metafor). Timing our side only."
)


def simulate(k: int, seed: int = 20240501) -> str:
    """CSV text of ``k`` simulated two-arm trials with a ``subgroup`` column.

    Arm sizes 20-400, control risks 0.1-0.6, true log odds ratios N(-0.4, 0.3²) so there
    is heterogeneity, four subgroups, years 1980-2024. Deterministic for a seed.
    """
    rng = np.random.default_rng(seed + k)
    n1 = rng.integers(20, 401, k)
    n2 = rng.integers(20, 401, k)
    p2 = rng.uniform(0.1, 0.6, k)
    odds = p2 / (1 - p2) * np.exp(rng.normal(-0.4, 0.3, k))
    p1 = odds / (1 + odds)
    a = rng.binomial(n1, p1)
    c = rng.binomial(n2, p2)
    year = rng.integers(1980, 2025, k)
    lines = ["study_id,year,ivig_improved,ivig_total,control_improved,control_total,subgroup"]
    for i in range(k):
        group = "ABCD"[i % 4]
        lines.append(f"T{i + 1:04d},{year[i]},{a[i]},{n1[i]},{c[i]},{n2[i]},{group}")
    return "\n".join(lines) + "\n"


def _timed(cmd: list[str], timeout: float | None = None):
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=timeout
    )
    return time.perf_counter() - start, proc


def run_ours(path: Path, repeats: int) -> dict:
    """Time ``python -m analysis meta PATH --by subgroup --json``; return times and output."""
    cmd = [sys.executable, "-m", "analysis", "meta", str(path), "--by", "subgroup", "--json"]
    times, out = [], None
    for _ in range(repeats):
        seconds, proc = _timed(cmd)
        if proc.returncode != 0:
            raise RuntimeError(f"ours failed ({proc.returncode}): {proc.stderr.strip()}")
        times.append(seconds)
        out = json.loads(proc.stdout)
    return {"seconds": statistics.median(times), "runs": times, "output": out}


def r_available() -> bool:
    """True when ``Rscript`` is on the PATH."""
    return shutil.which("Rscript") is not None


def run_r(path: Path, repeats: int, timeout: float | None = None) -> dict | None:
    """Time ``Rscript bench/metafor_full.R PATH``; None (with a message) if R is missing.

    A run that exceeds ``timeout`` seconds is stopped and reported as
    ``{"timed_out_after": timeout}``.
    """
    if not r_available():
        print(R_MISSING, file=sys.stderr)
        return None
    times, figures = [], {}
    for _ in range(repeats):
        try:
            seconds, proc = _timed(["Rscript", str(R_SCRIPT), str(path)], timeout)
        except subprocess.TimeoutExpired:
            print(f"R metafor stopped after {timeout:.0f} s", file=sys.stderr)
            return {"timed_out_after": timeout}
        if proc.returncode != 0:
            print(
                "R metafor failed (is r-cran-metafor installed?): "
                + (proc.stderr.strip().splitlines() or ["no message"])[-1],
                file=sys.stderr,
            )
            return None
        times.append(seconds)
        figures = {}
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2:
                figures[parts[0]] = float(parts[1])
    return {"seconds": statistics.median(times), "runs": times, "figures": figures}


def run_r_one_fit(path: Path, timeout: float | None = None) -> float | None:
    """Seconds of one metafor REML fit on PATH (``bench/metafor_one_fit.R``), or None."""
    try:
        _, proc = _timed(["Rscript", str(R_ONE_FIT), str(path)], timeout)
    except subprocess.TimeoutExpired:
        return None
    for line in proc.stdout.splitlines():
        parts = line.split()
        if proc.returncode == 0 and len(parts) == 2 and parts[0] == "seconds":
            return round(float(parts[1]), 3)
    return None


def _agreement(ours: dict, r_figures: dict) -> dict:
    """Relative differences between our output and R's printed figures."""
    pairs = {
        "k": (ours["k"], r_figures.get("k")),
        "mh": (ours["common"]["mh"]["estimate"], r_figures.get("mh")),
        "random": (ours["random"]["estimate"], r_figures.get("random")),
        "tau2": (ours["random"]["tau2"], r_figures.get("tau2")),
        "trimfill_k0": (ours["small_study"]["trimfill"]["k0"], r_figures.get("trimfill_k0")),
        "loo_first": (ours["leave_one_out"][0]["estimate"], r_figures.get("loo_first")),
    }
    out = {}
    for key, (a, b) in pairs.items():
        if a is None or b is None:
            out[key] = None
        else:
            out[key] = abs(a - b) / max(abs(b), 1e-300)
    return out


def bench(
    sizes,
    repeats: int,
    with_r: bool,
    workdir: Path,
    r_max_k: int = 200,
    r_timeout: float | None = None,
) -> dict:
    """Run the benchmark over ``sizes``; return the result object written to JSON."""
    result = {
        "command": "python -m analysis meta FILE --by subgroup --json",
        "r_command": "Rscript bench/metafor_full.R FILE",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
        "repeats": repeats,
        "sizes": {},
    }
    if with_r and not r_available():
        print(R_MISSING, file=sys.stderr)
        with_r = False
    for k in sizes:
        path = workdir / f"simulated_{k}.csv"
        path.write_text(simulate(k), encoding="utf-8")
        ours = run_ours(path, repeats)
        entry = {
            "k": k,
            "studies_analysed": ours["output"]["k"],
            "ours_seconds": round(ours["seconds"], 4),
            "ours_runs": [round(t, 4) for t in ours["runs"]],
            "r_seconds": None,
            "r_runs": None,
            "ratio": None,
            "agreement_rel": None,
            "r_note": None,
        }
        r = run_r(path, repeats, r_timeout) if with_r and k <= r_max_k else None
        if with_r and k > r_max_k:
            one = run_r_one_fit(path, r_timeout)
            entry["r_one_reml_fit_seconds"] = one
            entry["r_note"] = f"full R analysis not run at k = {k} (--r-max-k {r_max_k})"
            if one is not None:
                # leave1out and cumul alone are 2k such fits
                entry["r_seconds_estimated_lower_bound"] = round(2 * k * one, 1)
                entry["r_note"] += (
                    f"; one metafor REML fit takes {one:.1f} s here and leave1out + cumul "
                    f"need {2 * k} of them: at least {2 * k * one / 3600:.1f} h"
                )
        if r is not None and "timed_out_after" in r:
            entry["r_note"] = f"R stopped after {r['timed_out_after']:.0f} s (lower bound)"
            entry["r_seconds_lower_bound"] = r["timed_out_after"]
            r = None
        if r is not None:
            entry["r_seconds"] = round(r["seconds"], 4)
            entry["r_runs"] = [round(t, 4) for t in r["runs"]]
            entry["ratio"] = round(r["seconds"] / ours["seconds"], 2)
            entry["agreement_rel"] = _agreement(ours["output"], r["figures"])
        result["sizes"][str(k)] = entry
        line = f"k = {k:5d}: ours {ours['seconds']:.3f} s"
        if r is not None:
            line += f", R metafor {r['seconds']:.3f} s, ratio {entry['ratio']:.1f}x"
        print(line)
    targets = {}
    if "200" in result["sizes"] and result["sizes"]["200"]["ratio"] is not None:
        targets["k200_at_least_20x_faster"] = result["sizes"]["200"]["ratio"] >= TARGET_RATIO_200
    if "2000" in result["sizes"]:
        targets["k2000_under_5s"] = result["sizes"]["2000"]["ours_seconds"] < TARGET_SECONDS_2000
    result["targets_met"] = targets
    return result


TARGET_INSIDE_RATIO_200 = 50.0
TARGET_ONE_FIT_RATIO_2000 = 10.0
TARGET_GROWTH = 20.0
TARGET_PEAK_MB_2000 = 250.0
R_INPROCESS = Path(__file__).resolve().parent / "metafor_inprocess.R"


def time_inside(path: Path, repeats: int) -> dict:
    """In this process (imports done): the analysis of PATH timed ``repeats`` times.

    Returns the runs (seconds), the fastest, the peak RSS of the process (MB) and the
    peak of the analysis's own allocations traced by ``tracemalloc`` (MB).
    """
    import resource
    import tracemalloc

    from analysis.evidence.studyfile import read_studies
    from analysis.stats.full_analysis import analyse_arrays

    t = read_studies(path, by="subgroup")

    def run():
        return analyse_arrays(
            t.study_id, t.year, t.ivig_improved, t.ivig_total, t.control_improved,
            t.control_total, by="subgroup", groups=t.groups,
        ).to_dict()  # fmt: skip

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out, runs = None, []
    for _ in range(repeats):
        start = time.perf_counter()
        out = run()
        runs.append(time.perf_counter() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    run()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "seconds": min(runs),
        "runs": runs,
        "peak_rss_mb": round(rss, 1),
        "rss_after_imports_mb": round(rss0, 1),
        "analysis_peak_alloc_mb": round(traced, 1),
        "k": out["k"],
        "random": out["random"]["estimate"],
    }


def run_inside(path: Path, repeats: int) -> dict:
    """:func:`time_inside` in a fresh process (so that its peak memory is its own)."""
    code = (
        "import json, sys; from pathlib import Path; from bench.meta_bench import time_inside; "
        f"print(json.dumps(time_inside(Path({str(path)!r}), {repeats})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ours (inside) failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_r_inside(path: Path, mode: str, repeats: int, timeout: float | None = None):
    """R metafor timed inside R (``metafor_inprocess.R``): runs and printed figures."""
    if not r_available():
        return None
    try:
        _, proc = _timed(["Rscript", str(R_INPROCESS), str(path), mode, str(repeats)], timeout)
    except subprocess.TimeoutExpired:
        return {"timed_out_after": timeout}
    if proc.returncode != 0:
        print("R metafor failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1])
        return None
    runs, figures = [], {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "seconds":
            runs.append(float(parts[1]))
        elif len(parts) == 2:
            figures[parts[0]] = float(parts[1])
    return {"seconds": min(runs), "runs": runs, "figures": figures}


def bench_inside(sizes, repeats: int, with_r: bool, workdir: Path, r_full_max_k: int = 200):
    """The in-process comparison and its targets (see the module docstring)."""
    out: dict = {
        "sizes": {},
        "statistic": "fastest of the runs, both sides",
        "load_average_at_start": list(os.getloadavg()),
    }
    for k in sizes:
        path = workdir / f"simulated_{k}.csv"
        path.write_text(simulate(k), encoding="utf-8")
        ours = run_inside(path, repeats if k <= 200 else max(1, min(repeats, 3)))
        entry = {"k": k, "ours": ours}
        if with_r:
            entry["r_one_reml_fit"] = run_r_inside(path, "one", 1 if k > 200 else repeats)
            if k <= r_full_max_k:
                entry["r_full"] = run_r_inside(path, "full", repeats)
        out["sizes"][str(k)] = entry
        print(f"k = {k:5d} inside: ours {ours['seconds']:.4f} s, peak {ours['peak_rss_mb']} MB")
    s200, s2000 = out["sizes"].get("200"), out["sizes"].get("2000")
    ratios: dict = {}
    if s200 and s200.get("r_full"):
        ratios["k200_metafor_full_over_ours"] = round(
            s200["r_full"]["seconds"] / s200["ours"]["seconds"], 1
        )
    if s2000 and s2000.get("r_one_reml_fit"):
        ratios["k2000_one_metafor_reml_fit_over_our_full_analysis"] = round(
            s2000["r_one_reml_fit"]["seconds"] / s2000["ours"]["seconds"], 1
        )
    if s200 and s2000:
        ratios["growth_200_to_2000"] = round(s2000["ours"]["seconds"] / s200["ours"]["seconds"], 1)
        ratios["peak_rss_mb_2000"] = s2000["ours"]["peak_rss_mb"]
    out["load_average_at_end"] = list(os.getloadavg())
    out["ratios"] = ratios
    targets = {}
    if "k200_metafor_full_over_ours" in ratios:
        targets["k200_at_least_50x"] = ratios["k200_metafor_full_over_ours"] >= 50
    if "k2000_one_metafor_reml_fit_over_our_full_analysis" in ratios:
        targets["k2000_at_least_10x_one_fit"] = (
            ratios["k2000_one_metafor_reml_fit_over_our_full_analysis"] >= 10
        )
    if "growth_200_to_2000" in ratios:
        targets["growth_at_most_20x"] = ratios["growth_200_to_2000"] <= TARGET_GROWTH
        targets["peak_under_250_mb"] = ratios["peak_rss_mb_2000"] < TARGET_PEAK_MB_2000
    out["targets_met"] = targets
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="k = 200, one run, no R (CI)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side (median)")
    parser.add_argument("--no-r", action="store_true", help="time our side only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for results")
    parser.add_argument(
        "--r-max-k", type=int, default=200, help="largest k at which R runs (default 200)"
    )
    parser.add_argument(
        "--r-timeout", type=float, default=None, help="stop an R run after this many seconds"
    )
    args = parser.parse_args(argv)
    sizes = (200,) if args.quick else SIZES
    repeats = 1 if args.quick else max(1, args.repeats)
    with tempfile.TemporaryDirectory(prefix="meta-bench-") as tmp:
        inside = None
        if not args.quick:
            inside = bench_inside(
                sizes, max(1, args.repeats), with_r=not args.no_r, workdir=Path(tmp)
            )
        result = bench(
            sizes,
            repeats,
            with_r=not (args.quick or args.no_r),
            workdir=Path(tmp),
            r_max_k=args.r_max_k,
            r_timeout=args.r_timeout,
        )
    result["mode"] = "quick" if args.quick else "full"
    if inside is not None:
        result = {"inside": inside, "process_to_process": result}
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / ("meta_quick.json" if args.quick else "meta.json")
    tmp_target = target.with_suffix(".json.tmp")
    tmp_target.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    tmp_target.replace(target)
    print(f"written {target}")
    return 0
