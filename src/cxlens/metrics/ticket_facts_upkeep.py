"""Keeping `ticket_facts` current through loads, erasures and retention runs (architecture D57).

Beside `cxlens.metrics.rollup_upkeep`, and for the same reason apart from the table's own module: this code runs
inside another operation's transaction. `FactsLoadMaintenance.apply` runs inside a load's (`Workspace.load` hands it
to `cxlens.ingest.load` with the rollup's, as `derived`) and reads the load's classification of its rows: a tickets
load rewrites the rows of the tickets it inserted or changed, a customers load those of the customers whose segment,
region, language, plan or account changed (their tickets' copied attributes move with them). A table that was not
current, or a load into an empty table, is rebuilt whole in the same transaction. Spark has no transactions: it
rebuilds the table after the load.

Erasure deletes the table's rows by its customer key and retention with the tickets (cxlens.privacy: the same rows
go as from `tickets`); `FactsDeletionMaintenance`, called after those deletes (`on_deleted`), writes the record
again when the table was current before, so it stays readable.
"""

from __future__ import annotations

import time
from typing import Callable

from cxlens.metrics.rollup_upkeep import CLASSIFIED, _has_temp_table, _temp_table
from cxlens.metrics.ticket_facts import (SOURCES, TABLE, facts_are_current, refresh_facts, write_record,
                                         write_rows)
from cxlens.store.backends.staging import UPSERTS, arrow
from cxlens.store.sql import ident

KEYS = "_cx_facts_keys"  # temporary table: the tickets (or customers) whose rows a load rewrites
# A customers load rewrites the rows of customers whose copied attributes changed (customers' column names).
ATTRIBUTES = ("segment", "region", "language", "plan", "account_id")


class FactsLoadMaintenance:
    """Keeps `ticket_facts` current through one tickets or customers load (`apply` runs inside its transaction).

    Made before the load, it notes whether the table is current; `apply(con)` runs after the rows are written
    (DuckDB: the store's connection; PostgreSQL: the staging connection, the store's transaction still open).
    `after_load()` rebuilds the table on Spark, whose writes have no transaction. `done`: what was written.
    """

    def __init__(self, store, kind: str):
        self.store, self.kind = store, kind
        self.on = "ticket_id" if kind == "tickets" else "customer_id"
        self.applies = kind in SOURCES and not {TABLE, *SOURCES} & set(store.external_tables) \
            and store.backend.has_table(TABLE)
        self.was_current = self.applies and facts_are_current(store)
        self.done: dict | None = None

    def apply(self, con) -> None:
        """Rewrite the rows the load changed, inside its transaction (nothing on Spark: see `after_load`)."""
        if not self.applies or self.store.backend.name == "spark":
            return
        started = time.perf_counter()
        if hasattr(con, "complete"):
            con.complete()  # the loader's last statement may have left a result open on this connection
        written = self.written_sql(con) if self.was_current else None
        backend = self.store.backend
        if written is None:
            write_rows(self.store)
        else:
            if backend.name == "duckdb":  # the store's own connection: the keys stay in the engine
                backend.raw_sql(f"CREATE OR REPLACE TEMP TABLE {KEYS} AS {written}")
            else:
                _temp_table(backend, KEYS, arrow(con, written))
            write_rows(self.store, KEYS, self.on)
            backend.raw_sql(f"DROP TABLE IF EXISTS {KEYS}")
        self.done = {"rows": self.store.count(TABLE), "whole": written is None,
                     "seconds": time.perf_counter() - started}

    def written_sql(self, con) -> str | None:
        """SELECT of the keys (ticket_id or customer_id, as text) whose rows the load changed; None when the table
        was empty before the load (no classification: every row is new, the whole table is written)."""
        key = f"DISTINCT CAST({ident(self.on)} AS VARCHAR) AS {ident(self.on)}"
        if _has_temp_table(con, CLASSIFIED):
            where = "NOT _same"
            if self.kind == "customers":  # only customers whose copied attributes changed (or who are new)
                moved = " OR ".join(f"{ident(a)} IS DISTINCT FROM {ident('_old_' + a)}" for a in ATTRIBUTES)
                where += f" AND (NOT _exists OR {moved})"
            return f"SELECT {key} FROM {CLASSIFIED} WHERE {where}"
        if self.store.backend.name != "duckdb":  # staged, no stored row shared a key: every row written is new
            return f"SELECT {key} FROM {UPSERTS}"
        return None

    def after_load(self) -> dict | None:
        """Spark: rebuild the whole table once the load's files are in."""
        if self.applies and self.store.backend.name == "spark":
            self.done = refresh_facts(self.store)
        return self.done


class FactsDeletionMaintenance:
    """Keeps `ticket_facts` readable through an erasure or a retention run (`on_deleted` of cxlens.privacy).

    Made before the deletion, it notes whether the table is current; called after the rows are deleted (the erased
    customers' rows by customer key, retention's with the tickets' cutoff, in the same deletion as the tickets), it
    writes the record of what the table now reflects. Returns no table to purge: its deleted rows are purged with
    the others."""

    def __init__(self, store):
        self.store = store
        self.applies = TABLE not in store.external_tables and store.backend.has_table(TABLE)
        self.was_current = self.applies and facts_are_current(store)

    def __call__(self, deletions) -> list[str]:
        if self.was_current and any(d.table.name in (TABLE, *SOURCES) for d in deletions):
            write_record(self.store, in_transaction=False)
        return []


def chained(*hooks: Callable[[list], list[str]]) -> Callable[[list], list[str]]:
    """One `on_deleted` hook running `hooks` in order; returns every table they rewrote."""
    def run(deletions) -> list[str]:
        return [name for hook in hooks for name in hook(deletions)]
    return run


__all__ = ["ATTRIBUTES", "FactsDeletionMaintenance", "FactsLoadMaintenance", "chained"]
