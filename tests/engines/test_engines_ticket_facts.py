"""The narrow ticket table on every engine: kept by loads (inside the load's transaction on DuckDB and PostgreSQL, a
failed load leaving it as it was; rebuilt after the load on Spark) and by erasure, it holds the rows a brute-force
pandas computation gives, and `outcomes_by` gives the same cells from it as from the raw tickets (small data)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from engine_fixtures import make_url
from ticket_facts_fixtures import (assert_equals_a_rebuild, customers_csv, load_kept, opened_store, stored,
                                   tickets_csv)

from cxlens.metrics import ticket_facts
from cxlens.metrics.outcomes import outcomes_by
from cxlens.metrics.plan import FACTS, RAW, plan_tickets
from cxlens.metrics.ticket_facts_upkeep import FactsDeletionMaintenance
from cxlens.privacy.erase import forget
from cxlens.query import Scope

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
SCOPES = [Scope(by=("touchpoint", "segment"), period="month"),
          Scope(by=("stage", "account"), filters={"region": ("north",)}, since="2024-03-10", until="2024-04-01"),
          Scope(by=("category",), period="week", filters={"plan": ("pro", "(unknown)")})]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_kept_table_equals_the_brute_force_rows_and_both_paths_give_the_same_cells(engine, tmp_path):
    store, rng = opened_store(make_url(engine, tmp_path / "store"), tmp_path, seed=21, customers=20, tickets=150)
    try:
        assert_equals_a_rebuild(store)
        load_kept(store, tickets_csv(tmp_path / "more.csv", rng, range(1000, 1020), 20), "tickets")
        assert_equals_a_rebuild(store)
        load_kept(store, customers_csv(tmp_path / "c2.csv", 20, changed={2, 5}), "customers")
        assert_equals_a_rebuild(store)
        forget(store, ["C3"], "test", on_deleted=FactsDeletionMaintenance(store))
        assert_equals_a_rebuild(store)
        for scope in SCOPES:
            assert plan_tickets(store, scope).source == FACTS
            facts = outcomes_by(store, scope, min_n=1, customers_cap=5, as_of=datetime(2030, 1, 1))
            raw = outcomes_by(store, scope, min_n=1, customers_cap=5, as_of=datetime(2030, 1, 1), source=RAW)
            assert len(raw) > 0
            pd.testing.assert_frame_equal(facts, raw, check_exact=False, rtol=1e-9, obj=f"{engine} {scope!r}")
    finally:
        store.close()


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_failed_load_leaves_the_table_as_it_was(engine, tmp_path):
    store, rng = opened_store(make_url(engine, tmp_path / "store"), tmp_path, seed=8, customers=10, tickets=60)
    try:
        before, record = stored(store), ticket_facts.recorded(store)

        def fail():
            raise RuntimeError("network gone")

        with pytest.raises(RuntimeError, match="network gone"):
            load_kept(store, customers_csv(tmp_path / "c2.csv", 10, changed={1, 2, 3}), "customers",
                      _before_commit=fail)
        pd.testing.assert_frame_equal(stored(store), before)
        assert ticket_facts.recorded(store) == record and ticket_facts.facts_are_current(store)
    finally:
        store.close()
