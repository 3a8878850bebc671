"""What the chapters show of ``data/``, carried in the results bundle.

The build validates ``data/`` once and computes the results bundle from the validated rows;
the chapters (one Jupyter kernel each) then read only the bundle, never ``data/``. This
module makes the bundle's data sections from what :func:`analysis.report.results_bundle.compute`
has already read, and turns them back into what the chapters use:

``studies``
    the register's rows (:data:`COLUMNS`, the columns a chapter shows or selects by), in
    the order of ``studies.csv``, as plain JSON values (``null`` for a blank cell);
    :func:`frame` rebuilds the DataFrame :func:`analysis.evidence.studies.load_studies`
    gives (nullable ``Int64`` integers, ``string`` text);
``data_dictionary``
    the schema fields of ``studies.csv`` from ``data/datapackage.json`` (the data
    dictionary page);
``search``
    the search record (``data/search.yaml``, dates as ``YYYY-MM-DD``) with
    ``source_review_until`` and ``new_trials``, the register's trials published after the
    source review's search (:func:`analysis.evidence.search.new_since_source_review`);
``surveillance``
    the facts of ``data/surveillance.yaml`` the Methods and the PRISMA flow show (never the
    contact address);
``published``
    the published pooled results of ``data/published.yaml``;
``outcomes``
    every outcome of ``data/outcomes.csv`` (:func:`outcome_rows`, added by
    :mod:`analysis.report.protocol_results`, which reads that file).

A section whose file is absent from the data set is ``null``; the chapter that needs it
says so. Every text here is data: the chapters escape it (:mod:`analysis.escape`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "COLUMNS",
    "SECTIONS",
    "compute",
    "dictionary",
    "frame",
    "outcome_rows",
    "published",
    "search",
    "surveillance",
]

#: the register's columns the chapters use (tables, register, forest labels, risk of bias,
#: methods); identifiers for tools (pmid, doi), crossover and re-report notes and the
#: risk-of-bias source stay in ``studies.csv``
COLUMNS = (
    "study_id",
    "author",
    "year",
    "disease",
    "population",
    "comparator",
    "ivig_improved",
    "ivig_total",
    "control_improved",
    "control_total",
    "outcome_type",
    "outcome_definition",
    "timepoint",
    "design",
    "status",
    "source_url",
    "source_quote",
    "notes",
    "rob_d1",
    "rob_d2",
    "rob_d3",
    "rob_d4",
    "rob_d5",
    "rob_overall",
)

#: the bundle's top-level keys this module fills (``outcomes`` through protocol_results)
SECTIONS = ("studies", "data_dictionary", "search", "surveillance", "published", "outcomes")


def _plain(value: Any) -> Any:
    """Plain JSON values: dates as ``YYYY-MM-DD``, pandas' missing as None, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.date):
        return value.isoformat()
    if value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def _rows(df: pd.DataFrame) -> list[dict]:
    cols = [c for c in COLUMNS if c in df.columns]
    return [_plain(r) for r in df.loc[:, cols].to_dict("records")]


def search(data_dir: Path, df: pd.DataFrame) -> dict | None:
    """The ``search`` section: the search record and the trials new since the source review."""
    from analysis.evidence import search as search_file

    if not (data_dir / search_file.FILE).is_file():
        return None
    rec = search_file.load(data_dir)
    years = {str(s): int(y) for s, y in zip(df["study_id"], df["year"], strict=True)}
    return _plain(
        {
            "eligibility": rec.eligibility,
            "source_review_search": rec.source_review_search,
            "source_review_until": rec.source_review_until,
            "sources": rec.sources,
            "access": rec.access,
            "extraction": rec.extraction,
            "identification_started": rec.identification_started,
            "last_searched": rec.last_searched,
            "unidentified_leads": rec.unidentified_leads,
            "new_trials": search_file.new_since_source_review(rec, years),
        }
    )


def surveillance(data_dir: Path) -> dict | None:
    """The ``surveillance`` section: what the Methods and the PRISMA flow show of the record."""
    from analysis.evidence import surveillance as surveillance_file

    if not (data_dir / surveillance_file.SURVEILLANCE_FILE).is_file():
        return None
    plan = surveillance_file.load_plan(data_dir, environ={})
    return _plain(
        {
            "started": plan.started,
            "last_screened_run": plan.last_screened_run,
            "frequency": plan.frequency,
            "screening": plan.screening,
            "sources": plan.sources,
            "found_by_surveillance": plan.found_by_surveillance,
        }
    )


def published(data_dir: Path) -> list | None:
    """The ``published`` section: the validated entries of ``published.yaml``."""
    from analysis.evidence import published as published_file

    if not (data_dir / published_file.FILE).is_file():
        return None
    return _plain(list(published_file.load(data_dir)))


def dictionary(data_dir: Path) -> list:
    """The ``data_dictionary`` section: the schema fields of ``studies.csv``."""
    from analysis.evidence.validate import PACKAGE, package_fields

    return _plain(package_fields(data_dir / PACKAGE if (data_dir / PACKAGE).is_file() else None))


def compute(data_dir: Path, df: pd.DataFrame) -> dict:
    """The data sections of the bundle (all of :data:`SECTIONS` but ``outcomes``).

    *df* is the validated register (:func:`analysis.evidence.studies.load_studies`);
    the other files are read by their own loaders, each checking its file.
    """
    data_dir = Path(data_dir)
    return {
        "studies": _rows(df),
        "data_dictionary": dictionary(data_dir),
        "search": search(data_dir, df),
        "surveillance": surveillance(data_dir),
        "published": published(data_dir),
    }


def outcome_rows(rows: Iterable[Any]) -> list[dict]:
    """Every outcome of ``outcomes.csv`` (:class:`analysis.evidence.outcomes.Outcome`) as the
    register's "every outcome" table shows it, in the file's order."""
    keys = (
        "study_id",
        "outcome_id",
        "kind",
        "outcome_type",
        "definition",
        "status",
        "ivig_events",
        "ivig_total",
        "control_events",
        "control_total",
        "source_url",
        "source_quote",
    )
    return [_plain({**{k: getattr(o, k) for k in keys}, "has_counts": o.has_counts}) for o in rows]


def frame(rows: list[dict], fields: list[dict]) -> pd.DataFrame:
    """The bundle's ``studies`` rows as a DataFrame with the dtypes of
    :func:`analysis.evidence.studies.load_studies`: integer fields nullable ``Int64``,
    every other column pandas ``string`` (``<NA>`` for a blank)."""
    types = {f["name"]: f.get("type", "string") for f in fields}
    cols = [c for c in COLUMNS if c in types]
    df = pd.DataFrame.from_records(rows, columns=cols)
    for col in cols:
        values: list[Any] = [r.get(col) for r in rows]
        if types[col] == "integer":
            df[col] = pd.array(values, dtype="Int64")
        else:
            df[col] = pd.array(values, dtype="string")
    return df
