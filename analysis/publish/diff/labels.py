"""Names the results diff shares between what differs (``compare``) and its words
(``comment``): the comparisons' labels and the length past which a text field is shown
as a word diff."""

from __future__ import annotations

from analysis.vocabulary import COMPARATOR_LABELS, COMPARATORS

__all__ = ["COMPARISONS", "LONG_TEXT"]

#: comparison key -> its label in the report ("IVIG vs placebo")
COMPARISONS: dict[str, str] = {c: f"IVIG vs {COMPARATOR_LABELS[c].lower()}" for c in COMPARATORS}

#: fields whose old and new values are too long to print in a table cell
LONG_TEXT = 40
