"""Bibliography fields as data, not LaTeX: the rules for the fields of ``references.bib``.

citeproc (pandoc's, and so Quarto's) reads a BibTeX field as LaTeX: ``\\href{javascript:
...}{...}`` in a title becomes a live link on every page citing it, ``\\includegraphics{
https://...}`` a tracking image (and a broken PDF), and a ``url`` field of
``javascript:...`` a link annotation in the PDF. So a field may hold only text and the
small part of LaTeX a bibliography needs:

* braces ``{`` ``}`` (balanced; they protect capitals), ``--`` and ``~``;
* escaped characters ``\\&`` ``\\%`` ``\\$`` ``\\#`` ``\\_`` ``\\{`` ``\\}`` and ``\\ ``;
* accents on a letter or a braced letter: ``\\'`` ``\\"`` `````\\` ````` ``\\^`` ``\\~``
  ``\\=`` ``\\.`` and ``\\u`` ``\\v`` ``\\H`` ``\\c`` ``\\k`` ``\\r`` ``\\d`` ``\\b``
  ``\\t``;
* the letters ``\\ss`` ``\\o`` ``\\O`` ``\\ae`` ``\\AE`` ``\\oe`` ``\\OE`` ``\\aa``
  ``\\AA`` ``\\l`` ``\\L`` ``\\i`` ``\\j``.

Any other command, and an unescaped ``$`` (math), is refused. ``url`` is one
``http(s)://`` address of URL characters; ``doi`` is a DOI (``10.NNNN/suffix``); no
field holds an invisible format character (:mod:`analysis.evidence.plaintext`).

The site applies a second guard whatever the file holds: the ``references.lua`` filter
of :mod:`analysis.render` drops images and every link that is not ``http(s)`` or a DOI
from the reference list, under both renderers.

References
----------
Lamport L. *LaTeX: A Document Preparation System*, 2nd ed., section 3.2.1 (accents and
special symbols). Patashnik O. *BibTeXing* (1988), section 4 (field contents).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analysis.evidence import plaintext
from analysis.evidence.bibtex import Entry
from analysis.evidence.csvfile import Problem

__all__ = ["ALLOWED_COMMANDS", "field_problem", "problems"]

_ACCENTS = frozenset("'\"`^~=.")
_LETTER_ACCENTS = frozenset("uvHckrdbt")
_LETTERS = frozenset({"ss", "o", "O", "ae", "AE", "oe", "OE", "aa", "AA", "l", "L", "i", "j"})
_ESCAPED = frozenset("&%$#_{} ")
#: Every command a bibliography field may use (the rest is refused).
ALLOWED_COMMANDS = frozenset(_LETTERS | _LETTER_ACCENTS)
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_DOI = re.compile(r"10\.[0-9]{4,9}/[^\s\"<>{}\\]+")


def field_problem(name: str, value: str) -> str | None:
    """The rule a field's value breaks, or None."""
    rule = plaintext.format_character(value)
    if rule:
        return rule
    if name == "url":
        return None if _URL.fullmatch(value) else "url must be one http:// or https:// address"
    if name == "doi":
        return None if _DOI.fullmatch(value) else "malformed DOI"
    for m in _COMMAND.finditer(value):
        cmd = m.group(1)
        if cmd in _ESCAPED or cmd in _ACCENTS or cmd in ALLOWED_COMMANDS:
            continue
        return (
            f"LaTeX command \\{cmd} is not allowed in a bibliography field: only accents,"
            " escaped characters (\\&, \\%) and braces"
        )
    bare = _COMMAND.sub("", value)
    if "$" in bare:
        return "math ($) is not allowed in a bibliography field: write \\$ for a dollar sign"
    depth = 0
    for ch in bare:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        return "unbalanced braces"
    return None


_MACRO = re.compile(r"@\s*(string|preamble)\s*[{(]", re.IGNORECASE)


def problems(entries: Iterable[Entry], name: str, text: str = "") -> list[Problem]:
    """Every field of every entry that breaks a rule, as ``file:line:key.field: rule``;
    with the file's ``text``, also every ``@string`` or ``@preamble`` block (their LaTeX
    would reach citeproc without passing these rules)."""
    out = [
        Problem(
            name,
            text.count("\n", 0, m.start()) + 1,
            "-",
            f"@{m.group(1).lower()} blocks are not allowed: write each field out in full",
        )
        for m in _MACRO.finditer(text)
    ]
    for e in entries:
        for f, v in e.fields.items():
            if f == "doi":  # the validator's own DOI rule reports it
                continue
            rule = field_problem(f, v)
            if rule:
                shown = v if len(v) <= 60 else v[:59] + "…"
                out.append(Problem(name, e.field_lines.get(f, e.line), f"{e.key}.{f}", rule, shown))
    return out
