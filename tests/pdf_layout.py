"""Layout checks of a PDF from its word boxes (pdfplumber): what a journal's production
desk would reject.

- two words overlap (overprinting: a table row printed over another, a long identifier
  running into the next column);
- a word leaves the page (or its margins by more than a tolerance);
- a page other than the title page holds fewer than ``min_lines`` lines of body text, or
  nothing but a heading or a caption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: a caption line ("Table 9.1: ...", "Figure 2: ...")
CAPTION = re.compile(r"^(Table|Figure)\s+[\d.]+\s*:")


@dataclass(frozen=True)
class Problem:
    page: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.kind}: {self.detail}"


def _overlap(a: dict, b: dict, slack: float) -> float:
    """Area of the intersection of two word boxes shrunk by *slack* points on each side."""
    w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) - 2 * slack
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) - 2 * slack
    return w * h if w > 0 and h > 0 else 0.0


def _word_at(words: list[dict], c: dict) -> str:
    """The extracted word that holds glyph *c* (for the message)."""
    for w in words:
        if w["x0"] - 0.1 <= c["x0"] and c["x1"] <= w["x1"] + 0.1 and abs(w["top"] - c["top"]) < 2:
            return w["text"]
    return c["text"]


#: drawn lines, rectangles and curves from which a page counts as holding a figure
FIGURE_MARKS = 10


def check(
    path: Path,
    *,
    title_pages: int = 1,
    min_lines: int = 2,
    body_size: tuple[float, float] = (6.5, 11.5),
    slack: float = 0.6,
) -> list[Problem]:
    """Every layout problem of the PDF at *path* (an empty list when it is clean).

    *body_size* is the range of font sizes (pt) counted as body text (headings are larger,
    footers smaller are still counted but the footer line is dropped); *slack* forgives
    touching boxes (kerning, italic overhang).
    """
    import pdfplumber

    problems: list[Problem] = []
    with pdfplumber.open(str(path)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            words = page.extract_words(
                keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"]
            )
            # leaving the page
            for w in words:
                if (
                    w["x0"] < -0.5
                    or w["x1"] > page.width + 0.5
                    or w["top"] < -0.5
                    or (w["bottom"] > page.height + 0.5)
                ):
                    problems.append(Problem(number, "outside the page", w["text"]))
            # overprinting: glyphs whose boxes intersect by more than a third of the smaller
            # (pdfplumber would merge overprinted words into one, so glyphs are compared)
            # neighbours in the text stream may kern into each other (".”"), so each glyph
            # carries its position in the stream and only non-neighbours are compared
            chars = [dict(c, seq=i) for i, c in enumerate(page.chars) if c["text"].strip()]
            grid: dict[tuple[int, int], list[dict]] = {}
            for c in chars:
                grid.setdefault((int(c["x0"] // 20), int(c["top"] // 20)), []).append(c)
            seen: set[int] = set()
            for c in chars:
                gx, gy = int(c["x0"] // 20), int(c["top"] // 20)
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        for d in grid.get((gx + dx, gy + dy), ()):
                            if abs(d["seq"] - c["seq"]) <= 1 or id(d) in seen:
                                continue
                            area = _overlap(c, d, 0.0)
                            smaller = min(
                                (c["x1"] - c["x0"]) * (c["bottom"] - c["top"]),
                                (d["x1"] - d["x0"]) * (d["bottom"] - d["top"]),
                            )
                            if smaller > 0 and area > smaller / 3:
                                seen.add(id(c))
                                problems.append(
                                    Problem(
                                        number,
                                        "words overlap",
                                        f"{_word_at(words, c)!r} and {_word_at(words, d)!r}",
                                    )
                                )
            if number <= title_pages:
                continue
            # lines of body text, the footer line (lowest) excluded
            lines: dict[int, list[dict]] = {}
            for w in words:
                lines.setdefault(round(w["top"] / 3), []).append(w)
            rows = [sorted(ws, key=lambda w: w["x0"]) for _, ws in sorted(lines.items())]
            if rows:
                rows = rows[:-1]  # the footer (title, version, page number)
            body = 0
            for ws in rows:
                text = " ".join(w["text"] for w in ws)
                size = max(w["size"] for w in ws)
                if CAPTION.match(text) or not (body_size[0] <= size <= body_size[1]):
                    continue
                body += 1
            # a page that holds a chart (vector drawing: a forest plot's intervals, axes and
            # marks) is a figure page, not an orphaned heading or caption
            drawn = len(page.lines) + len(page.rects) + len(page.curves)
            if body < min_lines and drawn < FIGURE_MARKS:
                problems.append(
                    Problem(number, "page almost empty", f"{body} line(s) of body text")
                )
    return problems
