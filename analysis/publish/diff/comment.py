"""The results diff in words: the Markdown of the pull-request comment and the changelog.

Every data field passes through :mod:`analysis.escape` before it reaches the Markdown.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from analysis import escape
from analysis.publish.diff.bump import bump_and_reason
from analysis.publish.diff.labels import COMPARISONS
from analysis.publish.diff.labels import LONG_TEXT as _LONG_TEXT

if TYPE_CHECKING:  # types only: compare imports this module for ResultsDiff.to_markdown
    from analysis.publish.diff.compare import Pooled, PooledChange, ResultsDiff, Side


def _fmt(x: float | None, digits: int = 2) -> str:
    """The site's number formatter (the same rounding of halves, the minus sign)."""
    from analysis.report.text import num

    return num(x, digits)


def _effect(p: Pooled | None) -> str:
    if p is None:
        return "–"
    if p.estimate is None:
        return "not estimable"
    return f"{_t(p.measure)} {_fmt(p.estimate)} ({_fmt(p.ci_low)} to {_fmt(p.ci_high)})"


def _pair(old: str, new: str) -> str:
    return new if old == new else f"{old} → {new}"


def _sig_word(p: Pooled) -> str:
    s = p.significant
    return "CI not available" if s is None else ("significant" if s else "not significant")


def _dir_word(p: Pooled) -> str:
    word = "?" if p.direction is None else {1: "above", -1: "below", 0: "on"}[p.direction]
    return f"{word} {p.null:g}"


def _cell(text: str) -> str:
    """A data value for a table cell: shortened, then escaped (mentions, markup, pipes)."""
    text = escape.plain(text)
    text = text if len(text) <= _LONG_TEXT else text[: _LONG_TEXT - 1] + "…"
    return escape.comment(text)


def _t(text: object) -> str:
    """Any other text that comes from the data or a results file: escaped."""
    return escape.comment(text)


def word_diff(old: str, new: str) -> str:
    """A word-level diff for a comment: removed words ``~~struck~~``, added ones **bold**,
    every word escaped (so no markup or mention from the data; the markers stay ours)."""
    a, b = escape.plain(old).split(" "), escape.plain(new).split(" ")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(" ".join(_t(w) for w in a[i1:i2]))
            continue
        if op in ("delete", "replace") and i2 > i1:
            out.append("~~" + " ".join(_t(w) for w in a[i1:i2]) + "~~")
        if op in ("insert", "replace") and j2 > j1:
            out.append("**" + " ".join(_t(w) for w in b[j1:j2]) + "**")
    return " ".join(x for x in out if x)


def _is_long(a: str, b: str) -> bool:
    return max(len(a), len(b)) > _LONG_TEXT


def _label(analysis: str) -> str:
    """``sensitivity/tau2_methods/DL`` -> ``tau2 methods, DL`` (the primary stays ``primary``)."""
    parts = analysis.split("/")
    if parts[0] == "sensitivity" and len(parts) > 1:
        parts = parts[1:]
    return _t(", ".join(part.replace("_", " ") for part in parts))


def _describe(side: Side) -> str:
    b = side.bundle or {}
    if not b.get("commit"):
        return escape.code(side.label)
    commit = str(b["commit"])
    parts = [f"version {_t(b.get('version', '?'))}", f"commit {escape.code(commit[:12])}"]
    if b.get("uncommitted"):
        parts[1] = f"uncommitted changes on top of commit {escape.code(commit[:12])}"
    if b.get("generated") and not b.get("uncommitted"):
        parts.append(f"dated {_t(b['generated'])}")
    return f"{escape.code(side.label)} ({', '.join(parts)})"


def _verdict(p: Pooled) -> str:
    """Where a primary result stands, in words (benefit outcomes: above the null favours IVIG)."""
    if p.estimate is None or p.ci_low is None or p.ci_high is None:
        return "not estimable"
    if p.ci_low > p.null:
        return "favours IVIG"
    if p.ci_high < p.null:
        return "favours the comparator"
    return "inconclusive (the CI includes no effect)"


def _certainty(bundle: Mapping, comparison: str) -> str | None:
    """The GRADE certainty of a comparison's across-disease result in a bundle, in words."""
    finding = ((bundle.get("comparisons") or {}).get(comparison) or {}).get("findings") or {}
    label = ((finding.get("all") or {}).get("certainty") or {}).get("label")
    return str(label).replace("_", " ") if label else None


def _certainty_words(d: ResultsDiff, comparison: str) -> str:
    """``certainty unchanged (low)``, ``certainty low → moderate``, or nothing when unrated."""
    before, after = _certainty(d.base.bundle, comparison), _certainty(d.head.bundle, comparison)
    if after is None:
        return ""
    if before == after:
        return f"; certainty unchanged ({_t(after)})"
    return f"; certainty {_t(before or 'not rated')} → **{_t(after)}**"


def headline(d: ResultsDiff) -> str:
    """The first line: what the change does to each comparison's primary conclusion and to
    the certainty of its evidence."""
    parts = []
    for c in d.pooled:
        if not (c.primary and c.changed):
            continue
        name = _t(COMPARISONS.get(c.ref.comparison, c.ref.comparison))
        o, n = c.old, c.new
        if o is None:
            parts.append(f"{name}: new primary result {_effect(n)}, {_verdict(n)}")  # type: ignore[arg-type]
        elif n is None:
            parts.append(f"{name}: primary result removed (was {_effect(o)})")
        else:
            before, after = _verdict(o), _verdict(n)
            stance = f"still {after}" if before == after else f"now **{after}** (before: {before})"
            parts.append(
                f"{name}: {_t(n.measure)} {_fmt(o.estimate)} → {_fmt(n.estimate)}, {stance}"
                + _certainty_words(d, c.ref.comparison)
            )
    if not parts:
        return "No primary (random-effects) result changes."
    return "; ".join(parts) + "."


def markdown(d: ResultsDiff, level: int = 2) -> str:
    """The report in Markdown, its headings at ``level``."""
    h = "#" * level
    out = [f"{h} Results diff", ""]
    out += [headline(d), ""]
    out.append(f"From {_describe(d.base)} to {_describe(d.head)}.")
    out.append("")

    trials = d.trials or ()
    counts = {k: sum(t.kind == k for t in trials) for k in ("added", "removed", "changed")}
    changed_results = sum(c.changed for c in d.pooled)
    summary = []
    if d.trials is not None:
        summary.append(
            f"{counts['added']} trial(s) added, {counts['removed']} removed, "
            f"{counts['changed']} changed"
        )
    summary.append(f"{changed_results} of {len(d.pooled)} pooled result(s) changed")
    sig = sum(c.significance_changed for c in d.pooled)
    dirn = sum(c.direction_changed for c in d.pooled)
    summary.append(f"**{sig} change(s) of statistical significance, {dirn} of direction**")
    out.append("; ".join(summary) + ".")
    out.append("")
    kind, why = bump_and_reason(d)
    label = {c: COMPARISONS[c] for c in COMPARISONS}
    for key, name in label.items():
        why = why.replace(f"of {key} ", f"of {name} ")
    out += [f"Suggested version bump: **{kind}** ({_t(why)}).", ""]
    if d.unchanged:
        out += ["No change in the trial data or in any pooled result.", ""]

    if d.reviews:
        out += [f"{h}# For a maintainer's review", ""]
        out += [f"- {r}." for r in d.reviews]
        out.append("")

    if d.flagged:
        out += [f"{h}# Changes of significance or direction", ""]
        for c in d.flagged:
            p, o, n = c.ref, c.old, c.new
            assert o is not None and n is not None
            what = []
            if c.significance_changed:
                what.append(f"significance: {_sig_word(o)} → {_sig_word(n)}")
            if c.direction_changed:
                what.append(f"direction: estimate {_dir_word(o)} → {_dir_word(n)}")
            out.append(
                f"- **{_t(COMPARISONS.get(p.comparison, p.comparison))}**, {_label(p.analysis)}, "
                f"{_t(p.model)}: "
                f"{_effect(o)} → {_effect(n)}; {'; '.join(what)}."
            )
        out.append("")

    out += [f"{h}# Trials", ""]
    if d.trials is None:
        out += [
            "Trial-level data (`studies.csv`) are not available for both sides; "
            "only the membership of each analysis is compared below.",
            "",
        ]
    elif not trials and not d.columns_added and not d.columns_removed:
        out.pop()  # nothing to say: no section (the summary line says 0 changed)
        out.pop()
    else:
        if d.columns_added or d.columns_removed:
            if d.columns_added:
                out.append(f"Columns added: {', '.join(escape.code(c) for c in d.columns_added)}.")
            if d.columns_removed:
                out.append(
                    f"Columns removed: {', '.join(escape.code(c) for c in d.columns_removed)}."
                )
            out.append("")
        if trials:
            out += ["| Trial | Change | Fields (old → new) |", "| --- | --- | --- |"]
            long_fields: list[tuple[str, str, str, str]] = []
            for t in trials:
                if t.kind == "changed":
                    parts = []
                    for col, a, b in t.fields:
                        if _is_long(a, b):
                            long_fields.append((t.study_id, col, a, b))
                            parts.append(f"{escape.code(col)}: text changed (below)")
                        else:
                            parts.append(
                                f"{escape.code(col)}: {_cell(a or '(blank)')} → "
                                f"{_cell(b or '(blank)')}"
                            )
                    cells = "; ".join(parts)
                else:
                    cells = ""
                cells = escape.table_pipes(cells)  # a pipe in a code span still splits a cell
                out.append(f"| {_t(t.study_id)} | {t.kind} | {cells} |")
            out.append("")
            for sid, col, a, b in long_fields:
                out += [
                    "<details>",
                    f"<summary>{escape.comment_html(sid)}: {escape.comment_html(col)} (word diff: "
                    "~~removed~~, **added**)</summary>",
                    "",
                    word_diff(a, b),
                    "",
                    "</details>",
                    "",
                ]

    pooled_head = len(out)
    out += [f"{h}# Pooled results", ""]
    if not d.pooled:
        out += ["Neither side has a pooled result (no comparison has trials).", ""]
    by_comp: dict[str, list[PooledChange]] = {}
    for c in d.pooled:
        by_comp.setdefault(c.ref.comparison, []).append(c)
    unchanged: list[str] = []
    for comp, rows in by_comp.items():
        entering, leaving = d.membership.get(comp, ((), ()))
        # what moved, the primary random-effects result first
        shown = sorted(
            (c for c in rows if c.changed),
            key=lambda c: (not c.primary, c.ref.analysis != "primary"),
        )
        if not shown and not entering and not leaving:
            unchanged.append(_t(COMPARISONS.get(comp, comp)))
            continue  # a section with nothing to say is left out
        out += [f"{h}## {_t(COMPARISONS.get(comp, comp))}", ""]
        if entering:
            out.append(f"Trials entering the analysis: {', '.join(map(_t, entering))}.")
        if leaving:
            out.append(f"Trials leaving the analysis: {', '.join(map(_t, leaving))}.")
        if entering or leaving:
            out.append("")
        if shown:
            out += [
                "| Analysis | Model | k | Estimate (95% CI) | τ² | I² (%) | Flag |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
        for c in shown:
            o, n, p = c.old, c.new, c.ref
            k = _pair(
                "–" if o is None or o.k is None else str(o.k),
                "–" if n is None or n.k is None else str(n.k),
            )
            tau2 = _pair(_fmt(o.tau2 if o else None, 4), _fmt(n.tau2 if n else None, 4))
            i2 = _pair(_fmt(o.i2 if o else None, 1), _fmt(n.i2 if n else None, 1))
            flags = []
            if o is None:
                flags.append("new")
            elif n is None:
                flags.append("removed")
            if c.significance_changed:
                flags.append("**significance changed**")
            if c.direction_changed:
                flags.append("**direction changed**")
            elif c.crossed:
                flags.append("moved across the null (both CIs span it)")
            if not flags and c.changed:
                flags.append("moved")
            out.append(
                f"| {_label(p.analysis)} | {_t(p.model)} | {k} | {_pair(_effect(o), _effect(n))} "
                f"| {tau2} | {i2} | {', '.join(flags)} |"
            )
        out.append("")
        if shown and len(rows) > len(shown):
            out += [f"{len(rows) - len(shown)} further result(s) unchanged.", ""]
    if unchanged:
        out += [f"Unchanged: {', '.join(unchanged)}.", ""]
    if d.pooled and len(out) == pooled_head + 2 + 2 * bool(unchanged):
        del out[pooled_head : pooled_head + 2]  # no pooled result moved: no heading
    base_comps = set(((d.base.bundle or {}).get("comparisons") or {}).keys())
    empty = [
        COMPARISONS[c]
        for c in COMPARISONS
        if c not in by_comp
        and (c in base_comps or c in ((d.head.bundle or {}).get("comparisons") or {}))
    ]
    if empty:
        out += [f"No trials in the primary analysis on either side: {', '.join(empty)}.", ""]
    return "\n".join(out).rstrip() + "\n"
