"""One surveillance run: every source searched, each failure one line, the rest reported."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from analysis.surveil.fetch import Fetcher, SourceError
from analysis.surveil.register import load_register
from analysis.surveil.screen import SurveillanceReport, candidates
from analysis.surveil.sources import SOURCES, Record, Window, queries

__all__ = ["polite_params", "search"]


def polite_params(tool: str, email: str) -> dict[str, str]:
    """NCBI's identification parameters (``tool``, ``email``; E-utilities usage guidelines)."""
    return {"tool": tool, **({"email": email} if email else {})}


def search(
    data_dir: Path,
    fetch: Fetcher,
    window: Window,
    *,
    tool: str,
    email: str,
    offline: bool = False,
    today: _dt.date | None = None,
) -> SurveillanceReport:
    """Search every source in *window*; a source that fails is reported, the others still are."""
    polite = polite_params(tool, email)
    records: list[Record] = []
    status: dict[str, str] = {}
    errors: list[str] = []
    for name, source in SOURCES.items():
        try:
            found = source(fetch, window, polite)
        except SourceError as exc:
            status[name] = f"error: {exc}"
            errors.append(f"{name}: {exc}")
            continue
        status[name] = f"ok: {len(found)} record{'s' if len(found) != 1 else ''}"
        records += found
    register = load_register(data_dir)
    return SurveillanceReport(
        window=window,
        run_on=today or _dt.datetime.now(_dt.UTC).date(),
        offline=offline,
        sources=status,
        found=tuple(candidates(records, register)),
        errors=tuple(errors),
        queries=queries(window),
    )
