"""Loads into engines other than DuckDB: validate in an in-memory DuckDB, then hand the outcome over.

Validation and quarantine always run in DuckDB (:mod:`cxlens.ingest.load`). For Spark and PostgreSQL the
loader stages in an in-memory DuckDB connection that a :class:`StagedLoad` prepares (reference keys, the
target rows that share a key with the file); the same upsert as on a DuckDB store then runs there, and
the backend's `publish` applies the difference (`_cx_upserts`, `_cx_replaced`) to the store.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Collection

import duckdb
import pyarrow as pa

from cxlens.model import QUARANTINE, LOADS, Table
from cxlens.store.backends.base import LoadSession, UpsertCounts
from cxlens.store.backends.duckdb import upsert
from cxlens.store.sql import ident, literal

EXISTING = "_cx_existing"   # target rows sharing a key with the file, as they were before the load
UPSERTS = "_cx_upserts"     # rows to write: new keys and changed rows
REPLACED = "_cx_replaced"   # keys (and Spark month) of target rows that the upserts replace

_ARROW_TYPES = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(), "TIMESTAMP": pa.timestamp("us"),
                "BOOLEAN": pa.bool_(), "DATE": pa.date32()}


def staging_connection() -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB for validation; UTC so that timestamps mean the same as on the target."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET temp_directory = {literal(os.path.join(tempfile.gettempdir(), 'cxlens-staging'))}")
    return con


def arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Result of a DuckDB query as Arrow (finishing any result the loader left open on `con`)."""
    con.complete()
    return con.sql(sql).to_arrow_table()


def typed(rows: pa.Table, table: Table) -> pa.Table:
    """`rows` with exactly `table`'s columns, cast to their types, so every engine receives the same values."""
    return rows.select(list(table.names)).cast(pa.schema([(c, _ARROW_TYPES[t]) for c, t in table.ddl]))


class StagedLoad(LoadSession):
    """Prepares the DuckDB staging connection for one load; subclasses write its outcome to their engine."""

    def __init__(self, store_ibis: Any, table: Table):
        self.ibis, self.table = store_ibis, table
        self.cols = list(table.names)
        self.key = list(table.key)
        self.con: duckdb.DuckDBPyConnection | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        """Staging connection with the target table (empty), quarantine, loads and reference keys."""
        con = staging_connection()
        for table in (self.table, QUARANTINE, LOADS):
            cols = ", ".join(f"{ident(c)} {t}" for c, t in table.ddl)
            con.execute(f"CREATE TABLE {ident(table.name)} ({cols})")
        con.execute(f"CREATE TABLE {EXISTING} AS SELECT * FROM {ident(self.table.name)}")
        for ref in {c.references for c in self.table.columns if c.references}:
            ref_table, ref_col = ref.split(".")
            keys = self.ibis.to_pyarrow(self.ibis.table(ref_table).select(ref_col).distinct())
            con.register("_cx_ref", keys)
            con.execute(f"CREATE TABLE {ident(ref_table)} AS SELECT CAST({ident(ref_col)} AS VARCHAR) AS {ident(ref_col)} FROM _cx_ref")
            con.unregister("_cx_ref")
        self.con = con
        return con

    def upsert(self, con: duckdb.DuckDBPyConnection, good: str, columns: Collection[str] | None = None) -> UpsertCounts:
        """Bring the target rows sharing a key with the good rows into staging, then upsert there."""
        self._bring_existing(con, good)
        return upsert(con, self.table, good, columns)

    def _bring_existing(self, con: duckdb.DuckDBPyConnection, good: str) -> None:
        """Copy the target rows whose key occurs among the file's good rows (`FROM {good}`) into staging."""
        keys = arrow(con, f"SELECT DISTINCT {', '.join(map(ident, self.key))} FROM {good}")
        if keys.num_rows == 0:
            return
        existing = self._fetch_existing(keys)
        if existing is None or existing.num_rows == 0:
            return
        con.register("_cx_fetched", existing)
        select = ", ".join(f"CAST({ident(c)} AS {t}) AS {ident(c)}" for c, t in self.table.ddl)
        con.execute(f"INSERT INTO {EXISTING} SELECT {select} FROM _cx_fetched")
        con.execute(f"INSERT INTO {ident(self.table.name)} SELECT * FROM {EXISTING}")
        con.unregister("_cx_fetched")

    def _outcome(self, con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        """Tables `_cx_upserts` and `_cx_replaced` from the staging state; returns their row counts."""
        name, cols = ident(self.table.name), ", ".join(map(ident, self.cols))
        if con.execute(f"SELECT count(*) FROM {EXISTING}").fetchone()[0] == 0:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {UPSERTS} AS SELECT {cols} FROM {name}")
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {UPSERTS} AS "
                        f"SELECT {cols} FROM {name} EXCEPT ALL SELECT {cols} FROM {EXISTING}")
        join = " AND ".join(f"e.{ident(k)} = u.{ident(k)}" for k in self.key)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {REPLACED} AS SELECT e.* FROM {EXISTING} e "
                    f"WHERE EXISTS (SELECT 1 FROM {UPSERTS} u WHERE {join})")
        return (con.execute(f"SELECT count(*) FROM {UPSERTS}").fetchone()[0],
                con.execute(f"SELECT count(*) FROM {REPLACED}").fetchone()[0])

    def _fetch_existing(self, keys: pa.Table) -> pa.Table | None:
        raise NotImplementedError

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None
