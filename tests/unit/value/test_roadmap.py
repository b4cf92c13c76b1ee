"""Roadmap: hand-computed value, payback and cash-funded order; initiatives.yaml errors naming file, initiative, field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import AnalysisError, ConfigError
from cxlens.value.roadmap import Initiative, read_initiatives, roadmap

DRIVERS = pd.DataFrame({"touchpoint": ["A", "B"], "slope": [10.0, 5.0], "performance": [3.5, 4.0]})
TARGETS = pd.DataFrame({"touchpoint": ["A", "B"], "target": [4.2, 4.5]})
PER_POINT = 12_000.0  # money per year of one NPS point: 1,000 a month


def items():
    return [Initiative(id="i1", name="fix A", touchpoint="A", expected_improvement=0.5, cost=20_000, running_cost=12_000, months=1),
            Initiative(id="i2", name="fix B", touchpoint="B", expected_improvement=1.0, cost=50_000, months=2),
            Initiative(id="i3", name="NPS push", touchpoint="A", unit="nps", expected_improvement=2, cost=10_000, months=0),
            Initiative(id="i4", name="gold plate A", touchpoint="A", expected_improvement=0.1, cost=1_000,
                       running_cost=20_000, months=1)]


def test_value_and_payback_by_hand():
    plan = roadmap(items(), DRIVERS, PER_POINT, targets=TARGETS).plan.set_index("id")
    # i1: 0.5 CSAT x 10 = 5 NPS points x 12,000 = 60,000 a year, net 48,000 (4,000 a month): 1 + 20,000/4,000 = 6
    assert plan.loc["i1", ["nps_gain", "value_per_year", "net_value_per_year", "payback_months"]].tolist() == \
        pytest.approx([5, 60_000, 48_000, 6])
    assert plan.loc["i2", "payback_months"] == pytest.approx(2 + 50_000 / 5_000)
    assert plan.loc["i3", ["nps_gain", "payback_months"]].tolist() == pytest.approx([2, 5])  # NPS points as given
    assert np.isinf(plan.loc["i4", "payback_months"]) and plan.loc["i4", "status"] == "never pays back"
    assert plan.loc["i1", "gap_to_target"] == pytest.approx(0.7) and not plan.loc["i1", "beyond_target"]
    assert plan.loc["i4", "current"] == 3.5 and plan.loc["i4", "target"] == 4.2


def test_early_wins_fund_the_rest_month_by_month():
    r = roadmap(items(), DRIVERS, PER_POINT)
    plan = r.plan
    assert r.budget == 10_000  # the seed: the shortest-payback initiative's cost
    assert plan["id"].tolist() == ["i3", "i1", "i2", "i4"] and plan["rank"].tolist() == [1, 2, 3, 4]
    # i3 earns 2,000 a month from month 0: 20,000 at the start of month 10 pays i1 (live at 11, +4,000 a month);
    # cash 2,000 at 11, then +6,000 a month: 50,000 at the start of month 19 pays i2
    assert plan.set_index("id").start_month.to_dict() == pytest.approx({"i3": 0, "i1": 10, "i2": 19, "i4": np.nan},
                                                                        nan_ok=True)
    assert plan.set_index("id").funded_by[["i3", "i1", "i2"]].tolist() == ["budget", "earlier initiatives",
                                                                           "earlier initiatives"]
    flow = r.cash_flow.set_index("month")
    assert flow.loc[10, "cash_start"] == 20_000 and flow.loc[10, "started"] == "i1"
    assert flow.loc[19, "cash_start"] == 50_000 and flow.loc[19, "started"] == "i2"


def test_budget_funds_what_it_can_at_once():
    plan = roadmap(items(), DRIVERS, PER_POINT, budget=100_000).plan.set_index("id")
    assert plan.start_month[["i3", "i1", "i2"]].tolist() == [0, 0, 0]
    assert (plan.funded_by[["i3", "i1", "i2"]] == "budget").all()
    plan = roadmap(items(), DRIVERS, PER_POINT, budget=15_000).plan.set_index("id")
    # 5,000 left after i3, +2,000 a month: 21,000 at the start of month 8
    assert plan.loc["i1", "start_month"] == 8 and plan.loc["i1", "funded_by"] == "budget and earlier initiatives"


def test_an_unaffordable_initiative_waits_while_a_cheaper_one_starts():
    cheap_slow = Initiative(id="slow", name="s", touchpoint="B", expected_improvement=0.1, cost=1_000, months=0)  # 2 months
    plan = roadmap(items()[:3] + [cheap_slow], DRIVERS, PER_POINT, budget=1_000).plan
    assert plan["id"].tolist()[0] == "slow"  # the only one 1,000 can pay, although i3 pays back sooner
    assert not plan["start_month"].isna().any()


def test_nothing_affordable_and_nothing_earning_stops():
    plan = roadmap(items()[:2], DRIVERS, PER_POINT, budget=0).plan
    assert plan.status.tolist() == ["not funded", "not funded"] and plan.start_month.isna().all()


def test_a_touchpoint_without_a_slope_is_named():
    bad = [Initiative(id="x", name="x", touchpoint="Z", expected_improvement=1, cost=1, months=1)]
    with pytest.raises(AnalysisError, match=r"touchpoint\(s\) Z \(initiative\(s\) x\)"):
        roadmap(bad, DRIVERS, PER_POINT)


YAML_OK = """initiatives:
  - id: login
    name: Faster login
    touchpoint: A
    expected_improvement: 0.3
    cost: 1000
    months: 2
    owner: Digital
"""


def test_reads_initiatives_yaml(tmp_path):
    path = tmp_path / "initiatives.yaml"
    path.write_text(YAML_OK)
    (item,) = read_initiatives(path)
    assert (item.id, item.unit, item.running_cost, item.owner) == ("login", "csat", 0.0, "Digital")


@pytest.mark.parametrize("text, expected", [
    (YAML_OK + "  - id: b\n    name: B\n    touchpoint: A\n    expected_improvement: 1\n    months: 1\n",
     r"initiative 2 \('b'\): cost: Field required"),
    (YAML_OK.replace("months: 2", "months: three"), r"initiative 1 \('login'\): months: .*whole number"),
    (YAML_OK.replace("cost: 1000", "cost: -5"), r"initiative 1 \('login'\): cost: .*>= 0"),
    (YAML_OK.replace("owner: Digital", "colour: red"), r"initiative 1 \('login'\): colour: unknown key; allowed: id, name"),
    (YAML_OK.replace("    touchpoint: A\n", "    touchpoint: A\n    unit: euros\n"), r"unit: .*csat or nps"),
    (YAML_OK + YAML_OK.split("\n", 1)[1], r"initiative 2 \('login'\): id: 'login' is used by an earlier"),
    ("initiatives: []\n", r"initiatives: List should have at least 1 item"),
    ("initiatives: [3]\n", r"initiatives.0: Input should be a valid dictionary"),
    ("initiative:\n  - id: a\n", r"initiatives: Field required; expected a list of initiatives"),
])
def test_yaml_errors_name_file_initiative_and_field(tmp_path, text, expected):
    path = tmp_path / "initiatives.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected) as err:
        read_initiatives(path)
    assert str(err.value).startswith(str(path))


def test_the_demo_initiatives_file_is_valid_and_the_demo_roadmap_ranks_planted_drivers(demo_store_copy):
    from cxlens.ingest import load
    from cxlens.model.config import ValueConfig
    from cxlens.value.roadmap import build_roadmap, driver_slopes

    from cxlens import demo_app

    items = read_initiatives(demo_app._DEMO_INITIATIVES)
    assert {i.touchpoint for i in items} >= {"app_login", "bill_payment", "store_visit", "support_call"}
    store, files, _ = demo_store_copy()
    try:
        load(store, files.tables()["outcomes"], "outcomes")
        slopes = driver_slopes(store, touchpoints=["app_login", "bill_payment", "store_visit", "support_call"])
        result = build_roadmap(store, None, items, ValueConfig())
    finally:
        store.close()
    s = slopes.set_index("touchpoint").slope
    # planted NPS driver weights: app_login, bill_payment above store_visit above support_call (truth.json nps_drivers)
    assert min(s["app_login"], s["bill_payment"]) > s["store_visit"] > s["support_call"] > 0
    plan = result.plan.set_index("id")
    assert plan.loc["app-login-fix", "rank"] == 1 and plan.loc["app-login-fix", "start_month"] == 0
    assert result.value_per_nps_point > 0 and plan.loc["app-login-fix", "target"] == 3.8


def test_strict_order_waits_for_the_next_payback_while_affordable_lets_a_cheap_slow_one_jump():
    nps = dict(touchpoint="A", unit="nps")
    three = [Initiative(id="a", name="a", expected_improvement=1, cost=3_000, months=0, **nps),    # 1,000 a month: 3
             Initiative(id="b", name="b", expected_improvement=2, cost=30_000, months=0, **nps),   # 2,000: 15
             Initiative(id="c", name="c", expected_improvement=0.5, cost=20_000, months=0, **nps)]  # 500: 40
    strict = roadmap(three, DRIVERS, PER_POINT).plan.set_index("id").start_month
    # a from month 0 earns 1,000 a month: 30,000 at month 30 for b; then 3,000 a month: 21,000 at month 37 for c
    assert strict.to_dict() == {"a": 0, "b": 30, "c": 37}
    fill = roadmap(three, DRIVERS, PER_POINT, rule="affordable").plan.set_index("id").start_month
    # 20,000 at month 20 pays c first; then 1,500 a month: 30,000 at month 40 for b
    assert fill.to_dict() == {"a": 0, "c": 20, "b": 40}
