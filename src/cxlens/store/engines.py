"""Everything that differs between engines when opening and describing a store, in one place.

The store URL picks the engine:
  duckdb:///path/cx.duckdb     embedded DuckDB (default)
  spark://local[*]             PySpark, local mode or a master URL (spark://host:7077); tables are
                               Parquet folders under ?warehouse=DIR (any Hadoop path: hdfs://, s3a://)
  postgres://user:pw@host/db   PostgreSQL
  <scheme>://...               any other backend Ibis knows (bigquery://, snowflake://, trino://, ...),
                               for analyses over tables that already exist there (untested; see docs/scale.md)
Analyses are Ibis expressions and never branch on the engine. Writing rows lives in
:mod:`cxlens.store.writers`; external Parquet/Delta tables in :mod:`cxlens.store.external`; replacements for
functions an engine lacks in :mod:`cxlens.store.functions`.

Spark stores keep no metastore: each table is a Parquet folder `<warehouse>/<table>/`, exposed to
the session as a temporary view of the canonical columns whenever a store is opened. The fact tables
are partitioned by month (`_month=YYYY-MM` sub-folders) so a load rewrites only the months it touches.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import parse_qs

import ibis

from cxlens.errors import StoreError

META_TABLE = "cxlens_meta"
META_COLUMNS = [("key", "VARCHAR"), ("value", "VARCHAR")]

# Spark: fact tables partitioned by calendar month of this column (folder `_month=YYYY-MM`).
PARTITION_COLUMN = "_month"
SPARK_PARTITIONS: dict[str, str] = {"events": "ts", "responses": "ts", "tickets": "opened_at", "outcomes": "month"}
_WAREHOUSE_CONF = "cxlens.warehouse"

# Ibis backends cxlens runs on, and how much we vouch for each (docs/scale.md repeats this).
TESTED_ENGINES = ("duckdb", "spark", "postgres")


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
            raise StoreError(f"cannot connect to PostgreSQL at {_hide_password(url)}: {exc}") from exc
    scheme = url.partition("://")[0]
    if scheme and "://" in url:
        try:  # another Ibis backend: analyses work where its SQL dialect has the functions they use
            return scheme, ibis.connect(url)
        except Exception as exc:
            raise StoreError(f"cannot open a '{scheme}' store through Ibis ({_hide_password(url)}): {exc}") from exc
    raise StoreError(f"unsupported store URL '{url}'; use duckdb:///file, spark://local[*] or postgres://...")


def _hide_password(url: str) -> str:
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.partition("://")[2]:
        return url
    scheme, _, userinfo = head.partition("://")
    return f"{scheme}://{userinfo.split(':')[0]}:***@{tail}"


def spark_params(url: str) -> tuple[str, dict[str, str]]:
    """(Spark master, query parameters) of spark://MASTER[?warehouse=DIR&partitions=N&memory=4g&broadcast=256MB]."""
    address, _, query = url[len("spark://"):].partition("?")
    master = address if address.startswith("local") else f"spark://{address}"
    return master, {k: v[-1] for k, v in parse_qs(query).items()}


def _connect_spark(url: str) -> Any:
    """A fresh Spark session (own temp views and SQL settings) on the process's shared SparkContext."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise StoreError("the Spark engine needs pyspark: pip install 'cxlens[spark]'") from exc
    master, params = spark_params(url)
    warehouse = params.get("warehouse", "spark-warehouse")
    if "://" not in warehouse:
        warehouse = os.path.abspath(warehouse)
    try:
        base = (
            SparkSession.builder.master(master).appName("cxlens")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", params.get("memory", "4g"))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    except Exception as exc:  # Java missing, master unreachable
        raise StoreError(f"cannot start Spark for {url}: {exc}") from exc
    session = base.newSession()  # two stores in one process do not see each other's tables
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.conf.set("spark.sql.shuffle.partitions", params.get("partitions", "8"))
    session.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    # Dimension tables (customers, touchpoints) are small next to the facts: broadcast them, no shuffle.
    session.conf.set("spark.sql.autoBroadcastJoinThreshold", params.get("broadcast", "256MB"))
    session.conf.set(_WAREHOUSE_CONF, warehouse.rstrip("/"))
    return ibis.pyspark.connect(session)


def spark_session(backend: Any) -> Any:
    return backend._session


def table_path(backend: Any, name: str) -> str:
    """Folder of a Spark table: `<warehouse>/<name>`."""
    return f"{spark_session(backend).conf.get(_WAREHOUSE_CONF)}/{name}"


def spark_ddl(columns: list[tuple[str, str]]) -> str:
    """Spark DDL schema string ("a STRING, b DOUBLE") of (column, portable type) pairs."""
    return ", ".join(f"`{c}` {_type('spark', t)}" for c, t in columns)


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


def disconnect(backend: Any, engine: str) -> None:
    if engine == "duckdb":
        backend.disconnect()
    elif engine == "spark":
        session = spark_session(backend)
        for view in session.catalog.listTables():
            if view.isTemporary:
                session.catalog.dropTempView(view.name)
    # Postgres connections close with the backend object.


def raw_sql(backend: Any, engine: str, sql: str) -> None:
    """Run a statement that returns nothing."""
    if engine == "spark":
        spark_session(backend).sql(sql)
    else:
        backend.raw_sql(sql)


def attach_tables(backend: Any, engine: str, tables: dict[str, list[tuple[str, str]]]) -> None:
    """Make a store's existing tables visible to this connection (Spark: views over their folders)."""
    if engine != "spark":
        return
    from cxlens.store import writers

    for name, columns in tables.items():
        if writers.path_exists(backend, table_path(backend, name)):
            register_spark_table(backend, name, columns)


def register_spark_table(backend: Any, name: str, columns: list[tuple[str, str]]) -> None:
    """(Re)create the temp view `name` over its Parquet folder, canonical columns only."""
    session = spark_session(backend)
    ddl = spark_ddl(columns)
    if name in SPARK_PARTITIONS:
        ddl += f", `{PARTITION_COLUMN}` STRING"
    frame = session.read.schema(ddl).parquet(table_path(backend, name))
    frame.select(*[f"`{c}`" for c, _ in columns]).createOrReplaceTempView(name)


def create_table(backend: Any, engine: str, name: str, columns: list[tuple[str, str]]) -> None:
    """CREATE TABLE IF NOT EXISTS with portable column types (Spark: an empty Parquet folder)."""
    if engine == "spark":
        from cxlens.store import writers

        if not writers.path_exists(backend, table_path(backend, name)):
            writers.write_empty_spark_table(backend, name, columns)
        register_spark_table(backend, name, columns)
        return
    cols = ", ".join(f"{c} {_type(engine, t)}" for c, t in columns)
    raw_sql(backend, engine, f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


def add_column(backend: Any, engine: str, name: str, column: str, sql_type: str) -> None:
    """Add a nullable column to an existing table; existing rows read NULL. Does nothing when it exists.

    DuckDB and PostgreSQL: ALTER TABLE ... ADD COLUMN IF NOT EXISTS (metadata only, no rewrite).
    Spark: the Parquet files stay as they are. Views read every folder with the canonical schema
    (`register_spark_table`), and Parquet readers return NULL for a requested column a file lacks,
    so re-registering the view with the current columns is the whole migration; files written
    later carry the column, and month rewrites read old and new files with the same schema.
    """
    if engine == "spark":
        from cxlens.store import writers
        from cxlens.store.store import ddl_columns

        if writers.path_exists(backend, table_path(backend, name)):
            register_spark_table(backend, name, ddl_columns(name))
        return
    raw_sql(backend, engine, f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} {_type(engine, sql_type)}")


def _type(engine: str, sql_type: str) -> str:
    if engine == "spark":
        return {"VARCHAR": "STRING", "DOUBLE": "DOUBLE", "BIGINT": "BIGINT"}.get(sql_type, sql_type)
    if engine == "postgres" and sql_type == "DOUBLE":
        return "DOUBLE PRECISION"
    return sql_type


def read_version(backend: Any, engine: str) -> int:
    """Schema version recorded in the store; 0 for a new store."""
    create_table(backend, engine, META_TABLE, META_COLUMNS)
    rows = backend.table(META_TABLE).filter(ibis._.key == "schema_version").value.execute()
    return int(rows.iloc[0]) if len(rows) else 0


def write_version(backend: Any, engine: str, version: int) -> None:
    if engine == "spark":  # Parquet folders have no DELETE: replace the one-row table
        import pyarrow as pa

        from cxlens.store import writers

        rows = pa.table({"key": ["schema_version"], "value": [str(version)]})
        writers.replace_spark_table(backend, META_TABLE, META_COLUMNS, rows)
        return
    raw_sql(backend, engine, f"DELETE FROM {META_TABLE} WHERE key = 'schema_version'")
    raw_sql(backend, engine, f"INSERT INTO {META_TABLE} VALUES ('schema_version', '{version}')")
