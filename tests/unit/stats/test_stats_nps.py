"""NPS classification, adjusted-Wald interval and difference test."""

from __future__ import annotations

import numpy as np
import pytest

from cxlens import stats as st


def test_promoters_are_9_and_10_and_detractors_0_to_6():
    """Reichheld (2003), "The One Number You Need to Grow", HBR: 9-10 promoters, 7-8 passives, 0-6 detractors."""
    scores = np.arange(11)
    assert list(np.flatnonzero(st.is_promoter(scores))) == [9, 10]
    assert list(np.flatnonzero(st.is_detractor(scores))) == [0, 1, 2, 3, 4, 5, 6]
    assert list(st.nps_contribution([0, 6, 7, 8, 9, 10, np.nan])[:6]) == [-100, -100, 0, 0, 100, 100]
    assert np.isnan(st.nps_contribution([np.nan])[0])


def test_nps_from_counts_and_the_mean_contribution_agree():
    scores = np.array([10, 9, 9, 8, 7, 6, 3, 0, 10, np.nan])
    n, pro, det = st.nps_counts(scores)
    assert (n, pro, det) == (9, 4, 3)
    assert st.nps_from_counts(n, pro, det)[0] == pytest.approx(100 / 9)
    assert np.nanmean(st.nps_contribution(scores)) == pytest.approx(100 / 9)
    assert np.isnan(st.nps_from_counts(0, 0, 0)[0])


def test_adjusted_wald_interval_follows_lewis_and_sauros_recipe_on_a_hand_worked_example():
    """Lewis & Sauro (2021), MeasuringU "Confidence intervals for Net Promoter Scores" (after Rocks 2016,
    The American Statistician 70:4): add 3 to n and 3/4 to promoters and detractors. Worked by hand for
    n = 50, 25 promoters, 10 detractors: n' = 53, p' = 25.75/53 = 0.48585, d' = 10.75/53 = 0.20283,
    NPS' = 0.28302, var = (0.48585 + 0.20283 - 0.28302²)/53 = 0.011483, se = 0.10716, half-width
    1.96 x 0.10716 = 0.21002: interval 7.30 to 49.30 (the plain NPS is 30)."""
    low, high = st.nps_interval(50, 25, 10)
    assert (low[0], high[0]) == pytest.approx((7.30, 49.30), abs=0.01)
    center, var = st.nps_variance(50, 25, 10)
    assert center[0] == pytest.approx(0.28302, abs=1e-5) and var[0] == pytest.approx(0.011483, abs=1e-6)


def test_adjusted_wald_interval_keeps_width_where_wald_collapses():
    """Rocks (2016): at an extreme score (all promoters) the Wald interval has zero width."""
    wald = st.nps_interval(20, 20, 0, "wald")
    adjusted = st.nps_interval(20, 20, 0)
    assert wald.low[0] == wald.high[0] == 100
    assert adjusted.low[0] < 85 and adjusted.high[0] == 100


def test_nps_difference_test_reports_the_plain_difference_and_the_adjusted_interval():
    res = st.nps_difference_test(100, 50, 20, 100, 40, 30)
    assert res.difference[0] == pytest.approx(20.0)
    e1, v1 = st.nps_variance(100, 50, 20)
    e2, v2 = st.nps_variance(100, 40, 30)
    half = 1.959964 * np.sqrt(v1[0] + v2[0])
    assert res.low[0] == pytest.approx(100 * (e1[0] - e2[0] - half), abs=1e-4)


def test_unknown_interval_method_and_bad_level_are_refused_with_value_errors():
    with pytest.raises(ValueError, match="adjusted-wald"):
        st.nps_interval(10, 5, 2, "exact")
    with pytest.raises(ValueError, match="level"):
        st.nps_interval(10, 5, 2, level=95)
