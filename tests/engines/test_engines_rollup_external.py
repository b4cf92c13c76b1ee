"""The rollup over external tables (answers and customers read in place from Parquet, issue 23 item 5) on DuckDB and
Spark: it builds, the planner reads it, its cells equal the raw answers', and when the lake's files change (which
no load records) it reads as stale until rebuilt, never stale cells (architecture D53)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pytest

from engine_fixtures import make_url

from cxlens.metrics import plan_rules
from cxlens.metrics.experience import cells
from cxlens.metrics.plan import RAW, ROLLUP, plan
from cxlens.metrics.rollup import refresh_rollup, rollup_staleness
from cxlens.query import Scope
from cxlens.store import Store

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]
SCOPE = Scope(by=("segment",), period="quarter")
CAP = 5


@pytest.fixture(autouse=True)
def no_size_rule(monkeypatch):
    """A small lake's rollup is not 4x shorter than its answers: the size rule (D48) is off, both paths compared."""
    monkeypatch.setattr(plan_rules, "SHRINK", 0.0)


def _lake(folder: Path) -> dict[str, dict]:
    """3,000 NPS/CSAT answers of 60 customers over a year, and the customers (segment by id), as Parquet files."""
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'R' || i AS response_id, 'C' || (i % 60) AS customer_id,
        TIMESTAMP '2024-01-01' + INTERVAL (hash(i) % (365 * 86400)) SECOND AS ts, 'tp' || (i % 3) AS touchpoint_id,
        CASE WHEN i % 2 = 0 THEN 'nps' ELSE 'csat' END AS metric,
        CASE WHEN i % 2 = 0 THEN hash(i * 3) % 11 ELSE 1 + hash(i * 3) % 5 END AS score,
        NULL::VARCHAR AS comment, NULL::VARCHAR AS language FROM range(3000) t(i)) TO '{folder / "responses.parquet"}'""")
    _write_customers(con, folder / "customers.parquet", "CASE WHEN i % 3 = 0 THEN 'smb' ELSE 'enterprise' END")
    con.close()
    return {"responses": {"path": str(folder / "responses.parquet")}, "customers": {"path": str(folder / "customers.parquet")}}


def _write_customers(con, path: Path, segment: str) -> None:
    con.execute(f"""COPY (SELECT 'C' || i AS customer_id, DATE '2023-01-01' AS signup_date, {segment} AS segment,
        'north' AS region, 'en' AS language, 'basic' AS plan, NULL::VARCHAR AS account_id, NULL::VARCHAR AS attributes
        FROM range(60) t(i)) TO '{path}'""")


def _same(a, b, what):
    assert a["segment"].astype(str).tolist() == b["segment"].astype(str).tolist(), what
    assert a["n"].tolist() == b["n"].tolist() and a["customers"].tolist() == b["customers"].tolist(), what
    for col in ("high", "low", "mean", "sd"):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, err_msg=f"{what}: {col}")


@pytest.mark.parametrize("engine", ENGINES)
def test_the_rollup_over_external_tables_answers_the_raw_cells_and_sees_the_lake_change(engine, tmp_path):
    tables = _lake(tmp_path / "lake")
    url = make_url(engine, tmp_path / engine)
    with Store.open(url, external_tables=tables) as store:
        refresh_rollup(store)
        assert rollup_staleness(store) is None
        for metric in ("nps", "csat"):
            assert plan(store, metric, SCOPE, customers_cap=CAP).source == ROLLUP
            _same(cells(store, metric, SCOPE, customers_cap=CAP), cells(store, metric, SCOPE, source=RAW, customers_cap=CAP),
                  f"{engine} {metric}: rollup vs raw")
        before = cells(store, "nps", SCOPE, customers_cap=CAP)
    assert set(before["segment"].astype(str)) == {"smb", "enterprise"}

    # the lake changes under the store: every customer moves to one segment (same answers, same count and dates,
    # no load recorded); the file's time is set ahead so even a coarse clock sees a new version
    customers = Path(tables["customers"]["path"])
    con = duckdb.connect()
    _write_customers(con, tmp_path / "moved.parquet", "'smb'")
    con.close()
    os.replace(tmp_path / "moved.parquet", customers)
    stat = customers.stat()
    os.utime(customers, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    with Store.open(url, external_tables=tables) as store:
        assert "external tables' files changed" in (rollup_staleness(store) or "")
        assert plan(store, "nps", SCOPE, customers_cap=CAP).source == RAW
        moved = cells(store, "nps", SCOPE, customers_cap=CAP)  # from the raw answers: the new segments
        assert set(moved["segment"].astype(str)) == {"smb"} and moved["n"].sum() == before["n"].sum()
        refresh_rollup(store)
        assert plan(store, "nps", SCOPE, customers_cap=CAP).source == ROLLUP
        _same(cells(store, "nps", SCOPE, customers_cap=CAP), moved, f"{engine}: rebuilt rollup vs raw")


def test_a_store_without_external_tables_keeps_its_record(tmp_path):
    """No lake digest on a store's own tables: a rollup recorded before this rule stays current after it."""
    with Store.open(make_url("duckdb", tmp_path)) as store:
        from cxlens.metrics.rollup import rollup_fingerprint

        assert "lake" not in rollup_fingerprint(store)
