"""The embedded renderer: the book's ``.qmd`` sources to an HTML site and one PDF, without Quarto.

``python -m analysis build`` uses Quarto when a ``quarto`` executable is on
``PATH`` and this renderer otherwise. It is not a Quarto clone: it honours the
subset of Quarto that the chapters use, and a chapter must render the same way
under both engines.

The subset
----------
Project (``_quarto.yml``)
    ``project.type: book``; ``book``: ``title``, ``subtitle``, ``author``,
    ``chapters`` (file names, or ``part:`` groups), ``site-url``, ``repo-url``,
    ``repo-branch``, ``repo-actions`` (``edit``, ``issue``), ``output-file``
    (name of the PDF), ``page-footer``; ``bibliography`` and ``csl``;
    ``execute`` defaults; ``metadata-files`` (merged over the file).
Documents
    YAML front matter (``title``, ``execute``); the chapter title is the front
    matter ``title`` or the first ``#`` heading; ``{.unnumbered}`` on it leaves
    the chapter unnumbered. Sections are numbered N.1, N.2 ... below chapter N.
Code cells
    ```` ```{python} ```` cells run in one real Jupyter kernel (ipykernel via
    nbclient) with a fresh namespace per chapter and the chapter's folder as
    working directory. Options: ``echo``, ``eval``, ``include``, ``output``
    (``true``/``false``/``asis``), ``warning``, ``error``, ``label``,
    ``fig-cap``, ``fig-alt``, ``tbl-cap``. A cell that raises fails the build
    with the file, cell and line (unless ``error: true``).
Inline expressions
    `` `{python} expr` ``: strings as they are, objects with
    ``_repr_markdown_`` as Markdown, anything else as ``str(value)``.
Output
    HTML takes ``text/html``, then ``text/markdown``, SVG, PNG, ``text/plain``;
    the PDF takes ``text/markdown``, SVG, PNG, HTML tables (via pandoc),
    ``text/plain`` — so :class:`analysis.report.chart_display.Chart` is an interactive
    Vega-Lite view on the web and a vector SVG in the PDF.
Cross-references
    ``@fig-x``, ``@tbl-x``, ``@sec-x`` (and ``-@fig-x`` for the number only)
    to cells labelled ``fig-``/``tbl-``, images ``![cap](f.svg){#fig-x}``,
    table captions ``: cap {#tbl-x}`` and headings ``{#sec-x}``, across
    chapters. An unknown label fails the build.
Citations
    ``[@key]`` and ``@key`` through pandoc's citeproc with the project's
    bibliography; a key missing from the bibliography fails the build. Each
    page lists its references; the PDF has one list at the end.
Callouts
    ``::: {.callout-note}`` (note, tip, important, warning, caution), with a
    ``title="..."`` attribute or a first heading as title.
Math
    TeX math as MathML in HTML (no script), native in Typst.

Site layout: ``index.html`` and ``chapters/*.html`` (one page per chapter,
sidebar, previous/next, a version menu, footer with version, commit and date,
"Edit this page" / "Report an issue" links, Highwire ``citation_*`` meta
tags), the PDF ``<output-file>.pdf`` at the root, figures in ``figures/``,
and the site's own CSS, the version-menu script and the Vega bundle under
``analysis/assets/``. Nothing is loaded from another host.

The version menu is written from the ``versions.json`` given to the build
(``--versions``) and, in the browser, refreshed from the published tree's
``versions.json`` by ``analysis/assets/versions.js``, so a release's pages also
list later releases.

Speed: the chapters run in a :class:`KernelPool` (two kernels on a two-core
machine, ``$IVIG_KERNELS`` to choose), started before the data steps of the
build so their imports overlap; pandoc converts each chapter in a thread while
the next one executes; the PDF is one pandoc call and one Typst compilation.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from analysis.render.assemble import Assembler
from analysis.render.execute import Kernel, KernelPool, RenderError
from analysis.render.html import PageContext, page, read_versions
from analysis.render.pandoc import PandocError, pandoc
from analysis.render.pdf import compile_pdf, typst_preamble
from analysis.render.project import ProjectError, load_project
from analysis.render.qmd import QmdError, parse_qmd, unsupported_syntax
from analysis.render.xref import RefError, number_book

__all__ = [
    "ASSETS",
    "Kernel",
    "KernelPool",
    "PageContext",
    "RenderError",
    "RenderResult",
    "check_syntax",
    "copy_assets",
    "load_project",
    "read_versions",
    "render_project",
]

#: The site's own static files (CSS, the Vega bundle), served under ``analysis/assets/``.
ASSETS = Path(__file__).resolve().parents[1] / "assets"


@dataclass(frozen=True)
class RenderResult:
    """What a render produced."""

    pages: tuple[Path, ...]
    pdf: Path | None


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def copy_assets(out_dir: Path) -> None:
    """Copy the served assets (styles, scripts, fonts and the vendored libraries' licence
    notices) to ``out_dir/analysis/assets``."""
    for src in sorted(ASSETS.rglob("*")):
        if src.is_file() and (
            src.suffix in {".css", ".js", ".woff2", ".svg"} or src.stem == "LICENSE"
        ):
            dest = out_dir / "analysis" / "assets" / src.relative_to(ASSETS)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)


def check_syntax(docs: list, root: Path) -> None:
    """Refuse chapters that use Quarto syntax the embedded renderer does not support.

    Raises
    ------
    QmdError
        Naming each file, line and construct (:func:`analysis.render.qmd.unsupported_syntax`).
    """
    found = [p for doc in docs for p in unsupported_syntax(doc)]
    if found:
        shown = [re.sub(r"^" + re.escape(str(root).rstrip("/") + "/"), "", p) for p in found]
        raise QmdError(
            "Quarto syntax the embedded renderer does not support (both renderers must "
            "render the same book; use what both support): " + "; ".join(shown)
        )


def render_project(
    root: Path,
    out_dir: Path,
    ctx: PageContext,
    *,
    pdf: bool = True,
    html: bool = True,
    kernels: KernelPool | None = None,
    progress: Callable[[str], None] = _stderr,
) -> RenderResult:
    """Render the book at ``root`` into ``out_dir``: with ``html`` the pages, with ``pdf`` the PDF.

    ``kernels`` may be a :class:`KernelPool` made earlier (the build makes one first,
    so the kernels' imports overlap with data validation); otherwise one is made
    here. The caller's environment (e.g. ``IVIG_SITE_DIR``) reaches the kernels.

    Raises
    ------
    RenderError
        On any failure: a cell raising, a bad cross-reference or citation, pandoc
        or Typst failing. The message names the file and, where there is one, the cell.
    """
    try:
        project = load_project(root)
        docs = [(ch, parse_qmd(project.root / ch.source)) for ch in project.chapters]
        check_syntax([doc for _ch, doc in docs], root)
        book = number_book(docs)
    except (ProjectError, QmdError, RefError) as exc:
        raise RenderError(str(exc)) from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    own_kernels = kernels is None
    kernels = kernels or KernelPool()
    futures = [kernels.submit(doc, project.execute) for _chapter, doc in docs]
    pool = ThreadPoolExecutor(max_workers=2)
    with tempfile.TemporaryDirectory(prefix="ivig-render-") as tmp:
        work = Path(tmp)

        def table_to_typst(html_text: str) -> str:
            return pandoc(html_text, "typst", fr="html", where="table")

        asm = Assembler(project, book, out_dir, work, convert_html_table=table_to_typst)
        html_jobs = []
        typst_parts: list[str] = []
        try:
            for (chapter, _doc), future in zip(docs, futures, strict=True):
                ex = future.result()
                progress(f"  executed {chapter.source}")
                if not html:
                    typst_parts.append(asm.chapter_markdown("typst", chapter, ex))
                    continue
                md = asm.chapter_markdown("html", chapter, ex)
                html_jobs.append(
                    (
                        chapter,
                        pool.submit(
                            pandoc,
                            md,
                            "html5",
                            args=("--mathml", "--metadata=reference-section-title:References"),
                            where=str(chapter.source),
                            bibliography=project.bibliography,
                            csl=project.csl,
                        ),
                    )
                )
                if pdf:
                    typst_parts.append(asm.chapter_markdown("typst", chapter, ex))
            pdf_job = None
            if pdf:
                progress("  converting the book to Typst")
                pdf_job = pool.submit(
                    pandoc,
                    "\n\n".join(typst_parts),
                    "typst",
                    args=("--metadata=reference-section-title:References",),
                    where="the PDF",
                    bibliography=project.bibliography,
                    csl=project.csl,
                )
            titles = {s: cn.title for s, cn in book.chapters.items()}
            numbers = {s: cn.number for s, cn in book.chapters.items()}
            pages = []
            for chapter, job in html_jobs:
                body = job.result()
                path = out_dir / chapter.href
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(
                    page(project, ctx, chapter, body, titles, numbers), encoding="utf-8"
                )
                pages.append(path)
            if html:
                progress(f"  wrote {len(pages)} pages")
                copy_assets(out_dir)
            pdf_path = None
            if pdf_job is not None:
                body = pdf_job.result()
                progress("  compiling the PDF (Typst)")
                pdf_path = out_dir / project.pdf_name
                try:
                    compile_pdf(typst_preamble(project, ctx) + body, work, pdf_path, ctx.generated)
                except Exception as exc:  # typst raises its own error type
                    raise RenderError(f"the PDF: Typst failed: {exc}") from exc
        except (PandocError, RefError) as exc:
            raise RenderError(str(exc)) from exc
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for future in futures:
                future.cancel()
            if own_kernels:
                kernels.close()
    return RenderResult(tuple(pages), pdf_path)
