"""Page weight and chart draw time of the home page, in a real browser.

Usage (from the repository root)::

    .venv/bin/python -m bench.page_weight [--site DIR] [--runs N]

Builds the site with ``python -m analysis build`` into a temporary directory
(or takes an already built ``--site``), serves it on 127.0.0.1, and loads the
home page ``N`` times in Debian's Chromium, each time in a fresh browser context
(empty cache). It records

* the page weight: uncompressed bytes of the page and everything it loads
  (budget 1.5 MB, also asserted by ``tests/browser/test_weight.py``);
* the draw time: milliseconds from navigation start until every Vega view on the
  page has data marks (target 2 s on the 2-core machine), median of the runs;
  the home page draws the summary forest plot, so its weight includes the Vega
  bundle and its draw time is the home page's own (``draw_ms``); the same two
  figures are also recorded for every chapter with charts (``chart_pages``);

into ``bench/results/page_weight.json`` (written atomically).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser.harness import (  # noqa: E402
    build_site,
    chapter_pages,
    launch,
    load_profile,
    serve,
)

RESULT = ROOT / "bench" / "results" / "page_weight.json"
BUDGET_BYTES = 1_500_000
DRAW_TARGET_MS = 2_000


def _commit() -> str | None:
    proc = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or None


def _summary(profiles: list[dict]) -> dict:
    """Weight (first load) and draw-time statistics of repeated loads of one page."""
    first = profiles[0]
    draws = [p["draw_ms"] for p in profiles if p["draw_ms"] is not None]
    median = statistics.median(draws) if draws else None
    return {
        "weight_bytes": first["weight_bytes"],
        "weight_stable": len({p["weight_bytes"] for p in profiles}) == 1,
        "within_budget": first["weight_bytes"] < BUDGET_BYTES,
        "charts": first["charts"],
        "draw_ms": {
            "runs": [round(d, 1) for d in draws],
            "median": None if median is None else round(median, 1),
            "max": None if not draws else round(max(draws), 1),
            "within_target": None if median is None else median <= DRAW_TARGET_MS,
        },
        "resources": sorted(
            (
                {
                    "path": urlsplit(r["url"]).path,
                    "bytes": r["bytes"],
                    "content_type": r["content_type"],
                }
                for r in first["resources"]
            ),
            key=lambda r: -r["bytes"],
        ),
    }


def measure(site: Path, runs: int) -> dict:
    """Load the home page (and every page with charts) ``runs`` times each; JSON-ready figures.

    The home page is the budgeted page; the chapters with charts are measured the
    same way so the draw time of the heaviest charts is on record too.
    """
    pages = chapter_pages()
    out: dict = {}
    with serve(site) as url, launch() as browser:
        load_profile(browser, url)  # warm the server and the browser's own start-up
        for page in pages:
            first = load_profile(browser, url + page)
            if page != "index.html" and not first["charts"]:
                continue
            profiles = [first] + [load_profile(browser, url + page) for _ in range(runs - 1)]
            out[page] = _summary(profiles)
    home = out.pop("index.html")
    if not home["charts"] or home["draw_ms"]["median"] is None:
        raise RuntimeError("the home page drew no chart: its draw time cannot be measured")
    for entry in out.values():
        del entry["resources"]
    return {
        "page": "index.html",
        "budget_bytes": BUDGET_BYTES,
        "draw_target_ms": DRAW_TARGET_MS,
        **home,
        "chart_pages": out,
        "runs_per_page": runs,
        "browser": "Debian chromium (headless), fresh context per run, no cache",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "commit": _commit(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--runs", type=int, default=5, help="page loads to time (default 5)")
    parser.add_argument("--out", type=Path, default=RESULT, help=f"default {RESULT}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-weight-") as tmp:
        if args.site is not None:
            site = args.site
        else:
            print("building the site ...", file=sys.stderr)
            site = build_site(Path(tmp) / "site")
        result = measure(site, max(1, args.runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".tmp")
    partial.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, args.out)
    print(
        f"home page: {result['weight_bytes']:,} bytes (budget {BUDGET_BYTES:,}), "
        f"{result['charts']} charts, drawn in {result['draw_ms']['median']} ms",
        file=sys.stderr,
    )
    for page, entry in result["chart_pages"].items():
        print(
            f"{page}: {entry['weight_bytes']:,} bytes, {entry['charts']} charts drawn in "
            f"{entry['draw_ms']['median']} ms median (target {DRAW_TARGET_MS} ms)",
            file=sys.stderr,
        )
    print(f"-> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
