"""Expectation gap, delivery gap, consistency and the scorecard's target status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlens.errors import UsageError
from cxlens.metrics.gaps import consistency, delivery_gap, expectation_gap
from cxlens.metrics.scorecard import BELOW, BELOW_SIG, MEETS, NO_TARGET, scorecard, target_status
from cxlens.query import Scope


def test_expectation_gap_is_csat_minus_expectation_with_a_welch_interval(generated):
    store, frames = generated
    got = expectation_gap(store).set_index("touchpoint")
    r = frames["responses"]
    for tp in ("shop", "call", "chat"):
        csat = r[(r["metric"] == "csat") & (r["touchpoint_id"] == tp)]["score"]
        exp = r[(r["metric"] == "expectation") & (r["touchpoint_id"] == tp)]["score"]
        ref = stats.ttest_ind(csat, exp, equal_var=False)
        assert got.loc[tp, "gap"] == pytest.approx(csat.mean() - exp.mean())
        assert got.loc[tp, "p_value"] == pytest.approx(ref.pvalue)
        assert got.loc[tp, "ci_low"] < got.loc[tp, "gap"] < got.loc[tp, "ci_high"]
    assert got["gap"].is_monotonic_increasing  # ranked from the largest shortfall


def test_expectation_gap_on_the_tiny_store_ranks_the_call_first(tiny_store):
    got = expectation_gap(tiny_store)
    assert got["touchpoint"].tolist() == ["call", "shop"]
    assert got["gap"].tolist() == [pytest.approx(2.5 - 4.25), pytest.approx(4.0 - 3.75)]
    with pytest.raises(UsageError, match="by=") as err:
        expectation_gap(tiny_store, Scope())
    assert err.value.parameter == "by"


def test_delivery_gap_compares_self_rating_with_the_measured_interval(tiny_store):
    got = delivery_gap(tiny_store).set_index("touchpoint")
    assert got.loc["shop", "self_rating"] == 4.8 and got.loc["shop", "observed"] == 4.0
    assert got.loc["shop", "owner"] == "Retail"
    assert got.loc["shop", "status"] == "consistent"  # 4.8 lies inside the (wide, n = 4) interval


def test_consistency_flags_a_touchpoint_that_differs_by_region_and_not_a_uniform_one(tmp_path):
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store

    rng = np.random.default_rng(1)
    (tmp_path / "j.yaml").write_text("touchpoints:\n  - {id: a, name: A, stage: usage}\n  - {id: b, name: B, stage: usage}\n")
    regions = ["n", "s", "e", "w"]
    pd.DataFrame({"customer_id": regions, "region": regions}).to_csv(tmp_path / "c.csv", index=False)
    rows = []
    for tp, shift in (("a", {"n": 0, "s": 0, "e": -0.8, "w": 0}), ("b", dict.fromkeys(regions, 0))):
        for reg in regions:
            scores = np.clip(np.round(rng.normal(3.8 + shift[reg], 0.9, 150)), 1, 5)
            rows += [(f"{tp}{reg}{i}", reg, "2024-03-01", tp, "csat", s) for i, s in enumerate(scores)]
    pd.DataFrame(rows, columns=["response_id", "customer_id", "ts", "touchpoint_id", "metric", "score"]).to_csv(
        tmp_path / "r.csv", index=False)
    store = Store.open(f"duckdb:///{tmp_path / 'x.duckdb'}")
    sync_journey(store, read_journey(tmp_path / "j.yaml"))
    load(store, tmp_path / "c.csv", "customers")
    load(store, tmp_path / "r.csv", "responses")
    got = consistency(store, metric="csat", across=["region"]).set_index("touchpoint")
    store.close()
    assert bool(got.loc["a", "inconsistent"]) and not bool(got.loc["b", "inconsistent"])
    assert got.loc["a", "tau"] == pytest.approx(0.4, abs=0.25)  # SD of (0, 0, -0.8, 0) is 0.4
    assert got.loc["a", "groups"] == 4


@pytest.mark.parametrize(("value", "high", "target", "status"), [
    (4.3, 4.5, 4.2, MEETS), (4.1, 4.4, 4.2, BELOW), (3.9, 4.1, 4.2, BELOW_SIG), (4.0, 4.2, None, NO_TARGET),
])
def test_target_status_blames_only_what_the_interval_supports(value, high, target, status):
    assert target_status(value, high, target) == status


def test_scorecard_has_one_row_per_touchpoint_in_journey_order_with_status_and_trends(generated):
    store, _ = generated
    card = scorecard(store)
    assert card["touchpoint"].tolist() == ["shop", "call", "chat", "relationship"]
    by_tp = card.set_index("touchpoint")
    assert by_tp.loc["shop", "status"] == MEETS            # csat ~3 against a target of 3.0
    assert by_tp.loc["call", "status"] == BELOW_SIG         # csat ~3 against a target of 4.6
    assert by_tp.loc["chat", "status"] == NO_TARGET
    assert len(by_tp.loc["relationship", "periods"]) == 12 and len(by_tp.loc["relationship", "nps_trend"]) == 12
    assert by_tp.loc["call", "tickets"] > 0 and not np.isnan(by_tp.loc["call", "expectation_gap"])


def test_scorecard_by_stage_rolls_touchpoints_up(generated):
    store, _ = generated
    card = scorecard(store, level="stage")
    assert card["stage"].tolist() == ["purchase", "support", "advocacy"]
    with pytest.raises(UsageError, match="level='region'") as err:
        scorecard(store, level="region")
    assert err.value.parameter == "level" and err.value.allowed == ("touchpoint", "stage")
