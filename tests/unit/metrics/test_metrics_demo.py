"""On the demo company: the metrics recover what the generator planted (truth.json)."""

from __future__ import annotations

import json

import pytest

from cxlens.query import Scope


@pytest.fixture(scope="module")
def demo_store(demo_store_copy):
    """The demo (conftest: 3,500 customers, seed 11), loaded once per run with the per-aspect answers; a copy.

    Per-aspect answers count only under --by aspect: the other tests here see the store as without them.
    """
    store, files, _ = demo_store_copy()
    yield store, json.loads(files.truth.read_text(encoding="utf-8"))
    store.close()


def test_slow_resolution_is_recovered_as_the_main_driver_of_post_ticket_csat(demo_store):
    from cxlens.value.drivers import csat_drivers

    store, truth = demo_store
    planted = truth["resolution_csat"]["slope_per_day"]  # -0.2 CSAT-latent points per day to resolve
    drivers = csat_drivers(store)
    top = drivers.iloc[0]
    assert top["driver"] == "resolution_days"
    assert top["p_value"] < 1e-6
    # Answers are the latent rounded and clipped to 1..5, which attenuates the slope slightly.
    assert planted * 1.3 < top["effect"] < planted * 0.7
    assert (drivers.iloc[1:]["p_value"] > 0.01).all()


def test_demo_ces_follows_the_higher_is_easier_convention(demo_store):
    from cxlens.metrics import ces_by, csat_by

    store, truth = demo_store
    assert "higher means less effort" in truth["conventions"]["ces"]
    ces = ces_by(store, Scope(by=("touchpoint",))).set_index("touchpoint")["ces"]
    csat = csat_by(store, Scope(by=("touchpoint",))).set_index("touchpoint")["csat"]
    both = ces.index.intersection(csat.index)
    assert ces[both].corr(csat[both]) > 0.5  # easier touchpoints are the more satisfying ones


def test_demo_owners_overrate_their_touchpoints(demo_store):
    from cxlens.metrics.gaps import delivery_gap

    store, _ = demo_store
    gaps = delivery_gap(store)
    csat = gaps[gaps["metric"] == "csat"]
    assert (csat["gap"] < 0).mean() > 0.8
    assert (csat["status"] == "over-rated").sum() >= len(csat) // 2


def test_expectation_gap_ranks_touchpoints_like_the_planted_experience(demo_store):
    """Expectations come from personas, not touchpoints, so the gap ranking must follow true CSAT."""
    from scipy.stats import spearmanr

    from cxlens.metrics import expectation_gap

    store, truth = demo_store
    gap = expectation_gap(store, min_n=30)
    gap = gap[~gap["low_n"]]
    true_csat = truth["touchpoints"]["true_mean_csat_latent"]
    planted = [true_csat[t] for t in gap["touchpoint"]]
    assert spearmanr(gap["gap"], planted).statistic > 0.8
    worst = gap.sort_values("gap").iloc[0]
    assert worst["touchpoint"] == min((t for t in gap["touchpoint"]), key=true_csat.get)
    assert worst["ci_high"] < 0 and worst["significant"]


def test_planted_per_aspect_gaps_are_recovered_within_their_intervals(demo_store):
    """truth.json's expected_gap (answer scale) lies in each cell's interval; the first bill's
    emotional shortfall stands out while its functional side is on par with expectations."""
    from cxlens.metrics import expectation_gap

    store, truth = demo_store
    planted = truth["aspect_gaps"]["expected_gap"]
    # 99%: nine cells at 95% would miss one about a third of the time by chance alone.
    got = expectation_gap(store, Scope(by=("touchpoint", "aspect")), level=0.99)
    cells = got[got["aspect"] != "overall"].set_index(["touchpoint", "aspect"])
    assert set(cells.index) == {(tp, a) for tp, gaps in planted.items() for a in gaps}
    for (tp, aspect), row in cells.iterrows():
        assert row["ci_low"] <= planted[tp][aspect] <= row["ci_high"], (tp, aspect, row["gap"], planted[tp][aspect])
    first_bill = cells.loc["first_bill"]
    assert first_bill["gap"].idxmin() == "emotional" and first_bill.loc["emotional", "significant"]
    assert abs(first_bill.loc["functional", "gap"]) < 0.25
