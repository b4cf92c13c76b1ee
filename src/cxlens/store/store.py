"""`Store`: open by URL, create and migrate the schema, hand out Ibis tables, write rows."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import META, SYSTEM_TABLES, TABLES, Table, stored_tables, table
from cxlens.store import backends, migrations
from cxlens.store.backends import Backend, LoadSession
from cxlens.store.backends.staging import typed


class Store:
    """An open warehouse holding the canonical CX tables, whatever the engine.

    Attributes:
        url: the store URL it was opened with.
        backend: the engine behind it (:class:`cxlens.store.backends.Backend`).
        external_tables: table name -> spec of the tables read in place from the lake.
        migration: (schema version before, after) of the migration `open` applied; equal when none was due.
    """

    def __init__(self, url: str, backend: Backend, external_tables: dict[str, dict] | None = None):
        self.url = url
        self.backend = backend
        self.external_tables = external_tables or {}
        self.migration: tuple[int, int] | None = None
        self.read_only = False

    @classmethod
    def open(cls, url: str, external_tables: dict[str, dict] | None = None, migrate: bool = True,
             read_only: bool = False) -> "Store":
        """Connect to the store at `url`; create or migrate its schema unless `migrate` is False.

        With `migrate=False` nothing is written: a store whose schema is older than this cxlens (or
        absent) is refused with a StoreError that says to run `cxlens migrate`, as is a newer one.
        `read_only` (analyses; implies no migration) lets other processes read a DuckDB file at the
        same time and refuses writes. Another process's lock is waited for (:mod:`cxlens.store.locking`).
        """
        store = cls(url, backends.connect(url, read_only), external_tables)
        store.read_only = read_only
        migrate = migrate and not read_only
        try:
            store.backend.attach_tables([t for t in stored_tables() if t.name not in store.external_tables])
            for name, spec in store.external_tables.items():
                store.backend.register_external(name, spec)
            if migrate:
                store.migration = store.migrate()
            else:
                version = migrations.check_version(store.backend)
                store.migration = (version, version)
        except BaseException:
            store.close()
            raise
        return store

    def schema_version(self) -> int:
        """The schema version recorded in the store (0 for a store cxlens never wrote to)."""
        return self.backend.read_version()

    def migrate(self) -> tuple[int, int]:
        """Bring the schema to this cxlens's version; returns (version before, version after)."""
        return migrations.migrate(self.backend, set(self.external_tables))

    @property
    def engine(self) -> str:
        """Name of the engine (``duckdb``, ``spark``, ``postgres``, or another Ibis backend's scheme), for display."""
        return self.backend.name

    @property
    def ibis(self) -> Any:
        """The Ibis backend, for analyses."""
        return self.backend.ibis

    @property
    def duckdb(self) -> Any:
        """The raw DuckDB connection (DuckDB stores only; StoreError otherwise)."""
        return self.backend.duckdb_connection()

    def table(self, name: str) -> ir.Table:
        """Ibis expression for a canonical or system table."""
        if name not in TABLES and name not in SYSTEM_TABLES:
            raise StoreError(f"unknown table '{name}'; canonical tables are {sorted(TABLES)}")
        return self.ibis.table(name)

    def execute(self, expr: ir.Expr):
        """Run an Ibis expression and return a pandas object."""
        return expr.execute()

    def to_pyarrow(self, expr: ir.Expr) -> pa.Table:
        """Run an Ibis expression and return a pyarrow Table (columnar, no pandas round-trip)."""
        return self.ibis.to_pyarrow(expr)

    def count(self, name: str) -> int:
        """Number of rows of a canonical or system table."""
        return int(self.table(name).count().execute())

    def meta(self, key: str) -> str | None:
        """A value the store keeps about itself in `cxlens_meta` (schema version, key check, ...); None when unset."""
        return self.backend.meta_value(key)

    def set_meta(self, key: str, value: str | None) -> None:
        """Record (or, with None, remove) a value in `cxlens_meta`, atomically."""
        keys = pa.table({"key": pa.array([key], pa.string())})
        row = keys.append_column("value", pa.array([value], pa.string()))
        if value is None:
            self.backend.write_keyed(META, ["key"], row.slice(0, 0), keys)
        else:
            self.backend.write_keyed(META, ["key"], row, None)

    def write_keyed(self, name: str, key: list[str], rows: pa.Table, gone: pa.Table | None = None) -> None:
        """Make `rows` the rows of their keys in table `name` and delete the keys in `gone`, atomically.

        For derived tables (e.g. `comment_analysis`), which are not loaded from files: `rows` must hold
        every column of the table, `gone` the key columns. A key in both is replaced.
        """
        target = self._writable(name)
        rows = typed(rows, target)
        gone = gone.select(key) if gone is not None and gone.num_rows else None
        if rows.num_rows == 0 and gone is None:
            return
        self.backend.write_keyed(target, key, rows, gone)

    def replace_rows(self, name: str, rows: pa.Table) -> None:
        """Replace every row of table `name` with `rows` in one transaction (e.g. touchpoints from journey.yaml)."""
        target = self._writable(name)
        self.backend.replace_rows(target, rows.select(list(target.names)))

    def load_session(self, target: Table) -> LoadSession:
        """The loader's write path for one load into `target` (see :class:`cxlens.store.backends.LoadSession`)."""
        return self.backend.load_session(self._writable(target.name))

    def _writable(self, name: str) -> Table:
        if self.read_only:
            raise StoreError(f"the store {self.url} was opened read-only (for an analysis); writing '{name}' needs "
                             "Store.open(..., read_only=False)")
        if name in self.external_tables:
            raise StoreError(f"'{name}' is an external table ({self.external_tables[name].get('path')}); "
                             "cxlens reads it in place and does not write to it: add rows with the pipeline that owns it")
        try:
            return table(name)
        except KeyError:
            raise StoreError(f"unknown table '{name}'; canonical tables are {sorted(TABLES)}") from None

    def close(self) -> None:
        """Release the connection."""
        self.backend.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def ddl_columns(name: str) -> list[tuple[str, str]]:
    """(column, SQL type) pairs of a canonical, system or meta table."""
    return table(name).ddl
