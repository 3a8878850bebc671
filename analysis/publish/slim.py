"""Quarto's site libraries trimmed to what the built pages use.

A Quarto book sends every page the whole of Bootstrap (about 0.5 MB of CSS) and the whole
Bootstrap Icons font (about 2,000 glyphs: 0.28 MB with its CSS) although a page of this
site uses a few dozen rules and a dozen icons. With the Vega bundle that draws the charts
(0.9 MB) the home page weighed 2.2 MB against the 1.5 MB budget (``tests/browser/
test_weight.py``). :func:`slim_site` keeps what the built site can use:

* **CSS** (every stylesheet under ``site_libs/``): a style rule is kept when each class
  and id its selector names occurs as a word somewhere in the site's HTML or scripts, the
  rule PurgeCSS applies (words in scripts count, so classes that Bootstrap's and Quarto's
  scripts add at run time, ``show``, ``collapsing``, ``dropdown-menu``, are kept, and
  so are Bootstrap's composed ``bs-*`` placement classes).
  ``@media``/``@supports``/``@layer``/``@container`` blocks are trimmed inside and
  dropped when empty; every other at-rule (``@font-face``, ``@keyframes``) is kept.
* **The icon font**: subset to the glyphs the kept CSS still draws (``content:
  "\\f...``" in the Private Use Area), with fontTools' subsetter.

Why code of our own: PurgeCSS, the usual tool, is a Node program and the site is built by
Python alone; the CSS is parsed and written by ``tinycss2`` and the font subset by
``fontTools.subset``, so what is written here is only the rule for "used". Deterministic:
the same site gives the same bytes (the font's timestamp is not recalculated).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["slim_site", "used_words", "purge_css", "icon_codepoints", "subset_font"]

_WORD = re.compile(r"[A-Za-z_][\w-]*")
_ATTRIBUTE = re.compile(r"\[[^\]]*\]")
_ARGUMENTS = re.compile(r"\([^()]*\)")
_NAMES = re.compile(r"[.#](-?[A-Za-z_][\w-]*)")
#: classes that Bootstrap's script composes at run time (``"bs-tooltip-" + placement``),
#: so they never occur whole in its text
_COMPOSED = ("bs-",)
#: at-rules whose block holds style rules (trimmed inside); every other one is kept whole
_NESTING = {"media", "supports", "layer", "container"}
#: "\f101" style escapes in a content string: the icon font's glyphs (Private Use Area)
_ICON = re.compile(r"\\([0-9a-fA-F]{4,6})")


def used_words(site: Path) -> set[str]:
    """Every word of the site's HTML and scripts: the names a selector may need."""
    words: set[str] = set()
    for path in sorted(site.rglob("*")):
        if path.suffix in {".html", ".js", ".json"} and path.is_file():
            words.update(_WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
    return words


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split on its top-level commas (not those inside ``:is(a, b)``)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return [p.strip() for p in parts if p.strip()]


def _selector_used(selector: str, words: set[str]) -> bool:
    """Whether each class and id the selector requires is a word of the site.

    Names inside attribute values and functional pseudo-classes (``:not(.x)``, ``:is()``,
    ``:where()``, ``:has()``) do not count: ``:not(.unused)`` still matches, so such a
    rule is kept (erring on keeping a rule, never on dropping one that applies).
    """
    bare = _ATTRIBUTE.sub("", selector)
    while True:
        inner = _ARGUMENTS.sub("", bare)
        if inner == bare:
            break
        bare = inner
    return all(name in words or name.startswith(_COMPOSED) for name in _NAMES.findall(bare))


def _purge(nodes: Iterable, words: set[str]) -> list:
    import tinycss2

    kept: list = []
    for node in nodes:
        if node.type == "qualified-rule":
            prelude = tinycss2.serialize(node.prelude)
            selectors = [s for s in _split_selectors(prelude) if _selector_used(s, words)]
            if selectors:
                node.prelude = tinycss2.parse_component_value_list(", ".join(selectors))
                kept.append(node)
        elif node.type == "at-rule" and node.lower_at_keyword in _NESTING and node.content:
            inner = _purge(tinycss2.parse_rule_list(node.content, skip_comments=True), words)
            if inner:
                node.content = tinycss2.parse_component_value_list(tinycss2.serialize(inner))
                kept.append(node)
        elif node.type in ("at-rule", "qualified-rule"):
            kept.append(node)
    return kept


def purge_css(css: str, words: set[str]) -> str:
    """``css`` without the style rules whose selectors name a class or id not in ``words``."""
    import tinycss2

    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return "\n".join(tinycss2.serialize([r]) for r in _purge(rules, words)) + "\n"


def icon_codepoints(css: str) -> set[int]:
    """The Private Use Area characters that ``css`` draws (as escapes or as characters)."""
    points = {int(h, 16) for h in _ICON.findall(css)} | {ord(ch) for ch in css}
    return {p for p in points if 0xE000 <= p <= 0xF8FF or 0xF0000 <= p <= 0x10FFFD}


def subset_font(path: Path, codepoints: set[int]) -> None:
    """Keep only ``codepoints``'s glyphs in the WOFF/WOFF2 font at ``path`` (in place)."""
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    # fontTools logs what it repairs in the icon font's tables ("2 extra bytes in post...")
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    font = TTFont(str(path), recalcTimestamp=False)
    flavor = font.flavor
    options = subset.Options()
    options.flavor = flavor
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    _replace(path, lambda tmp: font.save(str(tmp)))


def _replace(path: Path, write) -> None:
    """Write through a temporary file, then replace ``path`` (Quarto's copies are read-only)."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def slim_site(site: Path) -> dict[str, tuple[int, int]]:
    """Trim the stylesheets and icon fonts under ``site/site_libs``; sizes before and after."""
    libs = site / "site_libs"
    if not libs.is_dir():
        return {}
    words = used_words(site)
    sizes: dict[str, tuple[int, int]] = {}
    kept_css = []
    for css_path in sorted(libs.rglob("*.css")):
        before = css_path.read_text(encoding="utf-8")
        after = purge_css(before, words)
        _replace(css_path, lambda tmp, text=after: tmp.write_text(text, encoding="utf-8"))
        sizes[str(css_path.relative_to(site))] = (len(before.encode()), len(after.encode()))
        kept_css.append(after)
    points = icon_codepoints("\n".join(kept_css))
    for font in sorted([*libs.rglob("*.woff"), *libs.rglob("*.woff2")]):
        before_size = font.stat().st_size
        subset_font(font, points)
        sizes[str(font.relative_to(site))] = (before_size, font.stat().st_size)
    return sizes
