"""The result tables of a comparison: summary paragraph, studies, subgroups,
sensitivity, tau² estimators, small-study effects; published results."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from IPython.display import Markdown

from analysis import escape
from analysis.report import chapters as site
from analysis.report import text
from analysis.report.chapters.loading import (
    _check,
    _key,
    bundle,
    comparison_mod,
    label,
    pd,
    primary_rows,
    result,
    section,
)

if TYPE_CHECKING:
    from analysis.report.comparison import Comparison


# --------------------------------------------------------------------------- blocks


def summary(name: str) -> Markdown:
    """A paragraph on a comparison's primary analysis (or why there is none)."""
    c = result(name)
    rows = site.studies()
    register_rows = rows[rows["comparator"] == name]
    other = ""
    reason = ""
    if c is None:
        un = site.unavailable(name)
        reason = un.reason
        alt = un.sensitivity.all_outcome_types
        if alt is not None:
            ids = [s.study_id for s in alt.studies]
            r = alt.headline()
            types = sorted(set(rows.loc[rows["study_id"].isin(ids), "outcome_type"].astype(str)))
            other = (
                f"{text.count(alt.k, 'trial')} ({', '.join(ids)}) reports another outcome type "
                f"({', '.join(t.replace('_', ' ') for t in types)}): "
                + text.effect(alt.measure, r.estimate, r.ci_low, r.ci_high)
                + ", shown in the sensitivity analyses only."
            )
    model = c.summary.model if c else "random"
    return Markdown(
        text.render(
            "comparison.md.j2",
            entry=c.analysis if c else None,
            label=label(name),
            key=_key(name),
            model=model,
            pooled=c.analysis.model(model) if c else None,
            summary=c.summary if c else None,
            reason=reason,
            register_rows=len(register_rows),
            other=other,
            populations=_populations(c),
            certainty=site.headline_certainty(name) if c else "",
        )
    )


def _populations(c: Comparison | None) -> str:
    """``CIDP, multiple sclerosis and myasthenia gravis``: the diseases of an analysis."""
    sg = c.analysis.subgroups if c else None
    codes = sorted(sg.groups) if sg else []
    names = [text.disease_prose(code) for code in codes]
    if not names:
        return "the trials' populations"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _md_table(df: pd.DataFrame, align: dict[str, str] | None = None) -> str:
    """A pipe table (no dependency on tabulate); ``align`` maps column -> 'l'|'r'|'c'."""
    align = align or {}
    cols = [str(c) for c in df.columns]

    def cell(v: Any) -> str:
        s = "" if text.missing(v) or v is pd.NA else str(v)
        return escape.table_pipes(s.replace("\n", " "))

    rule = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(cols) + " |",
        "| " + " | ".join(rule.get(align.get(c, "l"), "---") for c in cols) + " |",
    ]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def _per1000(x: Any) -> str:
    return "–" if text.missing(x) else f"{float(x):.0f}"


def risk_difference(ab: dict) -> str:
    """The absolute effect as GRADEpro and Cochrane's summary-of-findings tables give it:
    "267 more per 1000 (from 21 fewer to 819 more)" (IVIG minus control, per 1000, with the
    CI of the relative effect applied to the same control risk).

    Reads ``difference_per_1000`` and its limits, computed by
    :func:`analysis.stats.absolute.absolute_effect` (Guyatt et al. 2013, GRADE guidelines 12);
    "–" when the difference cannot be computed.
    """

    def words(x: Any) -> str:
        n = round(float(x))
        return f"{abs(n)} {'more' if n > 0 else 'fewer'}"

    d = (ab or {}).get("difference_per_1000")
    if text.missing(d):
        return "–"
    lo, hi = ab.get("difference_per_1000_low"), ab.get("difference_per_1000_high")
    ci = "" if text.missing(lo) or text.missing(hi) else f" (from {words(lo)} to {words(hi)})"
    return f"{words(d)} per 1000{ci}"


def _note_id(name: str, letter: str) -> str:
    return f"sof-{name}-note-{letter}"


def footnote_marks(name: str, letters: list[str], seen: set[str] | None = None) -> str:
    """Superscript footnote markers that link to their explanation under the table
    (``[a](#sof-NAME-note-a)``); the first marker of each letter is the target of the
    explanation's link back (*seen* holds the letters already anchored in this table)."""
    if not letters:
        return ""
    seen = set() if seen is None else seen
    links = []
    for x in letters:
        link = f"[{x}](#{_note_id(name, x)})"
        if x not in seen:
            seen.add(x)
            link = f"[{link}]{{#{_note_id(name, x)}-ref}}"
        links.append(link)
    return "^" + ",".join(links) + "^"


def footnote_note(name: str, letter: str, explanation: str) -> str:
    """The explanation of footnote *letter*, with its anchor and a link back to its marker."""
    ident = _note_id(name, letter)
    return f"[^{letter}^]{{#{ident}}} {explanation} [(back to the table)](#{ident}-ref)"


def _nnt(ab: dict) -> str:
    """NNTB or NNTH with its CI as Altman (1998) writes it, rounded up ("NNTB 5 (3 to 12)").

    Uses :meth:`analysis.stats.absolute.AbsoluteEffect.describe` on the bundle's fields.
    """
    from analysis.stats.absolute import AbsoluteEffect

    if not ab or text.missing(ab.get("nnt")):
        return "–"
    return AbsoluteEffect(**ab).describe() or "–"


@cache
def published() -> tuple[dict, ...]:
    """Published pooled results (``data/published.yaml``, read and checked by
    :mod:`analysis.evidence.published` when the bundle was computed: its ``published``)."""
    return tuple(dict(p) for p in section("published"))


def published_table(name: str | None = None) -> Markdown:
    """Published pooled results and conclusions, beside ours, for one or all comparisons."""
    rows = []
    for p in published():
        if name is not None and p["comparison"] not in (name, "all"):
            continue
        if "estimate" in p:
            d = int(p.get("digits", 2))
            res = text.effect(p["measure"], p["estimate"], p["ci_low"], p["ci_high"], digits=d)
        else:
            res = escape.markdown(p["result"])
        extra = []
        if "trials" in p:
            extra.append(
                f"{text.count(p['trials'], 'trial')}, {p['participants']} "
                f"{p.get('participants_word', 'participants')}"
                if "participants" in p
                else text.count(p["trials"], "trial")
            )
        if "result_note" in p:
            extra.append(p["result_note"])
        comp = "all" if p["comparison"] == "all" else f"IVIG vs {label(p['comparison']).lower()}"
        rows.append(
            {
                "Comparison": comp,
                "Population and outcome": escape.markdown(f"{p['population']}: {p['outcome']}"),
                "Published result": res
                + (f"; {'; '.join(escape.markdown(x) for x in extra)}" if extra else ""),
                "Source": escape.markdown(p["source"]),
            }
        )
    return Markdown(_md_table(pd.DataFrame(rows)))


def studies_table(name: str) -> Markdown:
    """The trials of a comparison in the register, with counts, outcome and status."""
    _check(name)
    rows = site.studies()
    table = comparison_mod.studies_frame(rows[rows["comparator"] == name], result(name))
    if table.empty:
        return Markdown("_The register holds no trial of this comparison._")
    return Markdown(_md_table(table))


def _trial(study_id: Any) -> str:
    return comparison_mod.trial_cell(study_id)


def _s(v: Any) -> str:
    return comparison_mod.field_text(v)


def _counts(a: Any, n: Any) -> str:
    return comparison_mod.counts_cell(a, n)


def subgroup_table(name: str) -> Markdown:
    """Pooled result per disease, with the test for subgroup differences."""
    c = result(name)
    table = c.subgroup_frame(primary_rows(name), bundle()["methods"]["by"]) if c else None
    if c is None or table is None:
        return Markdown("_No subgroups._")
    return Markdown(_md_table(table) + "\n\n" + c.subgroup_test())


# --------------------------------------------------------------------------- sensitivity


def _sensitivity_rows(name: str) -> list[dict]:
    c = result(name)
    return [] if c is None else c.sensitivity_rows()


def sensitivity_table(name: str) -> Markdown:
    """Each sensitivity analysis of a comparison with its pooled effect."""
    c = result(name)
    if c is None:
        return Markdown("_No primary analysis, so no sensitivity analysis._")
    assessed = c.sensitivity.notes.get("excluding_high_rob_assessed")
    tail = f"\n\nRisk of bias: {assessed}." if assessed else ""
    return Markdown(_md_table(c.sensitivity_frame()) + tail)


def tau2_table(name: str) -> Markdown:
    """The random-effects estimate under each tau² estimator."""
    c = result(name)
    table = c.tau2_frame(bundle()["methods"]["tau2_method"]) if c else None
    if table is None:
        return Markdown("_Alternative tau² estimators need at least two trials._")
    return Markdown(_md_table(table))


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def small_study_withheld(k: int) -> str:
    """Why Egger's and Begg's tests and trim-and-fill are not reported for *k* trials."""
    from analysis.stats import certainty as grade

    return (
        f"With {text.count(k, 'trial')} in the primary analysis, Egger's and Begg's tests and "
        f"trim-and-fill are not reported: with fewer than {grade.MIN_K_SMALL_STUDY} trials, "
        "tests for funnel plot asymmetry have too little power to tell chance from real "
        "asymmetry, and trim-and-fill rests on the same asymmetry (Cochrane Handbook, section "
        "13.3.5.4) [@sterne2011]. Known missing trials count against the "
        "certainty instead (publication bias domain, see the Methods)."
    )


def small_study(name: str) -> Markdown:
    """Egger, Begg and trim-and-fill for a comparison; below ten trials, the reason instead."""
    from analysis.stats.certainty import MIN_K_SMALL_STUDY

    c = result(name)
    if c is None or c.k < MIN_K_SMALL_STUDY:
        return Markdown(small_study_withheld(0 if c is None else c.k))
    eg, bg, tf = (
        c.analysis.small_study.egger,
        c.analysis.small_study.begg,
        c.analysis.small_study.trimfill,
    )

    def m(value: Any, *path: str) -> str:
        return text.mark(text.num(value), _key(name, "small_study", *path))

    parts = [
        f"Egger's regression test: intercept {m(eg.intercept, 'egger', 'intercept')} "
        f"(SE {m(eg.se, 'egger', 'se')}), t = {m(eg.t, 'egger', 't')} on "
        f"{eg.df} df, {text.pval(eg.p)}.",
        f"Begg's rank correlation: Kendall's tau = {m(bg.tau, 'begg', 'tau')}, {text.pval(bg.p)}.",
        f"Trim-and-fill imputes {text.count(int(tf.k0 or 0), 'trial')} on the "
        f"{tf.side} side; the adjusted estimate is "
        + text.effect(
            c.measure,
            tf.estimate,
            tf.ci_low,
            tf.ci_high,
            key=_key(name, "small_study", "trimfill"),
        )
        + ".",
    ]
    return Markdown("\n\n".join(f"- {p}" for p in parts))
