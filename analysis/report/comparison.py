"""One comparison of the results bundle as typed objects, with the tables the chapters show.

The bundle's entry of a comparison is :class:`Comparison` written by the results' one JSON
codec (:func:`analysis.stats.result_json.to_json`): the full analysis
(:class:`analysis.stats.results.MetaAnalysis`, key for key, written inline) plus
``summary`` (:class:`Summary`), ``findings`` and ``sensitivity`` (:class:`Sensitivity`,
with :class:`CommonVsRandom`); a comparison without a primary analysis is
:class:`Unavailable`. The dataclasses here *are* the shape: the bundle
(:mod:`analysis.report.results_bundle`) builds them and encodes them,
:meth:`Comparison.from_dict` decodes an entry with the same codec
(:func:`analysis.stats.result_json.from_json`), strictly: a missing key or a value of the
wrong type is a :class:`analysis.stats.results.ResultKeyError` naming the key, never a
silent default that would draw the wrong axis or print the wrong label.

Each part that becomes a table has a method returning it as a DataFrame of formatted cells
(the ``summary_frame()`` idea of statsmodels): :meth:`Comparison.studies_frame`,
:meth:`Comparison.subgroup_frame`, :meth:`Comparison.sensitivity_rows` /
:meth:`Comparison.sensitivity_frame`, :meth:`Comparison.tau2_frame`. Pooled numbers in the
cells carry their bundle key (:func:`analysis.report.text.mark`).

Public API
----------
Comparison.from_dict(name, entry) -> Comparison; Comparison.to_dict() -> the entry
Summary, CommonVsRandom, Sensitivity, Unavailable
SENSITIVITY_LABELS
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis import escape
from analysis.report import text
from analysis.report.findings import FindingsRow
from analysis.stats.absolute import AbsoluteEffect
from analysis.stats.result_json import INLINE
from analysis.stats.results import (
    JsonResult,
    MetaAnalysis,
    Pooled,
    Random,
    Study,
    from_json,
    to_json,
)
from analysis.vocabulary import TAU2_METHODS

__all__ = [
    "SENSITIVITY_LABELS",
    "Comparison",
    "CommonVsRandom",
    "Sensitivity",
    "Summary",
    "Unavailable",
    "counts_cell",
    "field_text",
    "studies_frame",
    "trial_cell",
    "weight",
]

SENSITIVITY_LABELS = {
    "primary": "Primary analysis",
    "verified_only": "Verified counts only",
    "all_outcome_types": "All outcome types",
    "excluding_high_rob": "Excluding high risk of bias",
}

#: the common-effect and z-model rows of the sensitivity table, after the reanalyses
_MODEL_ROWS = (
    ("common_mh", "Common effect (MH)"),
    ("common_iv", "Common effect (IV)"),
    ("random_z", "Random, no HK"),
)


@dataclass(frozen=True)
class Summary(JsonResult):
    """The headline of a comparison: trials, participants, control risk, model, absolute effect.

    ``absolute`` is :class:`analysis.stats.absolute.AbsoluteEffect` at the control risk (None
    when the control risk or the pooled estimate is missing).
    """

    trials: int
    participants: int
    control_risk: float | None
    model: str
    absolute: AbsoluteEffect | None


@dataclass(frozen=True)
class CommonVsRandom(JsonResult):
    """The primary analysis under the common-effect models and the random-effects z model."""

    common_mh: Pooled | None
    common_iv: Pooled | None
    random_hk: Random | None
    random_z: Random | None


@dataclass(frozen=True)
class Sensitivity(JsonResult):
    """The sensitivity analyses of a comparison; ``notes`` says why an analysis is None."""

    verified_only: MetaAnalysis | None
    all_outcome_types: MetaAnalysis | None
    excluding_high_rob: MetaAnalysis | None
    common_vs_random: CommonVsRandom | None
    tau2_methods: dict[str, Random | None] | None
    notes: dict[str, str]


@dataclass(frozen=True)
class Unavailable(JsonResult):
    """A comparison without a primary analysis: why, and its sensitivity analyses (a
    variant may still have trials, e.g. with every outcome type)."""

    reason: str
    sensitivity: Sensitivity


def trial_cell(study_id: Any) -> str:
    """A trial's id as text plus its citation; the citation only for an id of the project's
    pattern (validation guarantees it; anything else is shown as text, never cited)."""
    sid = field_text(study_id)
    if re.fullmatch(r"[A-Za-z]+[0-9]{4}(?:_[A-Za-z0-9]+)*", sid):
        return f"{escape.markdown(sid)} [@{sid}]"
    return escape.markdown(sid)


def field_text(v: Any) -> str:
    """A data field as text; "" for a missing value."""
    return "" if text.missing(v) or v is pd.NA else str(v)


def counts_cell(a: Any, n: Any) -> str:
    """``12/30`` (events over patients); ``–`` when either is missing."""
    if a is pd.NA or n is pd.NA or text.missing(a) or text.missing(n):
        return "–"
    return f"{int(a)}/{int(n)}"


def weight(study: Study) -> float | None:
    """Random-effects weight of a study, or its common-effect weight when k = 1."""
    w = study.weight_random
    return study.weight_common if text.missing(w) else w


def studies_frame(rows: pd.DataFrame, comparison: Comparison | None) -> pd.DataFrame:
    """The register's trials of a comparison (*rows*, sorted here by year), with counts,
    outcome, status and, for the trials analysed, the effect with its CI and weight."""
    rows = rows.sort_values(["year", "study_id"])
    analysed = {s.study_id: s for s in comparison.analysis.studies} if comparison else {}
    out = []
    for r in rows.to_dict("records"):
        s = analysed.get(r["study_id"])
        out.append(
            {
                "Trial": trial_cell(r["study_id"]),
                "Disease": text.disease_label(r["disease"]),
                "Improved: IVIG vs control": (
                    f"{counts_cell(r['ivig_improved'], r['ivig_total'])} vs "
                    f"{counts_cell(r['control_improved'], r['control_total'])}"
                    if not text.missing(r["ivig_total"]) and r["ivig_total"] is not pd.NA
                    else "–"
                ),
                "Outcome, status": ", ".join(
                    x
                    for x in (
                        field_text(r["outcome_type"]).replace("_", " "),
                        field_text(r["status"]),
                    )
                    if x
                ),
                "RR (95 % CI), weight": (
                    f"{text.num(s.estimate)} ({text.num(s.ci_low)} to "
                    f"{text.num(s.ci_high)}), {text.pct(weight(s), 1)}"
                    if s
                    else (
                        "–"
                        if field_text(r["status"]) == "pending"
                        else "not in the primary analysis"
                    )
                ),
            }
        )
    return pd.DataFrame(out)


@dataclass(frozen=True)
class Comparison:
    """One comparison of the bundle: its full analysis, summary, findings and sensitivity.

    Written by :meth:`to_dict` and read by :meth:`from_dict`, both the results' JSON codec
    (:mod:`analysis.stats.result_json`): the analysis's keys inline, then ``summary``,
    ``findings`` and ``sensitivity``.

    Attributes
    ----------
    analysis : MetaAnalysis
        The primary analysis (its keys are the entry's own).
    summary : Summary
    findings : dict of FindingsRow
        Summary-of-findings rows by disease code and ``all``
        (:class:`analysis.report.findings.FindingsRow`).
    sensitivity : Sensitivity
    name : str
        ``placebo``, ``plasma_exchange`` or ``corticosteroid`` (the bundle key; not
        written into the entry).
    """

    analysis: MetaAnalysis = field(metadata={"json": INLINE})
    summary: Summary
    findings: dict[str, FindingsRow] = field(repr=False)
    sensitivity: Sensitivity = field(repr=False)
    name: str = field(default="", metadata={"json": False})

    @classmethod
    def from_dict(cls, name: str, entry: Any) -> Comparison:
        """Read a comparison's bundle entry strictly (keys named in the error), with the
        codec that wrote it (:func:`analysis.stats.result_json.from_json`)."""
        return dataclasses.replace(from_json(cls, entry, f"comparisons.{name}"), name=name)

    def to_dict(self) -> dict:
        """The comparison's bundle entry (:func:`analysis.stats.result_json.to_json`)."""
        return to_json(self)

    # ------------------------------------------------------------------ keys and effects

    def key(self, *parts: str) -> str:
        """The dotted bundle path of a figure: ``comparisons.placebo.random.tau2``."""
        return ".".join(("comparisons", self.name, *parts))

    @property
    def measure(self) -> str:
        return self.analysis.measure

    @property
    def k(self) -> int:
        return self.analysis.k

    def effect(self, model: str | None = None) -> str:
        """``RR 2.39 (95 % CI 1.60 to 3.58)`` of *model* (default: the summary's model)."""
        model = model or self.summary.model
        r = self.analysis.model(model)
        if r is None:
            return text.effect(self.measure, None, None, None, key=self.key(model))
        return text.effect(self.measure, r.estimate, r.ci_low, r.ci_high, key=self.key(model))

    # ------------------------------------------------------------------ tables

    def studies_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """:func:`studies_frame` of this comparison's register *rows*."""
        return studies_frame(rows, self)

    def subgroup_frame(self, rows: pd.DataFrame, by: str) -> pd.DataFrame | None:
        """Pooled result per subgroup (*by* column of the primary *rows*); None without
        subgroups. A one-trial subgroup shows that trial's own estimate and CI."""
        sg = self.analysis.subgroups
        if not sg or not sg.groups:
            return None
        by = sg.by or by
        studies = {st.study_id: st for st in self.analysis.studies}
        out = []
        for code, g in sorted(sg.groups.items(), key=lambda kv: text.disease_label(kv[0])):
            shown: Any = g
            note = ""
            key: str | None = self.key("subgroups", "groups", code)
            if g.k == 1 and text.missing(g.ci_low):
                ids = rows.loc[rows[by].astype(str) == code, "study_id"].astype(str).tolist()
                single = [studies[i] for i in ids if i in studies]
                if single:
                    shown, note = single[0], f" (single trial: {single[0].study_id})"
                    key = None
            out.append(
                {
                    "Disease": text.disease_label(code),
                    "Trials": g.k,
                    "RR (95 % CI)": text.effect(
                        self.measure,
                        shown.estimate,
                        shown.ci_low,
                        shown.ci_high,
                        label=False,
                        key=key,
                    )
                    + note,
                    "I²": text.pct(g.i2) if (g.k or 0) > 1 else "–",
                }
            )
        return pd.DataFrame(out)

    def subgroup_test(self) -> str:
        """The test for subgroup differences as a sentence (or why it is not computable)."""
        sg = self.analysis.subgroups
        tb = sg.test_between if sg else None
        tkey = self.key("subgroups", "test_between")
        if tb is not None and not text.missing(tb.q):
            return (
                f"Test for subgroup differences: Q = {text.mark(text.num(tb.q), tkey + '.q')}, "
                f"df = {tb.df}, {text.pval(tb.p)}, "
                f"I² = {text.pct(tb.i2)} (the subgroup estimates and their standard errors "
                "compared in a Q test, each subgroup with its own tau²; a single-trial subgroup "
                "enters with that trial's estimate). With few trials per disease the test has "
                "little power: a large p-value does not show that the effect is the same in "
                "every disease."
            )
        reason = (tb.note if tb is not None else None) or "no estimate"
        return f"Test for subgroup differences: not computable ({reason})."

    def sensitivity_rows(self) -> list[dict[str, Any]]:
        """Each sensitivity analysis with its trials and pooled effect (raw figures):
        ``key``, ``label``, ``k`` and, where an analysis exists, ``estimate``, ``ci_low``,
        ``ci_high`` (and ``model`` for the reanalyses)."""
        sens = self.sensitivity
        rows: list[dict[str, Any]] = []
        entries: dict[str, MetaAnalysis | None] = {
            "primary": self.analysis,
            "verified_only": sens.verified_only,
            "all_outcome_types": sens.all_outcome_types,
            "excluding_high_rob": sens.excluding_high_rob,
        }
        for key, m in entries.items():
            if m is None:
                rows.append({"key": key, "label": SENSITIVITY_LABELS[key], "k": 0})
                continue
            r = m.headline()
            rows.append(
                {
                    "key": key,
                    "label": SENSITIVITY_LABELS[key],
                    "k": m.k,
                    "model": m.headline_model,
                    "estimate": r.estimate,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                }
            )
        cvr = sens.common_vs_random
        for key, lab in _MODEL_ROWS:
            p = getattr(cvr, key) if cvr else None
            if p is not None:
                rows.append(
                    {
                        "key": f"common_vs_random.{key}",
                        "label": lab,
                        "k": self.k,
                        "estimate": p.estimate,
                        "ci_low": p.ci_low,
                        "ci_high": p.ci_high,
                    }
                )
        return rows

    def sensitivity_frame(self) -> pd.DataFrame:
        """:meth:`sensitivity_rows` as a table: analysis, trials, pooled effect."""
        out = []
        for r in self.sensitivity_rows():
            if r["k"] == 0 or "estimate" not in r:
                res = "no trial"
            else:
                key = self.key() if r["key"] == "primary" else self.key("sensitivity", r["key"])
                if "model" in r:
                    key = f"{key}.{r['model']}"
                res = text.effect(self.measure, r["estimate"], r["ci_low"], r["ci_high"], key=key)
            out.append({"Analysis": r["label"], "Trials": r["k"], "Pooled effect": res})
        return pd.DataFrame(out)

    def tau2_frame(self, primary: str) -> pd.DataFrame | None:
        """The random-effects estimate under each tau² estimator, *primary* first; None when
        there are none (fewer than two trials)."""
        tm = self.sensitivity.tau2_methods
        if not tm:
            return None
        order = [primary] + [m for m in TAU2_METHODS if m != primary]
        out = []
        for m in order + sorted(set(tm) - set(order)):
            r = tm.get(m)
            if r is None:
                continue
            out.append(
                {
                    "Estimator": _upper_first(text.TAU2_METHODS.get(m, m))
                    + (" (primary)" if m == primary else ""),
                    "tau²": text.num(r.tau2, 3),
                    "I²": text.pct(r.i2),
                    "Pooled effect": text.effect(
                        self.measure,
                        r.estimate,
                        r.ci_low,
                        r.ci_high,
                        key=self.key("sensitivity", "tau2_methods", m),
                    ),
                    "Prediction interval": text.interval(r.pi_low, r.pi_high),
                }
            )
        return pd.DataFrame(out)


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]
