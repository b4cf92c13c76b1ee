"""Key drivers: planted weights on a synthetic customer frame, the demo company's planted NPS driver ranking, the
importance-vs-performance quadrant chart (csat_drivers' tests stay in tests/unit/metrics/test_metrics_outcomes.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import AnalysisError, UsageError
from cxlens.ingest import load
from cxlens.query import Scope
from cxlens.report.quadrant import quadrant_geometry, quadrant_svg
from cxlens.value.drivers import QUADRANTS, importance_table, nps_drivers, quadrants

WEIGHTS = {"app": 1.6, "bill": 1.0, "shop": 0.5, "web": 0.0}  # planted slopes of the outcome on each driver
COVERAGE = {"app": 0.6, "bill": 0.5, "shop": 0.4, "web": 0.7}


def planted_drivers(n: int = 6000, seed: int = 3) -> pd.DataFrame:
    """Customer frame: experience q per driver (app, bill, shop correlated through a shared attitude), the outcome = Σ w q + noise,
    each driver answered (mean of 1-3 noisy answers) by a random COVERAGE share of customers, NaN otherwise."""
    rng = np.random.default_rng(seed)
    attitude = rng.standard_normal(n)
    q = {t: (0.4 * attitude if t != "web" else 0) + rng.standard_normal(n) for t in WEIGHTS}  # web: unrelated
    y = 7 + sum(w * q[t] for t, w in WEIGHTS.items()) + rng.normal(0, 1.5, n)
    frame = pd.DataFrame({t: np.where(rng.random(n) < COVERAGE[t], q[t] + rng.normal(0, 0.3, n), np.nan) for t in WEIGHTS})
    frame["nps"] = y
    return frame


def test_relative_weights_recover_the_planted_order_sum_to_r_squared_and_mark_the_null_driver():
    table = importance_table(planted_drivers(), list(WEIGHTS), "nps", n_boot=100, seed=1)
    assert table["driver"].tolist() == ["app", "bill", "shop", "web"]
    assert table["rank"].tolist() == [1, 2, 3, 4]
    assert table["weight"].sum() == pytest.approx(table["r_squared"].iloc[0])
    assert table["share"].sum() == pytest.approx(100)
    assert table["shapley"].to_numpy() == pytest.approx(table["weight"].to_numpy(), abs=0.01)  # the cross-check agrees
    assert (table["weight_ci_low"] <= table["weight"]).all() and (table["weight"] <= table["weight_ci_high"]).all()
    marked = table.set_index("driver")
    assert marked.loc[["app", "bill", "shop"], "significant"].all()
    assert not marked.loc["web", "significant"] and "not distinguishable from noise" in marked.loc["web", "note"]
    assert (marked.loc[["app", "bill", "shop"], "sign"] == 1).all()
    assert marked.loc["app", "coverage"] == pytest.approx(COVERAGE["app"], abs=0.03)


def test_bootstrap_intervals_cover_the_weights_of_the_population_about_95_percent_of_the_time():
    truth = importance_table(planted_drivers(n=200_000, seed=99), list(WEIGHTS), "nps", n_boot=0).set_index("driver")["weight"]
    covered = []
    for seed in range(12):
        t = importance_table(planted_drivers(n=1500, seed=seed), list(WEIGHTS)[:3], "nps", n_boot=100, seed=seed)
        t = t.set_index("driver")
        full = importance_table(planted_drivers(n=200_000, seed=99), list(WEIGHTS)[:3], "nps", n_boot=0).set_index("driver")
        covered += list((t["weight_ci_low"] <= full["weight"]) & (full["weight"] <= t["weight_ci_high"]))
    assert truth.index.tolist() == ["app", "bill", "shop", "web"]
    assert np.mean(covered) >= 0.8  # 36 intervals; nominal 95%


def test_quadrants_split_at_the_drivers_mean_importance_and_performance():
    got = quadrants(np.array([50.0, 30.0, 15.0, 5.0]), np.array([3.0, 4.5, 3.2, 4.6]))
    assert got == [QUADRANTS[(True, False)], QUADRANTS[(True, True)], QUADRANTS[(False, False)], QUADRANTS[(False, True)]]
    assert got[0] == "concentrate here"


def test_constant_outcome_and_too_many_drivers_are_refused_with_their_names():
    frame = planted_drivers(n=500)
    with pytest.raises(AnalysisError, match="nps does not vary"):
        importance_table(frame.assign(nps=7.0), list(WEIGHTS), "nps", n_boot=0)
    with pytest.raises(AnalysisError, match="web does not vary"):
        importance_table(frame.assign(web=np.where(frame["web"].notna(), 4.0, np.nan)), list(WEIGHTS), "nps", n_boot=0)
    wide = pd.DataFrame({f"t{i}": frame["app"] for i in range(16)}).assign(nps=frame["nps"])
    with pytest.raises(UsageError, match="16 drivers"):
        importance_table(wide, [f"t{i}" for i in range(16)], "nps", n_boot=0)


def test_quadrant_chart_places_each_driver_by_performance_and_importance():
    drivers = pd.DataFrame({"driver": ["a", "b", "c"], "share": [60.0, 30.0, 10.0], "performance": [3.0, 4.0, 3.5],
                            "significant": [True, True, False], "quadrant": ["concentrate here", "keep up the good work",
                                                                           "low priority"]})
    g = quadrant_geometry(drivers)
    by = {p.label: p for p in g.points}
    assert by["a"].x < by["c"].x < by["b"].x          # performance left to right
    assert by["a"].y < by["b"].y < by["c"].y          # importance bottom to top (SVG y grows down)
    assert by["c"].weak and not by["a"].weak
    assert by["a"].x < g.x_cut and by["a"].y < g.y_cut  # upper left: concentrate here
    svg = quadrant_svg(drivers)
    assert svg.startswith("<svg") and svg.count("<circle") == 3 and "concentrate here" in svg


def _planted_ranking(files) -> list[str]:
    return json.loads(files.truth.read_text())["nps_drivers"]["ranking"]


def test_demo_company_nps_driver_ranking_is_recovered(demo_store_copy):
    store, files, _ = demo_store_copy()
    try:
        table = nps_drivers(store, n_boot=100, seed=1)
    finally:
        store.close()
    ranking = _planted_ranking(files)
    assert table["driver"].head(len(ranking)).tolist() == ranking
    assert table.set_index("driver").loc[ranking[:3], "significant"].all()
    assert table["shapley"].to_numpy() == pytest.approx(table["weight"].to_numpy(), abs=0.005)


@pytest.mark.slow
def test_demo_company_nps_driver_ranking_at_20000_customers_with_intervals_that_separate_them(value_demo_store):
    store, files = value_demo_store()
    try:
        table = nps_drivers(store, n_boot=200, seed=2)
    finally:
        store.close()
    ranking = _planted_ranking(files)
    top = table.head(len(ranking)).set_index("driver")
    assert top.index.tolist() == ranking
    assert top["significant"].all()
    # each planted driver's interval lies above the next one's point estimate
    assert (top["weight_ci_low"].to_numpy()[:-1] > top["weight"].to_numpy()[1:]).all()


def test_churn_outcome_reads_outcomes_and_a_bad_outcome_is_refused(demo_store_copy):
    store, files, _ = demo_store_copy()
    try:
        with pytest.raises(UsageError, match="outcome='revenue'"):
            nps_drivers(store, outcome="revenue")
        load(store, files.tables()["outcomes"], "outcomes")
        table = nps_drivers(store, Scope(), outcome="churn", n_boot=0)
    finally:
        store.close()
    assert (table["outcome"] == "churn").all() and table["n"].iloc[0] > 1000
    assert table["weight"].sum() == pytest.approx(table["r_squared"].iloc[0])


AIRLINE_RATINGS = ["Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking", "Gate location",
                   "Food and drink", "Online boarding", "Seat comfort", "Inflight entertainment", "On-board service",
                   "Leg room service", "Baggage handling", "Checkin service", "Inflight service", "Cleanliness"]


def _johnson_from_data(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson (2000) from the raw data: Z = UV' of the standardised X's SVD, β = regression of y on Z,
    Λ = regression of X on Z; ε_j = Σ_k Λ²_jk β²_k (an implementation independent of the correlation one)."""
    Xs = (X - X.mean(0)) / X.std(0)
    ys = (y - y.mean()) / y.std()
    u, _, vt = np.linalg.svd(Xs, full_matrices=False)
    Z = u @ vt * np.sqrt(len(y))
    beta = np.linalg.lstsq(Z, ys, rcond=None)[0]
    lam = np.linalg.lstsq(Z, Xs, rcond=None)[0]
    return (lam.T**2) @ (beta**2)


def test_airline_satisfaction_drivers_online_boarding_and_wifi_lead(shared_data):
    raw = pd.read_csv(shared_data("airline_passenger_satisfaction/train.csv"))
    frame = raw[AIRLINE_RATINGS].replace(0, np.nan).astype(float)  # 0 = not applicable (the data set's README)
    frame["satisfied"] = (raw["satisfaction"] == "satisfied").astype(float)
    table = importance_table(frame, AIRLINE_RATINGS, "satisfied", n_boot=0)
    assert table["driver"].head(2).tolist() == ["Online boarding", "Inflight wifi service"]
    assert table["r_squared"].iloc[0] == pytest.approx(0.464, abs=0.002)
    assert table["shapley"].to_numpy() == pytest.approx(table["weight"].to_numpy(), abs=0.007)
    # on the passengers who rated every item, the correlation route equals Johnson's construction from the data
    complete = frame.dropna()
    got = importance_table(complete, AIRLINE_RATINGS, "satisfied", n_boot=0).set_index("driver").loc[AIRLINE_RATINGS]
    want = _johnson_from_data(complete[AIRLINE_RATINGS].to_numpy(), complete["satisfied"].to_numpy())
    assert got["weight"].to_numpy() == pytest.approx(want, abs=1e-9)
