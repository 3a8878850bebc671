"""The two ways the results diff is written: Markdown for the pull-request comment, plain
text for a terminal.

The report is built once (:mod:`analysis.publish.diff.comment`); the few places where the
two differ (data text, code, emphasis, headings, tables, collapsed sections, a word
diff's markers) ask the style in force. Markdown escapes every data field through
:mod:`analysis.escape`; plain text shows it as written on one line (a terminal renders
no markup, so no backslash is needed, and none is added).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence

from analysis import escape

__all__ = ["FORMATS", "Style", "current", "use"]

#: the ``--format`` choices
FORMATS = ("text", "markdown")


class Style:
    """Markdown (``markdown=True``, GitHub Flavored) or plain text."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown

    def t(self, text: object) -> str:
        """Text from the data or a results file."""
        return escape.comment(text) if self.markdown else escape.plain(text)

    def code(self, text: object) -> str:
        """A file, column or commit name."""
        return escape.code(text) if self.markdown else escape.plain(text)

    def html(self, text: object) -> str:
        """Text inside HTML (a ``<summary>``)."""
        return escape.comment_html(text) if self.markdown else escape.plain(text)

    def bold(self, text: str) -> str:
        """Emphasis on text already written in this style."""
        return f"**{text}**" if self.markdown else text

    def heading(self, level: int, text: str) -> list[str]:
        if self.markdown:
            return [f"{'#' * level} {text}", ""]
        rule = "=" if level <= 2 else "-"
        return [text, rule * len(text), ""] if level <= 3 else [f"{text}:", ""]

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
        if self.markdown:
            lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(escape.table_pipes(c) for c in r) + " |" for r in rows]
            return lines
        widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        return [line(header), line(["-" * w for w in widths]), *map(line, rows)]

    def details(self, summary: str, body: Sequence[str], show_in_text: bool = True) -> list[str]:
        """A collapsed section in Markdown; in text the summary line, then (indented) the
        body when ``show_in_text``."""
        if self.markdown:
            return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]
        out = [summary]
        if show_in_text:
            out += ["  " + b if b else b for b in body]
        return [*out, ""]

    def removed(self, words: str) -> str:
        return f"~~{words}~~" if self.markdown else f"[-{words}-]"

    def added(self, words: str) -> str:
        return f"**{words}**" if self.markdown else f"{{+{words}+}}"


MARKDOWN = Style(markdown=True)
TEXT = Style(markdown=False)
_CURRENT: contextvars.ContextVar[Style] = contextvars.ContextVar("diff_style", default=MARKDOWN)


def current() -> Style:
    """The style the report is being written in (Markdown unless :func:`use` says text)."""
    return _CURRENT.get()


@contextlib.contextmanager
def use(fmt: str) -> Iterator[Style]:
    """Write in ``fmt`` (``"text"`` or ``"markdown"``) inside the ``with`` block."""
    token = _CURRENT.set(TEXT if fmt == "text" else MARKDOWN)
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)
