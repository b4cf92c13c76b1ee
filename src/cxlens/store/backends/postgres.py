"""PostgreSQL stores (postgres://user:pw@host/db): every write is one transaction on the server.

A load is validated in an in-memory DuckDB (:mod:`cxlens.store.staging`) and written in one PostgreSQL
transaction (DELETE changed keys, COPY new rows, quarantine, load log), holding a lock on the target
from classification on; a failure at any point rolls everything back. Rows travel as CSV through COPY.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable, Collection

import duckdb
import ibis
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import LOADS, QUARANTINE, Table
from cxlens.store import external
from cxlens.store.backends.base import Deletion, LoadSession, SqlBackend, keys_match, transaction
from cxlens.store.sql import ident, literal
from cxlens.store.backends.staging import REPLACED, UPSERTS, StagedLoad, staging_connection


def connect(url: str) -> "PostgresBackend":
    """Connect to the PostgreSQL database of a postgres:// or postgresql:// URL."""
    try:
        return PostgresBackend(url, ibis.connect(url.replace("postgresql://", "postgres://", 1)))
    except Exception as exc:
        raise StoreError(f"cannot connect to PostgreSQL at {hide_password(url)}: {exc}") from exc


def hide_password(url: str) -> str:
    """`url` with the password replaced by *** (for messages and logs)."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.partition("://")[2]:
        return url
    scheme, _, userinfo = head.partition("://")
    return f"{scheme}://{userinfo.split(':')[0]}:***@{tail}"


class PostgresBackend(SqlBackend):
    """A PostgreSQL database; `ibis.con` is its psycopg connection (autocommit: we BEGIN ourselves)."""

    name = "postgres"

    @property
    def pg(self) -> Any:
        return self.ibis.con

    def sql_type(self, portable: str) -> str:
        return "DOUBLE PRECISION" if portable == "DOUBLE" else portable

    def transaction(self):
        return transaction(self.pg)

    def has_table(self, name: str) -> bool:
        return bool(self.pg.execute("SELECT to_regclass(%s) IS NOT NULL", (ident(name),)).fetchone()[0])

    def load_session(self, table: Table) -> LoadSession:
        return PostgresLoad(self, table)

    def register_external(self, name: str, spec: dict) -> None:
        raise external.unsupported(name, spec, self.name)

    def key_table(self, temp: str, table: Table, key: list[str]) -> None:
        """CREATE TEMP TABLE `temp` with `table`'s key columns, dropped at COMMIT (inside a transaction)."""
        types = dict(table.ddl)
        ddl = ", ".join(f"{ident(k)} {self.sql_type(types[k])}" for k in key)
        self.pg.execute(f"CREATE TEMP TABLE {ident(temp)} ({ddl}) ON COMMIT DROP")

    def write_keyed(self, table: Table, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
        """DELETE the keys of `rows` and `gone`, COPY `rows`, in one transaction."""
        keys = pa.concat_tables([rows.select(key), gone]) if gone is not None else rows.select(key)
        with self.transaction():
            self.key_table("_cx_keys", table, key)
            _copy_in(self.pg, "_cx_keys", key, keys)
            self.pg.execute(f"DELETE FROM {ident(table.name)} t USING _cx_keys g WHERE {keys_match(key, 't', 'g')}")
            _copy_in(self.pg, table.name, list(table.names), rows)

    def delete_rows(self, deletions: list[Deletion]) -> dict[str, int]:
        """Keys go through COPY into temporary tables; every DELETE runs in one transaction."""
        done: dict[str, int] = {}
        with self.transaction():
            for i, d in enumerate(deletions):
                name = f"_cx_delete_{i}"
                if d.keys is not None:
                    if d.keys.num_rows == 0:
                        continue
                    self.key_table(name, d.table, d.keys.column_names)
                    _copy_in(self.pg, name, d.keys.column_names, d.keys)
                cur = self.pg.execute(f"DELETE FROM {ident(d.table.name)} t WHERE {d.where('t', name)}")
                done[d.table.name] = done.get(d.table.name, 0) + max(cur.rowcount, 0)
        return done

    def purge_deleted(self, tables: Collection[str]) -> str:
        """VACUUM FULL: each table rewritten into new files without its dead rows (a plain VACUUM only marks
        their space reusable, leaving the values on disk until overwritten)."""
        for name in tables:
            self.pg.execute(f"VACUUM FULL {ident(name)}")
        return f"VACUUM FULL of {len(tables)} table(s): {', '.join(tables) or 'none'}"

    def replace_rows(self, table: Table, rows: pa.Table) -> None:
        with self.transaction():
            self.pg.execute(f"DELETE FROM {ident(table.name)}")
            _copy_in(self.pg, table.name, list(table.names), rows)


class PostgresLoad(StagedLoad):
    """Writes a load in one PostgreSQL transaction, holding a lock on the target from classification on."""

    def __init__(self, backend: PostgresBackend, table: Table):
        super().__init__(backend.ibis, table)
        self.backend = backend
        self.pg = backend.pg
        self.in_tx = False

    def _begin(self) -> None:
        if not self.in_tx:
            self.pg.execute("BEGIN")
            self.in_tx = True
            # Writers of the same table wait: the rows we classify against cannot change under us.
            self.pg.execute(f"LOCK TABLE {ident(self.table.name)} IN SHARE ROW EXCLUSIVE MODE")

    def _fetch_existing(self, keys: pa.Table) -> pa.Table | None:
        self._begin()
        self.backend.key_table("_cx_keys", self.table, self.key)
        _copy_in(self.pg, "_cx_keys", self.key, keys)
        using = ", ".join(map(ident, self.key))
        cur = self.pg.execute(f"SELECT t.* FROM {ident(self.table.name)} t JOIN _cx_keys USING ({using})")
        names = [d.name for d in cur.description]
        rows = cur.fetchall()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}) if rows else None

    def publish(self, con: duckdb.DuckDBPyConnection, load_id: str, file: str,
                before_commit: Callable[[], None] | None = None) -> None:
        self._begin()
        name = self.table.name
        n_upserts, n_replaced = self._outcome(con)
        if n_replaced:
            self.backend.key_table("_cx_gone", self.table, self.key)
            _copy_from_duckdb(self.pg, "_cx_gone", self.key, con, f"SELECT {', '.join(map(ident, self.key))} FROM {REPLACED}")
            self.pg.execute(f"DELETE FROM {ident(name)} t USING _cx_gone g WHERE {keys_match(self.key, 't', 'g')}")
        if n_upserts:
            _copy_from_duckdb(self.pg, name, self.cols, con, f"SELECT * FROM {UPSERTS}")
        self.pg.execute("DELETE FROM quarantine WHERE kind = %s AND file = %s", (name, file))
        _copy_from_duckdb(self.pg, "quarantine", list(QUARANTINE.names), con, "SELECT * FROM quarantine")
        _copy_from_duckdb(self.pg, "loads", list(LOADS.names), con, "SELECT * FROM loads")
        if before_commit:
            before_commit()
        self.pg.execute("COMMIT")
        self.in_tx = False

    def abort(self) -> None:
        if self.in_tx:
            self.pg.execute("ROLLBACK")
            self.in_tx = False


def _copy_in(pg: Any, table: str, cols: list[str], rows: pa.Table) -> None:
    """COPY an Arrow table into PostgreSQL (through DuckDB's CSV writer)."""
    con = staging_connection()
    try:
        con.register("_rows", rows)
        _copy_from_duckdb(pg, table, cols, con, "SELECT * FROM _rows")
    finally:
        con.close()


def _copy_from_duckdb(pg: Any, table: str, cols: list[str], con: duckdb.DuckDBPyConnection, select: str) -> None:
    """COPY the rows of a DuckDB query into a PostgreSQL table as CSV (NULL unquoted, '' quoted)."""
    with tempfile.TemporaryDirectory(prefix="cxlens-copy-") as tmp:
        csv_path = os.path.join(tmp, "rows.csv")
        con.execute(f"COPY ({select}) TO {literal(csv_path)} (FORMAT csv, HEADER false, "
                    f"TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%f')")
        if os.path.getsize(csv_path) == 0:
            return
        with pg.cursor().copy(f"COPY {ident(table)} ({', '.join(map(ident, cols))}) FROM STDIN (FORMAT csv)") as copy, \
                open(csv_path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
