"""JSON in HTML escaped as JSON (issue 25 item 3): every chart of the site, with hostile
text in every field, inlines a spec that ends nowhere early and parses to itself.

The measured reproducer: ``<!--`` in a trial's author made the placebo forest plot's
inline JSON invalid (``<\\!--``), so the chart disappeared. Now every ``<``, ``>``, ``&``,
U+2028 and U+2029 in an inlined spec is a ``\\uXXXX`` escape (:func:`analysis.escape.json_html`).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import escape
from analysis.report.chart_display import Chart
from tests.hostile.corpus import copy_data, rows, write_rows

ROOT = Path(__file__).resolve().parents[2]
TRICKS = ["<!--", "-->", "</script>", "<script>", "</SCRIPT >", "\u2028", "\u2029", "&amp;", "<"]
HOSTILE_AUTHOR = "Hughes <!-- </script><script>alert(1)</script> &lt; \u2028x\u2029"

#: Text columns of studies.csv that can reach a chart (labels, tooltips, data tables).
TEXT_COLUMNS = ("author", "population", "outcome_definition", "timepoint", "notes", "rob_source")


class _Scripts(HTMLParser):
    """The script elements of a chart's HTML, with their text as the browser reads it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[dict, str]] = []
        self._open: dict | None = None
        self._text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open, self._text = dict(attrs), []

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.scripts.append((self._open, "".join(self._text)))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)


def _check_html(chart: Chart) -> None:
    page = chart.to_html()
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    specs = [t for a, t in parser.scripts if a.get("type") == "application/json"]
    assert len(parser.scripts) == 2 and len(specs) == 1, parser.scripts
    assert parser.comments == []
    text = specs[0]
    assert re.search("[<>&\u2028\u2029]", text) is None
    assert json.loads(text) == chart.spec()


@pytest.fixture(scope="module")
def hostile_charts(tmp_path_factory) -> list[Chart]:
    """Every chart of the chapters, from a copy of data/ with hostile text in each text
    column of every row (the bundle computed once)."""
    from analysis.report import chapters
    from analysis.report.results_bundle import compute

    project = tmp_path_factory.mktemp("charts")
    data = copy_data(project / "data")
    (project / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    header, table = rows(data)
    for r in table:
        for col in TEXT_COLUMNS:
            if col in r and (r[col] or col == "author"):
                r[col] = HOSTILE_AUTHOR if col == "author" else r[col] + " <!-- </script>"
    write_rows(data, header, table)
    bundle = compute(project)
    results = project / "results.json"
    results.write_text(json.dumps(bundle), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    made_charts: list[Chart] = []  # every Chart the chapters make, wrapped or not
    init = Chart.__init__

    def record(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made_charts.append(self)

    mp.setattr(Chart, "__init__", record)
    mp.setenv("IVIG_ROOT", str(project))
    mp.setenv("IVIG_RESULTS", str(results))
    mp.setenv("IVIG_CHARTS_DIR", str(project / "charts"))
    chapters.bundle.cache_clear()
    chapters.studies.cache_clear()
    try:
        made = [chapters.summary_forest(), chapters.prisma()]
        made += [chapters.rob_traffic_light(), chapters.rob_summary()]
        for name in ("placebo", "plasma_exchange", "corticosteroid"):  # as the chapters call
            made.append(chapters.forest(name))
        for f in ("funnel", "cumulative", "leave_one_out", "sensitivity_chart", "forest_other"):
            made.append(getattr(chapters, f)("placebo"))
        for shown in made:  # the display objects as a page gets them: every script valid
            page = shown._repr_mimebundle_()["text/html"]
            parser = _Scripts()
            parser.feed(page)
            for attrs, text in parser.scripts:
                if attrs.get("type") == "application/json":
                    assert re.search("[<>&\u2028\u2029]", text) is None
                    json.loads(text)
            assert parser.scripts and parser.comments == []
        charts = list(made_charts)
        for c in charts:
            c.spec()  # computed while the hostile project is the one loaded
    finally:
        chapters.bundle.cache_clear()
        chapters.studies.cache_clear()
        mp.undo()
    return charts


def test_every_chart_of_the_hostile_data_inlines_valid_json(hostile_charts):
    assert len(hostile_charts) >= 8
    placebo = next(c for c in hostile_charts if c.name.startswith("forest-placebo"))
    reached = json.dumps(placebo.spec(), ensure_ascii=False)
    assert "Hughes <!-- </script><script>alert" in reached  # it reached a label
    for chart in hostile_charts:
        _check_html(chart)


class _Spec:
    """A chart whose spec is given (to put hostile text into every field of a real one)."""

    def __init__(self, spec: dict) -> None:
        self._spec = spec

    def to_dict(self, validate: bool = True) -> dict:
        return self._spec


def _every_string(value, text: str):
    if isinstance(value, str):
        return value + text
    if isinstance(value, dict):
        return {k: _every_string(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_every_string(v, text) for v in value]
    return value


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.one_of(
        st.lists(st.sampled_from(TRICKS + ["a", " ", '"', "\\", "'"]), max_size=8).map("".join),
        st.text(max_size=20),
    )
)
def test_property_hostile_text_in_every_field_of_every_chart(hostile_charts, text):
    for chart in hostile_charts:
        spec = _every_string(chart.spec(), text)
        _check_html(Chart(chart.name, _Spec(spec), chart.alt + text or "x"))  # type: ignore[arg-type]


def test_json_html_escapes_and_round_trips():
    value = {"a": "</script><!-- & \u2028\u2029 >", "<k>": [1, 2.5, None, True]}
    text = escape.json_html(value, sort_keys=True)
    assert re.search("[<>&\u2028\u2029]", text) is None
    assert json.loads(text) == value
    assert "\\u003c/script\\u003e\\u003c!--" in text
