"""Text that cannot deceive: the rules every free-text value of ``data/`` obeys.

Escaping (:mod:`analysis.escape`) keeps markup from running; it does not keep text from
lying. Two kinds of text are refused in data, with one line naming the rule:

* **invisible format characters** (Unicode category Cf: the bidirectional controls
  U+202A-U+202E and U+2066-U+2069 that make text read reversed, the marks U+200E,
  U+200F and U+061C, zero-width spaces and joiners, the soft hyphen, the byte-order
  mark inside text) and control characters other than tab and line ends: a reviewer
  reading the file, the pull request or the comment would not see what the site shows
  (the "Trojan Source" attack, Boucher and Anderson 2021);
* **spreadsheet formulas**: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return is run as a formula by Excel, LibreOffice and Google Sheets when
  the CSV the site serves (``studies.csv``, a download and a release asset) is opened
  (OWASP, "CSV Injection"). Such a cell is refused in a CSV of ``data/``, so every CSV
  the site serves, a copy of one, is safe as served.

References
----------
Boucher N, Anderson R. Trojan Source: Invisible Vulnerabilities. USENIX Security 2023
(arXiv:2111.00169). Unicode Standard Annex 9 (Unicode Bidirectional Algorithm), section
2 (explicit directional formatting characters). OWASP, "CSV Injection".
"""

from __future__ import annotations

import unicodedata

__all__ = ["FORMULA_START", "format_character", "formula", "problem"]

#: First characters a spreadsheet reads as the start of a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def format_character(text: str) -> str | None:
    """The rule broken by the first invisible format or control character, or None."""
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf" or (cat == "Cc" and ch not in _ALLOWED_CONTROLS):
            name = unicodedata.name(ch, "control character")
            kind = "invisible format character" if cat == "Cf" else "control character"
            return (
                f"{kind} U+{ord(ch):04X} ({name}) is not allowed: it hides or reorders"
                " text; delete it"
            )
    return None


def formula(text: str) -> str | None:
    """The rule broken when a CSV cell would run as a spreadsheet formula, or None."""
    if text.startswith(FORMULA_START):
        first = {"\t": "a tab", "\r": "a carriage return"}.get(text[0], repr(text[0]))
        return (
            f"starts with {first}: a spreadsheet would run it as a formula;"
            " start the text with a word"
        )
    return None


def problem(text: str, *, csv_cell: bool = False) -> str | None:
    """The first rule a data text breaks (format characters; formulas in a CSV cell)."""
    return format_character(text) or (formula(text) if csv_cell else None)
