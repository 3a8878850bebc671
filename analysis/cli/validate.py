"""``python -m analysis validate [PATH]``: check the trial data, report every problem.

Errors and warnings go to standard error, one per line, as
``file:row:column: rule broken (value)`` (warnings say ``warning:``). The exit
status is 2 when there is any error and 0 otherwise; warnings never fail.
When the data are clean a one-line summary goes to standard output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "check data/ (or DIR, or one CSV file) against the schema and the domain rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        metavar="PATH",
        help="a directory holding studies.csv (default: the project's data/) or a CSV file; "
        "datapackage.json and references.bib are taken from beside it when present, "
        "else from data/",
    )
    parser.add_argument(
        "--protocol",
        action="store_true",
        help="after checking, print which rule of protocol.yaml selected which outcome"
        " of each trial",
    )
    parser.add_argument(
        "--outcomes-dictionary",
        action="store_true",
        help="print the data dictionary of outcomes.csv (Markdown) and exit",
    )
    parser.add_argument(
        "--dictionary",
        action="store_true",
        help="print the data dictionary (Markdown, from datapackage.json) and exit",
    )


def run(args: argparse.Namespace) -> int:
    from analysis.evidence.validate import display, validate

    if args.dictionary:
        from analysis.evidence.studies import datadictionary

        print(datadictionary(), end="")
        return 0
    if getattr(args, "outcomes_dictionary", False):
        from analysis.evidence.outcomes import dictionary

        print(dictionary(), end="")
        return 0
    report = validate(args.path)
    for p in report.errors:
        print(p, file=sys.stderr)
    for p in report.warnings:
        print(p, file=sys.stderr)
    ne, nw = len(report.errors), len(report.warnings)
    summary = (
        f"{display(report.studies)}: {len(report.records)} rows, "
        f"{ne} error{'s' if ne != 1 else ''}, {nw} warning{'s' if nw != 1 else ''}"
    )
    if ne:
        print(summary, file=sys.stderr)
        return 2
    print(summary)
    if getattr(args, "protocol", False):
        from analysis.evidence.outcomes import selection_lines

        print("\n".join(selection_lines(report)))
    return 0
