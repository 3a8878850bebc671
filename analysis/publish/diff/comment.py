"""The results diff in words: the pull-request comment (Markdown), the terminal's report
(plain text) and the changelog.

The report is written once; :mod:`analysis.publish.diff.style` says how (Markdown, every
data field through :mod:`analysis.escape`; or plain text, data as written on one line,
no backslash). Internal keys of the results file (``findings/cidp``, ``common.mh``) are
given in words (:mod:`analysis.publish.diff.labels`); the sensitivity analyses are
collapsed behind a one-line summary.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from analysis import escape
from analysis.publish.diff import style
from analysis.publish.diff.bump import bump_and_reason
from analysis.publish.diff.headline import headline
from analysis.publish.diff.labels import COMPARISONS, analysis_words, comparison_words, model_words
from analysis.publish.diff.labels import LONG_TEXT as _LONG_TEXT

if TYPE_CHECKING:  # types only: compare imports this module for ResultsDiff.to_markdown
    from analysis.publish.diff.compare import Pooled, PooledChange, ResultsDiff, Side

__all__ = ["headline", "markdown", "report", "text", "word_diff"]


def _fmt(x: float | None, digits: int = 2) -> str:
    """The site's number formatter (the same rounding of halves, the minus sign)."""
    from analysis.report.text import num

    return num(x, digits)


def _t(text: object) -> str:
    """Any text that comes from the data or a results file, in the current style."""
    return style.current().t(text)


def _effect(p: Pooled | None) -> str:
    if p is None:
        return "–"
    if p.estimate is None:
        return "not estimable"
    if p.ci_low is None or p.ci_high is None:
        return f"{_t(p.measure)} {_fmt(p.estimate)} (no CI)"
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
    return _t(text)


def word_diff(old: str, new: str) -> str:
    """A word-level diff: removed words ``~~struck~~`` and added ones **bold** in Markdown,
    ``[-removed-]`` and ``{+added+}`` in text; every word escaped in Markdown (so no markup
    or mention from the data; the markers stay ours)."""
    s = style.current()
    a, b = escape.plain(old).split(" "), escape.plain(new).split(" ")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(" ".join(_t(w) for w in a[i1:i2]))
            continue
        if op in ("delete", "replace") and i2 > i1:
            out.append(s.removed(" ".join(_t(w) for w in a[i1:i2])))
        if op in ("insert", "replace") and j2 > j1:
            out.append(s.added(" ".join(_t(w) for w in b[j1:j2])))
    return " ".join(x for x in out if x)


def _is_long(a: str, b: str) -> bool:
    return max(len(a), len(b)) > _LONG_TEXT


def _label(analysis: str) -> str:
    """An analysis path in words (``sensitivity/tau2_methods/DL`` -> "τ² estimator: ...")."""
    return _t(analysis_words(analysis))


def _name(comparison: str) -> str:
    return _t(COMPARISONS.get(comparison) or comparison_words(comparison))


def _describe(side: Side) -> str:
    s = style.current()
    b = side.bundle or {}
    if not b.get("commit"):
        return s.code(side.label)
    commit = str(b["commit"])
    parts = [f"version {_t(b.get('version', '?'))}", f"commit {s.code(commit[:12])}"]
    if b.get("uncommitted"):
        parts[1] = f"uncommitted changes on top of commit {s.code(commit[:12])}"
    if b.get("generated") and not b.get("uncommitted"):
        parts.append(f"dated {_t(b['generated'])}")
    return f"{s.code(side.label)} ({', '.join(parts)})"


def _flags(c: PooledChange) -> str:
    s = style.current()
    flags = []
    if c.old is None:
        flags.append("new")
    elif c.new is None:
        flags.append("removed")
    if c.significance_changed:
        flags.append(s.bold("significance changed"))
    if c.direction_changed:
        flags.append(s.bold("direction changed"))
    elif c.crossed:
        flags.append("moved across the null (both CIs span it)")
    if not flags and c.changed:
        flags.append("moved")
    return ", ".join(flags)


def _row(c: PooledChange) -> list[str]:
    o, n, p = c.old, c.new, c.ref
    k = _pair(
        "–" if o is None or o.k is None else str(o.k),
        "–" if n is None or n.k is None else str(n.k),
    )
    tau2 = _pair(_fmt(o.tau2 if o else None, 4), _fmt(n.tau2 if n else None, 4))
    i2 = _pair(_fmt(o.i2 if o else None, 1), _fmt(n.i2 if n else None, 1))
    return [
        _label(p.analysis),
        _t(model_words(p.model)),
        k,
        _pair(_effect(o), _effect(n)),
        tau2,
        i2,
        _flags(c),
    ]


_HEADER = ["Analysis", "Model", "k", "Estimate (95% CI)", "τ²", "I² (%)", "Flag"]


def _sensitivity_summary(rows: list[PooledChange]) -> str:
    """``Sensitivity analyses: 12 of 30 results moved; none changed significance.`` (the
    per-disease results of the summary of findings are counted with them; a flip among
    them is listed in "Changes of significance or direction")."""
    moved = [c for c in rows if c.changed]
    sig = sum(c.significance_changed for c in moved)
    dirn = sum(c.direction_changed for c in moved)
    flips = []
    if sig:
        flips.append(f"{sig} changed significance")
    if dirn:
        flips.append(f"{dirn} changed direction")
    by_disease = any(c.ref.analysis.startswith("findings/") for c in rows)
    what = "By disease and sensitivity analyses" if by_disease else "Sensitivity analyses"
    return (
        f"{what}: {len(moved)} of {len(rows)} result(s) moved; "
        + ("; ".join(flips) if flips else "none changed significance or direction")
        + "."
    )


def report(d: ResultsDiff, level: int = 2, fmt: str = "markdown") -> str:
    """The report in ``fmt`` (``"markdown"`` or ``"text"``), Markdown headings at ``level``."""
    with style.use(fmt):
        return _report(d, level)


def markdown(d: ResultsDiff, level: int = 2) -> str:
    """The report in Markdown (the pull-request comment), its headings at ``level``."""
    return report(d, level, "markdown")


def text(d: ResultsDiff) -> str:
    """The report in plain text for a terminal: no markup, no backslash escapes."""
    return report(d, 2, "text")


def _report(d: ResultsDiff, level: int) -> str:
    s = style.current()
    out = s.heading(level, "Results diff")
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
    summary.append(s.bold(f"{sig} change(s) of statistical significance, {dirn} of direction"))
    out.append("; ".join(summary) + ".")
    out.append("")
    kind, why = bump_and_reason(d)
    for key, name in COMPARISONS.items():
        why = why.replace(f"of {key} ", f"of {name} ")
    out += [f"Suggested version bump: {s.bold(kind)} ({_t(why)}).", ""]
    if d.unchanged:
        out += ["No change in the trial data or in any pooled result.", ""]

    if d.reviews:
        out += s.heading(level + 1, "For a maintainer's review")
        reviews = d.reviews if s.markdown else tuple(_unmark(r) for r in d.reviews)
        out += [f"- {r}." for r in reviews]
        out.append("")

    if d.flagged:
        out += s.heading(level + 1, "Changes of significance or direction")
        for c in d.flagged:
            p, o, n = c.ref, c.old, c.new
            assert o is not None and n is not None
            what = []
            if c.significance_changed:
                what.append(f"significance: {_sig_word(o)} → {_sig_word(n)}")
            if c.direction_changed:
                what.append(f"direction: estimate {_dir_word(o)} → {_dir_word(n)}")
            out.append(
                f"- {s.bold(_name(p.comparison))}, {_label(p.analysis)}, "
                f"{_t(model_words(p.model))}: "
                f"{_effect(o)} → {_effect(n)}; {'; '.join(what)}."
            )
        out.append("")

    out += _trials_section(d, level)
    out += _pooled_section(d, level)
    return "\n".join(out).rstrip() + "\n"


def _unmark(line: str) -> str:
    """A review line written in Markdown (by compare) as plain text: code spans and
    emphasis markers dropped, backslash escapes undone."""
    import re

    line = line.replace("**", "").replace("`", "")
    return re.sub(r"\\(.)", r"\1", line).replace("\u200d", "")


def _trials_section(d: ResultsDiff, level: int) -> list[str]:
    s = style.current()
    trials = d.trials or ()
    if d.trials is None:
        return [
            *s.heading(level + 1, "Trials"),
            f"Trial-level data ({s.code('studies.csv')}) are not available for both sides; "
            "only the membership of each analysis is compared below.",
            "",
        ]
    if not trials and not d.columns_added and not d.columns_removed:
        return []  # nothing to say: no section (the summary line says 0 changed)
    out = s.heading(level + 1, "Trials")
    if d.columns_added:
        out.append(f"Columns added: {', '.join(s.code(c) for c in d.columns_added)}.")
    if d.columns_removed:
        out.append(f"Columns removed: {', '.join(s.code(c) for c in d.columns_removed)}.")
    if d.columns_added or d.columns_removed:
        out.append("")
    if not trials:
        return out
    rows: list[list[str]] = []
    long_fields: list[tuple[str, str, str, str]] = []
    for t in trials:
        cells = ""
        if t.kind == "changed":
            parts = []
            for col, a, b in t.fields:
                if _is_long(a, b):
                    long_fields.append((t.study_id, col, a, b))
                    parts.append(f"{s.code(col)}: text changed (below)")
                else:
                    parts.append(
                        f"{s.code(col)}: {_cell(a or '(blank)')} → {_cell(b or '(blank)')}"
                    )
            cells = "; ".join(parts)
        rows.append([_t(t.study_id), t.kind, cells])
    out += s.table(["Trial", "Change", "Fields (old → new)"], rows)
    out.append("")
    for sid, col, a, b in long_fields:
        marks = f"{s.removed('removed')}, {s.added('added')}"
        out += s.details(f"{s.html(sid)}: {s.html(col)} (word diff: {marks})", [word_diff(a, b)])
    return out


def _pooled_section(d: ResultsDiff, level: int) -> list[str]:
    s = style.current()
    out: list[str] = []
    if not d.pooled:
        out += [
            *s.heading(level + 1, "Pooled results"),
            "Neither side has a pooled result (no comparison has trials).",
            "",
        ]
    by_comp: dict[str, list[PooledChange]] = {}
    for c in d.pooled:
        by_comp.setdefault(c.ref.comparison, []).append(c)
    unchanged: list[str] = []
    sections: list[str] = []
    for comp, rows in by_comp.items():
        entering, leaving = d.membership.get(comp, ((), ()))
        main = [c for c in rows if c.ref.analysis == "primary"]
        others = [c for c in rows if c.ref.analysis != "primary"]
        # what moved, the primary random-effects result first
        shown = sorted((c for c in main if c.changed), key=lambda c: not c.primary)
        moved_others = [c for c in others if c.changed]
        if not shown and not moved_others and not entering and not leaving:
            unchanged.append(_name(comp))
            continue  # a section with nothing to say is left out
        sections += s.heading(level + 2, _name(comp))
        if entering:
            sections.append(f"Trials entering the analysis: {', '.join(map(_t, entering))}.")
        if leaving:
            sections.append(f"Trials leaving the analysis: {', '.join(map(_t, leaving))}.")
        if entering or leaving:
            sections.append("")
        if shown:
            sections += s.table(_HEADER, [_row(c) for c in shown])
            sections.append("")
        if moved_others:
            body = s.table(_HEADER, [_row(c) for c in moved_others])
            # in a terminal only the summary line: the flips are listed above already
            sections += s.details(_sensitivity_summary(others), body, show_in_text=False)
        elif others:
            sections += [_sensitivity_summary(others), ""]
    if sections:
        out += [*s.heading(level + 1, "Pooled results"), *sections]
    if unchanged:
        out += [f"Unchanged: {', '.join(unchanged)}.", ""]
    base_comps = set(((d.base.bundle or {}).get("comparisons") or {}).keys())
    head_comps = set(((d.head.bundle or {}).get("comparisons") or {}).keys())
    empty = [
        COMPARISONS[c]
        for c in COMPARISONS
        if c not in by_comp and (c in base_comps or c in head_comps)
    ]
    if empty:
        out += [f"No trials in the primary analysis on either side: {', '.join(empty)}.", ""]
    return out
