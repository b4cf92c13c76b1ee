"""Spark stores (spark://MASTER?warehouse=DIR): Parquet folders, no metastore, writes published by renames.

Each table is a Parquet folder `<warehouse>/<table>/`, exposed to the session as a temporary view of the
canonical columns whenever a store is opened. The fact tables are partitioned by month
(`_month=YYYY-MM` sub-folders) so a load rewrites only the months it touches.

Writing a load: every new file is first written to a staging folder next to the table (the slow part,
and nothing is visible yet); then the files are published by renames: new files moved into their month
partitions, and partitions (or whole unpartitioned tables) that must lose rows swapped for rewritten
copies. A crash while staging leaves the store as it was; a crash during the publish step (renames only,
usually well under a second) can leave some tables or months published and others not. Parquet folders
give no multi-table atomicity; use a table format with transactions (Delta, Iceberg) through your own
pipeline if you need it. The `loads` row is published last, so a load missing from `loads` is the sign of
an interrupted publish: load the file again (loading is idempotent).
"""

from __future__ import annotations

import os
import uuid
from functools import reduce
from typing import Any, Callable, Collection
from urllib.parse import parse_qs

import duckdb
import ibis
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import LOADS, META, QUARANTINE, Table
from cxlens.store import external
from cxlens.store.backends.base import Backend, Deletion, LoadSession, keys_match
from cxlens.store.sql import ident
from cxlens.store.backends.staging import REPLACED, UPSERTS, StagedLoad, arrow, staging_connection, typed

# Fact tables partitioned by calendar month of this column (folder `_month=YYYY-MM`).
PARTITION_COLUMN = "_month"
SPARK_PARTITIONS: dict[str, str] = {"events": "ts", "responses": "ts", "tickets": "opened_at", "outcomes": "month"}
_TYPES = {"VARCHAR": "STRING", "DOUBLE": "DOUBLE", "BIGINT": "BIGINT"}


def spark_params(url: str) -> tuple[str, dict[str, str]]:
    """(Spark master, query parameters) of spark://MASTER[?warehouse=DIR&partitions=N&memory=4g&broadcast=256MB&spark.KEY=VALUE...]."""
    address, _, query = url[len("spark://"):].partition("?")
    master = address if address.startswith("local") else f"spark://{address}"
    return master, {k: v[-1] for k, v in parse_qs(query).items()}


def connect(url: str) -> "SparkBackend":
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
    for key, value in params.items():  # any session setting by its own name, e.g. spark.sql.adaptive.enabled=false
        if key.startswith("spark."):
            session.conf.set(key, value)
    return SparkBackend(url, ibis.pyspark.connect(session), session, warehouse.rstrip("/"))


def spark_type(portable: str) -> str:
    """Spark's name for a portable column type."""
    return _TYPES.get(portable, portable)


def spark_ddl(columns: list[tuple[str, str]]) -> str:
    """Spark DDL schema string ("a STRING, b DOUBLE") of (column, portable type) pairs."""
    return ", ".join(f"`{c}` {spark_type(t)}" for c, t in columns)


# ------------------------------------------------------------------------------- files (Hadoop FS)

def _hadoop(session: Any, path: str) -> tuple[Any, Any]:
    """(Hadoop FileSystem, Path) for a folder, so the same code works on file://, hdfs:// and s3a://.

    PySpark has no public API to rename, list or delete files on a Hadoop path, so this one function
    reaches the JVM through the session's private `_jvm` and `_jsc`; everything else goes through it.
    """
    hpath = session._jvm.org.apache.hadoop.fs.Path(path)
    return hpath.getFileSystem(session._jsc.hadoopConfiguration()), hpath


def path_exists(session: Any, path: str) -> bool:
    fs, hpath = _hadoop(session, path)
    return bool(fs.exists(hpath))


def _mkdirs(session: Any, path: str) -> None:
    fs, hpath = _hadoop(session, path)
    fs.mkdirs(hpath)


def _rename(session: Any, src: str, dst: str) -> None:
    fs, a = _hadoop(session, src)
    _, b = _hadoop(session, dst)
    fs.mkdirs(b.getParent())
    if not fs.rename(a, b):
        raise StoreError(f"could not move {src} to {dst}; the table may need a reload of the last file")


def _delete(session: Any, path: str) -> None:
    fs, hpath = _hadoop(session, path)
    if fs.exists(hpath):
        fs.delete(hpath, True)


def _list(session: Any, path: str) -> list[tuple[str, bool]]:
    """(name, is_dir) of the entries of a folder; empty when it does not exist."""
    fs, hpath = _hadoop(session, path)
    if not fs.exists(hpath):
        return []
    return [(s.getPath().getName(), bool(s.isDirectory())) for s in fs.listStatus(hpath)]


def _swap_folder(session: Any, new: str, target: str) -> None:
    """Replace folder `target` by `new`: two renames, then the old copy is deleted."""
    old = f"{target}.old-{uuid.uuid4().hex[:8]}"
    had_old = path_exists(session, target)
    if had_old:
        _rename(session, target, old)
    _rename(session, new, target)
    if had_old:
        _delete(session, old)


def _write_folder(frame: Any, path: str, partitioned: bool) -> None:
    writer = frame.write.mode("overwrite")
    if partitioned:
        writer = writer.partitionBy(PARTITION_COLUMN)
    writer.parquet(path)


def _partition_sql(name: str, table: Table) -> str:
    """DuckDB expression of a Spark table's month partition."""
    col = SPARK_PARTITIONS[name]
    return ident(col) if table.column(col).type == "VARCHAR" else f"strftime({ident(col)}, '%Y-%m')"


def _with_partition(rows: pa.Table, table: Table) -> pa.Table:
    con = staging_connection()
    try:
        con.register("_rows", rows)
        return arrow(con, f"SELECT *, {_partition_sql(table.name, table)} AS {PARTITION_COLUMN} FROM _rows")
    finally:
        con.close()


class SparkBackend(Backend):
    """A warehouse folder of Parquet tables, read and written through one Spark session."""

    name = "spark"

    def __init__(self, url: str, ibis_backend: Any, session: Any, warehouse: str):
        super().__init__(url, ibis_backend)
        self.session = session  # kept here: Ibis's PySpark backend has no public accessor for it
        self.warehouse = warehouse

    def table_path(self, name: str) -> str:
        """Folder of a Spark table: `<warehouse>/<name>`."""
        return f"{self.warehouse}/{name}"

    def staging_path(self, name: str, run: str) -> str:
        return f"{self.table_path('_staging')}/{run}/{name}"

    def close(self) -> None:
        for view in self.session.catalog.listTables():
            if view.isTemporary:
                self.session.catalog.dropTempView(view.name)

    def has_table(self, name: str) -> bool:
        return bool(self.session.catalog.tableExists(name))

    def attach_tables(self, tables: list[Table]) -> None:
        for table in tables:
            if path_exists(self.session, self.table_path(table.name)):
                self.register_view(table)

    def register_view(self, table: Table) -> None:
        """(Re)create the temp view over the table's Parquet folder, canonical columns only."""
        ddl = spark_ddl(table.ddl)
        if table.name in SPARK_PARTITIONS:
            ddl += f", `{PARTITION_COLUMN}` STRING"
        frame = self.session.read.schema(ddl).parquet(self.table_path(table.name))
        frame.select(*[f"`{c}`" for c in table.names]).createOrReplaceTempView(table.name)

    def create_table(self, table: Table) -> None:
        """An empty folder (readers supply the schema) and its view."""
        if not path_exists(self.session, self.table_path(table.name)):
            _mkdirs(self.session, self.table_path(table.name))
        self.register_view(table)

    def add_column(self, table: Table, column: str) -> None:
        """The Parquet files stay as they are. Views read every folder with the canonical schema
        (`register_view`), and Parquet readers return NULL for a requested column a file lacks, so
        re-registering the view with the current columns is the whole migration; files written later
        carry the column, and month rewrites read old and new files with the same schema."""
        if path_exists(self.session, self.table_path(table.name)):
            self.register_view(table)

    def write_version(self, version: int) -> None:
        # Parquet folders have no DELETE: replace the one-row table
        self.replace_rows(META, pa.table({"key": ["schema_version"], "value": [str(version)]}))

    def transaction(self):
        raise StoreError("Spark stores have no transactions: cxlens stages writes and publishes them by renames")

    def frame(self, rows: pa.Table, table: Table, partitioned: bool) -> Any:
        """Spark DataFrame of an Arrow table, cast to the canonical Spark types."""
        ddl = spark_ddl(table.ddl) + (f", `{PARTITION_COLUMN}` STRING" if partitioned else "")
        if rows.num_rows == 0:
            return self.session.createDataFrame([], ddl)
        casts = [f"CAST(`{c}` AS {spark_type(t)}) AS `{c}`" for c, t in table.ddl]
        return self.session.createDataFrame(rows).selectExpr(*casts, *([f"`{PARTITION_COLUMN}`"] if partitioned else []))

    def replace_rows(self, table: Table, rows: pa.Table) -> None:
        """Stage the new content as a Parquet folder and swap it in (small tables: touchpoints, the schema version)."""
        partitioned = table.name in SPARK_PARTITIONS
        if partitioned and PARTITION_COLUMN not in rows.column_names:
            rows = _with_partition(rows, table)
        run = uuid.uuid4().hex[:12]
        staging = self.staging_path(table.name, run)
        try:
            _write_folder(self.frame(rows, table, partitioned), staging, partitioned)
            _swap_folder(self.session, staging, self.table_path(table.name))
        finally:  # a failure before the swap leaves the table as it was and no staged files behind
            _delete(self.session, f"{self.table_path('_staging')}/{run}")
        self.register_view(table)

    def write_keyed(self, table: Table, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
        """The table's new content, computed in DuckDB, replaces the old (derived tables up to a few million rows)."""
        current = self.ibis.to_pyarrow(self.ibis.table(table.name))
        con = staging_connection()
        try:
            con.register("_cx_current", typed(current, table))
            con.register("_cx_rows", rows)
            drop = "SELECT * FROM _cx_rows"
            if gone is not None:
                con.register("_cx_gone", gone)
                drop = f"SELECT {', '.join(map(ident, key))} FROM _cx_rows UNION ALL SELECT * FROM _cx_gone"
            kept = (f"SELECT * FROM _cx_current c WHERE NOT EXISTS "
                    f"(SELECT 1 FROM ({drop}) d WHERE {keys_match(key, 'c', 'd')})")
            content = arrow(con, f"{kept} UNION ALL SELECT * FROM _cx_rows")
        finally:
            con.close()
        self.replace_rows(table, content)

    def replace_from_query(self, table: Table, query: Any) -> None:
        """The query's rows written by Spark to a staging folder and swapped in (as `replace_rows`), never
        collected to the driver."""
        run = uuid.uuid4().hex[:12]
        staging = self.staging_path(table.name, run)
        try:
            _write_folder(self.session.sql(str(self.ibis.compile(query))), staging, False)
            _swap_folder(self.session, staging, self.table_path(table.name))
        finally:
            _delete(self.session, f"{self.table_path('_staging')}/{run}")
        self.register_view(table)

    def delete_rows(self, deletions: list[Deletion]) -> dict[str, int]:
        """Each affected table's kept rows are staged as new Parquet files, then swapped in (the old files are
        deleted with their folder): no transaction, as for loads (see the module docstring)."""
        from pyspark.sql import functions as F

        run, done, staged = uuid.uuid4().hex[:12], {}, []
        try:
            for table in {d.table.name: d.table for d in deletions}.values():
                partitioned = table.name in SPARK_PARTITIONS
                ddl = spark_ddl(table.ddl) + (f", `{PARTITION_COLUMN}` STRING" if partitioned else "")
                current = kept = self.session.read.schema(ddl).parquet(self.table_path(table.name))
                for d in (d for d in deletions if d.table.name == table.name):
                    if d.keys is not None:
                        if d.keys.num_rows:
                            keys = self.session.createDataFrame(d.keys)
                            same = reduce(lambda a, b: a & b, [kept[c].eqNullSafe(keys[c]) for c in d.keys.column_names])
                            kept = kept.join(keys, same, "left_anti")
                        continue
                    sql_type = spark_type(table.column(str(d.column)).type)
                    bound = F.lit(d.cutoff) if sql_type == "STRING" else F.lit(d.cutoff).cast(sql_type)
                    old = F.col(f"`{d.column}`") < bound
                    kept = kept.where(~old | old.isNull())
                removed = current.count() - kept.count()
                done[table.name] = removed
                if removed:
                    _write_folder(kept, self.staging_path(table.name, run), partitioned)
                    staged.append(table)
            for table in staged:
                _swap_folder(self.session, self.staging_path(table.name, run), self.table_path(table.name))
                self.register_view(table)
        finally:
            _delete(self.session, f"{self.table_path('_staging')}/{run}")
        return done

    def purge_deleted(self, tables: Collection[str]) -> str:
        """Deleting rows already rewrote their tables and deleted the old Parquet files; what is left to remove
        are copies an interrupted write may have left (`_staging`, `<table>.old-*` folders)."""
        leftovers = [name for name, is_dir in _list(self.session, self.warehouse)
                     if is_dir and (name == "_staging" or ".old-" in name)]
        for name in leftovers:
            _delete(self.session, f"{self.warehouse}/{name}")
        return (f"tables rewritten, old Parquet files deleted ({', '.join(tables) or 'none'})"
                + (f"; removed leftover folders {', '.join(leftovers)}" if leftovers else ""))

    def load_session(self, table: Table) -> LoadSession:
        return SparkLoad(self, table)

    def register_external(self, name: str, spec: dict) -> None:
        """A temp view over the Parquet folder, or over the Delta snapshot's files plus partition literals."""
        path, fmt, version = external.check_spec(name, spec)
        try:
            if fmt == "delta":
                self._delta_frame(name, path, version).createOrReplaceTempView(name)
            else:
                self.session.read.parquet(path).createOrReplaceTempView(name)
        except StoreError:
            raise
        except Exception as exc:
            raise external.unreadable(name, fmt, path, self.name, exc) from exc

    def _delta_frame(self, name: str, path: str, version: int | None) -> Any:
        """DataFrame over each partition's Parquet files (table schema imposed) plus partition literals."""
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_schema

        table = external.open_delta(name, path, version)
        groups = external.delta_file_groups(name, path, table)
        struct = from_arrow_schema(external.delta_arrow_schema(table))
        if not groups:
            return self.session.createDataFrame([], struct)
        partitioned = set(groups[0][0])
        data = type(struct)([f for f in struct.fields if f.name not in partitioned])
        frames = []
        for values, files in groups:
            frame = self.session.read.schema(data).parquet(*files)
            for column, value in values.items():
                frame = frame.withColumn(column, F.lit(value).cast(struct[column].dataType))
            frames.append(frame)
        return reduce(lambda a, b: a.unionByName(b), frames).select(*[f"`{f.name}`" for f in struct.fields])


class SparkLoad(StagedLoad):
    """Writes a load into partitioned Parquet folders: stage everything, then publish by renames."""

    def __init__(self, backend: SparkBackend, table: Table):
        super().__init__(backend.ibis, table)
        self.backend = backend
        self.session = backend.session
        self.load_id = uuid.uuid4().hex[:12]

    def _fetch_existing(self, keys: pa.Table) -> pa.Table | None:
        current = self.session.table(self.table.name)
        wanted = self.session.createDataFrame(keys)
        return current.join(wanted, on=self.key, how="left_semi").toArrow()

    def publish(self, con: duckdb.DuckDBPyConnection, load_id: str, file: str,
                before_commit: Callable[[], None] | None = None) -> None:
        self.load_id = load_id  # abort() removes this load's staging folder
        name = self.table.name
        partitioned = name in SPARK_PARTITIONS
        part = f", {_partition_sql(name, self.table)} AS {PARTITION_COLUMN}" if partitioned else ""
        n_upserts, n_replaced = self._outcome(con)
        steps: list[Callable[[], None]] = []
        stage = lambda table: self.backend.staging_path(table, load_id)  # noqa: E731

        # 1. Stage: write every new file; nothing is visible yet.
        if n_upserts or n_replaced:
            upserts = arrow(con, f"SELECT *{part} FROM {UPSERTS}")
            new = self.backend.frame(upserts, self.table, partitioned)
            if n_replaced == 0:
                _write_folder(new, stage(name), partitioned)
                steps.append(lambda: self._add_files(stage(name), name))
            else:
                replaced = arrow(con, f"SELECT {', '.join(map(ident, self.key))}{part} FROM {REPLACED}")
                steps.append(self._stage_rewrite(new, upserts, replaced, partitioned, stage(name)))
        quarantine_new = arrow(con, "SELECT * FROM quarantine")
        steps.append(self._stage_quarantine(quarantine_new, file, stage("quarantine")))
        loads_row = arrow(con, "SELECT * FROM loads")
        _write_folder(self.backend.frame(loads_row, LOADS, False), stage("loads"), False)
        steps.append(lambda: self._add_files(stage("loads"), "loads"))
        if before_commit:
            before_commit()
        # 2. Publish: renames only, the load log last.
        for step in steps:
            step()
        _delete(self.session, f"{self.backend.table_path('_staging')}/{load_id}")
        for table in (self.table, QUARANTINE, LOADS):
            self.backend.register_view(table)

    def _stage_rewrite(self, new: Any, upserts: pa.Table, replaced: pa.Table, partitioned: bool,
                       staging: str) -> Callable[[], None]:
        """Stage rewritten copies of the months (or the whole table) that lose replaced rows."""
        name = self.table.name
        current = self.session.read.schema(
            spark_ddl(self.table.ddl) + (f", `{PARTITION_COLUMN}` STRING" if partitioned else "")
        ).parquet(self.backend.table_path(name))
        gone = self.session.createDataFrame(replaced.select(self.key))
        if partitioned:
            months = sorted(set(replaced.column(PARTITION_COLUMN).to_pylist())
                            | set(upserts.column(PARTITION_COLUMN).to_pylist()))
            current = current.where(current[PARTITION_COLUMN].isin(months))
        kept = current.join(gone, on=self.key, how="left_anti")
        _write_folder(kept.unionByName(new), staging, partitioned)
        if not partitioned:
            return lambda: _swap_folder(self.session, staging, self.backend.table_path(name))
        return lambda: self._swap_partitions(staging, name, months)

    def _stage_quarantine(self, rows: pa.Table, file: str, staging: str) -> Callable[[], None]:
        """Quarantine keeps each file's latest load: drop the file's earlier rows, add the new ones."""
        current = self.session.table("quarantine")
        earlier = current.where((current["kind"] == self.table.name) & (current["file"] == file))
        new = self.backend.frame(rows, QUARANTINE, False)
        if earlier.limit(1).count() == 0:
            if rows.num_rows == 0:
                return lambda: None
            _write_folder(new, staging, False)
            return lambda: self._add_files(staging, "quarantine")
        kept = current.where(~((current["kind"] == self.table.name) & (current["file"] == file)))
        _write_folder(kept.unionByName(new), staging, False)
        return lambda: _swap_folder(self.session, staging, self.backend.table_path("quarantine"))

    def _add_files(self, staging: str, name: str) -> None:
        """Move the staged data files into the table folder (into their month folders)."""
        target = self.backend.table_path(name)
        for entry, is_dir in _list(self.session, staging):
            if is_dir:
                for file, _ in _list(self.session, f"{staging}/{entry}"):
                    if file.endswith(".parquet"):
                        _rename(self.session, f"{staging}/{entry}/{file}", f"{target}/{entry}/{file}")
            elif entry.endswith(".parquet"):
                _rename(self.session, f"{staging}/{entry}", f"{target}/{entry}")

    def _swap_partitions(self, staging: str, name: str, months: list[str]) -> None:
        target = self.backend.table_path(name)
        for month in months:
            folder = f"{PARTITION_COLUMN}={month}"
            if path_exists(self.session, f"{staging}/{folder}"):
                _swap_folder(self.session, f"{staging}/{folder}", f"{target}/{folder}")
            else:  # every row of that month moved elsewhere
                _delete(self.session, f"{target}/{folder}")

    def abort(self) -> None:
        _delete(self.session, f"{self.backend.table_path('_staging')}/{self.load_id}")
