"""What every engine does for a store, as one abstract class: the rest of cxlens calls these methods and
never asks which engine runs.

A backend opens and closes the engine's connection, creates tables and adds columns from the model,
keeps the schema version, writes rows (keyed upserts, whole-table replacements, the loader's write
path) and exposes external Parquet/Delta tables. Analyses use `backend.ibis`, the Ibis backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Callable, Collection, Iterator

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import META, Table
from cxlens.store.sql import ident, literal


@dataclass
class UpsertCounts:
    """What an upsert did: every good row is inserted, updated or unchanged.

    `changed` says, for each column the load wrote, how many stored rows it changed: the counts per
    column set that tell a user what a second customer file did to the first one's fields.
    """

    inserted: int
    updated: int
    unchanged: int
    changed: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Deletion:
    """Rows of one table to delete (erasure, retention): those equal, column by column, to a row of `keys`
    (NULL matches NULL), or, when `keys` is None, those whose `column` is before `cutoff` (text
    'YYYY-MM-DD HH:MM:SS', or 'YYYY-MM' for a VARCHAR month column)."""

    table: Table
    keys: pa.Table | None = None
    column: str | None = None
    cutoff: str | None = None

    def where(self, alias: str, keys: str) -> str:
        """SQL condition on `alias`'s rows; `keys` names the relation holding `self.keys` (DuckDB, PostgreSQL, Spark SQL)."""
        if self.keys is not None:
            same = " AND ".join(f"{alias}.{ident(c)} IS NOT DISTINCT FROM k.{ident(c)}" for c in self.keys.column_names)
            return f"EXISTS (SELECT 1 FROM {keys} k WHERE {same})"
        sql_type = self.table.column(str(self.column)).type
        bound = literal(self.cutoff) if sql_type == "VARCHAR" else f"CAST({literal(self.cutoff)} AS {sql_type})"
        return f"{alias}.{ident(str(self.column))} < {bound}"


class LoadSession(ABC):
    """The loader's write path for one load into one table.

    Validation always runs in DuckDB; the session says in which connection (the store's own for a
    DuckDB store, an in-memory staging one otherwise) and how the outcome reaches the store. The loader
    calls ``connection()``, then inside its DuckDB transaction ``upsert(con, good, columns)`` and ``publish(...)``;
    ``abort()`` when anything fails and ``close()`` always.
    """

    @abstractmethod
    def connection(self) -> duckdb.DuckDBPyConnection:
        """DuckDB connection holding `quarantine`, `loads`, the target table and its reference tables."""

    @abstractmethod
    def upsert(self, con: duckdb.DuckDBPyConnection, good: str, columns: Collection[str] | None = None) -> UpsertCounts:
        """Upsert the rows `SELECT ... FROM {good}` by key, writing only `columns` of stored rows (None: whole rows)."""

    def writes_in_place_into_empty(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Whether the target table in `con` is the store's own and holds no row yet: the loader may then write
        checked rows straight into it and look for a file's repeated keys there (ingest.load's unstaged path)."""
        return False

    def publish(self, con: duckdb.DuckDBPyConnection, load_id: str, file: str,
                before_commit: Callable[[], None] | None = None) -> None:
        """Make the staged outcome visible in the store (before the loader's COMMIT on `con`)."""
        if before_commit:
            before_commit()

    def abort(self) -> None:
        """Undo whatever was prepared on the store (called when the load fails)."""

    def close(self) -> None:
        """Release the session's resources."""


class Backend(ABC):
    """One engine behind a store. Subclasses: DuckDB, Spark, PostgreSQL, and any other Ibis backend (read-only).

    Attributes:
        name: the engine's name, for messages (``duckdb``, ``spark``, ``postgres`` or the URL scheme).
        url: the store URL.
        ibis: the Ibis backend analyses run on.
    """

    name: str = ""

    def __init__(self, url: str, ibis_backend: Any):
        self.url = url
        self.ibis = ibis_backend

    # ------------------------------------------------------------------ connection

    def close(self) -> None:
        """Release the connection (and whatever the store registered in a shared session)."""

    def duckdb_connection(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection; only DuckDB stores have one."""
        raise StoreError(f"{self.url} is a {self.name} store, not DuckDB")

    # ------------------------------------------------------------------ schema

    def has_table(self, name: str) -> bool:
        """Whether table `name` exists in the store."""
        return name in self.ibis.list_tables()

    def attach_tables(self, tables: list[Table]) -> None:
        """Make a store's existing tables visible to this connection (only Spark needs to)."""

    @abstractmethod
    def create_table(self, table: Table) -> None:
        """Create `table` with portable column types unless it exists."""

    @abstractmethod
    def add_column(self, table: Table, column: str) -> None:
        """Add `table`'s nullable `column` to the stored table; existing rows read NULL. No-op when present."""

    def read_version(self) -> int:
        """Schema version recorded in the store; 0 for a new store (no meta table yet)."""
        value = self.meta_value("schema_version")
        return 0 if value is None else int(value)

    def meta_value(self, key: str) -> str | None:
        """The value kept under `key` in `cxlens_meta`; None when unset or the table does not exist yet."""
        if not self.has_table(META.name):
            return None
        rows = self.ibis.table(META.name).filter(ibis._.key == key).value.execute()
        return None if len(rows) == 0 or rows.iloc[0] is None else str(rows.iloc[0])

    @abstractmethod
    def write_version(self, version: int) -> None:
        """Record the schema version the store is at."""

    # ------------------------------------------------------------------ rows

    @abstractmethod
    def write_keyed(self, table: Table, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
        """Make `rows` the rows of their keys and delete the keys in `gone`, atomically (both typed)."""

    @abstractmethod
    def replace_rows(self, table: Table, rows: pa.Table) -> None:
        """Replace every row of `table` with `rows` (canonical columns, in order), atomically."""

    def replace_from_query(self, table: Table, query: ir.Table) -> None:
        """Replace every row of `table` with the rows of `query` (an Ibis expression over this store with the
        table's columns, in order, already cast), computed in the engine: a derived table rebuilt from its
        sources without bringing the rows to Python."""
        raise read_only(self, f"Rebuilding {table.name}")

    def delete_rows(self, deletions: list[Deletion]) -> dict[str, int]:
        """Delete every Deletion's rows, all in one transaction where the engine has them; returns rows deleted per
        table (erasure and retention: :mod:`cxlens.privacy`)."""
        raise read_only(self, "deleting rows")

    def purge_deleted(self, tables: Collection[str]) -> str:
        """Make rows deleted from `tables` physically gone from the engine's files (a DELETE only marks them);
        returns what was done, in words."""
        raise read_only(self, "purging deleted rows")

    @abstractmethod
    def load_session(self, table: Table) -> LoadSession:
        """The loader's write path for one load into `table`."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN ... COMMIT around a block, ROLLBACK on any exception (Ctrl-C included)."""

    @abstractmethod
    def register_external(self, name: str, spec: dict) -> None:
        """Expose the external Parquet or Delta table `spec` (path, format, version) as view `name`."""


class SqlBackend(Backend):
    """What DuckDB and PostgreSQL share: DDL and the schema version in plain SQL."""

    def raw_sql(self, sql: str) -> None:
        """Run a statement that returns nothing."""
        self.ibis.raw_sql(sql)

    def sql_type(self, portable: str) -> str:
        """The engine's name for a portable column type."""
        return portable

    def column_definition(self, table: Table, column: str, portable: str) -> str:
        """One column of `table`'s CREATE TABLE: its name and the engine's type."""
        return f"{ident(column)} {self.sql_type(portable)}"

    def create_table(self, table: Table) -> None:
        cols = ", ".join(self.column_definition(table, c, t) for c, t in table.ddl)
        self.raw_sql(f"CREATE TABLE IF NOT EXISTS {ident(table.name)} ({cols})")

    def add_column(self, table: Table, column: str) -> None:
        """ALTER TABLE ... ADD COLUMN IF NOT EXISTS: metadata only, no rewrite; defined as `create_table` defines it."""
        definition = self.column_definition(table, column, table.column(column).type)
        self.raw_sql(f"ALTER TABLE {ident(table.name)} ADD COLUMN IF NOT EXISTS {definition}")

    def replace_from_query(self, table: Table, query: ir.Table) -> None:
        """DELETE then INSERT ... SELECT in one transaction: readers see the old rows or the new, never none."""
        sql = self.ibis.compile(query)
        with self.transaction():
            self.raw_sql(f"DELETE FROM {ident(table.name)}")
            self.raw_sql(f"INSERT INTO {ident(table.name)} ({', '.join(map(ident, table.names))}) {sql}")

    def write_version(self, version: int) -> None:
        self.raw_sql(f"DELETE FROM {ident(META.name)} WHERE {ident('key')} = 'schema_version'")
        self.raw_sql(f"INSERT INTO {ident(META.name)} VALUES ('schema_version', {literal(version)})")


@contextmanager
def transaction(con: Any) -> Iterator[None]:
    """BEGIN ... COMMIT on a DuckDB or PostgreSQL connection; ROLLBACK on any exception, Ctrl-C included,
    so a write either lands whole or not at all."""
    con.execute("BEGIN")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def keys_match(key: list[str], left: str, right: str) -> str:
    """`left.k1 = right.k1 AND ...` over the key columns."""
    return " AND ".join(f"{left}.{ident(k)} = {right}.{ident(k)}" for k in key)


def read_only(backend: Backend, what: str) -> StoreError:
    """The error for a write on an engine cxlens only reads from."""
    return StoreError(f"{what} into a {backend.name} store is not supported; cxlens reads {backend.name} stores "
                      "and writes to DuckDB, Spark or PostgreSQL")
