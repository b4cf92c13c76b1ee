"""A responses load kept in `response_rollup` by difference: the cells it touched moved by its own rows (D67).

Recomputing the days a load touched reads every answer of those days, and a load spread over more than a quarter of
them rebuilt the whole rollup (1% more answers over two years at 10M: 5.8 s, the cost of a full build). The sums
add up, so the load's own rows say how each cell moves: every answer it wrote is added under its cell, every answer
it changed is taken away under its old cell (`_cx_class` holds the old values). `customers`, the distinct customers
of a row, does not add up: per cell and customer of the load it compares that customer's answers in the cell now
(read from the answers of the load's customers on the load's days) with before (now less what the load added), and
moves the row's count by one where a customer appears or leaves.

DuckDB only: the classification is a temporary table on the store's own connection; PostgreSQL refreshes days.
Written in the load's transaction with plain SQL, so a failed load leaves the rollup as it was.
"""

from __future__ import annotations

import time

from cxlens.metrics.rollup import (ATTRIBUTES, GRAIN, MONTH_TABLE, TABLE, add_to_rows, change_counts, high_and_low,
                                   most_answers, write_record)
from cxlens.store.sql import ident

DELTA, MONTHS, PAIRS = "_cx_rollup_delta", "_cx_rollup_delta_months", "_cx_rollup_pairs"  # temporary tables
SUMS = ("n", "total", "total_sq", "high", "low")  # the additive columns; `customers` is moved apart
_CELL = list(GRAIN)  # day, metric, touchpoint_id, the customer's attributes, aspect


def by_difference(store, classified: str, answers_changed: str) -> dict:
    """Inside the load's transaction: the rollup's day and month rows moved by the load classified in `classified`,
    the answer counts changed by `answers_changed` and the record written. Returns {"rows", "days",
    "seconds", "by"}."""
    started = time.perf_counter()
    raw = store.backend.raw_sql
    for name in (DELTA, MONTHS, PAIRS):
        raw(f"DROP TABLE IF EXISTS {name}")
    raw(f"CREATE TEMP TABLE {PAIRS} AS {_signed(classified)}")
    raw(f"CREATE TEMP TABLE {DELTA} AS {_delta_sql(_sums_sql(store))}")
    days = store.backend.con.execute(f"SELECT count(DISTINCT day) FROM {DELTA}").fetchall()[0][0]
    add_to_rows(store, TABLE, _CELL, (*SUMS, "customers"), DELTA)
    raw(f"CREATE TEMP TABLE {MONTHS} AS SELECT {_month('day')} AS month, {', '.join(map(ident, _CELL[1:]))}, "
        f"{', '.join(f'SUM({ident(c)}) AS {ident(c)}' for c in SUMS)} FROM {DELTA} GROUP BY ALL")
    add_to_rows(store, MONTH_TABLE, ["month", *_CELL[1:]], SUMS, MONTHS)
    change_counts(store, answers_changed)
    write_record(store, most_answers(store), whole=True)
    for name in (DELTA, MONTHS, PAIRS):
        raw(f"DROP TABLE {name}")
    return {"rows": store.count(TABLE), "days": days, "seconds": time.perf_counter() - started, "by": "difference"}


def _signed(classified: str) -> str:
    """Each answer the load wrote (+1) and each old answer it replaced (-1), under its cell's keys (the customer's
    attributes as the rollup reads them: the current ones, which a responses load does not change)."""
    new = (f"SELECT CAST(ts AS DATE) AS day, metric, touchpoint_id, aspect, customer_id, score, 1 AS sign "
           f"FROM {classified} WHERE NOT _same")
    old = (f"SELECT CAST(_old_ts AS DATE), _old_metric, _old_touchpoint_id, _old_aspect, _old_customer_id, "
           f"_old_score, -1 FROM {classified} WHERE _exists AND NOT _same")
    return (f"SELECT m.day, CAST(m.metric AS VARCHAR) AS metric, CAST(m.touchpoint_id AS VARCHAR) AS touchpoint_id, "
            f"{_attributes('c')}, CAST(m.aspect AS VARCHAR) AS aspect, m.customer_id, "
            f"CAST(m.score AS DOUBLE) AS score, m.sign "
            f"FROM ({new} UNION ALL {old}) AS m LEFT JOIN customers c ON c.customer_id = m.customer_id")


def _attributes(customers: str) -> str:
    """The customer's attributes as the rollup's keys hold them, from the customers table aliased `customers`."""
    return ", ".join(f"CAST({customers}.{ident(a)} AS VARCHAR) AS {ident(a)}" for a in ATTRIBUTES)


def _sums_sql(store) -> str:
    """How each touched cell's sums move: the signed answers summed as `rollup.summed` sums them (its thresholds)."""
    p = store.backend.ibis.table(PAIRS)
    high, low = high_and_low(p.metric, p.score)
    sums = p.group_by(_CELL).aggregate(n=p.sign.sum(), total=(p.sign * p.score).sum(),
                                       total_sq=(p.sign * p.score * p.score).sum(), high=(p.sign * high).sum(),
                                       low=(p.sign * low).sum())
    return str(store.backend.ibis.compile(sums))


def _delta_sql(sums: str) -> str:
    """Per cell the load touched: how its sums move (`sums`), and how its distinct customers move (per customer of
    the load: present now and not before +1, before and not now -1)."""
    cell = ", ".join(map(ident, _CELL))
    same = " AND ".join(f"p.{ident(g)} IS NOT DISTINCT FROM w.{ident(g)}" for g in (*_CELL, "customer_id"))
    per_customer = (f"SELECT p.*, COALESCE(w.k, 0) AS now_k FROM (SELECT {cell}, customer_id, SUM(sign) AS net "
                    f"FROM {PAIRS} GROUP BY ALL) AS p LEFT JOIN ({_now_sql()}) AS w ON {same}")
    moved = ("SUM(CASE WHEN now_k > 0 THEN 1 ELSE 0 END - CASE WHEN now_k - net > 0 THEN 1 ELSE 0 END) "
             "AS customers")
    joined = " AND ".join(f"s.{ident(g)} IS NOT DISTINCT FROM c.{ident(g)}" for g in _CELL)
    return (f"SELECT s.*, c.customers FROM ({sums}) AS s "
            f"JOIN (SELECT {cell}, {moved} FROM ({per_customer}) GROUP BY ALL) AS c ON {joined}")


def _now_sql() -> str:
    """The answers per cell and customer now, of the load's customers on the load's days (the range first: blocks
    outside it are skipped by their min and max)."""
    return (f"SELECT CAST(r.ts AS DATE) AS day, CAST(r.metric AS VARCHAR) AS metric, "
            f"CAST(r.touchpoint_id AS VARCHAR) AS touchpoint_id, {_attributes('c')}, "
            f"CAST(r.aspect AS VARCHAR) AS aspect, "
            f"r.customer_id, COUNT(*) AS k FROM responses r "
            f"JOIN (SELECT DISTINCT customer_id, day FROM {PAIRS}) AS p "
            f"ON r.customer_id = p.customer_id AND CAST(r.ts AS DATE) = p.day "
            f"LEFT JOIN customers c ON c.customer_id = r.customer_id "
            f"WHERE r.ts >= (SELECT MIN(day) FROM {PAIRS}) AND r.ts < (SELECT MAX(day) FROM {PAIRS}) + 1 "
            f"GROUP BY ALL")


def _month(day: str) -> str:
    """The first day of `day`'s month, as `rollup._month_of` writes it."""
    return f"make_date(year({ident(day)}), month({ident(day)}), 1)"


__all__ = ["by_difference"]
