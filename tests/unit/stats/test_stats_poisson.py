"""Log-link rate models on cells and the E-value."""

from __future__ import annotations

import numpy as np
import pytest

from cxlens.stats.poisson import aliased, e_value, e_value_bound, fit_rate


def test_e_value_matches_vanderweele_ding_worked_example():
    # VanderWeele & Ding 2017 (Ann Intern Med 167:268), breastfeeding example: RR 3.9 -> E-value 7.26,
    # lower confidence limit 1.8 -> 3.0.
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value_bound(1.8, 8.4) == pytest.approx(3.0, abs=0.005)
    # a protective ratio is inverted; an interval that includes 1 gives 1
    assert e_value(1 / 3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value_bound(0.8, 1.3) == 1.0


def test_saturated_rate_model_gives_the_cell_rates():
    # with one dummy per group the fitted rates are the raw rates sum(y) / sum(n) of each group
    X = np.array([[0, 0], [1, 0], [0, 1], [1, 0]], dtype=float)
    y = np.array([3.0, 10.0, 4.0, 6.0])
    n = np.array([100.0, 200.0, 50.0, 100.0])
    model = fit_rate(X, y, n, ["b", "c"])
    assert np.exp(model.intercept) == pytest.approx(0.03, rel=1e-6)
    assert np.exp(model.coef[0]) == pytest.approx((16 / 300) / 0.03, rel=1e-6)
    assert model.predict([[0, 1]])[0] == pytest.approx(4 / 50, rel=1e-6)


def test_rate_model_recovers_planted_rate_ratios_with_cluster_robust_interval():
    rng = np.random.default_rng(0)
    n_cust, months = 3000, 12
    x = rng.integers(0, 2, n_cust)
    frailty = rng.gamma(2.0, 0.5, n_cust)  # customers differ: months of one customer are correlated
    rate = 0.05 * np.exp(np.log(2.0) * x) * frailty
    y = rng.poisson(np.repeat(rate, months)).reshape(n_cust, months).sum(axis=1).astype(float)
    cy = np.zeros((n_cust, 2)); cn = np.zeros((n_cust, 2))
    cy[np.arange(n_cust), x] = y
    cn[np.arange(n_cust), x] = months
    model = fit_rate(np.array([[0.0], [1.0]]), cy.sum(0), cn.sum(0), ["x"], cluster_y=cy, cluster_n=cn)
    se = model.se()[0]
    assert abs(model.coef[0] - np.log(2.0)) < 1.96 * se
    # brute force: the variance of the log ratio from per-customer totals (delta method) is close to the sandwich
    r1, r0 = y[x == 1].sum() / (months * (x == 1).sum()), y[x == 0].sum() / (months * (x == 0).sum())
    v = (y[x == 1] / months).var(ddof=1) / (x == 1).sum() / r1**2 + (y[x == 0] / months).var(ddof=1) / (x == 0).sum() / r0**2
    assert se == pytest.approx(np.sqrt(v), rel=0.02)


def test_aliased_columns_are_named():
    X = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 1], [0, 0, 0]], dtype=float)
    notes = aliased(np.column_stack([X, np.ones(4)]), np.ones(4), ["a", "b", "c", "d"])
    assert notes[:2] == [None, None]
    assert notes[2] is None or "linear combination" in notes[2]
    assert notes[3] == "does not vary in the data"


def test_all_zero_outcome_is_refused():
    with pytest.raises(ValueError, match="zero in every row"):
        fit_rate(np.array([[0.0], [1.0]]), np.zeros(2), np.ones(2))
