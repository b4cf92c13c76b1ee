"""Outcomes by group: the ratio estimates and their customer-level (CR1) intervals against brute force (the
textbook sandwich on the expanded rows, cxlens.stats.ols with CR1 for the differences, and the per-customer
score matrix the sufficient statistics replace), the engine against the pandas path, and the planted value link
of the demo company recovered."""

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
from cxlens.stats.intervals import wilson
from cxlens.value.groups import (BANDS, COLUMNS, METRICS, REFERENCE, SUMS, UNITS, cells_from_frame, estimates,
                                 group_cells, group_statistics, outcomes_by_group)

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
    with pytest.raises(UsageError, match="outside the nps band: promotor"):
        estimates(cells_from_frame(frame).replace({"group": {"promoter": "promotor"}}))


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


def random_cells(seed: int = 11, customers: int = 500) -> pd.DataFrame:
    """Per customer x group sums (`group_cells`' columns) in three segments: customers in up to three groups with
    1-4 answers each, some without a complete answer or an active month; in segment b nobody detractor churns
    (boundary retention), segment c has no promoters (no reference group)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        seg, u = "abc"[c % 3], rng.lognormal(0, 0.6)
        groups = ["detractor", "passive"] if seg == "c" else ["detractor", "passive", "promoter"]
        for g in rng.choice(groups, size=rng.integers(1, len(groups) + 1), replace=False):
            n = int(rng.integers(1, 5))
            complete = int(rng.integers(0, n + 1))
            churned = 0 if (seg == "b" and g == "detractor") else int(rng.binomial(complete, 0.3))
            active = float(rng.integers(0, 12 * n + 1))
            rows.append({"customer_id": f"C{c}", "group": g, "segment": seg, "answers": n, "complete": complete,
                         "churned": churned, "active_months": active, "revenue": active * 30 * u * rng.uniform(0.5, 1.5),
                         "cost_to_serve": active * rng.gamma(2, 3 / u), "upgrades": float(rng.poisson(0.05 * active)),
                         "referrals": float(rng.poisson(0.02 * active * u))})
    return pd.DataFrame(rows)


def _per_customer_reference(cells: pd.DataFrame, by=(), band="nps", level=0.95) -> pd.DataFrame:
    """Brute force: the customers x groups score matrix u_cg = (y_cg − R_g·x_cg)/X_g built row by row and
    V = factor·u'u (Cochran 1977 §6.4; CR1 factor G/(G−1)·(N−1)/(N−K), Cameron & Miller 2015 eq. 12)."""
    out = []
    for key, cell in (cells.groupby(list(by), sort=True) if by else [((), cells)]):
        key = key if isinstance(key, tuple) else (key,)
        groups = [g for g in BANDS[band] if (cell.group == g).any()]
        ids = sorted(cell.customer_id.unique())
        for metric in METRICS:
            yc, xc = ("churned", "complete") if metric == "retention" else (metric, "active_months")
            Y = np.array([cell[cell.group == g][yc].sum() for g in groups], dtype=float)
            X = np.array([cell[cell.group == g][xc].sum() for g in groups], dtype=float)
            R = np.where(X > 0, Y / np.where(X > 0, X, 1), np.nan)
            u = np.zeros((len(ids), len(groups)))
            for row in cell.itertuples():
                k = groups.index(row.group)
                if X[k] > 0:
                    u[ids.index(row.customer_id), k] += (getattr(row, yc) - R[k] * getattr(row, xc)) / X[k]
            G = cell.groupby("customer_id")[xc].sum().gt(0).sum()
            N, Kf = X.sum(), int((X > 0).sum())
            V = G / (G - 1) * (N - 1) / (N - Kf) * u.T @ u
            t = sps.t.ppf(0.5 + level / 2, G - 1)
            value = 1 - R if metric == "retention" else R
            r = groups.index(REFERENCE[band]) if REFERENCE[band] in groups else None
            for k, g in enumerate(groups):
                mine = cell[cell.group == g]
                se = np.sqrt(V[k, k]) if X[k] > 0 else np.nan
                low, high = value[k] - t * se, value[k] + t * se
                if metric == "retention" and se == 0 and X[k] > 0:
                    n = int((mine.complete > 0).sum())
                    w = wilson(round(value[k] * n), n, level)
                    low, high = float(w.low.item()), float(w.high.item())
                row = {**dict(zip(by, key)), "group": g, "metric": metric, "per": UNITS[metric], "value": value[k],
                       "ci_low": low, "ci_high": high, "customers": len(mine), "answers": int(mine.answers.sum()),
                       "units": X[k], **dict.fromkeys(COLUMNS[9:], np.nan)}
                if r is not None and k != r and X[k] > 0 and X[r] > 0:
                    d, d_se = value[k] - value[r], np.sqrt(V[k, k] + V[r, r] - 2 * V[k, r])
                    row.update(difference=d, difference_ci_low=d - t * d_se, difference_ci_high=d + t * d_se)
                    vk, vr = value[k], value[r]
                    if vk > 0 and vr > 0:
                        l_se = np.sqrt(V[k, k] / vk**2 + V[r, r] / vr**2 - 2 * V[k, r] / (vk * vr))
                        row.update(ratio=vk / vr, ratio_ci_low=vk / vr * np.exp(-t * l_se),
                                   ratio_ci_high=vk / vr * np.exp(t * l_se))
                out.append(row)
    out = pd.DataFrame(out, columns=[*by, *COLUMNS])
    out = out.assign(_g=out.group.map(BANDS[band].index), _m=out.metric.map(METRICS.index))
    return out.sort_values([*by, "_g", "_m"], kind="stable").drop(columns=["_g", "_m"]).reset_index(drop=True)


@pytest.mark.parametrize("by", [(), ("segment",)])
def test_sufficient_statistics_give_the_per_customer_sandwich_to_1e9(by):
    cells = random_cells()
    got = estimates(cells, by=by)
    want = _per_customer_reference(cells, by=by)
    assert len(want) == (3 + 3 + 2 if by else 3) * len(METRICS)
    if by:  # the awkward cells are there: no reference group in c, a Wilson interval in b
        assert got[got.segment == "c"].difference.isna().all() and "promoter" not in set(got[got.segment == "c"].group)
        b = got[(got.segment == "b") & (got.group == "detractor") & (got.metric == "retention")].iloc[0]
        assert b.value == 1.0 and b.ci_high == 1.0 and b.ci_low < 1.0
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False, rtol=1e-9, atol=0)
    assert got.attrs["customers"] == cells.customer_id.nunique() and got.attrs["answers"] == cells.answers.sum()


def test_answers_and_their_customer_x_group_sums_give_the_same_figures():
    """Summing a customer's answers first (cells) or not (the frame's answers) is the same statistic."""
    frame = synthetic_frame(customers=200)
    cells = cells_from_frame(frame, horizon=12, by=("segment",))
    pd.testing.assert_frame_equal(outcomes_by_group(frame, horizon=12, by=("segment",)),
                                  _per_customer_reference(cells, by=("segment",)), check_dtype=False, rtol=1e-9, atol=0)


def test_a_narrow_spread_loses_digits_only_as_the_expansion_predicts():
    """The expansion S_yy − 2R·S_yx + R²·S_xx cancels when every customer's ratio is close to R: with a 1e-3
    spread about 6 of 16 digits go; the intervals still agree with the per-customer scores to 1e-8."""
    cells = random_cells(customers=300)
    rng = np.random.default_rng(5)
    cells["revenue"] = cells.active_months * 1000 * (1 + 1e-3 * rng.standard_normal(len(cells)))
    got, want = estimates(cells), _per_customer_reference(cells)
    g, w = got[got.metric == "revenue"], want[want.metric == "revenue"]
    assert (w.ci_high - w.ci_low).min() > 0
    np.testing.assert_allclose((g.ci_high - g.ci_low).to_numpy(), (w.ci_high - w.ci_low).to_numpy(), rtol=1e-8)


@pytest.mark.parametrize("band,by", [("nps", ()), ("nps", ("segment",)), ("csat", ("plan",))])
def test_engine_statistics_are_the_cross_products_over_customers(small_store, band, by):
    """group_statistics against a loop over the customers of group_cells: per customer, each group's sums; then
    the sums of their products over customers, per cell of `by`."""
    scope = Scope.parse(since="2024-02-01")
    got = group_statistics(small_store, scope, horizon=6, by=by, band=band).to_pandas()
    got = got.sort_values(list(by)).reset_index(drop=True) if by else got
    cells = group_cells(small_store, scope, horizon=6, by=by, band=band).to_pandas()
    groups, checked = BANDS[band], 0
    for i, (key, cell) in enumerate(cells.groupby(list(by), sort=True) if by else [((), cells)]):
        per = {}  # customer -> column -> [sum in group 0, 1, 2]
        for row in cell.itertuples():
            for s in SUMS:
                per.setdefault(row.customer_id, {}).setdefault(s, [0.0] * 3)[groups.index(row.group)] += getattr(row, s)
        st = got.iloc[i]
        assert st.customers == len(per)
        for a, b in (("churned", "complete"), ("revenue", "active_months"), ("referrals", "referrals")):
            for k in range(3):
                assert st[f"{a}_{k}"] == pytest.approx(sum(p[a][k] for p in per.values()), rel=1e-12)
                for l in range(3):
                    name = f"{a}_{k}_{b}_{l}" if f"{a}_{k}_{b}_{l}" in st else f"{b}_{l}_{a}_{k}"
                    want = sum(p[a][k] * p[b][l] for p in per.values())
                    assert st[name] == pytest.approx(want, rel=1e-12, abs=1e-12)
                    checked += 1
        for k in range(3):
            assert st[f"customers_{k}"] == sum(p["answers"][k] > 0 for p in per.values())
            assert st[f"complete_customers_{k}"] == sum(p["complete"][k] > 0 for p in per.values())
        assert st.active_months_customers == sum(sum(p["active_months"]) > 0 for p in per.values())
    assert checked > 0
