"""How to cite a version: BibTeX, RIS, Quarto ``citation`` metadata and Highwire tags.

``CITATION.cff`` (Citation File Format 1.2.0, https://citation-file-format.github.io)
is the one source of the citation metadata: title, authors, version, release
date, licence and addresses. Everything here is derived from it, so the
"cite this version" block of the site, its BibTeX and RIS downloads, the PDF's
"cite as" line and the ``citation_*`` meta tags that Google Scholar reads
(Highwire Press tags, https://scholar.google.com/intl/en/scholar/inclusion.html)
can never disagree. ``python -m analysis release`` keeps the version in
``CITATION.cff`` equal to ``pyproject.toml``.

A citation tells the truth about the build: a build is a *release* only when
the tag ``vX.Y.Z`` points at its commit (:func:`analysis.report.version.release_at_head`);
any other build is a *development version*, which never says "released" and
names its commit instead. The people, their declarations and the concept DOI
come from ``review-metadata.yml`` (:func:`people`).

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
    "People",
    "cite_statement",
    "people",
    "bibtex",
    "highwire_meta",
    "load",
    "quarto_citation",
    "ris",
    "write_downloads",
    "cff_for_build",
    "json_ld",
    "add_json_ld",
]

CFF = "CITATION.cff"
#: The people, declarations and concept DOI of the review.
METADATA = "review-metadata.yml"


@dataclass(frozen=True)
class Citation:
    """The citation of one build of the living review (fields from ``CITATION.cff``).

    ``authors`` holds display names: ``"Family, Given"`` for persons, the name
    itself for an entity (a group author). ``released`` is False for a
    development build, whose ``commit`` and ``built`` date (the commit date)
    identify it; ``date_released`` is then only the date ``CITATION.cff``
    carries for the planned version and is never printed.
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
    released: bool = True
    commit: str = ""
    built: str = ""

    @property
    def year(self) -> int:
        if not self.released and re.match(r"\d{4}", self.built or ""):
            return int(self.built[:4])
        return self.date_released.year

    @property
    def issued(self) -> str:
        """The date a reference gives: the release date, or the build date of a development
        version."""
        if self.released:
            return self.date_released.isoformat()
        return self.built[:10] if re.match(r"\d{4}-\d{2}-\d{2}", self.built or "") else ""

    @property
    def version_label(self) -> str:
        """``Version 1.2.0, released 2027-01-02`` or ``development version, not yet released
        (commit 0123456789ab)``."""
        if self.released:
            return f"Version {self.version}, released {self.date_released.isoformat()}"
        commit = f" (commit {self.commit[:12]})" if self.commit else ""
        return f"development version, not yet released{commit}"

    @property
    def version_url(self) -> str:
        """The permanent address of this build: the site's ``URL/vX.Y.Z/`` for a release,
        the commit's tree in the repository for a development version."""
        if self.released:
            return f"{self.url.rstrip('/')}/v{self.version}/"
        if self.commit and self.commit != "unknown":
            return f"{self.repository.rstrip('/')}/tree/{self.commit}"
        return self.repository

    @property
    def key(self) -> str:
        """A BibTeX key unique per build, e.g. ``ivig_living_review_v0_2_0``
        (``ivig_living_review_dev_0123456`` for a development version)."""
        if self.released:
            return "ivig_living_review_v" + self.version.replace(".", "_")
        return "ivig_living_review_dev_" + (self.commit[:7] or "unknown")

    def text(self) -> str:
        """A plain-text reference, e.g. for the PDF's "cite as" line."""
        doi = f" doi:{self.doi}." if self.doi else ""
        label = self.version_label
        label = label[:1].upper() + label[1:]
        built = f", built {self.issued}" if not self.released and self.issued else ""
        return (
            f"{'; '.join(self.authors)} ({self.year}). {self.title}. "
            f"{label}{built}. {self.version_url}{doi}"
        )


@dataclass(frozen=True)
class People:
    """Who is responsible for the review and what they declare (``review-metadata.yml``)."""

    group_author: str
    authors: tuple[dict, ...]
    funding: tuple[str, ...]
    protocol: str
    concept_doi: str

    def statements(self) -> list[tuple[str, str]]:
        """``(heading, sentence)`` pairs for the site and the title page, plain text.

        Each says what is declared, or plainly that nothing is yet.
        """
        out = []
        if self.authors:
            names = []
            for a in self.authors:
                name = " ".join(str(a[k]) for k in ("given-names", "family-names") if a.get(k))
                bits = [b for b in (a.get("affiliation"), a.get("orcid")) if b]
                names.append(name + (f" ({'; '.join(str(b) for b in bits)})" if bits else ""))
            out.append(("Authors", "; ".join(names) + "."))
            roles = [
                " ".join(str(a[k]) for k in ("given-names", "family-names") if a.get(k))
                + ": "
                + ", ".join(str(r) for r in a["contributions"])
                for a in self.authors
                if a.get("contributions")
            ]
            out.append(("Contributions", "; ".join(roles) + "." if roles else "Not yet stated."))
            coi = [
                " ".join(str(a[k]) for k in ("given-names", "family-names") if a.get(k))
                + ": "
                + str(a["conflicts_of_interest"]).strip().rstrip(".")
                for a in self.authors
                if a.get("conflicts_of_interest")
            ]
            out.append(
                (
                    "Conflicts of interest",
                    "; ".join(coi) + "." if coi else "No declaration has been made yet.",
                )
            )
        else:
            out.append(
                (
                    "Authors",
                    f"No named authors yet: the review is published by the group "
                    f"\u201c{self.group_author}\u201d, the people who contribute to it through "
                    "the public repository. Authors, affiliations, ORCID identifiers and "
                    "contributions will be listed here when the maintainers name them.",
                )
            )
            out.append(
                (
                    "Conflicts of interest",
                    "No declaration has been made yet, because no author is named yet.",
                )
            )
        out.append(
            (
                "Funding",
                "; ".join(self.funding) + "." if self.funding else "No funding has been declared.",
            )
        )
        out.append(
            (
                "Protocol",
                self.protocol if self.protocol else "No protocol has been registered or published.",
            )
        )
        return out


def people(root: Path | None = None) -> People:
    """Read ``root/review-metadata.yml`` (absent: no named author, nothing declared)."""
    path = (Path(root) if root is not None else ROOT) / METADATA
    raw: dict = {}
    if path.is_file():  # read as data (no aliases, tags or duplicate keys): UserError if not
        from analysis.errors import UserError
        from analysis.evidence import yamlfile

        doc = yamlfile.read(path, METADATA)
        if doc.problems:
            raise UserError(str(doc.problems[0]))
        raw = doc.data if isinstance(doc.data, dict) else {}
    return People(
        group_author=str(raw.get("group_author") or "IVIG Living Review contributors"),
        authors=tuple(dict(a) for a in raw.get("authors") or ()),
        funding=tuple(str(f) for f in raw.get("funding") or ()),
        protocol=str(raw.get("protocol") or ""),
        concept_doi=str(raw.get("concept_doi") or ""),
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


def load(
    root: Path | None = None,
    *,
    released: bool | None = None,
    commit: str | None = None,
    built: str | None = None,
) -> Citation:
    """Read ``root/CITATION.cff`` into a :class:`Citation` of this build.

    *released* defaults to whether the tag of the version points at ``HEAD``
    (:func:`analysis.report.version.release_at_head`); *commit* and *built* to the
    build stamp (:func:`analysis.report.version.stamp`) when not released.

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
    date_released = cff["date-released"]
    if isinstance(date_released, str):
        date_released = date.fromisoformat(date_released)
    doi = cff.get("doi") or people(root).concept_doi or None
    if released is None:
        from analysis.report import version as version_mod

        released = version_mod.release_at_head(path.parent) is not None
    if not released and (commit is None or built is None):
        from analysis.report import version as version_mod

        stamp = version_mod.stamp(path.parent)
        commit = stamp["commit"] if commit is None else commit
        built = stamp["generated"] if built is None else built
    return Citation(
        title=str(cff["title"]).strip(),
        authors=tuple(_author_name(a) for a in cff["authors"]),
        version=str(cff["version"]),
        date_released=date_released,
        url=str(cff["url"]),
        repository=str(cff["repository-code"]),
        license=str(cff.get("license", "")),
        type=str(cff.get("type", "software")),
        doi=str(doi) if doi else None,
        keywords=tuple(str(k) for k in cff.get("keywords", ())),
        released=bool(released),
        commit=(commit or "") if not released else "",
        built=(built or "") if not released else "",
    )


def _bib_escape(text: str) -> str:
    return re.sub(r"([&%$#_])", r"\\\1", text)


def bibtex(root: Path | None = None, **state) -> str:
    """BibTeX entry (``@misc``, biblatex-compatible ``version`` field) for this build.

    Group authors are wrapped in an extra pair of braces so that BibTeX does not
    split them into first and last names. *state* goes to :func:`load` (``released``,
    ``commit``, ``built``).
    """
    c = load(root, **state)
    authors = " and ".join(a if "," in a else "{" + a + "}" for a in c.authors)
    version = c.version if c.released else f"development, commit {c.commit[:12]}"
    label = c.version_label[:1].upper() + c.version_label[1:]
    fields = [
        ("author", "{" + _bib_escape(authors) + "}"),
        ("title", "{{" + _bib_escape(c.title) + "}}"),
        ("year", "{" + str(c.year) + "}"),
    ]
    if c.issued:
        fields += [("month", "{" + str(int(c.issued[5:7])) + "}"), ("date", "{" + c.issued + "}")]
    fields += [
        ("version", "{" + version + "}"),
        ("url", "{" + c.version_url + "}"),
        ("note", "{" + label + "}"),
    ]
    if c.doi:
        fields.append(("doi", "{" + c.doi + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{{c.key},\n{body}\n}}\n"


def ris(root: Path | None = None, **state) -> str:
    """RIS record (``TY  - DATA``) for this build, CRLF-free, ending with ``ER``."""
    c = load(root, **state)
    lines = ["TY  - DATA" if c.type == "dataset" else "TY  - COMP", f"TI  - {c.title}"]
    lines += [f"AU  - {a}" for a in c.authors]
    lines.append(f"PY  - {c.year}")
    if c.issued:
        lines.append(f"DA  - {c.issued.replace('-', '/')}")
    lines += [
        f"ET  - {c.version if c.released else c.version_label}",
        f"UR  - {c.version_url}",
    ]
    if c.doi:
        lines.append(f"DO  - {c.doi}")
    lines += [f"KW  - {k}" for k in c.keywords]
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def quarto_citation(root: Path | None = None, **state) -> dict:
    """The ``citation`` metadata for ``_quarto.yml`` (CSL item as YAML, Quarto's format).

    With ``google-scholar: true`` Quarto turns it into the ``citation_*`` meta
    tags that :func:`highwire_meta` lists for the embedded renderer.
    """
    c = load(root, **state)
    item: dict = {
        "type": c.type,
        "title": c.title,
        "author": [{"name": a} for a in c.authors],
        "version": c.version if c.released else c.version_label,
        "url": c.version_url,
    }
    if c.issued:
        item["issued"] = c.issued
    if c.doi:
        item["doi"] = c.doi
    return item


def highwire_meta(
    root: Path | None = None, *, pdf_url: str | None = None, **state
) -> list[tuple[str, str]]:
    """``(name, content)`` pairs of the Highwire ``<meta>`` tags for every page.

    Parameters
    ----------
    root : Path, optional
        Repository root holding ``CITATION.cff``.
    pdf_url : str, optional
        Absolute address of the version's PDF (``citation_pdf_url``).
    """
    c = load(root, **state)
    tags = [("citation_title", c.title)]
    tags += [("citation_author", a) for a in c.authors]
    if c.issued:
        tags.append(("citation_publication_date", c.issued.replace("-", "/")))
        tags.append(("citation_date", c.issued.replace("-", "/")))
    tags += [
        ("citation_fulltext_html_url", c.version_url),
        ("citation_language", "en"),
    ]
    if pdf_url:
        tags.append(("citation_pdf_url", pdf_url))
    if c.doi:
        tags.append(("citation_doi", c.doi))
    return tags


def cite_statement(root: Path | None = None, **state) -> tuple[str, str | None]:
    """What the "How to cite" block says: ``(sentence, reference)``; reference may be None.

    A release cites itself. A development version points to the latest release
    (its reference rebuilt from that tag's ``CITATION.cff``) or says none exists.
    """
    from analysis.report import version as version_mod

    c = load(root, **state)
    if c.released:
        return (
            "Cite the version you read: each version has its own address and never changes.",
            c.text(),
        )
    r = Path(root) if root is not None else ROOT
    latest = version_mod.latest_release(r)
    if latest is None:
        return (
            f"You are reading a {c.version_label}. No version has been released yet, so there "
            "is no version to cite; if you must cite what you read, cite this development "
            "version with its commit, as below, and check its results against the first "
            "release when it appears.",
            c.text(),
        )
    prior = load(r, released=True)
    prior = (
        Citation(
            **{
                **prior.__dict__,
                "version": latest.version,
                "date_released": date.fromisoformat(latest.date),
            }
        )
        if re.match(r"\d{4}-\d{2}-\d{2}$", latest.date)
        else prior
    )
    return (
        f"You are reading a {c.version_label}. Cite the latest release, "
        f"version {latest.version}, whose results are fixed:",
        prior.text(),
    )


def cff_for_build(text: str, c: Citation) -> str:
    """``CITATION.cff`` as this build publishes it: a release's file as it is; for a
    development build, ``version`` is the development version (``X.Y.Z.dev0+<commit>``,
    :func:`analysis.report.version.build_version`) and there is no ``date-released``,
    since nothing was released (the repository's file keeps the planned release's
    lines for ``python -m analysis release``)."""
    if c.released:
        return text
    from analysis.report.version import build_version

    dev = build_version(c.version, c.commit or "unknown", released=False)
    text = re.sub(r"(?m)^version:.*$", f'version: "{dev}"', text, count=1)
    return re.sub(r"(?m)^date-released:.*\n?", "", text)


def write_downloads(root: Path | None, out_dir: Path, **state) -> list[Path]:
    """Write the "cite this version" downloads into ``out_dir``; returns their paths.

    ``citation.bib`` (:func:`bibtex`), ``citation.ris`` (:func:`ris`) and
    ``CITATION.cff`` itself, each written atomically.
    """
    import os

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = (Path(root) if root is not None else ROOT) / CFF
    texts = {
        "citation.bib": bibtex(root, **state),
        "citation.ris": ris(root, **state),
        CFF: cff_for_build(source.read_text(encoding="utf-8"), load(root, **state)),
    }
    written = []
    for name, text in texts.items():
        path = out_dir / name
        tmp = out_dir / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written


# --------------------------------------------------------------------------- schema.org

#: SPDX licence identifiers -> their canonical address (schema.org's ``license`` is a URL)
SPDX_URLS = {
    "MIT": "https://spdx.org/licenses/MIT.html",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


def _schema_person(name: str) -> dict:
    if "," in name:
        family, given = (p.strip() for p in name.split(",", 1))
        return {"@type": "Person", "name": f"{given} {family}", "familyName": family,
                "givenName": given}  # fmt: skip
    return {"@type": "Organization", "name": name}


def _data_license(root: Path | None) -> str | None:
    import json

    path = (Path(root) if root is not None else ROOT) / "data" / "datapackage.json"
    if not path.is_file():
        return None
    licenses = json.loads(path.read_text(encoding="utf-8")).get("licenses") or []
    first = licenses[0] if licenses else {}
    return first.get("path") or SPDX_URLS.get(str(first.get("name")))


def json_ld(
    root: Path | None = None, *, pdf_url: str | None = None, version: str | None = None, **state
) -> dict:
    """schema.org JSON-LD for every page: the review as a ``ScholarlyArticle`` and its data
    as a ``Dataset`` with its ``distribution`` (the trial table and the results file) and
    licence, for search engines and dataset indexes (https://schema.org/ScholarlyArticle,
    https://schema.org/Dataset; Google's dataset guidelines ask for name, description,
    licence, creator and distribution).

    *version* is the version the build carries (a development build's ``X.Y.Z.dev0+...``);
    the files' addresses are this build's: a release's ``URL/vX.Y.Z/``, else the site root.
    """
    import yaml as _yaml

    c = load(root, **state)
    cff_path = (Path(root) if root is not None else ROOT) / CFF
    abstract = " ".join(
        str(
            (_yaml.safe_load(cff_path.read_text(encoding="utf-8")) or {}).get("abstract") or ""
        ).split()
    )
    base = c.version_url if c.released else c.url.rstrip("/") + "/"
    shown_version = version or (c.version if c.released else c.version_label)
    authors = [_schema_person(a) for a in c.authors]
    identifier = [{"@type": "PropertyValue", "propertyID": "DOI", "value": c.doi}] if c.doi else []
    article: dict = {
        "@type": "ScholarlyArticle",
        "@id": base + "#review",
        "headline": c.title,
        "name": c.title,
        "author": authors,
        "url": base,
        "version": shown_version,
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "creativeWorkStatus": "Published" if c.released else "Draft",
        "keywords": ", ".join(c.keywords),
        "license": SPDX_URLS.get(c.license, c.license),
    }
    if abstract:
        article["abstract"] = abstract
    if c.issued:
        article["datePublished" if c.released else "dateModified"] = c.issued
    if pdf_url:
        article["encoding"] = [
            {"@type": "MediaObject", "contentUrl": pdf_url, "encodingFormat": "application/pdf"}
        ]
    dataset: dict = {
        "@type": "Dataset",
        "@id": base + "#data",
        "name": f"Data and results of: {c.title}",
        "description": (
            "The randomised trials of the living review (one row per trial comparison, with "
            "counts, source and verbatim quote) and every pooled result computed from them "
            "(results.json)."
        ),
        "creator": authors,
        "url": base,
        "version": shown_version,
        "isAccessibleForFree": True,
        "isPartOf": {"@id": base + "#review"},
        "distribution": [
            {
                "@type": "DataDownload",
                "name": "studies.csv",
                "contentUrl": base + "data/studies.csv",
                "encodingFormat": "text/csv",
            },
            {
                "@type": "DataDownload",
                "name": "results.json",
                "contentUrl": base + "results.json",
                "encodingFormat": "application/json",
            },
        ],
    }
    license_url = _data_license(root)
    if license_url:
        dataset["license"] = license_url
    if identifier:
        article["identifier"] = identifier
        dataset["identifier"] = identifier
    return {"@context": "https://schema.org", "@graph": [article, dataset]}


_HIGHWIRE = re.compile(r'(<meta name="(citation_[a-z_]+)" content=")([^"]*)(")')
_DATE_TAGS = {"citation_publication_date", "citation_date", "citation_online_date",
              "citation_cover_date"}  # fmt: skip


def _tidy_tag(name: str, content: str) -> str:
    import html as _html

    text = content
    for _ in range(5):  # undo escaping applied more than once ("&amp;amp;amp;")
        plain = _html.unescape(text)
        if plain == text:
            break
        text = plain
    # an author without a given name is not "undefined Mendell" (Quarto's references)
    text = re.sub(r"(^|citation_author=)undefined\s+", r"\1", text)
    if name in _DATE_TAGS:
        text = re.sub(r"^(\d{4})-(\d{2})-(\d{2})$", r"\1/\2/\3", text)
    return _html.escape(text, quote=True)


def tidy_highwire(page: str) -> str:
    """The Highwire ``citation_*`` tags of a page as Google Scholar reads them: each value
    escaped once, no "undefined" for a missing given name, dates as ``YYYY/MM/DD``, and a
    ``citation_date`` beside ``citation_publication_date`` (Quarto's google-scholar output
    has all three faults; the embedded renderer's tags pass unchanged)."""
    page = _HIGHWIRE.sub(lambda m: m[1] + _tidy_tag(m[2], m[3]) + m[4], page)
    if 'name="citation_date"' not in page:
        page = re.sub(
            r'(<meta name="citation_publication_date" content="([^"]*)">)',
            r'\1\n<meta name="citation_date" content="\2">',
            page,
            count=1,
        )
    return page


def add_json_ld(site: Path, doc: dict) -> int:
    """Put *doc* as ``<script type="application/ld+json">`` into the ``<head>`` of every page
    of the built *site*, and tidy its Highwire tags (:func:`tidy_highwire`), both renderers'
    pages alike; returns how many pages."""
    import json

    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    block = '<script type="application/ld+json">' + text.replace("</", "<\\/") + "</script>\n"
    n = 0
    for page in sorted(Path(site).rglob("*.html")):
        html = tidy_highwire(page.read_text(encoding="utf-8"))
        if "application/ld+json" not in html and "</head>" in html:
            html = html.replace("</head>", block + "</head>", 1)
        page.write_text(html, encoding="utf-8")
        n += 1
    return n
