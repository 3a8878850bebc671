"""The command line: ``python -m analysis COMMAND``.

Each command lives in its own module, which defines

* ``HELP``: a one-line description,
* ``add_arguments(parser: argparse.ArgumentParser) -> None``,
* ``run(args: argparse.Namespace) -> int``: the exit status.

Modules are imported only when their command runs, so a slow import (Altair,
Jupyter) never delays ``meta`` or ``validate``.

Errors that a user can fix (bad data, a missing file) are raised as
:class:`UserError`; :func:`main` prints them as one line on standard error and
exits with status 2, with nothing on standard output.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from analysis.errors import UserError

#: command name -> module that implements it
COMMANDS: dict[str, str] = {
    "meta": "analysis.cli.meta",
    "validate": "analysis.cli.validate",
    "build": "analysis.publish.build",
    "preview": "analysis.publish.preview",
    "diff": "analysis.publish.diff",
    "release": "analysis.publish.release",
    "assemble": "analysis.publish.versioned_site",
    "surveil": "analysis.cli.surveil",
}


def _load(name: str):
    return importlib.import_module(COMMANDS[name])


def build_parser(available: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="IVIG living meta-analysis: analyse, validate, build and publish.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in available if available is not None else COMMANDS:
        try:
            module = _load(name)
        except ModuleNotFoundError as exc:  # a command whose module is not written yet
            if exc.name != COMMANDS[name]:
                raise
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Import only the module of the command asked for (fast start), unless help is wanted.
    wanted = [a for a in argv if not a.startswith("-")][:1]
    available = wanted if wanted and wanted[0] in COMMANDS else None
    parser = build_parser(available)
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
