"""Everything that differs between engines, in one place.

The store URL picks the engine:
  duckdb:///path/cx.duckdb     embedded DuckDB (default)
  spark://local[*]             PySpark, local mode or a master URL (spark://host:7077); tables are
                               Parquet in the warehouse folder given by ?warehouse=/path
  postgres://user:pw@host/db   PostgreSQL
Analyses are Ibis expressions and never branch on the engine; when an engine lacks a function,
its one replacement lives here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import ibis

from cxlens.errors import StoreError

META_TABLE = "cxlens_meta"


def connect(url: str) -> tuple[str, Any]:
    """Return (engine name, Ibis backend) for a store URL."""
    if url.startswith("duckdb://"):
        path = url[len("duckdb:///"):] if url.startswith("duckdb:///") else url[len("duckdb://"):]
        try:
            return "duckdb", ibis.duckdb.connect(path or ":memory:")
        except Exception as exc:  # duckdb raises IOException for locked/corrupt files
            raise StoreError(f"cannot open DuckDB store {path}: {exc}") from exc
    if url.startswith("spark://"):
        return "spark", _connect_spark(url)
    if url.startswith(("postgres://", "postgresql://")):
        try:
            return "postgres", ibis.connect(url.replace("postgresql://", "postgres://", 1))
        except Exception as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {url}: {exc}") from exc
    raise StoreError(f"unsupported store URL '{url}'; use duckdb:///file, spark://local[*] or postgres://...")


def _connect_spark(url: str) -> Any:
    """Start (or reuse) a SparkSession for spark://MASTER[?warehouse=DIR&partitions=N]."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise StoreError("the Spark engine needs pyspark: pip install 'cxlens[spark]'") from exc
    address, _, query = url[len("spark://"):].partition("?")
    master = address if address.startswith("local") else f"spark://{address}"
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    builder = (
        SparkSession.builder.master(master).appName("cxlens")
        .config("spark.sql.shuffle.partitions", params.get("partitions", "8"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", params.get("memory", "4g"))
    )
    if "warehouse" in params:
        builder = builder.config("spark.sql.warehouse.dir", params["warehouse"])
    return ibis.pyspark.connect(builder.getOrCreate())


def disconnect(backend: Any, engine: str) -> None:
    if engine == "duckdb":
        backend.disconnect()
    # Spark sessions are shared per process; Postgres connections close with the backend object.


def raw_sql(backend: Any, engine: str, sql: str) -> None:
    """Run a statement that returns nothing."""
    if engine == "spark":
        backend._session.sql(sql)
    else:
        backend.raw_sql(sql)


def create_table(backend: Any, engine: str, name: str, columns: list[tuple[str, str]]) -> None:
    """CREATE TABLE IF NOT EXISTS with portable column types."""
    cols = ", ".join(f"{c} {_type(engine, t)}" for c, t in columns)
    using = " USING parquet" if engine == "spark" else ""
    raw_sql(backend, engine, f"CREATE TABLE IF NOT EXISTS {name} ({cols}){using}")


def _type(engine: str, sql_type: str) -> str:
    if engine == "spark":
        return {"VARCHAR": "STRING", "DOUBLE": "DOUBLE", "BIGINT": "BIGINT"}.get(sql_type, sql_type)
    if engine == "postgres" and sql_type == "DOUBLE":
        return "DOUBLE PRECISION"
    return sql_type


def read_version(backend: Any, engine: str) -> int:
    """Schema version recorded in the store; 0 for a new store."""
    create_table(backend, engine, META_TABLE, [("key", "VARCHAR"), ("value", "VARCHAR")])
    rows = backend.table(META_TABLE).filter(ibis._.key == "schema_version").value.execute()
    return int(rows.iloc[0]) if len(rows) else 0


def write_version(backend: Any, engine: str, version: int) -> None:
    if engine == "spark":  # Parquet tables have no DELETE: overwrite the one-row table
        raw_sql(backend, engine, f"INSERT OVERWRITE TABLE {META_TABLE} VALUES ('schema_version', '{version}')")
        return
    raw_sql(backend, engine, f"DELETE FROM {META_TABLE} WHERE key = 'schema_version'")
    raw_sql(backend, engine, f"INSERT INTO {META_TABLE} VALUES ('schema_version', '{version}')")


def register_external(backend: Any, engine: str, name: str, spec: dict) -> None:
    """Expose an external Parquet file/folder as a canonical table, read in place (no copy)."""
    path = spec.get("path")
    fmt = spec.get("format", "parquet")
    if not path:
        raise StoreError(f"external table '{name}' needs a path in cxlens.toml [tables.{name}]")
    if fmt != "parquet":
        raise StoreError(f"external table '{name}': format '{fmt}' is not supported; use parquet")
    if engine == "duckdb":
        glob = path.rstrip("/") + "/**/*.parquet" if not path.endswith(".parquet") else path
        backend.raw_sql(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")
    elif engine == "spark":
        backend._session.read.parquet(path).createOrReplaceTempView(name)
    else:
        raise StoreError(f"external Parquet tables are not supported on {engine}")
