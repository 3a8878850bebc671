"""Certainty of the evidence (GRADE): summary of findings, plain-language summary,
published results beside ours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.display import Markdown

from analysis.report import chapters as site
from analysis.report import text
from analysis.report.chapters.loading import COMPARISON_KEYS, _key, label, pd, result
from analysis.report.chapters.tables import (  # noqa: F401 (small_study_withheld re-exported)
    _md_table,
    _nnt,
    _per1000,
    footnote_marks,
    footnote_note,
    published,
    risk_difference,
    small_study_withheld,
)

if TYPE_CHECKING:
    from analysis.report.findings import FindingsRow
    from analysis.stats.certainty import Domain

# --------------------------------------------------------------------------- certainty (GRADE)
# Summary of findings per comparison and disease, certainty of evidence, plain language,
# published results beside ours. Rows come from the bundle's ``findings``
# (analysis.report.findings); data fields pass through ``findings.md_text``.

CERTAINTY_WORDS = {"high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very low"}
DOMAIN_WORDS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
}
RATING_WORDS = {
    "not_serious": "not serious",
    "serious": "serious (−1)",
    "very_serious": "very serious (−2)",
    "not_assessable": "not assessable",
}


def findings_rows(name: str) -> list[FindingsRow]:
    """Summary-of-findings rows of a comparison: per disease, then the pool ([] if none)."""
    from analysis.report.findings import ordered

    c = result(name)
    return ordered(c.findings if c else None)


def _population(row: FindingsRow) -> str:
    if row.disease == "all":
        return (
            "All diseases pooled (" + ", ".join(text.disease_label(d) for d in row.diseases) + ")"
        )
    return text.disease_label(row.disease)


def _row_effect(name: str, row: FindingsRow) -> str:
    """A summary-of-findings row's effect with its CI, marked with the row's bundle key."""
    return text.effect(
        row.measure,
        row.estimate,
        row.ci_low,
        row.ci_high,
        key=_key(name, "findings", row.disease),
    )


def certainty_label(row: FindingsRow, marks: str = "") -> str:
    """``⊕⊕◯◯ Low``: GRADE's symbols and word for a row's certainty, then (when the rating
    rests on judgements not yet made) ``(provisional: risk of bias not yet assessed)``.
    ``marks``: footnote letters written right after the word."""
    c = row.certainty
    out = f"{c.symbols} {CERTAINTY_WORDS[c.label]}{marks}"
    if c.provisional:
        out += f" ({c.provisional})"
    return out


def _how_rated(row: FindingsRow) -> str:
    c = row.certainty
    judged = [d for d in c.domains if d.source == "reviewer"]
    if not judged:
        return "rule-based"
    return "judged: " + ", ".join(DOMAIN_WORDS[d.domain].lower() for d in judged)


def _outcome_cell(row: FindingsRow) -> str:
    types = " or ".join(t.replace("_", " ") for t in row.outcome_types)
    if len(row.outcomes) == 1:
        o = row.outcomes[0]
        return (
            f"{types.capitalize()}: {findings_md(o.definition)}; "
            f"time point: {findings_md(o.timepoint) or 'not stated'}"
        )
    return f"{types.capitalize()}, as each trial defined it (definitions below)"


def _domain_note(d: Domain) -> str:
    """A domain's footnote: ``Risk of bias, serious (−1): reason.`` (data fields escaped)."""
    who = f" (judged by {findings_md(d.reviewer)})" if d.source == "reviewer" else ""
    return f"{DOMAIN_WORDS[d.domain]}, {RATING_WORDS[d.rating]}{who}: {findings_md(d.reason)}."


def _row_notes(row: FindingsRow) -> tuple[list[str], int]:
    """A row's footnote texts: one per domain rated down, then the model note (if the choice
    of model changes the conclusion); and how many are domain notes."""
    notes = [_domain_note(d) for d in row.certainty.domains if d.downgrade > 0]
    n = len(notes)
    if row.model_note:
        notes.append(findings_md(row.model_note) + ".")
    return notes, n


def findings_md(value: Any) -> str:
    """A data field as plain text in Markdown (:func:`analysis.report.findings.md_text`)."""
    from analysis.report.findings import md_text

    return md_text(value)


def findings_table(name: str) -> Markdown:
    """Summary of findings of one comparison: one row per disease, then the pooled row.

    Columns as a GRADE summary of findings: outcome (definition, time point), trials
    (participants), relative effect, risk per 1000 with the control and with IVIG (control
    risk from that row's own trials), NNT where the CI excludes no effect, certainty with
    lettered footnotes giving each downgrade and its reason, and whether it is rule-based.
    """
    from analysis.report.findings import footnotes

    rows = site.findings_rows(name)
    if not rows:
        return Markdown(
            f"_No trial of IVIG versus {label(name).lower()} is in the primary analysis._"
        )
    texts = [_row_notes(r) for r in rows]
    marks, notes = footnotes([t for t, _ in texts])
    out = []
    seen: set[str] = set()  # a letter shared by several rows: one anchor, at its first use
    for r, (_texts, n_domains), row_marks in zip(rows, texts, marks, strict=True):
        ab = r.absolute.to_dict() if r.absolute else {}
        grade_marks, model_marks = row_marks[:n_domains], row_marks[n_domains:]
        key = _key(name, "findings", r.disease)
        if r.nnt_meaningful:
            nnt = _nnt(ab)
        elif r.disease == "all":
            nnt = "not given for a pool across diseases"
        else:
            nnt = "not meaningful"
        sup = footnote_marks(name, grade_marks, seen)
        out.append(
            {
                "Population": _population(r),
                "Outcome": _outcome_cell(r),
                "Trials (participants)": site.row_trials(name, r),  # k of n identified
                "Relative effect (95 % CI)": text.effect(
                    r.measure, r.estimate, r.ci_low, r.ci_high, key=key
                )
                + footnote_marks(name, model_marks, seen),
                "Control risk per 1000": _per1000(ab.get("control_per_1000")),
                "IVIG risk per 1000 (95 % CI)": (
                    f"{_per1000(ab.get('ivig_per_1000'))} ({_per1000(ab.get('ivig_per_1000_low'))}"
                    f" to {_per1000(ab.get('ivig_per_1000_high'))})"
                    if ab
                    else "–"
                ),
                "Risk difference per 1000 (95 % CI)": risk_difference(ab),
                "NNT": nnt,
                "Certainty": f"{r.certainty.symbols} "
                f"{CERTAINTY_WORDS[r.certainty.label]}{sup} ("
                + "; ".join(x for x in (r.certainty.provisional, _how_rated(r)) if x)
                + ")",
            }
        )
    table = _md_table(pd.DataFrame(out))
    defs = []
    for r in rows:
        if len(r.outcomes) > 1:
            items = "; ".join(
                f"{findings_md(o.study_id)}: {findings_md(o.definition)} "
                f"(time point: {findings_md(o.timepoint) or 'not stated'})"
                for o in r.outcomes
            )
            defs.append(f"- **{_population(r)}:** {items}.")
    parts = [
        table,
        "",
        "NNT: number needed to treat for one more patient to improve (NNTB) or one fewer (NNTH), "
        "rounded up; not meaningful where the confidence interval includes no effect, and not "
        "given for a pool across diseases, whose control risks differ.",
        "",
        "**Reasons for rating down the certainty, and notes.** Identical reasons share a letter.",
        "",
    ]
    parts += [f"- {footnote_note(name, letter, note)}" for letter, note in notes] or ["- None."]
    models = model_lines(name, rows)
    if models:
        parts += [
            "",
            "**The same rows under other models.** Random effects with the Hartung-Knapp "
            "adjustment is the primary model; with few trials its interval is wide, so each "
            "pooled row is also shown with unadjusted random effects (REML, normal "
            "distribution) and the common-effect (Mantel-Haenszel) model.",
            "",
            *models,
        ]
    if defs:
        parts += ["", "**Outcome definitions and time points.**", "", *defs]
    return Markdown("\n".join(parts))


MODEL_WORDS = {
    "random_hk": "random effects, Hartung-Knapp",
    "random_z": "random effects, unadjusted",
    "common_mh": "common effect (Mantel-Haenszel)",
}


def model_lines(name: str, rows: list[FindingsRow]) -> list[str]:
    """One list item per pooled row: its result under each model, numbers marked with their
    bundle keys (``...findings.cidp.models.random_z``)."""
    out = []
    for r in rows:
        models = r.models
        if not models:
            continue
        key = _key(name, "findings", r.disease, "models")
        shown = [
            f"{words} "
            + text.effect(r.measure, m.estimate, m.ci_low, m.ci_high, key=f"{key}.{code}")
            for code, words in MODEL_WORDS.items()
            if (m := models.get(code)) is not None
        ]
        note = " The choice of model changes the conclusion." if r.model_note else ""
        out.append(f"- **{_population(r)}:** " + "; ".join(shown) + "." + note)
    return out


def pool_sentence(name: str) -> Markdown:
    """The across-disease pool, shown as such, with the test for subgroup differences."""
    rows = [r for r in site.findings_rows(name) if r.disease == "all"]
    if not rows:
        return Markdown("")
    r = rows[0]
    tb = r.test_between
    key = _key(name, "subgroups", "test_between")
    test = (
        f"The test for subgroup differences between diseases gives Q = "
        f"{text.mark(text.num(tb.q), key + '.q')}, df = {tb.df}, "
        f"{text.pval(tb.p)}"
        if tb is not None and not text.missing(tb.q)
        else "The test for subgroup differences could not be computed"
        + (f" ({tb.note})" if tb is not None and tb.note else "")
    )
    meaning = (
        "a small p-value would suggest that the effect differs between diseases; a large one "
        "does not show that it is the same, because with few trials per disease the test has "
        "little power (Cochrane Handbook, section 10.11.3.1 [@deeks2023])."
    )
    return Markdown(
        f"Pooled across {text.count(len(r.diseases), 'disease')}, as the source review did, "
        f"IVIG versus {label(name).lower()} gives "
        + _row_effect(name, r)
        + f" ({text.trials_and_participants(r.k, r.participants)}; certainty "
        f"{certainty_label(r)}). This pool mixes different diseases and outcome definitions, so "
        f"it answers no single clinical question: the rows per disease are the primary results. "
        f"{test}: {meaning}"
    )


def plain_language(name: str) -> Markdown:
    """Plain-language summary of a comparison: one GRADE-worded sentence per row."""
    from analysis.report.findings import plain_language as words

    rows = site.findings_rows(name)
    if not rows:
        return Markdown(
            f"No trial comparing IVIG with {label(name).lower()} has results "
            "that can be pooled yet."
        )
    return Markdown("\n".join(f"- {words(r, label(name))}" for r in rows))


def first_screen() -> Markdown:
    """The home page's opening list: per comparison and disease, effect, certainty, outcome;
    a rating that is provisional says so, with the reason once below the list."""
    lines = []
    notes: set[str] = set()
    for name in COMPARISON_KEYS:
        rows = site.findings_rows(name)
        if not rows:
            lines.append(
                f"- **IVIG vs {label(name).lower()}:** no trial in the primary analysis yet."
            )
            continue
        for r in rows:
            types = " or ".join(t.replace("_", " ") for t in r.outcome_types)
            pop = "all diseases pooled" if r.disease == "all" else text.disease_label(r.disease)
            c = r.certainty
            provisional = " (provisional)" if c.provisional else ""
            if c.provisional:
                notes.add(c.provisional)
            lines.append(
                f"- **IVIG vs {label(name).lower()}, {pop}** ({types}, "
                f"{site.row_trials(name, r, words=True)}): "
                + _row_effect(name, r)
                + f"; certainty {c.symbols} {CERTAINTY_WORDS[c.label]}{provisional}."
            )
    if notes:
        lines += [
            "",
            "Provisional ratings: "
            + "; ".join(sorted(n.removeprefix("provisional: ") for n in notes))
            + ". They may change when the trials are assessed, without any new trial.",
        ]
    return Markdown("\n".join(lines))


def _closest(p: dict) -> tuple[str, FindingsRow] | None:
    """The project's row closest to a published result: same comparison and disease."""
    if p.get("comparison") not in COMPARISON_KEYS or not p.get("disease"):
        return None
    for r in site.findings_rows(p["comparison"]):
        if r.disease == p["disease"]:
            return _key(p["comparison"], "findings", r.disease), r
    return None


def why_different(p: dict, row: FindingsRow | None) -> str:
    """One generated sentence on why a published result and the closest analysis differ."""
    if row is None:
        return "This version has no trial with counts for this comparison and disease yet."
    reasons = []
    if p.get("trials") is not None and p["trials"] != row.k:
        reasons.append(
            f"it pools {text.count(int(p['trials']), 'trial')} where this version has "
            f"{row.k} with counts"
        )
    elif p.get("trials") is None:
        reasons.append(f"this version has {text.count(row.k, 'trial')} with counts")
    if p.get("measure") and p["measure"] != row.measure:
        reasons.append(
            "it reports an odds ratio, this version a risk ratio"
            if p["measure"] == "OR"
            else f"it reports {p['measure']}, this version {row.measure}"
        )
    if not p.get("measure"):
        reasons.append("it reports a different effect measure")
    if row.model == "random":
        reasons.append(
            "this version uses random effects with Hartung-Knapp intervals, whose t distribution "
            "on k − 1 degrees of freedom is wide when there are few trials"
        )
    else:
        reasons.append("this version's figure is a single trial's own result")
    ot = p.get("outcome_type")
    if ot and ot not in row.outcome_types:
        reasons.append(
            f"its outcome ({ot.replace('_', ' ')}) is not the outcome pooled here "
            f"({' or '.join(t.replace('_', ' ') for t in row.outcome_types)})"
        )
    else:
        reasons.append("the outcome definitions and time points may differ")
    return "They differ because " + "; ".join(reasons) + "."


def published_beside() -> Markdown:
    """Each published pooled result beside this version's closest analysis, with why they differ."""
    out = []
    for p in published():
        if p["comparison"] == "all":
            continue
        if "estimate" in p:
            d = int(p.get("digits", 2))
            res = text.effect(p["measure"], p["estimate"], p["ci_low"], p["ci_high"], digits=d)
        else:
            res = findings_md(p["result"])
        if p.get("trials") is not None:
            res += f" ({text.count(int(p['trials']), 'trial')})"
        hit = _closest(p)
        key, row = hit if hit else (None, None)
        ours = (
            text.effect(row.measure, row.estimate, row.ci_low, row.ci_high, key=key)
            + f" ({text.trials_and_participants(row.k, row.participants)}; "
            f"{certainty_label(row)})"
            if row
            else "no analysis"
        )
        out.append(
            {
                "Published (population, outcome)": (
                    f"{findings_md(p['population'])}, {findings_md(p['outcome'])}"
                ),
                "Published result": f"{res}; {findings_md(p['source'])}",
                "This version, same disease": ours,
                "Why they differ": why_different(p, row),
            }
        )
    return Markdown(_md_table(pd.DataFrame(out)))


def conclusion_cell(name: str) -> str:
    """This version's conclusion of a comparison for the conclusions table: per disease and
    for the pool, GRADE's statement, the effect, the certainty (provisional where it is) and
    what it stands on (k of n identified trials)."""
    from analysis.report.findings import short_statement

    rows = site.findings_rows(name)
    if not rows:
        return "no trial in the primary analysis yet: no conclusion"
    parts = []
    for r in rows:
        found = r.completeness
        stands = (
            f"{found.analysed} of {text.count(found.identified, 'identified trial')}"
            if found.identified
            else text.count(r.k, "trial")
        )
        parts.append(
            f"**{_population(r)}:** {short_statement(r)}, "
            + _row_effect(name, r)
            + f" ({_certainty_words(r)}; {stands})"
        )
    return "; ".join(parts) + "."


def _certainty_words(row: FindingsRow) -> str:
    """``⊕◯◯◯ very low certainty, provisional: risk of bias not yet assessed``."""
    c = row.certainty
    out = f"{c.symbols} {CERTAINTY_WORDS[c.label].lower()} certainty"
    return out + (f", {c.provisional}" if c.provisional else "")


def headline_certainty(name: str) -> str:
    """The certainty of a comparison's headline result (the pool across diseases, or its one
    disease), as a sentence for the summary paragraph; "" when nothing is analysed."""
    rows = site.findings_rows(name)
    pool = [r for r in rows if r.disease == "all"] or rows[:1]
    if not pool:
        return ""
    r = pool[0]
    found = r.completeness
    stands = (
        f"; it rests on {found.analysed} of {text.count(found.identified, 'identified trial')}"
        if found.identified
        else ""
    )
    return (
        f"Certainty of this evidence: {_certainty_words(r)} (GRADE, reasons in the summary of "
        f"findings){stands}."
    )


def certainty_methods() -> Markdown:
    """The GRADE section of the Methods chapter (from the rules' constants)."""
    from analysis.report.findings import STATEMENTS, VERY_UNCERTAIN
    from analysis.stats import certainty as grade

    o = "…"
    lines = [
        f"- {CERTAINTY_WORDS[level]}: "
        + "; ".join(
            f'"IVIG {STATEMENTS[(level, size, d)].format(o=o)}"'
            for size, d in (("large", "increase"), ("moderate", "increase"), ("none", None))
        )
        + "."
        for level in ("high", "moderate", "low")
    ]
    lines.append(
        f'- {CERTAINTY_WORDS["very_low"]}: "{VERY_UNCERTAIN.format(o=o)}", whatever the estimate.'
    )
    wording = "\n".join(lines)
    return Markdown(
        text.render(
            "certainty_methods.md.j2",
            wording=wording,
            thresholds=grade.THRESHOLDS,
            i2_serious=grade.I2_SERIOUS,
            i2_very=grade.I2_VERY_SERIOUS,
            subgroup_p=grade.SUBGROUP_P,
            min_k=grade.MIN_K_SMALL_STUDY,
            small_p=grade.SMALL_STUDY_P,
            large=grade.LARGE_EFFECT,
            ois_far=grade.OIS_FAR,
            missing_serious=grade.MISSING_SERIOUS,
            missing_very=grade.MISSING_VERY_SERIOUS,
            provisional_rob=grade.PROVISIONAL_ROB,
        )
    )
