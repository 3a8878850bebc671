"""GitHub issues from surveillance: one per new candidate, per pending trial, per update.

Each issue carries a hidden marker (an HTML comment GitHub does not show) naming the
trial's identifiers; before opening an issue the repository's issues with the same label
(open and closed) are read and an issue whose marker shares an identifier is updated
instead, so one trial never gets two issues. A closed candidate issue (screened out) is
left closed; its body is not rewritten.

Everything from a source or from ``data/`` is untrusted text: bodies are written with
:func:`analysis.escape.comment` (escaped Markdown, no live @mention or #reference),
links with :func:`analysis.escape.markdown_url` (``http(s)`` only), the data row in a
fenced block no line of it can close, and marker values percent-encoded so no text can
end the HTML comment.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from analysis import escape
from analysis.errors import UserError
from analysis.surveil.github import GitHub
from analysis.surveil.integrity import Update, Watch
from analysis.surveil.register import Register, RegisterTrial
from analysis.surveil.screen import Candidate, SurveillanceReport
from analysis.vocabulary import COMPARATOR_LABELS, DISEASE_LABELS, PRIMARY_OUTCOMES

__all__ = [
    "CANDIDATE_LABEL",
    "COUNTS_LABEL",
    "INTEGRITY_LABEL",
    "candidate_issue",
    "client_from_env",
    "counts_wanted_issue",
    "integrity_issue",
    "marker",
    "marker_ids",
    "sync_candidates",
    "sync_counts_wanted",
    "sync_integrity",
]

CANDIDATE_LABEL = "surveillance-candidate"
COUNTS_LABEL = "counts-wanted"
INTEGRITY_LABEL = "integrity"
COUNT_COLUMNS = ("ivig_improved", "ivig_total", "control_improved", "control_total")
_MARK = re.compile(r"<!-- ivig-surveil ids=([^\s>]*) -->")
_SAFE = re.compile(r"[^A-Za-z0-9:._/()\-]")
#: the register's columns, when a constructed register has none to copy
COLUMNS = (
    "study_id,author,year,disease,population,comparator,ivig_improved,ivig_total,"
    "control_improved,control_total,outcome_type,outcome_definition,timepoint,design,status,"
    "pmid,doi,source_url,source_quote,notes"
).split(",")


class Issues(Protocol):
    def issues(self, label: str | None = None) -> list[dict]: ...
    def create(self, title: str, body: str, labels: list[str]) -> dict: ...
    def update(self, number: int, **fields: object) -> dict: ...


def client_from_env(env: Mapping[str, str]) -> GitHub:
    """The run's repository: ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``."""
    token, repo = env.get("GITHUB_TOKEN", ""), env.get("GITHUB_REPOSITORY", "")
    if not token or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise UserError("--open-issues needs GITHUB_TOKEN and GITHUB_REPOSITORY=owner/name")
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    try:  # seconds between writes (default 1, GitHub's advice)
        gap = float(env.get("IVIG_GITHUB_WRITE_GAP", "1"))
    except ValueError:
        raise UserError("IVIG_GITHUB_WRITE_GAP must be a number of seconds") from None
    return GitHub(api, repo, token, write_gap=max(gap, 0.0))


def _encode(value: str) -> str:
    return _SAFE.sub(lambda m: "%" + "%".join(f"{b:02X}" for b in m.group(0).encode()), value)


def marker(ids: Iterable[str]) -> str:
    """The hidden marker: ``<!-- ivig-surveil ids=a,b -->`` with each id percent-encoded."""
    return f"<!-- ivig-surveil ids={','.join(sorted({_encode(i.lower()) for i in ids}))} -->"


def marker_ids(body: str | None) -> set[str]:
    """The identifiers in an issue body's marker (empty without one)."""
    m = _MARK.search(body or "")
    return set(m.group(1).split(",")) - {""} if m else set()


def _candidate_ids(c: Candidate) -> list[str]:
    ids = c.ids
    return [f"{k}:{ids[k]}" for k in ("pmid", "doi", "nct") if k in ids] + [
        f"{r.source}:{r.source_id}".replace(" ", "_") for r in c.records
    ]


def _row_csv(row: Mapping[str, str], columns: list[str]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerow({k: row.get(k, "") for k in columns})
    return out.getvalue()


def _study_id(c: Candidate) -> str:
    author = re.sub(r"[^A-Za-z]", "", (c.first_author.split() or ["Trial"])[0]) or "Trial"
    return f"{author}{c.year or ''}"


def candidate_issue(c: Candidate, columns: list[str] | None = None) -> tuple[str, str]:
    """Title and body of a new candidate's issue."""
    title = escape.plain(
        f"Candidate trial: {c.first_author or 'unknown author'}, "
        f"{c.year or 'year unknown'}, {c.source_id}"
    )[:200]
    ids = c.ids
    row = {
        "study_id": _study_id(c),
        "author": c.first_author,
        "year": str(c.year or ""),
        "disease": c.disease or "",
        "status": "pending",
        "pmid": ids.get("pmid", ""),
        "doi": ids.get("doi", ""),
        "source_url": next((r.url for r in c.records if r.url), ""),
    }
    links = list(dict.fromkeys(r.url for r in c.records if r.url))
    if "doi" in ids:
        links.append(f"https://doi.org/{ids['doi']}")
    lines = [
        marker(_candidate_ids(c)),
        "The weekly surveillance search found a record that may be an eligible trial. "
        "Screen it against the eligibility criteria (data/search.yaml): add it to "
        "data/studies.csv in a pull request, or close this issue with the reason.",
        "",
        f"**Title:** {escape.comment(c.title)}",
        "",
        "**Abstract or record:** " + " ; ".join(escape.markdown_url(u) for u in links),
        "",
        "**Identifiers:** " + "; ".join(f"{k} {escape.comment(v)}" for k, v in ids.items()),
        "",
        "**Why it matched:**",
        *(f"- {escape.comment(r)}" for r in c.rules),
        "",
        "**Why it may be out of scope:**",
        *(
            [f"- {escape.comment(f)}" for f in c.out_of_scope]
            or ["- nothing in the record says so"]
        ),
        "",
        "**Pre-filled data row** (data/studies.csv; counts stay blank until a source gives them):",
        "",
        escape.code_block(_row_csv(row, columns or COLUMNS)),
    ]
    return title, escape.truncate_comment("\n".join(lines))


def _links(t: RegisterTrial) -> list[str]:
    out = []
    if t.pmid:
        out.append(f"https://pubmed.ncbi.nlm.nih.gov/{t.pmid}/")
    if t.doi:
        out.append(f"https://doi.org/{t.doi}")
    out += [f"https://clinicaltrials.gov/study/{n}" for n in t.ncts]
    src = str(t.row.get("source_url") or "")
    out += [u for u in src.split(" ; ") if u and u not in out]
    return out


def _rule_lines(rules: Sequence[str]) -> list[str]:
    if rules:
        return [
            "**The protocol rules that select its outcome** (data/protocol.yaml, applied in "
            "order; record each binary efficacy outcome the trial reports in "
            "data/outcomes.csv, and the rules choose the analysed one):",
            "",
            *(f"{i}. {escape.comment(r)}" for i, r in enumerate(rules, 1)),
        ]
    return [
        "**The protocol rule that selects the outcome:** the number of patients who improved, "
        "as the trial defined improvement (data/search.yaml, eligibility.outcome); the "
        f"primary analysis pools `outcome_type` {' or '.join(PRIMARY_OUTCOMES)}, and where a "
        "trial reports several such outcomes, its own primary outcome."
    ]


def counts_wanted_issue(
    t: RegisterTrial,
    columns: list[str],
    rules: Sequence[str] = (),
    posted: tuple[str, str] | None = None,
) -> tuple[str, str]:
    """Title and body of a pending trial's "counts wanted" issue (*rules*: the protocol's
    outcome-selection rules, in order; *posted*: ``(NCT, date)`` of results posted on
    ClinicalTrials.gov, found by the integrity watch)."""
    r = t.row
    disease = DISEASE_LABELS.get(str(r.get("disease")), str(r.get("disease") or ""))
    comp = COMPARATOR_LABELS.get(str(r.get("comparator")), str(r.get("comparator") or ""))
    title = escape.plain(
        f"Counts wanted: {r.get('author') or t.study_id} {r.get('year') or ''}, "
        f"{disease} (IVIG vs {comp.lower()})"
    )[:200]
    missing = [c for c in (*COUNT_COLUMNS, "outcome_type", "outcome_definition") if not r.get(c)]
    ids = [("study_id", t.study_id), ("PMID", t.pmid), ("DOI", t.doi)] + [
        ("NCT", n) for n in t.ncts
    ]
    lines = [
        marker([f"study:{t.study_id}"]),
        f"The register lists **{escape.comment(t.study_id)}** as pending: its outcome counts "
        "are not extracted yet, so it is in no pooled result. If you can read its report, "
        'fill the row below in a pull request (CONTRIBUTING.md, "One contribution from start '
        'to finish"). This issue closes itself when the counts land on main.',
        "",
        "**Missing:** " + ", ".join(f"`{c}`" for c in missing),
        "",
        "**Identifiers:** " + "; ".join(f"{k} {escape.comment(v)}" for k, v in ids if v),
        "",
        "**Abstract and registry record:** "
        + (" ; ".join(escape.markdown_url(u) for u in _links(t)) or "none recorded yet"),
        "",
        "**What is known:** " + escape.comment(r.get("design") or "design not recorded"),
        *(
            [
                f"\n**Results are posted on ClinicalTrials.gov** ({escape.comment(posted[0])}, "
                f"{escape.comment(posted[1] or 'date not given')}): its results tables may "
                "give the counts."
            ]
            if posted
            else []
        ),
        *([f"\n**Notes:** {escape.comment(r['notes'])}"] if r.get("notes") else []),
        "",
        *_rule_lines(rules),
        "",
        "Quote the passage word for word in `source_quote`; never compute counts from "
        "percentages alone.",
        "",
        "**The data row to fill** (data/studies.csv):",
        "",
        escape.code_block(_row_csv(r, columns)),
    ]
    return title, escape.truncate_comment("\n".join(lines))


def integrity_issue(u: Update) -> tuple[str, str]:
    """Title and body of an integrity update's issue."""
    kind = u.update.replace("_", " ")
    title = escape.plain(f"Integrity: {kind} of {u.study_id} (doi {u.doi})")[:200]
    lines = [
        marker([u.key]),
        f"Crossref records a **{kind}** ({escape.comment(u.label or kind)}, "
        f"{escape.comment(u.date or 'date unknown')}) of the report of "
        f"**{escape.comment(u.study_id)}**.",
        "",
        f"- Report: {escape.markdown_url('https://doi.org/' + u.doi)}",
        f"- Notice: {escape.markdown_url('https://doi.org/' + u.notice) if u.notice else 'no DOI'}",
        "",
        (
            "**The release check fails** until `data/integrity.yaml` records a decision "
            "(`excluded` or `kept`, with the reason) for this DOI and update."
            if u.blocks_release
            else "Read the notice and correct the row if the counts changed."
        ),
    ]
    return title, "\n".join(lines)


def _sync(
    client: Issues,
    label: str,
    wanted: list[tuple[list[str], str, str]],
    *,
    reopen: bool = False,
) -> list[str]:
    """Create or update one issue per ``(ids, title, body)``; lines saying what was done."""
    # every issue, not only those with the label: GitHub drops labels it may not set, and
    # the marker alone must find the trial's issue
    existing = client.issues()
    actions = []
    for ids, title, body in wanted:
        encoded = {_encode(i.lower()) for i in ids}
        match = next((i for i in existing if marker_ids(i.get("body")) & encoded), None)
        if match is None:
            made = client.create(title, body, [label])
            existing.append({**made, "body": body, "state": "open"})
            actions.append(f"opened issue #{made.get('number')}: {title}")
        elif match.get("state") == "closed" and not reopen:
            actions.append(f"issue #{match['number']} is closed (screened): left as it is")
        elif match.get("body") != body or match.get("title") != title:
            client.update(int(match["number"]), title=title, body=body)
            actions.append(f"updated issue #{match['number']}: {title}")
        else:
            actions.append(f"issue #{match['number']} is up to date")
    return actions


def sync_candidates(
    client: Issues, report: SurveillanceReport, columns: list[str] | None = None
) -> list[str]:
    """One issue per new candidate (never two for one trial); *columns*: the register's."""
    wanted = []
    for c in report.new:
        title, body = candidate_issue(c, columns)
        wanted.append((_candidate_ids(c), title, body))
    return _sync(client, CANDIDATE_LABEL, wanted)


def sync_integrity(client: Issues, found: Watch) -> list[str]:
    """One issue per retraction, expression of concern or correction notice."""
    return _sync(client, INTEGRITY_LABEL, [([u.key], *integrity_issue(u)) for u in found.updates])


def sync_counts_wanted(
    client: Issues,
    register: Register,
    rules: Sequence[str] = (),
    posted: Mapping[str, tuple[str, str]] | None = None,
) -> list[str]:
    """One issue per pending trial; the issue of a trial whose counts landed is closed.

    *posted* maps a study id to ``(NCT, date)`` of results posted on ClinicalTrials.gov.
    """
    columns = list(register.trials[0].row) if register.trials else COLUMNS
    pending = [t for t in register.trials if t.status == "pending"]
    found = posted or {}
    wanted = [
        ([f"study:{t.study_id}"], *counts_wanted_issue(t, columns, rules, found.get(t.study_id)))
        for t in pending
    ]
    actions = _sync(client, COUNTS_LABEL, wanted, reopen=True)
    pending_ids = {_encode(f"study:{t.study_id}".lower()) for t in pending}
    for issue in client.issues():
        ids = marker_ids(issue.get("body"))
        counts = ids and all(i.startswith("study:") for i in ids)
        if counts and issue.get("state") == "open" and not ids & pending_ids:
            client.update(int(issue["number"]), state="closed", state_reason="completed")
            actions.append(f"closed issue #{issue['number']}: its counts are on main")
    return actions
