"""``python -m analysis validate [PATH]``: check the trial data, report every problem.

Errors and warnings go to standard error, one per line, as
``file:row:column: rule broken (value)`` (warnings say ``warning:``). The exit
status is 2 when there is any error and 0 otherwise; warnings never fail.
When the data are clean a one-line summary goes to standard output.

``--fix`` first rewrites what a spreadsheet did to the CSV files (byte-order mark,
Windows line endings, Windows-1252 text): line endings and encoding only, never a value.
``--changed [BASE]`` shows the warnings of the rows changed since BASE (default: where
the branch left main) and every error.
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
    parser.add_argument(
        "--fix",
        action="store_true",
        help="first rewrite what a spreadsheet did to the CSV files (byte-order mark, Windows"
        " line endings, Windows-1252 text): line endings and encoding only, never a value",
    )
    parser.add_argument(
        "--changed",
        nargs="?",
        const="",
        metavar="BASE",
        help="warnings only for the rows changed since BASE (a revision or tag; default: where"
        " your branch left main or origin/main); errors are always shown",
    )


def _fix(table: Path) -> None:
    from analysis.evidence import spreadsheet
    from analysis.evidence.certainty_file import CERTAINTY
    from analysis.evidence.validate import display

    for path in dict.fromkeys((table, table.parent / CERTAINTY)):
        if not path.is_file():
            continue
        done = spreadsheet.fix(path)
        if done.refused:
            print(f"{display(path)}: not fixed: {done.refused}", file=sys.stderr)
        elif done.changes:
            print(f"{display(path)}: fixed: {', '.join(done.changes)}")


def run(args: argparse.Namespace) -> int:
    from analysis.evidence.validate import display, locate, validate

    if args.dictionary:
        from analysis.evidence.studies import datadictionary

        print(datadictionary(), end="")
        return 0
    if getattr(args, "outcomes_dictionary", False):
        from analysis.evidence.outcomes import fields
        from analysis.evidence.studies import datadictionary

        print(datadictionary(fields=fields()), end="")
        return 0
    if args.changed and args.path is None and Path(args.changed).exists():
        args.path, args.changed = Path(args.changed), ""  # `validate --changed data`
    if getattr(args, "fix", False):
        _fix(locate(args.path)[0])
    report = validate(args.path)
    problems, scope = report.problems, ""
    if getattr(args, "changed", None) is not None:
        from analysis.evidence import changed, search
        from analysis.evidence.certainty_file import CERTAINTY

        beside = report.studies.parent
        files = (report.package, report.bibliography, beside / CERTAINTY, beside / search.FILE)
        others = {display(p): p for p in files}
        only = changed.filter_problems(
            problems, report.studies, display(report.studies), others, args.changed or None
        )
        problems = only.problems
        n = len(only.rows)
        scope = f" on the {n} row{'s' if n != 1 else ''} changed since {only.base[:12]}"
        if only.hidden:
            scope += (
                f" ({only.hidden} more warning{'s' if only.hidden != 1 else ''} on other rows:"
                " validate without --changed lists them)"
            )
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for p in errors + warnings:
        print(p, file=sys.stderr)
    ne, nw = len(errors), len(warnings)
    summary = (
        f"{display(report.studies)}: {len(report.records)}"
        f" row{'s' if len(report.records) != 1 else ''}, "
        f"{ne} error{'s' if ne != 1 else ''}, {nw} warning{'s' if nw != 1 else ''}{scope}"
    )
    if ne:
        print(summary, file=sys.stderr)
        return 2
    print(summary)
    if getattr(args, "protocol", False):
        from analysis.evidence.outcomes import selection_lines

        print("\n".join(selection_lines(report)))
    return 0
