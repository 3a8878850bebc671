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
    bits.append(f"Version {ctx.version}" + (f" ({date:%Y-%m-%d})." if date else "."))
    if project.site_url:
        bits.append(project.site_url)
    return " ".join(bits)


#: What the title page says while the version has no DOI.
NO_DOI = "DOI: not yet assigned"


def title_page(project: Project, ctx: PageContext) -> dict[str, str]:
    """The title page's lines, the same under both renderers (Quarto's through
    ``_typst/typst-show.typ``): ``version`` ("Version X.Y.Z · 30 November 2026"),
    ``doi`` (the DOI or :data:`NO_DOI`) and ``cite`` ("Cite as: ...")."""
    date = _date(ctx.generated)
    shown_date = f"{date:%-d %B %Y}" if date else "date unknown"
    return {
        "version": f"Version {ctx.version} · {shown_date}",
        "doi": f"DOI: {ctx.doi}" if ctx.doi else NO_DOI,
        "cite": f"Cite as: {cite_as(project, ctx)}",
    }


def typst_preamble(project: Project, ctx: PageContext) -> str:
    """Page setup, styles and the title page (title, version, date, cite-as line)."""
    date = _date(ctx.generated)
    date_typ = (
        f"datetime(year: {date.year}, month: {date.month}, day: {date.day})" if date else "none"
    )
    lines = title_page(project, ctx)
    author = f"author: {_s(project.author)}, " if project.author else ""
    subtitle = (
        f"#text(size: 14pt)[#{_s(project.subtitle)}]\n#v(0.6em)\n" if project.subtitle else ""
    )
    site = f"#link({_s(project.site_url)})" if project.site_url else ""
    return f"""#set document(title: {_s(project.title)}, {author}date: {date_typ})
#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm), numbering: "1",
  footer: context [#set text(size: 8pt, fill: luma(90))
    #{_s(project.title)} · version #{_s(ctx.version)} #h(1fr) #counter(page).display()])
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en")
#set par(justify: true)
#show raw: set text(font: "DejaVu Sans Mono", size: 8.5pt)
#set heading(numbering: none)
#set figure(numbering: none)
#show figure.where(kind: table): set figure.caption(position: top)
#show heading.where(level: 1): it => {{
  pagebreak(weak: true); v(0.8em); text(size: 18pt, it); v(0.6em)
}}
#show link: set text(fill: rgb("#1f4e79"))
#set table(inset: 4pt, stroke: (x, y) => if y == 0 {{ (bottom: 0.7pt) }})
#show table: set text(size: 8.5pt)
#let horizontalrule = line(start: (25%, 0%), end: (75%, 0%))

#page(numbering: none, footer: none)[
  #v(4cm)
  #align(center)[
    #text(size: 24pt, weight: "bold")[#{_s(project.title)}]
    #v(0.8em)
    {subtitle}#text(size: 13pt)[#{_s(lines["version"])}]
    #v(0.3em)
    #text(size: 10pt)[#{_s(lines["doi"])}]
    #v(0.3em)
    #text(size: 9pt, fill: luma(80))[commit #raw({_s(ctx.commit[:12])})]
    #v(0.3em)
    {site}
  ]
  #v(1fr)
  #block(width: 100%, inset: 10pt, stroke: 0.5pt + luma(160))[
    #{_s(lines["cite"])}
  ]
]

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
    kwargs = {"timestamp": int(date.timestamp())} if date else {}
    pdf = typst.compile(str(main), root=str(work_dir), ignore_system_fonts=True, **kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
