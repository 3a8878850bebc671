"""The book project as ``_quarto.yml`` describes it (the subset the renderer reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

__all__ = ["Chapter", "Project", "ProjectError", "load_project"]


class ProjectError(Exception):
    """``_quarto.yml`` or a file it names is missing or malformed."""


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book: its source ``.qmd`` and the part it belongs to."""

    source: str  #: path relative to the project root, POSIX style, e.g. ``chapters/methods.qmd``
    part: str | None = None  #: title of the book part, if the chapter list uses parts

    @property
    def href(self) -> str:
        """The page's path in the site, e.g. ``chapters/methods.html``."""
        return str(PurePosixPath(self.source).with_suffix(".html"))

    @property
    def stem(self) -> str:
        """A file-safe name, e.g. ``chapters-methods``."""
        return str(PurePosixPath(self.source).with_suffix("")).replace("/", "-")


@dataclass(frozen=True)
class Project:
    """What the renderer takes from ``_quarto.yml``."""

    root: Path
    title: str
    chapters: tuple[Chapter, ...]
    subtitle: str | None = None
    author: str | None = None
    site_url: str | None = None
    repo_url: str | None = None
    repo_branch: str = "main"
    repo_actions: tuple[str, ...] = ()
    output_file: str = "book"
    output_dir: str = "_site"
    bibliography: tuple[Path, ...] = ()
    csl: Path | None = None
    execute: dict[str, Any] = field(default_factory=dict)
    resources: tuple[str, ...] = ()
    page_footer: str | None = None

    @property
    def pdf_name(self) -> str:
        """File name of the book's PDF in the site, e.g. ``ivig-living-review.pdf``."""
        return f"{self.output_file}.pdf"


def _flatten(chapters: list[Any]) -> list[Chapter]:
    out: list[Chapter] = []
    for item in chapters:
        if isinstance(item, str):
            out.append(Chapter(item))
        elif isinstance(item, dict) and "part" in item:
            part = str(item["part"])
            for sub in item.get("chapters") or []:
                if not isinstance(sub, str):
                    raise ProjectError(f"_quarto.yml: book.chapters: unsupported entry {sub!r}")
                out.append(Chapter(sub, part))
        elif isinstance(item, dict) and "href" in item:
            out.append(Chapter(str(item["href"])))
        else:
            raise ProjectError(f"_quarto.yml: book.chapters: unsupported entry {item!r}")
    return out


def _footer(book: dict[str, Any]) -> str | None:
    footer = book.get("page-footer")
    if isinstance(footer, dict):
        parts = [str(footer[k]) for k in ("left", "center", "right") if footer.get(k)]
        return " · ".join(parts) or None
    return str(footer) if footer else None


def load_project(root: Path) -> Project:
    """Read ``root/_quarto.yml`` (a Quarto *book*) and the files it names.

    Raises
    ------
    ProjectError
        If the file is missing, is not a book, or names a chapter that does not exist.
    """
    root = Path(root).resolve()
    path = root / "_quarto.yml"
    if not path.is_file():
        raise ProjectError(f"{path}: no _quarto.yml, so no book to render")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ProjectError(f"{path}: not valid YAML: {exc}") from exc
    for extra in config.get("metadata-files") or []:
        extra_path = root / extra
        if extra_path.is_file():
            _merge(config, yaml.safe_load(extra_path.read_text(encoding="utf-8")) or {})
    if (config.get("project") or {}).get("type") != "book":
        raise ProjectError(f"{path}: project.type must be 'book'")
    book = config.get("book") or {}
    chapters = _flatten(book.get("chapters") or [])
    if not chapters:
        raise ProjectError(f"{path}: book.chapters is empty")
    for ch in chapters:
        if not (root / ch.source).is_file():
            raise ProjectError(f"{path}: book.chapters names {ch.source}, which does not exist")
    bib = config.get("bibliography")
    csl = config.get("csl")
    author = book.get("author")
    if isinstance(author, list):
        author = ", ".join(a if isinstance(a, str) else a.get("name", "") for a in author)
    project = config.get("project") or {}
    return Project(
        root=root,
        title=str(book.get("title") or config.get("title") or "Untitled"),
        subtitle=book.get("subtitle"),
        author=author,
        chapters=tuple(chapters),
        site_url=book.get("site-url"),
        repo_url=book.get("repo-url"),
        repo_branch=str(book.get("repo-branch") or "main"),
        repo_actions=tuple(book.get("repo-actions") or ()),
        output_file=str(book.get("output-file") or "book"),
        output_dir=str(project.get("output-dir") or "_site"),
        bibliography=tuple(root / str(b) for b in ([bib] if isinstance(bib, str) else bib or [])),
        csl=(root / csl) if csl else None,
        execute=dict(config.get("execute") or {}),
        resources=tuple(project.get("resources") or ()),
        page_footer=_footer(book),
    )


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    """Merge ``extra`` into ``base`` recursively, as Quarto merges ``metadata-files``."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
