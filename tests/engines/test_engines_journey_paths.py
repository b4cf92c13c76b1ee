"""steps, paths and the Sankey give the same figures on Spark and PostgreSQL as on DuckDB (small random journeys)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pandas as pd
import pytest

from conftest import PLAIN_JOURNEY
from engine_fixtures import stores_per_engine

from cxlens.journey import paths, sankey, steps
from cxlens.store import Store

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
def random_events(seed: int, customers: int) -> list[dict]:
    """Journeys of 1-6 events over three touchpoints, 30% of events tied in time with the previous one."""
    rng = random.Random(seed)
    rows, n = [], 0
    for c in range(customers):
        t = datetime(2024, 1, 1) + timedelta(hours=rng.randrange(0, 500))
        for _ in range(rng.choice([1, 1, 2, 3, 4, 6])):
            t = t if rng.random() < 0.3 else t + timedelta(minutes=rng.choice([1, 30, 600, 3000]))
            n += 1
            rows.append({"event_id": f"E{rng.randrange(10**6):06d}-{n}", "customer_id": f"C{c}", "ts": t,
                         "touchpoint_id": rng.choice(["shop", "call", "relationship"])})
    return rows


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("journey-paths-files")
    rows = random_events(5, customers=40)
    (folder / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")
    (folder / "customers.csv").write_text("customer_id,segment\n" + "".join(f"C{c},{'a' if c % 2 else 'b'}\n" for c in range(40)))
    (folder / "events.csv").write_text("event_id,customer_id,ts,touchpoint_id\n" + "".join(
        f"{r['event_id']},{r['customer_id']},{r['ts']:%Y-%m-%d %H:%M:%S},{r['touchpoint_id']}\n" for r in rows))
    return folder


@pytest.fixture(scope="module")
def stores(files, tmp_path_factory):
    with stores_per_engine(files, ("customers", "events"), tmp_path_factory, "journey-paths") as get:
        yield get


def figures(store: Store) -> dict[str, pd.DataFrame]:
    s = steps(store, session_gap=timedelta(hours=20)).execute()
    s = s[["customer_id", "session", "step", "node", "seconds_since_previous", "last"]].sort_values(["customer_id", "session", "step"])
    k = sankey(store, steps=3, min_share=0.1)
    return {"steps": s.reset_index(drop=True).astype({"session": "int64", "step": "int64", "last": bool}),
            "paths": paths(store, steps=3, top=5),
            "paths_end": paths(store, steps=2, top=3, end_at="relationship", collapse_repeats=True),
            "sankey_nodes": k.nodes, "sankey_links": k.links}


@pytest.mark.parametrize("engine", ENGINES)
def test_steps_paths_and_sankey_agree_with_duckdb(engine, stores):
    reference = figures(stores("duckdb"))
    got = figures(stores(engine))
    for name, frame in reference.items():
        pd.testing.assert_frame_equal(got[name], frame, check_dtype=False, rtol=1e-9, obj=name)
