"""Sentences from results: the prose helpers the chapters use.

Every number a reader sees in a sentence is formatted here from a result
(a ``MetaAnalysis``, its ``to_dict()`` serialisation, or the results bundle),
never typed by hand. Pooled numbers are wrapped in a pandoc bracketed span,
``[0.49]{.result data-key="comparisons.placebo.random.estimate"}``, which
pandoc turns into ``<span class="result" data-key="...">0.49</span>`` in HTML
(so a test can check each shown number against ``results.json``) and into
plain text in the PDF.

Longer passages (the Methods statements, the comparison summaries) are
Jinja2 templates in ``analysis/report/templates/``.

References
----------
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
*Stat Med* 21:1539-58 (I², H²).
IntHout J, Ioannidis JPA, Borm GF (2014). The Hartung-Knapp-Sidik-Jonkman
method for random effects meta-analysis. *BMC Med Res Methodol* 14:25.
Schünemann HJ et al. (2023). Completing 'Summary of findings' tables and
grading the certainty of the evidence. *Cochrane Handbook* chapter 14.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2

from analysis.stats.results import MetaAnalysis
from analysis.vocabulary import DISEASE_LABELS, MEASURE_LABELS, TAU2_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: disease code -> label a reader expects
DISEASES: dict[str, str] = DISEASE_LABELS

#: comparator code -> (bundle key, label, chapter path)
COMPARISONS: dict[str, tuple[str, str, str]] = {
    "placebo": ("placebo", "Placebo", "chapters/placebo.qmd"),
    "plasma_exchange": ("plasma_exchange", "Plasma exchange", "chapters/plasma-exchange.qmd"),
    "corticosteroid": ("corticosteroid", "Corticosteroids", "chapters/corticosteroids.qmd"),
}

MEASURES: dict[str, str] = MEASURE_LABELS

TAU2_METHODS: dict[str, str] = TAU2_LABELS

ROB_DOMAINS: dict[str, str] = {
    "rob_d1": "D1 Randomisation process",
    "rob_d2": "D2 Deviations from intended interventions",
    "rob_d3": "D3 Missing outcome data",
    "rob_d4": "D4 Measurement of the outcome",
    "rob_d5": "D5 Selection of the reported result",
    "rob_overall": "Overall",
}


def disease_label(code: str | None) -> str:
    """The reader's name of a disease code (the code itself if unknown)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "Not stated"
    return DISEASES.get(str(code), str(code).replace("_", " ").capitalize())


def disease_prose(code: str | None) -> str:
    """A disease's name inside a sentence: ``myasthenia gravis``, ``CIDP``."""
    lab = disease_label(code)
    if lab.isupper() or lab.startswith("Guillain"):
        return lab
    return lab[0].lower() + lab[1:]


def is_ratio(measure: str) -> bool:
    """True for ratio measures (RR, OR), shown on a log axis around 1."""
    return measure.upper() in {"RR", "OR"}


# --------------------------------------------------------------------------- numbers


def missing(x: Any) -> bool:
    """True for None and NaN (undefined figures)."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def num(x: float | None, digits: int = 2) -> str:
    """A number with fixed decimals; an en dash for undefined figures.

    Negative numbers use the minus sign (U+2212), as typeset text does. Halves round away
    from zero after the float noise beyond 12 significant digits is dropped, so one value
    reached by two computations (0.945 and 0.9450000000000001) prints the same (0.95).
    """
    if x is None or missing(x):
        return "–"
    exact = Decimal(f"{float(x):.12g}")
    s = f"{exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):f}"
    if s.startswith("-"):
        s = "−" + s[1:] if float(s) != 0 else s[1:]
    return s


def pct(x: float | None, digits: int = 0) -> str:
    """A percentage such as ``45 %`` (I², weights)."""
    return "–" if missing(x) else f"{num(x, digits)} %"


def sig(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, halves away from zero as :func:`num` rounds
    (0.045 -> 0.045, 0.945 -> 0.95, 0.0012345 -> 0.0012), trailing zeros kept (0.10)."""
    exact = Decimal(f"{float(x):.12g}")
    if exact == 0:
        return num(0.0, digits - 1)
    places = digits - 1 - exact.adjusted()
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.adjusted() != exact.adjusted():  # 0.0995 -> 0.10: one place fewer
        places -= 1
    return num(float(exact), max(places, 0))


def pval(p: float | None) -> str:
    """A p-value: ``p < 0.001``, ``p > 0.99``, or two significant digits between
    (``p = 0.045``, ``p = 0.0012``, ``p = 0.31``); the one rule for the site, the PDF,
    the text summary and the diff."""
    if p is None or missing(p):
        return "p not estimable"
    if p < 0.001:
        return "p < 0.001"
    shown = sig(p, 2)
    if p > 0.99 or float(shown) > 0.99:
        return "p > 0.99"
    return f"p = {shown}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 trial``, ``5 trials``."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


# --------------------------------------------------------------------------- marked results


def mark(text: str, key: str | None) -> str:
    """Wrap a shown result in a bracketed span carrying its bundle key.

    ``mark("0.49", "comparisons.placebo.random.estimate")`` gives
    ``[0.49]{.result data-key="comparisons.placebo.random.estimate"}``.
    Without a key the text is returned as it is.
    """
    if key is None:
        return text
    return f'[{text}]{{.result data-key="{key}"}}'


def effect(
    measure: str,
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    *,
    key: str | None = None,
    label: bool = True,
    digits: int = 2,
) -> str:
    """An effect with its 95 % confidence interval: ``RR 0.49 (95 % CI 0.34 to 0.70)``.

    Parameters
    ----------
    measure : {"RR", "OR", "RD"}
    estimate, ci_low, ci_high : float or None
        On the natural scale (ratios as ratios), as in ``MetaAnalysis.to_dict()``.
    key : str, optional
        Dotted path of the object holding ``estimate``/``ci_low``/``ci_high`` in
        the results bundle, e.g. ``comparisons.placebo.random``; each number is
        then marked with ``key + ".estimate"`` and so on.
    label : bool
        Prefix the measure (``RR``).
    """
    if missing(estimate):
        return f"{measure} not estimable" if label else "not estimable"

    def k(name: str) -> str | None:
        return None if key is None else f"{key}.{name}"

    head = f"{measure} " if label else ""
    text = f"{head}{mark(num(estimate, digits), k('estimate'))}"
    if missing(ci_low) or missing(ci_high):
        return text + " (95 % CI not estimable)"
    return (
        f"{text} (95 % CI {mark(num(ci_low, digits), k('ci_low'))} "
        f"to {mark(num(ci_high, digits), k('ci_high'))})"
    )


def interval(
    low: float | None,
    high: float | None,
    *,
    key_low: str | None = None,
    key_high: str | None = None,
    digits: int = 2,
) -> str:
    """``0.20 to 1.10`` (prediction intervals, tau² CIs); ``not estimable`` if undefined."""
    if missing(low) or missing(high):
        return "not estimable"
    return f"{mark(num(low, digits), key_low)} to {mark(num(high, digits), key_high)}"


def get(obj: Any, path: str) -> Any:
    """Follow a dotted path through dicts and attributes; None where it breaks off."""
    cur = obj
    for part in path.split("."):
        if cur is None:
            return None
        if isinstance(cur, Mapping):
            cur = cur.get(part)
        elif isinstance(cur, list | tuple) and part.isdigit():
            idx = int(part)
            cur = cur[idx] if idx < len(cur) else None
        else:
            cur = getattr(cur, part, None)
    return cur


#: the parts a results-bundle entry adds to the full analysis: the fields of
#: analysis.report.comparison.Comparison beside its inline analysis (a test holds them equal)
BUNDLE_PARTS = ("summary", "findings", "sensitivity")


def analysis_of(result: Any) -> MetaAnalysis:
    """A :class:`MetaAnalysis`, or one read strictly from its dict or from a bundle entry
    (its extra parts, :data:`BUNDLE_PARTS`, set aside): a missing key or a value of the
    wrong type is an error naming the key (:class:`analysis.stats.results.ResultKeyError`)."""
    if isinstance(result, MetaAnalysis):
        return result
    if isinstance(result, Mapping):
        return MetaAnalysis.from_dict({k: v for k, v in result.items() if k not in BUNDLE_PARTS})
    raise TypeError(f"expected a MetaAnalysis or its to_dict(), got {type(result).__name__}")


def heterogeneity(result: Any, *, key: str | None = None) -> str:
    """``I² = 45 % (Cochran's Q = 7.3, df = 4, p = 0.12); tau² = 0.08 (REML)``."""
    r = analysis_of(result)
    het, rnd = r.heterogeneity, r.random
    if r.k < 2 or missing(het.q):
        return "heterogeneity cannot be estimated from a single trial"
    kh = None if key is None else f"{key}.heterogeneity"
    kr = None if key is None else f"{key}.random"
    i2 = mark(num(het.i2, 0), kh and f"{kh}.i2")
    q = mark(num(het.q, 2), kh and f"{kh}.q")
    tau2 = mark(num(rnd.tau2, 3), kr and f"{kr}.tau2")
    return (
        f"I² = {i2} % (Cochran's Q = {q}, df = {het.df}, {pval(het.p)}); "
        f"tau² = {tau2} ({rnd.tau2_method})"
    )


def trials_and_participants(k: int, participants: int | None) -> str:
    """``5 trials, 235 participants``."""
    if participants is None:
        return count(k, "trial")
    return f"{count(k, 'trial')}, {count(int(participants), 'participant')}"


# --------------------------------------------------------------------------- software


@cache
def software_versions() -> dict[str, str]:
    """Installed versions of the packages that produced the numbers and the pages."""
    import platform

    out = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "pandas", "altair", "jinja2", "vl-convert-python", "typst"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    try:
        import pypandoc

        out["pandoc"] = pypandoc.get_pandoc_version()
    except Exception:  # noqa: BLE001 - pandoc is optional for the numbers
        out["pandoc"] = "not installed"
    return out


# --------------------------------------------------------------------------- templates


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of ``analysis/report/templates`` with the helpers above as filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - output is Markdown, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    formatters = {"num": num, "pct": pct, "pval": pval, "mark": mark}
    env.filters.update(formatters, disease=disease_label)
    env.globals.update(
        formatters,
        effect=effect,
        interval=interval,
        count=count,
        heterogeneity=heterogeneity,
        trials_and_participants=trials_and_participants,
        MEASURES=MEASURES,
        TAU2_METHODS=TAU2_METHODS,
        DISEASES=DISEASES,
        missing=missing,
    )
    return env


def render(template: str, **context: Any) -> str:
    """Render ``analysis/report/templates/TEMPLATE`` with *context*; Markdown out."""
    return environment().get_template(template).render(**context).strip()
