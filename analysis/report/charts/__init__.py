"""Altair charts built from result objects.

Each builder takes a result (a ``MetaAnalysis`` or its ``to_dict()``
serialisation as found in the results bundle, plus the study rows where a
chart needs labels such as the disease) and returns a :class:`Figure`: the
Altair chart, a text alternative for screen readers and the PDF, and the data
table behind the chart. Nothing here computes a statistic: every figure drawn
is read from the result.

Design choices shared by all charts:

* the Okabe-Ito palette (safe for the common colour-vision deficiencies),
  with a glyph beside colour wherever colour carries meaning (risk of bias);
* ratio measures on a log axis around 1;
* ``width="container"`` so the web view follows the page (readable at 375 px);
  the display wrapper gives the printed copy a fixed width;
* a tooltip on every study mark.

References
----------
Lewis S, Clarke M (2001). Forest plots: trying to see the wood and the trees.
*BMJ* 322:1479-80.
Peters JL et al. (2008). Contour-enhanced meta-analysis funnel plots help
distinguish publication bias from other causes of asymmetry.
*J Clin Epidemiol* 61:991-6.
Page MJ et al. (2021). The PRISMA 2020 statement. *BMJ* 372:n71.
McGuinness LA, Higgins JPT (2021). Risk-of-bias VISualization (robvis).
*Res Synth Methods* 12:55-61.
Okabe M, Ito K (2008). Color Universal Design (CUD).

The charts live in one module per kind: :mod:`.axes` (what every chart shares),
:mod:`.forest`, :mod:`.summary_forest`, :mod:`.intervals` (cumulative, leave-one-out,
sensitivity), :mod:`.funnel`, :mod:`.rob`, :mod:`.prisma`; this package re-exports them.
"""

from __future__ import annotations

from analysis.report import text  # noqa: F401 (charts.text, as before the split)
from analysis.report.charts.axes import (  # noqa: F401
    FONT,
    GRID,
    INK,
    OKABE_ITO,
    ROB_LEVELS,
    ROB_SHORT,
    ROW_PX,
    Figure,
)
from analysis.report.charts.forest import (  # noqa: F401
    FOREST_COLS,
    FOREST_FONT,
    FOREST_ROW,
    FOREST_WIDTH,
    forest,
)
from analysis.report.charts.funnel import (  # noqa: F401
    CONTOURS,
    funnel,
)
from analysis.report.charts.intervals import (  # noqa: F401
    cumulative,
    leave_one_out,
    sensitivity,
)
from analysis.report.charts.prisma import (  # noqa: F401
    prisma,
)
from analysis.report.charts.rob import (  # noqa: F401
    rob_level,
    rob_summary,
    rob_traffic_light,
)
from analysis.report.charts.summary_forest import (  # noqa: F401
    NO_TRIAL,
    SUMMARY_FONT,
    SUMMARY_ROW,
    summary_forest,
)
