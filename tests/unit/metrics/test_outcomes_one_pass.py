"""Ticket outcomes in one pass (architecture D51): both percentiles of each timing from one aggregate, only the joins
the dimensions need, and capped customers from the most tickets one customer opened, all against pandas brute force
on a seeded store with planted ticket times (a heavy customer, tickets never answered or resolved)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from conftest import generate_frames, load_generated
from cxlens.metrics.outcomes import most_tickets, outcomes_by
from cxlens.metrics.scorecard import scorecard
from cxlens.query import Scope
from cxlens.query.tickets import tickets

HEAVY = "C0"  # opens 150 tickets: the bound (cap x most tickets) then leaves small cells to be counted


def _planted_frames() -> dict[str, pd.DataFrame]:
    frames = generate_frames(seed=23, customers=300, answers=600, tickets=4000)
    k = frames["tickets"].copy()
    rng = np.random.default_rng(51)
    k.loc[:149, "customer_id"] = HEAVY
    # planted times: call tickets are resolved in 10-40 h, chat in 1-5 h, a tenth never got a first response
    chat = k["touchpoint_id"] == "chat"
    hours = np.where(chat, rng.uniform(1, 5, len(k)), rng.uniform(10, 40, len(k)))
    k["resolved_at"] = (k["opened_at"] + pd.to_timedelta(np.round(hours * 3600), unit="s")).where(k["resolved_at"].notna())
    k.loc[rng.random(len(k)) < 0.1, "first_response_at"] = pd.NaT
    # no chat ticket of March 2024 was resolved: that cell has no resolution percentiles
    march = chat & (k["opened_at"].dt.strftime("%Y-%m") == "2024-03")
    k.loc[march, "resolved_at"] = pd.NaT
    frames["tickets"] = k
    return frames


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """(store, frames): the planted data loaded through `load`, and the same data as pandas frames."""
    frames = _planted_frames()
    store = load_generated(tmp_path_factory.mktemp("planted-tickets"), frames, ("customers", "tickets"))
    yield store, frames
    store.close()


def _brute_force(frames: dict[str, pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Every outcome column per cell, computed row by row with pandas (np.quantile: linear, as the engines)."""
    k = frames["tickets"].merge(frames["customers"], on="customer_id", how="left")
    k = k.assign(touchpoint=k["touchpoint_id"], period=k["opened_at"].dt.strftime("%Y-%m"),
                 frt=(k["first_response_at"] - k["opened_at"]).dt.total_seconds() / 3600,
                 res=(k["resolved_at"] - k["opened_at"]).dt.total_seconds() / 3600, resolved=k["resolved_at"].notna())
    k["fcr"] = k["resolved"] & (k["contacts"] == 1) & ~k["reopened"]

    def q(values: pd.Series, p: float) -> float:
        values = values.dropna()
        return float(np.quantile(values, p)) if len(values) else np.nan

    rows = []
    for key, g in k.groupby(keys):
        resolved = g["resolved"].sum()
        rows.append({**dict(zip(keys, key)), "tickets": len(g), "customers": g["customer_id"].nunique(),
                     "resolution_rate": 100 * resolved / len(g),
                     "fcr_rate": 100 * g["fcr"].sum() / resolved if resolved else np.nan,
                     "reopen_rate": 100 * (g["resolved"] & g["reopened"]).sum() / resolved if resolved else np.nan,
                     "frt_p50_h": q(g["frt"], 0.5), "frt_p90_h": q(g["frt"], 0.9),
                     "resolution_p50_h": q(g["res"], 0.5), "resolution_p90_h": q(g["res"], 0.9),
                     "open_tickets": int((~g["resolved"]).sum())})
    return pd.DataFrame(rows).set_index(keys)


def test_outcomes_by_touchpoint_segment_month_match_pandas_brute_force(planted):
    store, frames = planted
    got = outcomes_by(store, Scope(by=("touchpoint", "segment"), period="month")).set_index(
        ["touchpoint", "segment", "period"])
    truth = _brute_force(frames, ["touchpoint", "segment", "period"])
    assert len(got) == len(truth) == 72  # 2 touchpoints x 3 segments x 12 months
    got = got.loc[truth.index]
    for col in ("tickets", "customers", "open_tickets"):
        assert (got[col].to_numpy() == truth[col].to_numpy()).all(), col
    for col in ("resolution_rate", "fcr_rate", "reopen_rate", "frt_p50_h", "frt_p90_h", "resolution_p50_h",
                "resolution_p90_h"):
        np.testing.assert_allclose(got[col].to_numpy(float), truth[col].to_numpy(float), rtol=1e-12, err_msg=col)
    # the planted times come back: chat resolves in 1-5 h, call in 10-40 h; March's chat cells have no resolution
    assert got.xs("chat")["resolution_p90_h"].max() <= 5 and got.xs("call")["resolution_p50_h"].min() >= 10
    march = got.xs("chat").xs("2024-03", level="period")
    assert march["resolution_p50_h"].isna().all() and march["resolution_p90_h"].isna().all()
    assert march["frt_p50_h"].notna().all()


@pytest.mark.parametrize("cap", [1, 2, 5, 40])
@pytest.mark.parametrize("scope", [Scope(by=("touchpoint", "segment"), period="month"), Scope(by=("touchpoint",)),
                                   Scope(), Scope(by=("category",), period="week", filters={"region": ("north",)}),
                                   Scope(by=("segment", "region"), since="2024-05-01", until="2024-08-31")],
                         ids=["tp-segment-month", "touchpoint", "all", "category-week-north", "segment-region-summer"])
def test_capped_customers_are_the_exact_count_capped(planted, scope, cap):
    store, _ = planted
    exact = outcomes_by(store, scope)
    capped = outcomes_by(store, scope, customers_cap=cap)
    assert (capped["customers"].to_numpy() == np.minimum(exact["customers"].to_numpy(), cap)).all()
    pd.testing.assert_frame_equal(capped.drop(columns="customers"), exact.drop(columns="customers"))


def test_the_bound_settles_large_cells_and_counts_the_rest(planted):
    store, frames = planted
    assert most_tickets(store, Scope()) == frames["tickets"]["customer_id"].value_counts().max() >= 150
    # by touchpoint: cells of ~2,000 tickets >= 5 x 150 are settled by the bound; by month (~170) they are counted
    by_tp = outcomes_by(store, Scope(by=("touchpoint",)), customers_cap=5)
    by_month = outcomes_by(store, Scope(by=("touchpoint", "segment"), period="month"), customers_cap=200)
    exact = outcomes_by(store, Scope(by=("touchpoint", "segment"), period="month"))
    assert (by_tp["tickets"] >= 5 * 150).all() and (by_tp["customers"] == 5).all()
    assert (by_month["tickets"] < 200 * 150).all()
    assert (by_month["customers"].to_numpy() == np.minimum(exact["customers"].to_numpy(), 200)).all()


def test_ticket_rows_join_customers_only_for_customer_dimensions(planted):
    store, _ = planted

    def joins(rows) -> set[str]:
        sql = ibis.to_sql(rows, dialect="duckdb")
        return {name for name in ("customers", "touchpoints") if f'"{name}"' in sql}

    assert joins(tickets(store, Scope(), dimensions=("touchpoint", "category"))) == set()
    assert joins(tickets(store, Scope(), dimensions=("stage",))) == {"touchpoints"}
    assert joins(tickets(store, Scope(filters={"plan": ("pro",)}), dimensions=("touchpoint",))) == {"customers"}
    assert joins(tickets(store, Scope())) == {"customers", "touchpoints"}
    narrow = tickets(store, Scope(filters={"plan": ("pro",)}), dimensions=("touchpoint",)).execute()
    full = tickets(store, Scope(filters={"plan": ("pro",)})).execute()
    assert sorted(narrow["ticket_id"]) == sorted(full["ticket_id"])


def test_scorecard_caps_ticket_customers_as_it_caps_the_answers(planted):
    store, _ = planted
    exact = scorecard(store).set_index("touchpoint")
    capped = scorecard(store, customers_cap=5).set_index("touchpoint")
    has = exact["customers_tickets"].notna()
    assert has.sum() == 2  # call and chat have tickets
    assert (capped.loc[has, "customers_tickets"] == np.minimum(exact.loc[has, "customers_tickets"], 5)).all()
    assert capped.loc[has, "resolution_p50_h"].equals(exact.loc[has, "resolution_p50_h"])
