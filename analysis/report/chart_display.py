"""Showing a chart or a table in a chapter, the same way under Quarto and the embedded renderer.

:class:`Chart` wraps an Altair chart. Its Jupyter mimebundle carries

* ``text/html``: a ``<div role="img" aria-label=ALT>`` drawn by vega-embed, with the
  Vega-Lite spec inline and the scripts (Vega, Vega-Lite, vega-embed in one bundle)
  loaded from the site itself (``analysis/assets/vega/vega-bundle.min.js``,
  relative to the page), never from a CDN; the data behind the chart in a
  ``<details>`` table;
* ``image/svg+xml``: a vector copy made by vl-convert, which Quarto's Typst/PDF
  output and the embedded renderer's PDF take (this avoids the ``alt.Chart(...)``
  text that Altair's default output gives in PDF formats, Quarto issue 10571);
* ``text/plain``: the text alternative.

Each chart's Vega-Lite JSON is also saved as ``charts/NAME.vl.json`` in the
site. Where: the directory named by the ``IVIG_CHARTS_DIR`` environment
variable (``python -m analysis build`` sets it for both renderers); without it,
``_site/charts`` of the project containing the working directory (found by its
``_quarto.yml``); outside a project, nowhere.

:func:`table` shows a DataFrame as a Markdown pipe table (``text/markdown``),
which both renderers and both formats read the same way.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from analysis import escape

__all__ = ["Chart", "Markdown", "VEGA_BUNDLE", "charts_dir", "table", "vl_version"]

#: The Vega + Vega-Lite + vega-embed bundle, relative to the site root.
VEGA_BUNDLE = "analysis/assets/vega/vega-bundle.min.js"

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def vl_version() -> str:
    """The Vega-Lite minor version Altair targets, as vl-convert names it (e.g. ``6.4``)."""
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def _project_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "_quarto.yml").is_file():
            return folder
    return None


def charts_dir() -> Path | None:
    """Where chart specs are saved (see the module docstring)."""
    env = os.environ.get("IVIG_CHARTS_DIR")
    if env:
        return Path(env)
    root = _project_root(Path.cwd())
    return root / "_site" / "charts" if root else None


def _site_prefix() -> str:
    """Relative URL from the page being rendered (the working directory) to the site root."""
    root = _project_root(Path.cwd())
    if root is None:
        return ""
    rel = os.path.relpath(root, Path.cwd())
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"


def _json_for_script(obj: Any) -> str:
    """A spec inlined in ``<script type="application/json">``: :func:`analysis.escape.json_html`
    (``<``, ``>``, ``&``, U+2028/U+2029 as ``\\u`` escapes, so a trial's ``<!--`` or
    ``</script>`` stays text and the spec stays valid JSON)."""
    return escape.json_html(obj, sort_keys=True, separators=(",", ":"))


class Markdown:
    """Markdown text shown as such by both renderers (``text/markdown``)."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return escape.markdown(value)


def table(
    frame: pd.DataFrame, *, index: bool = False, align: dict[str, str] | None = None
) -> Markdown:
    """A DataFrame as a Markdown pipe table; numbers are right-aligned.

    Values are shown as ``str(value)``: format numbers before calling.
    ``align`` maps column names to ``"left"``, ``"right"`` or ``"center"``.
    """
    frame = frame.reset_index() if index else frame
    cols = [str(c) for c in frame.columns]
    marks = {"left": ":---", "right": "---:", "center": ":---:"}
    rule = []
    for name, col in zip(cols, frame.columns, strict=True):
        side = (align or {}).get(name) or (
            "right" if pd.api.types.is_numeric_dtype(frame[col]) else "left"
        )
        rule.append(marks[side])
    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |", "|" + "|".join(rule) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return Markdown("\n".join(lines))


class Chart:
    """An Altair chart with a name, a text alternative and, optionally, the data behind it.

    Parameters
    ----------
    name:
        File-safe name (lower case, digits, hyphens), unique in the site: the spec is
        saved as ``charts/NAME.vl.json`` and the element's id is ``chart-NAME``.
    chart:
        The Altair chart.
    alt:
        Text alternative: what the chart shows, in a sentence or two.
    data:
        The table behind the chart, shown under it in a ``<details>`` element.
    """

    def __init__(
        self, name: str, chart: alt.TopLevelMixin, alt: str, data: pd.DataFrame | None = None
    ):
        if not _NAME.match(name):
            raise ValueError(f"chart name must match {_NAME.pattern}: {name!r}")
        if not alt or not alt.strip():
            raise ValueError(f"chart {name!r}: a text alternative (alt) is required")
        self.name = name
        self.chart = chart
        self.alt = alt.strip()
        self.data = data
        self._spec: dict[str, Any] | None = None

    def spec(self) -> dict[str, Any]:
        """The Vega-Lite spec, validated against the schema Altair ships."""
        if self._spec is None:
            spec = self.chart.to_dict(validate=True)
            spec.setdefault("description", self.alt)
            self._spec = spec
        return self._spec

    def save_spec(self, directory: Path | None = None) -> Path | None:
        """Write ``NAME.vl.json`` into ``directory`` (default :func:`charts_dir`)."""
        directory = directory if directory is not None else charts_dir()
        if directory is None:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.vl.json"
        text = json.dumps(self.spec(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if path.exists() and path.read_text(encoding="utf-8") != text:
            raise ValueError(f"two different charts are named {self.name!r} ({path})")
        path.write_text(text, encoding="utf-8")
        return path

    def to_svg(self) -> str:
        """A vector copy of the chart (vl-convert)."""
        import vl_convert as vlc

        return vlc.vegalite_to_svg(self.spec(), vl_version=vl_version())

    def to_html(self) -> str:
        """The interactive view: a div, the inline spec, and a loader for the local bundle."""
        ident = f"chart-{self.name}"
        src = _site_prefix() + VEGA_BUNDLE
        alt_text = html.escape(self.alt, quote=True)
        parts = [
            '<div class="ivig-chart-wrap">',
            # vega-embed sets its own role on the element it draws into, so it draws into an
            # inner div; the outer one carries the text alternative as an image's name
            f'<div id="{ident}" class="ivig-chart" role="img" aria-label="{alt_text}">'
            f'<div id="{ident}-view" class="ivig-chart-view"></div></div>',
            f'<script type="application/json" id="{ident}-spec">{_json_for_script(self.spec())}'
            "</script>",
            "<script>(function(){var w=window;"
            f"if(!w.ivigVega){{w.ivigVega=new Promise(function(ok,no){{"
            'var s=document.createElement("script");'
            f"s.src={escape.json_html(src)};s.onload=ok;s.onerror=no;document.head.appendChild(s);}});}}"
            "w.ivigVega.then(function(){"
            f"var el=document.getElementById({escape.json_html(ident + '-spec')});"
            "var spec=JSON.parse(el.textContent);"
            f"return w.vegaEmbed({escape.json_html('#' + ident + '-view')},spec,"
            '{actions:false,renderer:"svg"});'
            "}).catch(function(e){console.error(e);});})();</script>",
        ]
        if self.data is not None:
            table_html = self.data.to_html(index=False, border=0, classes="chart-data", na_rep="")
            parts.append(
                f'<details class="chart-data"><summary>Data behind the chart'
                f"</summary>{table_html}</details>"
            )
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        self.save_spec()
        return {
            "text/html": self.to_html(),
            "image/svg+xml": self.to_svg(),
            "text/plain": f"[Chart: {self.alt}]",
        }

    def __repr__(self) -> str:
        return f"Chart({self.name!r}: {self.alt})"
