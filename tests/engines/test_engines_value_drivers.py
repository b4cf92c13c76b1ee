"""Key drivers on every engine: the customer-level driver frame (built in the engine) matches a brute-force pandas
computation on DuckDB and is the same on Spark and PostgreSQL, and so is the driver table."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import PLAIN_JOURNEY
from engine_fixtures import stores_per_engine

from cxlens.query import Scope
from cxlens.value.drivers import driver_frame, nps_drivers

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
SCOPE = Scope.parse(since="2024-03-01", filters=["segment=a"])


def write_files(folder: Path, customers: int = 160, seed: int = 4) -> None:
    """Each customer: CSAT answers at shop and/or call (q + noise), relationship NPS = 5 + 1.5 q_shop + 0.5 q_call
    + noise, an NPS answer at shop and an aspect answer (not relationship answers), churn for some."""
    rng = random.Random(seed)
    (folder / "journey.yaml").write_text(PLAIN_JOURNEY)
    cust = ["customer_id,signup_date,segment,region,plan"]
    resp = ["response_id,customer_id,ts,touchpoint_id,metric,score,aspect"]
    outs = ["customer_id,month,active"]
    k = 0
    for c in range(customers):
        cust.append(f"C{c},2023-12-01,{'ab'[c % 2]},north,x")
        q = {"shop": rng.gauss(0, 1), "call": rng.gauss(0, 1)}
        for tp in ("shop", "call"):
            if rng.random() < 0.7:
                for _ in range(rng.choice([1, 2])):
                    score = min(5, max(1, round(3 + q[tp] + rng.gauss(0, 0.5))))
                    resp.append(f"R{k},C{c},2024-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d} 10:00:00,{tp},csat,{score},")
                    k += 1
        for month in (1, 4):
            nps = min(10, max(0, round(5 + 1.5 * q["shop"] + 0.5 * q["call"] + rng.gauss(0, 1))))
            resp.append(f"R{k},C{c},2024-{month:02d}-15 12:00:00,relationship,nps,{nps},")
            k += 1
        resp.append(f"R{k},C{c},2024-02-02 12:00:00,shop,nps,0,")
        resp.append(f"R{k + 1},C{c},2024-02-02 12:00:00,relationship,nps,0,emotional")
        k += 2
        churn = 5 if q["shop"] < -1 else None
        for m in range(1, 7 if churn is None else churn + 1):
            outs.append(f"C{c},2024-{m:02d},{'false' if m == churn else 'true'}")
    for name, lines in (("customers", cust), ("responses", resp), ("outcomes", outs)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")


def brute_frame(folder: Path, scope: Scope) -> pd.DataFrame:
    r = pd.read_csv(folder / "responses.csv", parse_dates=["ts"])
    c = pd.read_csv(folder / "customers.csv")
    r = r[r["aspect"].isna()].merge(c, on="customer_id")
    if scope.since:
        r = r[r["ts"] >= pd.Timestamp(scope.since)]
    if scope.filters:
        r = r[r["segment"].isin(scope.filters["segment"])]
    y = r[(r["metric"] == "nps") & (r["touchpoint_id"] == "relationship")].groupby("customer_id")["score"].mean()
    x = r[r["metric"] == "csat"].groupby(["customer_id", "touchpoint_id"])["score"].mean().unstack()
    out = x.reindex(y.index)
    out.columns = [str(v) for v in out.columns]
    out.columns.name = None
    out["y"] = y
    return out.sort_index()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("value-drivers-files")
    write_files(folder)
    return folder


@pytest.fixture(scope="module")
def stores(files, tmp_path_factory):
    with stores_per_engine(files, ("customers", "responses", "outcomes"), tmp_path_factory, "value-drivers") as get:
        yield get


@pytest.mark.parametrize("scope", [Scope(), SCOPE])
def test_duckdb_driver_frame_matches_brute_force(stores, files, scope):
    got = driver_frame(stores("duckdb"), scope)
    want = brute_frame(files, scope)
    pd.testing.assert_frame_equal(got, want[list(got.columns)], check_dtype=False, check_names=False)
    assert len(got) > 50


def test_duckdb_drivers_rank_the_planted_stronger_touchpoint_first(stores):
    table = nps_drivers(stores("duckdb"), n_boot=50, seed=3, min_pairs=20)
    assert table["driver"].tolist() == ["shop", "call"]
    assert table["weight"].sum() == pytest.approx(table["r_squared"].iloc[0])


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_driver_frame_and_table_are_the_same_on_every_engine(stores, engine):
    for scope in (Scope(), SCOPE):
        pd.testing.assert_frame_equal(driver_frame(stores(engine), scope), driver_frame(stores("duckdb"), scope),
                                      check_dtype=False)
    for outcome in ("nps", "churn"):
        a = nps_drivers(stores(engine), outcome=outcome, n_boot=20, seed=1, min_pairs=20)
        b = nps_drivers(stores("duckdb"), outcome=outcome, n_boot=20, seed=1, min_pairs=20)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
        assert np.isfinite(a["weight"]).all()
