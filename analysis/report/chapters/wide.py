"""A figure shown in two layouts: drawn as printed where the column is wide enough, and
stacked (each row's text above its interval) where it is not (a phone, a narrow window).

The page holds both views; the stylesheet shows one by the width of their container (a CSS
container query, ``.ivig-responsive`` in ``styles.scss`` and ``analysis/assets/site.css``),
so nothing is clipped and nothing needs a sideways scroll at any width. The PDF takes the
wide view (``image/svg+xml``). The data behind the chart follows both views once, as a
table a screen reader reads cell by cell.
"""

from __future__ import annotations

import html
from typing import Any

#: the width (CSS px) from which the wide view is shown: the wide chart's drawn width
#: (the forest's 910 px plus Vega's padding) and a little room
WIDE_FROM_PX = 940


def data_table(frame: Any, caption: str) -> str:
    """The data behind a chart as an HTML table in a ``<details>`` element (cells escaped)."""
    table = frame.to_html(index=False, border=0, classes="chart-data", na_rep="")
    cap = f"<caption>{html.escape(caption)}</caption>"
    table = table.replace(">", ">" + cap, 1) if "<table" in table else table
    return (
        '<details class="chart-data"><summary>Data behind the chart (a table)</summary>'
        f"{table}</details>"
    )


def responsive(wide: Any, narrow: Any, notes: tuple[str, ...], table: Any, caption: str) -> Any:
    """A display object with the wide chart, the stacked chart and the data table.

    *wide* and *narrow* are :class:`analysis.report.chart_display.Chart` objects without
    data; *notes* are lines shown as text under the stacked view.
    """

    class _Responsive(type(wide)):  # type: ignore[misc]
        """The wide chart (its name, spec and printed copy), shown with its stacked twin."""

        def __init__(self) -> None:
            self.__dict__.update(wide.__dict__)
            self.wide = wide  # the two layouts, for callers that want one of them
            self.narrow = narrow

        def save_spec(self, directory=None):
            narrow.save_spec(directory)
            return wide.save_spec(directory)

        def to_html(self) -> str:
            note_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
            return (
                '<div class="ivig-responsive">'
                f'<div class="view-wide">{wide.to_html()}</div>'
                f'<div class="view-narrow">{narrow.to_html()}'
                + (f'<ul class="forest-notes">{note_html}</ul>' if notes else "")
                + "</div>"
                + (data_table(table, caption) if table is not None and len(table) else "")
                + "</div>"
            )

        def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
            self.save_spec()
            return {
                "text/html": self.to_html(),
                "image/svg+xml": wide.to_svg(),
                "text/plain": f"[Chart: {wide.alt}]",
            }

    return _Responsive()
