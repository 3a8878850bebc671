"""``python -m analysis diff BASE HEAD``: what a data change does to the pooled results.

BASE and HEAD are each one of

* a ``results.json`` file (the bundle that ``python -m analysis build`` writes:
  ``version``, ``commit``, ``generated`` and ``comparisons``, each comparison
  being the JSON object of ``python -m analysis meta`` for its primary analysis
  plus sensitivity analyses under their own keys, or ``null`` without trials);
* a directory: a working tree whose ``data/`` is analysed with the current code
  (``.`` is the working tree you are in);
* a git revision: its ``data/`` is taken with ``git archive`` into a temporary
  directory and analysed with the *current* code, so that only the data differ.

Without BASE, the base is where the current branch left ``main`` (the merge base with
``main``, or ``origin/main`` in a fresh clone), so a contributor's committed branch shows
its change; a revision or tag that does not exist is one line.

The report (plain text on a terminal, Markdown for the pull-request comment or a file:
``--format``) opens with one line per comparison whose main result changed, in words
(:mod:`~analysis.publish.diff.headline`), then lists trials added, removed or
changed (with the fields that changed) and, for every pooled result, the old
and new estimate, CI, tau², I² and k (the sensitivity analyses folded behind one
summary line), flagging a change of statistical
significance (the 95 % CI starts or stops excluding the null: 1 for ratio
measures, 0 for the risk difference) or of direction (the estimate crosses the
null). It is the pull-request comment and, for each release, the changelog
entry.

The package: :mod:`~analysis.publish.diff.compare` (what differs, pure),
:mod:`~analysis.publish.diff.comment` (the report in words),
:mod:`~analysis.publish.diff.sides` (reading a results file, a working tree or a git
revision), :mod:`~analysis.publish.diff.headline` (the first lines),
:mod:`~analysis.publish.diff.labels` (keys in words), :mod:`~analysis.publish.diff.style`
(Markdown or text), and here the command line and the before/after forest plots (SVG and
PNG).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from analysis import escape
from analysis.evidence.changed import merge_base_with
from analysis.publish.diff import comment, style
from analysis.publish.diff.comment import headline, markdown, text, word_diff
from analysis.publish.diff.compare import (
    COMPARISONS,
    Pooled,
    PooledChange,
    ResultsDiff,
    Side,
    TrialChange,
    compare,
    diff_bibliography,
    diff_package,
    diff_pooled,
    diff_trials,
    pooled_results,
    read_studies,
)
from analysis.publish.diff.sides import (
    _run_git,
    _uncommitted,
    bundle_at_revision,
    here,
    load_side,
)

HELP = "how the trials and pooled results differ between two versions (text or Markdown)"

__all__ = [
    "COMPARISONS",
    "HELP",
    "Pooled",
    "PooledChange",
    "ResultsDiff",
    "Side",
    "TrialChange",
    "add_arguments",
    "bundle_at_revision",
    "compare",
    "diff_bibliography",
    "diff_package",
    "diff_pooled",
    "diff_trials",
    "forest_images",
    "headline",
    "images_note",
    "load_side",
    "markdown",
    "pooled_results",
    "read_studies",
    "run",
    "text",
    "word_diff",
    # used by the release command and its tests
    "_run_git",
    "_uncommitted",
]


def forest_images(d: ResultsDiff, out: Path) -> list[Path]:
    """Before and after forest plots (SVG, and PNG beside it for GitHub and viewers without
    SVG; drawn by vl-convert) of every comparison whose primary random-effects result
    moved, written into ``out``; returns the files.

    The comment only names them (the CI run attaches ``out`` as an artifact): no image
    drawn from a pull request's data is ever embedded in the comment.
    """
    import vl_convert as vlc

    from analysis.report import charts
    from analysis.report.chart_display import vl_version

    written: list[Path] = []
    moved = [c.ref.comparison for c in d.pooled if c.primary and c.changed]
    for comp in dict.fromkeys(moved):
        if comp not in COMPARISONS:
            continue  # a name from a results file: never a file name
        for side, when in ((d.base, "before"), (d.head, "after")):
            r = ((side.bundle or {}).get("comparisons") or {}).get(comp)
            if not isinstance(r, Mapping) or not r.get("studies"):
                continue
            fig = charts.forest(dict(r), name=f"{comp}-{when}", by=None)
            spec = dict(fig.spec())
            if spec.get("width") == "container":
                spec["width"] = 520
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"forest-{comp.replace('_', '-')}-{when}.svg"
            path.write_text(vlc.vegalite_to_svg(spec, vl_version=vl_version()), encoding="utf-8")
            png = path.with_suffix(".png")
            png.write_bytes(vlc.vegalite_to_png(spec, vl_version=vl_version(), scale=2))
            written += [path, png]
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "base",
        metavar="BASE",
        nargs="?",
        help="git revision or tag, results.json or directory (default: where your branch"
        " left main, the merge base of HEAD and main or origin/main)",
    )
    parser.add_argument(
        "head",
        metavar="HEAD",
        nargs="?",
        default=".",
        help="git revision, results.json or directory (default: the working tree, '.')",
    )
    parser.add_argument(
        "--format",
        choices=style.FORMATS,
        help="text for a terminal (the default there) or markdown (the pull-request comment;"
        " the default when the output is a file or a pipe)",
    )
    parser.add_argument("--output", "-o", type=Path, help="write the report here, not to stdout")
    parser.add_argument(
        "--images",
        type=Path,
        metavar="DIR",
        help="write before/after forest plots (SVG and PNG) of comparisons whose main result moved",
    )


def _format(args: argparse.Namespace) -> str:
    if getattr(args, "format", None):
        return str(args.format)
    return "text" if not getattr(args, "output", None) and sys.stdout.isatty() else "markdown"


def run(args: argparse.Namespace) -> int:
    fmt = _format(args)
    repo = here()
    if getattr(args, "base", None):
        base = load_side(args.base, repo)
    else:  # where the branch left main: labelled with the branch, not a bare commit
        branch, sha = merge_base_with(repo)
        base = dataclasses.replace(load_side(sha, repo), label=branch)
    d = compare(base, load_side(args.head, repo))
    report = comment.report(d, 2, fmt)
    if getattr(args, "images", None):
        files = forest_images(d, args.images)
        if files:
            report += images_note(files, fmt, getattr(args, "images_url", None))
    if fmt == "markdown":
        # escaped first, cut second: the cut report stays below GitHub's limit
        report = escape.truncate_comment(report)
    if args.output:
        tmp = args.output.with_name(args.output.name + ".tmp")
        tmp.write_text(report, encoding="utf-8")
        tmp.replace(args.output)
    else:
        print(report, end="")
    return 0


_SAFE_URL = re.compile(r"https://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")


def images_note(files: list[Path], fmt: str, url: str | None = None) -> str:
    """The line naming the before/after plots: PNG (what GitHub and most viewers show),
    with their SVG beside them; in Markdown a link to the CI run's ``forest-plots``
    artifact when ``url`` (an ``https`` address) is given."""
    pngs = [f for f in files if f.suffix == ".png"] or files
    if fmt == "text":
        names = ", ".join(str(f) for f in pngs)
        return f"\nBefore/after forest plots of the comparisons that moved: {names} (SVG beside).\n"
    names = ", ".join(escape.code(f.name) for f in pngs)
    where = "this CI run's `forest-plots` artifact"
    if url and _SAFE_URL.fullmatch(url):
        where = f"[{where}]({url})"
    return (
        f"\nBefore/after forest plots of the comparisons that moved: {names} (PNG; SVG beside),"
        f" in {where}.\n"
    )
