"""Replace and delete rows of a store table by key, in one transaction, on every engine.

Derived tables (e.g. `comment_analysis`, filled by `cxlens text analyze`) are not loaded from files,
so they do not go through the loader's validation; they only need "these keys now have these
rows, and these keys are gone", written atomically:

* DuckDB and PostgreSQL: DELETE the keys, INSERT the rows, inside BEGIN ... COMMIT (ROLLBACK on
  any failure, Ctrl-C included).
* Spark: the table's new content is staged as a Parquet folder and swapped in by renames (see
  :mod:`cxlens.store.writers`); fine for derived tables of up to a few million rows.
"""

from __future__ import annotations

import pyarrow as pa

from cxlens.errors import StoreError
from cxlens.store import engines
from cxlens.store.writers import _copy_in, arrow, columns_of, q, replace_spark_table, staging_connection


def write_keyed(store, name: str, key: list[str], rows: pa.Table, gone: pa.Table | None = None) -> None:
    """Make `rows` the rows of their keys in table `name` and delete the keys in `gone`, atomically.

    `rows` must hold every column of the table; `gone` the key columns. A key in both is replaced.
    """
    columns = columns_of(name)
    rows = _typed(rows.select([c for c, _ in columns]), columns)
    gone = gone.select(key) if gone is not None and gone.num_rows else None
    if rows.num_rows == 0 and gone is None:
        return
    if store.engine == "duckdb":
        _duckdb(store.duckdb, name, key, rows, gone)
    elif store.engine == "postgres":
        _postgres(store.ibis.con, name, key, rows, gone)
    elif store.engine == "spark":
        _spark(store, name, key, rows, gone)
    else:
        raise StoreError(f"writing '{name}' into a {store.engine} store is not supported; use DuckDB, Spark or PostgreSQL")


def _typed(rows: pa.Table, columns: list[tuple[str, str]]) -> pa.Table:
    """Arrow table cast to the column types, so every engine receives the same values."""
    types = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(), "TIMESTAMP": pa.timestamp("us"),
             "BOOLEAN": pa.bool_(), "DATE": pa.date32()}
    return rows.cast(pa.schema([(c, types[t]) for c, t in columns]))


def _keys_sql(key: list[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{q(k)} = {right}.{q(k)}" for k in key)


def _duckdb(con, name: str, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
    con.register("_cx_rows", rows)
    if gone is not None:
        con.register("_cx_gone", gone)
    try:
        with engines.transaction(con):
            con.execute(f"DELETE FROM {name} t USING _cx_rows r WHERE {_keys_sql(key, 't', 'r')}")
            if gone is not None:
                con.execute(f"DELETE FROM {name} t USING _cx_gone g WHERE {_keys_sql(key, 't', 'g')}")
            con.execute(f"INSERT INTO {name} SELECT * FROM _cx_rows")
    finally:
        con.unregister("_cx_rows")
        if gone is not None:
            con.unregister("_cx_gone")


def _postgres(pg, name: str, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
    cols = [c for c, _ in columns_of(name)]
    keys = pa.concat_tables([rows.select(key), gone]) if gone is not None else rows.select(key)
    types = dict(columns_of(name))
    ddl = ", ".join(f"{q(k)} {engines._type('postgres', types[k])}" for k in key)
    with engines.transaction(pg):
        pg.execute(f"CREATE TEMP TABLE _cx_keys ({ddl}) ON COMMIT DROP")
        _copy_in(pg, "_cx_keys", key, keys)
        pg.execute(f"DELETE FROM {name} t USING _cx_keys g WHERE {_keys_sql(key, 't', 'g')}")
        _copy_in(pg, name, cols, rows)


def _spark(store, name: str, key: list[str], rows: pa.Table, gone: pa.Table | None) -> None:
    current = store.to_pyarrow(store.table(name))
    con = staging_connection()
    try:
        con.register("_cx_current", _typed(current, columns_of(name)))
        con.register("_cx_rows", rows)
        drop = "SELECT * FROM _cx_rows"
        if gone is not None:
            con.register("_cx_gone", gone)
            drop = f"SELECT {', '.join(map(q, key))} FROM _cx_rows UNION ALL SELECT * FROM _cx_gone"
        kept = (f"SELECT * FROM _cx_current c WHERE NOT EXISTS "
                f"(SELECT 1 FROM ({drop}) d WHERE {_keys_sql(key, 'c', 'd')})")
        table = arrow(con, f"{kept} UNION ALL SELECT * FROM _cx_rows")
    finally:
        con.close()
    replace_spark_table(store.ibis, name, columns_of(name), table)
