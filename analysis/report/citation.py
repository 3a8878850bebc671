"""How to cite a version: BibTeX, RIS, Quarto ``citation`` metadata and Highwire tags.

``CITATION.cff`` (Citation File Format 1.2.0, https://citation-file-format.github.io)
is the one source of the citation metadata: title, authors, version, release
date, licence and addresses. Everything here is derived from it, so the
"cite this version" block of the site, its BibTeX and RIS downloads, the PDF's
"cite as" line and the ``citation_*`` meta tags that Google Scholar reads
(Highwire Press tags, https://scholar.google.com/intl/en/scholar/inclusion.html)
can never disagree. ``python -m analysis release`` keeps the version in
``CITATION.cff`` equal to ``pyproject.toml``.

Both renderers must emit the same meta tags: Quarto makes them from the
``citation`` metadata (:func:`quarto_citation`, with ``google-scholar: true``),
the embedded renderer writes :func:`highwire_meta` into each page's ``<head>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from analysis.report.version import ROOT

__all__ = [
    "Citation",
    "bibtex",
    "highwire_meta",
    "load",
    "quarto_citation",
    "ris",
    "write_downloads",
]

CFF = "CITATION.cff"


@dataclass(frozen=True)
class Citation:
    """The citation of one version of the living review (fields from ``CITATION.cff``).

    ``authors`` holds display names: ``"Family, Given"`` for persons, the name
    itself for an entity (a group author).
    """

    title: str
    authors: tuple[str, ...]
    version: str
    date_released: date
    url: str
    repository: str
    license: str
    type: str
    doi: str | None = None
    keywords: tuple[str, ...] = ()

    @property
    def year(self) -> int:
        return self.date_released.year

    @property
    def version_url(self) -> str:
        """The permanent address of this version of the site, ``URL/vX.Y.Z/``."""
        return f"{self.url.rstrip('/')}/v{self.version}/"

    @property
    def key(self) -> str:
        """A BibTeX key unique per version, e.g. ``ivig_living_review_v0_2_0``."""
        return "ivig_living_review_v" + self.version.replace(".", "_")

    def text(self) -> str:
        """A plain-text reference, e.g. for the PDF's "cite as" line."""
        doi = f" doi:{self.doi}." if self.doi else ""
        return (
            f"{'; '.join(self.authors)} ({self.year}). {self.title}. "
            f"Version {self.version}, released {self.date_released.isoformat()}. "
            f"{self.version_url}{doi}"
        )


def _author_name(author: dict) -> str:
    if "name" in author:
        return str(author["name"])
    family = " ".join(str(author[k]) for k in ("name-particle", "family-names") if k in author)
    given = author.get("given-names")
    suffix = author.get("name-suffix")
    parts = [family] + ([str(given)] if given else [])
    name = ", ".join(parts)
    return f"{name}, {suffix}" if suffix else name


def load(root: Path | None = None) -> Citation:
    """Read ``root/CITATION.cff`` into a :class:`Citation`.

    Raises
    ------
    analysis.cli.UserError
        If the file is missing or lacks a required key.
    """
    from analysis.errors import UserError

    path = (Path(root) if root is not None else ROOT) / CFF
    if not path.is_file():
        raise UserError(f"{path}: missing (the citation metadata of the review)")
    cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("title", "authors", "version", "date-released", "url", "repository-code"):
        if key not in cff:
            raise UserError(f"{path}: key {key!r} is required")
    released = cff["date-released"]
    if isinstance(released, str):
        released = date.fromisoformat(released)
    doi = cff.get("doi")
    return Citation(
        title=str(cff["title"]).strip(),
        authors=tuple(_author_name(a) for a in cff["authors"]),
        version=str(cff["version"]),
        date_released=released,
        url=str(cff["url"]),
        repository=str(cff["repository-code"]),
        license=str(cff.get("license", "")),
        type=str(cff.get("type", "software")),
        doi=str(doi) if doi else None,
        keywords=tuple(str(k) for k in cff.get("keywords", ())),
    )


def _bib_escape(text: str) -> str:
    return re.sub(r"([&%$#_])", r"\\\1", text)


def bibtex(root: Path | None = None) -> str:
    """BibTeX entry (``@misc``, biblatex-compatible ``version`` field) for the current version.

    Group authors are wrapped in an extra pair of braces so that BibTeX does not
    split them into first and last names.
    """
    c = load(root)
    authors = " and ".join(a if "," in a else "{" + a + "}" for a in c.authors)
    fields = [
        ("author", "{" + _bib_escape(authors) + "}"),
        ("title", "{{" + _bib_escape(c.title) + "}}"),
        ("year", "{" + str(c.year) + "}"),
        ("month", "{" + str(c.date_released.month) + "}"),
        ("date", "{" + c.date_released.isoformat() + "}"),
        ("version", "{" + c.version + "}"),
        ("url", "{" + c.version_url + "}"),
        ("note", "{Version " + c.version + ", released " + c.date_released.isoformat() + "}"),
    ]
    if c.doi:
        fields.append(("doi", "{" + c.doi + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{{c.key},\n{body}\n}}\n"


def ris(root: Path | None = None) -> str:
    """RIS record (``TY  - DATA``) for the current version, CRLF-free, ending with ``ER``."""
    c = load(root)
    lines = ["TY  - DATA" if c.type == "dataset" else "TY  - COMP", f"TI  - {c.title}"]
    lines += [f"AU  - {a}" for a in c.authors]
    lines += [
        f"PY  - {c.year}",
        f"DA  - {c.date_released.strftime('%Y/%m/%d')}",
        f"ET  - {c.version}",
        f"UR  - {c.version_url}",
    ]
    if c.doi:
        lines.append(f"DO  - {c.doi}")
    lines += [f"KW  - {k}" for k in c.keywords]
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def quarto_citation(root: Path | None = None) -> dict:
    """The ``citation`` metadata for ``_quarto.yml`` (CSL item as YAML, Quarto's format).

    With ``google-scholar: true`` Quarto turns it into the ``citation_*`` meta
    tags that :func:`highwire_meta` lists for the embedded renderer.
    """
    c = load(root)
    item: dict = {
        "type": c.type,
        "title": c.title,
        "author": [{"name": a} for a in c.authors],
        "issued": c.date_released.isoformat(),
        "version": c.version,
        "url": c.version_url,
    }
    if c.doi:
        item["doi"] = c.doi
    return item


def highwire_meta(root: Path | None = None, *, pdf_url: str | None = None) -> list[tuple[str, str]]:
    """``(name, content)`` pairs of the Highwire ``<meta>`` tags for every page.

    Parameters
    ----------
    root : Path, optional
        Repository root holding ``CITATION.cff``.
    pdf_url : str, optional
        Absolute address of the version's PDF (``citation_pdf_url``).
    """
    c = load(root)
    tags = [("citation_title", c.title)]
    tags += [("citation_author", a) for a in c.authors]
    tags += [
        ("citation_publication_date", c.date_released.strftime("%Y/%m/%d")),
        ("citation_fulltext_html_url", c.version_url),
        ("citation_language", "en"),
    ]
    if pdf_url:
        tags.append(("citation_pdf_url", pdf_url))
    if c.doi:
        tags.append(("citation_doi", c.doi))
    return tags


def write_downloads(root: Path | None, out_dir: Path) -> list[Path]:
    """Write the "cite this version" downloads into ``out_dir``; returns their paths.

    ``citation.bib`` (:func:`bibtex`), ``citation.ris`` (:func:`ris`) and
    ``CITATION.cff`` itself, each written atomically.
    """
    import os

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = (Path(root) if root is not None else ROOT) / CFF
    texts = {
        "citation.bib": bibtex(root),
        "citation.ris": ris(root),
        CFF: source.read_text(encoding="utf-8"),
    }
    written = []
    for name, text in texts.items():
        path = out_dir / name
        tmp = out_dir / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
