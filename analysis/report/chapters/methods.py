"""The Methods chapter: the search record, the review methods, the statistical methods."""

from __future__ import annotations

import inspect

from IPython.display import Markdown

from analysis import escape
from analysis.report import chapters as site
from analysis.report import text
from analysis.report.chapters.figures import rob_sentence
from analysis.report.chapters.loading import (
    COMPARISON_KEYS,
    _month,
    bundle,
    label,
    last_searched,
    new_trials,
    register_counts,
    search_record,
)
from analysis.report.chapters.tables import _s, _upper_first

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


def _md(value):
    """Every text of a search-record value as escaped Markdown (mappings and lists kept)."""
    if isinstance(value, dict):
        return {k: _md(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_md(v) for v in value]
    return escape.markdown(value) if isinstance(value, str) else value


def last_searched_md() -> Markdown:
    """The search date as inline text."""
    return Markdown(last_searched())


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
    trials = site.studies().set_index("study_id").to_dict("index")
    new = [
        f"{escape.markdown(trials[sid]['author'])} {trials[sid]['year']} [@{sid}] "
        f"({text.disease_prose(trials[sid]['disease'])}, "
        f"vs {label(trials[sid]['comparator']).lower()}, {_s(trials[sid]['status'])})"
        for sid in new_trials()
    ]
    return Markdown(
        text.render(
            "methods_review.md.j2",
            elig=_md(rec.eligibility),  # the search record is data: every text escaped
            comparators=[label(c).lower() for c in rec.eligibility["comparators"]],
            review_until=escape.markdown(_month(rec.source_review_until)),
            review_databases=_and([escape.markdown(x) for x in src.get("databases") or []]),
            review_trials=escape.markdown(src.get("trials_included", "an unstated number of")),
            review_note=escape.markdown(str(src.get("note", "")).strip()),
            sources=_md(rec.sources),
            access=escape.markdown(rec.access.rstrip(".")),
            started=_month(rec.identification_started.isoformat()),
            searched=_month(rec.last_searched.isoformat()),
            leads=[escape.markdown(x) for x in rec.unidentified_leads],
            new_trials=new,
            extractors_sentence=(
                "One person extracted the data; no second extractor checked them."
                if n_ext == 1
                else f"{n_ext} people extracted the data."
            ),
            extraction_rule=escape.markdown(
                _upper_first(str(rec.extraction.get("rule", "")).strip()) + "."
            ),
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
    from analysis.report import few_trials
    from analysis.stats import effects

    b = bundle()
    cfg = b["methods"]
    types = set(site.studies()["outcome_type"].dropna().astype(str))
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
            glmm_model=few_trials.GLMM_MODEL,
            bayes_scale=f"{few_trials.prior_scale(b.get('protocol')):g}",
            bayes_scale_from_protocol=bool(b.get("protocol")),
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
