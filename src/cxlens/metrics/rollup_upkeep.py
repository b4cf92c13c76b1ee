"""Keeping `response_rollup` current through loads, erasures and retention runs (architecture D45).

Separate from `cxlens.metrics.rollup` (which reads, rebuilds and refreshes the table) because this code runs inside
another operation's transaction: `LoadMaintenance.apply` inside a load's (`Workspace.load` hands it to
`cxlens.ingest.load` as `derived`), reading the load's classification of its rows from temporary tables on that
connection, and `DeletionMaintenance` between an erasure's or a retention run's deletes and its purge
(`on_deleted` of `cxlens.privacy`). It writes with plain SQL on the open transaction (the Backend's own writers open
one of their own), so a failed load or erasure leaves the rollup as it was.

A responses load refreshes the days of the rows it wrote (their old and new days), or on DuckDB, when those are over
a quarter of the days, moves the cells by its own rows (`cxlens.metrics.rollup_difference`, D67); a customers load
recomputes by difference the cells of the customers whose segment, region, language or plan changed
(`move_customers`), or, past MAX_MOVED_CUSTOMERS, the days they answered on; erasure and retention refresh the days
of the answers they delete.
Spark has no transactions: every Spark load, erasure and retention rebuilds the table after its write.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Collection

import ibis.expr.types as ir
import pyarrow as pa

from cxlens.metrics.rollup import (ATTRIBUTES, COUNTS_TABLE, GRAIN, MONTH_TABLE, NO_CHANGE, TABLE, as_date,
                                   rebuild_is_cheaper, recorded, refresh_rollup, rollup_is_current, summed, typed,
                                   write_months, write_record)
from cxlens.metrics.rollup_difference import by_difference
from cxlens.model import table
from cxlens.store.backends.staging import UPSERTS, arrow
from cxlens.store.sql import ident

# A customers load that changes more customers than this refreshes every day (one pass) instead of listing them.
MAX_LISTED_CUSTOMERS = 20_000
# A customers load that moves more customers than this refreshes by days instead of by difference.
MAX_MOVED_CUSTOMERS = 200_000
MOVED, MOVED_ROWS = "_cx_rollup_moved", "_cx_rollup_moved_rows"  # temporary tables of `move_customers`
STATS = ("n", "customers", "total", "total_sq", "high", "low")  # the summed columns of a rollup row
CLASSIFIED = "_cx_class"  # the load's classification of its rows (cxlens.store.backends.duckdb.upsert), old values in _old_*


class LoadMaintenance:
    """Keeps `response_rollup` current through one load (`Workspace.load` passes `apply` to `cxlens.ingest.load`).

    Made before the load, it notes whether the rollup is current; `apply(con)` runs inside the load's transaction
    after the rows are written (DuckDB: the store's connection; PostgreSQL: the staging connection, the store's
    transaction still open) and refreshes the days the load touched, read from the load's classification of its rows:
    a responses load the old and new days of every inserted or changed answer (on DuckDB, past a quarter of the days,
    the cells moved by the load's rows instead, D67); a customers load the days of the answers of customers whose
    segment, region, language or plan changed. A rollup that was not current, or a load into an empty table, rebuilds
    it whole in the same transaction. Spark stages its writes and renames them in after this hook: `after_load()`
    rebuilds the rollup there.
    """

    def __init__(self, store, kind: str):
        self.store, self.kind = store, kind
        self.applies = kind in ("responses", "customers") and TABLE not in store.external_tables \
            and store.backend.has_table(TABLE)
        self.was_current = self.applies and rollup_is_current(store)
        self.done: dict | None = None

    def apply(self, con) -> None:
        """Refresh the touched days inside the load's transaction (nothing on Spark: see `after_load`)."""
        if not self.applies or self.store.backend.name == "spark":
            return
        if hasattr(con, "complete"):
            con.complete()  # the loader's last statement may have left a result open on this connection
        if self.was_current and self.kind == "customers":
            moved = self.moved_customers(con)
            if moved is not None and moved.num_rows <= MAX_MOVED_CUSTOMERS:
                self.done = move_customers(self.store, moved)
                return
        changed = self.answers_changed(con)
        days = self.touched_days(con) if self.was_current else None
        if days is not None and self.kind == "responses" and changed is not None \
                and rebuild_is_cheaper(recorded(self.store), days):  # DuckDB, many days: by difference (D67)
            self.done = by_difference(self.store, CLASSIFIED, changed)
            return
        self.done = refresh_rollup(self.store, days, in_transaction=True, answers_changed=changed)

    def answers_changed(self, con) -> str | None:
        """How the load changed each customer's number of answers, as SQL for `refresh_rollup` (D66): a customers
        load changes nobody's; a responses load on DuckDB adds 1 per answer it wrote and takes 1 from the old
        customer and metric of each it changed (its classification, on the store's own connection). None (count
        every answer again): elsewhere, where the classification is not on the store's connection."""
        if self.kind == "customers":
            return NO_CHANGE
        if self.store.backend.name != "duckdb" or not _has_temp_table(con, CLASSIFIED):
            return None
        return (f"SELECT customer_id, metric, 1 AS change FROM {CLASSIFIED} WHERE NOT _same UNION ALL "
                f"SELECT _old_customer_id, _old_metric, -1 FROM {CLASSIFIED} WHERE _exists AND NOT _same")

    def moved_customers(self, con) -> pa.Table | None:
        """Customers the load moved to another segment, region, language or plan, with their old values (new
        customers: NULL, as their answers read before); None when the table was empty before the load."""
        old = ", ".join(f"CAST({ident('_old_' + a)} AS VARCHAR) AS {ident(a)}" for a in ATTRIBUTES)
        if _has_temp_table(con, CLASSIFIED):
            changed = " OR ".join(f"{ident(a)} IS DISTINCT FROM {ident('_old_' + a)}" for a in ATTRIBUTES)
            sql = f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {old} FROM {CLASSIFIED} WHERE NOT _same AND ({changed})"
        elif self.store.backend.name != "duckdb":  # staged, no stored row shared a key: every customer is new
            nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {ident(a)}" for a in ATTRIBUTES)
            sql = f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {nulls} FROM {UPSERTS}"
        else:
            return None
        return arrow(con, sql)

    def after_load(self) -> dict | None:
        """Spark: rebuild the whole rollup once the load's files are in (its writes have no transaction)."""
        if self.applies and self.store.backend.name == "spark":
            self.done = refresh_rollup(self.store)
        return self.done

    def touched_days(self, con) -> set[date] | None:
        """The days whose rows the load changed (None: every day, when the table was empty before the load)."""
        staged = self.store.backend.name != "duckdb"
        if _has_temp_table(con, CLASSIFIED):
            new = f"SELECT * FROM {CLASSIFIED} WHERE NOT _same"
            old = f"SELECT * FROM {CLASSIFIED} WHERE _exists AND NOT _same"
            changed = " OR ".join(f"{ident(a)} IS DISTINCT FROM {ident('_old_' + a)}" for a in ATTRIBUTES)
            who = f"SELECT customer_id FROM {CLASSIFIED} WHERE NOT _same AND (NOT _exists OR {changed})"
        elif staged:  # no stored row shared a key with the file: every row written is new (the staging's upserts)
            new, old, who = f"SELECT * FROM {UPSERTS}", None, f"SELECT customer_id FROM {UPSERTS}"
        else:
            return None  # the target was empty: every row is new (and a customers load has no answers yet)
        if self.kind == "responses":
            parts = [f"SELECT CAST(ts AS DATE) AS d FROM ({new})"]
            if old is not None:
                parts.append(f"SELECT CAST(_old_ts AS DATE) FROM ({old})")
            rows = con.execute(f"SELECT DISTINCT d FROM ({' UNION ALL '.join(parts)}) WHERE d IS NOT NULL").fetchall()
            return {r[0] for r in rows}
        if self.store.backend.name == "duckdb":  # the store's own connection: one join
            rows = con.execute(f"SELECT DISTINCT CAST(ts AS DATE) FROM responses WHERE customer_id IN ({who})").fetchall()
            return {r[0] for r in rows if r[0] is not None}
        ids = [r[0] for r in con.execute(who).fetchall()]
        if not ids:
            return set()
        if len(ids) > MAX_LISTED_CUSTOMERS:
            return None
        r = self.store.table("responses")
        days = r.filter(r.customer_id.isin(ids)).select(d=r.ts.cast("date")).distinct().execute()["d"]
        return {as_date(d) for d in days if d == d and d is not None}


def move_customers(store, moved: pa.Table) -> dict:
    """Inside the load's transaction: the cells the `moved` customers (customer_id, old ATTRIBUTES) leave or join
    recomputed by difference (`moved_rows`), the record written. Returns {"rows", "moved", "seconds"}."""
    started = time.perf_counter()
    if moved.num_rows:
        backend = store.backend
        _temp_table(backend, MOVED, moved)
        sql = backend.ibis.compile(moved_rows(store, backend.ibis.table(MOVED)))
        backend.raw_sql(f"CREATE TEMP TABLE {MOVED_ROWS} AS {sql}")
        same = " AND ".join(f"t.{ident(g)} IS NOT DISTINCT FROM d.{ident(g)}" for g in GRAIN)
        backend.raw_sql(f"DELETE FROM {ident(TABLE)} t WHERE EXISTS (SELECT 1 FROM {MOVED_ROWS} d WHERE {same})")
        names = ", ".join(map(ident, table(TABLE).names))
        backend.raw_sql(f"INSERT INTO {ident(TABLE)} ({names}) SELECT {names} FROM {MOVED_ROWS} WHERE n > 0")
        days = backend.ibis.table(MOVED_ROWS).select("day").distinct().execute()["day"]
        write_months(store, {as_date(d) for d in days})
        for name in (MOVED_ROWS, MOVED):
            backend.raw_sql(f"DROP TABLE IF EXISTS {name}")
    write_record(store, {})  # moving customers changes no customer's number of answers
    return {"rows": int(store.table(TABLE).count().execute()), "moved": moved.num_rows,
            "seconds": time.perf_counter() - started}


def _temp_table(backend, name: str, rows: pa.Table) -> None:
    """A temporary table of text columns holding `rows`, written on the open transaction (the Backend's own writers
    open their own transaction, which DuckDB refuses inside one and PostgreSQL would commit)."""
    columns = ", ".join(f"{ident(c)} VARCHAR" for c in rows.column_names)
    backend.raw_sql(f"DROP TABLE IF EXISTS {name}")
    backend.raw_sql(f"CREATE TEMP TABLE {name} ({columns})")
    if backend.name == "duckdb":
        backend.con.register("_cx_rollup_rows", rows)
        try:
            backend.con.execute(f"INSERT INTO {name} SELECT * FROM _cx_rollup_rows")
        finally:
            backend.con.unregister("_cx_rollup_rows")
        return
    with backend.pg.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN") as copy:  # PostgreSQL
        for row in zip(*(rows.column(c).to_pylist() for c in rows.column_names)):
            copy.write_row(row)


def _has_temp_table(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'temp' "
                            "AND table_name = ?", [name]).fetchall()[0][0])


def days_of_customers(store, customer_ids: Collection[str]) -> set[date]:
    """The days on which these customers answered (before an erasure deletes the answers)."""
    r = store.table("responses")
    days = r.filter(r.customer_id.isin(list(customer_ids))).select(d=r.ts.cast("date")).distinct().execute()["d"]
    return {as_date(d) for d in days if d == d and d is not None}


class DeletionMaintenance:
    """Keeps `response_rollup` current through an erasure or a retention run (`on_deleted` of cxlens.privacy).

    Made before the deletion (it notes whether the rollup is current, and for an erasure the days the customers
    answered on); called after the rows are deleted and before the purge, it refreshes those days (retention: every
    day up to the responses' cutoff) and returns the table to purge with the others.
    """

    def __init__(self, store, customer_ids: Collection[str] | None = None):
        self.store = store
        self.applies = TABLE not in store.external_tables and store.backend.has_table(TABLE)
        self.was_current = self.applies and rollup_is_current(store)
        self.days = days_of_customers(store, customer_ids) if self.applies and self.was_current and customer_ids else set()
        self.done: dict | None = None

    def __call__(self, deletions) -> list[str]:
        if not self.applies:
            return []
        days: set[date] | None = set(self.days)
        for d in deletions:
            if d.table.name == "responses" and d.keys is None and d.cutoff:  # retention: rows before the cutoff
                t = self.store.table(TABLE)
                bound = date.fromisoformat(d.cutoff[:10])
                found = t.filter(t.day <= bound).select("day").distinct().execute()["day"]
                days |= {as_date(v) for v in found}
        if not self.was_current:
            days = None
        elif not days:
            return []
        self.done = refresh_rollup(self.store, days)
        return [TABLE, MONTH_TABLE, COUNTS_TABLE]


# ------------------------------------------------------------------------------------------------ by difference

def moved_rows(store, moved: ir.Table) -> ir.Table:
    """The rollup's rows of every cell the moved customers leave or join, recomputed by difference: the stored row,
    less the customers' answers under their old attributes (`moved`: customer_id and the old ATTRIBUTES), plus them
    under their current ones. Exact: a customer's answers all leave their old cells and none of them was in a new one,
    so even the distinct customers subtract and add; integer scores keep the float sums exact."""
    r = store.table("responses")
    old = summed(r, moved, inner=True)
    new = summed(r.semi_join(moved, r.customer_id == moved.customer_id), store.table("customers"))
    cells = old.select(*GRAIN).union(new.select(*GRAIN))
    t = store.table(TABLE)
    stored = t.semi_join(cells, [t[g].identical_to(cells[g]) for g in GRAIN])
    parts = stored.union(old.mutate(**{k: -old[k] for k in STATS}), distinct=False).union(new, distinct=False)
    totals = parts.group_by(list(GRAIN)).aggregate(**{k: parts[k].sum() for k in STATS})
    return typed(totals)


__all__ = ["DeletionMaintenance", "LoadMaintenance", "days_of_customers", "move_customers", "moved_rows"]
