"""Data fields as plain text, whatever the output: the one escaping module.

Every text that comes from ``data/`` (a pull request can change it) reaches a reader
through one of these functions, never by concatenation into markup:

* :func:`html` for HTML written by the project (``html.escape`` with quotes);
* :func:`markdown` for Markdown handed to pandoc (the site and the PDF): every ASCII
  punctuation character is backslash-escaped, so no raw HTML, raw attribute
  (``{=html}``, ``{=typst}``), citation (``@key``), image, link, emphasis, code span or
  math can start; pandoc then escapes the literal text for HTML and Typst itself;
* :func:`markdown_code` for the descriptor's descriptions, whose back-ticked words are
  kept as code spans (literal by construction) and everything else escaped;
* :func:`markdown_url` for a URL column: a link only for an ``http``/``https`` address
  made of URL characters, otherwise escaped text;
* :func:`typst` for Typst markup written directly;
* :func:`json_html` for JSON inlined in an HTML page (a chart's spec in a ``<script>``):
  ``<``, ``>``, ``&`` and the line separators U+2028/U+2029 written as ``\\uXXXX``
  escapes, so no ``</script>``, ``<!--`` or ``<script`` can end or change the element
  and the text stays JSON that parses to the same value;
* :func:`comment` for the pull-request comment (GitHub Flavored Markdown): escaped as
  Markdown, with ``@mentions`` and ``#N`` references broken by a zero-width joiner, and
  :func:`truncate_comment` to cut a finished comment below GitHub's limit with a
  visible note (after escaping, so the limit holds).

References
----------
Pandoc User's Guide, "Backslash escapes" (``all_symbols_escapable``);
CommonMark 0.31 section 2.4 (backslash escapes of ASCII punctuation);
Typst reference, "Syntax: escape sequences";
HTML Living Standard 4.12.1.3 (restrictions for contents of script elements);
RFC 8259 section 7 (any character may be written as a ``\\uXXXX`` escape).
"""

from __future__ import annotations

import html as _html
import json as _json
import re
import string
from typing import Any

__all__ = [
    "COMMENT_LIMIT",
    "code",
    "code_block",
    "comment",
    "comment_html",
    "html",
    "json_html",
    "markdown",
    "markdown_code",
    "markdown_url",
    "plain",
    "table_pipes",
    "truncate_comment",
    "typst",
]

#: GitHub refuses an issue or pull-request comment longer than 65,536 characters.
COMMENT_LIMIT = 65_000

_PUNCT = frozenset(string.punctuation)  # the ASCII punctuation both pandoc and CommonMark escape
_WS = re.compile(r"\s+")
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_ZWJ = "\u200d"
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# a pipe preceded by an even number (0, 2, ...) of backslashes: not escaped
_BARE_PIPE = re.compile(r"(?<!\\)((?:\\\\)*)\|")
# an @mention (GitHub user or team) or an issue/PR reference (#12, owner/repo#12, GH-12)
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ISSUE = re.compile(r"#(?=[0-9])|(?<=GH)-(?=[0-9])", re.IGNORECASE)
_TYPST_SPECIAL = frozenset("\\#$*_`<>@[]~/\"'=-+.:")


def plain(value: object) -> str:
    """A data value as one line of text: ``None`` -> ``""``, runs of white space -> one space.

    Control characters other than white space are dropped (they have no glyph and some
    renderers reject them). Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E,
    U+200F, U+061C), which make text read reversed, are shown as visible ``[U+202E]``
    (validation refuses them in data; this holds for text that was not validated, such as
    a pull request's data in the diff comment).
    """
    if value is None:
        return ""
    text = _WS.sub(" ", str(value)).strip()
    text = "".join(ch for ch in text if ch >= " " and ch != "\x7f")
    return _BIDI.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)


def html(value: object) -> str:
    """Text for an HTML element or attribute (``&``, ``<``, ``>``, quotes escaped)."""
    return _html.escape(plain(value), quote=True)


def markdown(value: object) -> str:
    """Text for Markdown read by pandoc (or any CommonMark reader): shown literally.

    Every ASCII punctuation character gets a backslash, which both pandoc Markdown and
    CommonMark define as "this character, literally"; new lines become spaces, so a
    value cannot start a block (heading, list, table row, fenced div) either.
    """
    return _backslash(plain(value))


def _backslash(text: str) -> str:
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in text)


def markdown_code(value: object) -> str:
    """Descriptor prose: back-ticked words stay code spans, the rest is :func:`markdown`.

    A code span is literal in pandoc; the character after it is escaped, so a raw
    attribute (``{=html}``) cannot follow. Unbalanced back-ticks: everything escaped.
    """
    text = plain(value)
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return markdown(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"`{part}`" if part.strip() else _backslash(f"`{part}`"))
        else:
            out.append(_backslash(part))
    return "".join(out)


def markdown_url(value: object) -> str:
    """A URL column: an autolink for an ``http(s)`` address, otherwise escaped text.

    Several addresses separated by `` ; `` (the register's convention) each become a
    link. Anything else (``javascript:``, ``data:``, spaces, angle brackets) is text.
    """
    text = plain(value)
    parts = [p.strip() for p in text.split(" ; ")]
    if parts and all(_URL.fullmatch(p) for p in parts):
        return " ; ".join(f"<{p}>" for p in parts)
    return markdown(text)


def table_pipes(cell: str) -> str:
    """A pipe-table cell: every ``|`` not already backslash-escaped gets its backslash.

    Text from :func:`markdown` is unchanged (its pipes are escaped); trusted Markdown
    built by the project keeps its meaning and cannot end the cell early.
    """
    return _BARE_PIPE.sub(lambda m: m.group(1) + "\\|", cell)


def typst(value: object) -> str:
    """Text for Typst markup: every character with a meaning in markup escaped."""
    return "".join("\\" + ch if ch in _TYPST_SPECIAL else ch for ch in plain(value))


_JSON_HTML = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_HTML_RE = re.compile("[<>&\u2028\u2029]")


def json_html(obj: Any, **dumps: Any) -> str:
    """``obj`` as JSON safe to inline in HTML, inside ``<script>`` or an attribute's text.

    The characters that mean something to the HTML parser (``<``, ``>``, ``&``) and the
    two that once ended a JavaScript string (U+2028, U+2029) are written as ``\\uXXXX``
    escapes; outside strings JSON never holds them, so the text is still JSON and
    ``json.loads`` gives back ``obj``. ``dumps`` are :func:`json.dumps` options.
    """
    dumps.setdefault("ensure_ascii", False)
    text = _json.dumps(obj, **dumps)
    return _JSON_HTML_RE.sub(lambda m: _JSON_HTML[m.group(0)], text)


def _neutralise(text: str) -> str:
    text = _MENTION.sub("@" + _ZWJ, text)
    return _ISSUE.sub(lambda m: m.group(0) + _ZWJ, text)


def comment_html(value: object) -> str:
    """Text inside HTML of a GitHub comment (``<summary>``): HTML-escaped, mentions and
    issue references broken as in :func:`comment`."""
    return _html.escape(_neutralise(plain(value)), quote=True)


def comment(value: object) -> str:
    """Text for a GitHub comment: escaped Markdown, no live mention or issue reference.

    GitHub links ``@name`` and ``#12`` in the rendered text (after Markdown), so a
    backslash is not enough: a zero-width joiner after ``@`` and ``#`` breaks the link
    while the text reads the same.
    """
    return markdown(_neutralise(plain(value)))


def truncate_comment(text: str, limit: int = COMMENT_LIMIT) -> str:
    """Cut an escaped comment at a line boundary below ``limit`` characters, saying so.

    Cutting after escaping keeps the result under the limit; cutting at a line keeps
    every escape and table row whole.
    """
    if len(text) <= limit:
        return text
    note = (
        f"\n\n**This report was cut at {limit:,} characters** (GitHub's limit for a "
        "comment); run `python -m analysis diff` locally for the whole report.\n"
    )
    keep = text[: limit - len(note)]
    cut = keep.rfind("\n")
    keep = keep[:cut] if cut > 0 else keep
    return keep.rstrip() + note


def code(value: object) -> str:
    """Text as an inline code span (literal in pandoc and CommonMark; GitHub links no
    mention inside one): the fence is one back-tick longer than any run inside."""
    text = plain(value)
    if not text:
        return ""
    longest = max((len(m.group(0)) for m in re.finditer("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest or text.startswith(" ") or text.endswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(value: str, limit: int = 20_000) -> str:
    """Text as a fenced code block no line of it can close (a fence longer than any run
    of back-ticks inside, CommonMark 4.5); cut at ``limit`` characters with a note."""
    text = value if len(value) <= limit else value[:limit] + "\n… (cut)"
    longest = max((len(m.group(0)) for m in re.finditer("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}\n"


if __name__ == "__main__":  # ``python -m analysis.escape --code-block < FILE`` (CI error reports)
    import sys

    if sys.argv[1:] != ["--code-block"]:
        sys.exit("usage: python -m analysis.escape --code-block < FILE")
    sys.stdout.write(code_block(sys.stdin.read()))
