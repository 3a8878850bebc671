"""Chapter, section, figure and table numbers, and cross-references (``@fig-x``).

Quarto's book numbering: chapters are numbered in order except those whose
title heading carries ``{.unnumbered}``; sections ``##`` below a chapter N are
N.1, N.2 ...; figures and tables are numbered per chapter (N.1, N.2 ...) in
document order, from cells with ``#| label: fig-...``/``tbl-...`` and from
Markdown images ``![cap](x.png){#fig-...}`` and table captions
``: cap {#tbl-...}``. ``@fig-x``, ``@tbl-x`` and ``@sec-x`` become links with
the text "Figure 3.1", "Table 3.1", "Section 3.2" (``-@fig-x``: the number only).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from analysis.render.project import Chapter
from analysis.render.qmd import CodeCell, Document, MarkdownBlock

__all__ = ["Book", "RefError", "Target", "number_book", "HEADING", "split_fences"]

HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*(?:\{(?P<attrs>[^}]*)\})?\s*$")
_IMAGE_FIG = re.compile(
    r"!\[(?P<cap>[^\]]*)\]\((?P<src>[^)]*)\)\{(?P<attrs>[^}]*?#(?P<label>fig-[\w-]*\w)[^}]*)\}"
)
_TABLE_CAP = re.compile(
    r"^:\s+(?P<cap>.*?)\s*\{(?P<attrs>[^}]*#(?P<label>tbl-[\w-]*\w)[^}]*)\}\s*$"
)
_REF = re.compile(r"(?<![\w@`/])\[?(?P<minus>-?)@(?P<label>(?:fig|tbl|sec)-[\w-]*\w)\]?")
_KIND = {"fig": "Figure", "tbl": "Table", "sec": "Section"}


class RefError(Exception):
    """A cross-reference to a label that no chapter defines, or a label defined twice."""


@dataclass
class Target:
    """Something a cross-reference can point at."""

    kind: str  #: ``fig``, ``tbl`` or ``sec``
    label: str
    number: str  #: "3.1"; for unnumbered sections, the heading text
    href: str  #: page of the target, e.g. ``chapters/placebo.html``


@dataclass
class ChapterNumbers:
    """Numbers of one chapter: its own, and those of its headings, figures and tables."""

    number: int | None
    title: str
    headings: dict[int, list[str | None]] = field(default_factory=dict)  #: block id -> numbers
    figures: dict[str, str] = field(default_factory=dict)  #: label -> number
    tables: dict[str, str] = field(default_factory=dict)


@dataclass
class Book:
    """Numbers and cross-reference targets of the whole book."""

    chapters: dict[str, ChapterNumbers]  #: by Chapter.source
    targets: dict[str, Target]

    def ref_text(self, label: str, number_only: bool = False) -> str:
        t = self.targets[label]
        if number_only:
            return t.number
        return f"{_KIND[t.kind]} {t.number}"

    def resolve(self, text: str, page: str | None, where: str) -> str:
        """Replace ``@fig-x`` etc. in Markdown ``text`` by links.

        ``page`` is the href of the page the text is on (HTML), or None for the
        single-document PDF, where links point at the label itself.
        """

        def sub(m: re.Match) -> str:
            label = m.group("label")
            if label not in self.targets:
                raise RefError(
                    f"{where}: cross-reference @{label}: no figure, table or section has this label"
                )
            t = self.targets[label]
            shown = self.ref_text(label, bool(m.group("minus")))
            if page is None:
                href = f"#{label}"
            elif t.href == page:
                href = f"#{label}"
            else:
                href = posixpath.relpath(t.href, posixpath.dirname(page) or ".") + f"#{label}"
            return f"[{shown}]({href})"

        return _outside_code(text, lambda chunk: _REF.sub(sub, chunk))


def split_fences(text: str) -> list[tuple[bool, str]]:
    """Split Markdown into (is_code, chunk) pieces; fenced code blocks are code."""
    out: list[tuple[bool, str]] = []
    buf: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        stripped = line.lstrip()
        if fence is None:
            m = re.match(r"(`{3,}|~{3,})", stripped)
            if m:
                if buf:
                    out.append((False, "\n".join(buf)))
                buf, fence = [line], m.group(1)
                continue
            buf.append(line)
        else:
            buf.append(line)
            if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                out.append((True, "\n".join(buf)))
                buf, fence = [], None
    if buf:
        out.append((fence is not None, "\n".join(buf)))
    return out


def _outside_code(text: str, fn) -> str:
    pieces = []
    for is_code, chunk in split_fences(text):
        if is_code:
            pieces.append(chunk)
        else:
            # leave inline code spans alone
            parts = re.split(r"(`[^`]*`)", chunk)
            pieces.append("".join(p if p.startswith("`") else fn(p) for p in parts))
    return "\n".join(pieces)


_DIV_OPEN = re.compile(r"^:{3,}\s*(?P<rest>\S.*)$")
_DIV_CLOSE = re.compile(r"^:{3,}\s*$")


class _Divs:
    """Tracks fenced divs line by line, to tell whether a line is inside a callout."""

    def __init__(self) -> None:
        self.stack: list[bool] = []

    def step(self, line: str) -> bool:
        """Feed a line; True if it is a div fence (not content)."""
        if _DIV_CLOSE.match(line):
            if self.stack:
                self.stack.pop()
            return True
        m = _DIV_OPEN.match(line)
        if m:
            self.stack.append(".callout" in m.group("rest"))
            return True
        return False

    @property
    def in_callout(self) -> bool:
        return any(self.stack)


def _attrs(raw: str | None) -> tuple[str | None, set[str]]:
    ident, classes = None, set()
    for tok in (raw or "").split():
        if tok.startswith("#"):
            ident = tok[1:]
        elif tok.startswith("."):
            classes.add(tok[1:])
        elif tok == "-":
            classes.add("unnumbered")
    return ident, classes


def chapter_title(doc: Document) -> tuple[str, str | None, bool]:
    """(title, id, numbered) of a chapter: front matter ``title`` or its first ``#`` heading."""
    numbered = doc.meta.get("number-sections", True) is not False
    if doc.meta.get("title"):
        return str(doc.meta["title"]), None, numbered
    for block in doc.blocks:
        if isinstance(block, MarkdownBlock):
            for is_code, chunk in split_fences(block.text):
                if is_code:
                    continue
                for line in chunk.split("\n"):
                    m = HEADING.match(line)
                    if m and len(m.group("hashes")) == 1:
                        ident, classes = _attrs(m.group("attrs"))
                        return m.group("text"), ident, numbered and "unnumbered" not in classes
    return doc.path.stem, None, numbered


def number_book(chapters: list[tuple[Chapter, Document]]) -> Book:
    """Number chapters, sections, figures and tables; collect cross-reference targets.

    Raises
    ------
    RefError
        If a label is defined twice.
    """
    targets: dict[str, Target] = {}
    numbers: dict[str, ChapterNumbers] = {}
    n_chapter = 0

    def add(kind: str, label: str, number: str, chapter: Chapter, doc: Document) -> None:
        if label in targets:
            raise RefError(f"{doc.path}: label {label} is defined twice")
        targets[label] = Target(kind, label, number, chapter.href)

    for chapter, doc in chapters:
        title, title_id, numbered = chapter_title(doc)
        if numbered:
            n_chapter += 1
        cn = ChapterNumbers(n_chapter if numbered else None, title)
        numbers[chapter.source] = cn
        if title_id and title_id.startswith("sec-"):
            add("sec", title_id, str(cn.number) if numbered else title, chapter, doc)
        # Quarto numbers the figures and tables of the book's home page (index) without
        # a chapter prefix (Figure 1, Table 2), though the page itself is chapter 1,
        # unless the page sets `number-offset` (then Figure 1.1, as the PDF numbers it)
        home = chapter.source in ("index.qmd", "index.md", "index.ipynb") and (
            "number-offset" not in doc.meta
        )
        prefix = f"{cn.number}." if numbered and not home else ""
        counters = [0] * 7
        n_fig = n_tbl = 0
        seen_title = bool(doc.meta.get("title"))
        for block in doc.blocks:
            if isinstance(block, CodeCell):
                label = block.label or ""
                if label.startswith("fig-"):
                    n_fig += 1
                    cn.figures[label] = f"{prefix}{n_fig}"
                    add("fig", label, cn.figures[label], chapter, doc)
                elif label.startswith("tbl-"):
                    n_tbl += 1
                    cn.tables[label] = f"{prefix}{n_tbl}"
                    add("tbl", label, cn.tables[label], chapter, doc)
                continue
            heads: list[str | None] = []
            divs = _Divs()
            for is_code, chunk in split_fences(block.text):
                if is_code:
                    continue
                for line in chunk.split("\n"):
                    if divs.step(line):
                        continue
                    m = HEADING.match(line)
                    if m and not divs.in_callout:
                        level = len(m.group("hashes"))
                        ident, classes = _attrs(m.group("attrs"))
                        if level == 1 and not seen_title:
                            seen_title = True
                            heads.append(str(cn.number) if numbered else None)
                            continue
                        num: str | None = None
                        if numbered and "unnumbered" not in classes and level >= 2:
                            counters[level] += 1
                            for deeper in range(level + 1, 7):
                                counters[deeper] = 0
                            parts = [str(counters[k]) for k in range(2, level + 1)]
                            num = ".".join([str(cn.number), *parts])
                        heads.append(num)
                        if ident and ident.startswith("sec-"):
                            add("sec", ident, num or m.group("text"), chapter, doc)
                    for fm in _IMAGE_FIG.finditer(line):
                        n_fig += 1
                        cn.figures[fm.group("label")] = f"{prefix}{n_fig}"
                        add("fig", fm.group("label"), f"{prefix}{n_fig}", chapter, doc)
                    tm = _TABLE_CAP.match(line)
                    if tm:
                        n_tbl += 1
                        cn.tables[tm.group("label")] = f"{prefix}{n_tbl}"
                        add("tbl", tm.group("label"), f"{prefix}{n_tbl}", chapter, doc)
            cn.headings[id(block)] = heads
    return Book(numbers, targets)


def apply_numbers(text: str, heads: list[str | None], cn: ChapterNumbers, plain: bool) -> str:
    """Put section numbers into headings and figure/table numbers into Markdown captions.

    ``heads`` are the numbers :func:`number_book` found for this block's headings,
    in order. ``plain`` writes the number as text (Typst), otherwise as a
    ``header-section-number`` span (HTML).
    """
    it = iter(heads)
    divs = _Divs()

    def fix(chunk: str) -> str:
        lines = chunk.split("\n")
        for i, line in enumerate(lines):
            if divs.step(line):
                continue
            m = HEADING.match(line)
            if m and not divs.in_callout:
                num = next(it, None)
                if num:
                    shown = num if plain else f"[{num}]{{.header-section-number}}"
                    attrs = f" {{{m.group('attrs')}}}" if m.group("attrs") else ""
                    lines[i] = f"{m.group('hashes')} {shown} {m.group('text')}{attrs}"
                continue
            line = _IMAGE_FIG.sub(
                lambda fm: (
                    f"![Figure {cn.figures[fm.group('label')]}: {fm.group('cap')}]"
                    f"({fm.group('src')}){{{fm.group('attrs')}}}"
                ),
                line,
            )
            tm = _TABLE_CAP.match(line)
            if tm:
                line = (
                    f": Table {cn.tables[tm.group('label')]}: {tm.group('cap')} "
                    f"{{{tm.group('attrs')}}}"
                )
            lines[i] = line
        return "\n".join(lines)

    return "\n".join(chunk if is_code else fix(chunk) for is_code, chunk in split_fences(text))
