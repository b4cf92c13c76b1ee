"""Engine-specific writing of validated rows: Spark (partitioned Parquet) and PostgreSQL.

Validation and quarantine always run in DuckDB (:mod:`cxlens.ingest.load`). For a DuckDB store they
run in the store's own connection and nothing here is used. For other engines the loader stages in
an in-memory DuckDB connection that a :class:`Writer` prepares (reference keys, the target rows that
share a key with the file) and then hands the outcome back to the writer, which applies it:

* PostgreSQL: one transaction (DELETE changed keys, COPY new rows, quarantine, load log); a failure
  at any point rolls everything back.
* Spark: every new file is first written to a staging folder next to the table (the slow part, and
  nothing is visible yet); then the files are published by renames: new files moved into their
  month partitions, and partitions (or whole unpartitioned tables) that must lose rows swapped for
  rewritten copies. A crash while staging leaves the store as it was; a crash during the publish
  step (renames only, usually well under a second) can leave some tables or months published and
  others not. Parquet folders give no multi-table atomicity; use a table format with transactions
  (Delta, Iceberg) through your own pipeline if you need it. The `loads` row is published last, so
  a load missing from `loads` is the sign of an interrupted publish: load the file again (loading is
  idempotent).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any, Callable

import duckdb
import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.model import TABLES, Table
from cxlens.store import engines
from cxlens.store.engines import PARTITION_COLUMN, SPARK_PARTITIONS

_EXISTING = "_cx_existing"   # target rows sharing a key with the file, as they were before the load
_UPSERTS = "_cx_upserts"     # rows to write: new keys and changed rows
_REPLACED = "_cx_replaced"   # keys (and Spark month) of target rows that the upserts replace


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Result of a DuckDB query as Arrow (finishing any result the loader left open on `con`)."""
    con.complete()
    return con.sql(sql).to_arrow_table()


def columns_of(name: str) -> list[tuple[str, str]]:
    from cxlens.store.store import ddl_columns

    if name == engines.META_TABLE:
        return list(engines.META_COLUMNS)
    return ddl_columns(name)


def staging_connection() -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB for validation; UTC so that timestamps mean the same as on the target."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET temp_directory = {lit(os.path.join(tempfile.gettempdir(), 'cxlens-staging'))}")
    return con


def writer_for(store, table: Table) -> "Writer":
    """The writer for a non-DuckDB store."""
    if table.name in store.external_tables:
        raise StoreError(f"'{table.name}' is an external table ({store.external_tables[table.name].get('path')}); "
                         "cxlens reads it in place and does not write to it: add rows with the pipeline that owns it")
    if store.engine == "spark":
        return SparkWriter(store, table)
    if store.engine == "postgres":
        return PostgresWriter(store, table)
    raise StoreError(f"loading into a {store.engine} store is not supported; load into DuckDB, Spark or PostgreSQL")


class Writer:
    """Prepares the DuckDB staging connection for one load and writes its outcome to the store.

    Sequence used by the loader: ``connection()``; ``bring_existing(con, good)`` once rows are validated;
    ``publish(con, load_id, file, before_commit)``; ``abort()`` on failure; ``close()`` always.
    """

    def __init__(self, store, table: Table):
        self.store, self.table = store, table
        self.cols = [c.name for c in table.columns]
        self.key = list(table.key)

    def connection(self) -> duckdb.DuckDBPyConnection:
        """Staging connection with the target table (empty), quarantine, loads and reference keys."""
        con = staging_connection()
        for name in (self.table.name, "quarantine", "loads"):
            cols = ", ".join(f"{q(c)} {t}" for c, t in columns_of(name))
            con.execute(f"CREATE TABLE {name} ({cols})")
        con.execute(f"CREATE TABLE {_EXISTING} AS SELECT * FROM {self.table.name}")
        for ref in {c.references for c in self.table.columns if c.references}:
            ref_table, ref_col = ref.split(".")
            keys = self.store.to_pyarrow(self.store.table(ref_table).select(ref_col).distinct())
            con.register("_cx_ref", keys)
            con.execute(f"CREATE TABLE {ref_table} AS SELECT CAST({q(ref_col)} AS VARCHAR) AS {q(ref_col)} FROM _cx_ref")
            con.unregister("_cx_ref")
        self.con = con
        return con

    def bring_existing(self, con: duckdb.DuckDBPyConnection, good: str) -> None:
        """Copy the target rows whose key occurs among the file's good rows (`FROM {good}`) into staging."""
        keys = arrow(con, f"SELECT DISTINCT {', '.join(map(q, self.key))} FROM {good}")
        if keys.num_rows == 0:
            return
        existing = self._fetch_existing(keys)
        if existing is None or existing.num_rows == 0:
            return
        con.register("_cx_fetched", existing)
        select = ", ".join(f"CAST({q(c)} AS {t}) AS {q(c)}" for c, t in columns_of(self.table.name))
        con.execute(f"INSERT INTO {_EXISTING} SELECT {select} FROM _cx_fetched")
        con.execute(f"INSERT INTO {self.table.name} SELECT * FROM {_EXISTING}")
        con.unregister("_cx_fetched")

    def _outcome(self, con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        """Tables `_cx_upserts` and `_cx_replaced` from the staging state; returns their row counts."""
        name, cols = self.table.name, ", ".join(map(q, self.cols))
        if con.execute(f"SELECT count(*) FROM {_EXISTING}").fetchone()[0] == 0:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_UPSERTS} AS SELECT {cols} FROM {name}")
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_UPSERTS} AS "
                        f"SELECT {cols} FROM {name} EXCEPT ALL SELECT {cols} FROM {_EXISTING}")
        join = " AND ".join(f"e.{q(k)} = u.{q(k)}" for k in self.key)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_REPLACED} AS SELECT e.* FROM {_EXISTING} e "
                    f"WHERE EXISTS (SELECT 1 FROM {_UPSERTS} u WHERE {join})")
        return (con.execute(f"SELECT count(*) FROM {_UPSERTS}").fetchone()[0],
                con.execute(f"SELECT count(*) FROM {_REPLACED}").fetchone()[0])

    def _fetch_existing(self, keys: pa.Table) -> pa.Table | None:
        raise NotImplementedError

    def publish(self, con: duckdb.DuckDBPyConnection, load_id: str, file: str,
                before_commit: Callable[[], None] | None = None) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Undo whatever was prepared on the target (called when the load fails)."""

    def close(self) -> None:
        con = getattr(self, "con", None)
        if con is not None:
            con.close()
            self.con = None


# --------------------------------------------------------------------------------------------- Spark

def _hadoop(backend: Any, path: str) -> tuple[Any, Any]:
    """(Hadoop FileSystem, Path) for a folder, so the same code works on file://, hdfs:// and s3a://."""
    session = engines.spark_session(backend)
    hpath = session._jvm.org.apache.hadoop.fs.Path(path)
    return hpath.getFileSystem(session._jsc.hadoopConfiguration()), hpath


def path_exists(backend: Any, path: str) -> bool:
    fs, hpath = _hadoop(backend, path)
    return bool(fs.exists(hpath))


def _rename(backend: Any, src: str, dst: str) -> None:
    fs, a = _hadoop(backend, src)
    _, b = _hadoop(backend, dst)
    fs.mkdirs(b.getParent())
    if not fs.rename(a, b):
        raise StoreError(f"could not move {src} to {dst}; the table may need a reload of the last file")


def _delete(backend: Any, path: str) -> None:
    fs, hpath = _hadoop(backend, path)
    if fs.exists(hpath):
        fs.delete(hpath, True)


def _list(backend: Any, path: str) -> list[tuple[str, bool]]:
    """(name, is_dir) of the entries of a folder; empty when it does not exist."""
    fs, hpath = _hadoop(backend, path)
    if not fs.exists(hpath):
        return []
    return [(s.getPath().getName(), bool(s.isDirectory())) for s in fs.listStatus(hpath)]


def _spark_frame(backend: Any, rows: pa.Table, columns: list[tuple[str, str]], partitioned: bool):
    """Spark DataFrame of an Arrow table, cast to the canonical Spark types."""
    session = engines.spark_session(backend)
    ddl = engines.spark_ddl(columns) + (f", `{PARTITION_COLUMN}` STRING" if partitioned else "")
    if rows.num_rows == 0:
        return session.createDataFrame([], ddl)
    casts = [f"CAST(`{c}` AS {engines._type('spark', t)}) AS `{c}`" for c, t in columns]
    return session.createDataFrame(rows).selectExpr(*casts, *([f"`{PARTITION_COLUMN}`"] if partitioned else []))


def _write_folder(frame, path: str, partitioned: bool) -> None:
    writer = frame.write.mode("overwrite")
    if partitioned:
        writer = writer.partitionBy(PARTITION_COLUMN)
    writer.parquet(path)


def write_empty_spark_table(backend: Any, name: str, columns: list[tuple[str, str]]) -> None:
    """Create the folder of a new, empty Spark table (an empty folder: readers supply the schema)."""
    fs, hpath = _hadoop(backend, engines.table_path(backend, name))
    fs.mkdirs(hpath)


def _staging_path(backend: Any, name: str, load_id: str) -> str:
    return f"{engines.table_path(backend, '_staging')}/{load_id}/{name}"


def _swap_folder(backend: Any, new: str, target: str) -> None:
    """Replace folder `target` by `new`: two renames, then the old copy is deleted."""
    old = f"{target}.old-{uuid.uuid4().hex[:8]}"
    had_old = path_exists(backend, target)
    if had_old:
        _rename(backend, target, old)
    _rename(backend, new, target)
    if had_old:
        _delete(backend, old)


def replace_spark_table(backend: Any, name: str, columns: list[tuple[str, str]], rows: pa.Table) -> None:
    """Replace all rows of a Spark table (small tables: touchpoints, the schema version)."""
    partitioned = name in SPARK_PARTITIONS
    if partitioned and PARTITION_COLUMN not in rows.column_names:
        rows = _with_partition(rows, name)
    run = uuid.uuid4().hex[:12]
    staging = _staging_path(backend, name, run)
    try:
        _write_folder(_spark_frame(backend, rows, columns, partitioned), staging, partitioned)
        _swap_folder(backend, staging, engines.table_path(backend, name))
    finally:  # a failure before the swap leaves the table as it was and no staged files behind
        _delete(backend, f"{engines.table_path(backend, '_staging')}/{run}")
    engines.register_spark_table(backend, name, columns)


def _partition_sql(name: str) -> str:
    """DuckDB expression of a Spark table's month partition."""
    col = SPARK_PARTITIONS[name]
    return q(col) if TABLES[name].column(col).type == "VARCHAR" else f"strftime({q(col)}, '%Y-%m')"


def _with_partition(rows: pa.Table, name: str) -> pa.Table:
    con = staging_connection()
    try:
        con.register("_rows", rows)
        return arrow(con, f"SELECT *, {_partition_sql(name)} AS {PARTITION_COLUMN} FROM _rows")
    finally:
        con.close()


class SparkWriter(Writer):
    """Writes a load into partitioned Parquet folders: stage everything, then publish by renames."""

    def __init__(self, store, table: Table):
        super().__init__(store, table)
        self.backend = store.ibis
        self.session = engines.spark_session(store.ibis)
        self.load_id = uuid.uuid4().hex[:12]

    def _fetch_existing(self, keys: pa.Table) -> pa.Table | None:
        current = self.session.table(self.table.name)
        wanted = self.session.createDataFrame(keys)
        return current.join(wanted, on=self.key, how="left_semi").toArrow()

    def publish(self, con, load_id: str, file: str, before_commit=None) -> None:
        self.load_id = load_id  # abort() removes this load's staging folder
        name = self.table.name
        partitioned = name in SPARK_PARTITIONS
        part = f", {_partition_sql(name)} AS {PARTITION_COLUMN}" if partitioned else ""
        n_upserts, n_replaced = self._outcome(con)
        steps: list[Callable[[], None]] = []
        stage = lambda table: _staging_path(self.backend, table, load_id)  # noqa: E731

        # 1. Stage: write every new file; nothing is visible yet.
        if n_upserts or n_replaced:
            upserts = arrow(con, f"SELECT *{part} FROM {_UPSERTS}")
            new = _spark_frame(self.backend, upserts, columns_of(name), partitioned)
            if n_replaced == 0:
                _write_folder(new, stage(name), partitioned)
                steps.append(lambda: self._add_files(stage(name), name))
            else:
                replaced = arrow(con, f"SELECT {', '.join(map(q, self.key))}{part} FROM {_REPLACED}")
                steps.append(self._stage_rewrite(name, new, upserts, replaced, partitioned, stage(name)))
        quarantine_new = arrow(con, "SELECT * FROM quarantine")
        steps.append(self._stage_quarantine(quarantine_new, file, stage("quarantine")))
        loads_row = arrow(con, "SELECT * FROM loads")
        _write_folder(_spark_frame(self.backend, loads_row, columns_of("loads"), False), stage("loads"), False)
        steps.append(lambda: self._add_files(stage("loads"), "loads"))
        if before_commit:
            before_commit()
        # 2. Publish: renames only, the load log last.
        for step in steps:
            step()
        _delete(self.backend, f"{engines.table_path(self.backend, '_staging')}/{load_id}")
        for table in (name, "quarantine", "loads"):
            engines.register_spark_table(self.backend, table, columns_of(table))

    def _stage_rewrite(self, name: str, new, upserts: pa.Table, replaced: pa.Table, partitioned: bool,
                       staging: str) -> Callable[[], None]:
        """Stage rewritten copies of the months (or the whole table) that lose replaced rows."""
        cols = columns_of(name)
        current = self.session.read.schema(
            engines.spark_ddl(cols) + (f", `{PARTITION_COLUMN}` STRING" if partitioned else "")
        ).parquet(engines.table_path(self.backend, name))
        gone = self.session.createDataFrame(replaced.select(self.key))
        if partitioned:
            months = sorted(set(replaced.column(PARTITION_COLUMN).to_pylist())
                            | set(upserts.column(PARTITION_COLUMN).to_pylist()))
            current = current.where(current[PARTITION_COLUMN].isin(months))
        kept = current.join(gone, on=self.key, how="left_anti")
        _write_folder(kept.unionByName(new), staging, partitioned)
        if not partitioned:
            return lambda: _swap_folder(self.backend, staging, engines.table_path(self.backend, name))
        return lambda: self._swap_partitions(staging, name, months)

    def _stage_quarantine(self, rows: pa.Table, file: str, staging: str) -> Callable[[], None]:
        """Quarantine keeps each file's latest load: drop the file's earlier rows, add the new ones."""
        current = self.session.table("quarantine")
        earlier = current.where((current["kind"] == self.table.name) & (current["file"] == file))
        new = _spark_frame(self.backend, rows, columns_of("quarantine"), False)
        if earlier.limit(1).count() == 0:
            if rows.num_rows == 0:
                return lambda: None
            _write_folder(new, staging, False)
            return lambda: self._add_files(staging, "quarantine")
        kept = current.where(~((current["kind"] == self.table.name) & (current["file"] == file)))
        _write_folder(kept.unionByName(new), staging, False)
        return lambda: _swap_folder(self.backend, staging, engines.table_path(self.backend, "quarantine"))

    def _add_files(self, staging: str, name: str) -> None:
        """Move the staged data files into the table folder (into their month folders)."""
        target = engines.table_path(self.backend, name)
        for entry, is_dir in _list(self.backend, staging):
            if is_dir:
                for file, _ in _list(self.backend, f"{staging}/{entry}"):
                    if file.endswith(".parquet"):
                        _rename(self.backend, f"{staging}/{entry}/{file}", f"{target}/{entry}/{file}")
            elif entry.endswith(".parquet"):
                _rename(self.backend, f"{staging}/{entry}", f"{target}/{entry}")

    def _swap_partitions(self, staging: str, name: str, months: list[str]) -> None:
        target = engines.table_path(self.backend, name)
        for month in months:
            folder = f"{PARTITION_COLUMN}={month}"
            if path_exists(self.backend, f"{staging}/{folder}"):
                _swap_folder(self.backend, f"{staging}/{folder}", f"{target}/{folder}")
            else:  # every row of that month moved elsewhere
                _delete(self.backend, f"{target}/{folder}")

    def abort(self) -> None:
        _delete(self.backend, f"{engines.table_path(self.backend, '_staging')}/{self.load_id}")


# ---------------------------------------------------------------------------------------- PostgreSQL

class PostgresWriter(Writer):
    """Writes a load in one PostgreSQL transaction, holding a lock on the target from classification on."""

    def __init__(self, store, table: Table):
        super().__init__(store, table)
        self.pg = store.ibis.con  # psycopg connection (autocommit; we BEGIN ourselves)
        self.in_tx = False

    def _begin(self) -> None:
        if not self.in_tx:
            self.pg.execute("BEGIN")
            self.in_tx = True
            # Writers of the same table wait: the rows we classify against cannot change under us.
            self.pg.execute(f"LOCK TABLE {self.table.name} IN SHARE ROW EXCLUSIVE MODE")

    def _fetch_existing(self, keys: pa.Table) -> pa.Table | None:
        self._begin()
        name = self.table.name
        types = dict(columns_of(name))
        key_ddl = ", ".join(f"{q(k)} {engines._type('postgres', types[k])}" for k in self.key)
        self.pg.execute(f"CREATE TEMP TABLE _cx_keys ({key_ddl}) ON COMMIT DROP")
        _copy_in(self.pg, "_cx_keys", self.key, keys)
        using = ", ".join(map(q, self.key))
        cur = self.pg.execute(f"SELECT t.* FROM {name} t JOIN _cx_keys USING ({using})")
        names = [d.name for d in cur.description]
        rows = cur.fetchall()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}) if rows else None

    def publish(self, con, load_id: str, file: str, before_commit=None) -> None:
        self._begin()
        name = self.table.name
        n_upserts, n_replaced = self._outcome(con)
        if n_replaced:
            types = dict(columns_of(name))
            key_ddl = ", ".join(f"{q(k)} {engines._type('postgres', types[k])}" for k in self.key)
            self.pg.execute(f"CREATE TEMP TABLE _cx_gone ({key_ddl}) ON COMMIT DROP")
            _copy_from_duckdb(self.pg, "_cx_gone", self.key, con, f"SELECT {', '.join(map(q, self.key))} FROM {_REPLACED}")
            join = " AND ".join(f"t.{q(k)} = g.{q(k)}" for k in self.key)
            self.pg.execute(f"DELETE FROM {name} t USING _cx_gone g WHERE {join}")
        if n_upserts:
            _copy_from_duckdb(self.pg, name, self.cols, con, f"SELECT * FROM {_UPSERTS}")
        self.pg.execute("DELETE FROM quarantine WHERE kind = %s AND file = %s", (name, file))
        qcols = [c for c, _ in columns_of("quarantine")]
        _copy_from_duckdb(self.pg, "quarantine", qcols, con, "SELECT * FROM quarantine")
        _copy_from_duckdb(self.pg, "loads", [c for c, _ in columns_of("loads")], con, "SELECT * FROM loads")
        if before_commit:
            before_commit()
        self.pg.execute("COMMIT")
        self.in_tx = False

    def abort(self) -> None:
        if self.in_tx:
            self.pg.execute("ROLLBACK")
            self.in_tx = False


def _copy_in(pg, table: str, cols: list[str], rows: pa.Table) -> None:
    """COPY an Arrow table into PostgreSQL (through DuckDB's CSV writer)."""
    con = staging_connection()
    try:
        con.register("_rows", rows)
        _copy_from_duckdb(pg, table, cols, con, "SELECT * FROM _rows")
    finally:
        con.close()


def _copy_from_duckdb(pg, table: str, cols: list[str], con: duckdb.DuckDBPyConnection, select: str) -> None:
    """COPY the rows of a DuckDB query into a PostgreSQL table as CSV (NULL unquoted, '' quoted)."""
    with tempfile.TemporaryDirectory(prefix="cxlens-copy-") as tmp:
        csv_path = os.path.join(tmp, "rows.csv")
        con.execute(f"COPY ({select}) TO {lit(csv_path)} (FORMAT csv, HEADER false, "
                    f"TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%f')")
        if os.path.getsize(csv_path) == 0:
            return
        with pg.cursor().copy(f"COPY {table} ({', '.join(map(q, cols))}) FROM STDIN (FORMAT csv)") as copy, \
                open(csv_path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                copy.write(chunk)


def replace_rows(store, name: str, rows: pa.Table) -> None:
    """Replace every row of table `name` with `rows` in one transaction, on any engine (e.g. touchpoints)."""
    cols = [c for c, _ in columns_of(name)]
    rows = rows.select(cols)
    if store.engine == "spark":
        replace_spark_table(store.ibis, name, columns_of(name), rows)
    elif store.engine == "postgres":
        pg = store.ibis.con
        with engines.transaction(pg):
            pg.execute(f"DELETE FROM {name}")
            _copy_in(pg, name, cols, rows)
    elif store.engine == "duckdb":
        con = store.duckdb
        con.register("_cx_replace", rows)
        try:
            with engines.transaction(con):
                con.execute(f"DELETE FROM {name}")
                con.execute(f"INSERT INTO {name} SELECT {', '.join(map(q, cols))} FROM _cx_replace")
        finally:
            con.unregister("_cx_replace")
    else:
        raise StoreError(f"replace_rows does not handle {store.engine} stores")
