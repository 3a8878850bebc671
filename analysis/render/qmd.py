"""Reading a ``.qmd`` file: YAML front matter, Markdown, ``{python}`` cells and cell options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CodeCell",
    "Document",
    "INLINE",
    "MarkdownBlock",
    "QmdError",
    "inline_expressions",
    "parse_qmd",
    "substitute_inline",
    "unsupported_syntax",
]

#: An executable cell fence: three or more backticks and ``{python ...}``.
_CELL_OPEN = re.compile(r"^(?P<ticks>`{3,})\s*\{python(?P<args>[^}]*)\}\s*$")
#: Any other fence (its content is not scanned for cells).
_FENCE = re.compile(r"^(?P<ticks>`{3,}|~{3,})")
#: An inline expression, `` `{python} expr` ``.
INLINE = re.compile(r"(?<!`)`\{python\}\s+(?P<expr>[^`\n]+?)\s*`(?!`)")


def _fenced(text: str) -> list[tuple[int, int]]:
    """Character spans of fenced code blocks in Markdown ``text``."""
    spans, pos, fence, start = [], 0, None, 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if fence is None:
            m = _FENCE.match(stripped)
            if m:
                fence, start = m.group("ticks"), pos
        elif stripped.startswith(fence) and stripped.strip(fence[0]) == "":
            spans.append((start, pos + len(line)))
            fence = None
        pos += len(line)
    if fence is not None:
        spans.append((start, pos))
    return spans


def inline_expressions(text: str) -> list[re.Match]:
    """The inline expressions of Markdown ``text``, outside fenced code blocks."""
    spans = _fenced(text)
    return [m for m in INLINE.finditer(text) if not any(a <= m.start() < b for a, b in spans)]


def substitute_inline(text: str, values: list[str]) -> str:
    """Replace the expressions :func:`inline_expressions` finds by ``values``, in order."""
    matches = inline_expressions(text)
    if len(matches) != len(values):
        raise ValueError(f"{len(matches)} inline expressions but {len(values)} values")
    out, last = [], 0
    for m, value in zip(matches, values, strict=True):
        out += [text[last : m.start()], value]
        last = m.end()
    return "".join([*out, text[last:]])


class QmdError(Exception):
    """A ``.qmd`` file the renderer cannot read."""


@dataclass
class MarkdownBlock:
    """Markdown text between cells; ``line`` is the 1-based line where it starts."""

    text: str
    line: int


@dataclass
class CodeCell:
    """A ``{python}`` cell: its code (without option lines), options and first line."""

    code: str
    options: dict[str, Any]
    line: int
    index: int = 0  #: 1-based position among the document's cells

    @property
    def label(self) -> str | None:
        value = self.options.get("label")
        return str(value) if value is not None else None

    def describe(self) -> str:
        """``cell 'fig-forest' (line 12)`` or ``cell 3 (line 12)``."""
        name = f"'{self.label}'" if self.label else str(self.index)
        return f"cell {name} (line {self.line})"


@dataclass
class Document:
    """A parsed ``.qmd`` file."""

    path: Path
    meta: dict[str, Any]
    blocks: list[MarkdownBlock | CodeCell] = field(default_factory=list)

    @property
    def cells(self) -> list[CodeCell]:
        return [b for b in self.blocks if isinstance(b, CodeCell)]


def _options(lines: list[str], path: Path, line: int) -> tuple[dict[str, Any], list[str]]:
    opts: list[str] = []
    i = 0
    while i < len(lines) and lines[i].startswith("#|"):
        opts.append(lines[i][2:].removeprefix(" "))
        i += 1
    if not opts:
        return {}, lines
    try:
        parsed = yaml.safe_load("\n".join(opts)) or {}
    except yaml.YAMLError as exc:
        raise QmdError(f"{path}:{line}: cell options are not valid YAML: {exc}") from exc
    if not isinstance(parsed, dict):
        raise QmdError(f"{path}:{line}: cell options must be 'key: value' lines")
    return parsed, lines[i:]


def parse_qmd(path: Path, text: str | None = None) -> Document:
    """Split a ``.qmd`` file into front matter, Markdown blocks and code cells.

    Raises
    ------
    QmdError
        On malformed front matter or cell options, or an unclosed cell.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                try:
                    meta = yaml.safe_load("\n".join(lines[1:j])) or {}
                except yaml.YAMLError as exc:
                    raise QmdError(f"{path}:1: front matter is not valid YAML: {exc}") from exc
                if not isinstance(meta, dict):
                    raise QmdError(f"{path}:1: front matter must be a YAML mapping")
                start = j + 1
                break
        else:
            raise QmdError(f"{path}:1: front matter is not closed with '---'")
    doc = Document(path, meta)
    buf: list[str] = []
    buf_line = start + 1
    i = start
    fence: str | None = None
    n_cells = 0
    while i < len(lines):
        line = lines[i]
        if fence is None:
            m = _CELL_OPEN.match(line)
            if m:
                if buf:
                    doc.blocks.append(MarkdownBlock("\n".join(buf), buf_line))
                ticks = m.group("ticks")
                j = i + 1
                while j < len(lines) and lines[j].rstrip() != ticks:
                    j += 1
                if j >= len(lines):
                    raise QmdError(f"{path}:{i + 1}: code cell is not closed with {ticks}")
                options, body = _options(lines[i + 1 : j], path, i + 1)
                n_cells += 1
                doc.blocks.append(CodeCell("\n".join(body).strip("\n"), options, i + 1, n_cells))
                buf, buf_line = [], j + 2
                i = j + 1
                continue
            m = _FENCE.match(line)
            if m:
                fence = m.group("ticks")
        elif line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
            fence = None
        buf.append(line)
        i += 1
    if buf:
        doc.blocks.append(MarkdownBlock("\n".join(buf), buf_line))
    return doc


#: Cell options the embedded renderer honours (as Quarto does); any other is refused.
SUPPORTED_CELL_OPTIONS = frozenset(
    {
        "label",
        "echo",
        "eval",
        "include",
        "output",
        "warning",
        "error",
        "fig-cap",
        "fig-alt",
        "tbl-cap",
        # Quarto's page column; the embedded page widens its main column for the same
        # wide content instead (analysis/assets/site.css), so the option changes nothing there
        "column",
    }
)
#: Quarto Markdown the embedded renderer does not render as Quarto would: (pattern, name).
_UNSUPPORTED = (
    (re.compile(r"\{\{<\s*(?P<x>[\w-]+)"), "shortcode {{{{< {x} >}}}}"),
    (
        re.compile(
            r"^:::+\s*\{[^}]*\.(?P<x>panel-[\w-]+|column-[\w-]+|content-visible|"
            r"content-hidden|aside|callout-[\w-]+(?=[^}]*collapse))"
        ),
        "div class .{x}",
    ),
    (re.compile(r"^:::+\s*\{[^}]*\b(?P<x>layout(?:-ncol|-nrow)?)="), "div attribute {x}="),
    (
        re.compile(
            r"(?<![\w@])-?@(?P<x>(?:eq|thm|lem|cor|prp|cnj|def|exm|exr|lst|sol|rem)-[\w-]+)"
        ),
        "cross-reference @{x}",
    ),
    (re.compile(r"^(?:`{3,}|~{3,})\s*\{(?P<x>(?!python\b)[\w-]+)"), "executable {{{x}}} cell"),
    (re.compile(r"^\s*\[\^?\]\{\.(?P<x>aside|column-margin)\}"), "span class .{x}"),
)


def unsupported_syntax(doc: Document) -> list[str]:
    """Quarto syntax in ``doc`` that the embedded renderer does not support, one
    ``path:line: ...`` message each (empty when the chapter renders the same with both).

    The embedded renderer handles what the chapters use (cells with the options of
    :data:`SUPPORTED_CELL_OPTIONS`, inline expressions, figure/table/section
    cross-references, citations, callouts); anything else would render differently
    (or not at all) there, so the build refuses it by name instead.
    """
    found = []
    for block in doc.blocks:
        if isinstance(block, CodeCell):
            for key in sorted(set(block.options) - SUPPORTED_CELL_OPTIONS):
                found.append(f"{doc.path}:{block.line}: cell option '{key}'")
            continue
        spans = _fenced(block.text)
        pos = 0
        for n, line in enumerate(block.text.splitlines(keepends=True)):
            opening = any(a == pos for a, _ in spans)
            inside = any(a < pos < b for a, b in spans)
            pos += len(line)
            if inside and not opening:
                continue
            for pattern, name in _UNSUPPORTED:
                if opening and not name.startswith("executable"):
                    continue
                for m in pattern.finditer(line):
                    found.append(f"{doc.path}:{block.line + n}: {name.format(x=m.group('x'))}")
    return found
