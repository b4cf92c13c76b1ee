"""The stored step numbering (`journey_steps`) is rebuilt in the engine and read back the same on DuckDB,
Spark and PostgreSQL: the same rows as numbering the events, and the same paths."""

from __future__ import annotations

import sys

import pytest

from engine_fixtures import make_url
from test_engines_journey_paths import files  # noqa: F401  (40 customers' random journeys, module scope)

from cxlens.ingest import load, sync_journey
from cxlens.journey import paths, refresh_steps, steps
from cxlens.journey import stored
from cxlens.model.journey import read_journey
from cxlens.query import Scope
from cxlens.store import Store

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
KEY = ["customer_id", "step"]


def computed(store, monkeypatch, fn):
    """`fn(store)` with the stored numbering ignored (numbered from the events)."""
    with monkeypatch.context() as m:
        m.setattr(sys.modules["cxlens.journey.steps"].stored, "is_current", lambda s: False)
        return fn(store)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_stored_numbering_is_built_in_the_engine_and_read_back_the_same(engine, files, tmp_path_factory, monkeypatch):
    store = Store.open(make_url(engine, tmp_path_factory.mktemp(f"journey-stored-{engine}")))
    try:
        sync_journey(store, read_journey(files / "journey.yaml"))
        load(store, files / "customers.csv", "customers")
        load(store, files / "events.csv", "events")
        assert not stored.is_current(store)
        done = refresh_steps(store)
        assert stored.is_current(store)
        assert done["rows"] == store.count("events") == store.count("journey_steps")
        read = steps(store, Scope()).execute().sort_values(KEY).reset_index(drop=True)
        numbered = computed(store, monkeypatch, lambda s: steps(s, Scope()).execute()).sort_values(KEY).reset_index(drop=True)
        assert list(read.columns) == list(numbered.columns)
        pd_equal = read.astype(str).equals(numbered.astype(str))
        assert pd_equal
        top = paths(store, Scope(by=("segment",)), steps=3, top=3)
        assert top.astype(str).equals(computed(store, monkeypatch, lambda s: paths(s, Scope(by=("segment",)), steps=3, top=3)).astype(str))
    finally:
        store.close()
