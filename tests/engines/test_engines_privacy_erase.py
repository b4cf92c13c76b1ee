"""Erasure on every engine leaves no trace: after `forget`, no table holds the customer's id, their comment
phrase or anything derived from their rows, the files on disk (DuckDB's database file, Spark's Parquet files)
hold neither, other customers' rows are all still there (C10, whose id C1 is a prefix of, included), and the
access-request export taken before held them all. Retention deletes on each engine what its dry run counted.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import privacy_fixtures as pf
from engine_fixtures import engine_url  # noqa: F401  (pytest finds it by name)

from cxlens.model import stored_tables
from cxlens.privacy import apply_retention, customer_record, forget
from cxlens.store import Store

ID_BYTES = re.compile(rb"(?<![0-9A-Za-z])C1(?![0-9])")  # C1, not C10 nor LC-C10


def cells(store: Store) -> list[str]:
    """Every value of every stored table, as text."""
    out = []
    for t in stored_tables():
        if store.backend.has_table(t.name):
            for column in store.to_pyarrow(store.table(t.name) if t.name != "cxlens_meta" else store.ibis.table(t.name)).columns:
                out += [str(v) for v in column.to_pylist() if v is not None]
    return out


def files_of(url: str) -> list[Path]:
    """The files the store's data lives in on disk (empty for a server such as PostgreSQL)."""
    if url.startswith("duckdb:///"):  # the database file and its write-ahead log
        path = Path(url[len("duckdb:///"):])
        return [p for p in (path, Path(f"{path}.wal")) if p.exists()]
    if url.startswith("spark://"):
        warehouse = Path(re.search(r"warehouse=([^&]+)", url).group(1))
        return [p for p in warehouse.rglob("*") if p.is_file()]
    return []


def traces(url: str) -> dict[str, int]:
    """Occurrences of C1's id and comment phrase in the store's files. The id is two bytes, so in compressed
    Parquet pages it also turns up by chance: Parquet files are searched decoded, value by value (and raw for
    the long phrase); other files raw, except Spark's .crc checksums, which hold no data."""
    found = {"id": 0, "phrase": 0}
    for path in files_of(url):
        data = path.read_bytes()
        found["phrase"] += data.count(pf.PHRASE.encode())
        if path.suffix == ".parquet":
            values = [str(v) for column in pq.read_table(path).columns for v in column.to_pylist() if v is not None]
            found["id"] += sum(len(ID_BYTES.findall(v.encode())) for v in values)
        elif path.suffix != ".crc":
            found["id"] += len(ID_BYTES.findall(data))
    return found


def test_forget_leaves_no_trace_and_keeps_the_other_customers(engine_url, tmp_path):  # noqa: F811
    store = pf.build(engine_url, tmp_path / "files")
    try:
        record = customer_record(store, pf.FORGOTTEN)
        assert record["rows"] == pf.ROWS["C1"]
        text = str(record)
        assert pf.PHRASE in text and "'C1'" in text and "LC-C1-778" in text
        assert sum(1 for c in cells(store) if pf.PHRASE in c) >= 4
        before_files = traces(engine_url)
        if files_of(engine_url):
            assert before_files["phrase"] > 0 and before_files["id"] > 0

        report = forget(store, [pf.FORGOTTEN], "test")

        assert report.rows_removed == pf.ROWS["C1"]
        expected = {name: total - pf.ROWS["C1"][name] for name, total in pf.TOTALS.items()}
        assert pf.counts(store) == expected
        left = cells(store)
        assert not [c for c in left if pf.PHRASE in c or c == "C1" or "LC-C1-778" in c]
        assert any(pf.OTHER_PHRASE in c for c in left)  # C10's rows are all there, quarantine included
        audit = store.to_pyarrow(store.table("erasures")).to_pylist()
        assert len(audit) == 1 and audit[0]["customer_count"] == 1 and "C1" not in str(audit).replace("'customer", "")
        assert customer_record(store, pf.FORGOTTEN)["rows"] == dict.fromkeys(pf.ROWS["C1"], 0)
    finally:
        store.close()
    assert traces(engine_url) == {"id": 0, "phrase": 0}
    with Store.open(engine_url) as reopened:  # the rewritten store opens and holds the others' rows
        assert pf.counts(reopened) == expected


def test_retention_deletes_what_the_dry_run_counted(engine_url, tmp_path):  # noqa: F811
    store = pf.build(engine_url, tmp_path / "files")
    try:
        rules = {"events": "24 months", "responses": "24 months", "tickets": "24 months", "outcomes": "24 months"}
        dry = apply_retention(store, rules, now=datetime(2025, 12, 1), dry_run=True)
        counted = {i.table: i.rows for i in dry.items}
        assert counted == {"events": 2, "responses": 2, "tickets": 1, "outcomes": 2}
        done = apply_retention(store, rules, now=datetime(2025, 12, 1))
        assert {i.table: i.rows for i in done.items if i.table in rules} == counted
        assert pf.counts(store)["events"] == 3 and pf.counts(store)["comment_analysis"] == 3
    finally:
        store.close()
