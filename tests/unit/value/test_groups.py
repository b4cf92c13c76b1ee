"""Outcomes by group: the ratio estimates and their customer-level (CR1) intervals against brute force (the
textbook sandwich on the expanded rows, and cxlens.stats.ols with CR1 for the differences), the engine against
the pandas path, and the planted value link of the demo company recovered."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from value_fixtures import value_store, write_value_files

from cxlens.errors import AnalysisError, UsageError
from cxlens.ingest import load
from cxlens.query import Scope
from cxlens.stats.regression import ols
from cxlens.value.dataset import dataset
from cxlens.value.groups import cells_from_frame, estimates, group_cells, outcomes_by_group

OUT = ("revenue", "cost_to_serve", "upgrades", "referrals")
# 8 segments x 2 metrics x 2 groups checked at once: Bonferroni, so that the family of intervals holds 95%
FAMILY_LEVEL = 1 - 0.05 / 32


def synthetic_frame(seed: int = 3, customers: int = 300, h: int = 12) -> pd.DataFrame:
    """Answers of customers who answer 1-4 times in random groups, with outcomes that depend on the group and a
    customer effect (so repeated answers of a customer are correlated)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        u = rng.normal(0, 0.5)
        seg = "ab"[c % 2]
        for k in range(rng.integers(1, 5)):
            g = rng.choice(["detractor", "passive", "promoter"], p=[0.4, 0.35, 0.25])
            churned = int(rng.random() < {"detractor": 0.3, "passive": 0.2, "promoter": 0.1}[g] + 0.05 * u)
            months = int(rng.integers(1, h + 1)) if churned else int(rng.choice([h, h, h - 3]))
            complete = int(churned or months == h)
            active = months - churned
            level = {"detractor": 0.8, "passive": 0.9, "promoter": 1.0}[g] * np.exp(u)
            rows.append({"customer_id": f"C{c}", "group": g, "segment": seg, f"months_{h}": months, f"churned_{h}": churned,
                         f"complete_{h}": complete, f"revenue_{h}": active * 30 * level * rng.uniform(0.8, 1.2),
                         f"cost_to_serve_{h}": active * 5 / level, f"upgrades_{h}": float(rng.poisson(0.05 * active)),
                         f"referrals_{h}": float(rng.poisson(0.02 * active * level)),
                         "csat_latest": rng.choice([np.nan, 1, 2, 3, 4, 5])})
    return pd.DataFrame(rows)


def _sandwich(X: np.ndarray, y: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Textbook CR1: (X'X)⁻¹ Σ_c X_c'e_c e_c'X_c (X'X)⁻¹ · G/(G−1)·(N−1)/(N−K) (Cameron & Miller 2015, eqs. 11-12)."""
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    bread = np.linalg.inv(X.T @ X)
    _, g = np.unique(clusters, return_inverse=True)
    s = np.zeros((g.max() + 1, X.shape[1]))
    np.add.at(s, g, X * e[:, None])
    n, k, G = len(y), X.shape[1], g.max() + 1
    return b, G / (G - 1) * (n - 1) / (n - k) * bread @ (s.T @ s) @ bread


def _expanded(frame: pd.DataFrame, metric: str, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per unit (complete answer, or active month with the answer's mean monthly outcome)."""
    if metric == "retention":
        f = frame[frame[f"complete_{h}"] == 1]
        return f.group.to_numpy(), f[f"churned_{h}"].to_numpy(float), f.customer_id.to_numpy()
    active = (frame[f"months_{h}"] - frame[f"churned_{h}"]).to_numpy()
    keep = active > 0
    f, active = frame[keep], active[keep]
    y = f[f"{metric}_{h}"].to_numpy() / active
    return np.repeat(f.group.to_numpy(), active), np.repeat(y, active), np.repeat(f.customer_id.to_numpy(), active)


@pytest.mark.parametrize("metric", ["retention", *OUT])
def test_group_figures_and_intervals_match_the_cluster_robust_regression(metric):
    frame = synthetic_frame()
    got = outcomes_by_group(frame, horizon=12)
    got = got[got.metric == metric].set_index("group")
    groups, y, clusters = _expanded(frame, metric, 12)
    names = ["detractor", "passive", "promoter"]
    X = np.column_stack([(groups == g).astype(float) for g in names])
    b, V = _sandwich(X, y, clusters)
    t = sps.t.ppf(0.975, len(np.unique(clusters)) - 1)
    value = 1 - b if metric == "retention" else b
    np.testing.assert_allclose(got.loc[names, "value"], value, rtol=1e-10)
    np.testing.assert_allclose(got.loc[names, "ci_high"] - got.loc[names, "ci_low"], 2 * t * np.sqrt(np.diag(V)), rtol=1e-8)
    # the differences to promoters: cxlens.stats.ols with CR1 on dummies, promoters the reference
    fit = ols(X[:, :2], y, names=names[:2], cov="CR1", clusters=clusters)
    sign = -1 if metric == "retention" else 1
    for i, g in enumerate(names[:2]):
        assert got.loc[g, "difference"] == pytest.approx(sign * fit.coef[i], rel=1e-9)
        half = (got.loc[g, "difference_ci_high"] - got.loc[g, "difference_ci_low"]) / 2
        assert half == pytest.approx(t * fit.se[i], rel=1e-8)
        # the ratio's delta-method interval, from the same covariance
        vk, vr = value[i], value[2]
        lse = np.sqrt(V[i, i] / vk**2 + V[2, 2] / vr**2 - 2 * V[i, 2] / (vk * vr))
        assert got.loc[g, "ratio"] == pytest.approx(vk / vr)
        assert got.loc[g, "ratio_ci_low"] == pytest.approx(vk / vr * np.exp(-t * lse), rel=1e-8)
    assert np.isnan(got.loc["promoter", "difference"])


def test_counts_are_customers_and_answers_and_repeated_answers_widen_the_interval():
    frame = synthetic_frame()
    got = outcomes_by_group(frame, horizon=12, by=("segment",))
    rev = got[(got.metric == "revenue")].set_index(["segment", "group"])
    for (seg, g), n in frame.groupby(["segment", "group"]).customer_id.nunique().items():
        assert rev.loc[(seg, g), "customers"] == n
        assert rev.loc[(seg, g), "answers"] == ((frame.segment == seg) & (frame.group == g)).sum()
    # treating answer-months as independent (HC1) gives a narrower interval than clustering by customer
    groups, y, clusters = _expanded(frame, "revenue", 12)
    X = (groups == "detractor").astype(float)[:, None]
    naive = ols(X, y, cov="HC1").se[0]
    clustered = ols(X, y, cov="CR1", clusters=clusters).se[0]
    assert clustered > 1.5 * naive


def test_csat_bands_follow_the_latest_csat_answer():
    frame = synthetic_frame()
    got = outcomes_by_group(frame, horizon=12, band="csat")
    assert list(got.group.unique()) == ["1-2", "3", "4-5"]
    f = frame[frame.csat_latest.notna()]
    low = f[f.csat_latest <= 2]
    want = low["revenue_12"].sum() / (low.months_12 - low.churned_12).sum()
    assert got[(got.group == "1-2") & (got.metric == "revenue")].value.iloc[0] == pytest.approx(want)
    assert got[got.group == "4-5"].difference.isna().all()


def test_bad_options_are_usage_errors():
    frame = synthetic_frame(customers=20)
    with pytest.raises(UsageError, match="band"):
        outcomes_by_group(frame, band="ces")
    with pytest.raises(UsageError, match="by"):
        outcomes_by_group(frame, by=("touchpoint",))
    with pytest.raises(UsageError, match="lacks months_24"):
        outcomes_by_group(frame, horizon=24)
    with pytest.raises(AnalysisError, match="no relationship-NPS answers"):
        estimates(cells_from_frame(frame.iloc[:0]))


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("value-groups-files")
    write_value_files(folder, seed=4, customers=60)
    s = value_store(folder, folder)
    yield s
    s.close()


@pytest.mark.parametrize("band,by", [("nps", ()), ("nps", ("segment",)), ("csat", ("plan",))])
def test_engine_cells_match_the_pandas_cells(small_store, band, by):
    scope = Scope.parse(since="2024-02-01")
    key = ["customer_id", "group", *by]
    got = group_cells(small_store, scope, horizon=6, by=by, band=band).to_pandas().sort_values(key).reset_index(drop=True)
    want = cells_from_frame(dataset(small_store, scope, horizons=(6,)), horizon=6, by=by, band=band)
    pd.testing.assert_frame_equal(got, want.sort_values(key).reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(outcomes_by_group(small_store, scope, horizon=6, by=by, band=band),
                                  outcomes_by_group(dataset(small_store, scope, horizons=(6,)), horizon=6, by=by, band=band))


def _demo_store(demo_store_copy):
    store, files, _ = demo_store_copy()
    load(store, files.tables()["outcomes"], "outcomes")
    return store, json.loads((Path(files.journey).parent / "truth.json").read_text())


def _check_planted_link(g: pd.DataFrame, truth: dict, level_metrics=("revenue", "cost_to_serve")) -> None:
    link = truth["value_link"]["multiplier_by_segment"]
    checked = 0
    for r in g[g.metric.isin(level_metrics) & g.group.isin(["detractor", "passive"])].itertuples():
        planted = link[r.segment][r.metric][r.group]
        assert r.ratio_ci_low <= planted <= r.ratio_ci_high, (r.segment, r.metric, r.group, r.ratio, planted)
        checked += 1
    assert checked == 32


def test_demo_planted_value_link_is_recovered(demo_store_copy):
    """Within the quarter of the answer (horizon 2: the answer is in the quarter's first month) the customer's
    group is the planted one, so detractor/promoter and passive/promoter ratios are the planted multipliers per
    segment (business 0.80/1.80, consumer 0.90/1.50 for revenue/cost to serve), each within its interval
    (Bonferroni over the 32 checked, family level 95%)."""
    store, truth = _demo_store(demo_store_copy)
    try:
        g = outcomes_by_group(store, horizon=2, by=("segment",), level=FAMILY_LEVEL)
        _check_planted_link(g, truth)
        overall = outcomes_by_group(store, horizon=12).set_index(["group", "metric"])
        assert overall.loc[("detractor", "retention"), "difference_ci_high"] < 0  # detractors churn more
        assert overall.loc[("passive", "retention"), "difference_ci_high"] < 0
        assert overall.loc[("detractor", "retention"), "value"] < overall.loc[("passive", "retention"), "value"]
    finally:
        store.close()


@pytest.mark.slow
def test_demo_planted_value_link_is_recovered_at_20000_customers(value_demo_store):
    store, files = value_demo_store()
    try:
        truth = json.loads((Path(files.journey).parent / "truth.json").read_text())
        _check_planted_link(outcomes_by_group(store, horizon=2, by=("segment",), level=FAMILY_LEVEL), truth)
    finally:
        store.close()


def test_a_group_where_nobody_churned_gets_a_wilson_interval_not_a_zero_width_one():
    # 40 customers, 2 complete answers each, none churned in the detractor group; promoters churn now and then
    rows = []
    for c in range(40):
        for group, churned in (("detractor", 0), ("promoter", int(c % 5 == 0))):
            rows.append({"customer_id": f"C{c}", "group": group, "answers": 2, "complete": 2, "churned": churned,
                         "active_months": 20.0, "revenue": 400.0, "cost_to_serve": 80.0, "upgrades": 0.0, "referrals": 1.0})
    out = estimates(pd.DataFrame(rows)).set_index(["group", "metric"])
    low, high = out.loc[("detractor", "retention"), ["ci_low", "ci_high"]]
    assert out.loc[("detractor", "retention"), "value"] == 1.0
    # Wilson (1927) for 40 of 40 customers: lower bound 40/(40 + 1.96²) = 0.9124 (one trial per customer)
    assert low == pytest.approx(40 / (40 + 1.959964**2), abs=1e-4) and high == 1.0
