"""The planner on every engine: the rollup answers with the very cells the raw answers give, on DuckDB, PostgreSQL
and Spark (a few scopes over the engine tests' seeded random store: ~7,500 answers, aspects included)."""

from __future__ import annotations

import numpy as np
import pytest

from test_engines_metrics import store_for

from cxlens.metrics.experience import cells, cells_of
from cxlens.metrics import plan as plan_module
from cxlens.metrics import plan_rules
from cxlens.metrics.plan import RAW, ROLLUP, plan
from cxlens.metrics.rollup import refresh_rollup
from cxlens.query import Scope
from cxlens.query.dimensions import group_keys

@pytest.fixture(autouse=True)
def no_size_rule(monkeypatch):
    """The test store's rollup is not 4x shorter than its answers: the size rule (D48) is off here, both paths compared."""
    monkeypatch.setattr(plan_rules, "SHRINK", 0.0)


ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
SCOPES = [
    ("nps", Scope(by=("touchpoint", "segment"), period="month")),
    ("csat", Scope(by=("stage", "aspect"), filters={"region": ("north",)}, since="2024-01-15", until="2024-02-29")),
    ("ces", Scope(by=("channel", "language"), period="week", filters={"plan": ("pro", "basic")})),
    ("expectation", Scope(by=("aspect",), period="quarter", filters={"aspect": ("functional", "overall")})),
    ("nps", Scope(until="2024-02-10")),
]


def _same(a, b, keys, what):
    assert len(a) == len(b) and list(a.columns) == list(b.columns), what
    for k in keys:
        assert a[k].astype(str).tolist() == b[k].astype(str).tolist(), f"{what}: {k}"
    for col in ("n", "customers"):
        assert a[col].tolist() == b[col].tolist(), f"{what}: {col}"
    for col in ("n_eff", "high", "low", "mean", "sd"):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, equal_nan=True,
                                   err_msg=f"{what}: {col}")


@pytest.mark.parametrize("engine", ENGINES)
def test_rollup_cells_equal_raw_cells_and_duckdb(engine, tmp_path_factory):
    store = store_for(engine, "random", tmp_path_factory)
    reference = store_for("duckdb", "random", tmp_path_factory)
    for s in {id(store): store, id(reference): reference}.values():
        refresh_rollup(s)
    for metric, scope in SCOPES:
        keys = group_keys(scope.by, scope.period)
        assert plan(store, metric, scope).source == ROLLUP, (engine, metric, scope)
        from_rollup = cells(store, metric, scope)
        assert len(from_rollup) > 0, (metric, scope)
        _same(from_rollup, cells(store, metric, scope, source=RAW), keys, f"{engine} {metric} {scope!r}: rollup vs raw")
        _same(from_rollup, cells(reference, metric, scope, source=RAW), keys, f"{engine} {metric} {scope!r}: vs duckdb")


@pytest.mark.parametrize("engine", ENGINES)
def test_capped_customers_are_the_same_both_ways_on_every_engine(engine, tmp_path_factory, monkeypatch):
    """min(distinct customers, k) (D48): cells the bound settles and cells counted from the raw answers restricted
    to them (SOME_CELLS = 1: always restricted, the memtable semi-join included) equal the raw path's, on each engine."""
    monkeypatch.setattr(plan_module, "SOME_CELLS", 1.0)
    store = store_for(engine, "random", tmp_path_factory)
    refresh_rollup(store)
    for metric, scope in SCOPES:
        keys = group_keys(scope.by, scope.period)
        exact = cells(store, metric, scope, source=RAW)
        for cap in (3, 40):
            from_rollup = cells(store, metric, scope, customers_cap=cap)
            _same(from_rollup, cells(store, metric, scope, source=RAW, customers_cap=cap), keys,
                  f"{engine} {metric} {scope!r} cap {cap}")
            assert from_rollup["customers"].tolist() == exact["customers"].clip(upper=cap).tolist()


@pytest.mark.parametrize("engine", ENGINES)
def test_three_metrics_from_one_rollup_query_equal_each_metrics_raw_cells(engine, tmp_path_factory):
    """`cells_of` (D52): NPS, CSAT, CES and the expectation from one grouped query over the rollup, exact and capped,
    equal each metric's cells from the raw answers, on each engine."""
    store = store_for(engine, "random", tmp_path_factory)
    refresh_rollup(store)
    metrics = ("nps", "csat", "ces", "expectation")
    for _, scope in SCOPES:
        keys = group_keys(scope.by, scope.period)
        for cap in (None, 3):
            together = cells_of(store, metrics, scope, source=ROLLUP, customers_cap=cap)
            assert list(together) == list(metrics)
            for metric in metrics:
                _same(together[metric], cells(store, metric, scope, source=RAW, customers_cap=cap), keys,
                      f"{engine} {metric} {scope!r} cap {cap}: one query vs raw")
