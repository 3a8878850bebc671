"""The few-trials panel of a comparison chapter: a secondary analysis beside the primary one.

Reads ``bundle()["few_trials"]`` (:mod:`analysis.report.few_trials`): per disease, the
Mantel-Haenszel, REML (with and without Hartung-Knapp), GLMM (CM.EL) and Bayesian results
as a pipe table, then the sentence on whether they agree. Every data-derived text is
escaped with :mod:`analysis.escape`.
"""

from __future__ import annotations

from typing import Any

from IPython.display import Markdown

from analysis import escape
from analysis.report import text
from analysis.report.chapters.loading import _check, bundle, label

__all__ = ["few_trials", "few_trials_chart", "few_trials_md"]

TITLE = "Secondary analysis: few trials"
_MEASURES = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}
_ORDER = ("common_mh", "random_hk", "random_z", "glmm", "bayes")
_SHORT = {
    "common_mh": "Mantel-Haenszel",
    "random_hk": "REML, Hartung-Knapp",
    "random_z": "REML, no Hartung-Knapp",
    "bayes": "Bayesian (credible interval)",
}


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


def chart_rows(cells: dict, measure: str) -> list[dict]:
    """The chart's rows: per disease with two or more trials (the pool last), each model on
    *measure* with an interval (the GLMM's odds ratio is left to the table)."""
    rows = []
    order = sorted(cells, key=lambda d: (d == "all", text.disease_label(d)))
    for disease in order:
        cell = cells[disease]
        if int(cell.get("k") or 0) < 2:
            continue
        name = "All diseases pooled" if disease == "all" else text.disease_label(disease)
        for key, short in _SHORT.items():
            m = (cell.get("models") or {}).get(key) or {}
            if m.get("measure") != measure or m.get("estimate") is None:
                continue
            if m.get("ci_low") is None or m.get("ci_high") is None:
                continue
            rows.append({**m, "label": short, "group": name})
    return rows


def few_trials_chart(name: str) -> Any:
    """The few-trials models of comparison *name* as an interval chart (primary measure);
    a sentence instead when no disease has two or more trials, nothing when the comparison
    has no primary analysis (:func:`few_trials` says so)."""
    from analysis.report.chapters.figures import _show
    from analysis.report.charts.few_trials import few_trials_models

    _check(name)
    b = bundle()
    measure = b["methods"]["measure"]
    cells = (b.get("few_trials") or {}).get(name) or {}
    if not cells:  # no primary analysis: the panel's table has said so already
        return Markdown("")
    rows = chart_rows(cells, measure)
    if not rows:
        return Markdown(
            "_No disease in this comparison has two or more trials, so there is no pooled "
            "result to compare across models; the table above gives each trial's own._"
        )
    return _show(few_trials_models(rows, measure, name=f"few-trials-{name}"))
