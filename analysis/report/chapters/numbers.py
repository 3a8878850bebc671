"""Inline numbers and phrases: the headline effect, prediction interval, heterogeneity,
trials, the version of this build."""

from __future__ import annotations

from functools import cache
from typing import Any

from IPython.display import Markdown

from analysis import escape
from analysis.report import text
from analysis.report.chapters.loading import _key, bundle, result, root

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
