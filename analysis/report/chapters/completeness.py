"""What each result stands on, harms, choice of outcome and the protocol, for the pages.

Every result says how many of the trials identified for its comparison and disease it
includes ("1 of 12 identified trials (148 of 633 participants where known)") and which are
awaiting counts; comparison x disease cells with identified trials but no counts are shown
as such. The harms rows belong to every summary of findings; the choice-of-outcome table to
the sensitivity chapter; the protocol to the Methods. All figures come from the results
bundle (``completeness``, ``harms``, ``choice_of_outcome``, ``protocol``); every data field
(a study id, a definition) is escaped as plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.display import Markdown

from analysis import escape
from analysis.report import chapters as site
from analysis.report import text
from analysis.report.chapters.loading import COMPARISON_KEYS, label
from analysis.report.chapters.tables import _md_table
from analysis.vocabulary import DISEASES

if TYPE_CHECKING:
    from analysis.report.findings import FindingsRow

__all__ = [
    "choice_of_outcome_table",
    "completeness_lines",
    "completeness_note",
    "completeness_sentence",
    "completeness_table",
    "harms_table",
    "outcomes_table",
    "protocol_md",
    "row_trials",
    "stands_on",
]

ALL = "all"


def _ids(ids: list[str], limit: int = 12) -> str:
    shown = ", ".join(escape.markdown(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _where(disease: str) -> str:
    return "all diseases" if disease == ALL else text.disease_prose(disease)


def stands_on(cell: dict, *, awaiting: bool = True) -> str:
    """``1 of 12 identified trials (148 of 633 participants where known); awaiting counts: …``.

    A cell without any analysed trial reads ``2 trials identified, none with counts yet``.
    """
    n, k = int(cell["identified"]), int(cell["analysed"])
    unknown = len(cell["size_unknown"])
    if k == 0:
        words = f"{text.count(n, 'trial')} identified, none with counts yet"
    else:
        known = int(cell["participants_known"])
        sizes = f"{cell['participants_analysed']} of {known} participants where known" + (
            f"; the size of {text.count(unknown, 'trial')} not recorded" if unknown else ""
        )
        words = f"{k} of {n} identified {'trial' if n == 1 else 'trials'} ({sizes})"
    if awaiting:
        if cell["awaiting"]:
            words += f"; awaiting counts: {_ids(cell['awaiting'])}"
        if cell["other_outcome"]:
            words += (
                f"; counts only for another outcome type (sensitivity analyses): "
                f"{_ids(cell['other_outcome'])}"
            )
    return words


def _cells(name: str) -> dict[str, dict]:
    return (site.bundle().get("completeness") or {}).get(name) or {}


def row_trials(name: str, row: FindingsRow, *, words: bool = False) -> str:
    """A summary-of-findings row's trials beside those identified: ``1 of 12 identified
    (148)`` in a table cell, ``1 of 12 identified trials, 148 participants`` in a sentence
    (``words``). Without the bundle's completeness, the row's own k and participants."""
    k, n_part = row.k, row.participants
    cell = _cells(name).get(row.disease)
    if cell is None:
        if words:
            return text.trials_and_participants(k, n_part)
        return f"{k} ({n_part})"
    n = int(cell["identified"])
    if words:
        return f"{k} of {n} identified {'trial' if n == 1 else 'trials'}" + (
            f", {text.count(int(n_part), 'participant')}" if n_part is not None else ""
        )
    return f"{k} of {n} identified ({n_part})"


def completeness_lines() -> Markdown:
    """The home page's list: per comparison and disease, k of n identified trials.

    Every comparison x disease with an identified trial has a line, those without counts
    too ("optic neuritis: 2 trials identified, none with counts yet").
    """
    lines = []
    for name in COMPARISON_KEYS:
        for disease, cell in _cells(name).items():
            if disease == ALL:
                continue
            lines.append(
                f"- **IVIG vs {label(name).lower()}, {text.disease_prose(disease)}:** "
                + stands_on(cell, awaiting=False)
                + "."
            )
    if not lines:
        return Markdown("No trial has been identified yet.")
    return Markdown("\n".join(lines))


def completeness_table(name: str) -> Markdown:
    """Beside a summary of findings: what each of its rows stands on, and what is missing."""
    cells = _cells(name)
    if not cells:
        return Markdown(f"No trial comparing IVIG with {label(name).lower()} is identified.")
    rows = []
    for disease in (*DISEASES, ALL):
        cell = cells.get(disease)
        if cell is None or (disease == ALL and len(cells) < 3):
            continue
        population = "All diseases pooled" if disease == ALL else text.disease_label(disease)
        rows.append(
            {
                "Population": population,
                "Trials analysed": stands_on(cell, awaiting=False),
                "Awaiting counts": _ids(cell["awaiting"]) or "none",
            }
        )
    import pandas as pd

    return Markdown(
        "What each row stands on: trials analysed of those identified for the comparison "
        "and disease, and the trials still awaiting counts.\n\n" + _md_table(pd.DataFrame(rows))
    )


def completeness_note(name: str) -> Markdown:
    """Under a forest plot: the trials it shows of those identified, and those awaiting."""
    cells = _cells(name)
    whole = cells.get(ALL)
    if whole is None:
        return Markdown("")
    if int(whole["analysed"]) == 0:
        parts = [
            f"None of the {text.count(int(whole['identified']), 'trial')} identified that "
            f"compare IVIG with {label(name).lower()} has counts for the primary outcome yet."
        ]
    else:
        parts = [
            f"The forest plot shows {stands_on(whole, awaiting=False)} of IVIG versus "
            f"{label(name).lower()}."
        ]
    for disease, cell in cells.items():
        if disease != ALL:
            parts.append(f"{text.disease_label(disease)}: {stands_on(cell)}.")
    return Markdown(" ".join(parts))


def completeness_sentence(name: str) -> Markdown:
    """The plain-language summary's sentence on what the results rest on."""
    whole = _cells(name).get(ALL)
    if whole is None:
        return Markdown("")
    k, n = int(whole["analysed"]), int(whole["identified"])
    rest = n - k
    tail = (
        f" The other {text.count(rest, 'trial')} have no usable counts yet, so these results "
        "may change as they are added."
        if rest
        else ""
    )
    if k == 0:
        return Markdown(
            f"There is no result yet: none of the {text.count(n, 'trial')} identified that "
            f"compare IVIG with {label(name).lower()} has counts for the primary outcome."
        )
    per = "; ".join(
        f"{text.disease_prose(d)}, {c['analysed']} of {c['identified']}"
        for d, c in _cells(name).items()
        if d != ALL
    )
    return Markdown(
        f"These results rest on {k} of the {text.count(n, 'trial')} identified that compare "
        f"IVIG with {label(name).lower()} ({per}).{tail}"
    )


def _harm_effect(analysis: dict | None) -> str:
    if analysis is None:
        return "not estimable (no trial with events to compare)"
    a = text.analysis_of(analysis)
    p = a.headline()
    shown = text.effect(a.measure, p.estimate, p.ci_low, p.ci_high)
    note = getattr(p, "note", None) or (analysis.get("common", {}).get("mh") or {}).get("note")
    if text.missing(p.estimate) and note:
        shown += f" ({escape.markdown(note)})"
    return shown


def harms_rows(name: str) -> list[dict]:
    """The harms rows of a comparison's summary of findings (one per disease and harm)."""
    cells = (site.bundle().get("harms") or {}).get(name) or {}
    out = []
    for disease in DISEASES:
        cell = cells.get(disease)
        if cell is None:
            continue
        population = text.disease_label(disease)
        for r in cell["rows"]:
            out.append(
                {
                    "Population": population,
                    "Harm (patients with at least one event)": r["label"].capitalize()
                    + " ("
                    + "; ".join(escape.markdown(d) for d in r["definitions"])
                    + ")",
                    "Trials": _ids(r["study_ids"]),
                    "IVIG": f"{r['ivig_events']}/{r['ivig_total']}",
                    "Control": f"{r['control_events']}/{r['control_total']}",
                    "Risk ratio (95 % CI)": _harm_effect(r["analysis"]),
                }
            )
        n = len(cell["in_words"])
        if not cell["rows"] or n:
            what = (
                f"not yet extracted ({text.count(n, 'trial')} "
                f"{'reports' if n == 1 else 'report'} harms only in words: "
                f"{_ids(cell['in_words'])})"
                if n
                else "not yet extracted (no source read so far reports harms with counts)"
            )
            out.append(
                {
                    "Population": population,
                    "Harm (patients with at least one event)": (
                        "Other harms: " + what if cell["rows"] else "Harms: " + what
                    ),
                    "Trials": "",
                    "IVIG": "",
                    "Control": "",
                    "Risk ratio (95 % CI)": "",
                }
            )
    return out


def harms_table(name: str) -> Markdown:
    """Harms in the summary of findings: counts where extracted, "not yet extracted" else."""
    import pandas as pd

    rows = harms_rows(name)
    if not rows:
        return Markdown("")
    return Markdown(
        "Harms (part of the summary of findings): patients with at least one event per arm; "
        "a risk ratio above 1 means more harm with IVIG.\n\n" + _md_table(pd.DataFrame(rows))
    )


def _other_arms(alt: dict) -> str:
    if alt.get("same_arms", True):
        return ""
    n, m = alt.get("analysed_arms") or ("?", "?")
    return (
        f" (arms of {alt['ivig_total']} and {alt['control_total']} patients, against "
        f"{n} and {m} for the analysed outcome: a subgroup or another analysis set)"
    )


def choice_of_outcome_table(name: str) -> Markdown:
    """The sensitivity analysis "choice of outcome": the primary result beside each alternative."""
    import pandas as pd

    cells = (site.bundle().get("choice_of_outcome") or {}).get(name) or {}
    if not cells:
        return Markdown(
            f"No trial of IVIG versus {label(name).lower()} in the primary analysis reports an "
            "alternative improvement or responder outcome with counts."
        )
    rows = []
    for disease in (*DISEASES, ALL):
        cell = cells.get(disease)
        if cell is None:
            continue
        where = "All diseases pooled" if disease == ALL else text.disease_label(disease)
        rows.append(
            {
                "Population": where,
                "Outcome analysed": "Primary (the protocol's choice for every trial)",
                "Counts (IVIG, control)": "",
                "Result": _harm_effect(cell["primary"]),
            }
        )
        for a in cell["alternatives"]:
            rows.append(
                {
                    "Population": where,
                    "Outcome analysed": f"{escape.markdown(a['study_id'])}: "
                    + escape.markdown(a["definition"])
                    + _other_arms(a),
                    "Counts (IVIG, control)": f"{a['ivig_events']}/{a['ivig_total']}, "
                    f"{a['control_events']}/{a['control_total']}",
                    "Result": _harm_effect(a["analysis"]),
                }
            )
    return Markdown(
        "Each row repeats the primary analysis with one trial's analysed outcome replaced by "
        "another binary efficacy outcome the trial reports (every other trial unchanged). "
        "The protocol's choice stays the result; these rows show how much the choice "
        "matters.\n\n" + _md_table(pd.DataFrame(rows))
    )


def protocol_md() -> Markdown:
    """The Methods' "Protocol" section, written from ``data/protocol.yaml``."""
    p: Any = site.bundle().get("protocol")
    if not p:
        return Markdown(
            "No protocol is recorded with this version's data: "
            + escape.markdown(site.bundle().get("protocol_reason", "reason not recorded"))
            + "."
        )
    md = escape.markdown
    po = p["primary_outcome"]
    rules = "\n".join(f"{r['rule']}. {md(r['text'])}" for r in po["rules"])
    amendments = p["amendments"]
    amended = (
        "\n".join(
            f"- {md(a['date'])}: {md(a['change'])} Reason: {md(a['reason'])}" for a in amendments
        )
        if amendments
        else "The protocol has not been amended since it was adopted."
    )
    chosen = p.get("selections", {})
    by_rule: dict[int, list[str]] = {}
    for sid, s in chosen.items():
        by_rule.setdefault(int(s["rule"]), []).append(sid)
    applied = "; ".join(f"rule {r}: {_ids(sorted(ids), 40)}" for r, ids in sorted(by_rule.items()))
    harms = ", ".join(t.replace("_", " ") for t in p["harms"]["types"])
    return Markdown(
        f"## Protocol {{#sec-protocol}}\n\n"
        f"The review's rules are data (`data/protocol.yaml`, adopted {md(p['adopted'])}): the "
        f"software applies them, and the validator refuses data whose recorded choice of "
        f"outcome disagrees with them. They were written down after earlier versions of this "
        f"review had been built, and are not registered in a public registry; since then, "
        f"any change to them is a dated amendment, listed below, in the results diff and in "
        f"the release notes.\n\n"
        f"**Population, intervention, comparators.** {md(p['population'])} "
        f"{md(p['analysis_order'])}\n\n"
        f"**Primary outcome: {md(po['name'])}.** For each trial, the outcome analysed is "
        f"chosen by the first rule that applies:\n\n{rules}\n\n"
        f"**Time point.** {md(po['timepoint'])} **Crossover trials.** {md(po['crossover'])} "
        f"**Alternative outcomes.** {md(po['alternatives'])}\n\n"
        f"The rules chose the analysed outcome of {text.count(len(chosen), 'trial')} "
        f"({applied}).\n\n"
        f"**Other outcomes.** {md(p['other_outcomes']['text'])}\n\n"
        f"**Harms** ({md(harms)}). {md(p['harms']['text'])}\n\n"
        f"**Completeness.** {md(p['completeness'])}\n\n"
        f"**Model.** {md(p['model'])}\n\n"
        f"{_few_trials_md(p.get('few_trials'))}"
        f"**Amendments.** {amended}\n"
    )


def _few_trials_md(few: Any) -> str:
    """The protocol's secondary models for few trials (none in an older protocol)."""
    if not few:
        return ""
    md = escape.markdown
    scale = md(f"{float(few['tau_prior_scale']):g}")
    return (
        f"**Secondary analyses for few trials.** {md(few['text'])} The scale of the "
        f"half-normal prior on tau is {scale}. Reference: {md(few['reference'])}\n\n"
    )


def outcomes_table() -> Markdown:
    """The register's "every outcome" table: each outcome of each trial, its counts (or where
    they are), status, the protocol's choice and the passage the counts come from."""
    import pandas as pd

    from analysis.report.chapters.register import _link

    b = site.bundle()
    found, prot = b.get("outcomes"), b.get("protocol")
    if found is None or prot is None:
        return Markdown("No outcomes table is recorded with this version's data.")
    chosen_by = prot.get("selections") or {}
    primary_types = set(prot["primary_outcome"]["outcome_types"])
    rows = []
    for o in found:
        chosen = chosen_by.get(o["study_id"])
        if chosen is not None and chosen["outcome_id"] == o["outcome_id"]:
            role = f"analysed (rule {chosen['rule']})"
        elif o["kind"] == "harm":
            role = "harm"
        elif o["outcome_type"] in primary_types:
            role = "alternative (choice of outcome)"
        else:
            role = "other outcome type (analysed separately)"
        if o["status"] == "in_studies":
            counts = "in the trial's row of the register above"
        elif o["has_counts"]:
            counts = (
                f"{o['ivig_events']}/{o['ivig_total']} vs "
                f"{o['control_events']}/{o['control_total']}"
            )
        else:
            counts = "not yet extracted"
        source = " ; ".join(_link(u) for u in (o["source_url"] or "").split(" ; ") if u.strip())
        rows.append(
            {
                "Trial": escape.markdown(o["study_id"]),
                "Outcome": escape.markdown(o["definition"]),
                "Kind": escape.markdown(o["outcome_type"].replace("_", " ")),
                "Role": role,
                "Counts (IVIG vs control)": counts,
                "Status": escape.markdown(o["status"].replace("_", " ")),
                "Passage (verbatim)": escape.markdown(o["source_quote"]) if o["has_counts"] else "",
                "Source": source if o["has_counts"] else "",
            }
        )
    return Markdown(_md_table(pd.DataFrame(rows)))
