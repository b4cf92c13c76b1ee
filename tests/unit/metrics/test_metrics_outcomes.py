"""Ticket outcomes against hand counts and pandas brute force; CSAT drivers recover a planted effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import UsageError
from cxlens.metrics.outcomes import outcomes_by
from cxlens.value.drivers import csat_drivers
from cxlens.query import Scope
from cxlens.stats import ols


def test_ticket_outcomes_on_the_tiny_store_match_hand_counts(tiny_store):
    row = outcomes_by(tiny_store, Scope(by=("touchpoint",))).iloc[0]
    assert row["tickets"] == 5
    assert row["resolution_rate"] == 80.0          # T1-T4 resolved, T5 open
    assert row["fcr_rate"] == 50.0                 # T1, T2 of 4 resolved (T3 two contacts, T4 reopened)
    assert row["reopen_rate"] == 25.0
    assert row["frt_p50_h"] == 2.0 and row["frt_p90_h"] == pytest.approx(6.4)    # 0.5, 1, 2, 4, 8 hours
    assert row["resolution_p50_h"] == 72.0 and row["resolution_p90_h"] == pytest.approx(163.2)
    assert row["open_tickets"] == 1 and row["backlog_age_p50_d"] == pytest.approx(7.0)  # as of the last ticket time


def test_ticket_outcomes_by_category_and_month_match_pandas(generated):
    store, frames = generated
    got = outcomes_by(store, Scope(by=("category",), period="month")).set_index(["category", "period"])
    t = frames["tickets"].assign(period=frames["tickets"]["opened_at"].dt.strftime("%Y-%m"))
    t["frt"] = (t["first_response_at"] - t["opened_at"]).dt.total_seconds() / 3600
    t["res"] = (t["resolved_at"] - t["opened_at"]).dt.total_seconds() / 3600
    t["resolved"] = t["resolved_at"].notna()
    t["fcr"] = t["resolved"] & (t["contacts"] == 1) & ~t["reopened"]
    for (cat, period), g in t.groupby(["category", "period"]):
        row = got.loc[(cat, period)]
        assert row["tickets"] == len(g)
        assert row["resolution_rate"] == pytest.approx(100 * g["resolved"].mean())
        assert row["fcr_rate"] == pytest.approx(100 * g["fcr"].sum() / g["resolved"].sum())
        assert row["frt_p90_h"] == pytest.approx(np.quantile(g["frt"], 0.9), rel=1e-6)
        assert row["resolution_p50_h"] == pytest.approx(g["res"].median(), rel=1e-6)


def test_unknown_ticket_dimension_is_refused(tiny_store):
    with pytest.raises(UsageError, match="unknown dimension") as err:
        outcomes_by(tiny_store, Scope(by=("mood",)))
    assert err.value.parameter == "by" and "category" in err.value.allowed
    with pytest.raises(UsageError, match="filters") as err:
        outcomes_by(tiny_store, Scope(filters={"aspect": "emotional"}))  # tickets have no aspect
    assert err.value.parameter == "filters"
    with pytest.raises(UsageError, match="weighting") as err:
        outcomes_by(tiny_store, Scope(by=("touchpoint",), weighting="poststratify"))


def test_csat_drivers_recover_a_planted_resolution_time_effect(tmp_path):
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store

    rng = np.random.default_rng(8)
    n = 1500
    (tmp_path / "j.yaml").write_text("touchpoints:\n  - {id: call, name: Call, stage: support}\n")
    pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)]}).to_csv(tmp_path / "c.csv", index=False)
    opened = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 24, n), unit="h")
    days = rng.gamma(1.5, 2.0, n)
    contacts = 1 + rng.poisson(0.3, n)
    latent = 4.0 - 0.2 * (days - 2.5) + rng.normal(0, 0.5, n)  # -0.2 CSAT per day to resolve, nothing else
    tickets = pd.DataFrame({"ticket_id": [f"T{i}" for i in range(n)], "customer_id": [f"C{i}" for i in range(n)],
                            "touchpoint_id": "call", "opened_at": opened,
                            "first_response_at": opened + pd.to_timedelta(rng.integers(60, 7200, n), unit="s"),
                            "resolved_at": opened + pd.to_timedelta(days * 86400, unit="s").round("s"),
                            "reopened": False, "contacts": contacts})
    answers = pd.DataFrame({"response_id": [f"R{i}" for i in range(n)], "customer_id": tickets["customer_id"],
                            "ts": tickets["resolved_at"] + pd.Timedelta(hours=2), "touchpoint_id": "call",
                            "metric": "csat", "score": np.clip(np.round(latent), 1, 5)})
    tickets.to_parquet(tmp_path / "t.parquet", index=False)
    answers.to_parquet(tmp_path / "r.parquet", index=False)
    store = Store.open(f"duckdb:///{tmp_path / 'x.duckdb'}")
    sync_journey(store, read_journey(tmp_path / "j.yaml"))
    load(store, tmp_path / "c.csv", "customers")
    load(store, tmp_path / "t.parquet", "tickets")
    load(store, tmp_path / "r.parquet", "responses")
    drivers = csat_drivers(store)
    store.close()
    top = drivers.iloc[0]
    assert top["driver"] == "resolution_days" and top["n"] == n and top["customers"] == n
    assert top["ci_low"] < -0.2 < top["ci_high"]
    assert top["p_value"] < 1e-6
    # no ticket was reopened: that driver is reported, last, with no figures and the reason
    never = drivers.set_index("driver").loc["reopened"]
    assert drivers["driver"].iloc[-1] == "reopened" and np.isnan(never["effect"]) and "does not vary" in never["note"]
    others = drivers.iloc[1:-1]
    assert len(others) == 3 and (others["std_effect"].abs() < abs(top["std_effect"]) / 3).all()


def test_csat_drivers_from_sums_match_numpy_least_squares(generated):
    store, frames = generated
    t, r = frames["tickets"], frames["responses"]
    t = t[t["resolved_at"].notna()]
    r = r[r["metric"] == "csat"]
    j = t.merge(r, on=["customer_id", "touchpoint_id"])
    j = j[(j["ts"] >= j["opened_at"]) & (j["ts"] <= j["resolved_at"] + pd.Timedelta(days=14))]
    X = np.column_stack([
        (j["resolved_at"] - j["opened_at"]).dt.total_seconds() / 86400,
        (j["first_response_at"] - j["opened_at"]).dt.total_seconds() / 3600,
        j["contacts"], j["reopened"].astype(float),
        ((j["contacts"] == 1) & ~j["reopened"]).astype(float),
    ])
    beta = np.linalg.lstsq(np.column_stack([np.ones(len(j)), X]), j["score"].to_numpy(), rcond=None)[0][1:]
    got = csat_drivers(store).set_index("driver")
    names = ["resolution_days", "first_response_hours", "contacts", "reopened", "first_contact_resolution"]
    assert got.loc[names, "effect"].to_numpy() == pytest.approx(beta, rel=1e-6, abs=1e-9)
    assert int(got["n"].iloc[0]) == len(j)
    # intervals are cluster-robust by customer: a customer's repeated tickets are not independent
    fit = ols(X, j["score"].to_numpy(), names, cov="CR1", clusters=j["customer_id"].to_numpy())
    low, high = fit.conf_int()
    assert got.loc[names, "ci_low"].to_numpy() == pytest.approx(low, rel=1e-6)
    assert got.loc[names, "ci_high"].to_numpy() == pytest.approx(high, rel=1e-6)
    assert int(got["customers"].iloc[0]) == j["customer_id"].nunique() < len(j)
