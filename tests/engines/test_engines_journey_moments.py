"""Moments of truth and churn paths: the engine-side preparation (the Cox modelling table and the churn-path
counts) is the same on Spark and PostgreSQL as on DuckDB.

One small seeded store per engine (60 customers over 2024: signups, monthly outcomes with churn, CSAT answers
at two touchpoints, events with ties and repeats), loaded through `load`, built once per module.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from conftest import PLAIN_JOURNEY
from engine_fixtures import stores_per_engine

from cxlens.journey.churn_paths import path_counts
from cxlens.journey.moments import modelling_table

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
def write_files(folder: Path, seed: int = 9, customers: int = 60) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cust, outs, resp, evs = (["customer_id,signup_date,segment,plan"], ["customer_id,month,active"],
                             ["response_id,customer_id,ts,touchpoint_id,metric,score"], ["event_id,customer_id,ts,touchpoint_id"])
    for c in range(customers):
        start = rng.randrange(0, 4)
        cust.append(f"C{c},2024-{start + 1:02d}-{rng.randint(1, 28):02d},{'ab'[c % 2]},{'xy'[c % 3 == 0]}")
        churn = rng.randrange(start + 1, 16)
        for m in range(start, min(churn, 11) + 1):
            outs.append(f"C{c},2024-{m + 1:02d},{'false' if m == churn else 'true'}")
        for k in range(rng.choice([0, 1, 2, 4])):
            m = rng.randrange(start, min(churn, 11) + 1)
            resp.append(f"R{c}-{k},C{c},2024-{m + 1:02d}-{rng.randint(1, 28):02d} 10:00:00,{rng.choice(['shop', 'call'])},csat,{rng.randint(1, 5)}")
        t = datetime(2024, start + 1, 1)
        for k in range(rng.choice([1, 2, 3, 6])):
            t = t if rng.random() < 0.3 else t + timedelta(days=rng.choice([1, 12, 40]))
            evs.append(f"E{c}-{k},C{c},{t:%Y-%m-%d %H:%M:%S},{rng.choice(['shop', 'call', 'relationship'])}")
    for name, lines in (("customers", cust), ("outcomes", outs), ("responses", resp), ("events", evs)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    (folder / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    files = tmp_path_factory.mktemp("journey-moments-files")
    write_files(files)

    with stores_per_engine(files, ("customers", "outcomes", "responses", "events"), tmp_path_factory, "journey-moments") as get:
        yield get


def _table(store) -> pd.DataFrame:
    frame = modelling_table(store, window_months=2, touchpoints=["call", "shop"])
    return frame.astype({c: "int64" for c in frame.columns if c.startswith(("bad:", "great:")) or c in ("m", "tenure", "churned")})


def test_modelling_table_has_exposures_and_churn(stores):
    frame = _table(stores("duckdb"))
    assert frame.churned.sum() > 5 and frame["bad:call"].sum() > 0 and frame["great:shop"].sum() > 0


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_modelling_table_is_the_same_on_every_engine(stores, engine):
    pd.testing.assert_frame_equal(_table(stores(engine)), _table(stores("duckdb")), check_dtype=False)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_churn_path_counts_are_the_same_on_every_engine(stores, engine):
    def counts(store):
        frame, n1, n0 = path_counts(store, months=3, length=2)
        return frame.sort_values("path").reset_index(drop=True).astype({"churners": "int64", "stayers": "int64"}), n1, n0

    got, expected = counts(stores(engine)), counts(stores("duckdb"))
    assert got[1:] == expected[1:]
    pd.testing.assert_frame_equal(got[0], expected[0], check_dtype=False)
