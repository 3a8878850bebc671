"""The results bundle: every number the publication shows, in one JSON file.

``compute(root)`` validates ``data/``, runs the primary analysis of each
comparison and its sensitivity analyses, and returns a plain dict;
``write(root, out_dir)`` saves it as ``results.json`` (sorted keys, the
shortest round-trip float repr, no NaN), atomically. The site's pages read
the same dict (through :mod:`analysis.report.chapters`), so a number on a page is the
number in the bundle.

Shape::

    {
      "version", "commit", "generated",          # analysis.report.version.stamp(root)
      "methods":  {...},                           # the configuration that produced it
      "software": {...},                           # installed package versions
      "register": {...},                           # counts for the PRISMA flow
      "comparisons": {
        "placebo" | "plasma_exchange" | "corticosteroid":
          null                                     # no trial in the primary analysis
          | {<MetaAnalysis.to_dict(): exactly what `python -m analysis meta` prints>,
             "summary":     {"trials", "participants", "control_risk", "model", "absolute"},
             "findings":    {disease code | "all" (the across-disease pool, with the
                             test for subgroup differences): summary-of-findings row
                             {"disease", "k", "participants", "outcomes", "estimate", ...,
                              "control_risk" (that row's trials), "absolute", "certainty"}},
             "sensitivity": {"verified_only", "all_outcome_types", "excluding_high_rob":
                                 MetaAnalysis dict or null,
                             "common_vs_random": {"common_mh", "common_iv",
                                                  "random_hk", "random_z"},
                             "tau2_methods": {"DL": random dict, "REML": ..., ...} or null,
                             "notes": {key: why a figure is null}}}
      },
      "unavailable": {comparison: {"reason", "sensitivity"}},  # for the null entries
      "protocol": {... data/protocol.yaml, "selections": {study_id: {"outcome_id", "rule"}}},
      "completeness": {comparison: {disease | "all": k of n identified trials, ...}},
      "harms": {comparison: {disease | "all": {"rows", "in_words", ...}}},
      "choice_of_outcome": {comparison: {disease | "all": {"primary", "alternatives"}}},
      "few_trials": {comparison: {disease | "all": {"models", "agreement", ...}}},
                                                 # analysis.report.few_trials (secondary)
      "studies": [{study_id, author, year, disease, comparator, counts, status, ...}],
      "data_dictionary": [schema field of studies.csv],
      "search": {... data/search.yaml, "source_review_until", "new_trials"},
      "surveillance": {"started", "last_screened_run", "frequency", "screening", ...},
      "published": [entry of data/published.yaml],
      "outcomes": [every outcome of data/outcomes.csv] | null
    }

``protocol``, ``completeness``, ``harms``, ``choice_of_outcome`` and ``outcomes`` come from
:mod:`analysis.report.protocol_results`; the last six are what the chapters show of
``data/`` (:mod:`analysis.report.data_sections`): the chapters read only the bundle, so
``data/`` is validated once per build, not once per chapter kernel.

The primary analysis follows :data:`PRIMARY`: risk ratio, Mantel-Haenszel
common effect, REML random effects with Hartung-Knapp inference and a
prediction interval on t(k - 2), subgroups by disease.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd

from analysis.evidence import certainty_file
from analysis.evidence import studies as data_mod
from analysis.report import findings as findings_mod
from analysis.report import text
from analysis.stats.results import MetaAnalysis
from analysis.vocabulary import ENGINE_COLUMNS, PRIMARY_OUTCOMES, TAU2_METHODS

__all__ = ["PRIMARY", "Config", "compute", "dumps", "write"]

#: every tau² estimator shown in the sensitivity analyses


@dataclass(frozen=True)
class Config:
    """The configuration of the primary analysis (stated in the Methods chapter from here).

    Attributes
    ----------
    measure : str
        Effect measure (``RR``: risk ratio of improvement, IVIG over control).
    tau2_method : str
        Between-trial variance estimator of the random-effects model.
    hk : bool
        Hartung-Knapp(-Sidik-Jonkman) inference for the random-effects mean.
    by : str
        Column defining subgroups in the forest plots.
    statuses : tuple of str
        Data statuses eligible for the primary analysis.
    outcome_types : tuple of str
        Outcome types pooled in the primary analysis.
    """

    measure: str = "RR"
    tau2_method: str = "REML"
    hk: bool = True
    by: str = "disease"
    statuses: tuple[str, ...] = ("verified", "derived")
    outcome_types: tuple[str, ...] = PRIMARY_OUTCOMES

    def to_dict(self) -> dict:
        """The configuration as recorded in the bundle (plus the fixed conventions)."""
        return {
            "measure": self.measure,
            "tau2_method": self.tau2_method,
            "hk": self.hk,
            "by": self.by,
            "statuses": list(self.statuses),
            "outcome_types": list(self.outcome_types),
            "common": "MH",
            "mh_zero_cell_correction": False,
            "double_zero": "excluded",
            "pi_df": "k-2",
            "i2": {"heterogeneity": "Q-based (Higgins)", "random": "model-based (tau2)"},
            "tau2_methods_sensitivity": list(TAU2_METHODS),
            "comparisons": list(data_mod.COMPARATORS),
        }


PRIMARY = Config()


# --------------------------------------------------------------------------- helpers


def _clean(obj: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _clean(obj.to_dict() if hasattr(obj, "to_dict") else dataclasses.asdict(obj))
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is pd.NA:
        return None
    return obj


def _engine_frame(rows: pd.DataFrame, by: str | None) -> pd.DataFrame:
    cols = list(ENGINE_COLUMNS) + ([by] if by else [])
    out = rows.loc[:, cols].copy()
    for c in ENGINE_COLUMNS[1:]:
        out[c] = out[c].astype("int64")
    out["study_id"] = out["study_id"].astype(str)
    if by:
        out[by] = out[by].astype(str)
    return out.reset_index(drop=True)


class _Options(TypedDict, total=False):
    """Keyword arguments of ``meta.analyse`` that a sensitivity analysis may override."""

    measure: str
    tau2_method: str
    hk: bool
    by: str | None


def _fit(rows: pd.DataFrame, config: Config, **overrides: Unpack[_Options]) -> MetaAnalysis | None:
    """``full_analysis.analyse`` of *rows*; None when no study is left (k = 0)."""
    from analysis.stats import full_analysis

    opts: _Options = {
        "measure": config.measure,
        "tau2_method": config.tau2_method,
        "hk": config.hk,
        "by": config.by,
    }
    opts.update(overrides)
    if len(rows) == 0:
        return None
    try:
        return full_analysis.analyse(_engine_frame(rows, opts.get("by")), **opts)
    except full_analysis.NoStudies:
        return None


def _random_only(rows: pd.DataFrame, config: Config, **overrides: Unpack[_Options]) -> Any:
    """Only the random-effects model of *rows* (``full_analysis.random_only``), for the
    sensitivity analyses that report nothing else; None when no study is left."""
    from analysis.stats import full_analysis

    opts: _Options = {
        "measure": config.measure,
        "tau2_method": config.tau2_method,
        "hk": config.hk,
        "by": None,
    }
    opts.update(overrides)
    if len(rows) == 0:
        return None
    frame = _engine_frame(rows, None)
    try:
        return full_analysis.random_only(
            frame["ivig_improved"],
            frame["ivig_total"],
            frame["control_improved"],
            frame["control_total"],
            measure=opts["measure"],
            tau2_method=opts["tau2_method"],
            hk=opts["hk"],
        )
    except full_analysis.NoStudies:
        return None


def _analyse(rows: pd.DataFrame, config: Config, **overrides: Unpack[_Options]) -> dict | None:
    """:func:`_fit` as the bundle's dict; None when no study is left (k = 0)."""
    result = _fit(rows, config, **overrides)
    return None if result is None else _clean(result.to_dict())


def _participants(rows: pd.DataFrame, excluded: list[str]) -> int:
    keep = ~rows["study_id"].astype(str).isin(excluded)
    return int(rows.loc[keep, "ivig_total"].sum() + rows.loc[keep, "control_total"].sum())


def _control_risk(rows: pd.DataFrame, excluded: list[str]) -> float | None:
    """Pooled control-arm risk: events over patients in the control arms analysed."""
    keep = ~rows["study_id"].astype(str).isin(excluded)
    n = int(rows.loc[keep, "control_total"].sum())
    return None if n == 0 else float(rows.loc[keep, "control_improved"].sum()) / n


def headline_model(entry: dict) -> str:
    """``random`` when the random-effects estimate and its CI exist (k >= 2), else ``common.mh``
    (:attr:`analysis.stats.results.MetaAnalysis.headline_model` of the entry, read strictly).

    With one trial nothing is pooled; the Mantel-Haenszel estimate is then that
    trial's own risk ratio with its CI.
    """
    return text.analysis_of(entry).headline_model


def _summary(entry: dict, rows: pd.DataFrame) -> dict:
    from analysis.stats import absolute

    analysis = text.analysis_of(entry)
    excluded = list(analysis.excluded)
    pooled = analysis.headline()
    risk = _control_risk(rows, excluded)
    abs_effect = None
    if risk is not None and not text.missing(pooled.estimate):
        abs_effect = _clean(
            absolute.absolute_effect(
                analysis.measure, pooled.estimate, pooled.ci_low, pooled.ci_high, risk
            )
        )
    return {
        "trials": analysis.k,
        "participants": _participants(rows, excluded),
        "control_risk": risk,
        "model": analysis.headline_model,
        "absolute": abs_effect,
    }


def _rob_high(rows: pd.DataFrame) -> pd.Series:
    col = rows.get("rob_overall")
    if col is None:
        return pd.Series(False, index=rows.index)
    return col.astype("string").str.strip().str.lower().eq("high").fillna(False).astype(bool)


def _sensitivity(
    df: pd.DataFrame,
    comparator: str,
    rows: pd.DataFrame,
    config: Config,
    primary: MetaAnalysis | None,
) -> dict:
    """The sensitivity analyses of a comparison; *primary* is its primary fit (reused)."""
    notes: dict[str, str] = {}
    out: dict[str, Any] = {}
    primary_ids = tuple(rows["study_id"].astype(str))

    def variant(part: pd.DataFrame) -> dict | None:
        """A variant's analysis; the primary fit itself when the variant keeps its trials."""
        if primary is not None and tuple(part["study_id"].astype(str)) == primary_ids:
            return _clean(primary.to_dict())
        return _analyse(part, config)

    verified = rows[rows["status"].astype(str) == "verified"]
    out["verified_only"] = variant(verified)
    if out["verified_only"] is None:
        notes["verified_only"] = "no trial with verified counts"

    all_types = data_mod.included(df, comparator, outcome_types=_all_outcome_types(df))
    out["all_outcome_types"] = variant(all_types)
    if out["all_outcome_types"] is None:
        notes["all_outcome_types"] = "no trial with counts for any outcome type"

    high = _rob_high(rows)
    out["excluding_high_rob"] = variant(rows[~high])
    assessed = int(
        rows.get("rob_overall", pd.Series(dtype=str))
        .astype("string")
        .isin(["low", "some_concerns", "high"])
        .sum()
    )
    notes["excluding_high_rob_assessed"] = (
        f"{assessed} of {len(rows)} trials have an overall risk-of-bias judgement; "
        f"{int(high.sum())} judged high"
    )
    if out["excluding_high_rob"] is None:
        notes["excluding_high_rob"] = (
            "every trial is at high risk of bias" if len(rows) else "no trial"
        )

    # the primary fit is reused; the variants fit only the model they report
    z = _random_only(rows, config, hk=False) if primary is not None else None
    out["common_vs_random"] = None
    if primary is not None:
        out["common_vs_random"] = {
            "common_mh": primary.common.mh,
            "common_iv": primary.common.iv,
            "random_hk": primary.random,
            "random_z": z,
        }
    if primary is not None and primary.k >= 2:
        out["tau2_methods"] = {
            m: primary.random
            if m == config.tau2_method
            else _random_only(rows, config, tau2_method=m)
            for m in TAU2_METHODS
        }
    else:
        out["tau2_methods"] = None
        notes["tau2_methods"] = "tau² needs at least two trials"
    out["notes"] = notes
    return out


def _all_outcome_types(df: pd.DataFrame) -> tuple[str, ...]:
    types = df["outcome_type"].dropna().astype(str).unique().tolist()
    return tuple(sorted(set(types)))


def register_summary(df: pd.DataFrame, entries: dict[str, dict | None], config: Config) -> dict:
    """Counts for the PRISMA 2020-style flow, with the reason at each step."""
    counts_present = df[list(ENGINE_COLUMNS[2:])].notna().all(axis=1)
    with_counts = df["status"].astype(str).isin(config.statuses) & counts_present
    eligible = with_counts & df["outcome_type"].astype("string").isin(config.outcome_types).fillna(
        False
    )
    other = df.loc[with_counts & ~eligible, "outcome_type"].astype(str).value_counts()
    dropped = sorted(
        str(s) for e in entries.values() if e is not None for s in (e.get("excluded") or [])
    )
    by_comp = {c: (0 if e is None else int(e.get("k") or 0)) for c, e in entries.items()}
    return {
        "identified": len(df),
        "pending": int((~with_counts).sum()),
        "with_counts": int(with_counts.sum()),
        "other_outcome": {str(k): int(v) for k, v in sorted(other.items())},
        "eligible": int(eligible.sum()),
        "excluded_in_analysis": dropped,
        "by_comparator": by_comp,
        "included": int(sum(by_comp.values())),
        "by_status": {
            str(k): int(v) for k, v in sorted(df["status"].astype(str).value_counts().items())
        },
    }


# --------------------------------------------------------------------------- public


def compute(root: Path, config: Config = PRIMARY) -> dict:
    """Compute the results bundle of the project at *root*.

    Parameters
    ----------
    root : pathlib.Path
        Repository root (holds ``data/`` and ``pyproject.toml``).
    config : Config
        The primary analysis configuration (default :data:`PRIMARY`).

    Returns
    -------
    dict
        JSON-ready; see the module docstring for the shape.

    Raises
    ------
    analysis.evidence.studies.DataError
        When ``data/`` fails validation (nothing is computed).
    """
    from analysis.report import version

    root = Path(root)
    df = data_mod.load_studies(root / "data", reuse=True)  # validated once per build
    overrides = certainty_file.read_overrides(root / "data" / certainty_file.CERTAINTY)
    from analysis.report import protocol_results  # protocol, completeness, harms, outcome choice

    primaries = {c: data_mod.primary(df, c) for c in data_mod.COMPARATORS}
    extra = protocol_results.compute(
        root / "data", df, primaries, lambda part: _analyse(part, config, by=None)
    )
    selections = (extra.get("protocol") or {}).get("selections") or {}
    rules = {sid: sel["rule"] for sid, sel in selections.items()}
    comparisons: dict[str, dict | None] = {}
    unavailable: dict[str, dict] = {}
    for comparator in data_mod.COMPARATORS:
        rows = primaries[comparator]
        fit = _fit(rows, config)  # the primary analysis, fitted once
        entry = None if fit is None else _clean(fit.to_dict())
        sens = _sensitivity(df, comparator, rows, config, fit)
        if entry is None:
            comparisons[comparator] = None
            unavailable[comparator] = {
                "reason": (
                    f"none of its trials has {' or '.join(config.statuses)} counts for an "
                    f"{' or '.join(config.outcome_types)} outcome"
                ),
                "sensitivity": sens,
            }
            continue
        entry["summary"] = _summary(entry, rows)
        entry["findings"] = {
            row["disease"]: row
            for row in findings_mod.findings(
                comparator,
                rows,
                entry,
                lambda part, **o: _analyse(part, config, by=None, **o),
                overrides,
                cells=extra["completeness"].get(comparator),
                rules=rules,
            )
        }
        entry["sensitivity"] = sens
        comparisons[comparator] = entry
    from analysis.report import few_trials  # secondary: GLMM and Bayesian beside the primary

    extra["few_trials"] = few_trials.compute(primaries, comparisons, config.measure)
    stamp = version.stamp(root)
    from analysis.report import data_sections  # what the chapters show of data/

    return _clean(
        {
            **extra,
            **data_sections.compute(root / "data", df),
            "version": stamp["version"],
            "released": stamp["released"] == "true",
            "commit": stamp["commit"],
            "generated": stamp["generated"],
            "methods": config.to_dict(),
            "software": text.software_versions(),
            "register": register_summary(df, comparisons, config),
            "comparisons": comparisons,
            "unavailable": unavailable,
        }
    )


def dumps(bundle: dict) -> str:
    """The bundle as deterministic JSON text (sorted keys, no NaN, newline at the end)."""
    return json.dumps(bundle, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write(root: Path, out_dir: Path) -> Path:
    """Compute the bundle and write ``out_dir/results.json`` atomically; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = dumps(compute(Path(root)))
    target = out_dir / "results.json"
    fd, tmp = tempfile.mkstemp(prefix=".results.", suffix=".json", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
