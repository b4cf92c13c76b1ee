"""The customer view of the 3,500-customer demo against its planted personas (personas_truth.csv, demo/params.py):
who belongs to a persona shows in the view's behaviour, experience and age."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxlens.demo import params as P
from cxlens.ingest import load
from cxlens.people import customer_view_frame


@pytest.fixture(scope="module")
def view(demo_store_copy) -> pd.DataFrame:
    """The view of the demo with events and outcomes loaded, joined to each customer's planted persona."""
    store, files, _ = demo_store_copy()
    try:
        for kind in ("events", "outcomes"):
            load(store, files.tables()[kind], kind)
        frame = customer_view_frame(store)
        events = int(store.table("events").count().execute())
    finally:
        store.close()
    truth = pd.read_csv(Path(files.journey).parent / "personas_truth.csv")
    joined = frame.merge(truth.rename(columns={"persona": "planted", "persona_id": "planted_id"}), on="customer_id")
    joined.attrs["events"] = events
    return joined


def test_every_customer_and_event_is_in_the_view(view):
    assert len(view) == 3500
    assert view.events.sum() == view.attrs["events"]
    stages = [c for c in view.columns if c.startswith("events_")]
    assert stages == [f"events_{s}" for s in ("awareness", "purchase", "onboarding", "usage", "billing", "support",
                                               "renewal", "advocacy")]
    assert (view[stages].sum(axis=1) == view.events).all()
    assert view.active.notna().all() and 0.3 < view.active.mean() < 0.95


def test_digital_share_by_persona_follows_the_planted_digital_propensity(view):
    planted = pd.Series({p["name"]: p["digital"] for p in P.PERSONAS})
    got = view.groupby("planted").digital_share.mean()
    assert got.idxmax() == planted.idxmax() == "digital_natives"
    assert got.idxmin() == planted.idxmin() == "traditional_seniors"
    rho = pd.concat([got, planted], axis=1).corr(method="spearman").iloc[0, 1]
    assert rho >= 0.8, (rho, got.to_dict())


def test_age_by_persona_lies_in_the_planted_age_range(view):
    ages = view.groupby("planted").age.mean()
    assert view.age.notna().all()
    for p in P.PERSONAS:
        lo, hi = p["age"]
        assert lo <= ages[p["name"]] <= hi, (p["name"], ages[p["name"]])


def test_warmest_and_coolest_personas_have_the_highest_and_lowest_nps(view):
    attitude = pd.Series({p["name"]: p["attitude"] for p in P.PERSONAS})
    nps = view.groupby("planted").nps_latest.mean()
    assert nps.idxmax() == attitude.idxmax() == "premium_loyalists"
    assert nps.idxmin() == attitude.idxmin() == "bargain_hunters"


def test_ticket_prone_persona_has_the_most_tickets_per_month(view):
    planted = pd.Series({p["name"]: p["tickets"] for p in P.PERSONAS})
    assert view.groupby("planted").tickets_per_month.mean().idxmax() == planted.idxmax() == "connected_families"


def test_each_personas_most_common_segment_is_the_planted_one(view):
    checked = 0
    for p in P.PERSONAS:
        shares = sorted(p["segment"].items(), key=lambda kv: -kv[1])
        if len(shares) > 1 and shares[0][1] - shares[1][1] < 0.2:
            continue  # busy_professionals: half SME, half corporate
        assert view[view.planted == p["name"]].segment.value_counts().idxmax() == shares[0][0], p["name"]
        checked += 1
    assert checked == 5
