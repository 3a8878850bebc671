"""The charts of the book, each with its text alternative and data table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.display import Markdown

from analysis.report import chapters as site
from analysis.report import text
from analysis.report.chapters.loading import (
    COMPARISON_KEYS,
    PRINT_WIDTH,
    bundle,
    bundle_mod,
    charts,
    comparison,
    data_mod,
    label,
    last_searched,
    pd,
    primary_rows,
    register_counts,
    result,
    unavailable,
)
from analysis.report.chapters.tables import _sensitivity_rows

if TYPE_CHECKING:
    from analysis.stats.results import MetaAnalysis

# --------------------------------------------------------------------------- charts


def _show(fig: charts.Figure) -> Any:
    """Wrap a figure in the site's display object.

    The web view follows its container (``width="container"``); the printed copy
    (``image/svg+xml`` for the PDF) gets :data:`PRINT_WIDTH` instead, since a page
    has no container to measure.
    """
    from analysis.report import chart_display as display

    class _Chart(display.Chart):
        def to_svg(self) -> str:
            import vl_convert as vlc

            spec = dict(self.spec())
            if spec.get("width") == "container":
                spec["width"] = PRINT_WIDTH
            return vlc.vegalite_to_svg(spec, vl_version=display.vl_version())

        def to_html(self) -> str:
            # vega-embed makes its element inline-block, which has no width of its own, so a
            # chart of width "container" would be drawn 0 px wide: give the element the
            # width of its column.
            html = super().to_html()
            opening = f'id="chart-{self.name}" class="ivig-chart"'
            # a plot wider than its column (the RevMan-style forest plot) scrolls sideways
            # inside this element: keyboard users reach it too (tabindex, WCAG 2.1.1)
            return html.replace(
                opening, opening + ' style="display:block;width:100%" tabindex="0"', 1
            )

    if fig.narrow is not None:  # two layouts, one shown by the column's width
        from analysis.report.chapters.wide import responsive

        return responsive(
            _Chart(fig.name.replace("_", "-"), fig.chart, fig.alt),
            _Chart(fig.narrow.name.replace("_", "-"), fig.narrow.chart, fig.narrow.alt),
            fig.notes,
            fig.table,
            fig.alt,
        )
    return _Chart(fig.name.replace("_", "-"), fig.chart, fig.alt, fig.table)


def _names(name: str) -> dict[str, str]:
    """Trial id -> "Author Year", the label readers know a trial by (as the forest plot)."""
    from analysis.report.charts.forest import _author_year

    rows = primary_rows(name)
    return {
        str(r["study_id"]): _author_year(r, str(r["study_id"])) for r in rows.to_dict("records")
    }


def summary_forest() -> Any:
    """Summary forest plot of the home page: each comparison's primary relative effect."""
    return _show(
        charts.summary_forest(
            {c: comparison(c) for c in COMPARISON_KEYS},
            labels={c: label(c) for c in COMPARISON_KEYS},
            name="summary-forest",
        )
    )


def _analysis(name: str) -> MetaAnalysis | None:
    """A comparison's primary analysis, typed (decoded once per bundle entry by
    :func:`analysis.report.chapters.loading.result`); None without one."""
    c = result(name)
    return None if c is None else c.analysis


def forest(name: str) -> Any:
    """Forest plot of a comparison's primary analysis, subgroups by disease."""
    a = _analysis(name)
    if a is None:
        return forest_other(name)
    return _show(
        charts.forest(a, primary_rows(name), by=bundle()["methods"]["by"], name=f"forest-{name}")
    )


def other_outcomes(name: str) -> MetaAnalysis | None:
    """The analysis of all outcome types of a comparison (what exists without a primary one)."""
    c = result(name)
    sens = c.sensitivity if c is not None else unavailable(name).sensitivity
    return sens.all_outcome_types


def forest_other(name: str) -> Any:
    """Forest plot of the trials with other outcome types, or a plain statement if none."""
    alt_entry = other_outcomes(name)
    if alt_entry is None:
        return Markdown(
            f"_No trial of IVIG versus {label(name).lower()} has counts for any outcome yet, "
            "so there is nothing to plot._"
        )
    rows = data_mod.included(
        site.studies(), name, outcome_types=bundle_mod._all_outcome_types(site.studies())
    )
    return _show(
        charts.forest(
            alt_entry,
            rows,
            by=bundle()["methods"]["by"],
            name=f"forest-{name}-all-outcomes",
        )
    )


def funnel(name: str) -> Any:
    """Contour-enhanced funnel plot of a comparison."""
    return _show(charts.funnel(_analysis(name), name=f"funnel-{name}"))


def cumulative(name: str) -> Any:
    """Cumulative meta-analysis by year."""
    return _show(charts.cumulative(_analysis(name), name=f"cumulative-{name}", names=_names(name)))


def leave_one_out(name: str) -> Any:
    """Leave-one-out analysis."""
    return _show(
        charts.leave_one_out(_analysis(name), name=f"leave-one-out-{name}", names=_names(name))
    )


def sensitivity_chart(name: str) -> Any:
    """The pooled effect under each sensitivity analysis."""
    e = comparison(name)
    if e is None:
        raise ValueError(f"sensitivity_chart: no trial in the primary analysis of {name!r}")
    rows = [r for r in _sensitivity_rows(name) if r["k"] > 0 and "estimate" in r]
    return _show(charts.sensitivity(rows, e["measure"], name=f"sensitivity-{name}"))


def rob_rows() -> pd.DataFrame:
    """Trials with counts (the ones analysed somewhere), with their RoB 2 judgements."""
    df = site.studies()
    keep = df["status"].astype(str).isin(bundle_mod.PRIMARY.statuses)
    return df.loc[keep].sort_values(["comparator", "year", "study_id"]).reset_index(drop=True)


def rob_traffic_light() -> Any:
    """Risk-of-bias traffic-light plot of the trials with counts."""
    return _show(charts.rob_traffic_light(rob_rows()))


def rob_summary() -> Any:
    """Risk-of-bias summary plot of the trials with counts."""
    return _show(charts.rob_summary(rob_rows()))


def rob_assessed() -> int:
    """How many trials with counts have an overall RoB 2 judgement."""
    return int((rob_rows()["rob_overall"].map(charts.rob_level) != "not_assessed").sum())


def rob_sentence() -> Markdown:
    """``2 of 8 trials with counts have an overall judgement``."""
    rows = rob_rows()
    return Markdown(
        f"{rob_assessed()} of {text.count(len(rows), 'trial')} with counts "
        f"{'has' if rob_assessed() == 1 else 'have'} an overall judgement"
    )


def prisma() -> Any:
    """PRISMA 2020-style flow drawn from the register."""
    from analysis.report.chapters.surveillance import surveillance_flow

    flow = {**register_counts(), "last_searched": last_searched()}
    return _show(charts.prisma({**flow, "surveillance": surveillance_flow()}))


def n_rows() -> int:
    """Rows in the register."""
    return len(site.studies())
