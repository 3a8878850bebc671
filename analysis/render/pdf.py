"""One PDF of the whole book: pandoc Markdown -> Typst (pandoc) -> PDF (``typst`` package)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from analysis.render.html import PageContext
from analysis.render.project import Project

__all__ = ["typst_preamble", "compile_pdf", "cite_as", "title_page", "NO_DOI"]


def _s(text: object) -> str:
    """A Typst string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _date(generated: str) -> datetime | None:
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", generated or "")
    if not m:
        return None
    return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)


def cite_as(project: Project, ctx: PageContext) -> str:
    """The "cite as" line: ``ctx.citation`` (from ``CITATION.cff``) or, without one,
    authors, title, version, date and address from the project."""
    if ctx.citation:
        return ctx.citation
    date = _date(ctx.generated)
    bits = []
    if project.author:
        bits.append(f"{project.author}.")
    bits.append(f"{project.title}.")
    bits.append(ctx.version_line + (f" ({date:%Y-%m-%d})." if date else "."))
    if project.site_url:
        bits.append(project.site_url)
    return " ".join(bits)


#: What the title page says while the version has no DOI.
NO_DOI = "DOI not yet assigned"

#: The title page shared with Quarto's Typst template (see the file's header).
TITLE_PAGE = Path(__file__).with_name("titlepage.typ")


def _arr(items) -> str:
    """A Typst array of strings (a one-element array needs its trailing comma)."""
    return "(" + "".join(_s(x) + ", " for x in items) + ")"


def _shown_date(ctx: PageContext) -> str:
    date = _date(ctx.generated)
    return f"{date.day} {date:%B %Y}" if date else "date unknown"


def title_page(project: Project, ctx: PageContext) -> dict[str, str]:
    """The title page's lines that Quarto's book template lacks, the same text as the
    embedded renderer's title page (Quarto's through ``_typst/typst-show.typ``):
    ``version`` (the status line and the build date), ``doi`` (the DOI or a placeholder),
    ``declarations`` and ``cite`` ("Cite as: ...")."""
    return {
        "version": f"{ctx.version_line} · Built {_shown_date(ctx)}",
        "doi": ctx.doi or NO_DOI,
        "declarations": " ".join(f"{h}. {t}" for h, t in ctx.declarations),
        "cite": f"Cite as: {cite_as(project, ctx)}",
    }


def typst_preamble(project: Project, ctx: PageContext) -> str:
    """Page setup, styles and the title page (title, status, date, authors, DOI, cite-as).

    Journal layout rules: figures and tables may break across pages (a table's header row
    repeats), headings and captions keep with what follows them, table cells are set
    ragged-right, and the footer names the build's status (a development build never says
    "version X.Y.Z" alone).
    """
    date = _date(ctx.generated)
    date_typ = (
        f"datetime(year: {date.year}, month: {date.month}, day: {date.day})" if date else "none"
    )
    shown_date = _shown_date(ctx)
    author = f"author: {_s(project.author)}, " if project.author else ""
    short = f"version {ctx.version}" if ctx.released else f"development version {ctx.commit[:12]}"
    declarations = "(" + "".join(f"({_s(h)}, {_s(t)}), " for h, t in ctx.declarations) + ")"
    title_page = TITLE_PAGE.read_text(encoding="utf-8")
    return f"""#set document(title: {_s(project.title)}, {author}date: {date_typ})
#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm), numbering: "1",
  footer: context [#set text(size: 8pt, fill: luma(90))
    #{_s(project.title)} · #{_s(short)} #h(1fr) #counter(page).display()])
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en")
#set par(justify: true)
#show raw: set text(font: "DejaVu Sans Mono", size: 8.5pt)
#set heading(numbering: none)
#set figure(numbering: none)
#show figure: set block(breakable: true)
#show figure.where(kind: image): set block(breakable: false)
#show heading: set block(sticky: true)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.caption: set block(sticky: true)
#show heading.where(level: 1): it => {{
  pagebreak(weak: true); v(0.8em); text(size: 18pt, it); v(0.6em)
}}
#show link: set text(fill: rgb("#1f4e79"))
#set table(inset: 4pt, stroke: (x, y) => if y == 0 {{ (bottom: 0.7pt) }})
#show table: set text(size: 8.5pt, hyphenate: true)
#show table.cell: set par(justify: false)
#let horizontalrule = line(start: (25%, 0%), end: (75%, 0%))

{title_page}

#title-page(
  title: {_s(project.title)},
  subtitle: {_s(project.subtitle) if project.subtitle else "none"},
  status: {_s(ctx.version_line)},
  date: {_s(shown_date)},
  authors: {_arr([project.author] if project.author else [])},
  doi: {_s(ctx.doi or NO_DOI)},
  cite: {_s(cite_as(project, ctx))},
  site: {_s(project.site_url) if project.site_url else "none"},
  declarations: {declarations},
)

#outline(depth: 2)

"""


def compile_pdf(source: str, work_dir: Path, out: Path, generated: str) -> None:
    """Compile Typst ``source`` (images relative to ``work_dir``) into ``out``.

    Only the fonts embedded in Typst are used, so the PDF does not depend on the
    machine; the document date is the build's ``generated`` date, never the clock.
    """
    import typst

    main = work_dir / "book.typ"
    main.write_text(source, encoding="utf-8")
    date = _date(generated)
    timestamp = int(date.timestamp()) if date else None  # None: typst's own default
    pdf = typst.compile(
        str(main), root=str(work_dir), ignore_system_fonts=True, timestamp=timestamp
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
