"""Loading ``data/`` for the analysis: validated first, always.

:func:`load_studies` runs the full validation of :mod:`analysis.evidence.validate` and
raises :class:`DataError` listing every problem, so a broken file can never
reach a pooled result or a page. :func:`primary` selects the rows of a
comparison's primary analysis; :func:`datadictionary` renders the data
dictionary from the descriptor, so the documentation cannot drift from the
schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis import escape
from analysis.errors import UserError
from analysis.evidence.table import constraints_text
from analysis.evidence.validate import (
    COUNTS,
    DATA_DIR,
    PACKAGE,
    PRIMARY_OUTCOMES,
    WITH_COUNTS,
    Problem,
    package_fields,
    validate,
)
from analysis.vocabulary import COMPARATORS

__all__ = [
    "COMPARATORS",
    "DataError",
    "datadictionary",
    "included",
    "load_studies",
    "primary",
]

#: The three comparisons, in the order the publication presents them.


class DataError(UserError):
    """The data failed validation. ``problems`` holds every error found.

    The message lists every error, one ``file:row:column: rule (value)`` per line.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        n = len(self.problems)
        head = (
            f"{n} data error{'s' if n != 1 else ''}; fix them and run `python -m analysis validate`"
        )
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))


def load_studies(data_dir: Path | None = None, *, reuse: bool = False) -> pd.DataFrame:
    """Validate and load ``studies.csv``.

    Parameters
    ----------
    data_dir : pathlib.Path, optional
        Directory holding ``studies.csv`` (descriptor and bibliography beside it,
        or the project's); default the project's ``data/``.
    reuse : bool
        Take the rows validated earlier in this process when every file validation reads
        is unchanged (the results bundle during a build, after the build's data step).

    Returns
    -------
    pandas.DataFrame
        One row per trial comparison, columns in the schema's order. Integer
        columns (counts, year) are nullable ``Int64``; text columns are pandas
        ``string`` dtype with ``<NA>`` for blanks (test with ``pd.notna``).
        ``df.attrs["warnings"]`` holds the validator's warnings as strings.

    Raises
    ------
    DataError
        When any validation error is found (all of them are listed).
    """
    key = _fingerprint(data_dir)
    seen = _LOADED.get(key) if reuse else None
    if seen is not None:  # the same files, already validated in this process
        return seen.copy(deep=True)
    report = validate(data_dir)
    if report.errors:
        raise DataError(report.errors)
    columns = [f["name"] for f in report.fields]
    df = pd.DataFrame.from_records(list(report.records), columns=columns)
    for f in report.fields:
        col = f["name"]
        if f.get("type", "string") == "integer":
            df[col] = pd.array(list(df[col]), dtype="Int64")
        else:
            df[col] = pd.array(list(df[col]), dtype="string")
    df.attrs["warnings"] = tuple(str(p) for p in report.warnings)
    _LOADED.clear()  # one data set is kept: the build's
    _LOADED[key] = df.copy(deep=True)
    return df


#: the last data set validated in this process, by the fingerprint of its files
_LOADED: dict[tuple, pd.DataFrame] = {}


def _fingerprint(data_dir: Path | None) -> tuple:
    """What validation read: every file of *data_dir* (or the CSV and its folder) and of the
    project's ``data/`` (the fallbacks), by path and content digest, plus the year (the trial
    era's rule). Validating once per build process: the build's data step and the results
    bundle then share one validation, and any edit to a file means a new one."""
    import datetime
    import hashlib

    given = DATA_DIR if data_dir is None else Path(data_dir)
    folders = [given.parent if given.is_file() else given, DATA_DIR]
    files = sorted(
        {
            p.resolve()
            for folder in folders
            if folder.is_dir()
            for p in folder.iterdir()
            if p.is_file()
        }
    )
    digests = tuple((str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in files)
    return (str(given.resolve()), datetime.date.today().year, digests)


def included(
    df: pd.DataFrame,
    comparator: str,
    outcome_types: Iterable[str] = PRIMARY_OUTCOMES,
) -> pd.DataFrame:
    """Rows of one comparison that can be pooled, for the given outcome types.

    A row qualifies when its ``comparator`` matches, its status is verified or
    derived, its ``outcome_type`` is one of ``outcome_types`` and all four counts
    are present. Rows sorted by year, then study_id (the cumulative order).
    """
    if comparator not in COMPARATORS:
        raise ValueError(f"comparator must be one of {', '.join(COMPARATORS)}: {comparator!r}")
    types = set(outcome_types)
    mask = (
        (df["comparator"] == comparator)
        & df["status"].isin(WITH_COUNTS)
        & df["outcome_type"].isin(types)
        & df[list(COUNTS)].notna().all(axis=1)
    )
    out = df.loc[mask.fillna(False).astype(bool)]
    return out.sort_values(["year", "study_id"], kind="stable").reset_index(drop=True)


def primary(df: pd.DataFrame, comparator: str) -> pd.DataFrame:
    """The primary analysis of a comparison.

    Rows with that ``comparator``, status verified or derived, ``outcome_type``
    improvement or responder, and all four counts present; sorted by year, then
    study_id.

    Parameters
    ----------
    df : pandas.DataFrame
        As returned by :func:`load_studies`.
    comparator : {"placebo", "plasma_exchange", "corticosteroid"}
    """
    return included(df, comparator, PRIMARY_OUTCOMES)


def datadictionary(package: Path | None = None, fields: list[dict] | None = None) -> str:
    """The data dictionary as a Markdown table, rendered from the descriptor.

    Parameters
    ----------
    package : pathlib.Path, optional
        ``datapackage.json`` to read; default the project's.
    fields : list of dict, optional
        Another table's schema fields to render instead (``outcomes.fields()``).

    Returns
    -------
    str
        A Markdown table (column, type, required, allowed values, meaning),
        ending with a newline.
    """
    if fields is None:
        fields = package_fields(DATA_DIR / PACKAGE if package is None else package)
    lines = [
        "| column | type | required | allowed values | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in fields:
        req = "yes" if f.get("constraints", {}).get("required") else ""
        desc = escape.table_pipes(escape.markdown_code(f.get("description", "")))
        allowed = escape.table_pipes(constraints_text(f))
        name = escape.markdown_code(f"`{f['name']}`")
        kind = escape.markdown(f.get("type", "string"))
        lines.append(f"| {name} | {kind} | {req} | {allowed} | {desc} |")
    return "\n".join(lines) + "\n"
