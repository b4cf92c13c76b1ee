"""The stored rollup (`response_rollup`) against a brute-force pandas aggregation of the raw answers: after a full
rebuild, and after any sequence of loads, customers changes, re-loads, erasures and retention it holds exactly the
rows a full rebuild would; a failed load leaves it as it was; it is never read stale."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pandas as pd
import pytest

from cxlens.ingest import load, sync_journey
from cxlens.metrics import rollup, rollup_upkeep
from cxlens.model.journey import read_journey
from cxlens.store import Store
from conftest import TINY_JOURNEY
from rollup_fixtures import (SCALES, START, assert_equals_a_rebuild, assert_same, brute, customers_csv, load_kept,
                             responses_csv, small_store, stored, stored_months)


@pytest.fixture()
def small(tmp_path):
    store, rng = small_store(tmp_path)
    yield store, rng, tmp_path
    store.close()


# ------------------------------------------------------------------------------------------------ full rebuild

def test_full_rebuild_equals_the_brute_force_aggregation_with_nulls(small):
    store, _, _ = small
    assert not rollup.rollup_is_current(store)  # never built
    done = rollup.refresh_rollup(store)
    want = brute(store)
    assert done["rows"] == len(want)
    assert_same(stored(store), want)
    assert rollup.rollup_is_current(store)
    rows = stored(store)
    assert (rows["aspect"] == "").any() and (rows["segment"] == "").any()  # NULLs kept as NULL, not "(unknown)"
    assert int(rows["n"].sum()) == store.count("responses")


def test_full_rebuild_on_the_demo_store_equals_the_brute_force_aggregation(demo_store_copy):
    store, _, _ = demo_store_copy()
    try:
        rollup.refresh_rollup(store)
        assert_same(stored(store), brute(store))
        assert rollup.rollup_is_current(store)
    finally:
        store.close()


# ------------------------------------------------------------------------------------------------ maintenance

@pytest.mark.parametrize("share", [1.0, 0.0], ids=["by days", "by difference"])
def test_after_any_sequence_of_loads_and_deletions_the_maintained_rollup_equals_a_rebuild(small, monkeypatch, share):
    from cxlens.privacy.erase import forget
    from cxlens.privacy.retention import apply_retention

    # 1.0: every refresh by days, however many days it touches; 0.0: every responses load by difference (D67)
    monkeypatch.setattr(rollup, "WHOLE_SHARE", share)
    store, rng, folder = small
    rollup.refresh_rollup(store)
    all_days = stored(store)["day"].nunique()
    # new answers: two days inside the range, one day after it
    path = responses_csv(folder / "more.csv", rng, range(5000, 5040), 30, days=2, start=START + timedelta(days=4))
    upkeep = load_kept(store, path, "responses")
    assert upkeep.done["days"] == 2 < all_days  # only the touched days were recomputed
    assert_equals_a_rebuild(store)
    load_kept(store, responses_csv(folder / "later.csv", rng, range(6000, 6010), 30, days=1,
                                   start=START + timedelta(days=40)), "responses")
    assert_equals_a_rebuild(store)
    # a customers load moving some customers to another segment, region, language and plan
    upkeep = load_kept(store, customers_csv(folder / "customers2.csv", rng, 30, changed={1, 2, 9}), "customers")
    assert upkeep.done["moved"] == 3  # their cells recomputed by difference, no day re-read
    assert_equals_a_rebuild(store)
    # a re-load updating scores and moving answers to other days (their old days lose them)
    frame = pd.read_csv(folder / "responses.csv", keep_default_na=False).head(60)
    frame["score"] = [SCALES[m][0] for m in frame["metric"]]
    frame.loc[:19, "ts"] = "2024-03-25 10:00:00"
    frame.to_csv(folder / "reload.csv", index=False)
    upkeep = load_kept(store, folder / "reload.csv", "responses")
    assert upkeep.done["days"] < all_days + 3
    assert_equals_a_rebuild(store)
    # an unchanged re-load touches no day
    assert load_kept(store, folder / "reload.csv", "responses").done["days"] == 0
    assert_equals_a_rebuild(store)
    # an erasure, then retention: the days of the deleted answers are recomputed before the purge
    report = forget(store, ["C4", "C7"], "test", on_deleted=rollup_upkeep.DeletionMaintenance(store, ["C4", "C7"]))
    assert report.rows_removed["responses"] > 0
    assert_equals_a_rebuild(store)
    assert not {"C4", "C7"} & set(store.table("responses").customer_id.execute())
    apply_retention(store, {"responses": "30 days"}, now=datetime(2024, 4, 5), on_deleted=rollup_upkeep.DeletionMaintenance(store))
    assert store.table("responses").ts.min().execute() >= datetime(2024, 3, 6)
    assert_equals_a_rebuild(store)


def test_a_failed_load_leaves_the_rollup_as_it_was(small):
    store, rng, folder = small
    rollup.refresh_rollup(store)
    before, record, months = stored(store), rollup.recorded(store), stored_months(store)

    def fail():
        raise RuntimeError("disk full")

    path = responses_csv(folder / "more.csv", rng, range(7000, 7100), 30, days=3)
    with pytest.raises(RuntimeError, match="disk full"):
        load_kept(store, path, "responses", _before_commit=fail)
    assert_same(stored(store), before)
    assert stored_months(store).equals(months)
    assert rollup.recorded(store) == record and rollup.rollup_is_current(store)


def test_a_load_without_upkeep_makes_the_rollup_stale_and_the_next_kept_load_rebuilds_it(small):
    store, rng, folder = small
    rollup.refresh_rollup(store)
    load(store, responses_csv(folder / "more.csv", rng, range(8000, 8020), 30), "responses")
    assert not rollup.rollup_is_current(store)
    assert "a responses load came after it" in rollup.rollup_staleness(store)
    upkeep = load_kept(store, responses_csv(folder / "again.csv", rng, range(8100, 8110), 30, days=1), "responses")
    assert upkeep.done["days"] is None  # not current before: rebuilt whole, in the load's transaction
    assert_equals_a_rebuild(store)


def test_a_never_built_rollup_is_built_by_the_first_kept_load(tmp_path):
    rng = random.Random(5)
    (tmp_path / "journey.yaml").write_text(TINY_JOURNEY)
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}") as store:
        sync_journey(store, read_journey(tmp_path / "journey.yaml"))
        assert "never built" in rollup.rollup_staleness(store)
        load_kept(store, customers_csv(tmp_path / "c.csv", rng, 20), "customers")
        load_kept(store, responses_csv(tmp_path / "r.csv", rng, range(300), 20), "responses")
        assert_equals_a_rebuild(store)
        status = rollup.rollup_status(store)
        assert status["current"] and status["answers"] == 300 and status["rows"] == len(brute(store))
        assert status["month_rows"] == len(stored_months(store)) > 0


def test_a_refresh_of_over_a_quarter_of_the_days_rebuilds_the_whole_rollup(small):
    store, rng, folder = small
    rollup.refresh_rollup(store)
    days = {(START + timedelta(days=d)).date() for d in range(12)}
    assert rollup.refresh_rollup(store, days)["days"] is None  # 12 of 12 days: one whole rebuild is cheaper
    assert rollup.refresh_rollup(store, set(list(days)[:1]))["days"] == 1
    assert_equals_a_rebuild(store)


def test_a_responses_load_on_duckdb_moves_the_cells_by_difference_however_spread(small):
    """D67: a load touching over a quarter of the days moves the cells by its own rows, added and changed answers
    alike, instead of rebuilding the rollup."""
    store, rng, folder = small
    rollup.refresh_rollup(store)
    spread = load_kept(store, responses_csv(folder / "spread.csv", rng, range(9000, 9060), 30, days=12), "responses")
    assert spread.done["by"] == "difference" and spread.done["days"] == 12
    assert_equals_a_rebuild(store)
    # answers of the first load again, changed: other customers, metrics, touchpoints, days, scores and aspects
    again = responses_csv(folder / "again.csv", random.Random(99), range(0, 400), 30, days=12)
    assert load_kept(store, again, "responses").done["by"] == "difference"
    assert_equals_a_rebuild(store)
    # a load on a few days refreshes those days (cheaper there: measured in D67)
    few = load_kept(store, responses_csv(folder / "few.csv", rng, range(9100, 9110), 30, days=1), "responses")
    assert few.done["days"] == 1 and "by" not in few.done
    assert_equals_a_rebuild(store)


def test_the_month_rows_follow_every_write_across_month_boundaries(tmp_path, monkeypatch):
    """Answers over three months; loads on the last and first day of a month, a customers move, a re-load moving
    answers into another month, an erasure and retention cutting mid-month: after each, `response_rollup_month` is
    the day rows summed by month (D64), and only the months written are rewritten."""
    from cxlens.privacy.erase import forget
    from cxlens.privacy.retention import apply_retention

    monkeypatch.setattr(rollup, "WHOLE_SHARE", 1.0)
    store, rng = small_store(tmp_path, seed=11, answers=2000)
    try:
        load_kept(store, responses_csv(tmp_path / "spread.csv", rng, range(20_000, 22_000), 30, days=85,
                                       start=START - timedelta(days=10)), "responses")
        assert_equals_a_rebuild(store)
        assert stored_months(store)["month"].nunique() == 4  # February to May
        may = stored_months(store).query("month == '2024-05-01'")
        for name, start in (("end.csv", datetime(2024, 3, 31)), ("first.csv", datetime(2024, 4, 1))):
            ids = range(30_000 + 100 * len(name), 30_020 + 100 * len(name))
            upkeep = load_kept(store, responses_csv(tmp_path / name, rng, ids, 30, days=1, start=start), "responses")
            assert upkeep.done["days"] == 1
            assert_equals_a_rebuild(store)
        may_now = stored_months(store).query("month == '2024-05-01'")
        assert may_now.reset_index(drop=True).equals(may.reset_index(drop=True))
        moved = load_kept(store, customers_csv(tmp_path / "moved.csv", rng, 30, changed={0, 5, 12}), "customers")
        assert moved.done["moved"] == 3
        assert_equals_a_rebuild(store)
        frame = pd.read_csv(tmp_path / "spread.csv", keep_default_na=False).head(40)
        frame["ts"] = "2024-05-20 08:00:00"
        frame.to_csv(tmp_path / "into_may.csv", index=False)
        load_kept(store, tmp_path / "into_may.csv", "responses")
        assert_equals_a_rebuild(store)
        forget(store, ["C3"], "test", on_deleted=rollup_upkeep.DeletionMaintenance(store, ["C3"]))
        assert_equals_a_rebuild(store)
        apply_retention(store, {"responses": "60 days"}, now=datetime(2024, 5, 15),
                        on_deleted=rollup_upkeep.DeletionMaintenance(store))
        assert_equals_a_rebuild(store)
        assert stored_months(store)["month"].min() == "2024-03-01"  # February's answers gone, its rows too
    finally:
        store.close()
