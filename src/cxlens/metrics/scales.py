"""Where each metric's answers count as "high" and "low": promoters/detractors, top-2/bottom-2 box, low/high effort.

One place for the thresholds, so the raw aggregation (`cxlens.metrics.experience.cells`) and the stored rollup of
sufficient statistics (`cxlens.metrics.rollup`) count the same answers as high and low.
"""

from __future__ import annotations

from cxlens.stats import DETRACTOR_MAX, PROMOTER_MIN

# metric -> (score >= high counts as "high", score <= low counts as "low").
THRESHOLDS: dict[str, tuple[float, float]] = {
    "nps": (PROMOTER_MIN, DETRACTOR_MAX),  # promoters 9-10, detractors 0-6 (cxlens.stats.nps)
    "csat": (4, 2),     # top-2-box 4-5, bottom-2-box 1-2
    "ces": (5, 3),      # low effort 5-7 (easy), high effort 1-3
    "expectation": (4, 2),
}

__all__ = ["THRESHOLDS"]
