"""External Delta tables are read in place, exactly as of their snapshot, on DuckDB and Spark.

The tables are written with `deltalake` the way a pipeline would leave them: appended to and
overwritten, so their folders hold Parquet files of older snapshots next to the current ones. Reading
every file in the folder gives a different answer, and the tests would fail. Partition values live only
in the Delta log, so a partitioned table checks they are put back as columns.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine_fixtures import make_url

from cxlens import metrics
from cxlens.errors import StoreError
from cxlens.store import Store
from cxlens.workspace import Workspace
from cxlens.query import Scope

deltalake = pytest.importorskip("deltalake", reason="external Delta tables need deltalake: pip install 'cxlens[delta]'")

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


def answers(seed: int, n: int, first_day: str = "2024-01-01", days: int = 90) -> pa.Table:
    """`n` NPS answers in canonical columns plus a `month` column ('2024-01') to partition by."""
    rng = np.random.default_rng(seed)
    start = datetime.fromisoformat(first_day)
    ts = [start + timedelta(days=int(d), hours=int(h)) for d, h in zip(rng.integers(0, days, n), rng.integers(0, 24, n))]
    return pa.table({
        "response_id": pa.array([f"S{seed}-{i}" for i in range(n)], pa.string()),
        "customer_id": pa.array([f"C{i % 50}" for i in range(n)], pa.string()),
        "ts": pa.array(ts, pa.timestamp("us")),
        "touchpoint_id": pa.array(["relationship"] * n, pa.string()),
        "metric": pa.array(["nps"] * n, pa.string()),
        "score": rng.integers(0, 11, n).astype(float),
        "comment": pa.nulls(n, pa.string()),
        "language": pa.array(["en"] * n, pa.string()),
        "month": pa.array([t.strftime("%Y-%m") for t in ts], pa.string()),
    })


def history(folder: Path, partition_by: list[str] | None) -> pa.Table:
    """Write, append, overwrite, append; return the rows of the final snapshot (the last two writes)."""
    deltalake.write_deltalake(folder, answers(1, 300), partition_by=partition_by)
    deltalake.write_deltalake(folder, answers(2, 200), partition_by=partition_by, mode="append")
    current = [answers(3, 250, "2024-02-01", 59), answers(4, 150)]
    deltalake.write_deltalake(folder, current[0], partition_by=partition_by, mode="overwrite")
    deltalake.write_deltalake(folder, current[1], partition_by=partition_by, mode="append")
    return pa.concat_tables(current)


def nps_per_month(rows: pd.DataFrame) -> dict[str, tuple[int, float]]:
    """Brute force: {month: (answers, NPS)} with NPS = % promoters (9-10) - % detractors (0-6)."""
    out = {}
    for month, group in rows.groupby(rows["ts"].dt.strftime("%Y-%m")):
        share = lambda mask: 100 * mask.sum() / len(group)  # noqa: E731
        out[month] = (len(group), share(group["score"] >= 9) - share(group["score"] <= 6))
    return out


def workspace(root: Path, engine: str, tables: dict[str, dict]) -> Workspace:
    """A workspace whose cxlens.toml points `[tables.<name>]` at the given external tables."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[store]", f'url = "{make_url(engine, root / "store")}"']
    for name, spec in tables.items():
        lines.append(f"[tables.{name}]")
        lines += [f"{key} = {value!r}" if isinstance(value, int) else f'{key} = "{value}"' for key, value in spec.items()]
    (root / "cxlens.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = Workspace.open(root)
    ws.migrate()  # what `cxlens init` does: the store's own tables exist before analyses open it
    return ws


def parquet_files(folder: Path) -> int:
    return len(list(folder.rglob("*.parquet")))


@pytest.mark.parametrize("engine", ENGINES)
def test_nps_on_a_partitioned_delta_table_counts_only_the_current_snapshot(engine, tmp_path):
    lake = tmp_path / "lake" / "responses"
    current = history(lake, ["month"]).to_pandas()
    assert parquet_files(lake) > len(deltalake.DeltaTable(lake).file_uris())  # older snapshots' files remain
    ws = workspace(tmp_path / "ws", engine, {"responses": {"path": lake, "format": "delta"}})
    with ws.store() as store:
        assert store.count("responses") == len(current) == 400
        months = store.execute(store.table("responses").group_by("month").aggregate(n=store.table("responses").count()))
        assert dict(zip(months["month"], months["n"])) == current["month"].value_counts().to_dict()
        result = metrics.nps_by(store, Scope(period="month"), min_n=1)
    got = {row.period: (row.n, row.nps) for row in result.itertuples()}
    expected = nps_per_month(current)
    assert got.keys() == expected.keys()
    for month, (n, nps) in expected.items():
        assert got[month][0] == n and got[month][1] == pytest.approx(nps), month


def test_an_unpartitioned_delta_table_gives_what_the_same_rows_as_plain_parquet_give(tmp_path):
    lake = tmp_path / "lake" / "responses"
    current = history(lake, None)
    plain = tmp_path / "plain" / "responses.parquet"
    plain.parent.mkdir()
    pq.write_table(current, plain)
    with workspace(tmp_path / "delta_ws", "duckdb", {"responses": {"path": lake, "format": "delta"}}).store() as store:
        from_delta = metrics.nps_by(store, Scope(period="month"))
    with workspace(tmp_path / "plain_ws", "duckdb", {"responses": {"path": plain}}).store() as store:
        from_parquet = metrics.nps_by(store, Scope(period="month"))
    pd.testing.assert_frame_equal(from_delta, from_parquet)
    assert from_delta["n"].sum() == 400


def test_a_version_in_the_spec_reads_that_older_snapshot(tmp_path):
    lake = tmp_path / "lake" / "responses"
    history(lake, ["month"])
    first_two = pa.concat_tables([answers(1, 300), answers(2, 200)]).to_pandas()
    ws = workspace(tmp_path / "ws", "duckdb", {"responses": {"path": lake, "format": "delta", "version": 1}})
    with ws.store() as store:
        result = metrics.nps_by(store)
    expected_n, expected_nps = len(first_two), 100 * ((first_two.score >= 9).mean() - (first_two.score <= 6).mean())
    assert (result["n"].iloc[0], result["nps"].iloc[0]) == (expected_n, pytest.approx(expected_nps))


def test_partition_values_come_from_the_log_typed_nulls_and_escapes_included(tmp_path):
    lake = tmp_path / "lake" / "odd"
    rows = pa.table({"n": [1, 2, 3, 4], "label": ["a b", "x/y=z", None, "a b"],
                     "day": pa.array([datetime(2024, 1, 1).date(), None, datetime(2024, 1, 2).date(), None])})
    deltalake.write_deltalake(lake, rows, partition_by=["label", "day"])
    with Store.open(make_url("duckdb", tmp_path / "store"), external_tables={"odd": {"path": lake, "format": "delta"}}) as store:
        got = store.execute(store.ibis.table("odd").order_by("n"))
    assert list(got.columns) == ["n", "label", "day"]
    assert [None if pd.isna(v) else v for v in got["label"]] == ["a b", "x/y=z", None, "a b"]
    assert [None if pd.isna(d) else str(d)[:10] for d in got["day"]] == ["2024-01-01", None, "2024-01-02", None]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_delta_table_is_an_empty_table_with_its_columns(engine, tmp_path):
    lake = tmp_path / "lake" / "responses"
    deltalake.write_deltalake(lake, answers(1, 0), partition_by=["month"])
    with workspace(tmp_path / "ws", engine, {"responses": {"path": lake, "format": "delta"}}).store() as store:
        assert store.count("responses") == 0
        assert list(store.table("responses").columns) == answers(1, 0).column_names
        assert metrics.nps_by(store).empty


def test_a_missing_delta_table_names_the_table_and_the_path(tmp_path):
    missing = tmp_path / "lake" / "nowhere"
    with pytest.raises(StoreError, match=f"external table 'responses': no readable Delta table at {missing}"):
        workspace(tmp_path / "ws", "duckdb", {"responses": {"path": missing, "format": "delta"}}).store()


def test_a_version_that_was_never_written_is_refused(tmp_path):
    lake = tmp_path / "lake" / "responses"
    deltalake.write_deltalake(lake, answers(1, 10))
    with pytest.raises(StoreError, match="at version 7"):
        Store.open(make_url("duckdb", tmp_path / "store"),
                   external_tables={"responses": {"path": str(lake), "format": "delta", "version": 7}})


def test_a_delta_table_with_deletion_vectors_is_refused_with_what_to_do(tmp_path):
    lake = tmp_path / "lake" / "responses"
    deltalake.write_deltalake(lake, answers(1, 10), configuration={"delta.enableDeletionVectors": "true"})
    assert "deletionVectors" in deltalake.DeltaTable(lake).protocol().reader_features
    with pytest.raises(StoreError, match=r"'responses'.*needs reader features cxlens cannot honour \(deletionVectors\).*REORG"):
        Store.open(make_url("duckdb", tmp_path / "store"), external_tables={"responses": {"path": str(lake), "format": "delta"}})


def test_without_deltalake_installed_the_error_says_what_to_install(tmp_path, monkeypatch):
    lake = tmp_path / "lake" / "responses"
    deltalake.write_deltalake(lake, answers(1, 10))
    monkeypatch.setitem(sys.modules, "deltalake", None)  # `import deltalake` now raises ImportError
    with pytest.raises(StoreError, match=r"'responses' is a Delta table .* pip install 'cxlens\[delta\]'"):
        Store.open(make_url("duckdb", tmp_path / "store"), external_tables={"responses": {"path": str(lake), "format": "delta"}})
