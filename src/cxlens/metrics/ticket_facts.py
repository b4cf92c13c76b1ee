"""The narrow ticket table (`ticket_facts`): one row per ticket with what ticket outcomes group, filter and measure by.

`outcomes_by` needs, per ticket, its dimensions (touchpoint, category, channel and the customer's segment, region,
language, plan and account), the resolved, reopened and first-contact flags and the first-response and resolution
hours. Read from `tickets`, that means joining `customers` to every ticket and computing hours per call; the
percentiles (median, p90) cannot come from sums, so a rollup cannot replace the rows. This table keeps those rows
ready: the customer's CURRENT attributes copied on ('(unknown)' where missing, as `query.tickets` reads them), the
hours and flags computed once (architecture D57). The map's stage is joined when read (the map is small and changes
without a load).

Kept current where tickets or customers change: a tickets load rewrites the rows of the tickets it wrote, a customers
load those of the customers whose attributes changed, both inside the load's transaction on DuckDB and PostgreSQL
(`cxlens.metrics.ticket_facts_upkeep`); erasure deletes its rows by customer (`Table.customer_key`) and retention with
the tickets (`privacy.retention`), after which the record is written again. Spark rebuilds the table after each load.

`cxlens_meta` key `ticket_facts` records what the table reflects (`facts_fingerprint`: the tickets' count and first
and last opening time, the latest tickets and customers loads, and for external tables their files); readers use the
table only while that record matches (`facts_staleness`), so it is never read stale: `outcomes_by` then reads the raw
tickets and one warning names `cxlens rollup rebuild`.
"""

from __future__ import annotations

import json
import logging
import time

import ibis.expr.types as ir

from cxlens.metrics.rollup import REBUILD_HINT, _lake
from cxlens.model import table
from cxlens.query import Scope
from cxlens.query.dimensions import UNKNOWN
from cxlens.query.rows import filtered, within
from cxlens.query.tickets import TICKET_DIMENSIONS, tickets
from cxlens.store import records
from cxlens.store.records import as_text
from cxlens.store.sql import ident

log = logging.getLogger(__name__)

TABLE = "ticket_facts"
META_KEY = "ticket_facts"
# Bump when what a row holds changes: a table built by an older rule then reads as stale.
VERSION = 1
# The dimensions stored as read ('(unknown)' for a missing value); touchpoint is stored as touchpoint_id (NULL kept:
# the stage is joined on it when read) and read as `query.tickets` reads it.
STORED = ("category", "channel", "segment", "region", "language", "plan", "account")
SOURCES = ("tickets", "customers")
# Beside the fingerprint in the record (not compared): the most tickets one customer has (`most_tickets`).
MOST = "most_tickets"
_WORDS = {"version": "the table's rule changed", "tickets": "the number of tickets changed",
          "first": "the first ticket's opening time changed", "last": "the last ticket's opening time changed",
          "tickets_load": "a tickets load came after it", "customers_load": "a customers load came after it",
          "lake": "the external tables' files changed"}


# ------------------------------------------------------------------------------------------------ what it reflects

def facts_fingerprint(store) -> dict:
    """What the tickets look like now: count, first and last opening time, the latest tickets and customers loads
    (one small query), and the external tables' files. The table is current while its record equals this."""
    return _fingerprint(_fingerprint_query(store).execute().iloc[0], store)


def _fingerprint_query(store) -> ir.Table:
    k, loads = store.table("tickets"), store.table("loads")
    latest = {kind: loads.load_id.argmax(loads.started_at, where=loads.kind == kind) for kind in SOURCES}
    return k.aggregate(n=k.count(), lo=k.opened_at.min(), hi=k.opened_at.max()).cross_join(loads.aggregate(**latest))


def _fingerprint(row, store) -> dict:
    out = {"version": VERSION, "tickets": int(row["n"]), "first": as_text(row["lo"]), "last": as_text(row["hi"]),
           "tickets_load": as_text(row["tickets"]), "customers_load": as_text(row["customers"])}
    lake = _lake(store, SOURCES)
    if lake is not None:
        out["lake"] = lake
    return out


def recorded(store) -> dict | None:
    """The fingerprint the table was built from; None when it was never built (or a rebuild did not finish)."""
    return records.recorded(store, META_KEY)


def facts_staleness(store) -> str | None:
    """Why `ticket_facts` cannot be read, in words naming the fix (None: it is current)."""
    if TABLE in store.external_tables or not store.backend.has_table(TABLE):
        return f"{TABLE} is missing from this store (schema older than version 9?); run `cxlens migrate`, then rebuild"
    built, now = records.built_and_now(store, META_KEY, lambda: _fingerprint_query(store),
                                       lambda row: _fingerprint(row, store))
    return records.staleness(TABLE, built, now, _WORDS, REBUILD_HINT)


def facts_are_current(store) -> bool:
    """Whether `ticket_facts` reflects the tickets and customers as they are now (never read it otherwise)."""
    return facts_staleness(store) is None


# ------------------------------------------------------------------------------------------------ rows

def built_rows(store, keys: ir.Table | None = None, on: str = "ticket_id") -> ir.Table:
    """The table's rows computed from `tickets` joined to `customers` (`query.tickets.tickets`, so the same flags,
    hours and '(unknown)' as the raw path), with exactly its columns and types; `keys`: only the tickets whose `on`
    column (ticket_id or customer_id) it lists.

    In opening order: every outcome cell has a period, so a table stored in time order gathers each cell's rows from
    nearby blocks and a date range skips the blocks outside it (the scorecard's ticket query at 2M tickets: 0.25 ->
    0.19 s, architecture D65). Loads append newer tickets, so the order mostly holds between rebuilds."""
    k = tickets(store, Scope(), dimensions=STORED)
    if keys is not None:
        k = k.semi_join(keys, k[on] == keys[on])
    return k.select(**{c.name: k[c.name].cast(c.ibis_type) for c in table(TABLE).columns}).order_by("opened_at")


def fact_rows(store, scope: Scope = Scope(), dimensions: tuple[str, ...] | None = None) -> ir.Table:
    """What `query.tickets.tickets(store, scope, dimensions)` gives for `outcomes_by` (ticket_id, customer_id,
    touchpoint_id, opened_at, the dimension columns, the flags and hours), read from `ticket_facts`: no customers
    join; the map's stage joined only when wanted. Only read it while `facts_are_current`."""
    f = within(store.table(TABLE), "opened_at", scope.since, scope.until)
    wanted = set(TICKET_DIMENSIONS if dimensions is None else (*dimensions, *scope.filters))
    j, dims = f, {"touchpoint": f.touchpoint_id.cast("string").fill_null(UNKNOWN), **{d: f[d] for d in STORED}}
    if "stage" in wanted:
        t = store.table("touchpoints")
        j = j.left_join(t, f.touchpoint_id == t.touchpoint_id)
        dims["stage"] = t.stage.cast("string").fill_null(UNKNOWN)
    cols = {d: dims[d] for d in TICKET_DIMENSIONS if d in wanted}
    rows = j.select(ticket_id=f.ticket_id, customer_id=f.customer_id, touchpoint_id=f.touchpoint_id,
                    opened_at=f.opened_at, **cols, resolved=f.resolved, reopened=f.reopened, fcr=f.fcr,
                    first_response_h=f.first_response_h, resolution_h=f.resolution_h)
    return filtered(store, rows, scope, TICKET_DIMENSIONS)


# ------------------------------------------------------------------------------------------------ rebuild

def refresh_facts(store) -> dict:
    """Rebuild `ticket_facts` whole from `tickets` and `customers` in the engine and record what it reflects (the
    record removed first and written last: an interrupted rebuild reads as stale). `cxlens rollup rebuild` runs it;
    loads, erasure and retention keep the table current otherwise. Returns {"rows", "seconds"}."""
    started = time.perf_counter()
    backend = store.backend
    backend.create_table(table(TABLE))  # no-op when present
    store.set_meta(META_KEY, None)
    now = facts_fingerprint(store)
    backend.replace_from_query(table(TABLE), built_rows(store))
    now[MOST] = most_tickets(store)
    store.set_meta(META_KEY, json.dumps(now))
    return {"rows": store.count(TABLE), "seconds": time.perf_counter() - started}


def write_rows(store, keys: str | None = None, on: str = "ticket_id") -> None:
    """Inside the caller's open transaction: the rows of the tickets whose `on` column is in the temporary table
    `keys` (None: every row) deleted and written again from their sources, then the record. Plain SQL on the open
    transaction (the Backend's own writers open one of their own)."""
    backend, name = store.backend, ident(TABLE)
    if keys is None:
        backend.raw_sql(f"DELETE FROM {name}")
        query = built_rows(store)
    else:
        backend.raw_sql(f"DELETE FROM {name} WHERE {ident(on)} IN (SELECT {ident(on)} FROM {keys})")
        query = built_rows(store, backend.ibis.table(keys), on)
    backend.raw_sql(f"INSERT INTO {name} ({', '.join(map(ident, table(TABLE).names))}) {backend.ibis.compile(query)}")
    write_record(store)


def write_record(store, in_transaction: bool = True) -> None:
    """Write the fingerprint into `cxlens_meta`: with plain SQL inside the caller's open transaction, else through
    `Store.set_meta` (every engine, Spark included)."""
    value = {**facts_fingerprint(store), MOST: most_tickets(store)}
    if in_transaction:
        records.write_in_transaction(store, META_KEY, value)
    else:
        store.set_meta(META_KEY, json.dumps(value))


def most_tickets(store) -> int | None:
    """The most tickets any one customer has in `ticket_facts` (None: none has a customer), kept in the table's
    record as MOST: over all dates it bounds every scope's, so a cell of n tickets with a customer holds at least
    n / MOST distinct customers (the small-group cap, D51) without a query per call (66 ms at 2M tickets)."""
    f = store.table(TABLE)
    f = f.filter(f.customer_id.notnull())
    per = f.group_by("customer_id").aggregate(n=f.count())
    value = per.aggregate(most=per.n.max()).execute()["most"].iloc[0]
    return None if value is None or value != value else int(value)


def recorded_most(store) -> int | None:
    """MOST from the table's record (None: not recorded); only read while the table is current."""
    return (recorded(store) or {}).get(MOST)


def facts_status(store) -> dict:
    """What `ticket_facts` holds and whether outcomes can read it: rows, first and last opening day, current
    (bool) and why not (`stale`). For `cxlens rollup status`."""
    stale = facts_staleness(store)
    if TABLE in store.external_tables or not store.backend.has_table(TABLE):
        return {"table": TABLE, "rows": 0, "first_day": None, "last_day": None, "current": False, "stale": stale}
    t = store.table(TABLE)
    row = t.aggregate(rows=t.count(), first=t.opened_at.min(), last=t.opened_at.max()).execute().iloc[0]
    return {"table": TABLE, "rows": int(row["rows"]), "first_day": _day(row["first"]), "last_day": _day(row["last"]),
            "current": stale is None, "stale": stale}


def _day(value) -> str | None:
    return None if value is None or value != value else str(value)[:10]


__all__ = ["META_KEY", "MOST", "SOURCES", "STORED", "TABLE", "built_rows", "fact_rows", "facts_are_current",
           "facts_fingerprint", "facts_staleness", "facts_status", "most_tickets", "recorded", "recorded_most", "refresh_facts", "write_record",
           "write_rows"]
