"""The rollup kept current by loads and erasure holds exactly the rows of a full rebuild on every engine: inside
the load's transaction on DuckDB and PostgreSQL (a failed load leaves it as it was), rebuilt after the load on Spark."""

from __future__ import annotations

import random
from datetime import timedelta

import pandas as pd
import pytest

from engine_fixtures import make_url
from rollup_fixtures import (SCALES, START, assert_equals_a_rebuild, assert_same, customers_csv, load_kept,
                             responses_csv, stored)

from cxlens.ingest import sync_journey
from cxlens.metrics import rollup, rollup_upkeep
from cxlens.model.journey import read_journey
from cxlens.privacy.erase import forget
from cxlens.store import Store
from conftest import TINY_JOURNEY

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]


def opened(engine: str, tmp_path, seed: int) -> tuple[Store, random.Random]:
    """A new store of `engine` with 20 customers and 300 answers over 8 days, loaded keeping the rollup."""
    rng = random.Random(seed)
    (tmp_path / "journey.yaml").write_text(TINY_JOURNEY)
    store = Store.open(make_url(engine, tmp_path / "store"))
    sync_journey(store, read_journey(tmp_path / "journey.yaml"))
    load_kept(store, customers_csv(tmp_path / "c.csv", rng, 20), "customers")
    load_kept(store, responses_csv(tmp_path / "r.csv", rng, range(300), 20, days=8), "responses")
    return store, rng


@pytest.mark.parametrize("engine", ENGINES)
def test_the_maintained_rollup_equals_a_rebuild_after_loads_and_an_erasure(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(rollup, "WHOLE_SHARE", 1.0)  # every refresh by days, however many days it touches
    store, rng = opened(engine, tmp_path, 17)
    try:
        assert_equals_a_rebuild(store)  # built by the first load (never built before)
        upkeep = load_kept(store, responses_csv(tmp_path / "more.csv", rng, range(1000, 1030), 20, days=2,
                                                start=START + timedelta(days=3)), "responses")
        assert upkeep.done["days"] == (None if engine == "spark" else 2)
        assert_equals_a_rebuild(store)
        load_kept(store, customers_csv(tmp_path / "c2.csv", rng, 20, changed={2, 5}), "customers")
        assert_equals_a_rebuild(store)
        frame = pd.read_csv(tmp_path / "r.csv", keep_default_na=False).head(30)
        frame["score"] = [SCALES[m][1] for m in frame["metric"]]
        frame.loc[:9, "ts"] = "2024-03-20 12:00:00"  # moved to a new day: the old days lose them
        frame.to_csv(tmp_path / "reload.csv", index=False)
        load_kept(store, tmp_path / "reload.csv", "responses")
        assert_equals_a_rebuild(store)
        forget(store, ["C3"], "test", on_deleted=rollup_upkeep.DeletionMaintenance(store, ["C3"]))
        assert_equals_a_rebuild(store)
    finally:
        store.close()


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_failed_load_leaves_the_rollup_as_it_was(engine, tmp_path):
    store, rng = opened(engine, tmp_path, 4)
    try:
        before, record = stored(store), rollup.recorded(store)

        def fail():
            raise RuntimeError("network gone")

        with pytest.raises(RuntimeError, match="network gone"):
            load_kept(store, responses_csv(tmp_path / "more.csv", rng, range(500, 540), 20), "responses",
                      _before_commit=fail)
        assert_same(stored(store), before)
        assert rollup.recorded(store) == record and rollup.rollup_is_current(store)
    finally:
        store.close()
