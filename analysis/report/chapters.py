"""What the chapters import: results, tables, charts and sentences, computed once per kernel.

A chapter holds prose and short calls such as ``site.forest("placebo")`` or
`` `{python} site.effect("placebo")` ``; it never computes. Everything here
reads the results bundle (:func:`bundle`, the same dict that the build
writes to ``results.json``) and the validated study rows, and is cached, so
a whole book costs one computation.

Inline helpers return ``IPython.display.Markdown`` so that Quarto and the
embedded renderer both treat their output as Markdown (pooled numbers carry a
``.result`` span with their bundle key). Block helpers return ``Markdown``
too (tables as pipe tables); chart helpers return :class:`analysis.report.chart_display.Chart`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from IPython.display import Markdown

from analysis import escape
from analysis.report import text


class _OnFirstUse:
    """A module imported when one of its names is first used.

    Every chapter's kernel imports this module; pandas and Altair (through the data,
    bundle and chart modules) take seconds to import, and the chapters that show no
    table or chart (citation, downloads, changelog) need neither.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if TYPE_CHECKING:
    import pandas as pd

    from analysis.evidence import studies as data_mod
    from analysis.report import charts
    from analysis.report import comparison as comparison_mod
    from analysis.report import results_bundle as bundle_mod
    from analysis.report.comparison import Comparison
else:
    pd = _OnFirstUse("pandas")
    comparison_mod = _OnFirstUse("analysis.report.comparison")
    data_mod = _OnFirstUse("analysis.evidence.studies")
    charts = _OnFirstUse("analysis.report.charts")
    bundle_mod = _OnFirstUse("analysis.report.results_bundle")

__all__ = [
    "bundle",
    "comparison",
    "effect",
    "forest",
    "root",
    "studies",
]

COMPARISON_KEYS = tuple(text.COMPARISONS)

#: width the printed (SVG/PDF) copy of a chart gets when the web view follows its container
PRINT_WIDTH = 520


# --------------------------------------------------------------------------- loading


def root() -> Path:
    """The project root: ``$IVIG_ROOT`` if set, else the checkout holding this package."""
    env = os.environ.get("IVIG_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parents[2]


@cache
def bundle() -> dict:
    """The results bundle, once per process.

    During ``python -m analysis build`` this is the ``results.json`` the build has just
    written (``$IVIG_RESULTS``), so every page shows exactly the published numbers;
    otherwise it is computed (``analysis.report.results_bundle.compute(root())``).
    """
    path = os.environ.get("IVIG_RESULTS")
    if path and Path(path).is_file():
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return bundle_mod.compute(root())


@cache
def studies() -> pd.DataFrame:
    """Every row of ``data/studies.csv``, validated."""
    return data_mod.load_studies(root() / "data")


def comparison(name: str) -> dict | None:
    """The bundle entry of a comparison (None when no trial is in its primary analysis)."""
    _check(name)
    return bundle()["comparisons"][name]


_TYPED: dict[str, tuple[dict, Comparison]] = {}


def result(name: str) -> Comparison | None:
    """The typed bundle entry of a comparison (None when no trial is in its primary
    analysis): :class:`analysis.report.comparison.Comparison`, read strictly, once per
    bundle entry (a new bundle, as after ``bundle.cache_clear()``, is read again)."""
    e = comparison(name)
    if e is None:
        return None
    seen = _TYPED.get(name)
    if seen is None or seen[0] is not e:
        seen = (e, comparison_mod.Comparison.from_dict(name, e))
        _TYPED[name] = seen
    return seen[1]


def primary_rows(name: str) -> pd.DataFrame:
    """The study rows of a comparison's primary analysis."""
    _check(name)
    return data_mod.primary(studies(), name)


def _check(name: str) -> None:
    if name not in COMPARISON_KEYS:
        raise ValueError(f"comparison must be one of {', '.join(COMPARISON_KEYS)}: {name!r}")


def _key(name: str, *parts: str) -> str:
    return ".".join(("comparisons", name, *parts))


def label(name: str) -> str:
    """``Placebo``, ``Plasma exchange``, ``Corticosteroids``."""
    return text.COMPARISONS[name][1]


# --------------------------------------------------------------------------- inline


def _md(value: Any) -> str:
    """A data field as literal pandoc Markdown text (:func:`analysis.escape.markdown`): every
    ASCII punctuation character is backslash-escaped, so the field never becomes markup and
    typographic substitution (curly quotes, dashes, ellipses) leaves a verbatim quote as
    written."""
    return escape.markdown(value)


@cache
def this_citation():
    """The citation of this build (:func:`analysis.report.citation.load`): released or not."""
    from analysis.report import citation

    b = bundle()
    return citation.load(root(), commit=b["commit"], built=b["generated"])


def released() -> bool:
    """Whether this build is a release (its version's tag points at its commit)."""
    return this_citation().released


def version() -> Markdown:
    """``0.2.0`` for a release, ``development version, commit 0123456789ab`` otherwise."""
    if released():
        return Markdown(bundle()["version"])
    return Markdown(f"development version, commit {bundle()['commit'][:12]}")


def version_label() -> Markdown:
    """``version 0.2.0, released 2027-01-02`` or ``a development version, not yet released
    (commit 0123456789ab)``: the phrase every page uses for this build."""
    label = this_citation().version_label
    return Markdown(label[:1].lower() + label[1:] if released() else f"a {label}")


def generated() -> Markdown:
    """The build date (the commit date), ``YYYY-MM-DD``."""
    return Markdown(bundle()["generated"][:10])


def effect(name: str, model: str | None = None) -> Markdown:
    """The headline effect of a comparison: ``RR 2.39 (95 % CI 1.60 to 3.58)``.

    *model* is ``random``, ``common.mh`` or None (the headline model: random effects
    when k >= 2, else the single trial's Mantel-Haenszel estimate).
    """
    c = result(name)
    if c is None:
        return Markdown("no pooled estimate (no trial)")
    return Markdown(c.effect(model))


def pi(name: str) -> Markdown:
    """The 95 % prediction interval of a comparison (``not estimable`` for k < 3)."""
    c = result(name)
    rnd = c.analysis.random if c else None
    return Markdown(
        text.interval(
            rnd.pi_low if rnd else None,
            rnd.pi_high if rnd else None,
            key_low=_key(name, "random", "pi_low"),
            key_high=_key(name, "random", "pi_high"),
        )
    )


def heterogeneity(name: str) -> Markdown:
    """I², Q and tau² of a comparison as a clause."""
    c = result(name)
    if c is None:
        return Markdown("not estimable")
    return Markdown(text.heterogeneity(c.analysis, key=_key(name)))


def trials(name: str) -> Markdown:
    """``5 trials, 235 participants`` for a comparison's primary analysis."""
    c = result(name)
    if c is None:
        return Markdown("no trial")
    return Markdown(text.trials_and_participants(c.k, c.summary.participants))


def k(name: str) -> int:
    """Number of trials in the primary analysis (0 when none)."""
    c = result(name)
    return 0 if c is None else c.k


# --------------------------------------------------------------------------- blocks


def summary(name: str) -> Markdown:
    """A paragraph on a comparison's primary analysis (or why there is none)."""
    c = result(name)
    rows = studies()
    register_rows = rows[rows["comparator"] == name]
    other = ""
    reason = ""
    if c is None:
        un = bundle()["unavailable"][name]
        reason = un["reason"]
        alt_entry = un["sensitivity"]["all_outcome_types"]
        if alt_entry is not None:
            alt = text.analysis_of(alt_entry)
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
    """Published pooled results (``data/published.yaml``)."""
    raw = yaml.safe_load((root() / "data" / "published.yaml").read_text(encoding="utf-8"))
    return tuple(raw)


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
    rows = studies()
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


def small_study(name: str) -> Markdown:
    """Egger, Begg and trim-and-fill for a comparison, with the k < 10 warning."""
    c = result(name)
    if c is None or c.k < 3:
        n = 0 if c is None else c.k
        return Markdown(
            f"With {text.count(n, 'trial')} in the primary analysis, a funnel plot and tests for "
            "small-study effects cannot be made (they need at least three trials, and ten to be "
            "interpreted)."
        )
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


# --------------------------------------------------------------------------- register


def register_counts() -> dict:
    """The PRISMA counts of the bundle."""
    return bundle()["register"]


def register_table() -> Markdown:
    """Every trial in the register: status, counts and what is missing (one line each).

    The evidence behind each line (population, outcome, the verbatim passage, the source
    and the notes) follows in :func:`register_evidence`.
    """
    rows = studies().sort_values(["comparator", "disease", "year", "study_id"])
    new = set(new_trials())
    out = []
    for r in rows.to_dict("records"):
        out.append(
            {
                "Trial": _trial(r["study_id"]),
                "Comparison": f"vs {label(r['comparator']).lower()}",
                "Disease": text.disease_label(r["disease"]),
                "Status": _md(_s(r["status"]))
                + (" (new since the source review)" if r["study_id"] in new else ""),
                "Counts": (
                    f"{_counts(r['ivig_improved'], r['ivig_total'])} vs "
                    f"{_counts(r['control_improved'], r['control_total'])}"
                ),
                "What is missing": _missing(r),
            }
        )
    return Markdown(_md_table(pd.DataFrame(out)))


_COUNT_LABELS = (
    ("ivig_improved", "IVIG improved"),
    ("ivig_total", "IVIG arm size"),
    ("control_improved", "control improved"),
    ("control_total", "control arm size"),
)


def _blank(v: Any) -> bool:
    return v is pd.NA or text.missing(v) or v == ""


def _missing(r: dict) -> str:
    """What a trial lacks before it can enter an analysis, from the fields (not the notes)."""
    gaps = [lab for col, lab in _COUNT_LABELS if _blank(r.get(col))]
    if _s(r.get("status")) == "pending":
        # all four counts (and so the outcome type) are what a pending trial lacks; name
        # the gaps only when some counts are there
        partial = gaps if len(gaps) < len(_COUNT_LABELS) else []
        return "Counts to extract" + (f": {', '.join(partial)}" if partial else "")
    if _blank(r.get("outcome_type")):
        gaps.append("outcome type")
    if gaps:
        return ", ".join(gaps)
    if _s(r.get("outcome_type")) not in bundle_mod.PRIMARY.outcome_types:
        kind = escape.markdown(_s(r.get("outcome_type")).replace("_", " "))
        return f"outcome {kind}: sensitivity only"
    return "–"


def _safe_url(url: str) -> str | None:
    """An http(s) address made safe as a Markdown link destination, or None."""
    from urllib.parse import quote, urlsplit

    url = url.strip()
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def _link(url: str) -> str:
    """A source address as a Markdown link labelled by its host (escaped), or plain text."""
    from urllib.parse import urlsplit

    safe = _safe_url(url)
    if safe is None:
        return _md(url)
    return f"[{_md(urlsplit(safe).netloc)}](<{safe}>)"


def _html_block(markup: str) -> str:
    """A raw HTML block (dropped from the PDF, where the content that follows stands alone)."""
    return f"```{{=html}}\n{markup}\n```"


def register_evidence() -> Markdown:
    """For every trial, the evidence behind its line of the register.

    On the web each trial is a ``<details>`` disclosure (summary: trial, status, counts);
    in the PDF the same content prints as a compact block. Each holds the population, the
    outcome and time point, the counts, the passage the counts come from (verbatim), the
    address it was read at, the notes for readers and the reference. Every data field is
    escaped (:func:`_md`; :func:`html.escape` inside the raw summary), never markup.
    """
    import html as html_mod

    rows = studies().sort_values(["comparator", "disease", "year", "study_id"])
    new = set(new_trials())
    blocks = []
    for r in rows.to_dict("records"):
        sid = _s(r["study_id"])
        counts = (
            f"{_counts(r['ivig_improved'], r['ivig_total'])} vs "
            f"{_counts(r['control_improved'], r['control_total'])}"
        )
        summary = f"{sid}: {_s(r['status'])}" + (
            f", improved {counts}" if _s(r["status"]) != "pending" else ", counts to extract"
        )
        lines = [
            f"**Comparison:** IVIG vs {label(r['comparator']).lower()}, "
            f"{text.disease_prose(r['disease'])}. **Population:** {_md(_s(r['population']))}.",
        ]
        outcome = "; ".join(_md(x) for x in (_s(r["outcome_definition"]), _s(r["timepoint"])) if x)
        if outcome:
            lines.append(f"**Outcome and time point:** {outcome}.")
        if _s(r["design"]):
            lines.append(f"**Design:** {_md(_s(r['design']))}.")
        if sid in new:
            lines.append(
                "**New since the source review:** published after its search "
                f"({_month(search_record().source_review_until)})."
            )
        if _s(r["status"]) != "pending":
            lines.append(
                f"**Counts ({_md(_s(r['status']))}):** improved with IVIG "
                f"{_counts(r['ivig_improved'], r['ivig_total'])}, with control "
                f"{_counts(r['control_improved'], r['control_total'])}."
            )
        else:
            lines.append(f"**Missing:** {_missing(r)}.")
        quote = _s(r["source_quote"])
        if quote:
            lines.append(f"**Passage the counts are read from (verbatim):**\n\n> {_md(quote)}")
        if _s(r["source_url"]):
            urls = [u for u in re.split(r"\s+;\s+|\s+", _s(r["source_url"])) if u]
            lines.append(f"**Read at:** {'; '.join(_link(u) for u in urls)}")
        else:
            lines.append("**Read at:** no source address recorded yet.")
        if _s(r["notes"]):
            lines.append(f"**Notes:** {_md(_s(r['notes']))}")
        lines.append(f"**Reference:** [@{sid}]")
        blocks.append(
            "\n\n".join(
                [
                    _html_block(
                        f'<details class="trial-evidence" id="evidence-{html_mod.escape(sid)}">'
                        f"<summary>{html_mod.escape(summary)}</summary>"
                    ),
                    "```{=typst}\n#block(breakable: true, above: 1.2em)[#strong["
                    + _typst_text(summary)
                    + "]]\n```",
                    *lines,
                    _html_block("</details>"),
                ]
            )
        )
    # in the PDF the evidence prints as compact, ragged-right blocks
    start = "```{=typst}\n#[#set text(size: 8.5pt)\n#set par(justify: false)\n```"
    return Markdown("\n\n".join([start, *blocks, "```{=typst}\n]\n```"]))


def _typst_text(value: str) -> str:
    """Plain text inside Typst markup: every markup character escaped."""
    return re.sub(r"([\\#*_`$<>@\[\]~/=\-+\"'])", r"\\\1", value)


def repository() -> str:
    """The project's repository address (from ``CITATION.cff``)."""
    from analysis.report import citation

    return citation.load(root()).repository.rstrip("/")


def contribute_url() -> str:
    """Where a reader proposes a correction or a missing count (a new issue)."""
    return f"{repository()}/issues/new"


def contributing_url() -> str:
    """The contributor guide (how to add or correct a trial by pull request)."""
    return f"{repository()}/blob/main/CONTRIBUTING.md"


# --------------------------------------------------------------------------- methods


#: The reference of each tau² estimator in ``data/references.bib`` (none for ML).
TAU2_REFERENCES = {
    "DL": "dersimonian1986",
    "REML": "viechtbauer2005",
    "PM": "paule1982",
    "HS": "hunter2004",
    "SJ": "sidik2005",
    "EB": "morris1983",
    "HE": "hedges1985",
}


def search_record():
    """The search record (``data/search.yaml``), validated."""
    from analysis.evidence import search

    return search.load(root() / "data")


def last_searched() -> str:
    """The date the evidence was last searched, ``YYYY-MM-DD`` (from ``data/search.yaml``)."""
    return search_record().last_searched.isoformat()


def last_searched_md() -> Markdown:
    """The search date as inline text."""
    return Markdown(last_searched())


def new_trials() -> list[str]:
    """Study ids of the register published after the source review's search ended."""
    from analysis.evidence import search

    df = studies()
    years = {str(sid): int(y) for sid, y in zip(df["study_id"], df["year"], strict=True)}
    return search.new_since_source_review(search_record(), years)


def _month(iso: str) -> str:
    """``2021-11`` -> ``November 2021``; a full date -> ``30 November 2026``."""
    from datetime import date

    parts = iso.split("-")
    if len(parts) == 2:
        return date(int(parts[0]), int(parts[1]), 1).strftime("%B %Y")
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


def methods_review() -> Markdown:
    """Eligibility, identification, extraction and risk of bias, from ``data/search.yaml``.

    PRISMA 2020 items 5 to 11 (Page et al. 2021) as far as they apply; every statement is
    read from the search record and the register, so the chapter changes with the data.
    """
    rec = search_record()
    reg = register_counts()
    n_ext = int(rec.extraction.get("extractors") or 0)
    by_status = ", ".join(f"{v} {k}" for k, v in reg["by_status"].items())
    src = rec.source_review_search
    trials = studies().set_index("study_id").to_dict("index")
    new = [
        f"{trials[sid]['author']} {trials[sid]['year']} [@{sid}] "
        f"({text.disease_prose(trials[sid]['disease'])}, "
        f"vs {label(trials[sid]['comparator']).lower()}, {_s(trials[sid]['status'])})"
        for sid in new_trials()
    ]
    return Markdown(
        text.render(
            "methods_review.md.j2",
            elig=rec.eligibility,
            comparators=[label(c).lower() for c in rec.eligibility["comparators"]],
            review_until=_month(rec.source_review_until),
            review_databases=_and([str(x) for x in src.get("databases") or []]),
            review_trials=src.get("trials_included", "an unstated number of"),
            review_note=str(src.get("note", "")).strip(),
            sources=rec.sources,
            access=rec.access.rstrip("."),
            started=_month(rec.identification_started.isoformat()),
            searched=_month(rec.last_searched.isoformat()),
            leads=list(rec.unidentified_leads),
            new_trials=new,
            extractors_sentence=(
                "One person extracted the data; no second extractor checked them."
                if n_ext == 1
                else f"{n_ext} people extracted the data."
            ),
            extraction_rule=_upper_first(str(rec.extraction.get("rule", "")).strip()) + ".",
            status_sentence=f"{text.count(reg['identified'], 'trial')} ({by_status})",
            rob_sentence=rob_sentence().data,
        )
    )


def methods_deviations() -> Markdown:
    """How this review departs from the source review (PRISMA 2020 item 24b)."""
    return Markdown(
        text.render("methods_deviations.md.j2", outcome_types=bundle()["methods"]["outcome_types"])
    )


def methods() -> Markdown:
    """The statistical methods, from the configuration that produced the numbers."""
    from analysis.stats import effects

    b = bundle()
    cfg = b["methods"]
    types = set(studies()["outcome_type"].dropna().astype(str))
    add = inspect.signature(effects.escalc).parameters["add"].default
    return Markdown(
        text.render(
            "methods.md.j2",
            cfg=cfg,
            comparisons=[label(c).lower() for c in COMPARISON_KEYS],
            diseases=[text.disease_prose(d) for d in text.DISEASES],
            statuses=cfg["statuses"],
            outcome_types=cfg["outcome_types"],
            other_types=sorted(t.replace("_", " ") for t in types - set(cfg["outcome_types"])),
            measure_name=text.MEASURES.get(cfg["measure"], cfg["measure"]),
            null_value=1 if text.is_ratio(cfg["measure"]) else 0,
            tau2_name=text.TAU2_METHODS.get(cfg["tau2_method"], cfg["tau2_method"]),
            tau2_list=cfg["tau2_methods_sensitivity"],
            tau2_cite=_cite(TAU2_REFERENCES.get(cfg["tau2_method"])),
            tau2_list_cite=_cite(
                *(TAU2_REFERENCES.get(m) for m in cfg["tau2_methods_sensitivity"])
            ),
            escalc_add=add,
            software=b["software"],
        )
    )


def _and(items: list[str]) -> str:
    """``a, b and c``."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _cite(*keys: str | None) -> str:
    """`` [@a; @b]`` for the keys given (None skipped), or nothing."""
    keys = tuple(dict.fromkeys(k for k in keys if k))
    return " [" + "; ".join(f"@{k}" for k in keys) + "]" if keys else ""


# --------------------------------------------------------------------------- charts


def _show(fig: charts.Figure) -> Any:
    """Wrap a figure in the site's display object.

    The web view follows its container (``width="container"``); the printed copy
    (``image/svg+xml`` for the PDF) gets :data:`PRINT_WIDTH` instead, since a page
    has no container to measure.
    """
    from analysis.report import chart_display as display

    class _Chart(display.Chart):
        def to_svg(self) -> str:
            import vl_convert as vlc

            spec = dict(self.spec())
            if spec.get("width") == "container":
                spec["width"] = PRINT_WIDTH
            return vlc.vegalite_to_svg(spec, vl_version=display.vl_version())

        def to_html(self) -> str:
            # vega-embed makes its element inline-block, which has no width of its own, so a
            # chart of width "container" would be drawn 0 px wide: give the element the
            # width of its column.
            html = super().to_html()
            opening = f'id="chart-{self.name}" class="ivig-chart"'
            # a plot wider than its column (the RevMan-style forest plot) scrolls sideways
            # inside this element: keyboard users reach it too (tabindex, WCAG 2.1.1)
            return html.replace(
                opening, opening + ' style="display:block;width:100%" tabindex="0"', 1
            )

    return _Chart(fig.name.replace("_", "-"), fig.chart, fig.alt, fig.table)


def summary_forest() -> Any:
    """Summary forest plot of the home page: each comparison's primary relative effect."""
    return _show(
        charts.summary_forest(
            {c: comparison(c) for c in COMPARISON_KEYS},
            labels={c: label(c) for c in COMPARISON_KEYS},
            name="summary-forest",
        )
    )


def forest(name: str) -> Any:
    """Forest plot of a comparison's primary analysis, subgroups by disease."""
    e = comparison(name)
    if e is None:
        return forest_other(name)
    return _show(
        charts.forest(e, primary_rows(name), by=bundle()["methods"]["by"], name=f"forest-{name}")
    )


def other_outcomes(name: str) -> dict | None:
    """The analysis of all outcome types of a comparison (what exists without a primary one)."""
    e = comparison(name)
    sens = (e or {}).get("sensitivity") or bundle()["unavailable"].get(name, {}).get("sensitivity")
    return (sens or {}).get("all_outcome_types")


def forest_other(name: str) -> Any:
    """Forest plot of the trials with other outcome types, or a plain statement if none."""
    alt_entry = other_outcomes(name)
    if alt_entry is None:
        return Markdown(
            f"_No trial of IVIG versus {label(name).lower()} has counts for any outcome yet, "
            "so there is nothing to plot._"
        )
    rows = data_mod.included(
        studies(), name, outcome_types=bundle_mod._all_outcome_types(studies())
    )
    return _show(
        charts.forest(
            alt_entry,
            rows,
            by=bundle()["methods"]["by"],
            name=f"forest-{name}-all-outcomes",
        )
    )


def funnel(name: str) -> Any:
    """Contour-enhanced funnel plot of a comparison."""
    return _show(charts.funnel(comparison(name), name=f"funnel-{name}"))


def cumulative(name: str) -> Any:
    """Cumulative meta-analysis by year."""
    return _show(charts.cumulative(comparison(name), name=f"cumulative-{name}"))


def leave_one_out(name: str) -> Any:
    """Leave-one-out analysis."""
    return _show(charts.leave_one_out(comparison(name), name=f"leave-one-out-{name}"))


def sensitivity_chart(name: str) -> Any:
    """The pooled effect under each sensitivity analysis."""
    e = comparison(name)
    if e is None:
        raise ValueError(f"sensitivity_chart: no trial in the primary analysis of {name!r}")
    rows = [r for r in _sensitivity_rows(name) if r["k"] > 0 and "estimate" in r]
    return _show(charts.sensitivity(rows, e["measure"], name=f"sensitivity-{name}"))


def rob_rows() -> pd.DataFrame:
    """Trials with counts (the ones analysed somewhere), with their RoB 2 judgements."""
    df = studies()
    keep = df["status"].astype(str).isin(bundle_mod.PRIMARY.statuses)
    return df.loc[keep].sort_values(["comparator", "year", "study_id"]).reset_index(drop=True)


def rob_traffic_light() -> Any:
    """Risk-of-bias traffic-light plot of the trials with counts."""
    return _show(charts.rob_traffic_light(rob_rows()))


def rob_summary() -> Any:
    """Risk-of-bias summary plot of the trials with counts."""
    return _show(charts.rob_summary(rob_rows()))


def rob_assessed() -> int:
    """How many trials with counts have an overall RoB 2 judgement."""
    return int((rob_rows()["rob_overall"].map(charts.rob_level) != "not_assessed").sum())


def prisma() -> Any:
    """PRISMA 2020-style flow drawn from the register."""
    return _show(charts.prisma({**register_counts(), "last_searched": last_searched()}))


def n_rows() -> int:
    """Rows in the register."""
    return len(studies())


def conclusion(name: str) -> str:
    """What this version's primary analysis says, in words (from the 95 % CI)."""
    e = comparison(name)
    if e is None:
        return "no trial in the primary analysis yet: no conclusion"
    r = text.get(e, e["summary"]["model"]) or {}
    lo, hi = r.get("ci_low"), r.get("ci_high")
    null = 1.0 if text.is_ratio(e["measure"]) else 0.0
    one = " (a single trial)" if e["k"] == 1 else ""
    if lo is None or hi is None or text.missing(lo) or text.missing(hi):
        return f"not estimable{one}"
    if lo > null:
        return f"more patients improved with IVIG{one}"
    if hi < null:
        return f"more patients improved with {label(name).lower()}{one}"
    return f"no clear difference: the 95 % CI includes no effect{one}"


def conclusions_table() -> Markdown:
    """The source review's conclusions beside this version's, per comparison."""
    source = next(p for p in published() if p["comparison"] == "all")
    said = {
        "placebo": "IVIG better than placebo",
        "plasma_exchange": "no different from plasma exchange",
        "corticosteroid": "no different from corticosteroids",
    }
    rows = [
        {
            "Comparison": f"IVIG vs {label(c).lower()}",
            f"Source review ({source['source'].split(',')[0]})": said[c],
            f"This version ({version().data})": f"{conclusion(c)}; {effect(c).data}",
        }
        for c in COMPARISON_KEYS
    ]
    return Markdown(_md_table(pd.DataFrame(rows)))


def source_review() -> dict:
    """The source review's entry in ``published.yaml``."""
    return next(p for p in published() if p["comparison"] == "all")


def source_review_name() -> Markdown:
    """``Morales-Ruiz 2022, Autoimmunity Reviews 21(3):103019``."""
    return Markdown(escape.markdown(source_review()["source"]))


def contribute_links() -> Markdown:
    """Links to the contributor guide and to a new issue."""
    return Markdown(
        f"[how to contribute]({contributing_url()}), [report a problem]({contribute_url()})"
    )


def _state() -> dict:
    c = this_citation()
    return {"released": c.released, "commit": c.commit, "built": c.built}


def cite_as() -> Markdown:
    """The plain-text reference of this build (a development version says so)."""
    return Markdown(_md(this_citation().text()))


def cite_block() -> Markdown:
    """What to cite: this release, the latest release, or (none yet) this development build."""
    from analysis.report import citation

    sentence, reference = citation.cite_statement(root(), **_state())
    out = _md(sentence)
    if reference:
        out += "\n\n> " + _md(reference)
    return Markdown(out)


def doi_line() -> Markdown:
    """The concept DOI (all versions) where Zenodo has assigned one, else a placeholder."""
    c = this_citation()
    if c.doi:
        return Markdown(f"DOI (all versions): [{_md(c.doi)}](https://doi.org/{c.doi})")
    return Markdown(
        "DOI: not yet assigned. A DOI is minted by Zenodo at the first release and will be "
        "shown here."
    )


def people_block() -> Markdown:
    """Authors, contributions, conflicts of interest, funding and protocol, as declared in
    ``review-metadata.yml`` (or plainly that nothing is declared yet)."""
    from analysis.report import citation

    lines = [f"**{h}.** {_md(t)}" for h, t in citation.people(root()).statements()]
    return Markdown("\n\n".join(lines))


def bibtex() -> Markdown:
    """BibTeX of this build, as a code block."""
    from analysis.report import citation

    # tabindex: a block that scrolls sideways must be reachable by keyboard
    return Markdown(
        '```{.bibtex tabindex="0"}\n' + citation.bibtex(root(), **_state()).strip() + "\n```"
    )


def ris() -> Markdown:
    """RIS of this build, as a code block."""
    from analysis.report import citation

    return Markdown('```{.ris tabindex="0"}\n' + citation.ris(root(), **_state()).strip() + "\n```")


def changelog() -> Markdown:
    """Every released version's changelog entry, newest first (``changelog/vX.Y.Z.md``)."""
    from analysis.report import changelog

    entries = changelog.changelog_entries(root())
    if not entries:
        return Markdown(
            f"_No version has been released yet; this is {version_label().data}, built on "
            f"{generated().data}._"
        )
    return Markdown("\n\n".join(f"## {e.title}\n\n{e.body_at(3).strip()}" for e in entries))


def data_dictionary() -> Markdown:
    """The data dictionary of ``studies.csv``, from ``datapackage.json``."""
    return Markdown(data_mod.datadictionary(root() / "data" / "datapackage.json"))


def chart_files() -> Markdown:
    """Links to the Vega-Lite spec of every chart the site draws."""
    names = [("summary-forest", "Summary forest plot, all comparisons")]
    for c in COMPARISON_KEYS:
        n = k(c)
        if n >= 1:
            names.append((f"forest-{c}", f"Forest plot, IVIG vs {label(c).lower()}"))
        elif other_outcomes(c) is not None:
            names.append(
                (f"forest-{c}-all-outcomes", f"Forest plot (other outcomes), vs {label(c).lower()}")
            )
        if n >= 2:
            names += [
                (f"sensitivity-{c}", f"Sensitivity analyses, vs {label(c).lower()}"),
                (f"leave-one-out-{c}", f"Leave-one-out, vs {label(c).lower()}"),
                (f"cumulative-{c}", f"Cumulative meta-analysis, vs {label(c).lower()}"),
            ]
        if n >= 3:
            names.append((f"funnel-{c}", f"Funnel plot, vs {label(c).lower()}"))
    names += [
        ("rob-traffic-light", "Risk of bias, traffic-light plot"),
        ("rob-summary", "Risk of bias, summary plot"),
        ("prisma", "PRISMA 2020-style flow"),
    ]
    lines = [f"- [{title}](../charts/{n.replace('_', '-')}.vl.json)" for n, title in names]
    return Markdown("\n".join(lines))


def sensitivity_section(name: str) -> Markdown:
    """Sensitivity tables of a comparison, or why there are none (k < 2)."""
    n = k(name)
    if n < 2:
        return Markdown(
            f"With {text.count(n, 'trial')} in the primary analysis of IVIG versus "
            f"{label(name).lower()}, there is nothing to vary: sensitivity, leave-one-out and "
            "cumulative analyses need at least two trials."
        )
    return Markdown(
        sensitivity_table(name).data
        + "\n\nAlternative estimators of tau²:\n\n"
        + tau2_table(name).data
    )


def small_study_warning() -> Markdown:
    """The usual warning, with this version's numbers of trials."""
    sizes = {c: k(c) for c in COMPARISON_KEYS}
    most = max(sizes, key=lambda c: sizes[c])
    if sizes[most] >= 10:
        return Markdown(
            f"IVIG versus {label(most).lower()} has {sizes[most]} trials, enough for the tests to "
            "have some power; comparisons with fewer than ten trials are not interpreted."
        )
    return Markdown(
        f"No comparison has ten or more trials (the most is {sizes[most]}, IVIG versus "
        f"{label(most).lower()}). With fewer than ten trials, tests for funnel plot asymmetry "
        "have too little power to tell chance from real asymmetry, and a funnel plot is hard to "
        "read (Cochrane Handbook, section 13.3.5.4). The figures below are shown for "
        "completeness and should not be interpreted."
    )


def rob_sentence() -> Markdown:
    """``2 of 8 trials with counts have an overall judgement``."""
    rows = rob_rows()
    return Markdown(
        f"{rob_assessed()} of {text.count(len(rows), 'trial')} with counts "
        f"{'has' if rob_assessed() == 1 else 'have'} an overall judgement"
    )


def register_sentence() -> Markdown:
    """``38 trials, of which 7 verified, 1 derived and 30 pending``."""
    reg = register_counts()
    parts = [f"{v} {k}" for k, v in reg["by_status"].items()]
    return Markdown(f"{text.count(reg['identified'], 'trial')} ({', '.join(parts)})")


def pdf_name() -> str:
    """File name of the book's PDF in the site (``book.output-file`` of ``_quarto.yml``)."""
    config = yaml.safe_load((root() / "_quarto.yml").read_text(encoding="utf-8"))
    return f"{config['book']['output-file']}.pdf"


def repository_file(path: str) -> Markdown:
    """A link to a file of the repository (for files the site does not copy)."""
    return Markdown(f"[{path.rsplit('/', 1)[-1]}]({repository()}/blob/main/{path})")


def pdf_link() -> Markdown:
    """A link from a chapter page to the PDF."""
    return Markdown(f"[{pdf_name()}](../{pdf_name()})")


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


def findings_rows(name: str) -> list[dict]:
    """Summary-of-findings rows of a comparison: per disease, then the pool ([] if none)."""
    from analysis.report.findings import ordered

    return ordered((comparison(name) or {}).get("findings"))


def _population(row: dict) -> str:
    if row["disease"] == "all":
        return (
            "All diseases pooled ("
            + ", ".join(text.disease_label(d) for d in row["diseases"])
            + ")"
        )
    return text.disease_label(row["disease"])


def certainty_label(row: dict) -> str:
    """``⊕⊕◯◯ Low``: GRADE's symbols and word for a row's certainty."""
    c = row["certainty"]
    return f"{c['symbols']} {CERTAINTY_WORDS[c['label']]}"


def _how_rated(row: dict) -> str:
    c = row["certainty"]
    judged = [d for d in c["domains"] if d["source"] == "reviewer"]
    if not judged:
        return "rule-based"
    return "judged: " + ", ".join(DOMAIN_WORDS[d["domain"]].lower() for d in judged)


def _outcome_cell(row: dict) -> str:
    types = " or ".join(t.replace("_", " ") for t in row["outcome_types"])
    if len(row["outcomes"]) == 1:
        o = row["outcomes"][0]
        return (
            f"{types.capitalize()}: {findings_md(o['definition'])}; "
            f"time point: {findings_md(o['timepoint']) or 'not stated'}"
        )
    return f"{types.capitalize()}, as each trial defined it (definitions below)"


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
    rows = findings_rows(name)
    if not rows:
        return Markdown(
            f"_No trial of IVIG versus {label(name).lower()} is in the primary analysis._"
        )
    notes: list[str] = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for r in rows:
        ab = r.get("absolute") or {}
        marks = []
        for d in r["certainty"]["domains"]:
            if d["downgrade"] > 0:
                letter = letters[len(notes) % 26]
                marks.append(letter)
                who = (
                    f" (judged by {findings_md(d['reviewer'])})"
                    if d["source"] == "reviewer"
                    else ""
                )
                notes.append(
                    f"^{letter}^ {DOMAIN_WORDS[d['domain']]}, {RATING_WORDS[d['rating']]}"
                    f"{who}: {findings_md(d['reason'])}."
                )
        key = _key(name, "findings", r["disease"])
        nnt = _nnt(ab) if r.get("nnt_meaningful") else "not meaningful"
        out.append(
            {
                "Population": _population(r),
                "Outcome": _outcome_cell(r),
                "Trials (participants)": f"{r['k']} ({r['participants']})",
                "Relative effect (95 % CI)": text.effect(
                    r["measure"], r["estimate"], r["ci_low"], r["ci_high"], key=key
                ),
                "Control risk per 1000": _per1000(ab.get("control_per_1000")),
                "IVIG risk per 1000 (95 % CI)": (
                    f"{_per1000(ab.get('ivig_per_1000'))} ({_per1000(ab.get('ivig_per_1000_low'))}"
                    f" to {_per1000(ab.get('ivig_per_1000_high'))})"
                    if ab
                    else "–"
                ),
                "NNT": nnt,
                "Certainty": certainty_label(r)
                + (f"^{','.join(marks)}^" if marks else "")
                + f" ({_how_rated(r)})",
            }
        )
    table = _md_table(pd.DataFrame(out))
    defs = []
    for r in rows:
        if len(r["outcomes"]) > 1:
            items = "; ".join(
                f"{findings_md(o['study_id'])}: {findings_md(o['definition'])} "
                f"(time point: {findings_md(o['timepoint']) or 'not stated'})"
                for o in r["outcomes"]
            )
            defs.append(f"- **{_population(r)}:** {items}.")
    parts = [
        table,
        "",
        "NNT: number needed to treat for one more patient to improve (NNTB) or one fewer (NNTH), "
        "rounded up; not meaningful where the confidence interval includes no effect.",
        "",
        "**Reasons for rating down the certainty.**",
        "",
    ]
    parts += [f"- {n}" for n in notes] or ["- None."]
    if defs:
        parts += ["", "**Outcome definitions and time points.**", "", *defs]
    return Markdown("\n".join(parts))


def pool_sentence(name: str) -> Markdown:
    """The across-disease pool, shown as such, with the test for subgroup differences."""
    rows = [r for r in findings_rows(name) if r["disease"] == "all"]
    if not rows:
        return Markdown("")
    r = rows[0]
    tb = r.get("test_between") or {}
    key = _key(name, "subgroups", "test_between")
    test = (
        f"The test for subgroup differences between diseases gives Q = "
        f"{text.mark(text.num(tb.get('q')), key + '.q')}, df = {tb.get('df')}, "
        f"{text.pval(tb.get('p'))}"
        if not text.missing(tb.get("q"))
        else "The test for subgroup differences could not be computed"
        + (f" ({tb['note']})" if tb.get("note") else "")
    )
    meaning = (
        "a small p-value would suggest that the effect differs between diseases; a large one "
        "does not show that it is the same, because with few trials per disease the test has "
        "little power (Cochrane Handbook, section 10.11.3.1 [@deeks2023])."
    )
    return Markdown(
        f"Pooled across {text.count(len(r['diseases']), 'disease')}, as the source review did, "
        f"IVIG versus {label(name).lower()} gives "
        + text.effect(
            r["measure"],
            r["estimate"],
            r["ci_low"],
            r["ci_high"],
            key=_key(name, "findings", r["disease"]),
        )
        + f" ({text.trials_and_participants(r['k'], r['participants'])}; certainty "
        f"{certainty_label(r)}). This pool mixes different diseases and outcome definitions, so "
        f"it answers no single clinical question: the rows per disease are the primary results. "
        f"{test}: {meaning}"
    )


def plain_language(name: str) -> Markdown:
    """Plain-language summary of a comparison: one GRADE-worded sentence per row."""
    from analysis.report.findings import plain_language as words

    rows = findings_rows(name)
    if not rows:
        return Markdown(
            f"No trial comparing IVIG with {label(name).lower()} has results "
            "that can be pooled yet."
        )
    return Markdown("\n".join(f"- {words(r, label(name))}" for r in rows))


def first_screen() -> Markdown:
    """The home page's opening list: per comparison and disease, effect, certainty, outcome."""
    lines = []
    for name in COMPARISON_KEYS:
        rows = findings_rows(name)
        if not rows:
            lines.append(
                f"- **IVIG vs {label(name).lower()}:** no trial in the primary analysis yet."
            )
            continue
        for r in rows:
            types = " or ".join(t.replace("_", " ") for t in r["outcome_types"])
            pop = (
                "all diseases pooled" if r["disease"] == "all" else text.disease_label(r["disease"])
            )
            lines.append(
                f"- **IVIG vs {label(name).lower()}, {pop}** ({types}, "
                f"{text.trials_and_participants(r['k'], r['participants'])}): "
                + text.effect(
                    r["measure"],
                    r["estimate"],
                    r["ci_low"],
                    r["ci_high"],
                    key=_key(name, "findings", r["disease"]),
                )
                + f"; certainty {certainty_label(r)}."
            )
    return Markdown("\n".join(lines))


def _closest(p: dict) -> tuple[str, dict] | None:
    """The project's row closest to a published result: same comparison and disease."""
    if p.get("comparison") not in COMPARISON_KEYS or not p.get("disease"):
        return None
    for r in findings_rows(p["comparison"]):
        if r["disease"] == p["disease"]:
            return _key(p["comparison"], "findings", r["disease"]), r
    return None


def why_different(p: dict, row: dict | None) -> str:
    """One generated sentence on why a published result and the closest analysis differ."""
    if row is None:
        return "This version has no trial with counts for this comparison and disease yet."
    reasons = []
    if p.get("trials") is not None and p["trials"] != row["k"]:
        reasons.append(
            f"it pools {text.count(int(p['trials']), 'trial')} where this version has "
            f"{row['k']} with counts"
        )
    elif p.get("trials") is None:
        reasons.append(f"this version has {text.count(row['k'], 'trial')} with counts")
    if p.get("measure") and p["measure"] != row["measure"]:
        reasons.append(
            "it reports an odds ratio, this version a risk ratio"
            if p["measure"] == "OR"
            else f"it reports {p['measure']}, this version {row['measure']}"
        )
    if not p.get("measure"):
        reasons.append("it reports a different effect measure")
    if row["model"] == "random":
        reasons.append(
            "this version uses random effects with Hartung-Knapp intervals, whose t distribution "
            "on k − 1 degrees of freedom is wide when there are few trials"
        )
    else:
        reasons.append("this version's figure is a single trial's own result")
    ot = p.get("outcome_type")
    if ot and ot not in row["outcome_types"]:
        reasons.append(
            f"its outcome ({ot.replace('_', ' ')}) is not the outcome pooled here "
            f"({' or '.join(t.replace('_', ' ') for t in row['outcome_types'])})"
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
            res = p["result"]
        if p.get("trials") is not None:
            res += f" ({text.count(int(p['trials']), 'trial')})"
        hit = _closest(p)
        key, row = hit if hit else (None, None)
        ours = (
            text.effect(row["measure"], row["estimate"], row["ci_low"], row["ci_high"], key=key)
            + f" ({text.trials_and_participants(row['k'], row['participants'])}; "
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


def certainty_methods() -> Markdown:
    """The GRADE section of the Methods chapter (from the rules' constants)."""
    from analysis.stats import certainty as grade

    return Markdown(
        text.render(
            "certainty_methods.md.j2",
            thresholds=grade.THRESHOLDS,
            i2_serious=grade.I2_SERIOUS,
            i2_very=grade.I2_VERY_SERIOUS,
            subgroup_p=grade.SUBGROUP_P,
            min_k=grade.MIN_K_SMALL_STUDY,
            small_p=grade.SMALL_STUDY_P,
        )
    )
