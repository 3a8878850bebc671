"""What a reader gets from a built site, renderer-independent: for the equivalence test.

From each page's ``<main>`` (scripts, styles and Quarto's generated appendix left out):
the headings (without their section numbers), every number in the text outside the
headings (in order), and the cross-reference targets (``fig-``, ``tbl-``, ``sec-`` ids).
Markup (classes, wrappers, how a number is tagged) is not part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

#: A number as a reader reads it: 2.15, -0.3, 425, 1,234 (thousands separators kept).
NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?![\w])")
#: Elements whose text a reader does not read as prose.
SKIP = {"script", "style", "template", "noscript"}
#: Section numbers that renderers put into headings (a span of their own): compared as
#: the page list and the cross-references, not as heading text.
NUMBER_CLASSES = {"header-section-number", "chapter-number"}
#: Added by Quarto from the book's metadata, not from the chapters: the "Citation" and
#: "Reuse" parts of its appendix (`citation:` in the build's metadata), the title block's
#: author and date (the embedded renderer shows version and date in its page header and
#: footer) and anchor links.
SKIP_IDS = {"quarto-citation", "quarto-reuse"}
SKIP_CLASSES = {"anchorjs-link", "quarto-title-meta"}
#: Cross-reference targets; Quarto also gives each caption an id ``fig-x-caption-UUID``.
XREF = re.compile(r"^(fig|tbl|sec)-(?!.*-caption-)")
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Page:
    headings: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    targets: set[str] = field(default_factory=set)
    text: str = ""


class _Main(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.in_main = 0
        self.heading: list[str] | None = None
        self.prose: list[str] = []

    def _skipped(self) -> bool:
        return any(s for _, s in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.in_main += 1
        if tag in VOID:
            return
        classes = set((a.get("class") or "").split())
        skip = (
            tag in SKIP
            or a.get("id") in SKIP_IDS
            or bool(classes & SKIP_CLASSES)
            or (self.heading is not None and bool(classes & NUMBER_CLASSES))
        )
        self.stack.append((tag, skip))
        if self.in_main and not self._skipped():
            ident = a.get("id") or ""
            if XREF.match(ident):
                self.page.targets.add(ident)
            if re.fullmatch(r"h[1-6]", tag):
                self.heading = []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if re.fullmatch(r"h[1-6]", tag) and self.heading is not None:
            text = " ".join("".join(self.heading).split())
            if text:
                self.page.headings.append(text)
            self.heading = None
        if tag == "main":
            self.in_main -= 1

    def handle_data(self, data):
        if not self.in_main or self._skipped():
            return
        if self.heading is not None:
            self.heading.append(data)
        else:
            self.prose.append(data)


def read_page(path: Path) -> Page:
    """The reader's content of one HTML page."""
    parser = _Main()
    parser.feed(path.read_text(encoding="utf-8"))
    page = parser.page
    page.text = " ".join("".join(parser.prose).split())
    page.numbers = [n.replace("−", "-") for n in NUMBER.findall(page.text)]
    return page


def read_site(site: Path, pages: list[str]) -> dict[str, Page]:
    """The reader's content of every page of the book."""
    return {p: read_page(site / p) for p in pages}
