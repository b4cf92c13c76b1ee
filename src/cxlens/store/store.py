"""`Store`: open by URL, create and migrate the schema, hand out Ibis tables."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from cxlens.errors import StoreError
from cxlens.model import TABLES
from cxlens.store import engines, external
from cxlens.store.migrations import migrate

# Bookkeeping tables next to the canonical ones: what was loaded, and what was refused and why.
SYSTEM_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "loads": (
        ("load_id", "VARCHAR"), ("kind", "VARCHAR"), ("file", "VARCHAR"), ("sha256", "VARCHAR"),
        ("rows_read", "BIGINT"), ("inserted", "BIGINT"), ("updated", "BIGINT"), ("unchanged", "BIGINT"),
        ("quarantined", "BIGINT"), ("started_at", "TIMESTAMP"), ("finished_at", "TIMESTAMP"),
    ),
    "quarantine": (
        ("load_id", "VARCHAR"), ("kind", "VARCHAR"), ("file", "VARCHAR"), ("row_number", "BIGINT"),
        ("field", "VARCHAR"), ("value", "VARCHAR"), ("reason", "VARCHAR"), ("raw", "VARCHAR"),
        ("quarantined_at", "TIMESTAMP"),
    ),
    # One row per analysed text (survey comment, ticket description, note): what `cxlens text analyze`
    # found, keyed by (source, source_id); text_sha1 lets re-runs skip texts that did not change.
    "comment_analysis": (
        ("source", "VARCHAR"), ("source_id", "VARCHAR"), ("text_sha1", "VARCHAR"), ("language", "VARCHAR"),
        ("sentiment", "VARCHAR"), ("sentiment_score", "DOUBLE"), ("themes", "VARCHAR"), ("emotions", "VARCHAR"),
        ("model", "VARCHAR"), ("analyzed_at", "TIMESTAMP"),
    ),
}


class Store:
    """An open warehouse holding the canonical CX tables.

    Attributes:
        url: the store URL it was opened with.
        engine: ``duckdb``, ``spark`` or ``postgres``.
        ibis: the Ibis backend, for analyses.
    """

    def __init__(self, url: str, backend: Any, engine: str, external_tables: dict[str, dict] | None = None):
        self.url = url
        self.ibis = backend
        self.engine = engine
        self.external_tables = external_tables or {}

    @classmethod
    def open(cls, url: str, external_tables: dict[str, dict] | None = None, create: bool = True) -> "Store":
        """Connect to the store at `url`, creating/migrating the schema unless `create` is False."""
        engine, backend = engines.connect(url)
        store = cls(url, backend, engine, external_tables)
        engines.attach_tables(backend, engine, {
            name: (list(engines.META_COLUMNS) if name == engines.META_TABLE else ddl_columns(name))
            for name in [engines.META_TABLE, *TABLES, *SYSTEM_TABLES] if name not in store.external_tables
        })
        for name, spec in store.external_tables.items():
            external.register_external(backend, engine, name, spec)
        if create:
            migrate(store)
        return store

    @property
    def duckdb(self):
        """The raw DuckDB connection (DuckDB stores only): the loader's bulk path uses it."""
        if self.engine != "duckdb":
            raise StoreError(f"{self.url} is a {self.engine} store, not DuckDB")
        return self.ibis.con

    def table(self, name: str) -> ir.Table:
        """Ibis expression for a canonical or system table."""
        if name not in TABLES and name not in SYSTEM_TABLES:
            raise StoreError(f"unknown table '{name}'; canonical tables are {sorted(TABLES)}")
        return self.ibis.table(name)

    def execute(self, expr: ir.Expr):
        """Run an Ibis expression and return a pandas object."""
        return expr.execute()

    def to_pyarrow(self, expr: ir.Expr):
        """Run an Ibis expression and return a pyarrow Table (columnar, no pandas round-trip)."""
        return self.ibis.to_pyarrow(expr)

    def count(self, name: str) -> int:
        return int(self.table(name).count().execute())

    def close(self) -> None:
        engines.disconnect(self.ibis, self.engine)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def ddl_columns(name: str) -> list[tuple[str, str]]:
    """(column, SQL type) pairs of a canonical or system table."""
    if name in TABLES:
        return [(c.name, c.type) for c in TABLES[name].columns]
    return list(SYSTEM_TABLES[name])


_ = ibis  # the module re-exports nothing from ibis; imported so a missing install fails early
