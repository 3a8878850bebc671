"""The results bundle: every number the publication shows, in one JSON file.

``compute(root)`` validates ``data/``, runs the primary analysis of each
comparison and its sensitivity analyses, and returns the bundle as plain JSON values;
``write(root, out_dir)`` saves it as ``results.json`` (sorted keys, the
shortest round-trip float repr, no NaN), atomically. The site's pages read
the same values (through :mod:`analysis.report.chapters`), so a number on a page is the
number in the bundle.

One typed path: ``compute`` builds the results as typed objects (each comparison a
:class:`analysis.report.comparison.Comparison` holding its
:class:`analysis.stats.results.MetaAnalysis`, :class:`~analysis.report.comparison.Summary`
and :class:`~analysis.report.comparison.Sensitivity`; a comparison without a primary
analysis an :class:`~analysis.report.comparison.Unavailable`) and writes the whole tree with
the results' one JSON codec, :func:`analysis.stats.result_json.to_json`. Those dataclasses
define the JSON shape of their parts, key for key; the chapters read an entry back with the
same codec (:meth:`analysis.report.comparison.Comparison.from_dict`). No dict of a result is
written by hand here.

Shape (the dataclass that defines each part in brackets)::

    {
      "version", "commit", "generated",          # analysis.report.version.stamp(root)
      "methods":  {...},                           # the configuration that produced it (Config)
      "software": {...},                           # installed package versions
      "register": {...},                           # counts for the PRISMA flow
      "comparisons": {
        "placebo" | "plasma_exchange" | "corticosteroid":
          null                                     # no trial in the primary analysis
          | {<MetaAnalysis: exactly what `python -m analysis meta` prints>,   (Comparison)
             "summary":     {"trials", "participants", "control_risk", "model",
                             "absolute"},                                      (Summary)
             "findings":    {disease code | "all" (the across-disease pool, with the
                             test for subgroup differences): summary-of-findings row
                             {"disease", "k", "participants", "outcomes", "estimate", ...,
                              "control_risk" (that row's trials), "absolute", "certainty"}},
                             (analysis.report.findings)
             "sensitivity": {"verified_only", "all_outcome_types", "excluding_high_rob":
                                 MetaAnalysis or null,                         (Sensitivity)
                             "common_vs_random": {"common_mh", "common_iv",
                                                  "random_hk", "random_z"},    (CommonVsRandom)
                             "tau2_methods": {"DL": Random, "REML": ..., ...} or null,
                             "notes": {key: why a figure is null}}}
      },
      "unavailable": {comparison: {"reason", "sensitivity"}},  # (Unavailable)
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
:mod:`analysis.report.protocol_results` (the analyses they hold, in ``harms`` and
``choice_of_outcome``, are MetaAnalysis objects written by the same codec); the last six are
what the chapters show of ``data/`` (:mod:`analysis.report.data_sections`): the chapters read
only the bundle, so ``data/`` is validated once per build, not once per chapter kernel.

The primary analysis follows :data:`PRIMARY`: risk ratio, Mantel-Haenszel
common effect, REML random effects with Hartung-Knapp inference and a
prediction interval on t(k - 2), subgroups by disease.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

import pandas as pd

from analysis.evidence import certainty_file
from analysis.evidence import studies as data_mod
from analysis.report import findings as findings_mod
from analysis.report import text
from analysis.report.comparison import CommonVsRandom, Comparison, Sensitivity, Summary, Unavailable
from analysis.stats.results import MetaAnalysis, Random, to_json
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


def _random_only(
    rows: pd.DataFrame, config: Config, **overrides: Unpack[_Options]
) -> Random | None:
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


class _Once:
    """The bundle's analyses, each set of rows under each set of options fitted once.

    Several parts of the bundle analyse the same rows the same way (a disease's
    summary-of-findings row and its choice-of-outcome cell; a comparison's random-effects
    model without Hartung-Knapp in its sensitivity analyses and in its pooled findings row):
    the first asks for the fit, the others get that result. The key is the rows' engine
    columns, in order, with the options filled in from the configuration.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._full: dict[tuple, MetaAnalysis | None] = {}
        self._random: dict[tuple, Random | None] = {}

    def _key(self, rows: pd.DataFrame, by: str | None, overrides: _Options) -> tuple:
        c = self.config
        opts: _Options = {"measure": c.measure, "tau2_method": c.tau2_method, "hk": c.hk, "by": by}
        opts.update(overrides)
        frame = _engine_frame(rows, opts.get("by")) if len(rows) else None
        cells = () if frame is None else tuple(frame.itertuples(index=False, name=None))
        return (cells, tuple(sorted(opts.items())))

    def full(self, rows: pd.DataFrame, **overrides: Unpack[_Options]) -> MetaAnalysis | None:
        """:func:`_fit` of *rows*, fitted at the first call."""
        key = self._key(rows, self.config.by, overrides)
        if key not in self._full:
            self._full[key] = _fit(rows, self.config, **overrides)
        return self._full[key]

    def random(self, rows: pd.DataFrame, **overrides: Unpack[_Options]) -> Random | None:
        """:func:`_random_only` of *rows*, fitted at the first call."""
        key = self._key(rows, None, overrides)
        if key not in self._random:
            self._random[key] = _random_only(rows, self.config, **overrides)
        return self._random[key]


def _participants(rows: pd.DataFrame, excluded: list[str]) -> int:
    keep = ~rows["study_id"].astype(str).isin(excluded)
    return int(rows.loc[keep, "ivig_total"].sum() + rows.loc[keep, "control_total"].sum())


def _control_risk(rows: pd.DataFrame, excluded: list[str]) -> float | None:
    """Pooled control-arm risk: events over patients in the control arms analysed."""
    keep = ~rows["study_id"].astype(str).isin(excluded)
    n = int(rows.loc[keep, "control_total"].sum())
    return None if n == 0 else float(rows.loc[keep, "control_improved"].sum()) / n


def _summary(analysis: MetaAnalysis, rows: pd.DataFrame) -> Summary:
    """The headline of a comparison: its trials, participants, control risk, the model it
    leads with and the absolute effect at that control risk."""
    from analysis.stats import absolute

    excluded = list(analysis.excluded)
    pooled = analysis.headline()
    risk = _control_risk(rows, excluded)
    abs_effect = None
    if risk is not None and not text.missing(pooled.estimate):
        abs_effect = absolute.absolute_effect(
            analysis.measure, pooled.estimate, pooled.ci_low, pooled.ci_high, risk
        )
    return Summary(
        trials=analysis.k,
        participants=_participants(rows, excluded),
        control_risk=risk,
        model=analysis.headline_model,
        absolute=abs_effect,
    )


def _rob_high(rows: pd.DataFrame) -> pd.Series:
    col = rows.get("rob_overall")
    if col is None:
        return pd.Series(False, index=rows.index)
    return col.astype("string").str.strip().str.lower().eq("high").fillna(False).astype(bool)


def _sensitivity(
    df: pd.DataFrame,
    comparator: str,
    rows: pd.DataFrame,
    once: _Once,
    primary: MetaAnalysis | None,
) -> Sensitivity:
    """The sensitivity analyses of a comparison; *primary* is its primary fit (reused), and
    every other analysis comes from *once* (shared with the rest of the bundle)."""
    config = once.config
    notes: dict[str, str] = {}
    primary_ids = tuple(rows["study_id"].astype(str))

    def variant(part: pd.DataFrame) -> MetaAnalysis | None:
        """A variant's analysis; the primary fit itself when the variant keeps its trials."""
        if primary is not None and tuple(part["study_id"].astype(str)) == primary_ids:
            return primary
        return once.full(part)

    verified = rows[rows["status"].astype(str) == "verified"]
    verified_only = variant(verified)
    if verified_only is None:
        notes["verified_only"] = "no trial with verified counts"

    all_types = data_mod.included(df, comparator, outcome_types=_all_outcome_types(df))
    all_outcome_types = variant(all_types)
    if all_outcome_types is None:
        notes["all_outcome_types"] = "no trial with counts for any outcome type"

    high = _rob_high(rows)
    excluding_high_rob = variant(rows[~high])
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
    if excluding_high_rob is None:
        notes["excluding_high_rob"] = (
            "every trial is at high risk of bias" if len(rows) else "no trial"
        )

    # the primary fit is reused; the variants fit only the model they report
    common_vs_random = None
    if primary is not None:
        common_vs_random = CommonVsRandom(
            common_mh=primary.common.mh,
            common_iv=primary.common.iv,
            random_hk=primary.random,
            random_z=once.random(rows, hk=False),
        )
    tau2_methods: dict[str, Random | None] | None = None
    if primary is not None and primary.k >= 2:
        tau2_methods = {
            m: primary.random if m == config.tau2_method else once.random(rows, tau2_method=m)
            for m in TAU2_METHODS
        }
    else:
        notes["tau2_methods"] = "tau² needs at least two trials"
    return Sensitivity(
        verified_only=verified_only,
        all_outcome_types=all_outcome_types,
        excluding_high_rob=excluding_high_rob,
        common_vs_random=common_vs_random,
        tau2_methods=tau2_methods,
        notes=notes,
    )


def _all_outcome_types(df: pd.DataFrame) -> tuple[str, ...]:
    types = df["outcome_type"].dropna().astype(str).unique().tolist()
    return tuple(sorted(set(types)))


def register_summary(
    df: pd.DataFrame, entries: Mapping[str, MetaAnalysis | None], config: Config
) -> dict:
    """Counts for the PRISMA 2020-style flow, with the reason at each step (*entries*: each
    comparison's primary analysis)."""
    counts_present = df[list(ENGINE_COLUMNS[2:])].notna().all(axis=1)
    with_counts = df["status"].astype(str).isin(config.statuses) & counts_present
    eligible = with_counts & df["outcome_type"].astype("string").isin(config.outcome_types).fillna(
        False
    )
    other = df.loc[with_counts & ~eligible, "outcome_type"].astype(str).value_counts()
    dropped = sorted(str(s) for e in entries.values() if e is not None for s in e.excluded)
    by_comp = {c: (0 if e is None else e.k) for c, e in entries.items()}
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
    once = _Once(config)  # every analysis below fitted once, shared where rows repeat
    extra = protocol_results.compute(
        root / "data", df, primaries, lambda part: once.full(part, by=None)
    )
    selections = (extra.get("protocol") or {}).get("selections") or {}
    rules = {sid: sel["rule"] for sid, sel in selections.items()}
    fits: dict[str, MetaAnalysis | None] = {}
    comparisons: dict[str, Comparison | None] = {}
    unavailable: dict[str, Unavailable] = {}
    for comparator in data_mod.COMPARATORS:
        rows = primaries[comparator]
        fit = fits[comparator] = once.full(rows)  # the primary analysis
        sens = _sensitivity(df, comparator, rows, once, fit)
        if fit is None:
            comparisons[comparator] = None
            unavailable[comparator] = Unavailable(
                reason=(
                    f"none of its trials has {' or '.join(config.statuses)} counts for an "
                    f"{' or '.join(config.outcome_types)} outcome"
                ),
                sensitivity=sens,
            )
            continue
        found = findings_mod.findings(
            comparator,
            rows,
            fit,
            lambda part: once.full(part, by=None),
            lambda part: once.random(part, hk=False),
            overrides,
            cells=extra["completeness"].get(comparator),
            rules=rules,
        )
        comparisons[comparator] = Comparison(
            analysis=fit,
            summary=_summary(fit, rows),
            findings={row.disease: row for row in found},
            sensitivity=sens,
            name=comparator,
        )
    from analysis.report import few_trials  # secondary: GLMM and Bayesian beside the primary

    scale = few_trials.prior_scale(extra.get("protocol"))  # the protocol's prior on tau
    extra["few_trials"] = few_trials.compute(primaries, comparisons, config.measure, scale)
    stamp = version.stamp(root)
    from analysis.report import data_sections  # what the chapters show of data/

    return to_json(  # the one codec of the results (analysis.stats.result_json)
        {
            **extra,
            **data_sections.compute(root / "data", df),
            "version": stamp["version"],
            "released": stamp["released"] == "true",
            "commit": stamp["commit"],
            "generated": stamp["generated"],
            "methods": config.to_dict(),
            "software": text.software_versions(),
            "register": register_summary(df, fits, config),
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
