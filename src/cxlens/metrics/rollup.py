"""The stored rollup of sufficient statistics (`response_rollup`): every answer summed per day and cell.

Experience metrics need, per cell, the answers' count, sum, sum of squares and counts of high and low answers
(`cxlens.metrics.experience.cells`); those add up over days and cells, so one row per (day, metric,
touchpoint_id, segment, region, language, plan, aspect) answers any cut by those dimensions, whole-day dates and
periods without reading the answers again (architecture D45). Customer attributes are the customer's CURRENT
values, NULLs kept as NULL (the planner reads them as `query.rows` does: "(unknown)", and a NULL aspect is the
overall question). `customers` is the number of distinct customers in the row: kept for diagnostics, it does not
add up across rows.

The table is kept current where the answers change: a responses load refreshes the days of the rows it wrote
(their old and new days), a customers load the days of the answers of customers whose segment, region,
language or plan changed, both inside the load's transaction on DuckDB and PostgreSQL; erasure and retention
refresh the days of the answers they delete. Spark has no transactions: every Spark load, erasure and retention
rebuilds the table after its write. That upkeep (`LoadMaintenance`, `DeletionMaintenance`) lives in
`cxlens.metrics.rollup_upkeep`; this module reads, rebuilds and refreshes the table and writes its record.

`cxlens_meta` key `response_rollup` records which answers the table reflects (`rollup_fingerprint`: the answers'
count and first and last time, the latest responses and customers loads, the thresholds, and where responses or
customers are external tables read in place, their files' sizes and modification times: no load records a change
to the lake); readers use the table only while that record matches (`rollup_is_current`), so it is never read stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Collection

import ibis
import ibis.expr.types as ir

from cxlens.metrics.rollup_record import (COUNTS_TABLE, MONTH_TABLE, MOST, META_KEY, REBUILD_HINT, ROWS, TABLE, WORDS,
                                          fingerprint_of)
from cxlens.metrics.scales import THRESHOLDS
from cxlens.model import table
from cxlens.store import records
from cxlens.store.sql import ident, literal

log = logging.getLogger(__name__)

GRAIN = ("day", "metric", "touchpoint_id", "segment", "region", "language", "plan", "aspect")
ATTRIBUTES = ("segment", "region", "language", "plan")  # the customer's columns the rollup keeps
# Refreshing more than this share of the days the rollup spans rebuilds it whole instead (cheaper, measured).
WHOLE_SHARE = 0.25


# ------------------------------------------------------------------------------------------------ what it reflects

def rollup_fingerprint(store) -> dict:
    """What the answers look like now: count, first and last time, the latest responses and customers loads and the
    thresholds (one small query), and the external tables' files (`lake`). The rollup is current while the recorded
    fingerprint equals this one."""
    return _fingerprint(_fingerprint_query(store).execute().iloc[0], store)


def _fingerprint_query(store) -> ir.Table:
    r, loads = store.table("responses"), store.table("loads")
    latest = {kind: loads.load_id.argmax(loads.started_at, where=loads.kind == kind) for kind in ("responses", "customers")}
    return r.aggregate(n=r.count(), lo=r.ts.min(), hi=r.ts.max()).cross_join(loads.aggregate(**latest))


def _fingerprint(row, store) -> dict:
    # `lake` only for external tables: a store's own tables keep the record they had
    return fingerprint_of(row, _lake(store))


_UNSEEN: set[str] = set()  # external paths already warned about (once per process)


def _lake(store, names: tuple[str, ...] = ("responses", "customers")) -> str | None:
    """A digest of the files behind the external tables of `names` (path, size, modification time of
    each; a pinned Delta version stands for its snapshot), None when none is external. Rewriting the lake records
    no load, and the answers' count and dates need not change (a customer moved to another segment): without this a
    rollup over external tables read as current after its files changed (issue 23 item 5, architecture D53)."""
    specs = {n: store.external_tables[n] for n in names if n in store.external_tables}
    if not specs:
        return None
    digest = hashlib.sha1()
    for name, spec in sorted(specs.items()):
        path, fmt, version = str(spec.get("path")), spec.get("format", "parquet"), spec.get("version")
        digest.update(json.dumps([name, path, fmt, version]).encode())
        if fmt == "delta" and version is not None:
            continue  # a pinned snapshot never changes
        local = Path(path)
        files = [local] if local.is_file() else sorted(f for f in local.rglob("*") if f.is_file()) if local.is_dir() else []
        if not files and path not in _UNSEEN:
            _UNSEEN.add(path)
            log.warning("the rollup cannot see changes to external table '%s' (%s is not a local file or folder): "
                        "after its files change, %s", name, path, REBUILD_HINT)
        for f in files:
            stat = f.stat()
            digest.update(f"{f}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def recorded(store) -> dict | None:
    """The fingerprint the rollup was built from; None when it was never built (or a rebuild did not finish)."""
    return records.recorded(store, META_KEY)


def rollup_staleness(store) -> str | None:
    """Why the rollup cannot be read, in words (None: it is current). For `--explain` and `cxlens rollup status`.
    MOST and ROWS ride along in the record, not compared."""
    if TABLE in store.external_tables or not store.backend.has_table(TABLE):
        return f"{TABLE} is missing from this store (schema older than version 6?); run `cxlens migrate`, then rebuild"
    built, now = records.built_and_now(store, META_KEY, lambda: _fingerprint_query(store),
                                       lambda row: _fingerprint(row, store))
    return records.staleness(TABLE, built, now, WORDS, REBUILD_HINT)


def rollup_is_current(store) -> bool:
    """Whether `response_rollup` reflects the answers and customers as they are now (never read it otherwise)."""
    return rollup_staleness(store) is None


# ------------------------------------------------------------------------------------------------ rows

def rollup_rows(store, days: Collection[date] | None = None) -> ir.Table:
    """The rollup's rows computed from `responses` joined to `customers` (those `days` only; None: all), with exactly
    the columns and types of `response_rollup`. Same answers and cells as `cxlens.query.rows.responses`."""
    r = store.table("responses")
    if days is not None:
        wanted = sorted(set(days))
        # the range first: engines skip the blocks of answers outside it (zone maps), then the days themselves
        r = r.filter(r.ts >= _start(wanted[0]), r.ts < _start(wanted[-1] + timedelta(days=1)),
                     r.ts.cast("date").isin(wanted))
    return summed(r, store.table("customers"))


def summed(r: ir.Table, attributes: ir.Table, inner: bool = False) -> ir.Table:
    """Answers `r` summed per rollup cell, the customer's attributes read from `attributes` (customer_id and
    ATTRIBUTES; `inner`: only answers of the customers it lists)."""
    c = attributes.select(customer_id=attributes.customer_id, **{f"_c_{a}": attributes[a] for a in ATTRIBUTES})
    j = (r.inner_join if inner else r.left_join)(c, r.customer_id == c.customer_id)
    score = r.score.cast("float64")
    high, low = high_and_low(r.metric, score)
    keys = {"day": r.ts.cast("date"), "metric": r.metric.cast("string"), "touchpoint_id": r.touchpoint_id.cast("string"),
            **{a: j[f"_c_{a}"].cast("string") for a in ATTRIBUTES},
            "aspect": r.aspect.cast("string") if "aspect" in r.columns else ibis.null("string")}
    rows = j.select(**keys, _customer=r.customer_id, _score=score, _high=high, _low=low)
    stats = rows.group_by(list(GRAIN)).aggregate(
        n=rows.count(), customers=rows._customer.nunique(), total=rows._score.sum(),
        total_sq=(rows._score * rows._score).sum(), high=rows._high.sum(), low=rows._low.sum())
    return typed(stats)


def typed(stats: ir.Table, name: str = TABLE) -> ir.Table:
    """`stats` with exactly the columns, in order, and the types of table `name` (`response_rollup` or its month
    rows)."""
    return stats.select(**{c.name: stats[c.name].cast(c.ibis_type) for c in table(name).columns})


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def high_and_low(metric: ir.StringColumn, score: ir.FloatingColumn) -> tuple[ir.IntegerColumn, ir.IntegerColumn]:
    """1/0 per answer: at or above the metric's high threshold, at or below its low one (NULL: a metric without)."""
    high = ibis.cases(*[(metric == m, (score >= hi).ifelse(1, 0)) for m, (hi, _) in THRESHOLDS.items()],
                      else_=ibis.null("int64"))
    low = ibis.cases(*[(metric == m, (score <= lo).ifelse(1, 0)) for m, (_, lo) in THRESHOLDS.items()],
                     else_=ibis.null("int64"))
    return high.cast("int64"), low.cast("int64")


# ------------------------------------------------------------------------------------------------ months

def month_rows(store, months: Collection[date] | None = None) -> ir.Table:
    """`response_rollup` summed per month (those `months`, given by their first days; None: all), with exactly the
    columns and types of `response_rollup_month`. Read from the stored day rows, so the two agree by construction."""
    t = store.table(TABLE)
    if months is not None:
        wanted = sorted(set(months))
        t = t.filter(t.day >= wanted[0], t.day < _next_month(wanted[-1]), _month_of(t.day).isin(wanted))
    keys = {"month": _month_of(t.day), **{g: t[g] for g in GRAIN[1:]}}
    stats = t.group_by(**keys).aggregate(**{c: t[c].sum() for c in ("n", "total", "total_sq", "high", "low")})
    return typed(stats, MONTH_TABLE)


def write_months(store, days: Collection[date] | None) -> None:
    """Inside the caller's transaction: the month rows of the months holding `days` (None: all) written again from
    the day rows just written. Every writer of `response_rollup` calls it, so the month table is the day table
    summed by month whenever the record says current (D64)."""
    months = None if days is None else {d.replace(day=1) for d in days}
    if months is None or months:
        _rewrite(store, MONTH_TABLE, "month", months, month_rows(store, months))


def _rewrite(store, name: str, column: str, dates: Collection[date] | None, rows: ir.Table) -> None:
    """Inside the caller's transaction: delete the rows of table `name` whose `column` is one of `dates` (None: all
    rows) and insert `rows` in their place, as plain SQL, so a failed load rolls them back with the rest."""
    backend, target = store.backend, ident(name)
    if dates is None:
        backend.raw_sql(f"DELETE FROM {target}")
    else:
        listed = ", ".join(f"CAST({literal(d.isoformat())} AS DATE)" for d in sorted(set(dates)))
        backend.raw_sql(f"DELETE FROM {target} WHERE {ident(column)} IN ({listed})")
    names = ", ".join(map(ident, table(name).names))
    backend.raw_sql(f"INSERT INTO {target} ({names}) {backend.ibis.compile(rows)}")


def _month_of(day: ir.DateColumn) -> ir.DateColumn:
    """The first day of `day`'s month, a DATE on every engine: Spark's `date_trunc` gives a timestamp that Ibis
    still types as a date, so a cast would be dropped and Spark would write INT96 into the DATE column."""
    return ibis.date(day.year(), day.month(), 1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


# ------------------------------------------------------------------------------------------------ refresh

def refresh_rollup(store, days: Collection[date] | None = None, *, in_transaction: bool = False,
                   answers_changed: str | None = None) -> dict:
    """Rebuild `response_rollup` from the raw answers in the engine and record what it reflects.

    `days` None: the whole table (`Backend.replace_from_query`). `days` given: those days' rows are deleted and
    recomputed, the rest kept, which is right only when the rollup was current apart from those days (the load,
    erasure and retention hooks make sure); a rollup never built is rebuilt whole instead. `in_transaction`: the
    caller holds an open transaction on the store's connection (a load, DuckDB and PostgreSQL): the rows and the
    record are written in it, so a failed load leaves the rollup as it was. Spark rebuilds the whole table.
    `answers_changed`, with `days`: SQL on the store's connection giving (customer_id, metric, change) rows, how the
    caller changed each customer's number of answers (NO_CHANGE: nobody's), so `answer_counts` is changed by them
    instead of counted again over every answer (D66); None counts again.
    Returns {"rows": rows stored, "days": days refreshed (None: all), "seconds": time taken}.
    """
    started = time.perf_counter()
    backend = store.backend
    if days is not None and (backend.name == "spark" or rebuild_is_cheaper(recorded(store), days)):
        days = None
    if days is None:
        answers_changed = None
    if in_transaction:
        _write_in_transaction(store, days, answers_changed)
    elif days is None:
        backend.create_table(table(TABLE))  # no-op when present
        store.set_meta(META_KEY, None)  # removed first, written last: an interrupted rebuild reads as stale
        now = rollup_fingerprint(store)
        backend.replace_from_query(table(TABLE), rollup_rows(store))
        backend.create_table(table(MONTH_TABLE))  # no-op when present
        backend.replace_from_query(table(MONTH_TABLE), month_rows(store))
        backend.create_table(table(COUNTS_TABLE))  # no-op when present
        backend.replace_from_query(table(COUNTS_TABLE), answer_counts(store))
        now[MOST] = most_answers(store)
        now[ROWS] = int(store.table(TABLE).count().execute())
        store.set_meta(META_KEY, json.dumps(now))
    else:
        with backend.transaction():
            _write_in_transaction(store, days, answers_changed)
    rows = int(store.table(TABLE).count().execute())
    return {"rows": rows, "days": None if days is None else len(set(days)), "seconds": time.perf_counter() - started}


def rebuild_is_cheaper(built: dict | None, days: Collection[date]) -> bool:
    """Whether rebuilding every day beats refreshing `days`: never built, or the days are over a quarter of the
    span the rollup covered (a day's refresh reads every answer to find that day's: measured in docs/scale.md)."""
    if built is None:
        return True
    if not days or not built.get("first") or not built.get("last"):
        return False
    span = (date.fromisoformat(built["last"][:10]) - date.fromisoformat(built["first"][:10])).days + 1
    return len(set(days)) > WHOLE_SHARE * span


def _write_in_transaction(store, days: Collection[date] | None, answers_changed: str | None = None) -> None:
    """DELETE the days' rows (all rows: None), INSERT them recomputed, the answer counts changed or counted again,
    write the record: SQL on the open transaction."""
    if days is not None and not days:  # no answer written or changed: nobody's count either
        write_record(store, {})
        return
    _rewrite(store, TABLE, "day", days, rollup_rows(store, days))
    write_months(store, days)
    if answers_changed is None:
        _rewrite(store, COUNTS_TABLE, "", None, answer_counts(store))
    elif answers_changed != NO_CHANGE:
        change_counts(store, answers_changed)
    write_record(store, most_answers(store), whole=True)


# `answers_changed` of a write that changes nobody's number of answers (a customers load).
NO_CHANGE = ""
_CHANGES = "_cx_answer_changes"


def answer_counts(store) -> ir.Table:
    """Each customer's answers per metric, counted from `responses`: the rows of `answer_counts`."""
    r = store.table("responses")
    return typed(r.group_by([r.customer_id, r.metric]).aggregate(answers=r.count()), COUNTS_TABLE)


def change_counts(store, changes: str) -> None:
    """Inside the caller's transaction: `answer_counts` moved by `changes` ((customer_id, metric, change) rows): the
    customers' counts raised or lowered, new ones added, those reaching 0 removed. At 10M answers a week's load
    changes about 100,000 counts where counting every answer again took 0.35-0.86 s (architecture D66)."""
    raw = store.backend.raw_sql
    raw(f"DROP TABLE IF EXISTS {_CHANGES}")
    raw(f"CREATE TEMP TABLE {_CHANGES} AS SELECT customer_id, metric, SUM(change) AS answers "
        f"FROM ({changes}) AS c GROUP BY customer_id, metric HAVING SUM(change) <> 0")
    add_to_rows(store, COUNTS_TABLE, ["customer_id", "metric"], ("answers",), _CHANGES)
    raw(f"DROP TABLE {_CHANGES}")


def add_to_rows(store, name: str, keys: list[str], sums: tuple[str, ...], delta: str) -> None:
    """Inside the caller's transaction: table `delta`'s rows (`keys` and `sums`) added to table `name`'s rows with the
    same keys (NULL keys match NULL), new keys inserted, rows whose first sum falls to 0 removed. How the answer
    counts (D66) and, for a load over many days, the rollup's day and month rows (D67) move by difference."""
    raw, target = store.backend.raw_sql, ident(name)
    same = " AND ".join(f"{target}.{ident(k)} IS NOT DISTINCT FROM d.{ident(k)}" for k in keys)
    moved = ", ".join(f"{ident(c)} = {target}.{ident(c)} + d.{ident(c)}" for c in sums)
    raw(f"UPDATE {target} SET {moved} FROM {delta} AS d WHERE {same}")
    names = ", ".join(map(ident, (*keys, *sums)))
    raw(f"INSERT INTO {target} ({names}) SELECT {names} FROM {delta} AS d "
        f"WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {same})")
    raw(f"DELETE FROM {target} WHERE {ident(sums[0])} <= 0")


def most_answers(store) -> dict[str, int]:
    """Per metric, the most answers any one customer gave (aspect answers included), read from `answer_counts` (so
    only once it is written). Stored in the rollup's record as MOST: a cell of n answers then holds at least
    n / MOST[metric] distinct customers, so the small-group rule (D24, D48) needs no raw read for a cell with
    n >= min_group * MOST."""
    t = store.table(COUNTS_TABLE)
    top = t.group_by("metric").aggregate(most=t.answers.max()).execute()
    return {str(m): int(v) for m, v in zip(top["metric"], top["most"]) if v == v}


def write_record(store, most: dict[str, int], whole: bool = False) -> None:
    """Write the fingerprint into `cxlens_meta` with plain SQL (inside the caller's transaction), with MOST: `most`
    when `whole` (counted over every customer), else the recorded bound raised where `most` says more (never
    lowered: answers that left keep it an upper bound; no recorded bound stays none: a part is not a bound) and
    ROWS, the table's rows (the planner's size rule)."""
    value = rollup_fingerprint(store)
    before = (recorded(store) or {}).get(MOST)
    if whole:
        value[MOST] = most
    elif before is not None:
        value[MOST] = {m: max(before.get(m, 0), most.get(m, 0)) for m in {*before, *most}}
    value[ROWS] = int(store.table(TABLE).count().execute())
    records.write_in_transaction(store, META_KEY, value)


# ------------------------------------------------------------------------------------------------ status

def rollup_status(store) -> dict:
    """What the rollup holds and whether it can be read: rows (and `month_rows`, D64), days, first and last day,
    answers summed, size in bytes where the engine says, current (bool) and why not (`stale`)."""
    if TABLE in store.external_tables or not store.backend.has_table(TABLE):
        return {"table": TABLE, "rows": 0, "month_rows": 0, "days": 0, "first_day": None, "last_day": None,
                "answers": 0, "bytes": None, "current": False, "stale": rollup_staleness(store)}
    t = store.table(TABLE)
    row = t.aggregate(rows=t.count(), days=t.day.nunique(), first=t.day.min(), last=t.day.max(),
                      answers=t.n.sum()).execute().iloc[0]
    months = store.count(MONTH_TABLE) if store.backend.has_table(MONTH_TABLE) else 0
    stale = rollup_staleness(store)
    return {"table": TABLE, "rows": _int(row.rows), "month_rows": months, "days": _int(row.days),
            "first_day": _day(row["first"]), "last_day": _day(row["last"]), "answers": _int(row.answers),
            "bytes": _size(store), "current": stale is None, "stale": stale}


def _int(value) -> int:
    """An engine's count or sum as int (0 for the NULL of an empty table)."""
    return 0 if value is None or value != value else int(value)


def as_date(value) -> date:
    """An engine's day (a date, or a datetime/Timestamp at midnight) as a date."""
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _day(value) -> str | None:
    return None if value is None or value != value else as_date(value).isoformat()


def _size(store) -> int | None:
    """Bytes the table takes where the engine says (DuckDB: the blocks its columns occupy once checkpointed, None
    while its rows are still only in the write-ahead log; PostgreSQL: the relation with its indexes)."""
    backend = store.backend
    try:
        if backend.name == "duckdb":
            blocks = backend.con.execute(
                "SELECT count(DISTINCT block_id) FROM pragma_storage_info(?) WHERE block_id IS NOT NULL",
                [TABLE]).fetchall()[0][0]
            size = backend.con.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0]
            return int(blocks) * int(size) or None
        if backend.name == "postgres":
            return int(backend.pg.execute("SELECT pg_total_relation_size(%s)", (TABLE,)).fetchall()[0][0])
    except Exception:  # noqa: BLE001  (a size is a nicety: a status without one is still right)
        return None
    return None


__all__ = ["ATTRIBUTES", "COUNTS_TABLE", "GRAIN", "MONTH_TABLE", "NO_CHANGE", "TABLE", "add_to_rows", "answer_counts",
           "as_date", "change_counts", "high_and_low", "month_rows", "most_answers", "rebuild_is_cheaper", "recorded",
           "refresh_rollup", "rollup_fingerprint", "rollup_is_current", "rollup_rows", "rollup_staleness",
           "rollup_status", "summed", "typed", "write_months", "write_record"]
