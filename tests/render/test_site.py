"""The built site, as a reader gets it: pages, numbers equal to the bundle, charts, PDF.

Reads the site the embedded renderer builds with the README's command
(``python -m analysis build --engine embedded --out TMP``), the same build the browser
suite uses (built once per session; the browser suite also tests Quarto's).
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import altair as alt
import jsonschema
import pytest
from pypdf import PdfReader

from analysis.report import text

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "index.html",
    *(
        f"chapters/{p}.html"
        for p in (
            "methods",
            "placebo",
            "plasma-exchange",
            "corticosteroids",
            "sensitivity",
            "small-study",
            "risk-of-bias",
            "register",
            "downloads",
            "cite",
            "changelog",
        )
    ),
]
SCHEMA = json.loads(
    (Path(alt.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json").read_text()
)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from tests.browser.conftest import site_of

    return site_of("embedded", tmp_path_factory)


@pytest.fixture(scope="module")
def results(site) -> dict:
    return json.loads((site / "results.json").read_text(encoding="utf-8"))


class _Marks(HTMLParser):
    """Collects ``<span class="result" data-key=K>TEXT</span>``, chart specs and external refs."""

    def __init__(self):
        super().__init__()
        self.marks: list[tuple[str, str]] = []
        self.specs: dict[str, str] = {}
        self.external: list[str] = []
        self._key: str | None = None
        self._spec: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and "result" in (a.get("class") or "").split() and a.get("data-key"):
            self._key, self._buf = a["data-key"], []
        if (
            tag == "script"
            and a.get("type") == "application/json"
            and (a.get("id") or "").endswith("-spec")
        ):
            self._spec, self._buf = a["id"], []
        url = None
        if tag == "script" and a.get("src"):
            url = a["src"]
        if tag == "link" and "stylesheet" in (a.get("rel") or "") and a.get("href"):
            url = a["href"]
        if tag in ("img", "iframe") and a.get("src"):
            url = a["src"]
        if url and re.match(r"^(https?:)?//", url):
            self.external.append(f"<{tag}> {url}")

    def handle_data(self, data):
        if self._key is not None or self._spec is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "span" and self._key is not None:
            self.marks.append((self._key, "".join(self._buf)))
            self._key = None
        if tag == "script" and self._spec is not None:
            self.specs[self._spec] = "".join(self._buf)
            self._spec = None


def _parse(path: Path) -> _Marks:
    p = _Marks()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _lookup(obj, key: str):
    cur = obj
    for part in key.split("."):
        assert isinstance(cur, dict) and part in cur, f"{key}: no {part!r} in the bundle"
        cur = cur[part]
    return cur


def test_every_page_exists(site):
    for page in PAGES:
        assert (site / page).is_file(), page
    assert (site / "data" / "studies.csv").is_file()
    assert (site / "results.json").is_file()


def test_every_shown_pooled_number_equals_the_bundle(site, results):
    seen = set()
    for page in PAGES:
        for key, shown in _parse(site / page).marks:
            value = _lookup(results, key)
            digits = len(shown.split(".")[1]) if "." in shown else 0
            assert shown == text.num(value, digits), f"{page}: {key} shows {shown}, bundle {value}"
            seen.add(key)
    # the headline figures are marked where they are shown
    placebo = results["comparisons"]["placebo"]
    if placebo is not None:
        model = placebo["summary"]["model"]
        for part in ("estimate", "ci_low", "ci_high"):
            assert f"comparisons.placebo.{model}.{part}" in seen
    assert len(seen) >= 10


def test_charts_are_valid_vega_lite(site):
    specs = {}
    for page in PAGES:
        for ident, raw in _parse(site / page).specs.items():
            specs[ident] = json.loads(raw)
    assert len(specs) >= 7, sorted(specs)
    for ident, spec in specs.items():
        errors = list(VALIDATOR.iter_errors(spec))
        assert not errors, f"{ident}: {errors[0].message}"
    files = sorted((site / "charts").glob("*.vl.json"))
    assert {f.name.removesuffix(".vl.json") for f in files} == {
        i.removeprefix("chart-").removesuffix("-spec") for i in specs
    }
    for f in files:
        assert not list(VALIDATOR.iter_errors(json.loads(f.read_text(encoding="utf-8")))), f


def test_download_links_resolve(site):
    page = (site / "chapters" / "downloads.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="(\.\./[^"#]+)"', page)
    assert any(h.endswith("results.json") for h in hrefs)
    assert any(h.endswith(".pdf") for h in hrefs)
    assert any(h.endswith(".vl.json") for h in hrefs)
    for h in hrefs:
        assert (site / "chapters" / h).resolve().is_file(), h


def test_nothing_loads_from_another_host(site):
    for page in PAGES:
        assert _parse(site / page).external == [], page


def test_pdf_has_version_and_headline(site, results):
    pdfs = sorted(site.glob("*.pdf"))
    assert len(pdfs) == 1
    reader = PdfReader(str(pdfs[0]))
    body = " ".join(page.extract_text() or "" for page in reader.pages)
    flat = re.sub(r"\s+", " ", body)
    from analysis.report import version

    if version.release_at_head(ROOT) is None:
        assert "Development version, not yet released" in flat
    else:
        assert f"Version {results['version']}, released" in flat
    placebo = results["comparisons"]["placebo"]
    r = (
        placebo[placebo["summary"]["model"]]
        if "." not in placebo["summary"]["model"]
        else (placebo["common"]["mh"])
    )
    headline = text.effect(placebo["measure"], r["estimate"], r["ci_low"], r["ci_high"])
    assert headline in flat, headline
