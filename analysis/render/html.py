"""The HTML page around a chapter: navigation, version menu, footer."""

from __future__ import annotations

import html
import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.render.project import Chapter, Project

__all__ = ["PageContext", "page", "read_versions", "ASSET_URL"]

#: Where the site's own stylesheet and scripts live, relative to the site root.
ASSET_URL = "analysis/assets"


@dataclass(frozen=True)
class PageContext:
    """What every page shows besides its chapter: version, commit, date, other versions.

    ``citation`` is the "cite as" text (the PDF's title page) and ``meta`` the
    ``(name, content)`` pairs of ``<meta>`` tags every page carries (the Highwire
    ``citation_*`` tags); both come from ``CITATION.cff`` when the project has one,
    as does ``doi``, the version's DOI (None until one is assigned).
    """

    version: str
    commit: str
    generated: str
    versions: tuple[dict[str, Any], ...] = ()
    citation: str | None = None
    meta: tuple[tuple[str, str], ...] = ()
    #: the build's status line, e.g. "Version 1.2.0, released 2027-01-02" or "Development
    #: version, not yet released (commit …)"; None: "Version X"
    status: str | None = None
    #: False for a build that is not a release (the version menu then says so)
    released: bool = True
    #: further plain-text footer items, e.g. the date the content was last brought up to date
    notes: tuple[str, ...] = ()
    #: the people and declarations block of the PDF title page: (heading, text) pairs
    declarations: tuple[tuple[str, str], ...] = ()
    #: where a persistent identifier (DOI) is shown: its text, or a placeholder sentence
    doi: str | None = None

    @property
    def version_line(self) -> str:
        """The status line, or ``Version X`` when the project gives none."""
        return self.status or f"Version {self.version}"


def read_versions(path: Path | None) -> tuple[dict[str, Any], ...]:
    """The published versions, from the ``versions.json`` that publishing writes.

    The file is ``{"latest": {...}, "versions": [{"version", "path", "url"?}, ...]}``
    (see :mod:`analysis.publish.versioned_site`); a plain list of such entries is accepted too.
    Each returned entry has ``version``, ``title`` and ``href`` (the absolute
    ``url`` when given, else ``path``, relative to the site root). A missing file
    gives an empty tuple.

    Raises
    ------
    ValueError
        If an entry has no ``version``.
    """
    if path is None or not Path(path).is_file():
        return ()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entries: list[tuple[dict[str, Any], str | None]] = []
    if isinstance(data, dict):
        # the latest build is offered only when it is a release: an unreleased one is a
        # development version, never "X.Y.Z (latest)" (analysis.report.version.build_version)
        latest = data.get("latest")
        if latest and latest.get("released", True) and ".dev" not in str(latest.get("version")):
            entries.append((latest, "latest"))
        entries.extend((v, None) for v in data.get("versions") or [])
    else:
        entries.extend((v, None) for v in data)
    out = []
    for item, tag in entries:
        if isinstance(item, str):
            item = {"version": item}
        if not isinstance(item, dict) or "version" not in item:
            raise ValueError(f"{path}: each entry needs a 'version': {item!r}")
        version = str(item["version"])
        href = item.get("url") or item.get("path") or f"v{version}/"
        title = f"{version} (latest)" if tag == "latest" else version
        out.append({"version": version, "title": title, "href": href})
    return tuple(out)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _rel(target: str, page: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def _version_menu(project: Project, ctx: PageContext, page: str) -> str:
    here = _rel("index.html", page)
    root = here.rsplit("index.html", 1)[0]
    items = [
        f'<li><a aria-current="true" href="{_e(here)}">'
        f"{_e(ctx.version if ctx.released else 'development')} (this version)</a></li>"
    ]
    for v in ctx.versions:
        href = str(v["href"])
        if not href.startswith(("http://", "https://", "/")):
            href = root + href.removeprefix("./")
        items.append(f'<li><a href="{_e(href)}">{_e(v["title"])}</a></li>')
    return (
        f'<details class="version-menu" data-version="{_e(ctx.version)}" '
        f'data-site-root="{_e(root or "./")}"><summary>'
        '<span class="visually-hidden">Versions; this is </span>'
        + (f"Version {_e(ctx.version)}" if ctx.released else "Development version")
        + f"</summary><ul>{''.join(items)}</ul></details>"
    )


def _nav(
    project: Project, titles: dict[str, str], numbers: dict[str, int | None], current: Chapter
) -> str:
    lines = ["<ol>"]
    part = None
    for ch in project.chapters:
        if ch.part != part and ch.part:
            lines.append(f'<li class="part">{_e(ch.part)}</li>')
        part = ch.part
        num = numbers.get(ch.source)
        label = (f'<span class="chapter-number">{num}</span> ' if num else "") + _e(
            titles[ch.source]
        )
        aria = ' aria-current="page"' if ch == current else ""
        lines.append(f'<li><a href="{_e(_rel(ch.href, current.href))}"{aria}>{label}</a></li>')
    lines.append("</ol>")
    return "\n".join(lines)


def page(
    project: Project,
    ctx: PageContext,
    chapter: Chapter,
    body: str,
    titles: dict[str, str],
    numbers: dict[str, int | None],
) -> str:
    """A complete HTML page for ``chapter`` with ``body`` (pandoc's HTML of the chapter)."""
    href = chapter.href
    idx = project.chapters.index(chapter)
    prev_ch = project.chapters[idx - 1] if idx > 0 else None
    next_ch = project.chapters[idx + 1] if idx + 1 < len(project.chapters) else None
    css = _rel(f"{ASSET_URL}/site.css", href)
    home = _rel("index.html", href)
    pdf = _rel(project.pdf_name, href)
    nav = _nav(project, titles, numbers, chapter)
    pager = []
    if prev_ch:
        pager.append(
            f'<a class="prev" rel="prev" href="{_e(_rel(prev_ch.href, href))}">'
            f"← {_e(titles[prev_ch.source])}</a>"
        )
    if next_ch:
        pager.append(
            f'<a class="next" rel="next" href="{_e(_rel(next_ch.href, href))}">'
            f"{_e(titles[next_ch.source])} →</a>"
        )
    actions = []
    if project.repo_url:
        repo = project.repo_url.rstrip("/")
        if "edit" in project.repo_actions:
            actions.append(
                f'<a href="{_e(f"{repo}/edit/{project.repo_branch}/{chapter.source}")}">'
                "Edit this page</a>"
            )
        if "issue" in project.repo_actions:
            from urllib.parse import quote

            title = quote(f"Correction: {titles[chapter.source]} ({chapter.source})")
            actions.append(
                f'<a href="{_e(f"{repo}/issues/new?title={title}")}">Report an issue</a>'
            )
    commit = ctx.commit[:12]
    date = ctx.generated[:10]
    footer_bits = [
        _e(ctx.version_line),
        *(_e(n) for n in ctx.notes),
        f"built from commit <code>{_e(commit)}</code> on {_e(date)}",
    ]
    if project.page_footer:
        footer_bits.append(_e(project.page_footer))
    page_title = titles[chapter.source]
    full_title = (
        page_title
        if chapter == project.chapters[0] and page_title == project.title
        else f"{page_title} – {project.title}"
    )
    canonical = ""
    if project.site_url:
        canonical = f'<link rel="canonical" href="{_e(project.site_url.rstrip("/") + "/" + href)}">'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="analysis.render (embedded Quarto-subset renderer)">
<meta name="ivig-version" content="{_e(ctx.version)}">
{"".join(f'<meta name="{_e(n)}" content="{_e(c)}">{chr(10)}' for n, c in ctx.meta)}
<title>{_e(full_title)}</title>
{canonical}
<link rel="icon" href="{_e(_rel(f"{ASSET_URL}/favicon.svg", href))}" type="image/svg+xml">
<link rel="stylesheet" href="{_e(css)}">
<script src="{_e(_rel(f"{ASSET_URL}/versions.js", href))}" defer></script>
</head>
<body>
<a class="skip-link" href="#content">Skip to content</a>
<header class="site-header">
<a class="book-title" href="{_e(home)}">{_e(project.title)}</a>
{_version_menu(project, ctx, href)}
<a class="pdf-link" href="{_e(pdf)}">PDF</a>
</header>
<div class="layout">
<nav class="sidebar" aria-label="Chapters">
<details class="chapters-mobile"><summary>Contents</summary>
{nav}
</details>
<div class="chapters-wide">
{nav}
</div>
</nav>
<main id="content">
{body}
<nav class="pager" aria-label="Previous and next chapter">{"".join(pager)}</nav>
</main>
</div>
<footer class="site-footer">
<p>{" · ".join(footer_bits)}</p>
<p class="repo-actions">{" · ".join(actions)}</p>
</footer>
</body>
</html>
"""
