"""Loading, once per kernel: the project root, the results bundle, the study rows, a
comparison's entry (as a dict and typed), and the lazy imports of the heavy modules."""

from __future__ import annotations

import importlib
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import UserError
from analysis.report import chapters as site
from analysis.report import text


class _OnFirstUse:
    """A module imported when one of its names is first used.

    Every chapter's kernel imports this module; pandas and Altair (through the data,
    bundle and chart modules) take seconds to import, and the chapters that show no
    table or chart (citation, downloads, changelog) need neither.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if TYPE_CHECKING:
    import pandas as pd

    from analysis.evidence import studies as data_mod
    from analysis.report import charts, data_sections
    from analysis.report import comparison as comparison_mod
    from analysis.report import results_bundle as bundle_mod
    from analysis.report.comparison import Comparison, Unavailable
else:
    pd = _OnFirstUse("pandas")
    comparison_mod = _OnFirstUse("analysis.report.comparison")
    data_mod = _OnFirstUse("analysis.evidence.studies")
    charts = _OnFirstUse("analysis.report.charts")
    bundle_mod = _OnFirstUse("analysis.report.results_bundle")
    data_sections = _OnFirstUse("analysis.report.data_sections")

COMPARISON_KEYS = tuple(text.COMPARISONS)

#: width the printed (SVG/PDF) copy of a chart gets when the web view follows its container
PRINT_WIDTH = 520


# --------------------------------------------------------------------------- loading


def root() -> Path:
    """The project root: ``$IVIG_ROOT`` if set, else the checkout holding this package."""
    env = os.environ.get("IVIG_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parents[3]


@cache
def bundle() -> dict:
    """The results bundle, once per process.

    During ``python -m analysis build`` this is the ``results.json`` the build has just
    written (``$IVIG_RESULTS``), so every page shows exactly the published numbers;
    otherwise it is computed (``analysis.report.results_bundle.compute(root())``).
    """
    path = os.environ.get("IVIG_RESULTS")
    if path and Path(path).is_file():
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return bundle_mod.compute(root())


@cache
def studies() -> pd.DataFrame:
    """Every trial of the register, as the results bundle carries it (``studies``: the rows
    the build validated, the columns a chapter uses), with the dtypes of
    :func:`analysis.evidence.studies.load_studies` (nullable ``Int64`` counts and years,
    ``string`` text). No chapter reads ``data/``: the build validates it once."""
    return data_sections.frame(section("studies"), section("data_dictionary"))


def section(key: str) -> Any:
    """A data section of the bundle (:mod:`analysis.report.data_sections`); a clear error
    when the data set it was computed from had no such file."""
    value = bundle().get(key)
    if value is None:
        raise UserError(
            f"results bundle: no {key!r} section (its file was not in data/, or the bundle "
            "was written before the chapters read only the bundle)"
        )
    return value


def comparison(name: str) -> dict | None:
    """The bundle entry of a comparison (None when no trial is in its primary analysis)."""
    _check(name)
    return bundle()["comparisons"][name]


_TYPED: dict[str, tuple[dict, Comparison]] = {}


def result(name: str) -> Comparison | None:
    """The typed bundle entry of a comparison (None when no trial is in its primary
    analysis): :class:`analysis.report.comparison.Comparison`, read strictly, once per
    bundle entry (a new bundle, as after ``bundle.cache_clear()``, is read again)."""
    e = comparison(name)
    if e is None:
        return None
    seen = _TYPED.get(name)
    if seen is None or seen[0] is not e:
        seen = (e, comparison_mod.Comparison.from_dict(name, e))
        _TYPED[name] = seen
    return seen[1]


def unavailable(name: str) -> Unavailable:
    """Why a comparison has no primary analysis, with its sensitivity analyses, typed
    (:class:`analysis.report.comparison.Unavailable`, read by the codec that wrote it)."""
    _check(name)
    from analysis.stats.result_json import from_json

    return from_json(
        comparison_mod.Unavailable, bundle()["unavailable"][name], f"unavailable.{name}"
    )


def primary_rows(name: str) -> pd.DataFrame:
    """The study rows of a comparison's primary analysis."""
    _check(name)
    return data_mod.primary(site.studies(), name)


def _check(name: str) -> None:
    if name not in COMPARISON_KEYS:
        raise ValueError(f"comparison must be one of {', '.join(COMPARISON_KEYS)}: {name!r}")


def _key(name: str, *parts: str) -> str:
    return ".".join(("comparisons", name, *parts))


def label(name: str) -> str:
    """``Placebo``, ``Plasma exchange``, ``Corticosteroids``."""
    return text.COMPARISONS[name][1]


def register_counts() -> dict:
    """The PRISMA counts of the bundle."""
    return bundle()["register"]


def search_record():
    """The search record (``data/search.yaml`` as the bundle carries it, ``search``), as
    :class:`analysis.evidence.search.SearchRecord`."""
    from datetime import date

    from analysis.evidence.search import SearchRecord

    s = section("search")
    return SearchRecord(
        eligibility=dict(s["eligibility"]),
        source_review_search=dict(s["source_review_search"]),
        sources=tuple(dict(x) for x in s["sources"]),
        access=s["access"],
        extraction=dict(s["extraction"]),
        identification_started=date.fromisoformat(s["identification_started"]),
        last_searched=date.fromisoformat(s["last_searched"]),
        unidentified_leads=tuple(s["unidentified_leads"]),
    )


def last_searched() -> str:
    """The date the evidence was last searched, ``YYYY-MM-DD`` (from ``data/search.yaml``)."""
    return str(section("search")["last_searched"])


def new_trials() -> list[str]:
    """Study ids of the register published after the source review's search ended
    (:func:`analysis.evidence.search.new_since_source_review`, in the bundle)."""
    return [str(s) for s in section("search")["new_trials"]]


def _month(iso: str) -> str:
    """``2021-11`` -> ``November 2021``; a full date -> ``30 November 2026``."""
    from datetime import date

    parts = iso.split("-")
    if len(parts) == 2:
        return date(int(parts[0]), int(parts[1]), 1).strftime("%B %Y")
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"
