"""The few-trials panel of a comparison chapter: a secondary analysis beside the primary one.

Reads ``bundle()["few_trials"]`` (:mod:`analysis.report.few_trials`): per disease, the
Mantel-Haenszel, REML (with and without Hartung-Knapp), GLMM (CM.EL) and Bayesian results
as a pipe table, then the sentence on whether they agree. Every data-derived text is
escaped with :mod:`analysis.escape`.
"""

from __future__ import annotations

from IPython.display import Markdown

from analysis import escape
from analysis.report import text
from analysis.report.chapters.loading import _check, bundle, label

__all__ = ["few_trials", "few_trials_md"]

TITLE = "Secondary analysis: few trials"
_MEASURES = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}
_ORDER = ("common_mh", "random_hk", "random_z", "glmm", "bayes")


def _cell(value: str) -> str:
    return escape.table_pipes(escape.markdown(value))


def _interval(m: dict) -> str:
    lo, hi = m.get("ci_low"), m.get("ci_high")
    if lo is None or hi is None:
        return "–"
    return f"{text.num(lo)} to {text.num(hi)} ({escape.markdown(m.get('interval') or '')})"


def _note(m: dict) -> str:
    parts = []
    if m.get("p_benefit") is not None:
        parts.append(f"probability that IVIG is better {text.num(m['p_benefit'])}")
    if m.get("prior"):
        parts.append(escape.markdown(m["prior"]))
    if m.get("note"):
        parts.append(escape.markdown(m["note"]))
    return "; ".join(parts) if parts else ""


def _table(cell: dict) -> list[str]:
    lines = [
        "| Model | Measure | Estimate | 95 % interval | Note |",
        "| :--- | :--- | ---: | :--- | :--- |",
    ]
    models = cell.get("models") or {}
    for key in _ORDER:
        m = models.get(key)
        if m is None:
            continue
        measure = _MEASURES.get(str(m.get("measure")), str(m.get("measure")))
        row = [
            _cell(m.get("label") or key),
            _cell(measure),
            text.num(m.get("estimate")),
            _interval(m),
            _note(m),
        ]
        lines.append("| " + " | ".join(escape.table_pipes(c) for c in row) + " |")
    return lines


def few_trials_md(cells: dict, comparison_label: str) -> str:
    """The panel's Markdown for the bundle's ``few_trials[comparison]`` (see :func:`few_trials`)."""
    out = [f"**{TITLE}.**"]
    if not cells:
        out.append(
            f"_No trial of IVIG versus {escape.markdown(comparison_label.lower())} is in the "
            "primary analysis, so there is nothing to re-analyse._"
        )
        return "\n\n".join(out)
    out.append(
        "The primary result re-analysed under models suited to few trials and small arms: a "
        "generalised linear mixed model on the binomial likelihood (odds ratio, no continuity "
        "correction) and a Bayesian random-effects model with a weakly informative prior on "
        "the between-trial standard deviation. These are secondary analyses; the primary "
        "result and its certainty rating stand on the REML model with Hartung-Knapp "
        "inference (see the Methods)."
    )
    order = sorted(cells, key=lambda d: (d == "all", text.disease_label(d)))
    for disease in order:
        cell = cells[disease]
        name = "All diseases pooled" if disease == "all" else text.disease_label(disease)
        k = int(cell.get("k") or 0)
        out.append(f"*{escape.markdown(name)}* ({escape.markdown(text.count(k, 'trial'))})")
        out.append("\n".join(_table(cell)))
        out.append(escape.markdown(cell.get("agreement") or ""))
    return "\n\n".join(out)


def few_trials(name: str) -> Markdown:
    """The few-trials panel of comparison *name*, labelled "Secondary analysis: few trials"."""
    _check(name)
    cells = (bundle().get("few_trials") or {}).get(name) or {}
    return Markdown(few_trials_md(cells, label(name)))
