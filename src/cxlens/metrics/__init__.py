"""Experience and outcome metrics with honest statistics: every figure with n, an interval and a flag.

Analyses are Ibis expressions over `store.table(...)`, so they run unchanged on DuckDB, Spark and
PostgreSQL; the engine aggregates, NumPy/SciPy compute the statistics on the small result.
"""

from cxlens.metrics.compare import compare_cells
from cxlens.metrics.experience import ces_by, csat_by, nps_by
from cxlens.metrics.gaps import consistency, delivery_gap, expectation_gap
from cxlens.metrics.outcomes import outcomes_by
from cxlens.metrics.scorecard import scorecard
from cxlens.metrics.weighting import weighting_report

__all__ = [
    "ces_by", "compare_cells", "consistency", "csat_by", "delivery_gap", "expectation_gap",
    "nps_by", "outcomes_by", "scorecard", "weighting_report",
]
