"""The embedded renderer on a fixture book (tests/fixtures/render/book): pages, navigation,
inline values, cross-references, citations, callouts, charts, no off-site requests, the PDF."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from pathlib import Path

import altair as alt
import jsonschema
import pandas as pd
import pypdf
import pytest

from analysis.publish.build import offsite_references
from analysis.render import PageContext, RenderError, render_project
from analysis.render.qmd import parse_qmd
from analysis.render.xref import RefError, number_book
from analysis.report.chart_display import Chart, table, vl_version
from analysis.report.vendor import bundle_header

FIXTURE = Path(__file__).parents[1] / "fixtures" / "render" / "book"
ROOT = Path(__file__).resolve().parents[2]
CTX = PageContext("1.2.3", "abcdef0123456789abcdef", "2026-11-25T04:33:00Z")


def _copy_fixture(tmp: Path) -> Path:
    root = tmp / "book"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("render")
    root = _copy_fixture(tmp)
    (root / "versions.json").write_text(
        json.dumps(
            {
                "latest": {"version": "1.2.3", "path": "./"},
                "versions": [{"version": "1.1.0", "path": "v1.1.0/"}],
            }
        )
    )
    out = tmp / "site"
    mp = pytest.MonkeyPatch()
    mp.setenv("IVIG_CHARTS_DIR", str(out / "charts"))
    try:
        from analysis.render import read_versions

        ctx = PageContext(
            CTX.version, CTX.commit, CTX.generated, read_versions(root / "versions.json")
        )
        render_project(root, out, ctx, progress=lambda _m: None)
    finally:
        mp.undo()
    return out


def _main(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return text[text.index("<main") : text.index("</main>")]


# -- the site ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_page_exists_with_navigation(site: Path) -> None:
    pages = ["index.html", "chapters/one.html", "chapters/two.html"]
    for rel in pages:
        text = (site / rel).read_text(encoding="utf-8")
        assert '<nav class="sidebar"' in text
        # the sidebar links every chapter, relative to this page
        for target in pages:
            href = (
                Path(target).relative_to(Path(rel).parent)
                if rel.startswith("chapters") and target.startswith("chapters")
                else None
            )
            expected = (
                str(href) if href else (("../" + target) if rel.startswith("chapters") else target)
            )
            assert f'href="{expected}"' in text, (rel, expected)
    one = (site / "chapters/one.html").read_text()
    assert 'rel="prev" href="../index.html"' in one
    assert 'rel="next" href="two.html"' in one
    assert '<a href="one.html" aria-current="page">' in one
    assert "<title>First chapter – Fixture Book</title>" in one


@pytest.mark.slow
def test_inline_expressions_show_their_values(site: Path) -> None:
    assert "The answer is 42," in _main(site / "chapters/one.html")
    assert "Total is 15." in _main(site / "chapters/two.html")
    assert "has 5 chapters" in _main(site / "index.html")
    assert "{python}" not in (site / "chapters/one.html").read_text()
    # an inline expression inside a code block is shown, not evaluated
    assert "The value is `{python} 1 / 0`." in html.unescape(_main(site / "chapters/two.html"))


@pytest.mark.slow
def test_echo_and_stdout(site: Path) -> None:
    two = _main(site / "chapters/two.html")
    assert "total = sum([3, 7, 5])" in html.unescape(two)  # echo: true shows the code
    assert "total events: 15" in two  # stdout
    one = _main(site / "chapters/one.html")
    assert "import altair" not in one  # project default echo: false


@pytest.mark.slow
def test_cross_references_resolve_within_and_across_pages(site: Path) -> None:
    two = _main(site / "chapters/two.html")
    assert '<a href="one.html#fig-bars">Figure 1.1</a>' in two
    assert '<a href="one.html#tbl-events">Table 1.1</a>' in two
    index = _main(site / "index.html")
    assert '<a href="chapters/one.html#sec-method">Section 1.1</a>' in index
    one = _main(site / "chapters/one.html")
    assert 'id="fig-bars"' in one and "Figure 1.1: Events by study" in one
    assert 'id="tbl-events"' in one and "Table 1.1: Events per study" in one
    assert 'id="sec-method"' in one
    assert '<span class="header-section-number">1.1</span> Method' in one
    assert "@fig" not in one + two + index


@pytest.mark.slow
def test_citations_resolve_to_the_bibliography(site: Path) -> None:
    one = _main(site / "chapters/one.html")
    assert 'data-cites="Smith2001"' in one
    assert 'Smith (<a href="#ref-Smith2001"' in one
    assert 'id="ref-Smith2001"' in one and "A Trial of Something" in one


@pytest.mark.slow
def test_callouts(site: Path) -> None:
    one = _main(site / "chapters/one.html")
    note = re.search(
        r'<div class="callout callout-note" role="note">(.*?)</div>\s*</div>', one, re.S
    )
    assert note and "A titled note" in note.group(1) and "Callout body text." in note.group(1)
    assert '<div class="callout callout-warning" role="note">' in one
    warning = one[one.index("callout-warning") :]
    assert re.search(r'callout-title">\s*Warning\s*<', warning)


@pytest.mark.slow
def test_chart_is_a_valid_vega_lite_spec_with_text_alternative(site: Path) -> None:
    spec_path = site / "charts" / "fixture-bars.vl.json"
    spec = json.loads(spec_path.read_text())
    schema_file = Path(alt.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(spec, schema)
    mark = spec["mark"]
    assert (mark["type"] if isinstance(mark, dict) else mark) == "bar"
    one = (site / "chapters/one.html").read_text()
    inline = re.search(
        r'<script type="application/json" id="chart-fixture-bars-spec">(.*?)</script>', one, re.S
    )
    assert inline and json.loads(inline.group(1)) == spec
    assert (
        '<div id="chart-fixture-bars" class="ivig-chart" role="img" aria-label="Bar chart '
        'of events by study: B has the most (7)."><div id="chart-fixture-bars-view"'
    ) in one
    assert 'vegaEmbed("#chart-fixture-bars-view"' in one
    assert "<summary>Data behind the chart</summary>" in one


@pytest.mark.slow
def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    assert offsite_references(site) == []
    for page in site.rglob("*.html"):
        text = page.read_text()
        for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', text) + re.findall(
            r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', text
        ):
            assert not re.match(r"(https?:)?//", src), (page, src)
            assert (page.parent / src).resolve().is_file(), (page, src)
    # the chart loader points at the vendored bundle, which the site serves
    one = (site / "chapters/one.html").read_text()
    assert 's.src="../analysis/assets/vega/vega-bundle.min.js"' in one
    assert (site / "analysis/assets/vega/vega-bundle.min.js").stat().st_size > 500_000


@pytest.mark.slow
def test_version_menu_and_footer(site: Path) -> None:
    one = (site / "chapters/one.html").read_text()
    menu = one[one.index('<details class="version-menu"') :]
    menu = menu[: menu.index("</details>")]
    assert "Version 1.2.3" in menu
    assert '<a href="../v1.1.0/">1.1.0</a>' in menu
    assert '<a href="../">1.2.3 (latest)</a>' in menu
    assert "1.2.3 (this version)" in menu
    # the menu is refreshed in the browser from the published versions.json
    assert 'data-version="1.2.3" data-site-root="../"' in menu
    assert '<script src="../analysis/assets/versions.js" defer></script>' in one
    assert "built from commit <code>abcdef012345</code> on 2026-11-25" in one
    assert 'href="https://github.com/example/fixture/edit/main/chapters/one.qmd"' in one
    assert "https://github.com/example/fixture/issues/new?title=" in one


@pytest.mark.slow
def test_pdf_has_title_page_chapters_and_vector_chart(site: Path) -> None:
    reader = pypdf.PdfReader(io.BytesIO((site / "fixture-book.pdf").read_bytes()))
    first = reader.pages[0].extract_text()
    assert "Fixture Book" in first
    assert "Version 1.2.3" in first and "25 November 2026" in first
    assert "Cite as:" in first and "Test Author. Fixture Book. Version 1.2.3" in first
    assert "DOI not yet assigned" in first
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "The answer is 42" in text
    assert "Smith (2001)" in text and "A Trial of Something" in text
    assert "Figure 1.1: Events by study" in text
    assert "See Section 1.1 for the method" in text
    # the chart is vector: its axis title is text in the PDF, not pixels
    chart_page = next(p for p in reader.pages if "Figure 1.1: Events by study" in p.extract_text())
    assert "events" in chart_page.extract_text() and "study" in chart_page.extract_text()
    assert not any(
        "/Image" in str(p.get("/Resources", {}).get("/XObject", {})) for p in reader.pages
    )


# -- failures ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_raising_cell_names_chapter_cell_and_line(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    two = root / "chapters" / "two.qmd"
    two.write_text(two.read_text() + "\n```{python}\n#| label: broken\n1 / 0\n```\n")
    with pytest.raises(RenderError) as info:
        render_project(root, tmp_path / "out", CTX, pdf=False, progress=lambda _m: None)
    msg = str(info.value)
    assert "chapters/two.qmd:" in msg and "cell 'broken'" in msg
    assert "ZeroDivisionError" in msg


def test_unknown_cross_reference_is_an_error(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    (root / "index.qmd").write_text("# Welcome {.unnumbered}\n\nSee @fig-missing.\n")
    from analysis.render.project import load_project
    from analysis.render.xref import Book

    project = load_project(root)
    docs = [(ch, parse_qmd(root / ch.source)) for ch in project.chapters]
    book: Book = number_book(docs)
    with pytest.raises(RefError, match="@fig-missing"):
        book.resolve("See @fig-missing.", "index.html", "index.qmd:3")
    # a citation is not a cross-reference and an e-mail address is neither
    assert book.resolve("[@Smith2001] a@fig-x.org", "index.html", "x") == "[@Smith2001] a@fig-x.org"


def test_quarto_syntax_the_embedded_renderer_lacks_fails_the_render_naming_it(
    tmp_path: Path,
) -> None:
    """One source, two renderers: a construct only Quarto renders is refused by name."""
    root = _copy_fixture(tmp_path)
    two = root / "chapters" / "two.qmd"
    two.write_text(
        two.read_text()
        + "\n::: {.panel-tabset}\n## A\n:::\n\n{{< include other.qmd >}}\n\n"
        + "```{python}\n#| layout-ncol: 2\nx = 1\n```\n"
    )
    with pytest.raises(RenderError) as info:
        render_project(root, tmp_path / "out", CTX, pdf=False, progress=lambda _m: None)
    msg = str(info.value)
    assert "does not support" in msg
    for named in ("div class .panel-tabset", "shortcode {{< include >}}", "'layout-ncol'"):
        assert named in msg, msg
    assert "chapters/two.qmd:" in msg and str(root) not in msg


def test_the_book_uses_only_syntax_both_renderers_support() -> None:
    from analysis.render import check_syntax, load_project

    root = Path(__file__).resolve().parents[2]
    check_syntax([parse_qmd(root / ch.source) for ch in load_project(root).chapters], root)


# -- pieces -----------------------------------------------------------------------------------
def test_cell_options_and_inline_expressions_are_parsed(tmp_path: Path) -> None:
    path = tmp_path / "x.qmd"
    path.write_text(
        '---\ntitle: "T"\n---\n\nA `{python} 1 + 1` b.\n\n```{python}\n'
        '#| label: fig-a\n#| fig-cap: "Cap: with colon"\n#| echo: true\nx = 1\n```\n'
        "\n````markdown\n```{python}\nnot a cell\n```\n````\n"
    )
    doc = parse_qmd(path)
    assert doc.meta == {"title": "T"}
    cells = doc.cells
    assert len(cells) == 1
    assert cells[0].options == {"label": "fig-a", "fig-cap": "Cap: with colon", "echo": True}
    assert cells[0].code == "x = 1" and cells[0].line == 7


def test_chart_mimebundle_has_html_svg_and_text_alternative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVIG_CHARTS_DIR", str(tmp_path / "charts"))
    frame = pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})
    chart = Chart("t-chart", alt.Chart(frame).mark_point().encode(x="x", y="y"), alt="Two points.")
    bundle = chart._repr_mimebundle_()
    assert bundle["text/plain"] == "[Chart: Two points.]"
    assert "alt.Chart" not in bundle["text/plain"]
    assert bundle["image/svg+xml"].lstrip().startswith("<svg")
    assert 'role="img" aria-label="Two points."' in bundle["text/html"]
    assert "cdn" not in bundle["text/html"].lower() and "http" not in bundle["text/html"].replace(
        "https://vega.github.io/schema", ""
    )
    assert json.loads((tmp_path / "charts" / "t-chart.vl.json").read_text())["mark"]
    with pytest.raises(ValueError, match="text alternative"):
        Chart("x", alt.Chart(frame).mark_point(), alt=" ")
    with pytest.raises(ValueError, match="chart name"):
        Chart("Bad Name", alt.Chart(frame).mark_point(), alt="a")


def test_markdown_table_aligns_numbers_and_escapes_pipes() -> None:
    md = table(pd.DataFrame({"name": ["a|b", None], "n": [1, 2]}))._repr_markdown_()
    assert md.splitlines() == ["| name | n |", "|:---|---:|", "| a\\|b | 1 |", "|  | 2 |"]


def test_vendored_vega_bundle_matches_installed_vl_convert() -> None:
    bundle = ROOT / "analysis" / "assets" / "vega" / "vega-bundle.min.js"
    with bundle.open(encoding="utf-8") as fh:
        assert fh.readline().rstrip("\n") == bundle_header()
    assert f"Vega-Lite {vl_version()}" in bundle_header()


@pytest.mark.slow
def test_links_to_other_chapters(site: Path) -> None:
    two = _main(site / "chapters/two.html")
    assert '<a href="one.html">the first chapter</a>' in two
    assert '<a href="one.html#sec-method">its method</a>' in two


@pytest.mark.slow
def test_cell_options_include_output_eval_asis(site: Path) -> None:
    two = html.unescape(_main(site / "chapters/two.html"))
    assert "HIDDEN-INCLUDE" not in two and "HIDDEN-OUTPUT" not in two
    assert "A value from a hidden cell: 99." in two  # include: false still runs
    assert 'raise RuntimeError("never run")' in two  # eval: false, echo: true: shown, not run
    assert "<strong>bold from asis</strong>" in two


@pytest.mark.slow
def test_a_citation_missing_from_the_bibliography_is_an_error(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    (root / "index.qmd").write_text("# Welcome {.unnumbered}\n\nAs @Nobody1999 said.\n")
    with pytest.raises(
        RenderError,
        match=r"index.qmd: citation key\(s\) not in the bibliography: "
        r"Nobody1999",
    ):
        render_project(root, tmp_path / "out", CTX, pdf=False, progress=lambda _m: None)


@pytest.mark.parametrize(("offset", "number"), [("", "1"), ("number-offset: [1]\n", "1.1")])
def test_the_home_pages_figures_are_numbered_as_quarto_numbers_them(
    tmp_path: Path, offset: str, number: str
) -> None:
    """Quarto numbers the home page's figures without its chapter number (Figure 1),
    unless the page sets number-offset (Figure 1.1, as in the PDF)."""
    from analysis.render.project import load_project

    root = _copy_fixture(tmp_path)
    (root / "index.qmd").write_text(
        f'---\ntitle: "Home"\n{offset}---\n\n![Bars](b.png){{#fig-home}}\n\nSee @fig-home.\n'
    )
    project = load_project(root)
    book = number_book([(ch, parse_qmd(root / ch.source)) for ch in project.chapters])
    resolved = book.resolve("See @fig-home.", "index.html", "index.qmd:7")
    assert resolved == f"See [Figure {number}](#fig-home)."
