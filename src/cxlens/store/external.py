"""External tables: Parquet or Delta folders in the lake, read in place by DuckDB or Spark (no copy).

What every engine shares lives here: checking a `[tables.<name>]` spec from cxlens.toml, and reading a
Delta table's log (the `deltalake` package) to find the snapshot's files and partition values. Each
backend (:mod:`cxlens.store.backends`) then builds its view over those files.

Parquet folders may be Hive-partitioned (`month=2024-05/part-0.parquet`); the partition column then
appears as a column. `version = N` in a Delta spec reads an older snapshot (time travel).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pyarrow as pa

from cxlens.errors import StoreError, first_line

EXTERNAL_FORMATS = ("parquet", "delta")
# Delta reader features that change only the log or use Parquet types both engines read natively;
# anything else (deletionVectors, columnMapping, typeWidening, ...) changes what the files mean.
DELTA_READER_FEATURES = frozenset({"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "variantType"})


def check_spec(name: str, spec: dict) -> tuple[str, str, int | None]:
    """(path, format, Delta version) of an external table's spec; StoreError naming the table when unusable."""
    path = spec.get("path")
    fmt = spec.get("format", "parquet")
    if not path:
        raise StoreError(f"external table '{name}' needs a path in cxlens.toml [tables.{name}]")
    if fmt not in EXTERNAL_FORMATS:
        raise StoreError(f"external table '{name}': format '{fmt}' is not supported; use {' or '.join(EXTERNAL_FORMATS)}")
    return str(path), fmt, spec.get("version")


def unsupported(name: str, spec: dict, engine: str) -> StoreError:
    """The error for an engine that cannot read external tables (after the spec itself was checked)."""
    _, fmt, _ = check_spec(name, spec)
    return StoreError(f"external {fmt} tables are not supported on {engine}; load the data or use duckdb/spark")


def unreadable(name: str, fmt: str, path: str, engine: str, exc: BaseException) -> StoreError:
    """The error for an external table the engine failed to read, naming table, format and path."""
    return StoreError(f"external table '{name}' ({fmt} at {path}) cannot be read on {engine}: {first_line(exc)}")


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
    return pa.schema(table.schema().to_arrow())


def delta_file_groups(name: str, path: str, table: Any) -> list[tuple[dict[str, Any], list[str]]]:
    """The snapshot's data files grouped by partition values: [({column: value}, [file uri, ...]), ...]."""
    uris = table.file_uris()
    columns = table.metadata().partition_columns
    if not uris or not columns:
        return [({}, uris)] if uris else []
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
