"""The engines a store runs on, behind one :class:`Backend` class; the store URL picks the engine.

  duckdb:///path/cx.duckdb     embedded DuckDB (default)                                   backends.duckdb
  spark://local[*]             PySpark, local mode or a master URL (spark://host:7077); tables are
                               Parquet folders under ?warehouse=DIR (any Hadoop path: hdfs://, s3a://)  backends.spark
  postgres://user:pw@host/db   PostgreSQL                                                  backends.postgres
  <scheme>://...               any other backend Ibis knows (bigquery://, snowflake://, trino://, ...),
                               read-only, for analyses over tables that already exist there (untested;
                               see docs/scale.md)

This package is the only place that knows which engine runs: everything else calls `Backend` methods.
"""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import Table
from cxlens.store import external
from cxlens.store.backends import duckdb, postgres, spark
from cxlens.store.backends.base import Backend, Deletion, LoadSession, SqlBackend, read_only
from cxlens.store.backends.compilers import defer_dialect_compilers
from cxlens.store.backends.postgres import hide_password

# Ibis backends cxlens runs on, and how much we vouch for each (docs/scale.md repeats this).
TESTED_ENGINES = ("duckdb", "spark", "postgres")


def connect(url: str, read_only: bool = False) -> Backend:
    """The backend for a store URL, connected; StoreError saying which URLs work when none fits.

    `read_only`: the caller only reads (a DuckDB file then admits other readers at the same time).
    """
    defer_dialect_compilers()  # before Ibis loads the backend: only its own dialect's compiler is imported (D37)
    if url.startswith("duckdb://"):
        return duckdb.connect(url, read_only)
    if url.startswith("spark://"):
        return spark.connect(url)
    if url.startswith(("postgres://", "postgresql://")):
        return postgres.connect(url)
    scheme = url.partition("://")[0]
    if scheme and "://" in url:
        try:  # another Ibis backend: analyses work where its SQL dialect has the functions they use
            return IbisBackend(url, ibis.connect(url), scheme)
        except Exception as exc:
            raise StoreError(f"cannot open a '{scheme}' store through Ibis ({hide_password(url)}): {exc}") from exc
    raise StoreError(f"unsupported store URL '{url}'; use duckdb:///file, spark://local[*] or postgres://...")


class IbisBackend(SqlBackend):
    """Any other engine Ibis connects to: cxlens creates its schema there (plain SQL DDL) and analyses its
    tables, but loads and other row writes are refused."""

    def __init__(self, url: str, ibis_backend: Any, name: str):
        super().__init__(url, ibis_backend)
        self.name = name

    def write_keyed(self, table: Table, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
        raise read_only(self, f"writing '{table.name}'")

    def replace_rows(self, table: Table, rows: pa.Table) -> None:
        raise read_only(self, f"writing '{table.name}'")

    def load_session(self, table: Table) -> LoadSession:
        raise read_only(self, "loading")

    def transaction(self):
        raise read_only(self, "a transaction")

    def register_external(self, name: str, spec: dict) -> None:
        raise external.unsupported(name, spec, self.name)


__all__ = ["TESTED_ENGINES", "Backend", "Deletion", "IbisBackend", "LoadSession", "connect"]
