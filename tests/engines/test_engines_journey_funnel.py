"""Funnels (all three modes, a window, groups) and exit rates give the same figures on Spark and PostgreSQL as on DuckDB.

One small seeded store per engine (80 customers, ties, repeats, one-event customers), loaded through `load`,
built once per module. DuckDB is the reference; the counts themselves are checked against brute force in
tests/unit/journey.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import PLAIN_JOURNEY
from engine_fixtures import stores_per_engine

from cxlens.journey import exit_rates, funnel
from cxlens.query import Scope

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
def write_files(folder: Path, seed: int = 5, customers: int = 80) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines, n = ["event_id,customer_id,ts,touchpoint_id"], 0
    for c in range(customers):
        t = datetime(2024, 1, 1) + timedelta(hours=rng.randrange(0, 500))
        for _ in range(rng.choice([1, 2, 3, 5, 8])):
            t = t if rng.random() < 0.3 else t + timedelta(days=rng.choice([0, 2, 9, 20]), minutes=7)
            n += 1
            lines.append(f"E{n:05d},C{c},{t:%Y-%m-%d %H:%M:%S},{rng.choice(['shop', 'call', 'relationship'])}")
    (folder / "events.csv").write_text("\n".join(lines) + "\n")
    (folder / "customers.csv").write_text("customer_id,segment\n" + "".join(f"C{c},{'ab'[c % 2]}\n" for c in range(customers)))
    (folder / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    files = tmp_path_factory.mktemp("journey-funnel-files")
    write_files(files)

    with stores_per_engine(files, ("customers", "events"), tmp_path_factory, "journey-funnel") as get:
        yield get


FUNNELS = [
    {"stages": ["shop", "call", "relationship"], "mode": "ordered", "window": timedelta(days=21)},
    {"stages": ["shop", "call", "shop"], "mode": "strict"},
    {"stages": ["call", "shop", "relationship"], "mode": "any", "window": timedelta(days=10)},
]


def same(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(expected.columns)
    for col in expected:
        a, e = actual[col].reset_index(drop=True), expected[col].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            assert np.allclose(a.astype(float), e.astype(float), equal_nan=True, rtol=1e-9), col
        else:
            assert a.tolist() == e.tolist(), col


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_funnels_and_exit_rates_agree_with_duckdb(stores, engine):
    reference, other = stores("duckdb"), stores(engine)
    for options in FUNNELS:
        same(funnel(other, **options), funnel(reference, **options))
    grouped = {"stages": ["shop", "call"], "mode": "ordered"}
    same(funnel(other, Scope(by=("segment",)), **grouped), funnel(reference, Scope(by=("segment",)), **grouped))
    key = ["touchpoint"]
    same(exit_rates(other).sort_values(key), exit_rates(reference).sort_values(key))


def test_duckdb_funnel_is_monotone_and_starts_at_one(stores):
    for options in FUNNELS:
        frame = funnel(stores("duckdb"), **options)
        assert frame["share"].iloc[0] == 1 and frame["customers"].is_monotonic_decreasing
