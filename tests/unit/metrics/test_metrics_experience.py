"""CSAT, CES, weighting and comparisons: engine results against brute-force pandas/NumPy on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlens.errors import UsageError
from cxlens.metrics import ces_by, csat_by, nps_by
from cxlens.metrics.weighting import stratum_weights, weighting_report
from cxlens.query import Scope


def _joined(frames, metric):
    r = frames["responses"]
    return r[r["metric"] == metric].merge(frames["customers"], on="customer_id")


def test_csat_mean_top2_and_intervals_match_brute_force(generated):
    store, frames = generated
    got = csat_by(store, Scope(by=("touchpoint",))).set_index("touchpoint")
    for tp, g in _joined(frames, "csat").groupby("touchpoint_id"):
        x = g["score"].to_numpy()
        row = got.loc[tp]
        assert row["n"] == len(x) and row["csat"] == pytest.approx(x.mean())
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
        assert row["top2_pct"] == pytest.approx(100 * np.mean(x >= 4))
        assert row["top2_ci_low"] < row["top2_pct"] < row["top2_ci_high"]


def test_ces_is_higher_is_easier_and_low_effort_means_5_to_7(generated):
    store, frames = generated
    got = ces_by(store, Scope(by=("region",), period="quarter"))
    g = _joined(frames, "ces")
    g = g.assign(period=g["ts"].dt.year.astype(str) + "-Q" + g["ts"].dt.quarter.astype(str))
    brute = g.groupby(["region", "period"])["score"].agg(n="size", ces="mean", low=lambda s: 100 * np.mean(s >= 5))
    merged = got.set_index(["region", "period"]).join(brute, rsuffix="_b")
    assert (merged["n"] == merged["n_b"]).all()
    assert np.allclose(merged["ces"], merged["ces_b"]) and np.allclose(merged["low_effort_pct"], merged["low"])


def test_nps_by_plan_and_month_matches_brute_force(generated):
    store, frames = generated
    got = nps_by(store, Scope(by=("plan",), period="month"))
    g = _joined(frames, "nps")
    g = g.assign(period=g["ts"].dt.strftime("%Y-%m"))
    brute = g.groupby(["plan", "period"])["score"].agg(
        n="size", nps=lambda s: 100 * (np.mean(s >= 9) - np.mean(s <= 6)))
    merged = got.set_index(["plan", "period"]).join(brute, rsuffix="_b")
    assert len(merged) == len(brute)
    assert (merged["n"] == merged["n_b"]).all() and np.allclose(merged["nps"], merged["nps_b"])


def test_poststratification_weights_reproduce_the_customer_mix(generated):
    store, frames = generated
    report = weighting_report(store, metric="nps")
    weighted_share = report["n"] * report["weight"] / (report["n"] * report["weight"]).sum()
    assert np.allclose(weighted_share, report["customers"] / report["customers"].sum())
    assert (report["n"] * report["weight"]).sum() == pytest.approx(report["n"].sum())


def test_weighted_nps_matches_brute_force_weighted_mean_and_corrects_response_bias(generated):
    store, frames = generated
    g = _joined(frames, "nps")
    cust = frames["customers"]
    pop = cust.groupby(["segment", "region"]).size() / len(cust)
    smp = g.groupby(["segment", "region"]).size() / len(g)
    w = g.set_index(["segment", "region"]).index.map((pop / smp).to_dict()).to_numpy(float)
    y = np.where(g["score"] >= 9, 1, np.where(g["score"] <= 6, -1, 0))
    weighted = nps_by(store, Scope(weighting="poststratify")).iloc[0]
    plain = nps_by(store).iloc[0]
    assert weighted["nps"] == pytest.approx(100 * np.sum(w * y) / np.sum(w))
    assert weighted["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), abs=0.05)
    assert weighted["n_eff"] < weighted["n"]
    assert weighted["nps"] > plain["nps"]  # unhappy business customers are over-represented among respondents
    assert weighted["ci_high"] - weighted["ci_low"] > plain["ci_high"] - plain["ci_low"]


def test_raking_matches_both_margins_when_joint_cells_are_not_used():
    respondents = pd.DataFrame({"segment": ["a", "a", "b", "b"], "region": ["n", "s", "n", "s"], "n": [50, 10, 30, 10]})
    customers = pd.DataFrame({"segment": ["a", "a", "b", "b"], "region": ["n", "s", "n", "s"],
                              "customers": [100, 200, 300, 400]})
    w = stratum_weights(respondents, customers, method="rake")
    total = respondents["n"] * w["weight"]
    assert total.groupby(respondents["segment"]).sum().tolist() == pytest.approx([0.3 * 100, 0.7 * 100])
    assert total.groupby(respondents["region"]).sum().tolist() == pytest.approx([0.4 * 100, 0.6 * 100])


def test_previous_period_comparison_marks_a_planted_fall_and_not_noise(tmp_path):
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store

    rng = np.random.default_rng(0)
    (tmp_path / "journey.yaml").write_text("touchpoints:\n  - {id: a, name: A, stage: usage}\n  - {id: b, name: B, stage: usage}\n")
    pd.DataFrame({"customer_id": ["C1"]}).to_csv(tmp_path / "c.csv", index=False)
    rows = []
    for month, share_a in (("2024-01", 0.6), ("2024-02", 0.6), ("2024-03", 0.2)):  # a falls in March; b never moves
        for tp, share in (("a", share_a), ("b", 0.5)):
            for i in range(300):
                score = 10 if rng.random() < share else rng.integers(0, 7)
                rows.append((f"{tp}{month}{i}", "C1", f"{month}-10", tp, "nps", score))
    pd.DataFrame(rows, columns=["response_id", "customer_id", "ts", "touchpoint_id", "metric", "score"]).to_csv(
        tmp_path / "r.csv", index=False)
    store = Store.open(f"duckdb:///{tmp_path / 'x.duckdb'}")
    sync_journey(store, read_journey(tmp_path / "journey.yaml"))
    load(store, tmp_path / "c.csv", "customers")
    load(store, tmp_path / "r.csv", "responses")
    got = nps_by(store, Scope(by=("touchpoint",), period="month"), compare="previous")
    flagged = got[got["significant"]]
    assert flagged[["touchpoint", "period", "direction"]].values.tolist() == [["a", "2024-03", "fall"]]
    assert got.loc[got["period"] == "2024-01", "vs"].isna().all()
    assert got["q_value"].dropna().ge(got["p_value"].dropna()).all()
    store.close()


def test_group_vs_rest_comparison_finds_the_unhappy_segment(generated):
    store, _ = generated
    got = nps_by(store, Scope(by=("segment",)), compare="rest").set_index("segment")
    assert got.loc["business", "direction"] == "fall"
    assert got.loc["business", "vs"] == "rest"


def test_compare_previous_without_a_period_is_a_usage_error_naming_period(tiny_store):
    with pytest.raises(UsageError, match="needs period=") as err:
        nps_by(tiny_store, Scope(by=("touchpoint",)), compare="previous")
    assert err.value.parameter == "period"
    with pytest.raises(UsageError, match="compare='sideways'") as err:
        csat_by(tiny_store, Scope(by=("touchpoint",)), compare="sideways")
    assert err.value.parameter == "compare" and err.value.allowed == ("previous", "rest")


def test_csat_and_ces_on_the_tiny_store(tiny_store):
    csat = csat_by(tiny_store, Scope(by=("touchpoint",))).set_index("touchpoint")
    assert csat.loc["shop", "csat"] == 4.0 and csat.loc["shop", "top2_pct"] == 75.0
    assert csat.loc["call", "ci_low"] >= 1.0  # intervals stay on the answer scale
    ces = ces_by(tiny_store, Scope(by=("stage",))).set_index("stage")
    assert ces.loc["purchase", "ces"] == 5.0 and ces.loc["purchase", "low_effort_pct"] == 75.0
    assert list(ces.columns) == ["n", "customers", "ces", "ci_low", "ci_high", "low_effort_pct", "low_effort_ci_low",
                                 "low_effort_ci_high", "low_n"]
