"""The trial register: its table, the evidence record of every trial, links."""

from __future__ import annotations

import re
from typing import Any

from IPython.display import Markdown

from analysis import escape
from analysis.report import chapters as site
from analysis.report import text
from analysis.report.chapters.loading import (
    _month,
    bundle_mod,
    label,
    new_trials,
    pd,
    root,
    search_record,
)
from analysis.report.chapters.numbers import _md
from analysis.report.chapters.tables import _counts, _md_table, _s, _trial

# --------------------------------------------------------------------------- register


def register_table() -> Markdown:
    """Every trial in the register: status, counts and what is missing (one line each).

    The evidence behind each line (population, outcome, the verbatim passage, the source
    and the notes) follows in :func:`register_evidence`.
    """
    rows = site.studies().sort_values(["comparator", "disease", "year", "study_id"])
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

    rows = site.studies().sort_values(["comparator", "disease", "year", "study_id"])
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
