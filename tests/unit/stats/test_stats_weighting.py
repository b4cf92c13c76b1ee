"""Post-stratification, raking and Kish's effective sample size."""

from __future__ import annotations

import numpy as np
import pytest

from cxlens import stats as st


def test_poststratified_answers_have_the_population_mix_and_weights_average_one():
    """Holt & Smith (1979), JRSS A 142:33: w_h = (N_h/N)/(n_h/n)."""
    sample, population = np.array([60.0, 30.0, 10.0]), np.array([200.0, 500.0, 300.0])
    w = st.poststratify(sample, population)
    assert sample * w / (sample * w).sum() == pytest.approx(population / population.sum())
    assert (sample * w).sum() == pytest.approx(sample.sum())
    assert w == pytest.approx([0.2 / 0.6, 0.5 / 0.3, 0.3 / 0.1])


def test_raking_a_two_by_two_table_meets_both_margins_and_keeps_the_odds_ratio():
    """Deming & Stephan (1940), Ann Math Stat 11:427; Mosteller (1968), JASA 63:1: iterative proportional
    fitting keeps the table's cross-product ratio, so the raked 2x2 table is the unique one with the
    target margins and the sample's odds ratio, found here by solving that quadratic directly."""
    n = np.array([40.0, 10.0, 20.0, 30.0])  # cells (r0c0, r0c1, r1c0, r1c1)
    rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    r_target, c_target = np.array([30.0, 70.0]), np.array([55.0, 45.0])  # population margins (sum 100 = n)
    w = st.rake(n, [rows, cols], [r_target, c_target], tol=1e-13)
    m = n * w
    theta = (40 * 30) / (10 * 20)
    # x = m00 solves x (R1 - C0 + x) = theta (R0 - x)(C0 - x)
    a, b, c = 1 - theta, r_target[1] - c_target[0] + theta * (r_target[0] + c_target[0]), -theta * 30 * 55
    x = [r for r in np.roots([a, b, c]) if 0 < r < 30][0]
    assert m == pytest.approx([x, 30 - x, 55 - x, 70 - 55 + x], rel=1e-8)
    assert (m[0] * m[3]) / (m[1] * m[2]) == pytest.approx(theta)


def test_raking_with_independent_margins_equals_poststratification():
    """When sample and population share their interaction (here: both tables are products of their
    margins), raking to the margins reproduces the joint population mix: it equals post-stratification."""
    n = np.array([10.0, 20.0, 30.0, 60.0])
    rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    pop = np.outer([0.3, 0.7], [0.6, 0.4]).ravel() * 1000
    raked = st.rake(n, [rows, cols], [np.array([300.0, 700.0]), np.array([600.0, 400.0])], tol=1e-13)
    assert raked == pytest.approx(st.poststratify(n, pop), rel=1e-8)


def test_kish_effective_n_is_n_over_one_plus_the_relvariance_of_the_weights():
    """Kish (1965), Survey Sampling, §11.7 (and Kish 1992, J Off Stat 8:183): deff = 1 + L with L the
    relvariance of the weights; half the answers weighted 1 and half 3: L = 0.25, n_eff = n/1.25."""
    w = np.r_[np.ones(50), np.full(50, 3.0)]
    n_eff = st.kish_effective_n(w.sum(), (w**2).sum())
    assert n_eff == pytest.approx(100 / 1.25)
    assert n_eff == pytest.approx(len(w) / (1 + w.var() / w.mean() ** 2))
    assert st.kish_effective_n(0.0, 0.0) == 0.0


def test_bad_counts_are_refused_with_value_errors():
    with pytest.raises(ValueError, match="every stratum needs answers"):
        st.poststratify([0.0, 5.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="codes for dimension 0"):
        st.rake([1.0, 2.0], [np.array([0, 2])], [np.array([1.0, 1.0])])
