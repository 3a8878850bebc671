"""Time the few-trials analyses: the GLMMs against metafor's rma.glmm, the Bayesian model.

``python -m bench.glmm_bench [--no-r]`` simulates 100 two-arm trials (a fixed seed; arms of
20 to 200 patients, baseline risk 5 % to 40 %, log odds ratio 0.4 with tau 0.3), then:

- GLMM, UM.FS and CM.EL: ours timed inside the process after imports (fastest of 3 runs,
  ``time.perf_counter``), metafor 3.8-1's ``rma.glmm`` timed inside R after
  ``library(metafor)`` (``bench/glmm_rma.R``, one run: it takes seconds to minutes).
  Goal (issue 23): 100x faster than rma.glmm.
- Bayesian random effects at k = 200 (log odds ratios of the simulated trials extended to
  200): fastest of 20 runs. Goal: under 50 ms.

Writes ``bench/results/glmm.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.stats.bayes import bayes_re
from analysis.stats.effects import escalc
from analysis.stats.glmm import MODELS, glmm_or

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "glmm.json"


def simulate(k: int, seed: int = 23):
    """k two-arm trials: events and totals, treatment then control."""
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(20, 201, k), rng.integers(20, 201, k)
    base = rng.uniform(0.05, 0.4, k)
    theta = rng.normal(0.4, 0.3, k)
    lo = np.log(base / (1 - base))
    p1 = 1 / (1 + np.exp(-(lo + theta)))
    return rng.binomial(n1, p1), n1, rng.binomial(n2, base), n2


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-r", action="store_true", help="skip the R timings")
    args = parser.parse_args(argv)
    ai, n1, ci, n2 = simulate(100)
    out: dict = {"k_glmm": 100, "k_bayes": 200, "glmm": {}, "bayes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "glmm100.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["study_id", "year", "ivig_improved", "ivig_total", "control_improved",
                        "control_total"])  # fmt: skip
            for i in range(100):
                w.writerow([f"S{i}", 2000, ai[i], n1[i], ci[i], n2[i]])
        for model in MODELS:
            fit = glmm_or(ai, n1, ci, n2, model)
            ours = _best(lambda m=model: glmm_or(ai, n1, ci, n2, m), 3)
            row = {"ours_s": round(ours, 4), "b": fit.b, "tau2": fit.tau2}
            if not args.no_r:
                run = subprocess.run(
                    ["Rscript", str(HERE / "glmm_rma.R"), str(path), model],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                secs, b, tau2 = (float(x) for x in run.stdout.split())
                row.update({"rma_glmm_s": secs, "rma_glmm_b": b, "rma_glmm_tau2": tau2,
                            "speedup": round(secs / ours, 1)})  # fmt: skip
            out["glmm"][model] = row
            print(model, row, flush=True)
    rng = np.random.default_rng(200)
    a2, m1, c2, m2 = simulate(200, seed=200)
    es = escalc(a2, m1, c2, m2, "OR")
    bayes_re(es.yi, es.sei)
    t = _best(lambda: bayes_re(es.yi, es.sei, measure="OR"), 20)
    out["bayes"] = {"seconds": round(t, 5), "goal_s": 0.05, "met": t < 0.05}
    del rng
    print("bayes k=200", out["bayes"], flush=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
