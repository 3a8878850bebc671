"""The living review's surveillance in the Methods and in the PRISMA flow (PRISMA-LSR).

Read from the results bundle's ``surveillance`` section (``data/surveillance.yaml``, read
by :mod:`analysis.evidence.surveillance` when the bundle was computed): the sources
searched, how often, since when, the date of the last screened run, how candidates are
screened, and the register trials first found by the surveillance search.
"""

from __future__ import annotations

from IPython.display import Markdown

from analysis import escape
from analysis.report import text
from analysis.report.chapters.loading import section

__all__ = ["methods_surveillance", "surveillance_flow"]


def _plan() -> dict:
    return section("surveillance")


def surveillance_flow() -> dict:
    """The PRISMA flow's surveillance stage: ``since`` (date) and ``found`` (trials)."""
    plan = _plan()
    return {"since": plan["started"], "found": len(plan["found_by_surveillance"])}


def methods_surveillance() -> Markdown:
    """The surveillance paragraph of the Methods (PRISMA-LSR: search frequency, sources,
    date of the last run, screening of new records, what stops a release)."""
    plan = _plan()
    names = [escape.markdown(s) for s in plan["sources"]]  # data: shown as plain text
    return Markdown(
        text.render(
            "methods_surveillance.md.j2",
            started=plan["started"],
            last_run=plan["last_screened_run"] or None,
            frequency=escape.markdown(plan["frequency"]),
            screening=escape.markdown(plan["screening"]),
            sources=", ".join(names[:-1]) + " and " + names[-1]
            if len(names) > 1
            else "".join(names),
            found=text.count(len(plan["found_by_surveillance"]), "trial"),
        )
    )
