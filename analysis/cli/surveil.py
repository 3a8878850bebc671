"""``python -m analysis surveil``: the search for new trials and the integrity watch.

Prints the Markdown report (``--json``: one JSON object). ``--offline DIR`` replays
recorded API responses instead of the network. ``--open-issues`` opens or updates one
GitHub issue per new candidate (and, with ``--integrity``, per update of an included
trial's report; with ``--counts-wanted``, per pending trial), through the REST API at
``$GITHUB_API_URL`` for ``$GITHUB_REPOSITORY`` with ``$GITHUB_TOKEN``.

Exit status: 0 when every source answered, 1 when one or more failed (each named in one
line on standard error; the others are still reported), 2 on a usage or data error.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
from pathlib import Path

from analysis.errors import UserError

HELP = "Search PubMed, Europe PMC and ClinicalTrials.gov for new trials; watch included ones."

DATA = Path(__file__).resolve().parents[2] / "data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", type=_dt.date.fromisoformat, help="window start YYYY-MM-DD (default: 7 days ago)"
    )
    parser.add_argument(
        "--until", type=_dt.date.fromisoformat, help="window end YYYY-MM-DD (default: today)"
    )
    parser.add_argument(
        "--offline", type=Path, metavar="DIR", help="replay recorded API responses from DIR"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--integrity",
        action="store_true",
        help="also check Crossref updates and posted results of the register's trials",
    )
    parser.add_argument(
        "--counts-wanted",
        action="store_true",
        help="with --open-issues: one issue per pending trial, closed when its counts land",
    )
    parser.add_argument(
        "--open-issues",
        action="store_true",
        help="open or update GitHub issues ($GITHUB_TOKEN, $GITHUB_REPOSITORY, $GITHUB_API_URL)",
    )
    parser.add_argument("--data", type=Path, default=DATA, help=argparse.SUPPRESS)


def _fetcher(args: argparse.Namespace, tool: str, email: str):
    from analysis.surveil.fetch import Http, Replay

    if args.offline is not None:
        if not args.offline.is_dir():
            raise UserError(f"{args.offline}: no such folder of recorded responses")
        return Replay(args.offline)
    if not email:
        raise UserError(
            "data/surveillance.yaml:-:contact_email: required to call the APIs "
            "(or set IVIG_CONTACT_EMAIL); NCBI and Crossref ask for a contact"
        )
    return Http(tool=tool, email=email)


def _protocol_rules(data: Path) -> list[str]:
    """The outcome-selection rules of ``protocol.yaml``, in order (none if it is absent)."""
    path = data / "protocol.yaml"
    if not path.is_file():
        return []
    from analysis.evidence import protocol

    return [r.text for r in sorted(protocol.load(path).rules, key=lambda r: r.rule)]


def run(args: argparse.Namespace) -> int:
    from analysis.evidence.surveillance import load_plan
    from analysis.surveil import integrity, issues
    from analysis.surveil.run import search
    from analysis.surveil.sources import Window

    plan = load_plan(args.data)
    today = _dt.datetime.now(_dt.UTC).date()
    until = args.until or today
    since = args.since or until - _dt.timedelta(days=7)
    if since > until:
        raise UserError(f"surveil: --since {since} is after --until {until}")
    fetch = _fetcher(args, plan.tool, plan.contact_email)
    report = search(
        args.data,
        fetch,
        Window(since, until),
        tool=plan.tool,
        email=plan.contact_email,
        offline=args.offline is not None,
        today=today,
    )
    errors = list(report.errors)
    watch = None
    if args.integrity:
        watch = integrity.watch(args.data, fetch, mailto=plan.contact_email)
        errors += list(watch.errors)
    if args.json:
        out = report.to_dict()
        if watch is not None:
            out["integrity"] = watch.to_dict()
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(report.to_markdown(), end="")
        if watch is not None:
            print("\n" + watch.to_markdown(), end="")
    if args.open_issues:
        from analysis.surveil.register import load_register

        client = issues.client_from_env(os.environ)
        register = load_register(args.data)
        columns = list(register.trials[0].row) if register.trials else None
        actions = issues.sync_candidates(client, report, columns)
        if watch is not None:
            actions += issues.sync_integrity(client, watch)
        if args.counts_wanted:
            posted = {s: (n, d) for s, n, d in watch.results_posted} if watch else {}
            rules = _protocol_rules(args.data)
            actions += issues.sync_counts_wanted(client, register, rules, posted)
        for line in actions:
            print(line, file=sys.stderr)
    for line in errors:
        print(f"source error: {line}", file=sys.stderr)
    return 1 if errors else 0
