"""The summary of findings as GRADEpro shows it (issue 21): the risk difference per 1000 with
its CI, and footnote markers that link to their explanation and back."""

from __future__ import annotations

import re

import pytest

from analysis.report.chapters.tables import footnote_marks, footnote_note, risk_difference
from analysis.stats.absolute import absolute_effect


def test_risk_difference_reads_the_absolute_effect_as_grade_pro_words_it():
    # RR 2.48 (0.88 to 6.95) on a control risk of 181 per 1000 (the example in the issue)
    ab = absolute_effect("RR", 2.48, 0.88, 6.95, 0.181).to_dict()
    d, lo, hi = (
        ab[k]
        for k in ("difference_per_1000", "difference_per_1000_low", "difference_per_1000_high")
    )
    words = lambda x: f"{abs(round(x))} {'more' if round(x) > 0 else 'fewer'}"  # noqa: E731
    assert risk_difference(ab) == f"{words(d)} per 1000 (from {words(lo)} to {words(hi)})"
    assert lo < 0 < d < hi and "fewer" in risk_difference(ab).split("from")[1]


@pytest.mark.parametrize(
    ("ab", "expected"),
    [
        (
            {
                "difference_per_1000": 267.4,
                "difference_per_1000_low": -21.2,
                "difference_per_1000_high": 819.0,
            },
            "267 more per 1000 (from 21 fewer to 819 more)",
        ),
        (
            {
                "difference_per_1000": -50.0,
                "difference_per_1000_low": -90.4,
                "difference_per_1000_high": -10.6,
            },
            "50 fewer per 1000 (from 90 fewer to 11 fewer)",
        ),
        ({"difference_per_1000": 30.0}, "30 more per 1000"),
        ({}, "–"),
        ({"difference_per_1000": None}, "–"),
    ],
)
def test_risk_difference_words(ab, expected):
    assert risk_difference(ab) == expected


def test_footnote_markers_link_to_their_explanation_and_back():
    marks = footnote_marks("placebo", ["a", "b"])
    assert marks.startswith("^") and marks.endswith("^")
    for x in "ab":
        assert f"[{x}](#sof-placebo-note-{x})" in marks
        assert f"{{#sof-placebo-note-{x}-ref}}" in marks
    note = footnote_note("placebo", "a", "Imprecision, serious (−1): wide CI.")
    assert re.match(r"^\[\^a\^\]\{#sof-placebo-note-a\} Imprecision", note)
    assert "(#sof-placebo-note-a-ref)" in note
    assert footnote_marks("placebo", []) == ""


def plain_marks(md: str) -> str:
    """The summary of findings' Markdown with its footnote links taken out (``^a,b^`` and
    ``- ^a^ reason``), for tests that read the letters and notes as text."""
    md = re.sub(r"\[\[([a-z]+)\]\(#sof-[^)]*\)\]\{#[^}]*\}", r"\1", md)
    md = re.sub(r"\[([a-z]+)\]\(#sof-[^)]*\)", r"\1", md)
    md = re.sub(r"\[\^([a-z]+)\^\]\{#sof-[^}]*\}", r"^\1^", md)
    return re.sub(r" \[\(back to the table\)\]\(#sof-[^)]*\)", "", md)


def test_plain_marks_takes_out_the_links_only():
    row = footnote_marks("x", ["a", "b"]) + " " + footnote_note("x", "a", "Reason.")
    assert plain_marks(row) == "^a,b^ ^a^ Reason."
