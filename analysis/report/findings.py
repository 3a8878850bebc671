"""Summary of findings per comparison and disease, with GRADE certainty.

:func:`findings` builds, for one comparison, one row per disease with trials in the
primary analysis and one row for the across-disease pool (the source review's approach),
each with its outcome definitions and time points, trials and participants, the relative
effect, the control risk *of that row's own trials* and the corresponding IVIG risk per
1000, the NNT where the confidence interval excludes no effect, and the certainty of the
evidence proposed by :mod:`analysis.stats.certainty` (replaced domain by domain where a
reviewer's judgement is recorded in ``data/certainty.csv``).

Each row also carries what it stands on (``completeness``: k of n identified trials, those
awaiting results; the publication-bias domain rates that known missing evidence), and,
per disease, the common-effect (Mantel-Haenszel) and unadjusted random-effects results beside
Hartung-Knapp (``models``) with a note when the choice changes the conclusion. A pool across
diseases has no NNT: its control risk mixes populations with different baseline risks.

:func:`plain_language` words a row's result with GRADE's informative statements (Santesso
et al. 2020, GRADE guidelines 26, J Clin Epidemiol 119:126-135): the certainty chooses the
modal (none, "probably", "may"; very low: "The evidence is very uncertain about the effect
of ..."), the size of the point estimate chooses the words ("a large increase", "increases",
"little to no difference"); :data:`STATEMENTS` is the table.

Every data field written into Markdown goes through :func:`md_text` (backslash-escapes
each ASCII punctuation character, so a field is plain text to pandoc).

A row is a :class:`FindingsRow` (with :class:`OutcomeUsed` per trial and
:class:`ModelResult` per model): its fields are the row's JSON shape in the results bundle,
written and read by the results' codec (:mod:`analysis.stats.result_json`).
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.report import text
from analysis.report.completeness import Completeness
from analysis.stats import certainty as grade
from analysis.stats.absolute import AbsoluteEffect, absolute_effect
from analysis.stats.certainty import Certainty
from analysis.stats.results import JsonResult, MetaAnalysis, Pooled, Random, TestBetween

__all__ = [
    "OUTCOME_PHRASES",
    "STATEMENTS",
    "FindingsRow",
    "ModelResult",
    "OutcomeUsed",
    "completeness",
    "effect_size",
    "findings",
    "footnotes",
    "indirect_flag",
    "md_text",
    "model_note",
    "ordered",
    "outcome_indirect_flag",
    "plain_language",
    "row_certainty",
    "short_statement",
]

#: outcome type -> what is counted, for sentences
OUTCOME_PHRASES = {
    "improvement": "the number of patients who improve",
    "responder": "the number of patients who respond to treatment",
}

_PUNCT = frozenset(string.punctuation)


@dataclass(frozen=True)
class OutcomeUsed(JsonResult):
    """The analysed outcome of one trial of a row, as the register words it (data fields,
    plain text wherever they are shown)."""

    study_id: str
    population: str | None
    definition: str | None
    timepoint: str | None


@dataclass(frozen=True)
class ModelResult(JsonResult):
    """A row's pooled result under one model (``models``: ``random_hk``, ``random_z``,
    ``common_mh``), on the natural scale."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None


@dataclass(frozen=True)
class FindingsRow(JsonResult):
    """One summary-of-findings row: a disease of a comparison, or the pool ``all``.

    Its fields are the row's JSON object in the results bundle (the codec
    :mod:`analysis.stats.result_json` writes and reads it; ``Comparison.findings``).

    Attributes
    ----------
    disease : str
        The disease code, or ``all`` for the pool across diseases.
    diseases : tuple of str
        The diseases of the row's trials.
    k, participants : int
        Trials and randomised participants analysed.
    studies : tuple of str
        The analysed trials' ids.
    outcome_types : tuple of str
        The outcome types pooled (``improvement``, ``responder``).
    outcomes : tuple of OutcomeUsed
        Each trial's outcome definition and time point.
    measure, model : str
        The effect measure and the headline model (``random`` or, for one trial,
        ``common.mh``).
    estimate, ci_low, ci_high, p : float or None
        The relative effect with its 95 % CI and p-value.
    i2 : float or None
        I² in per cent (None for one trial).
    pi_low, pi_high : float or None
        The 95 % prediction interval.
    control_risk : float or None
        The control risk of the row's own trials; ``control_risk_source`` says so.
    absolute : AbsoluteEffect or None
        Risks per 1000 at that control risk; no NNT for the pool.
    nnt_meaningful : bool
        Whether the NNT is shown; ``nnt_note`` says why not.
    completeness : Completeness
        What the row stands on (:mod:`analysis.report.completeness`: k of n identified
        trials, those awaiting counts).
    models : dict or None
        The row under each model (two or more trials).
    model_note : str or None
        Set when the choice of model changes the conclusion (:func:`model_note`).
    test_between : TestBetween or None
        The test for subgroup differences (the pool only).
    certainty : Certainty
        The GRADE certainty with its five domains.
    """

    disease: str
    diseases: tuple[str, ...]
    k: int
    participants: int
    studies: tuple[str, ...]
    outcome_types: tuple[str, ...]
    outcomes: tuple[OutcomeUsed, ...]
    measure: str
    model: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    i2: float | None
    pi_low: float | None
    pi_high: float | None
    control_risk: float | None
    control_risk_source: str
    absolute: AbsoluteEffect | None
    nnt_meaningful: bool
    nnt_note: str | None
    completeness: Completeness
    models: dict[str, ModelResult | None] | None
    model_note: str | None
    test_between: TestBetween | None
    certainty: Certainty


def md_text(value: Any) -> str:
    """A data field as plain text inside Markdown: every ASCII punctuation escaped."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    s = " ".join(str(value).split())
    return "".join("\\" + c if c in _PUNCT else c for c in s)


def indirect_flag(disease: str, population: Any) -> str | None:
    """Why a trial's population is narrower than the disease's, or None.

    A trial is flagged when its ``population`` field names more than the disease (a
    subtype, an age group, a setting), e.g. "Guillain-Barré syndrome (children on
    mechanical ventilation)": its result may not apply to everyone with the disease.
    """
    if population is None or population is pd.NA:
        return None
    pop = " ".join(str(population).split())
    names = {text.disease_label(disease).lower(), disease.replace("_", " ").lower()}
    if pop.lower() in names:
        return None
    return "trial population narrower than the disease: " + pop


#: words in an outcome definition that say the trial's report does not define improvement
_UNDEFINED = ("'improved' per abstract", "definition not in source", "qualitative", "not defined")


def outcome_indirect_flag(definition: Any, protocol_rule: Any = None) -> str | None:
    """Why a trial's analysed outcome answers the review's question only indirectly, or None.

    Judged from the register (GRADE guidelines 8: indirectness of outcome):

    - *a secondary outcome*: the definition says the outcome was secondary and it is not the
      responder definition on the instrument of the trial's primary outcome (protocol rule 2),
      or the protocol selected it by its rule 3 (the first-listed binary outcome, not the
      primary one);
    - *improvement not defined*: no definition, or the report says only "improved" (no
      instrument or threshold).
    """
    rule = None if text.missing(protocol_rule) else str(protocol_rule).strip()
    d = "" if definition is None or text.missing(definition) else " ".join(str(definition).split())
    low = d.lower()
    if not d or any(u in low for u in _UNDEFINED):
        return "improvement not defined in the trial's report"
    if rule == "3":
        return "a secondary outcome of the trial (protocol rule 3)"
    if rule not in ("1", "2") and "secondary" in low and "instrument of the primary" not in low:
        return "a secondary outcome of the trial (its primary outcome was another)"
    return None


def completeness(
    register_rows: pd.DataFrame | None, analysed: list[str], participants: int
) -> Completeness:
    """A row's completeness cell when the bundle's is not given, in the shape of
    :func:`analysis.report.completeness.completeness` (k analysed of n identified trials,
    those awaiting counts, those with counts for another outcome type only).

    ``register_rows`` are every trial identified for the row's comparison and disease (all
    statuses); an identified trial not analysed is *awaiting* when its status is ``pending``.
    Sizes of trials without counts are not known here (``size_unknown``).
    """
    ids = (
        list(dict.fromkeys(str(i) for i in register_rows["study_id"]))
        if register_rows is not None
        else []
    )
    status = (
        {
            str(i): str(st)
            for i, st in zip(register_rows["study_id"], register_rows["status"], strict=True)
        }
        if register_rows is not None and "status" in register_rows
        else {}
    )
    done = list(analysed)
    rest = [i for i in ids if i not in set(done)]
    awaiting = [i for i in rest if status.get(i, "pending") == "pending"]
    return Completeness(
        identified=len(set(ids) | set(done)),
        analysed=len(done),
        analysed_ids=tuple(done),
        participants_analysed=participants,
        participants_known=participants,
        size_unknown=tuple(rest),
        awaiting=tuple(awaiting),
        other_outcome=tuple(i for i in rest if i not in set(awaiting)),
    )


def missing_of(cell: Completeness) -> grade.MissingEvidence:
    """A completeness cell (:mod:`analysis.report.completeness`) as the input of
    :func:`analysis.stats.certainty.missing_evidence`: participants awaiting are counted
    only when every awaiting trial's size is known and no other unanalysed trial blurs
    the sum (else the share is counted in trials)."""
    awaiting = list(cell.awaiting)
    p_analysed = cell.participants_analysed
    p_awaiting = None
    if awaiting and not set(cell.size_unknown) & set(awaiting) and not cell.other_outcome:
        p_awaiting = cell.participants_known - p_analysed
    return grade.missing_evidence(cell.analysed, cell.identified, p_analysed, p_awaiting, awaiting)


def _finite(x: Any) -> float | None:
    return None if text.missing(x) else float(x)


def _outcome_word(types: Any) -> str:
    """``improvement``, ``response`` or both: the outcome the information size is computed on."""
    words = {"improvement": "improvement", "responder": "response"}
    got = sorted({words.get(str(t), str(t).replace("_", " ")) for t in types})
    return " or ".join(got) if got else "improvement"


def row_certainty(
    *,
    rows: pd.DataFrame,
    analysis: MetaAnalysis,
    pooled: Pooled | Random,
    participants: int,
    control_risk: float | None,
    subgroup_p: float | None,
    overrides: dict[str, grade.Override] | None,
    missing: grade.MissingEvidence | None = None,
) -> grade.Certainty:
    """GRADE certainty of one row (rule proposals, then a reviewer's overrides).

    ``missing``: the row's known missing evidence (:func:`missing_of`), rated in the
    publication-bias domain.
    """
    by_id = {s.study_id: s for s in analysis.studies}
    ids = [str(s) for s in rows["study_id"] if str(s) in by_id]
    sub = rows.set_index(rows["study_id"].astype(str)).loc[ids]
    k = len(ids)
    weights = [float(by_id[i].weight_random or by_id[i].weight_common or 1) for i in ids]
    rob = [None if text.missing(r) or r is pd.NA else str(r) for r in sub["rob_overall"]]
    flags = [
        indirect_flag(str(d), p) for d, p in zip(sub["disease"], sub["population"], strict=True)
    ]
    rules = sub["protocol_rule"] if "protocol_rule" in sub else [None] * len(sub)
    outcome_flags = [
        outcome_indirect_flag(d, r) for d, r in zip(sub["outcome_definition"], rules, strict=True)
    ]
    het, rnd = analysis.heterogeneity, analysis.random
    egger = analysis.small_study.egger.p
    domains = [
        grade.risk_of_bias(weights, rob),
        grade.inconsistency(
            k,
            _finite(het.i2),
            _finite(pooled.ci_low),
            _finite(pooled.ci_high),
            _finite(rnd.pi_low),
            _finite(rnd.pi_high),
            subgroup_p,
        ),
        grade.indirectness(weights, [str(d) for d in sub["disease"]], flags, outcome_flags),
        grade.imprecision(
            _finite(pooled.ci_low),
            _finite(pooled.ci_high),
            participants,
            control_risk,
            outcome=_outcome_word(sub["outcome_type"]),
        ),
        grade.publication_bias(k, _finite(egger), missing),
    ]
    cert = grade.rate(domains)
    return grade.apply_overrides(cert, overrides) if overrides else cert


def _conclusion(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return "not estimable"
    return "favours IVIG" if lo > 1 else "favours the control" if hi < 1 else "includes no effect"


def model_note(models: Mapping[str, ModelResult | None]) -> str | None:
    """A footnote when the choice of model changes the conclusion (whether the 95 % CI
    excludes no effect), naming each model's interval; None when all agree."""
    named = {
        "random_hk": "random effects with Hartung-Knapp (the primary model)",
        "random_z": "random effects without Hartung-Knapp",
        "common_mh": "the common-effect (Mantel-Haenszel) model",
    }
    got = {m: (_finite(r.ci_low), _finite(r.ci_high)) for m, r in models.items() if r is not None}
    verdicts = {m: _conclusion(*ci) for m, ci in got.items()}
    if len(set(verdicts.values())) <= 1:
        return None
    parts = [
        f"{named[m]} gives 95 % CI {lo:.2f} to {hi:.2f} ({verdicts[m]})"
        for m, (lo, hi) in got.items()
        if lo is not None and hi is not None
    ]
    return "The choice of model changes the conclusion: " + "; ".join(parts)


def _models(
    analysis: MetaAnalysis, unadjusted: Random | None
) -> dict[str, ModelResult | None] | None:
    """Per row with at least two trials: HK, unadjusted random effects and MH side by side."""
    if analysis.k < 2:
        return None

    def fig(r: Pooled | Random | None) -> ModelResult | None:
        if r is None:
            return None
        return ModelResult(r.estimate, r.ci_low, r.ci_high, r.p)

    return {
        "random_hk": fig(analysis.random),
        "random_z": fig(unadjusted),
        "common_mh": fig(analysis.common.mh),
    }


def _row(
    comparison: str,
    disease: str,
    rows: pd.DataFrame,
    entry: MetaAnalysis,
    overrides: dict,
    cell: Completeness | None = None,
    unadjusted: Random | None = None,
) -> FindingsRow:
    """The summary-of-findings row of the full analysis *entry*.

    ``cell``: the completeness of this comparison and disease (k of n identified trials,
    those awaiting counts; :mod:`analysis.report.completeness`), rated as known missing
    evidence; ``unadjusted``: the same trials' random-effects model without Hartung-Knapp
    (:func:`model_note`).
    """
    analysis = entry
    excluded = set(analysis.excluded)
    used = rows[~rows["study_id"].astype(str).isin(excluded)]
    participants = int(used["ivig_total"].sum() + used["control_total"].sum())
    n_control = int(used["control_total"].sum())
    control_risk = float(used["control_improved"].sum()) / n_control if n_control else None
    model = analysis.headline_model
    pooled = analysis.headline()
    measure = analysis.measure
    ab = None
    if control_risk is not None and not text.missing(pooled.estimate):
        ab = absolute_effect(measure, pooled.estimate, pooled.ci_low, pooled.ci_high, control_risk)
    lo, hi = _finite(pooled.ci_low), _finite(pooled.ci_high)
    excludes_null = lo is not None and hi is not None and (lo > 1 or hi < 1)
    sg = analysis.subgroups if disease == "all" else None
    tb = sg.test_between if sg is not None else None
    analysed = [s.study_id for s in analysis.studies if s.study_id not in excluded]
    found = cell if cell is not None else completeness(None, analysed, participants)
    models = _models(analysis, unadjusted)
    if disease == "all" and ab is not None:
        # no NNT for a pool across diseases: blank it in the bundle too, not only on the page
        ab = dataclasses.replace(
            ab, nnt=None, nnt_kind=None, nnt_low=None, nnt_high=None, nntb_limit=None,
            nnth_limit=None,
        )  # fmt: skip
    if disease == "all":
        nnt_note = (
            "no NNT for a pool across diseases: the control risks of different diseases differ, "
            "so one number needed to treat would apply to no patient"
        )
    elif excludes_null:
        nnt_note = None
    else:
        nnt_note = "no NNT: the confidence interval includes no difference"
    cert = row_certainty(
        rows=used,
        analysis=analysis,
        pooled=pooled,
        participants=participants,
        control_risk=control_risk,
        subgroup_p=_finite(tb.p) if disease == "all" and tb is not None else None,
        overrides=overrides.get((comparison, disease)),
        missing=missing_of(found) if cell is not None else None,
    )
    outcome_types = sorted({str(t) for t in used["outcome_type"]})
    return FindingsRow(
        disease=disease,
        diseases=tuple(sorted({str(d) for d in used["disease"]})),
        k=analysis.k,
        participants=participants,
        studies=tuple(str(s) for s in used["study_id"]),
        outcome_types=tuple(outcome_types),
        outcomes=tuple(
            OutcomeUsed(
                study_id=str(r.study_id),
                population=None if r.population is pd.NA else str(r.population),
                definition=None if r.outcome_definition is pd.NA else str(r.outcome_definition),
                timepoint=None if r.timepoint is pd.NA else str(r.timepoint),
            )
            for r in used.itertuples(index=False)
        ),
        measure=measure,
        model=model,
        estimate=pooled.estimate,
        ci_low=pooled.ci_low,
        ci_high=pooled.ci_high,
        p=pooled.p,
        i2=analysis.heterogeneity.i2 if analysis.k > 1 else None,
        pi_low=analysis.random.pi_low,
        pi_high=analysis.random.pi_high,
        control_risk=control_risk,
        control_risk_source="the control arms of this row's trials",
        absolute=ab,
        nnt_meaningful=bool(excludes_null) and disease != "all",
        nnt_note=nnt_note,
        completeness=found,
        models=models,
        model_note=model_note(models) if models else None,
        test_between=tb if disease == "all" else None,
        certainty=cert,
    )


def findings(
    comparison: str,
    rows: pd.DataFrame,
    entry: MetaAnalysis,
    analyse: Callable[[pd.DataFrame], MetaAnalysis | None],
    unadjusted: Callable[[pd.DataFrame], Random | None],
    overrides: dict,
    register: pd.DataFrame | None = None,
    cells: Mapping[str, Completeness] | None = None,
    rules: Mapping[str, Any] | None = None,
) -> list[FindingsRow]:
    """Summary-of-findings rows of one comparison: per disease, then the across-disease pool.

    Parameters
    ----------
    comparison : str
    rows : pandas.DataFrame
        The comparison's primary-analysis rows (``analysis.evidence.studies.primary``).
    entry : MetaAnalysis
        The comparison's primary analysis (subgroups by disease).
    analyse : callable
        ``analyse(rows) -> MetaAnalysis | None``: the primary analysis of a subset, without
        subgroups.
    unadjusted : callable
        ``unadjusted(rows) -> Random | None``: the random-effects model of a set of rows
        without Hartung-Knapp (the only figure of that fit a row reports).
    overrides : dict
        ``analysis.evidence.certainty_file.read_overrides`` output.
    register : pandas.DataFrame, optional
        Every trial of the comparison in the register, whatever its status; used for the
        completeness only when ``cells`` is not given (without either, n = k).
    cells : mapping, optional
        The bundle's completeness of this comparison (disease code or ``all`` -> cell,
        :func:`analysis.report.completeness.completeness`).
    rules : mapping, optional
        Study id -> the protocol rule that selected its analysed outcome (for the outcome's
        indirectness, :func:`outcome_indirect_flag`).
    """
    out = []
    diseases = sorted({str(d) for d in rows["disease"]})
    if rules:
        picked = [rules.get(str(s)) for s in rows["study_id"]]
        rows = rows.assign(protocol_rule=pd.Series(picked, index=rows.index, dtype=object))

    def cell(d: str | None, part: pd.DataFrame, analysis: MetaAnalysis) -> Completeness | None:
        if cells is not None:
            return cells.get(d or "all")
        if register is None:
            return None
        reg = register if d is None else register[register["disease"].astype(str) == d]
        done = [s.study_id for s in analysis.studies if s.study_id not in set(analysis.excluded)]
        used = part[part["study_id"].astype(str).isin(done)]
        return completeness(reg, done, int(used["ivig_total"].sum() + used["control_total"].sum()))

    for d in diseases:
        part = rows[rows["disease"].astype(str) == d].reset_index(drop=True)
        res = analyse(part)
        if res is None:
            continue
        z = unadjusted(part) if len(part) > 1 else None
        out.append(_row(comparison, d, part, res, overrides, cell(d, part, res), z))
    if len(diseases) > 1:
        z = unadjusted(rows)
        out.append(_row(comparison, "all", rows, entry, overrides, cell(None, rows, entry), z))
    return out


def ordered(found: Mapping[str, Any] | None) -> list[Any]:
    """Summary-of-findings rows in reading order (diseases by code, the pool ``all`` last).

    *found* maps the disease code (or ``all``) to its row: ``Comparison.findings``
    (:class:`FindingsRow`), or a bundle entry's ``findings`` read as JSON.
    """
    items = sorted((found or {}).items(), key=lambda kv: (kv[0] == "all", kv[0]))
    return [row for _, row in items]


# --------------------------------------------------------------------------- footnotes


def footnotes(texts: list[list[str]]) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """Lettered footnotes of a table, identical ones merged under one letter.

    ``texts`` holds, per row, the notes it carries (Markdown-safe text). Returns, per row,
    the letter of each of its notes (same order), and the notes as ``(letter, text)`` in
    order of first use: two rows rated down for the same reason share one note.
    """
    letters = "abcdefghijklmnopqrstuvwxyz"
    seen: dict[str, str] = {}
    marks: list[list[str]] = []
    for row in texts:
        mine = []
        for note in row:
            if note not in seen:
                n = len(seen)
                seen[note] = letters[n % 26] * (n // 26 + 1)
            mine.append(seen[note])
        marks.append(mine)
    return marks, [(letter, note) for note, letter in seen.items()]


# --------------------------------------------------------------------------- wording

#: the size of an effect from the point estimate (risk ratio): ``large`` beyond RR 2 or 0.5
#: (GRADE's large effect), ``moderate`` beyond the thresholds of an appreciable effect
#: (RR 1.25 and 0.75, :data:`analysis.stats.certainty.THRESHOLDS`), else ``none``
SIZES = ("large", "moderate", "none")

#: GRADE's informative statements (Santesso et al. 2020, Table 3), by certainty, size and
#: direction; ``{o}`` is the outcome phrase. Very low certainty has one statement whatever
#: the estimate (the :func:`plain_language` sentence).
STATEMENTS = {
    ("high", "large", "increase"): "results in a large increase in {o}",
    ("high", "moderate", "increase"): "increases {o}",
    ("high", "large", "reduction"): "results in a large reduction in {o}",
    ("high", "moderate", "reduction"): "reduces {o}",
    ("high", "none", None): "results in little to no difference in {o}",
    ("moderate", "large", "increase"): "likely results in a large increase in {o}",
    ("moderate", "moderate", "increase"): "probably increases {o}",
    ("moderate", "large", "reduction"): "likely results in a large reduction in {o}",
    ("moderate", "moderate", "reduction"): "probably reduces {o}",
    ("moderate", "none", None): "probably results in little to no difference in {o}",
    ("low", "large", "increase"): "may result in a large increase in {o}",
    ("low", "moderate", "increase"): "may increase {o}",
    ("low", "large", "reduction"): "may result in a large reduction in {o}",
    ("low", "moderate", "reduction"): "may reduce {o}",
    ("low", "none", None): "may result in little to no difference in {o}",
}

VERY_UNCERTAIN = "The evidence is very uncertain about the effect of IVIG on {o}"


def effect_size(estimate: float) -> tuple[str, str | None]:
    """``(size, direction)`` of a risk ratio: size in :data:`SIZES`, direction ``increase``,
    ``reduction`` or None (little to no difference)."""
    low_t, high_t = grade.THRESHOLDS
    large_low, large_high = grade.LARGE_EFFECT
    if estimate >= large_high:
        return "large", "increase"
    if estimate <= large_low:
        return "large", "reduction"
    if estimate >= high_t:
        return "moderate", "increase"
    if estimate <= low_t:
        return "moderate", "reduction"
    return "none", None


def short_statement(row: FindingsRow) -> str:
    """GRADE's statement of a row without its population (for a table cell): ``IVIG may
    result in a large increase in improvement`` or ``the evidence is very uncertain``."""
    est = _finite(row.estimate)
    if est is None:
        return "not estimable"
    label = row.certainty.label
    if label == "very_low":
        return "the evidence is very uncertain"
    size, direction = effect_size(est)
    words = {"improvement": "improvement", "responder": "response"}
    outcome = " or ".join(words.get(t, t.replace("_", " ")) for t in row.outcome_types)
    return "IVIG " + STATEMENTS[(label, size, direction)].format(o=outcome)


def plain_language(row: FindingsRow, comparator_label: str) -> str:
    """One plain-language sentence for a row, in GRADE's informative wording (Markdown-safe).

    Names the outcome and the population; the certainty and the size of the point estimate
    choose the statement from :data:`STATEMENTS` (Santesso et al. 2020, GRADE guidelines 26);
    very low certainty says "The evidence is very uncertain about the effect of IVIG on ...".
    The confidence interval enters through the certainty (imprecision). The sentence ends with
    the certainty (and why it is provisional) and what the result stands on (k of n
    identified trials).
    """
    label = row.certainty.label
    types = row.outcome_types
    if len(types) == 1:
        phrase = OUTCOME_PHRASES.get(types[0], types[0].replace("_", " "))
    else:
        phrase = "the number of patients who improve or respond (as each trial defined it)"
    if row.disease == "all":
        names = [text.disease_prose(d) for d in row.diseases]
        who = "people with " + ", ".join(names[:-1]) + " or " + names[-1] + ", taken together"
    else:
        who = "people with " + text.disease_prose(row.disease)
    comp = comparator_label.lower()
    est = _finite(row.estimate)
    if est is None or _finite(row.ci_low) is None or _finite(row.ci_high) is None:
        return (
            f"We cannot say whether IVIG changes {phrase} in {who} compared with {comp}: "
            "the effect could not be estimated."
        )
    found = row.completeness
    stands = (
        f"; {found.analysed} of {text.count(found.identified, 'identified trial')}"
        if found.identified
        else ""
    )
    provisional = row.certainty.provisional
    basis = f"{label.replace('_', ' ')} certainty" + (f", {provisional}" if provisional else "")
    if label == "very_low":
        return (
            VERY_UNCERTAIN.format(o=phrase) + f" in {who} compared with {comp} ({basis}{stands})."
        )
    size, direction = effect_size(est)
    statement = STATEMENTS[(label, size, direction)].format(o=phrase)
    return f"In {who}, IVIG {statement} compared with {comp} ({basis}{stands})."
