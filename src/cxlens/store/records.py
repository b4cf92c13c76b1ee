"""What a derived table reflects: one record per table in `cxlens_meta`, read and compared one way.

The store keeps tables computed from others so that analyses need not recompute them per call: `response_rollup`
(D45), `ticket_facts` (D57), `journey_steps` (D23) and value linkage's frames (D54). Each records, when built, a
fingerprint of its sources (counts, first and last times, latest loads) as JSON under its own key, and readers use
the table only while the fingerprint now equals the recorded one, so a derived table is never read stale. This
module holds what those four share: reading the record, writing it inside a load's open transaction, reading it
together with the fingerprint's one-row query in a single statement on DuckDB, and saying in words what changed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable, Mapping

from cxlens.store.sql import ident, literal

if TYPE_CHECKING:  # annotations only: records are read without Ibis (D61)
    import ibis.expr.types as ir

_STATE_SQL: dict[tuple[str, str], str] = {}  # per DuckDB store and record: the query and the record in one statement


def as_text(value) -> str | None:
    """A fingerprint's value as JSON keeps it (None for a missing value or NaN, else its text)."""
    return None if value is None or value != value else str(value)


def recorded(store, key: str) -> dict | None:
    """The record kept under `key`; None when the table was never built (or its last build did not finish)."""
    value = store.meta(key)
    return None if value is None else json.loads(value)


def write_in_transaction(store, key: str, value: Mapping) -> None:
    """Write the record with plain SQL on the caller's open transaction (a load's, DuckDB and PostgreSQL), so a
    failed load leaves the record as it was; outside one, `Store.set_meta` writes it on every engine."""
    meta = ident("cxlens_meta")
    store.backend.raw_sql(f"DELETE FROM {meta} WHERE {ident('key')} = {literal(key)}")
    store.backend.raw_sql(f"INSERT INTO {meta} ({ident('key')}, {ident('value')}) "
                          f"VALUES ({literal(key)}, {literal(json.dumps(value))})")


def record_and_row(store, key: str, query: Callable[[], ir.Table]) -> tuple[dict | None, dict] | None:
    """DuckDB: (the record kept under `key`, the one row of `query()`) in one SQL statement, compiled once per store
    and key (0.5-2 ms against 15-25 ms for building, compiling and running the Ibis queries each time); None on other
    engines (read them apart)."""
    backend = store.backend
    if backend.name != "duckdb" or not backend.has_table("cxlens_meta"):
        return None
    sql = _STATE_SQL.get((backend.url, key))
    if sql is None:
        sql = _STATE_SQL[(backend.url, key)] = (
            f"SELECT f.*, (SELECT {ident('value')} FROM {ident('cxlens_meta')} WHERE {ident('key')} = "
            f"{literal(key)}) AS _record FROM ({backend.ibis.compile(query())}) f")
    cur = backend.con.execute(sql)
    row = dict(zip([d[0] for d in cur.description], cur.fetchall()[0]))
    return (None if row["_record"] is None else json.loads(row["_record"])), row


def built_and_now(store, key: str, query: Callable[[], ir.Table],
                  fingerprint: Callable[[Mapping], dict]) -> tuple[dict | None, dict]:
    """(the recorded fingerprint, the fingerprint now, from the one row of `query()`): one statement on DuckDB, the
    record and the query apart elsewhere."""
    found = record_and_row(store, key, query)
    if found is None:
        return recorded(store, key), fingerprint(query().execute().iloc[0])
    record, row = found
    return record, fingerprint(row)


def staleness(table: str, built: dict | None, now: dict, words: Mapping[str, str], hint: str) -> str | None:
    """Why `table` cannot be read, in words naming the fix (`hint`); None when every value of `now` is recorded in
    `built` (values kept beside the fingerprint, such as bounds, ride along uncompared)."""
    if built is None:
        return f"{table} was never built (or its last rebuild did not finish); {hint}"
    changed = [k for k in now if built.get(k) != now[k]]
    if not changed:
        return None
    return f"{table} is out of date ({'; '.join(words[k] for k in changed)}); {hint}"


__all__ = ["as_text", "built_and_now", "record_and_row", "recorded", "staleness", "write_in_transaction"]
