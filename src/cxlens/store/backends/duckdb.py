"""DuckDB stores (duckdb:///path/cx.duckdb): an embedded file, written in place in one transaction.

The loader validates in the store's own connection, so its upsert (:func:`upsert`) is the whole write
path. The same upsert also runs in the in-memory DuckDB that stages loads for the other engines.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any, Collection

import duckdb
import ibis
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import META, Table
from cxlens.store import external, locking
from cxlens.store.backends.base import Deletion, LoadSession, SqlBackend, UpsertCounts, keys_match, transaction
from cxlens.store.sql import ident, literal


def connect(url: str, read_only: bool = False) -> "DuckDBBackend":
    """Open the DuckDB file of duckdb:///path (duckdb:// or an empty path: in memory).

    `read_only` (analyses) lets other processes read the file at the same time; a writer holds it alone.
    While another process holds it, the open waits (see :mod:`cxlens.store.locking`).
    """
    path = url[len("duckdb:///"):] if url.startswith("duckdb:///") else url[len("duckdb://"):]
    if not path or path == ":memory:":
        return DuckDBBackend(url, ibis.duckdb.connect(":memory:"))
    if read_only and not Path(path).exists():
        raise StoreError(f"{url} has no cxlens schema yet; run `cxlens migrate -w DIR` (DIR: the workspace folder) "
                         "or load a file to create it.")
    try:
        backend = DuckDBBackend(url, locking.open_waiting(path, lambda: _open_file(path, read_only)))
    except StoreError:
        raise
    except Exception as exc:  # duckdb raises IOException for corrupt files
        raise StoreError(f"cannot open DuckDB store {path}: {exc}") from exc
    backend.path, backend.read_only = path, read_only
    if not read_only:
        locking.write_info(path)
    return backend


def _open_file(path: str, read_only: bool) -> Any:
    try:
        return ibis.duckdb.connect(path, read_only=read_only)
    except duckdb.ConnectionException as exc:
        # This process already holds the file read-write (a web app that also loads, a test): DuckDB
        # refuses a second configuration in one process, so share the read-write one.
        if read_only and "different configuration" in str(exc):
            return ibis.duckdb.connect(path)
        raise


def upsert(con: duckdb.DuckDBPyConnection, table: Table, good: str, columns: Collection[str] | None = None) -> UpsertCounts:
    """Insert new keys, update changed rows, leave identical rows alone.

    `good` is the FROM clause of the validated rows (`SELECT ... FROM {good}`). `columns` are the
    columns the file provides: a stored row keeps its other columns (column-wise merge, so customer
    demographics, services and location can come from three exports), and `attributes` JSON objects
    are merged key by key. `columns=None` replaces whole rows (`cxlens load --replace`).
    """
    name = ident(table.name)
    cols = ", ".join(ident(c.name) for c in table.columns)
    written = [c.name for c in table.columns if c.name not in table.key and (columns is None or c.name in columns)]
    if _is_empty(con, name):
        con.execute("DROP TABLE IF EXISTS _cx_class")  # no classification: every row is new
        inserted = con.execute(f"INSERT INTO {name} SELECT {cols} FROM {good}").fetchone()[0]
        return UpsertCounts(inserted, 0, 0, dict.fromkeys(written, 0))
    join = keys_match(list(table.key), "g", "o")
    exists = f"o.{ident(table.key[0])} IS NOT NULL"
    merged = ", ".join(f"{_merged(c.name, table, columns, exists)} AS {ident(c.name)}, o.{ident(c.name)} AS {ident('_old_' + c.name)}"
                       for c in table.columns)
    same = {c.name: f"{_comparable(ident(c.name), c.name, table)} IS NOT DISTINCT FROM "
                    f"{_comparable(ident('_old_' + c.name), c.name, table)}" for c in table.columns}
    flags = "".join(f", _exists AND NOT ({same[c]}) AS {ident('_chg_' + c)}" for c in written)
    # One join: each good row with its stored row (if any), the merged values, and what changed.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _cx_class AS
        SELECT *, _exists AND {" AND ".join(same.values())} AS _same{flags}
        FROM (SELECT {merged}, {exists} AS _exists FROM (SELECT {cols} FROM {good}) g LEFT JOIN {name} o ON {join})
    """)
    counted = ", ".join(["count(*) FILTER (NOT _exists)", "count(*) FILTER (_exists AND NOT _same)", "count(*) FILTER (_same)",
                         *(f"count(*) FILTER ({ident('_chg_' + c)})" for c in written)])
    inserted, updated, unchanged, *changed = con.execute(f"SELECT {counted} FROM _cx_class").fetchone()
    if updated:
        key = ", ".join(ident(k) for k in table.key)
        con.execute(f"DELETE FROM {name} o USING (SELECT {key} FROM _cx_class WHERE _exists AND NOT _same) g WHERE {join}")
    con.execute(f"INSERT INTO {name} SELECT {cols} FROM _cx_class WHERE NOT _same")
    # `_cx_class` stays for the load's hooks (the rollup reads the old and new values); the loader drops it.
    return UpsertCounts(inserted, updated, unchanged, dict(zip(written, changed)))


def _is_empty(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT 1)").fetchone()[0] == 0


def _comparable(value: str, column: str, table: Table) -> str:
    """The value of `column` in a form where equal values compare equal: JSON objects with their keys sorted."""
    if column == "attributes" and table.keeps_extra_columns:
        return f"to_json(map_from_entries(list_sort(map_entries(CAST(CAST({value} AS JSON) AS MAP(VARCHAR, JSON))))))"
    return value


def _merged(column: str, table: Table, columns: Collection[str] | None, exists: str) -> str:
    """The stored value of `column` after the upsert: the file's when it provides the column, else the stored one."""
    g, o = f"g.{ident(column)}", f"o.{ident(column)}"
    if columns is None or column in table.key:
        return g
    if column not in columns:
        return f"CASE WHEN {exists} THEN {o} ELSE {g} END"
    if column == "attributes" and table.keeps_extra_columns:
        # RFC 7396 merge patch: the file's keys replace the stored ones, the others stay.
        return f"CASE WHEN {exists} AND {o} IS NOT NULL THEN json_merge_patch({o}, coalesce({g}, '{{}}'))::VARCHAR ELSE {g} END"
    return g


class DuckDBLoad(LoadSession):
    """A load into a DuckDB store: validation and upsert in the store's own connection and transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: Table):
        self.con, self.table = con, table

    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def upsert(self, con: duckdb.DuckDBPyConnection, good: str, columns: Collection[str] | None = None) -> UpsertCounts:
        return upsert(con, self.table, good, columns)

    def writes_in_place_into_empty(self, con: duckdb.DuckDBPyConnection) -> bool:
        return _is_empty(con, ident(self.table.name))


class DuckDBBackend(SqlBackend):
    """An embedded DuckDB file."""

    name = "duckdb"

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.ibis.con

    path: str | None = None  # the file; None in memory
    read_only = False

    _guard: int | None = None  # descriptor holding the file's lock across a rewrite (purge_deleted)

    def close(self) -> None:
        self.ibis.disconnect()
        if self._guard is not None:
            os.close(self._guard)
            self._guard = None
        if self.path and not self.read_only:
            locking.remove_info(self.path)

    def delete_rows(self, deletions: list[Deletion]) -> dict[str, int]:
        con, done = self.con, {}
        names = [f"_cx_delete_{i}" for i in range(len(deletions))]
        for name, d in zip(names, deletions):
            if d.keys is not None:
                con.register(name, d.keys)
        try:
            with self.transaction():
                for name, d in zip(names, deletions):
                    if d.keys is not None and d.keys.num_rows == 0:
                        continue
                    n = con.execute(f"DELETE FROM {ident(d.table.name)} t WHERE {d.where('t', name)}").fetchone()[0]
                    done[d.table.name] = done.get(d.table.name, 0) + int(n)
        finally:
            for name, d in zip(names, deletions):
                if d.keys is not None:
                    con.unregister(name)
        return done

    def purge_deleted(self, tables: Collection[str]) -> str:
        """Rewrite the whole database into a new file and swap it in: DuckDB's DELETE, CHECKPOINT and VACUUM
        leave deleted values in the file's free blocks (an erased id was found 43 times), a fresh copy holds
        only live rows (architecture D25).

        The copy is made through this connection (ATTACH + COPY FROM DATABASE), locked by this process
        (POSIX lock on a descriptor kept until `close`) and moved over the old path (os.replace, atomic)
        before the old file is let go, so another process waiting for the store opens the new file, never the
        old one, and only after this one closes. The lock-info file stays: this process is still the writer.
        """
        if not self.path:
            return "in-memory store: nothing on disk"
        con, new = self.con, f"{self.path}.cxlens-rewrite"
        for leftover in (new, f"{new}.wal"):
            Path(leftover).unlink(missing_ok=True)
        con.execute("CHECKPOINT")
        current = con.execute("SELECT current_database()").fetchone()[0]
        before = os.path.getsize(self.path)
        con.execute(f"ATTACH {literal(new)} AS _cx_rewrite")
        try:
            con.execute(f"COPY FROM DATABASE {ident(current)} TO _cx_rewrite")
        finally:
            con.execute("DETACH _cx_rewrite")
        guard = os.open(new, os.O_RDWR)
        try:
            fcntl.lockf(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.replace(new, self.path)
        except BaseException:
            os.close(guard)
            Path(new).unlink(missing_ok=True)
            raise
        self.ibis.disconnect()
        if self._guard is not None:
            os.close(self._guard)
        self._guard = guard
        self.ibis = _open_file(self.path, False)
        locking.write_info(self.path)
        return f"database rewritten into a new file ({before:,} -> {os.path.getsize(self.path):,} bytes), old file removed"

    def duckdb_connection(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def column_definition(self, table: Table, column: str, portable: str) -> str:
        # Identifiers (one per answer or customer) in ZSTD: DuckDB's default for text (DICT_FSST) cost 5-6 CPU s to
        # write each at 10M rows, ZSTD 1.7-2.2 for 1.4-1.7x the bytes (architecture D70)
        compressed = " USING COMPRESSION zstd" if column in table.identifiers else ""
        return super().column_definition(table, column, portable) + compressed

    def has_table(self, name: str) -> bool:
        # Ibis 12's list_tables calls a result method DuckDB 2.0 removed; ask the catalog directly. A relation on the
        # name resolves it as the queries will, in 0.3 ms; DuckDB's catalog functions list every table with its
        # statistics (2-4 ms), and a scorecard asks some fifteen times (D69). A view that exists but cannot be bound
        # (an external table whose files are gone) is found by the catalog functions, as before.
        try:
            self.con.table(name)
            return True
        except duckdb.CatalogException:
            return False
        except duckdb.Error:
            pass
        found = self.con.execute("SELECT EXISTS(SELECT 1 FROM duckdb_tables() WHERE table_name = $1) OR EXISTS("
                                 "SELECT 1 FROM duckdb_views() WHERE view_name = $1 AND NOT internal)", [name])
        return bool(found.fetchall()[0][0])

    def meta_value(self, key: str) -> str | None:
        # one parameterised statement: 0.4 ms where the Ibis expression took 7 ms, read twice or more per metric call
        if not self.has_table(META.name):
            return None
        rows = self.con.execute(f"SELECT value FROM {ident(META.name)} WHERE {ident('key')} = ?", [key]).fetchall()
        return None if not rows or rows[0][0] is None else str(rows[0][0])

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
            temp = " TEMP" if self.read_only else ""  # a read-only file takes no new views; the session does
            self.raw_sql(f"CREATE OR REPLACE{temp} VIEW {ident(name)} AS {source}")
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


