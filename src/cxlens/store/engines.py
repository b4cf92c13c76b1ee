"""Everything that differs between engines when opening and describing a store, in one place.

The store URL picks the engine:
  duckdb:///path/cx.duckdb     embedded DuckDB (default)
  spark://local[*]             PySpark, local mode or a master URL (spark://host:7077); tables are
                               Parquet folders under ?warehouse=DIR (any Hadoop path: hdfs://, s3a://)
  postgres://user:pw@host/db   PostgreSQL
  <scheme>://...               any other backend Ibis knows (bigquery://, snowflake://, trino://, ...),
                               for analyses over tables that already exist there (untested; see docs/scale.md)
Analyses are Ibis expressions and never branch on the engine. Writing rows lives in
:mod:`cxlens.store.writers`; replacements for functions an engine lacks in :mod:`cxlens.store.functions`.

Spark stores keep no metastore: each table is a Parquet folder `<warehouse>/<table>/`, exposed to
the session as a temporary view of the canonical columns whenever a store is opened. The fact tables
are partitioned by month (`_month=YYYY-MM` sub-folders) so a load rewrites only the months it touches.
"""

from __future__ import annotations

import os
from typing import Any
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


EXTERNAL_FORMATS = ("parquet", "delta")
# Delta reader features that change only the log or use Parquet types both engines read natively;
# anything else (deletionVectors, columnMapping, typeWidening, ...) changes what the files mean.
DELTA_READER_FEATURES = frozenset({"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "variantType"})


def register_external(backend: Any, engine: str, name: str, spec: dict) -> None:
    """Expose an external Parquet or Delta table as a canonical table, read in place (no copy).

    Parquet folders may be Hive-partitioned (`month=2024-05/part-0.parquet`); the partition column
    then appears as a column. Delta tables are resolved with the `deltalake` package (no engine
    extension): the log gives the snapshot's files and partition values, the engine reads the files.
    `version = N` in the spec reads an older snapshot (time travel).
    """
    path = spec.get("path")
    fmt = spec.get("format", "parquet")
    if not path:
        raise StoreError(f"external table '{name}' needs a path in cxlens.toml [tables.{name}]")
    if fmt not in EXTERNAL_FORMATS:
        raise StoreError(f"external table '{name}': format '{fmt}' is not supported; use {' or '.join(EXTERNAL_FORMATS)}")
    if engine not in ("duckdb", "spark"):
        raise StoreError(f"external {fmt} tables are not supported on {engine}; load the data or use duckdb/spark")
    try:
        if fmt == "delta":
            _register_delta(backend, engine, name, path, spec.get("version"))
        elif engine == "duckdb":
            quoted = str(path).replace("'", "''")
            glob = quoted.rstrip("/") + "/**/*.parquet" if not quoted.endswith(".parquet") else quoted
            source = f"read_parquet('{glob}', hive_partitioning=true)"
            backend.raw_sql(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {source}")
        else:
            spark_session(backend).read.parquet(path).createOrReplaceTempView(name)
    except StoreError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"external table '{name}' ({fmt} at {path}) cannot be read on {engine}: {first}") from exc


def _register_delta(backend: Any, engine: str, name: str, path: str, version: int | None) -> None:
    """View `name` over the Parquet files of one Delta snapshot, partition values added from the log.

    Delta keeps partition values in the log, not in the files, and a folder holds files of older
    snapshots too: reading exactly the snapshot's files with the log's values is what makes it Delta.
    """
    table = open_delta(name, path, version)
    schema = delta_arrow_schema(table)
    groups = delta_file_groups(name, path, table)
    if engine == "duckdb":
        backend.raw_sql(f"CREATE OR REPLACE VIEW {name} AS {_duckdb_delta_sql(backend, schema, groups)}")
    else:
        _spark_delta_frame(backend, schema, groups).createOrReplaceTempView(name)


def open_delta(name: str, path: str, version: int | None = None) -> Any:
    """The `deltalake.DeltaTable` at `path` (at `version` when given), refused if cxlens cannot read it right."""
    try:
        import deltalake
    except ImportError as exc:
        raise StoreError(f"external table '{name}' is a Delta table ({path}) and reading it needs the "
                         "deltalake package: pip install 'cxlens[delta]'") from exc
    try:
        table = deltalake.DeltaTable(str(path), version=None if version is None else int(version))
    except Exception as exc:  # TableNotFoundError, a version that was never written or was vacuumed
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        at = f" at version {version}" if version is not None else ""
        raise StoreError(f"external table '{name}': no readable Delta table at {path}{at} "
                         f"(a Delta table is a folder with a _delta_log): {first}") from exc
    check_delta_protocol(name, path, table)
    return table


def check_delta_protocol(name: str, path: str, table: Any) -> None:
    """Refuse a Delta table whose reader features change what its Parquet files mean.

    Deletion vectors hide rows that are still in the files, column mapping renames the files'
    columns: reading the files as they are would give wrong answers, so say so instead.
    """
    protocol = table.protocol()
    needed = set(protocol.reader_features or [])
    mapping = table.metadata().configuration.get("delta.columnMapping.mode") or "none"
    if protocol.min_reader_version >= 2 and mapping != "none":
        needed.add("columnMapping")
    unsupported = sorted(needed - DELTA_READER_FEATURES)
    if protocol.min_reader_version > 3:
        unsupported.append(f"reader version {protocol.min_reader_version}")
    if unsupported:
        raise StoreError(
            f"external table '{name}': the Delta table at {path} needs reader features cxlens cannot honour "
            f"({', '.join(unsupported)}). Rewrite it without them (deletion vectors: REORG TABLE ... APPLY (PURGE) "
            "then ALTER TABLE ... DROP FEATURE deletionVectors) or load its rows with `cxlens load`.")


def delta_arrow_schema(table: Any) -> Any:
    """The table's columns as a pyarrow schema (partition columns included, in table order)."""
    import pyarrow as pa

    return pa.schema(table.schema().to_arrow())


def delta_file_groups(name: str, path: str, table: Any) -> list[tuple[dict[str, Any], list[str]]]:
    """The snapshot's data files grouped by partition values: [({column: value}, [file uri, ...]), ...]."""
    uris = table.file_uris()
    columns = table.metadata().partition_columns
    if not uris or not columns:
        return [({}, uris)] if uris else []
    import pyarrow as pa
    from urllib.parse import unquote

    actions = pa.table(table.get_add_actions(flatten=True))
    relative = actions.column("path").to_pylist()
    values = zip(*(actions.column(f"partition.{c}").to_pylist() for c in columns))
    groups: dict[tuple, list[str]] = {}
    for uri, rel, row in zip(uris, relative, values, strict=True):
        if not uri.endswith(unquote(rel)):  # the two lists come from one snapshot in one order
            raise StoreError(f"external table '{name}': cannot match the files of the Delta table at {path} "
                             f"to their partition values ({uri} vs {rel})")
        groups.setdefault(tuple(row), []).append(uri)
    return [(dict(zip(columns, row)), files) for row, files in groups.items()]


def _duckdb_delta_sql(backend: Any, schema: Any, groups: list[tuple[dict[str, Any], list[str]]]) -> str:
    """SELECT over read_parquet of each partition's files plus the partition values as typed literals."""
    types = _duckdb_types(backend, schema)
    if not groups:  # an empty snapshot: no files, but the columns and types of the table
        return "SELECT " + ", ".join(f"CAST(NULL AS {types[c]}) AS {_ident(c)}" for c in schema.names) + " LIMIT 0"
    selects = []
    for values, files in groups:
        listed = ", ".join(_sql_text(f) for f in files)
        extra = "".join(f", {_duckdb_literal(v, types[c])} AS {_ident(c)}" for c, v in values.items())
        # hive_partitioning off: partition values come from the log, not from folder names
        selects.append(f"SELECT *{extra} FROM read_parquet([{listed}], hive_partitioning=false, union_by_name=true)")
    order = ", ".join(_ident(c) for c in schema.names)
    return f"SELECT {order} FROM (" + " UNION ALL BY NAME ".join(selects) + ")"


def _duckdb_types(backend: Any, schema: Any) -> dict[str, str]:
    """DuckDB's SQL type name for each column of an Arrow schema (DuckDB's own Arrow mapping)."""
    relation = backend.con.from_arrow(schema.empty_table())
    return {c: str(t) for c, t in zip(schema.names, relation.types)}


def _duckdb_literal(value: Any, sql_type: str) -> str:
    if value is None:
        return f"CAST(NULL AS {sql_type})"
    return f"CAST({_sql_text(str(value))} AS {sql_type})"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _spark_delta_frame(backend: Any, schema: Any, groups: list[tuple[dict[str, Any], list[str]]]) -> Any:
    """DataFrame over each partition's Parquet files (table schema imposed) plus partition literals."""
    from functools import reduce

    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    session = spark_session(backend)
    struct = from_arrow_schema(schema)
    if not groups:
        return session.createDataFrame([], struct)
    partitioned = set(groups[0][0])
    data = type(struct)([f for f in struct.fields if f.name not in partitioned])
    frames = []
    for values, files in groups:
        frame = session.read.schema(data).parquet(*files)
        for column, value in values.items():
            frame = frame.withColumn(column, F.lit(value).cast(struct[column].dataType))
        frames.append(frame)
    return reduce(lambda a, b: a.unionByName(b), frames).select(*[f"`{f.name}`" for f in struct.fields])
