"""The version bump a results diff asks for, and why (semantic versioning of the evidence).

The README's rules: **major** when a primary (random-effects) pooled result changes
statistical significance or direction; **minor** when a trial is added or enters an
analysis; **patch** otherwise. A change of GRADE certainty is a change of conclusion too
(major). The pull-request comment states it and ``release`` checks
the version against it.
"""

from __future__ import annotations

from analysis.publish.diff.datafiles import bump as certainty_bump

__all__ = ["bump_and_reason", "suggested_bump"]


def suggested_bump(diff) -> str:
    """``major``, ``minor`` or ``patch`` as semantic versioning of the evidence asks.

    Major: a primary (random-effects) pooled result changed significance or direction, or
    the GRADE certainty of a result changed (:func:`analysis.publish.diff.datafiles.bump`).
    Minor: a trial was added (or entered an analysis). Patch: anything else.
    """
    return bump_and_reason(diff)[0]


def bump_and_reason(diff) -> tuple[str, str]:
    """:func:`suggested_bump` with the reason in words (the README's rules, applied to each
    comparison's primary random-effects result only)."""
    for c in diff.flagged:
        if getattr(c, "primary", c.ref.analysis == "primary"):
            what = "significance" if c.significance_changed else "direction"
            return "major", f"the primary result of {c.ref.comparison} changed {what}"
    certainty = certainty_bump(diff)  # a certainty changed: a change of conclusion
    if certainty is not None:
        return certainty
    added = [t.study_id for t in diff.trials or () if t.kind == "added"]
    if added:
        return "minor", f"{len(added)} trial(s) added"
    if any(entering for entering, _ in diff.membership.values()):
        return "minor", "a trial entered an analysis"
    return "patch", "no trial added and no primary conclusion changed"
