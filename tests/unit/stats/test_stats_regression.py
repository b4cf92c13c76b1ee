"""OLS with classical, HC1 and cluster-robust (CR1) standard errors against certified and Stata results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens import stats as st

DATA = Path(__file__).parent / "data"


def test_ols_matches_the_nist_certified_longley_results():
    """NIST StRD, Longley (1967) data, certified values (higher difficulty: near-collinear predictors)."""
    d = pd.read_csv(DATA / "longley.csv")
    fit = st.ols(d[["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]], d["TOTEMP"], cov="classical")
    coef = [15.0618722713733, -0.358191792925910e-01, -2.02022980381683, -1.03322686717359,
            -0.511041056535807e-01, 1829.15146461355]
    se = [84.9149257747669, 0.334910077722432e-01, 0.488399681651699, 0.214274163161675,
          0.226073200069370, 455.478499142212]
    assert fit.coef == pytest.approx(coef, rel=1e-7)
    assert fit.se == pytest.approx(se, rel=1e-7)
    assert fit.intercept == pytest.approx(-3482258.63459582, rel=1e-7)
    assert fit.df == 9


def test_hc1_standard_errors_match_statas_regress_vce_robust():
    """Stata `regress g_realinv g_realgdp L.realint, vce(robust)` on the US macro data (statsmodels'
    results_macro_ols_robust.py): b 4.3742216647032 (se .32355452428856), -.61399696947899
    (se .32772840315987), 199 residual df."""
    d = pd.read_csv(DATA / "macrodata.csv")
    g_gdp = 400 * np.diff(np.log(d["realgdp"].to_numpy()))
    g_inv = 400 * np.diff(np.log(d["realinv"].to_numpy()))
    fit = st.ols(np.c_[g_gdp, d["realint"].to_numpy()[:-1]], g_inv, ["g_realgdp", "L.realint"], cov="HC1")
    assert fit.coef == pytest.approx([4.3742216647032, -0.61399696947899], rel=1e-9)
    assert fit.se == pytest.approx([0.32355452428856, 0.32772840315987], rel=1e-9)
    assert fit.df == 199
    assert fit.intercept == pytest.approx(-9.4816727746549, rel=1e-9)


def _grunfeld():
    d = pd.read_csv(DATA / "grunfeld.csv")
    return d[["value", "capital"]].to_numpy(), d["invest"].to_numpy(), d["firm"].to_numpy()


def test_cluster_robust_standard_errors_match_statas_vce_cluster_on_grunfeld():
    """Stata `regress invest mvalue kstock, vce(cluster company)` on Grunfeld's data, 10 firms x 20 years
    (statsmodels' results_grunfeld_ols_robust_cluster.py): b .11556215606596 (se .01589433647768),
    .23067848754982 (se .08496711097464), t(9) intervals .07960666895505-.15151764317688 and
    .03846952885627-.42288744624337, p = .00004710548549 and .02380515903536."""
    X, y, firm = _grunfeld()
    fit = st.ols(X, y, ["mvalue", "kstock"], cov="CR1", clusters=firm)
    # rel 1e-7: Stata held the data in its own (float) storage, so digits beyond the 8th differ
    assert fit.coef == pytest.approx([0.11556215606596, 0.23067848754982], rel=1e-7)
    assert fit.se == pytest.approx([0.01589433647768, 0.08496711097464], rel=1e-7)
    assert fit.df == 9 and fit.clusters == 10
    low, high = fit.conf_int()
    assert low == pytest.approx([0.07960666895505, 0.03846952885627], rel=1e-7)
    assert high == pytest.approx([0.15151764317688, 0.42288744624337], rel=1e-7)
    assert fit.p_values == pytest.approx([0.00004710548549, 0.02380515903536], rel=1e-6)


def test_cluster_robust_fit_from_per_cluster_sums_equals_the_fit_on_raw_rows():
    """What an engine returns (Z_g'Z_g per cluster) gives the same model as the rows themselves."""
    X, y, firm = _grunfeld()
    raw = st.ols(X, y, cov="CR1", clusters=firm)
    summed = st.ols_from_moments(st.cluster_moments(X, y, firm))
    assert summed.coef == pytest.approx(raw.coef, rel=1e-10)
    assert summed.se == pytest.approx(raw.se, rel=1e-8)
    classical = st.ols_from_moments(st.moment_matrix(X, y))
    assert classical.coef == pytest.approx(raw.coef, rel=1e-10)
    assert classical.se == pytest.approx(st.ols(X, y, cov="classical").se, rel=1e-10)


def test_cluster_robust_with_one_row_per_cluster_equals_hc1():
    """With G = N, Stata's CR1 factor G/(G-1)·(N-1)/(N-K) is HC1's N/(N-K) (Cameron & Miller 2015, JHR 50:317)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -0.5, 0.0] + rng.normal(size=300) * (1 + np.abs(X[:, 0]))
    hc1 = st.ols(X, y, cov="HC1")
    cr1 = st.ols_from_moments(st.cluster_moments(X, y, np.arange(300)))
    assert cr1.se == pytest.approx(hc1.se, rel=1e-9)


def test_perfectly_correlated_duplicates_widen_the_interval_by_about_the_square_root_of_cluster_size():
    """m identical copies of each row are no more information than one row: treated as independent the
    standard error shrinks by sqrt(m); clustered by the original row it does not (Moulton 1986)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    y = X @ [0.3, 0.1] + rng.normal(size=400)
    m = 4
    Xd, yd, g = np.repeat(X, m, axis=0), np.repeat(y, m), np.repeat(np.arange(400), m)
    naive = st.ols(Xd, yd, cov="HC1")
    clustered = st.ols(Xd, yd, cov="CR1", clusters=g)
    assert clustered.coef == pytest.approx(naive.coef)
    assert clustered.se / naive.se == pytest.approx(np.full(2, np.sqrt(m)), rel=0.01)


def test_a_driver_that_never_varies_is_reported_not_dropped():
    rng = np.random.default_rng(3)
    X = np.c_[rng.normal(size=50), np.zeros(50), rng.normal(size=50)]
    fit = st.ols(X, X[:, 0] + rng.normal(size=50), ["a", "never", "b"])
    assert fit.names == ("a", "never", "b")
    assert np.isnan(fit.coef[1]) and np.isnan(fit.se[1]) and "does not vary" in fit.notes[1]
    assert fit.notes[0] is None and not np.isnan(fit.coef[[0, 2]]).any()


def test_a_collinear_driver_is_reported_with_the_drivers_it_repeats():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=60), rng.normal(size=60)
    fit = st.ols(np.c_[a, b, 2 * a - b], a + rng.normal(size=60), ["a", "b", "combo"])
    assert np.isnan(fit.coef[2]) and "linear combination of a, b" in fit.notes[2]
    assert not np.isnan(fit.coef[:2]).any()


def test_too_few_rows_or_clusters_are_refused_with_value_errors():
    with pytest.raises(ValueError, match="more observations"):
        st.ols(np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match="2 clusters"):
        st.ols(np.arange(10.0), np.arange(10.0) ** 2, cov="CR1", clusters=np.zeros(10))
    with pytest.raises(ValueError, match="NaN"):
        st.ols([1.0, np.nan, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
