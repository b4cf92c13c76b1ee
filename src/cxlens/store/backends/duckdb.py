"""DuckDB stores (duckdb:///path/cx.duckdb): an embedded file, written in place in one transaction.

The loader validates in the store's own connection, so its upsert (:func:`upsert`) is the whole write
path. The same upsert also runs in the in-memory DuckDB that stages loads for the other engines.
"""

from __future__ import annotations

from typing import Any

import duckdb
import ibis
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import Table
from cxlens.store import external
from cxlens.store.backends.base import LoadSession, SqlBackend, keys_match, transaction
from cxlens.store.sql import ident, literal


def connect(url: str) -> "DuckDBBackend":
    """Open the DuckDB file of duckdb:///path (duckdb:// or an empty path: in memory)."""
    path = url[len("duckdb:///"):] if url.startswith("duckdb:///") else url[len("duckdb://"):]
    try:
        return DuckDBBackend(url, ibis.duckdb.connect(path or ":memory:"))
    except Exception as exc:  # duckdb raises IOException for locked/corrupt files
        raise StoreError(f"cannot open DuckDB store {path}: {exc}") from exc


def upsert(con: duckdb.DuckDBPyConnection, table: Table, good: str) -> tuple[int, int, int]:
    """Insert new keys, replace changed rows, leave identical rows alone; returns the three counts.

    `good` is the FROM clause of the validated rows (`SELECT ... FROM {good}`).
    """
    name = ident(table.name)
    cols = ", ".join(ident(c.name) for c in table.columns)
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT 1)").fetchone()[0] == 0:
        inserted = con.execute(f"INSERT INTO {name} SELECT {cols} FROM {good}").fetchone()[0]
        return inserted, 0, 0
    join = keys_match(list(table.key), "g", "o")
    same = " AND ".join(f"g.{ident(c.name)} IS NOT DISTINCT FROM o.{ident(c.name)}" for c in table.columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _cx_class AS
        SELECT g.*, o.{ident(table.key[0])} IS NOT NULL AS _exists, coalesce({same}, false) AS _same
        FROM (SELECT {cols} FROM {good}) g LEFT JOIN {name} o ON {join}
    """)
    inserted, updated, unchanged = con.execute(
        "SELECT count(*) FILTER (NOT _exists), count(*) FILTER (_exists AND NOT _same), count(*) FILTER (_same) FROM _cx_class"
    ).fetchone()
    if updated:
        key = ", ".join(ident(k) for k in table.key)
        con.execute(f"DELETE FROM {name} o USING (SELECT {key} FROM _cx_class WHERE _exists AND NOT _same) g WHERE {join}")
    con.execute(f"INSERT INTO {name} SELECT {cols} FROM _cx_class WHERE NOT _same")
    con.execute("DROP TABLE _cx_class")
    return inserted, updated, unchanged


class DuckDBLoad(LoadSession):
    """A load into a DuckDB store: validation and upsert in the store's own connection and transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: Table):
        self.con, self.table = con, table

    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def upsert(self, con: duckdb.DuckDBPyConnection, good: str) -> tuple[int, int, int]:
        return upsert(con, self.table, good)


class DuckDBBackend(SqlBackend):
    """An embedded DuckDB file."""

    name = "duckdb"

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.ibis.con

    def close(self) -> None:
        self.ibis.disconnect()

    def duckdb_connection(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def has_table(self, name: str) -> bool:
        # Ibis 12's list_tables calls a result method DuckDB 2.0 removed; ask the catalog directly.
        found = self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])
        return found.fetchall()[0][0] > 0

    def transaction(self):
        return transaction(self.con)

    def load_session(self, table: Table) -> LoadSession:
        return DuckDBLoad(self.con, table)

    def write_keyed(self, table: Table, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
        con, name = self.con, ident(table.name)
        con.register("_cx_rows", rows)
        if gone is not None:
            con.register("_cx_gone", gone)
        try:
            with self.transaction():
                con.execute(f"DELETE FROM {name} t USING _cx_rows r WHERE {keys_match(key, 't', 'r')}")
                if gone is not None:
                    con.execute(f"DELETE FROM {name} t USING _cx_gone g WHERE {keys_match(key, 't', 'g')}")
                con.execute(f"INSERT INTO {name} SELECT * FROM _cx_rows")
        finally:
            con.unregister("_cx_rows")
            if gone is not None:
                con.unregister("_cx_gone")

    def replace_rows(self, table: Table, rows: pa.Table) -> None:
        con = self.con
        con.register("_cx_replace", rows)
        try:
            with self.transaction():
                con.execute(f"DELETE FROM {ident(table.name)}")
                con.execute(f"INSERT INTO {ident(table.name)} SELECT {', '.join(map(ident, table.names))} FROM _cx_replace")
        finally:
            con.unregister("_cx_replace")

    def register_external(self, name: str, spec: dict) -> None:
        """A view over the Parquet folder/file (Hive partitions become columns) or the Delta snapshot's files."""
        path, fmt, version = external.check_spec(name, spec)
        try:
            if fmt == "delta":
                source = self._delta_sql(name, path, version)
            else:
                glob = path if str(path).endswith(".parquet") else str(path).rstrip("/") + "/**/*.parquet"
                source = f"SELECT * FROM read_parquet({literal(glob)}, hive_partitioning=true)"
            self.raw_sql(f"CREATE OR REPLACE VIEW {ident(name)} AS {source}")
        except StoreError:
            raise
        except Exception as exc:
            raise external.unreadable(name, fmt, path, self.name, exc) from exc

    def _delta_sql(self, name: str, path: str, version: int | None) -> str:
        """SELECT over read_parquet of each partition's files plus the partition values as typed literals.

        Delta keeps partition values in the log, not in the files, and a folder holds files of older
        snapshots too: reading exactly the snapshot's files with the log's values is what makes it Delta.
        """
        table = external.open_delta(name, path, version)
        schema = external.delta_arrow_schema(table)
        groups = external.delta_file_groups(name, path, table)
        relation = self.con.from_arrow(schema.empty_table())  # DuckDB's own Arrow type mapping
        types = {c: str(t) for c, t in zip(schema.names, relation.types)}
        if not groups:  # an empty snapshot: no files, but the columns and types of the table
            return "SELECT " + ", ".join(f"CAST(NULL AS {types[c]}) AS {ident(c)}" for c in schema.names) + " LIMIT 0"
        selects = []
        for values, files in groups:
            listed = ", ".join(literal(f) for f in files)
            extra = "".join(f", {_typed_literal(v, types[c])} AS {ident(c)}" for c, v in values.items())
            # hive_partitioning off: partition values come from the log, not from folder names
            selects.append(f"SELECT *{extra} FROM read_parquet([{listed}], hive_partitioning=false, union_by_name=true)")
        order = ", ".join(ident(c) for c in schema.names)
        return f"SELECT {order} FROM (" + " UNION ALL BY NAME ".join(selects) + ")"


def _typed_literal(value: Any, sql_type: str) -> str:
    if value is None:
        return f"CAST(NULL AS {sql_type})"
    return f"CAST({literal(str(value))} AS {sql_type})"


