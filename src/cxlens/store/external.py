"""External tables: Parquet or Delta folders in the lake, read in place by DuckDB or Spark (no copy).

Engine-specific like the rest of :mod:`cxlens.store.engines`, kept apart because Delta needs its own
reading of the log (the `deltalake` package) before either engine sees a file.
"""

from __future__ import annotations

from typing import Any

from cxlens.errors import StoreError, first_line
from cxlens.store.engines import spark_session

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
        raise StoreError(f"external table '{name}' ({fmt} at {path}) cannot be read on {engine}: {first_line(exc)}") from exc


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
        first = first_line(exc)
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
