"""Experience and outcome metrics with honest statistics: every figure with n, an interval and a flag.

Analyses are Ibis expressions over `store.table(...)`, so they run unchanged on DuckDB, Spark and
PostgreSQL; the engine aggregates, NumPy/SciPy compute the statistics on the small result.

The names below are imported on first use (`from cxlens.metrics import nps_by` imports the experience metrics, not
the ticket outcomes or the gaps): architecture D37.
"""

from typing import TYPE_CHECKING

from cxlens._exports import export_lazily

if TYPE_CHECKING:
    from cxlens.metrics.compare import compare_cells
    from cxlens.metrics.experience import ces_by, csat_by, experience_by, nps_by
    from cxlens.metrics.gaps import consistency, delivery_gap, expectation_gap
    from cxlens.metrics.outcomes import outcomes_by
    from cxlens.metrics.scorecard import scorecard
    from cxlens.metrics.weighting import weighting_report

_EXPORTS = {
    "compare_cells": "compare", "ces_by": "experience", "csat_by": "experience", "nps_by": "experience",
    "experience_by": "experience",
    "consistency": "gaps", "delivery_gap": "gaps", "expectation_gap": "gaps", "outcomes_by": "outcomes",
    "scorecard": "scorecard", "weighting_report": "weighting",
}
export_lazily(__name__, _EXPORTS)

__all__ = [
    "ces_by", "compare_cells", "consistency", "csat_by", "delivery_gap", "expectation_gap", "experience_by",
    "nps_by", "outcomes_by", "scorecard", "weighting_report",
]
