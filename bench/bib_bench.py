"""``python -m bench.bib_bench``: time the ``.bib`` reader on 10k and 100k entries.

The goal (issue 11): the reader is linear, so 100k entries take about ten times what 10k
take (the old reader took 17 s for 10k entries and over 90 s for 100k). Times are
reported in ``bench/results/bibtex.json``, never asserted by a unit test.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from analysis.evidence import bibtex

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic(n: int) -> str:
    """``n`` article entries of six fields each (about 230 bytes per entry)."""
    return "".join(
        f"@article{{Author{i}_{i % 97},\n  author = {{Author, A. and {{Group {i}}}}},\n"
        f"  title = {{Trial {i} of {{IVIG}}}},\n  journal = {{J}},\n  year = {{1996}},\n"
        f"  doi = {{10.1000/x{i}}},\n  pages = {{1--{i}}}\n}}\n\n"
        for i in range(n)
    )


def run(sizes: tuple[int, ...]) -> dict:
    out = {}
    for n in sizes:
        text = synthetic(n)
        t0 = time.perf_counter()
        entries, problems = bibtex.parse(text)
        seconds = time.perf_counter() - t0
        assert len(entries) == n and not problems
        out[str(n)] = {"seconds": round(seconds, 3), "bytes": len(text)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k entries only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (10_000, 100_000)
    result = {"sizes": run(sizes), "mode": "quick" if args.quick else "full"}
    args.out.mkdir(parents=True, exist_ok=True)
    name = "bibtex_quick.json" if args.quick else "bibtex.json"
    (args.out / name).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
