"""Quarto's site libraries trimmed to what the pages use (analysis/publish/slim.py)."""

from __future__ import annotations

from pathlib import Path

from analysis.publish.slim import icon_codepoints, purge_css, slim_site, subset_font

CSS = """
@font-face { font-family: "icons"; src: url("./icons.woff") format("woff"); }
:root { --bs-blue: #0d6efd; }
body { margin: 0; }
.used, .unused { color: red; }
.unused-only { color: blue; }
a.used:not(.also-used, .unused) > #here { color: green; }
[data-x=".unused"] { color: gray; }
@media (min-width: 768px) { .unused { display: none; } }
@media (min-width: 992px) { .used { display: block; } .unused { display: none; } }
@keyframes spin { from { transform: rotate(0); } to { transform: rotate(360deg); } }
.bs-tooltip-top { margin: 0; }
.bi-used::before { content: "\\f101"; }
.bi-unused::before { content: "\\f102"; }
"""


def test_rules_naming_an_unused_class_are_dropped_and_the_rest_kept():
    out = purge_css(CSS, {"used", "also-used", "here", "bi-used"})
    assert "@font-face" in out and "--bs-blue" in out and "body" in out and "@keyframes" in out
    assert ".used" in out and ".unused-only" not in out
    # a selector list keeps only its used selectors; commas inside :not() do not split it
    assert ".used, .unused" not in out and "a.used:not(.also-used, .unused) > #here" in out
    # :not(.unused) matches whether or not .unused is used: the rule is kept
    # an attribute selector's value is not a class name
    assert '[data-x=".unused"]' in out
    # an @media block is trimmed inside and dropped when nothing is left
    assert "(min-width: 768px)" not in out and "(min-width: 992px)" in out
    assert out.count("display: none") == 0 and "display: block" in out
    assert ".bi-unused" not in out
    # Bootstrap composes its placement classes at run time ("bs-tooltip-" + placement)
    assert ".bs-tooltip-top" in out


def test_the_icons_still_drawn_are_those_of_the_kept_rules():
    kept = purge_css(CSS, {"bi-used"})
    assert icon_codepoints(kept) == {0xF101}
    assert icon_codepoints(CSS) == {0xF101, 0xF102}


def _font(path: Path, codepoints: list[int]) -> None:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef"] + [f"icon{cp:x}" for cp in codepoints]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({cp: f"icon{cp:x}" for cp in codepoints})
    pen = TTGlyphPen(None)
    pen.moveTo((0, 0))
    pen.lineTo((0, 500))
    pen.lineTo((500, 500))
    pen.closePath()
    box = pen.glyph()
    fb.setupGlyf({n: box for n in names})
    fb.setupHorizontalMetrics({n: (600, 0) for n in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Icons", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    fb.font.flavor = "woff"
    # a fixed timestamp: two fonts built in different seconds are the same input
    fb.font["head"].created = fb.font["head"].modified = 3_000_000_000
    fb.font.recalcTimestamp = False
    fb.save(str(path))


def test_the_icon_font_keeps_only_the_glyphs_asked_for(tmp_path):
    from fontTools.ttLib import TTFont

    woff = tmp_path / "icons.woff"
    _font(woff, [0xF101, 0xF102, 0xF103])
    before = woff.stat().st_size
    subset_font(woff, {0xF102})
    font = TTFont(str(woff))
    assert font.flavor == "woff"
    assert set(font.getBestCmap()) == {0xF102}
    assert woff.stat().st_size < before


def test_a_site_is_trimmed_in_place_and_the_same_site_gives_the_same_bytes(tmp_path):
    for n in (1, 2):
        site = tmp_path / f"site{n}"
        libs = site / "site_libs" / "bootstrap"
        libs.mkdir(parents=True)
        (libs / "b.css").write_text(CSS, encoding="utf-8")
        (libs / "b.css").chmod(0o444)  # Quarto's copies are read-only
        _font(libs / "icons.woff", [0xF101, 0xF102])
        (site / "index.html").write_text(
            '<p class="used" id="here"><i class="bi-used"></i></p>', encoding="utf-8"
        )
        (libs / "app.js").write_text('el.classList.add("also-used")', encoding="utf-8")
        sizes = slim_site(site)
        assert sizes["site_libs/bootstrap/b.css"][1] < sizes["site_libs/bootstrap/b.css"][0]
        css = (libs / "b.css").read_text(encoding="utf-8")
        assert ".also-used" in css and ".bi-unused" not in css
    for name in ("b.css", "icons.woff"):
        one = (tmp_path / "site1/site_libs/bootstrap" / name).read_bytes()
        assert one == (tmp_path / "site2/site_libs/bootstrap" / name).read_bytes(), name
