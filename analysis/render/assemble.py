"""Turning an executed chapter into pandoc Markdown for one target (``html`` or ``typst``).

Output selection follows Quarto's Jupyter engine: for HTML the first of
``text/html``, ``text/markdown``, ``image/svg+xml``, ``image/png``,
``text/plain``; for Typst the first of ``text/markdown``, ``image/svg+xml``,
``image/png``, ``text/html`` (tables only, converted by pandoc),
``text/plain``. So a chart object with an HTML view and an SVG copy is
interactive on the web and vector in the PDF.
"""

from __future__ import annotations

import base64
import hashlib
import html
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.render.execute import ExecutedDocument
from analysis.render.project import Chapter, Project
from analysis.render.qmd import CodeCell, MarkdownBlock, substitute_inline
from analysis.render.xref import Book, apply_numbers

__all__ = ["Assembler", "cell_options"]

_HTML_ORDER = ("text/html", "text/markdown", "image/svg+xml", "image/png", "text/plain")
_TYPST_ORDER = ("text/markdown", "image/svg+xml", "image/png", "text/html", "text/plain")
_DEFAULTS = {"echo": True, "output": True, "include": True, "warning": True, "eval": True}
_LINK = re.compile(r"\]\((?P<path>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")
_SVG_SIZE = re.compile(r'<svg[^>]*?\bwidth="(?P<w>[\d.]+)(?:px)?"[^>]*?\bheight="(?P<h>[\d.]+)')


def cell_options(project: Project, meta: dict[str, Any], cell: CodeCell) -> dict[str, Any]:
    """Cell options with Quarto's precedence: cell over document ``execute`` over project."""
    opts = dict(_DEFAULTS)
    opts.update(project.execute)
    opts.update((meta or {}).get("execute") or {})
    opts.update(cell.options)
    return opts


def _fence(text: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def _text(data: Any) -> str:
    return "".join(data) if isinstance(data, list) else str(data)


@dataclass
class _Piece:
    markdown: str
    image: str | None = None  #: path of the single image this output is, if it is one
    size: tuple[float, float] | None = None


class Assembler:
    """Builds the Markdown of each chapter for HTML pages and for the PDF.

    Parameters
    ----------
    project, book:
        The project and its numbering.
    site_dir:
        Where the HTML pages go (figures that are files are written to ``figures/`` in it).
    work_dir:
        Scratch directory of the PDF (SVG figures for Typst are written to ``figures/`` in it).
    convert_html_table:
        Callable turning an HTML table into Typst source (pandoc), for DataFrame output in the PDF.
    """

    def __init__(
        self, project: Project, book: Book, site_dir: Path, work_dir: Path, convert_html_table=None
    ):
        self.project = project
        self.book = book
        self.site_dir = site_dir
        self.work_dir = work_dir
        self.convert_html_table = convert_html_table

    # -- files -------------------------------------------------------------------------------
    def _write(self, base: Path, rel: str, data: bytes) -> None:
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def _file(self, target: str, chapter: Chapter, mime: str, data: Any) -> str:
        raw = data.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(_text(data))
        ext = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}[mime]
        name = f"figures/{chapter.stem}-{hashlib.sha256(raw).hexdigest()[:12]}.{ext}"
        if target == "html":
            self._write(self.site_dir, name, raw)
            depth = chapter.href.count("/")
            return "../" * depth + name
        self._write(self.work_dir, name, raw)
        return name

    # -- outputs -----------------------------------------------------------------------------
    def _output(
        self, target: str, chapter: Chapter, out: dict[str, Any], opts: dict[str, Any]
    ) -> _Piece | None:
        kind = out.get("output_type")
        asis = opts.get("output") == "asis"
        if kind == "stream":
            if out.get("name") == "stderr" and not opts.get("warning", True):
                return None
            text = _text(out.get("text", ""))
            return _Piece(text if asis else _fence(text, " {.cell-output}"))
        if kind == "error":
            tb = "\n".join(out.get("traceback") or [])
            return _Piece(_fence(re.sub(r"\x1b\[[0-9;]*m", "", tb), " {.cell-output-error}"))
        data = out.get("data") or {}
        order = _HTML_ORDER if target == "html" else _TYPST_ORDER
        for mime in order:
            if mime not in data:
                continue
            value = data[mime]
            if mime == "text/markdown":
                return _Piece(_text(value))
            if mime == "text/html":
                text = _text(value)
                if target == "html":
                    return _Piece(text if asis else _fence(text, "{=html}"))
                if "<table" in text and self.convert_html_table is not None:
                    return _Piece(_fence(self.convert_html_table(text), "{=typst}"))
                continue
            if mime.startswith("image/"):
                path = self._file(target, chapter, mime, value)
                alt = opts.get("fig-alt") or ""
                size = None
                if mime == "image/svg+xml":
                    m = _SVG_SIZE.search(_text(value)[:2000])
                    if m:
                        size = (float(m.group("w")), float(m.group("h")))
                return _Piece(f'![]({path}){{fig-alt="{_attr(alt)}"}}', path, size)
            if mime == "text/plain":
                text = _text(value)
                return _Piece(text if asis else _fence(text, " {.cell-output}"))
        return None

    def _cell(
        self,
        target: str,
        chapter: Chapter,
        cell: CodeCell,
        ex: ExecutedDocument,
        meta: dict[str, Any],
    ) -> str:
        opts = cell_options(self.project, meta, cell)
        if not opts.get("include", True):
            return ""
        parts: list[str] = []
        if opts.get("echo") and opts.get("echo") != "fenced":
            parts.append(_fence(cell.code, "python"))
        pieces: list[_Piece] = []
        if opts.get("output", True) is not False:
            for out in ex.outputs.get(cell.index, []):
                piece = self._output(target, chapter, out, opts)
                if piece is not None:
                    pieces.append(piece)
        label = cell.label or ""
        cn = self.book.chapters[chapter.source]
        if label.startswith("fig-"):
            caption = f"Figure {cn.figures[label]}: {opts.get('fig-cap') or ''}".rstrip(": ")
            parts.append(self._figure(target, label, caption, pieces, opts))
        elif label.startswith("tbl-"):
            caption = f"Table {cn.tables[label]}: {opts.get('tbl-cap') or ''}".rstrip(": ")
            body = "\n\n".join(p.markdown for p in pieces)
            parts.append(
                f"::: {{#{label} .table-figure}}\n\n::: {{.table-caption}}\n{caption}\n:::\n\n"
                f"{body}\n\n:::"
            )
        else:
            parts.extend(p.markdown for p in pieces)
        return "\n\n".join(p for p in parts if p)

    def _figure(
        self, target: str, label: str, caption: str, pieces: list[_Piece], opts: dict[str, Any]
    ) -> str:
        if target == "typst" and len(pieces) == 1 and pieces[0].image:
            p = pieces[0]
            size = "width=100%"
            if p.size and p.size[1] > 1.3 * p.size[0]:
                size = "height=20cm"
            alt = _attr(opts.get("fig-alt") or "")
            return f'![{caption}]({p.image}){{#{label} {size} fig-alt="{alt}"}}'
        body = "\n\n".join(p.markdown for p in pieces)
        if target == "html":
            return (
                f'<figure id="{label}" class="figure">\n\n{body}\n\n'
                f"<figcaption>\n\n{caption}\n\n</figcaption>\n</figure>"
            )
        return f"::: {{#{label} .figure}}\n\n{body}\n\n{caption}\n\n:::"

    # -- documents ---------------------------------------------------------------------------
    def chapter_markdown(self, target: str, chapter: Chapter, ex: ExecutedDocument) -> str:
        """The chapter as pandoc Markdown for ``target`` (``html`` or ``typst``)."""
        doc = ex.doc
        cn = self.book.chapters[chapter.source]
        page = chapter.href if target == "html" else None
        out: list[str] = []
        if doc.meta.get("title"):
            num = ""
            if cn.number is not None:
                num = (
                    f"{cn.number} "
                    if target == "typst"
                    else f"[{cn.number}]{{.header-section-number}} "
                )
            unnumbered = "" if cn.number is not None else " {.unnumbered}"
            out.append(f"# {num}{doc.meta['title']}{unnumbered}")
        for block in doc.blocks:
            if isinstance(block, CodeCell):
                out.append(self._cell(target, chapter, block, ex, doc.meta))
                continue
            assert isinstance(block, MarkdownBlock)
            text = substitute_inline(block.text, ex.inline.get(id(block), []))
            text = apply_numbers(text, cn.headings.get(id(block), []), cn, target == "typst")
            where = f"{doc.path}:{block.line}"
            text = self._links(target, chapter, text)
            out.append(self.book.resolve(text, page, where))
        md = "\n\n".join(s for s in out if s) + "\n"
        if target == "typst":
            # a label after the chapter's title, for links to the chapter (``other.qmd``)
            anchor = f"\n\n```{{=typst}}\n#metadata(none) <chap-{chapter.stem}>\n```\n"
            m = re.search(r"^# .*$", md, re.M)
            md = md[: m.end()] + anchor + md[m.end() :] if m else anchor + md
        return md

    def _links(self, target: str, chapter: Chapter, text: str) -> str:
        """Links to other ``.qmd`` files go to their pages (HTML) or chapters (PDF);
        in the PDF, other relative links go to the site."""
        base = posixpath.dirname(chapter.source)

        def sub(m: re.Match) -> str:
            path, anchor = m.group("path"), m.group("anchor") or ""
            if re.match(r"^[a-z][a-z0-9+.-]*:", path, re.I):  # http:, mailto: ...
                return m.group(0)
            if path.endswith(".qmd"):
                if target == "html":
                    return f"]({path[:-4]}.html{anchor})"
                if anchor:
                    return f"]({anchor})"
                stem = posixpath.normpath(posixpath.join(base, path))[:-4].replace("/", "-")
                return f"](#chap-{stem})"
            if target == "typst" and self.project.site_url:
                resolved = posixpath.normpath(posixpath.join(base, path))
                return f"]({self.project.site_url.rstrip('/')}/{resolved}{anchor})"
            return m.group(0)

        from analysis.render.xref import split_fences

        return "\n".join(
            chunk if is_code else _LINK.sub(sub, chunk) for is_code, chunk in split_fences(text)
        )


def _attr(text: str) -> str:
    return html.escape(str(text), quote=True).replace("\n", " ")
