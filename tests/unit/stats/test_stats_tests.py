"""Tests and corrections against published worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from cxlens import stats as st


def test_benjamini_hochberg_rejects_four_of_the_fifteen_p_values_of_the_1995_paper():
    """Benjamini & Hochberg (1995), JRSS B 57:289, section 4.2: 15 p-values of a clinical trial; at
    q = 0.05 the step-up procedure rejects the 4 smallest (Bonferroni only 3)."""
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
         0.6528, 0.7590, 1.000]
    q = st.benjamini_hochberg(p)
    assert list(q < 0.05) == [True] * 4 + [False] * 11
    assert (np.asarray(p) < 0.05 / 15).sum() == 3


def test_welch_test_matches_r_on_students_sleep_data():
    """Student (1908), Biometrika 6:1, the sleep data (Cushny & Peebles): extra hours of sleep with two
    drugs. R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p-value = 0.07939,
    95% CI -3.3654832 to 0.2054832 (R's documented example output)."""
    a = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
    b = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    res = st.welch_test(a.mean(), a.std(ddof=1), 10, b.mean(), b.std(ddof=1), 10)
    assert res.statistic[0] == pytest.approx(-1.8608, abs=5e-5)
    assert res.p_value[0] == pytest.approx(0.07939, abs=5e-6)
    assert (res.low[0], res.high[0]) == pytest.approx((-3.3654832, 0.2054832), abs=5e-8)


def test_welch_test_from_summary_statistics_matches_a_textbook_example():
    """A two-sample exercise with summaries only: n = 20, mean 100, s = 15 vs n = 20, mean 95, s = 20
    gives SE = sqrt(31.25) = 5.59, t = 0.895 and Welch-Satterthwaite df = 35.2 (p > 0.05)."""
    res = st.welch_test(100, 15, 20, 95, 20, 20)
    assert res.statistic[0] == pytest.approx(0.894, abs=1e-3)
    df = 31.25**2 / ((15**2 / 20) ** 2 / 19 + (20**2 / 20) ** 2 / 19)
    assert df == pytest.approx(35.2, abs=0.05)
    assert 0.3 < res.p_value[0] < 0.4


BCG = np.array([  # Colditz et al. (1994), JAMA 271:698: BCG vaccine trials (tpos, tneg, cpos, cneg)
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619], [33, 5036, 47, 5761],
    [180, 1361, 372, 1079], [8, 2537, 10, 619], [505, 87886, 499, 87892], [29, 7470, 45, 7232],
    [17, 1699, 65, 1600], [186, 50448, 141, 27197], [5, 2493, 3, 2338], [27, 16886, 29, 17825],
], dtype=float)


def test_heterogeneity_matches_the_published_dersimonian_laird_analysis_of_the_bcg_trials():
    """The BCG vaccine meta-analysis (Colditz et al. 1994; Viechtbauer 2010, J Stat Softw 36(3), the
    metafor paper): log risk ratios of 13 trials, random-effects model with the DerSimonian-Laird
    estimator: Q(df = 12) = 152.2330, tau² = 0.3088, I² = 92.12%."""
    a, b, c, d = BCG.T
    y = np.log((a / (a + b)) / (c / (c + d)))
    v = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    h = st.heterogeneity(y, v)
    assert h.q == pytest.approx(152.2330, abs=5e-5) and h.df == 12
    assert h.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert 100 * h.i2 == pytest.approx(92.12, abs=5e-3)
    assert h.p_value < 1e-4


def test_heterogeneity_of_fewer_than_two_groups_is_undefined():
    assert np.isnan(st.heterogeneity([1.0], [0.1]).q)


def test_z_test_of_a_difference_of_1_96_standard_errors_has_p_of_5_percent():
    res = st.z_test(1.96, 1.0)
    assert res.p_value[0] == pytest.approx(0.05, abs=1e-4) and res.low[0] == pytest.approx(0.0, abs=1e-3)
