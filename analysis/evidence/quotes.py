"""Counts checked against their quote: a ``verified`` count must be findable in
``source_quote``.

A count is found when the quote holds it

* in digits (``8``), as a whole number (not part of ``0.8`` or ``18``);
* in words up to a hundred (``eight``, ``twenty-one``, ``twenty one``, ``none`` for 0);
* for an event count, as a percentage of its arm (``54%`` for 32 of 59: the quote's
  percentage, rounded as printed, holds 100 × events / arm size).

A count not found is a warning naming the cell and the quote (a typing slip, 9 where the
quote says "8 of the 16", is the commonest data error of a systematic review: Gøtzsche
et al., JAMA 2007;298:430-7). The arms are checked the same way: when the quote gives
each arm's "events of total" next to the arm's name (IVIG, placebo, plasma exchange, ...)
and the row has them the other way round, the row's arms look transposed. A sentence
with "respectively" is not attributed (its order is the reader's to follow).

Warnings, never errors: a quote may give a number in a form not recognised here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["ArmPair", "check_row", "mentions", "number_words", "pairs"]

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WORD = (
    r"(?:(?:a|one)[ -])?hundred|none|"
    rf"(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS[1:10])}))?|{'|'.join(_UNITS[::-1])}"
)
_WORD_RE = re.compile(rf"\b(?:{_WORD})\b", re.IGNORECASE)
_INT = r"(?<![\d.,])\d+(?![\d]|[.,]\d)"
_NUMBER_RE = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)(?![\d]|[.,]\d)(\s*%)?")
_PAIR_RE = re.compile(
    rf"({_INT}|\b(?:{_WORD})\b)\s*(?:of(?: the)?|out of|/)\s*({_INT}|\b(?:{_WORD})\b)",
    re.IGNORECASE,
)
_IVIG = re.compile(r"\bIV ?Ig\b|\bIGIV(?:-C)?\b|immun(?:e |o)globulin", re.IGNORECASE)
_CONTROL = re.compile(
    r"placebo|plasma ?exchange|plasmapheresis|\bPE\b|\bPLEX\b|\bTPE\b|steroid|prednis|"
    r"\bcontrol\b|\bsham\b|usual care",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;.](?:\s|$)|\band\b|\bcompared\b|\bwhereas\b|\bvs\b|\bversus\b")
_CLAUSE_START = re.compile(r"[;.](?:\s|$)|\band\b|\bcompared\b|\bwhereas\b|\bvs\b|\bversus\b")
_SENTENCE = re.compile(r"(?<=[.;])\s+")


def number_words(word: str) -> int | None:
    """``"twenty-one"`` -> 21, ``"none"`` -> 0, ``"a hundred"`` -> 100; None otherwise."""
    w = re.sub(r"[\s-]+", " ", word.strip().lower())
    if w == "none":
        return 0
    if w.endswith("hundred"):
        return 100
    if w in _UNITS:
        return _UNITS.index(w)
    tens, _, unit = w.partition(" ")
    if tens in _TENS:
        return _TENS[tens] + (_UNITS.index(unit) if unit in _UNITS[1:10] else 0)
    return None


def _value(token: str) -> int | None:
    return int(token) if token.isdigit() else number_words(token)


@dataclass(frozen=True)
class Mentions:
    """The numbers of a quote: whole numbers (digits or words) and percentages."""

    integers: frozenset[int]
    percentages: tuple[tuple[float, int], ...]  # (value, decimals printed)


def mentions(quote: str) -> Mentions:
    """Every whole number and percentage a quote states."""
    ints: set[int] = set()
    pcts: list[tuple[float, int]] = []
    for m in _NUMBER_RE.finditer(quote):
        text, pct = m.group(1), m.group(2)
        if pct:
            decimals = len(text.partition(".")[2])
            pcts.append((float(text), decimals))
        elif text.isdigit():
            ints.add(int(text))
    for m in _WORD_RE.finditer(quote):
        v = number_words(m.group(0))
        if v is not None:
            ints.add(v)
    return Mentions(frozenset(ints), tuple(pcts))


def _as_percentage(events: int, total: int, found: Mentions) -> bool:
    if total <= 0:
        return False
    share = 100 * events / total
    return any(abs(share - p) <= 0.5 * 10**-d + 1e-9 for p, d in found.percentages)


@dataclass(frozen=True)
class ArmPair:
    """An "events of total" of the quote and the arm named beside it (None: not said)."""

    events: int
    total: int
    arm: str | None  # "IVIG" | "control" | None


def _arm(text: str, last: bool) -> str | None:
    hits = [(m.start(), "IVIG") for m in _IVIG.finditer(text)]
    hits += [(m.start(), "control") for m in _CONTROL.finditer(text)]
    if not hits:
        return None
    hits.sort()
    return hits[-1][1] if last else hits[0][1]


def pairs(quote: str) -> Iterator[ArmPair]:
    """The quote's "e of n" / "e/n" / "e out of n", each with the arm named in its clause
    (after it first, then before it); sentences saying "respectively" name no arm."""
    for sentence in _SENTENCE.split(quote):
        attribute = "respectively" not in sentence.lower()
        for m in _PAIR_RE.finditer(sentence):
            e, n = _value(m.group(1)), _value(m.group(2))
            if e is None or n is None or e > n:
                continue
            arm = None
            if attribute:
                after = sentence[m.end() :]
                end = _CLAUSE_END.search(after)
                arm = _arm(after[: end.start() if end else len(after)], last=False)
                if arm is None:
                    before = sentence[: m.start()]
                    starts = list(_CLAUSE_START.finditer(before))
                    arm = _arm(before[starts[-1].end() if starts else 0 :], last=True)
            yield ArmPair(e, n, arm)


#: warn(column, rule, value)
Warn = Callable[[str, str, str], None]


def _shown(quote: str, limit: int = 70) -> str:
    text = " ".join(quote.split())
    return f'"{text}"' if len(text) <= limit else f'"{text[: limit - 1]}…"'


def check_row(counts: dict[str, int], quote: str, warn: Warn) -> None:
    """Warn for each count of a verified row not found in its quote, and for arms that
    look transposed. ``counts`` has ``ivig_improved``, ``ivig_total``,
    ``control_improved``, ``control_total``."""
    found = mentions(quote)
    arms = (
        ("ivig_improved", "ivig_total", "IVIG"),
        ("control_improved", "control_total", "control"),
    )
    for events_col, total_col, arm in arms:
        e, n = counts[events_col], counts[total_col]
        if e not in found.integers and not _as_percentage(e, n, found):
            warn(
                events_col,
                f"{e} is not in source_quote (in digits, in words or as a percentage of the"
                f" {arm} arm's {n}): check the count against the quote",
                _shown(quote),
            )
        if n not in found.integers:
            warn(
                total_col,
                f"{n} is not in source_quote (in digits or in words): check the {arm} arm's"
                " size against the quote",
                _shown(quote),
            )
    stated = {(p.events, p.total): p.arm for p in pairs(quote)}
    ivig = (counts["ivig_improved"], counts["ivig_total"])
    control = (counts["control_improved"], counts["control_total"])
    if ivig != control and stated.get(ivig) == "control" and stated.get(control) == "IVIG":
        warn(
            "ivig_improved",
            f"arms look transposed: the quote gives {control[0]} of {control[1]} for IVIG and"
            f" {ivig[0]} of {ivig[1]} for the comparator; swap the arms' counts",
            _shown(quote),
        )


_COUNTS = ("ivig_improved", "ivig_total", "control_improved", "control_total")


def check_record(record: dict, warn: Warn) -> None:
    """:func:`check_row` for a validated record (typed values, None when blank or invalid)
    whose status is ``verified`` and whose four counts and quote are present."""
    quote = record.get("source_quote")
    counts = {c: record.get(c) for c in _COUNTS}
    if record.get("status") != "verified" or not isinstance(quote, str):
        return
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        return
    check_row(counts, quote, warn)  # type: ignore[arg-type]
