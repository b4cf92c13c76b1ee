"""Intervals and tests against published worked examples and brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cxlens import stats as st


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Stat Med 17:857, Table II, example (a)
    (15, 148, 0.0624, 0.1605),  # example (b)
    (0, 20, 0.0000, 0.1611),    # example (c)
    (1, 29, 0.0061, 0.1718),    # example (d)
])
def test_wilson_interval_matches_newcombe_1998_worked_examples(k, n, low, high):
    lo, hi = st.wilson(k, n)
    assert lo[0] == pytest.approx(low, abs=5e-5) and hi[0] == pytest.approx(high, abs=5e-5)


def test_wilson_interval_covers_about_95_percent_where_wald_fails():
    rng = np.random.default_rng(3)
    p, n = 0.05, 40
    k = rng.binomial(n, p, 20000)
    lo, hi = st.wilson(k, np.full_like(k, n))
    assert 0.93 <= np.mean((lo <= p) & (p <= hi)) <= 0.98


def test_mean_interval_from_sums_matches_scipy_t_interval_on_raw_scores():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, 57).astype(float)
    mean, sd = st.mean_sd(len(x), x.sum(), (x**2).sum())
    lo, hi = st.t_interval(mean, sd, len(x))
    ref = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (lo[0], hi[0]) == pytest.approx(ref)
    assert sd[0] == pytest.approx(x.std(ddof=1))


def test_welch_test_matches_scipy_on_raw_scores():
    rng = np.random.default_rng(9)
    a, b = rng.normal(3.9, 0.8, 40), rng.normal(3.5, 1.3, 70)
    res = st.welch_test(a.mean(), a.std(ddof=1), 40, b.mean(), b.std(ddof=1), 70)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert res.statistic[0] == pytest.approx(ref.statistic)
    assert res.p_value[0] == pytest.approx(ref.pvalue)


def test_nps_difference_test_has_nominal_false_positive_rate_when_nothing_changed():
    rng = np.random.default_rng(11)
    shares, n1, n2 = (0.4, 0.35, 0.25), 150, 90
    a, b = rng.multinomial(n1, shares, 20000), rng.multinomial(n2, shares, 20000)
    res = st.nps_difference_test(n1, a[:, 0], a[:, 2], n2, b[:, 0], b[:, 2])
    assert 0.035 <= np.mean(res.p_value < 0.05) <= 0.065


def test_nps_difference_interval_matches_bootstrap_of_the_difference():
    rng = np.random.default_rng(12)
    x = rng.choice([1, 0, -1], 300, p=[0.5, 0.3, 0.2])
    y = rng.choice([1, 0, -1], 200, p=[0.35, 0.35, 0.3])
    boot = 100 * (x[rng.integers(0, 300, (4000, 300))].mean(1) - y[rng.integers(0, 200, (4000, 200))].mean(1))
    res = st.nps_difference_test(300, (x == 1).sum(), (x == -1).sum(), 200, (y == 1).sum(), (y == -1).sum())
    assert res.difference[0] == pytest.approx(100 * (x.mean() - y.mean()))
    assert res.low[0] == pytest.approx(np.quantile(boot, 0.025), abs=2)
    assert res.high[0] == pytest.approx(np.quantile(boot, 0.975), abs=2)


def test_benjamini_hochberg_matches_brute_force_definition():
    rng = np.random.default_rng(2)
    p = np.r_[rng.uniform(0, 0.01, 5), rng.uniform(0, 1, 25), np.nan]
    q = st.benjamini_hochberg(p)
    ok = ~np.isnan(p)
    m = ok.sum()
    brute = [min(pj * m / np.sum(p[ok] <= pj) for pj in p[ok] if pj >= pi) for pi in p[ok]]
    assert np.allclose(q[ok], np.minimum(brute, 1))
    assert np.allclose(q[ok], stats.false_discovery_control(p[ok]))
    assert np.isnan(q[-1])


def test_heterogeneity_q_and_tau2_match_direct_dersimonian_laird_formulas():
    y, v = np.array([3.2, 3.9, 4.1, 3.5]), np.array([0.01, 0.02, 0.015, 0.03])
    h = st.heterogeneity(y, v)
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    assert h.q == pytest.approx(q)
    assert h.tau2 == pytest.approx((q - 3) / (w.sum() - (w**2).sum() / w.sum()))
    assert h.p_value == pytest.approx(stats.chi2.sf(q, 3))
    assert 0 < h.i2 < 1


def test_heterogeneity_test_keeps_its_size_when_groups_are_identical():
    rng = np.random.default_rng(4)
    rejections = 0
    for _ in range(2000):
        n = rng.integers(20, 200, 6)
        means = rng.normal(3.8, 1.0 / np.sqrt(n))
        rejections += st.heterogeneity(means, 1.0 / n).p_value < 0.05
    assert 0.035 <= rejections / 2000 <= 0.065


def test_bootstrap_nps_interval_is_reproducible_and_contains_the_estimate():
    a = st.nps_interval([200], [90], [40], "bootstrap", seed=1)
    b = st.nps_interval([200], [90], [40], "bootstrap", seed=1)
    assert a == b and a.low[0] < 25 < a.high[0]


def test_unknown_nps_interval_method_is_refused():
    with pytest.raises(ValueError, match="adjusted-wald"):
        st.nps_interval(10, 5, 2, "exact")


def test_paired_difference_matches_fagerland_2017_worked_example():
    # Fagerland, Lydersen & Laake (2017), Statistical Analysis of Contingency Tables, ch. 8: complete response
    # before and after consolidation therapy (Cavo et al. 2012), Newcombe square-and-add: -0.0621 (-0.1186 to -0.0046)
    from cxlens.stats.intervals import paired_difference

    lo, hi = paired_difference(59, 6, 16, 80)
    assert (lo[0], hi[0]) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


def test_paired_difference_covers_about_95_percent_of_correlated_pairs():
    from cxlens.stats.intervals import paired_difference

    rng = np.random.default_rng(11)
    n, reps = 300, 4000
    first = rng.random((reps, n)) < 0.80
    second = np.where(rng.random((reps, n)) < 0.7, first, rng.random((reps, n)) < 0.76)  # correlated with first
    truth = 0.80 - (0.7 * 0.80 + 0.3 * 0.76)
    a, b = (first & second).sum(1), (first & ~second).sum(1)
    c, d = (~first & second).sum(1), (~first & ~second).sum(1)
    lo, hi = paired_difference(a, b, c, d)
    assert 0.93 <= np.mean((lo <= truth) & (truth <= hi)) <= 0.975
    assert np.all(hi - lo < 2 * 1.96 * np.sqrt(0.5 / n))  # narrower than two independent samples would give
