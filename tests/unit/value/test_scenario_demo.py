"""Scenario value and trend on the demo company, against the value computed from its planted equations (truth.json)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from value_frames import demo_frame

from cxlens.model.config import ValueConfig
from cxlens.value.dataset import customer_month_frame
from cxlens.value.scenario import scenario
from cxlens.value.trend import trend

CONFIG = ValueConfig(upgrade_value=120.0, referral_value=60.0)


def planted_value(frame: pd.DataFrame, truth: dict, source: str, target: str, share: float, config: ValueConfig) -> dict:
    """Brute force from truth.json, customer by customer: the customers active in the last month whose latest answer
    is `source`; 12 months of S(t) x (revenue - cost + upgrades x u + referrals x r) with the last year's hazard
    multipliers (h = min(cap, base[segment] x multiplier[group])), under target minus under source; share x the sum,
    per segment and overall. The moments-of-truth ticket factor (mean near 1) is left out, as no forecast knows it."""
    churn, link = truth["churn"], truth["value_link"]
    year = max(churn["nps_group_multiplier_by_year"])
    mult = churn["nps_group_multiplier_by_year"][year]
    last = frame[(frame["m"] == frame["m"].max()) & (frame["churned"] == 0) & (frame["last_nps_group"] == source)]
    out: dict[str, float] = {}
    for seg in last["segment"]:
        base, lk = link["baseline_by_segment"][seg], link["multiplier_by_segment"][seg]
        total = 0.0
        for g, sign in ((target, 1), (source, -1)):
            h = min(churn["hazard_cap"], churn["base_monthly_hazard_by_segment"][seg] * mult[g])
            monthly = (base["revenue"] * lk["revenue"][g] - base["cost_to_serve"] * lk["cost_to_serve"][g]
                       + config.upgrade_value * base["upgrades"] * lk["upgrades"][g]
                       + config.referral_value * base["referrals"] * lk["referrals"][g])
            total += sign * float(((1 - h) ** np.arange(1, 13) * monthly).sum())
        out[seg] = out.get(seg, 0.0) + share * total
    out["(all)"] = sum(out.values())
    return out


@pytest.fixture(scope="module")
def demo(demo_store_copy):
    store, files, _ = demo_store_copy()
    try:
        frame = demo_frame(store, files)
    finally:
        store.close()
    return frame, json.loads(files.truth.read_text())


def test_demo_scenario_value_is_within_its_interval_of_the_planted_value(demo):
    frame, truth = demo
    out = scenario(frame, ["detractor:passive:5%", "passive:promoter:5%"], config=CONFIG, n_boot=100, seed=3)
    for move in ("detractor:passive", "passive:promoter"):
        source, target = move.split(":")
        planted = planted_value(frame, truth, source, target, 0.05, CONFIG)["(all)"]
        row = out[(out["move"] == f"{source}->{target}") & (out["segment"] == "(all)")].iloc[0]
        assert row["ci_low"] <= planted <= row["ci_high"], (move, planted, row["value_per_year"], row["ci_low"], row["ci_high"])


def test_demo_trend_says_the_link_strengthens_from_2024_to_2025(demo):
    frame, truth = demo
    out = trend(frame)
    hr = out[(out["measure"] == "churn_hazard_ratio") & (out["kind"] == "year")].set_index("year")
    planted = truth["churn"]["detractor_vs_promoter"]
    assert hr.loc["2025", "estimate"] > hr.loc["2024", "estimate"]
    for year in ("2024", "2025"):
        assert hr.loc[year, "ci_low"] <= planted[year] <= hr.loc[year, "ci_high"], (year, hr.loc[year, "estimate"])
    change = out[(out["measure"] == "churn_hazard_ratio") & (out["kind"] == "change")].iloc[0]
    assert change["estimate"] > 1 and change["ci_low"] <= planted["2025"] / planted["2024"] <= change["ci_high"]
    assert change["link"] in ("strengthening", "stable")  # 3,500 customers: the direction, significance at 20,000


@pytest.mark.slow
def test_demo_at_20000_customers_recovers_the_value_and_a_significantly_strengthening_link(value_demo_store):
    store, files = value_demo_store()
    try:
        frame = customer_month_frame(store)
    finally:
        store.close()
    truth = json.loads(files.truth.read_text())
    out = scenario(frame, ["detractor:passive:5%", "passive:promoter:5%"], config=CONFIG, n_boot=100, seed=3)
    for source, target in (("detractor", "passive"), ("passive", "promoter")):
        planted = planted_value(frame, truth, source, target, 0.05, CONFIG)
        rows = out[out["move"] == f"{source}->{target}"].set_index("segment")
        row = rows.loc["(all)"]
        assert row["ci_low"] <= planted["(all)"] <= row["ci_high"], (source, planted["(all)"], row["value_per_year"])
        # per segment the planted value is inside the interval for most segments (8 intervals at 95%)
        inside = sum(rows.loc[s, "ci_low"] <= v <= rows.loc[s, "ci_high"] for s, v in planted.items() if s != "(all)")
        assert inside >= 6
    change = trend(frame)
    hr = change[change["measure"] == "churn_hazard_ratio"].set_index("year")
    assert hr.loc["2024->2025", "link"] == "strengthening" and hr.loc["2024->2025", "p_value"] < 0.05
