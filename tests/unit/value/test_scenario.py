"""The money value of moving customers between NPS groups, against frames with a planted link."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from value_frames import planted_frame, planted_value

from cxlens.errors import AnalysisError, UsageError
from cxlens.model.config import ValueConfig
from cxlens.value.scenario import Move, parse_move, scenario

CONFIG = ValueConfig(currency="EUR", upgrade_value=100.0, referral_value=50.0)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return planted_frame(4000, seed=1)


@pytest.fixture(scope="module")
def result(frame) -> pd.DataFrame:
    return scenario(frame, ["detractor:passive:5%", "passive:promoter:10%"], config=CONFIG, n_boot=100, seed=7)


@pytest.mark.parametrize("move", ["detractor:passive:5%", "passive:promoter:10%"])
def test_g_computation_recovers_the_planted_value_within_its_interval(frame, result, move):
    source, target, share = parse_move(move).source, parse_move(move).target, parse_move(move).share
    planted = planted_value(frame, source, target, share, upgrade_value=100.0, referral_value=50.0, by_segment=True)
    planted["(all)"] = sum(planted.values())
    rows = result[result["move"] == f"{source}->{target}"].set_index("segment")
    for segment, value in planted.items():
        row = rows.loc[segment]
        assert row["ci_low"] <= value <= row["ci_high"], (segment, value, row["value_per_year"])
        assert row["value_per_year"] == pytest.approx(value, rel=0.15)


def test_value_is_share_times_customers_times_mean_difference_and_components_add_up(result):
    row = result.iloc[0]
    assert row["segment"] == "(all)" and row["move"] == "detractor->passive"
    assert row["customers_moved"] == pytest.approx(0.05 * row["customers_in_group"])
    parts = row["revenue_value"] + row["cost_value"] + row["upgrades_value"] + row["referrals_value"]
    assert row["value_per_customer"] == pytest.approx(parts, rel=1e-9)
    assert row["value_per_year"] == pytest.approx(0.05 * row["customers_in_group"] * parts, rel=1e-9)
    # the segments' customers and values add up to the overall row
    segs = result[(result["move"] == "detractor->passive") & (result["segment"] != "(all)")]
    assert segs["customers_in_group"].sum() == row["customers_in_group"]
    assert segs["value_per_year"].sum() == pytest.approx(row["value_per_year"], rel=1e-9)
    # moving detractors keeps customers longer and costs less to serve
    assert row["extra_active_months"] > 0 and row["cost_value"] > 0 and 0 < row["retained_revenue"] < row["revenue_value"]
    assert row["currency"] == "EUR"


def test_risk_ratio_and_e_value_follow_the_planted_churn_link(result, frame):
    row = result.iloc[0]
    # planted 12-month churn risks of the same customers under each group (2025 link: 4.0 vs 1.8)
    from value_frames import CHURN, PLAN_HAZARD, SEGMENTS
    last = frame[(frame["m"] == frame["m"].max()) & (frame["churned"] == 0) & (frame["last_nps_group"] == "detractor")]
    base = np.array([SEGMENTS[s]["hazard"] * PLAN_HAZARD[p] for s, p in zip(last["segment"], last["plan"])])
    risk = {g: (1 - (1 - base * CHURN[2025][g]) ** 12).mean() for g in ("detractor", "passive")}
    planted_rr = risk["detractor"] / risk["passive"]
    assert row["rr_ci_low"] <= planted_rr <= row["rr_ci_high"]
    assert row["e_value"] == pytest.approx(row["risk_ratio"] + np.sqrt(row["risk_ratio"] * (row["risk_ratio"] - 1)))
    assert 1 < row["e_value_ci"] < row["e_value"]
    assert any("E-value" in note for note in result.attrs["notes"])


@pytest.mark.slow
def test_bootstrap_interval_covers_the_planted_value_in_most_draws():
    covered = 0
    for seed in range(10):
        f = planted_frame(1500, seed=100 + seed)
        out = scenario(f, [Move("detractor", "passive", 0.1)], config=CONFIG, by=(), n_boot=60, seed=seed)
        value = planted_value(f, "detractor", "passive", 0.1, upgrade_value=100.0, referral_value=50.0)["(all)"]
        covered += out.iloc[0]["ci_low"] <= value <= out.iloc[0]["ci_high"]
    assert covered >= 8  # nominal 95%: P(fewer than 8 of 10 | p = 0.95) = 1.2%


def test_without_by_and_bootstrap_one_overall_row_without_interval(frame):
    out = scenario(frame, [("detractor", "promoter", 0.05)], config=CONFIG, by=(), n_boot=0)
    assert len(out) == 1 and np.isnan(out.iloc[0]["ci_low"]) and np.isnan(out.iloc[0]["ci_high"])
    assert out.iloc[0]["value_per_year"] > 0


@pytest.mark.parametrize("text, message", [
    ("detractor:passive", "FROM:TO:SHARE"),
    ("detractor:happy:5%", "unknown group 'happy'"),
    ("promoter:passive:5%", "better group"),
    ("detractor:passive:150%", r"\(0, 100%\]"),
    ("detractor:passive:five", "not a number"),
])
def test_moves_are_validated(text, message):
    with pytest.raises(UsageError, match=message):
        parse_move(text)


def test_parse_move_reads_percent_and_fraction():
    assert parse_move("detractor:passive:5%") == Move("detractor", "passive", 0.05)
    assert parse_move(" passive : promoter : 0.1 ") == Move("passive", "promoter", 0.1)


def test_a_group_nobody_is_in_is_a_clear_error(frame):
    no_detractors = frame.assign(last_nps_group=frame["last_nps_group"].replace("detractor", "passive"))
    with pytest.raises(AnalysisError, match="detractor group"):
        scenario(no_detractors, ["detractor:passive:5%"], config=CONFIG, n_boot=0)


def test_a_frame_without_the_contract_columns_is_refused(frame):
    with pytest.raises(AnalysisError, match="lacks revenue"):
        scenario(frame.drop(columns="revenue"), ["detractor:passive:5%"], config=CONFIG, n_boot=0)
    with pytest.raises(UsageError, match="by="):
        scenario(frame, ["detractor:passive:5%"], config=CONFIG, by=("country",), n_boot=0)
