"""Pure statistics on small arrays: intervals, tests and corrections, NPS, regression, weighting.

Analyses aggregate in the engine and hand the few resulting numbers per cell to these functions.
Nothing here knows about stores, tables or cxlens errors: bad arguments raise ValueError.
"""

from cxlens.stats.intervals import Interval, mean_sd, t_interval, wilson, z_value
from cxlens.stats.nps import (
    DETRACTOR_MAX, NPS_METHODS, PROMOTER_MIN, is_detractor, is_promoter, nps_contribution, nps_counts,
    nps_difference_test, nps_from_counts, nps_interval, nps_variance,
)
from cxlens.stats.regression import OLSResult, cluster_moments, moment_matrix, ols, ols_from_moments
from cxlens.stats.tests import Difference, Heterogeneity, benjamini_hochberg, heterogeneity, welch_test, z_test
from cxlens.stats.weighting import kish_effective_n, poststratify, rake

__all__ = [
    "DETRACTOR_MAX", "Difference", "Heterogeneity", "Interval", "NPS_METHODS", "OLSResult", "PROMOTER_MIN",
    "benjamini_hochberg", "cluster_moments", "heterogeneity", "is_detractor", "is_promoter", "kish_effective_n",
    "mean_sd", "moment_matrix", "nps_contribution", "nps_counts", "nps_difference_test", "nps_from_counts",
    "nps_interval", "nps_variance", "ols", "ols_from_moments", "poststratify", "rake", "t_interval",
    "welch_test", "wilson", "z_test", "z_value",
]
