"""What the chapters import: results, tables, charts and sentences, computed once per kernel.

A chapter holds prose and short calls such as ``site.forest("placebo")`` or
`` `{python} site.effect("placebo")` ``; it never computes. Everything here
reads the results bundle (:func:`bundle`, the same dict that the build
writes to ``results.json``), never ``data/``: the register's rows, the search and
surveillance records, the published results and the outcomes are sections of the bundle
(:mod:`analysis.report.data_sections`), so the build validates the data once, however many
chapter kernels it runs. Everything is cached, so a whole book costs one computation.

Inline helpers return ``IPython.display.Markdown`` so that Quarto and the
embedded renderer both treat their output as Markdown (pooled numbers carry a
``.result`` span with their bundle key). Block helpers return ``Markdown``
too (tables as pipe tables); chart helpers return :class:`analysis.report.chart_display.Chart`.

The API lives in modules named for what they hold: :mod:`.loading`, :mod:`.numbers`,
:mod:`.tables`, :mod:`.register`, :mod:`.methods`, :mod:`.figures`, :mod:`.pages`,
:mod:`.certainty`; this package re-exports them, so a chapter still does
``from analysis.report import chapters as site`` and calls ``site.X(...)``.
"""

from __future__ import annotations

__all__ = [
    "bundle",
    "comparison",
    "effect",
    "forest",
    "root",
    "studies",
]


from analysis.report.chapters.certainty import (  # noqa: F401
    CERTAINTY_WORDS,
    DOMAIN_WORDS,
    RATING_WORDS,
    certainty_label,
    certainty_methods,
    conclusion_cell,
    findings_md,
    findings_rows,
    findings_table,
    first_screen,
    headline_certainty,
    model_lines,
    plain_language,
    pool_sentence,
    published_beside,
    small_study_withheld,
    why_different,
)
from analysis.report.chapters.completeness import (  # noqa: F401
    choice_of_outcome_table,
    completeness_lines,
    completeness_note,
    completeness_sentence,
    completeness_table,
    harms_rows,
    harms_table,
    outcomes_table,
    protocol_md,
    row_trials,
    stands_on,
)
from analysis.report.chapters.few_trials import (  # noqa: F401
    few_trials,
    few_trials_chart,
    few_trials_md,
)
from analysis.report.chapters.figures import (  # noqa: F401
    cumulative,
    forest,
    forest_other,
    funnel,
    leave_one_out,
    n_rows,
    other_outcomes,
    prisma,
    rob_assessed,
    rob_rows,
    rob_sentence,
    rob_summary,
    rob_traffic_light,
    sensitivity_chart,
    summary_forest,
)
from analysis.report.chapters.loading import (  # noqa: F401
    COMPARISON_KEYS,
    bundle,
    comparison,
    label,
    last_searched,
    new_trials,
    primary_rows,
    register_counts,
    result,
    root,
    search_record,
    studies,
    unavailable,
)
from analysis.report.chapters.methods import (  # noqa: F401
    TAU2_REFERENCES,
    last_searched_md,
    methods,
    methods_deviations,
    methods_review,
)
from analysis.report.chapters.numbers import (  # noqa: F401
    effect,
    generated,
    heterogeneity,
    k,
    pi,
    released,
    this_citation,
    trials,
    version,
    version_label,
)
from analysis.report.chapters.pages import (  # noqa: F401
    bibtex,
    changelog,
    chart_files,
    citation_downloads,
    cite_as,
    cite_block,
    conclusion,
    conclusions_table,
    contribute_links,
    data_dictionary,
    doi_line,
    pdf_link,
    pdf_name,
    people_block,
    register_sentence,
    repository_file,
    ris,
    sensitivity_section,
    small_study_warning,
    source_review,
    source_review_name,
)
from analysis.report.chapters.register import (  # noqa: F401
    _link,
    _missing,
    _safe_url,
    contribute_url,
    contributing_url,
    register_evidence,
    register_table,
    repository,
)
from analysis.report.chapters.surveillance import methods_surveillance  # noqa: F401
from analysis.report.chapters.tables import (  # noqa: F401
    published,
    published_table,
    sensitivity_table,
    small_study,
    studies_table,
    subgroup_table,
    summary,
    tau2_table,
)
