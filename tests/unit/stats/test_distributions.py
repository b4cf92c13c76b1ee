"""stats.distributions gives scipy.stats' figures (it calls the same kernels without importing scipy.stats)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cxlens.stats.distributions import NORMAL_CRITICAL, chi2_sf, normal_critical, normal_quantile, normal_sf, t_quantile, t_sf

X = np.array([-4.0, -1.96, -0.3, 0.0, 0.5, 1.2816, 2.5, 7.0])
P = np.array([1e-6, 0.025, 0.3, 0.5, 0.9, 0.975, 0.999])
DF = np.array([1.0, 2.5, 9.0, 30.0, 1000.0])


def test_normal():
    assert normal_quantile(P) == pytest.approx(stats.norm.ppf(P), rel=1e-12)
    assert normal_sf(X) == pytest.approx(stats.norm.sf(X), rel=1e-12)
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054)  # the textbook 95% z


@pytest.mark.parametrize("df", DF)
def test_student_t(df):
    assert t_quantile(P, df) == pytest.approx(stats.t.ppf(P, df), rel=1e-9)
    assert t_sf(X, df) == pytest.approx(stats.t.sf(X, df), rel=1e-9)


def test_student_t_published_quantile():
    assert t_quantile(0.975, 10) == pytest.approx(2.228, abs=5e-4)  # t table, 10 df, two-sided 5%


@pytest.mark.parametrize("df", [1, 2, 7, 40])
def test_chi_square(df):
    x = np.array([0.0, 0.5, 3.84, 12.0, 80.0])
    assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-9)
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05)


@pytest.mark.parametrize("level", sorted(NORMAL_CRITICAL))
def test_normal_critical_constants_are_ndtri_bit_for_bit(level):
    from scipy.special import ndtri

    assert normal_critical(level) == float(ndtri(0.5 + level / 2))  # exact: the constant replaces the call


def test_normal_critical_other_levels_computed():
    from scipy.special import ndtri

    assert normal_critical(0.93) == float(ndtri(0.5 + 0.93 / 2))
    assert normal_critical(0.93) == pytest.approx(1.811910673)  # z table, two-sided 93%
