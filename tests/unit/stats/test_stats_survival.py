"""Survival statistics against R survival's published figures, brute force and hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.stats.kaplan_meier import kaplan_meier
from cxlens.stats.survival import cox_time_varying, proportional_hazards_test

ROSSI = Path(__file__).parents[2] / "data" / "rossi.csv"
COLS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="module")
def rossi():
    return pd.read_csv(ROSSI)


def fit(d, cols, **kw):
    return cox_time_varying(np.zeros(len(d)), d.week, d.arrest, d[cols].to_numpy(float), names=cols, **kw)


def test_rossi_cox_matches_r_coxph_published_figures(rossi):
    # Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival Data in R" (appendix to An R Companion
    # to Applied Regression, 2nd ed., 2011), summary(mod.allison): coef, se(coef), z; likelihood ratio test 33.27
    # on 7 df. Coefficients to 7 places as printed by R for the same file (lifelines' test suite).
    f = fit(rossi, COLS)
    assert f.coef == pytest.approx([-0.3794222, -0.0574377, 0.3138998, -0.1497957, -0.4337039, -0.0848711, 0.0914971], abs=1e-6)
    assert f.se == pytest.approx([0.19138, 0.02200, 0.30799, 0.21222, 0.38187, 0.19576, 0.02865], abs=6e-6)
    assert f.coef / f.se == pytest.approx([-1.983, -2.611, 1.019, -0.706, -1.136, -0.434, 3.194], abs=6e-4)
    null = cox_time_varying(np.zeros(len(rossi)), rossi.week, rossi.arrest, rossi[COLS].to_numpy(float), max_iter=0)
    assert 2 * (f.log_likelihood - null.log_likelihood) == pytest.approx(33.27, abs=0.005)


def test_rossi_ph_test_matches_r_cox_zph_published_table(rossi):
    # Fox & Weisberg (2011) appendix, cox.zph(mod.allison.4) for Surv(week, arrest) ~ fin + age + prio
    # (survival 2.x, transform 'km'): rho / chisq / p per covariate and GLOBAL 7.13046 on 3 df, p 0.0679.
    cols = ["fin", "age", "prio"]
    f = fit(rossi, cols)
    z = proportional_hazards_test(np.zeros(len(rossi)), rossi.week, rossi.arrest, rossi[cols].to_numpy(float), f)
    assert z.rho == pytest.approx([-0.00657, -0.20976, -0.08004], abs=6e-6)
    assert z.chisq == pytest.approx([0.00507, 6.54147, 0.77288], abs=6e-6)
    assert z.p_value == pytest.approx([0.9433, 0.0105, 0.3793], abs=6e-5)
    assert z.global_chisq == pytest.approx(7.13046, abs=6e-6)
    assert z.global_p == pytest.approx(0.0679, abs=6e-5)


def test_ph_test_matches_r_cox_zph_on_a_small_censored_set():
    # R: cox.zph(coxph(Surv(T, E) ~ var1), transform='km') -> chisq 1.013802 (recorded in lifelines'
    # test_statistics.py, test_proportional_hazard_test_with_kmf_with_some_censorship).
    var1 = np.array([0.209325, 0.693919, 0.443804, 0.065636, 0.386294])
    T = np.array([5.269797, 6.601666, 7.335846, 11.684092, 12.678458])
    E = np.array([1, 1, 1, 0, 1])
    f = cox_time_varying(np.zeros(5), T, E, var1)
    assert proportional_hazards_test(np.zeros(5), T, E, var1, f).chisq[0] == pytest.approx(1.013802, rel=1e-4)
    E = np.ones(5)
    f = cox_time_varying(np.zeros(5), T, E, var1)
    assert proportional_hazards_test(np.zeros(5), T, E, var1, f).chisq[0] == pytest.approx(0.00971, rel=1e-3)


def test_cluster_robust_se_matches_r_coxph_cluster():
    # R: coxph(Surv(T, E) ~ var1 + var2 + cluster(id)) -> robust se 5.9752, 4.0683 (lifelines' test_cluster_option)
    var1 = [1, 1, 2, 2, 2]
    var2 = [0.184677, 0.071893, 1.364646, 0.098375, 1.663092]
    T = [7.335846, 5.269797, 11.684092, 12.678458, 6.601666]
    f = cox_time_varying(np.zeros(5), T, np.ones(5), np.column_stack([var1, var2]), clusters=[1, 1, 2, 3, 4])
    assert f.se == pytest.approx([5.9752, 4.0683], abs=1e-3)
    assert f.clusters == 4


def test_cluster_robust_se_with_strata_matches_r():
    # R: coxph(Surv(T, E) ~ strata(strata) + var + cluster(id)) -> robust se 0.643 (lifelines' test_cluster_option_with_strata)
    var = [0.184677, 0.071893, 1.364646, 0.098375, 1.663092]
    T = [5.269797, 6.601666, 7.335846, 11.684092, 12.678458]
    f = cox_time_varying(np.zeros(5), T, np.ones(5), var, strata=[1, 1, 2, 2, 2], clusters=[1, 1, 2, 3, 4])
    assert f.se[0] == pytest.approx(0.643, abs=5e-4)


def clustered_months(seed: int = 5, n: int = 160):
    """Customer-months (ties in months, late entry) of households of 4 customers sharing a covariate and a frailty."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        if i % 4 == 0:
            x1, frail = float(rng.random() < 0.5), rng.gamma(1.0, 1.0)
        entry = int(rng.integers(0, 3))
        for t in range(entry, 18):
            x2 = float(rng.normal())
            event = rng.random() < 0.05 * frail * np.exp(0.6 * x1 + 0.3 * x2)
            rows.append((t, t + 1, event, x1, x2, i // 4))
            if event:
                break
    return np.array(rows, float)


def test_cluster_robust_variance_approximates_the_leave_one_cluster_out_jackknife():
    d = clustered_months()
    f = cox_time_varying(d[:, 0], d[:, 1], d[:, 2], d[:, 3:5], clusters=d[:, 5])
    ids = np.unique(d[:, 5])
    loo = np.array([cox_time_varying(d[d[:, 5] != c, 0], d[d[:, 5] != c, 1], d[d[:, 5] != c, 2], d[d[:, 5] != c, 3:5]).coef
                    for c in ids])
    jack = (len(ids) - 1) / len(ids) * ((loo - loo.mean(axis=0)) ** 2).sum(axis=0)  # Efron & Tibshirani 1993, eq. 11.5
    # the sandwich is the one-step (infinitesimal) jackknife: equal to first order, a few per cent apart here
    assert f.se == pytest.approx(np.sqrt(jack), rel=0.08)
    assert f.naive_se[0] < 0.8 * np.sqrt(jack[0])  # the shared frailty makes the clustering matter for x1


def test_score_residuals_sum_to_the_score_zero_at_the_maximum():
    d = clustered_months(seed=9, n=60)
    f = cox_time_varying(d[:, 0], d[:, 1], d[:, 2], d[:, 3:5], clusters=d[:, 5])
    from cxlens.stats.survival import _risk_groups, score_residuals
    U = score_residuals(f.coef, d[:, 3:5], _risk_groups(d[:, 0], d[:, 1], d[:, 2].astype(bool), np.zeros(len(d))))
    assert U.sum(axis=0) == pytest.approx([0, 0], abs=1e-7)


def test_collinear_and_constant_covariates_are_refused_by_name(rossi):
    d = rossi.assign(twice_age=2 * rossi.age + 1, one=1.0)
    with pytest.raises(ValueError, match=r"\['age', 'twice_age'\] are collinear"):
        fit(d, ["fin", "age", "twice_age"])
    with pytest.raises(ValueError, match=r"\['one'\] is constant"):
        fit(d, ["fin", "one"])


def test_kaplan_meier_with_late_entry_matches_r_survfit():
    # R: survfit(Surv(entry, T, E) ~ 1) with entry 1,2,4,0,0, T 2,10,5,4,3, all events -> 0.667, 0.444, 0.222,
    # 0.111, 0 at 2, 3, 4, 5, 10 (lifelines' test_late_entry_with_against_R)
    km = kaplan_meier([2, 10, 5, 4, 3], [1] * 5, entry=[1, 2, 4, 0, 0])
    assert km.time.tolist() == [2, 3, 4, 5, 10]
    assert km.at_risk.tolist() == [3, 3, 2, 2, 1]
    assert km.survival == pytest.approx([2 / 3, 4 / 9, 2 / 9, 1 / 9, 0])


def test_kaplan_meier_log_log_interval_matches_r_survfit():
    # R: survfit(Surv(time, event) ~ 1, conf.type='log-log') on the control arm of lifelines' g3 data
    # (times 34, 32, 9, 19 events; 50, 48 censored): lower 0.2731 0.1946 0.1109 0.0461, upper 0.975 0.904 0.804 0.676
    km = kaplan_meier([34, 32, 9, 19, 50, 48], [1, 1, 1, 1, 0, 0])
    at = np.searchsorted(km.time, [9, 19, 32, 34])
    assert km.survival[at] == pytest.approx([5 / 6, 4 / 6, 3 / 6, 2 / 6])
    assert km.lower[at] == pytest.approx([0.2731, 0.1946, 0.1109, 0.0461], abs=6e-5)
    assert km.upper[at] == pytest.approx([0.975, 0.904, 0.804, 0.676], abs=6e-4)


def test_kaplan_meier_greenwood_matches_hand_computation():
    # exits 1 1 2 3 3 4, events 1 0 1 1 0 1, entries 0 0 0 1 2 0
    km = kaplan_meier([1, 1, 2, 3, 3, 4], [1, 0, 1, 1, 0, 1], entry=[0, 0, 0, 1, 2, 0])
    # at t=1: 4 at risk (entries 1 and 2 not yet), 1 event -> 3/4; t=2: 3 at risk (2 left at 1, entry-1 row joins)
    # -> 3/4 * 2/3; t=3: 3 at risk (entry 2 joins) 1 event -> *2/3; t=4: 1 at risk, 1 event -> 0
    assert km.at_risk.tolist() == [4, 3, 3, 1]
    s = np.array([3 / 4, 1 / 2, 1 / 3, 0])
    assert km.survival == pytest.approx(s)
    gw = np.cumsum([1 / (4 * 3), 1 / (3 * 2), 1 / (3 * 2)])
    assert km.se[:3] == pytest.approx(s[:3] * np.sqrt(gw))
    assert km.censored.tolist() == [1, 0, 1, 0]


def tied_strata_rows(seed: int = 3, subjects: int = 90):
    """Rows (start, stop] in whole months with late entry, 3 strata, a time-varying covariate, tied events, clusters."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(subjects):
        stratum, x1, t = i % 3, float(rng.random() < 0.4), int(rng.integers(0, 4))
        while t < 12:
            stop = t + int(rng.integers(1, 3))
            x2 = float(rng.normal())
            event = rng.random() < 0.12 * np.exp(0.7 * x1 - 0.4 * x2)
            rows.append((t, stop, event, x1, x2, stratum, i // 3))
            if event:
                break
            t = stop
    return np.array(rows, float)


def brute_efron(beta, start, stop, event, X, strata):
    """Efron's log partial likelihood, gradient and Hessian with one Python loop per stratum, time, step and row."""
    k = X.shape[1]
    ll, grad, hess = 0.0, np.zeros(k), np.zeros((k, k))
    w = [float(np.exp(X[i] @ beta)) for i in range(len(stop))]
    for s in sorted(set(strata)):
        for t in sorted({stop[i] for i in range(len(stop)) if event[i] and strata[i] == s}):
            risk = [i for i in range(len(stop)) if strata[i] == s and start[i] < t <= stop[i]]
            dead = [i for i in risk if event[i] and stop[i] == t]
            d = len(dead)
            for j in range(d):
                s0, s1, s2 = 0.0, np.zeros(k), np.zeros((k, k))
                for i in risk:
                    c = 1 - j / d if i in dead else 1.0
                    s0, s1, s2 = s0 + c * w[i], s1 + c * w[i] * X[i], s2 + c * w[i] * np.outer(X[i], X[i])
                ll += X[dead[j]] @ beta - np.log(s0)
                grad += X[dead[j]] - s1 / s0
                hess -= s2 / s0 - np.outer(s1, s1) / s0 ** 2
    return ll, grad, hess


def brute_score_residuals(beta, start, stop, event, X, strata):
    """Per row: sum over its event times of dN_i (x_i - mean_j xbar_j) - w_i sum_j c_ij (x_i - xbar_j) / s0_j."""
    n, k = X.shape
    w = np.exp(X @ beta)
    resid = np.zeros((n, k))
    for s in sorted(set(strata)):
        for t in sorted({stop[i] for i in range(n) if event[i] and strata[i] == s}):
            risk = [i for i in range(n) if strata[i] == s and start[i] < t <= stop[i]]
            dead = [i for i in risk if event[i] and stop[i] == t]
            d = len(dead)
            xbars, s0s = [], []
            for j in range(d):
                c = np.array([1 - j / d if i in dead else 1.0 for i in risk])
                s0s.append((c * w[risk]).sum())
                xbars.append((c * w[risk]) @ X[risk] / s0s[-1])
            for i in risk:
                for j in range(d):
                    c = 1 - j / d if i in dead else 1.0
                    resid[i] -= w[i] * c * (X[i] - xbars[j]) / s0s[j]
                if i in dead:
                    resid[i] += X[i] - np.mean(xbars, axis=0)
    return resid


def test_efron_likelihood_gradient_and_hessian_equal_the_brute_force_with_ties_strata_and_late_entry():
    from cxlens.stats.survival import _efron, _risk_groups
    d = tied_strata_rows()
    start, stop, event, X, strata = d[:, 0], d[:, 1], d[:, 2].astype(bool), d[:, 3:5], d[:, 5]
    assert len(np.unique(stop[event])) < event.sum()  # tied event times
    groups = _risk_groups(start, stop, event, strata)
    for beta in ([0.0, 0.0], [0.8, -0.5], [-1.3, 2.1]):
        ll, grad, hess = _efron(np.array(beta), X, groups)
        b_ll, b_grad, b_hess = brute_efron(np.array(beta), start, stop, event, X, strata)
        assert ll == pytest.approx(b_ll, rel=1e-10, abs=1e-10)
        assert grad == pytest.approx(b_grad, rel=1e-10, abs=1e-10)
        assert hess == pytest.approx(b_hess, rel=1e-10, abs=1e-10)


def test_cox_fit_and_robust_variance_equal_the_brute_force_newton_and_sandwich():
    d = tied_strata_rows(seed=8)
    start, stop, event, X, strata, ids = d[:, 0], d[:, 1], d[:, 2].astype(bool), d[:, 3:5], d[:, 5], d[:, 6]
    f = cox_time_varying(start, stop, event, X, strata=strata, clusters=ids, tol=1e-14)
    beta = np.zeros(2)
    for _ in range(30):  # plain Newton on the brute-force likelihood
        _, g, h = brute_efron(beta, start, stop, event, X, strata)
        beta = beta + np.linalg.solve(-h, g)
    _, g, h = brute_efron(beta, start, stop, event, X, strata)
    assert f.coef == pytest.approx(beta, rel=1e-10, abs=1e-10)
    assert f.naive_variance == pytest.approx(np.linalg.inv(-h), rel=1e-10, abs=1e-12)
    r = brute_score_residuals(beta, start, stop, event, X, strata)
    U = np.array([r[ids == c].sum(axis=0) for c in np.unique(ids)])
    V = np.linalg.inv(-h)
    assert f.variance == pytest.approx(V @ U.T @ U @ V, rel=1e-10, abs=1e-12)


def test_score_residuals_equal_the_brute_force_per_row():
    from cxlens.stats.survival import _risk_groups, score_residuals
    d = tied_strata_rows(seed=4)
    start, stop, event, X, strata = d[:, 0], d[:, 1], d[:, 2].astype(bool), d[:, 3:5], d[:, 5]
    beta = np.array([0.6, -0.3])
    got = score_residuals(beta, X, _risk_groups(start, stop, event, strata))
    assert got == pytest.approx(brute_score_residuals(beta, start, stop, event, X, strata), rel=1e-10, abs=1e-12)


def test_integer_string_and_float_labels_of_strata_and_clusters_give_the_same_fit():
    d = tied_strata_rows(seed=11)
    start, stop, event, X = d[:, 0], d[:, 1], d[:, 2].astype(bool), d[:, 3:5]
    as_float = cox_time_varying(start, stop, event, X, strata=d[:, 5], clusters=d[:, 6])
    as_int = cox_time_varying(start, stop, event, X, strata=d[:, 5].astype(int) * 7 - 3, clusters=d[:, 6].astype(int) + 10**9)
    as_str = cox_time_varying(start, stop, event, X, strata=[f"s{int(s)}" for s in d[:, 5]], clusters=[f"c{int(c)}" for c in d[:, 6]])
    for f in (as_int, as_str):
        assert f.coef == pytest.approx(as_float.coef, rel=1e-12)
        assert f.variance == pytest.approx(as_float.variance, rel=1e-12)
        assert f.clusters == as_float.clusters == len(np.unique(d[:, 6]))
    with pytest.raises(ValueError, match="strata must have one label per row"):
        cox_time_varying(start, stop, event, X, strata=d[1:, 5])


def test_kaplan_meier_equals_the_brute_force_product_limit_with_ties_and_late_entry():
    rng = np.random.default_rng(21)
    entry = rng.integers(0, 5, 400).astype(float)
    exit = entry + rng.integers(1, 9, 400)
    event = rng.random(400) < 0.3
    km = kaplan_meier(exit, event, entry=entry)
    times = sorted(set(exit))
    at_risk = [int(((entry < t) & (exit >= t)).sum()) for t in times]
    events = [int((event & (exit == t)).sum()) for t in times]
    assert km.time.tolist() == times
    assert km.at_risk.tolist() == at_risk
    assert km.events.tolist() == events
    assert km.censored.tolist() == [int((~event & (exit == t)).sum()) for t in times]
    assert km.survival == pytest.approx(np.cumprod([1 - d / r for d, r in zip(events, at_risk)]), rel=1e-12)


def test_group_locator_table_and_search_agree():
    from cxlens.stats.survival import _locator
    keys = np.array([2, 3, 7, 8, 20])
    q = np.arange(25)
    assert _locator(keys, 25, 10)(q).tolist() == np.searchsorted(keys, q).tolist()  # table
    assert _locator(keys, 2_000_000, 10)(q).tolist() == np.searchsorted(keys, q).tolist()  # search


def test_merged_indicator_rows_give_the_brute_force_likelihood_and_fit():
    from cxlens.stats.survival import _collapsed, _efron, _risk_groups
    d = tied_strata_rows(seed=13, subjects=150)
    start, stop, event, strata, ids = d[:, 0], d[:, 1], d[:, 2].astype(bool), d[:, 5], d[:, 6]
    X = np.column_stack([d[:, 3], d[:, 4] > 0.5])  # two 0/1 covariates: rows merge
    groups = _risk_groups(start, stop, event, strata)
    Xc, merged = _collapsed(X, groups)
    assert len(Xc) < len(X) / 2 and merged.count.sum() == len(X)
    assert _collapsed(d[:, 3:5], groups) is None  # a continuous covariate: nothing to merge, Newton runs on the rows
    for beta in ([0.0, 0.0], [0.9, -0.4]):
        got, want = _efron(np.array(beta), Xc, merged), brute_efron(np.array(beta), start, stop, event, X, strata)
        for g, w in zip(got, want):
            assert g == pytest.approx(w, rel=1e-10, abs=1e-10)
    f = cox_time_varying(start, stop, event, X, strata=strata, clusters=ids, tol=1e-14)
    beta = np.zeros(2)
    for _ in range(30):
        _, g, h = brute_efron(beta, start, stop, event, X, strata)
        beta = beta + np.linalg.solve(-h, g)
    assert f.coef == pytest.approx(beta, rel=1e-10, abs=1e-10)
    r = brute_score_residuals(beta, start, stop, event, X, strata)
    U = np.array([r[ids == c].sum(axis=0) for c in np.unique(ids)])
    V = np.linalg.inv(-brute_efron(beta, start, stop, event, X, strata)[2])
    assert f.variance == pytest.approx(V @ U.T @ U @ V, rel=1e-10, abs=1e-12)
