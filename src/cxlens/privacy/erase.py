"""Erasure: remove every row of some customers from every table the store holds, then make the bytes gone.

Where a customer's rows are is read from the model, never listed here by hand: every table with a customer
key (`Table.customer_key`: the canonical tables and derived ones such as `journey_steps`) loses the rows of
those ids. Two tables hold a customer's data without a customer key, and each has its own finder:

  comment_analysis   rows analysing the customer's texts: (source, source_id) of their responses, tickets, notes
  quarantine         refused source rows whose `raw` JSON holds the id as a value (parsed, so C1 is not C10)

Every other table must be listed in `WITHOUT_CUSTOMER_DATA` with the reason; a table that is in none of
these is refused at run time, and tests/unit/privacy/test_erase_covers_model.py fails, so a table a later
issue adds cannot be missed. All deletions run in one transaction (DuckDB, PostgreSQL; Spark stages every
rewrite, then swaps), then `Backend.purge_deleted` rewrites what a DELETE only marks as free, and an
`erasures` row records that it happened, without any personal data.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

import pyarrow as pa

from cxlens.errors import StoreError, UsageError
from cxlens.model import Table, stored_tables, table
from cxlens.store import Store
from cxlens.store.backends import Deletion

# source of comment_analysis -> (table, id column) of the texts it analyses (as cxlens.text.stored.STORE_SOURCES).
ANALYSED_SOURCES: dict[str, tuple[str, str]] = {
    "survey": ("responses", "response_id"),
    "ticket": ("tickets", "ticket_id"),
    "note": ("notes", "note_id"),
}
ANALYSIS_TABLE = "comment_analysis"
QUARANTINE_TABLE = "quarantine"
QUARANTINE_KEY = ["load_id", "kind", "file", "row_number", "raw"]  # identifies a refused row (NULL matches NULL)
AUDIT_TABLE = "erasures"

# Tables that hold no customer's data, and why: erasure leaves them alone.
WITHOUT_CUSTOMER_DATA: dict[str, str] = {
    "cxlens_meta": "facts about the store (schema version, what journey_steps reflects)",
    "touchpoints": "the journey map, the company's own vocabulary",
    "loads": "which files were loaded and row counts, no row content",
    AUDIT_TABLE: "the erasure audit: dates, requester and counts, no customer identifier",
}
# Tables without a customer key whose customer rows erasure finds another way (see the module docstring).
FOUND_OTHERWISE = (ANALYSIS_TABLE, QUARANTINE_TABLE)
# Aggregates without a customer id that sum customers' rows: the caller's `on_deleted` recomputes the days of the
# erased answers before the purge (Workspace.forget passes cxlens.metrics.rollup's).
RECOMPUTED = {"response_rollup": "sums of answers per day and cell; the days of the erased answers are recomputed",
              "response_rollup_month": "the same sums per month; the months of the erased answers are recomputed"}
# A second column naming a customer, beside the table's customer key: its rows go too (identity resolution's
# best candidate of a record it did not link).
SECOND_CUSTOMER_COLUMNS: dict[str, str] = {"identity_links": "candidate_customer_id"}


@dataclass(frozen=True)
class ErasureReport:
    """What `forget` did: rows removed per table, how the bytes were purged, and the audit row's id."""

    erasure_id: str
    customers: int
    rows_removed: dict[str, int]
    purge: str
    requested_at: datetime
    done_at: datetime
    external: list[str] = field(default_factory=list)  # tables read in place: not erased here (their pipeline owns them)

    @property
    def total(self) -> int:
        return sum(self.rows_removed.values())


def customer_tables() -> list[Table]:
    """The stored tables with a customer key: erasure deletes from each the rows whose key is an erased id."""
    return [t for t in stored_tables() if t.customer_key]


def unhandled_tables() -> list[str]:
    """Stored tables erasure would not know how to search (no customer key, no finder, not declared free of
    customer data); must be empty (`forget` refuses to run otherwise)."""
    return [t.name for t in stored_tables()
            if not t.customer_key and t.name not in FOUND_OTHERWISE and t.name not in WITHOUT_CUSTOMER_DATA
            and t.name not in RECOMPUTED]


def clean_ids(customer_ids: Iterable[str]) -> list[str]:
    """The ids, stripped, empty ones dropped, each once, in the order given; UsageError when none is left."""
    ids = list(dict.fromkeys(str(i).strip() for i in customer_ids if str(i).strip()))
    if not ids:
        raise UsageError("customer_ids", "", message="customer_ids: no customer id given; name at least one "
                                                     "(or a file with one id per line)")
    return ids


def analysis_rows(store: Store, ids: list[str]) -> pa.Table | None:
    """The `comment_analysis` rows of the customers' responses, tickets and notes (None: no such table)."""
    if not _present(store, ANALYSIS_TABLE):
        return None
    analyses = store.table(ANALYSIS_TABLE)
    parts = []
    for source, (name, id_col) in ANALYSED_SOURCES.items():
        if not _present(store, name):
            continue
        texts = store.table(name)
        mine = texts.filter(texts[table(name).customer_key].isin(ids)).select(source_id=texts[id_col])
        found = analyses.filter(analyses.source == source).semi_join(mine, "source_id")
        parts.append(store.to_pyarrow(found))
    return pa.concat_tables(parts) if parts else None


def quarantine_rows(store: Store, ids: list[str]) -> pa.Table | None:
    """Quarantined source rows holding one of the ids as a value of their `raw` JSON (None: no such table).

    The engine narrows the rows to those whose text contains an id; each is then parsed, so id C1 does not
    match a row of C10. A `raw` that is not a JSON object falls back to the id as a whole token of the text.
    """
    if not _present(store, QUARANTINE_TABLE):
        return None
    q = store.table(QUARANTINE_TABLE)
    candidates = store.to_pyarrow(q.filter(_any_contains(q.raw, ids)))
    wanted = set(ids)
    keep = [_holds_id(raw, wanted) for raw in candidates.column("raw").to_pylist()]
    return candidates.filter(pa.array(keep, pa.bool_()))


def forget(store: Store, customer_ids: Iterable[str], by: str,
           on_deleted: Callable[[list[Deletion]], list[str]] | None = None) -> ErasureReport:
    """Remove every row of these customers from every table of `store`, make the bytes physically gone and
    record the erasure in `erasures`; returns rows removed per table.

    Why one would call it: a data subject's erasure request (GDPR art. 17). Ids unknown to the store remove
    nothing and are not an error (a repeated request is answered the same way). Tables read in place from a
    lake (external tables) are not changed: the report names them, their own pipeline must erase there.
    `on_deleted(deletions)` runs after the rows are deleted and before the purge: it recomputes aggregates that
    summed them (`RECOMPUTED`) and returns the tables it rewrote, purged with the others.
    """
    if store.read_only:
        raise StoreError(f"the store {store.url} was opened read-only; erasure needs Store.open(..., read_only=False)")
    missing = unhandled_tables()
    if missing:
        raise StoreError(f"erasure does not know where tables {missing} keep a customer's rows: declare their customer "
                         "key in the model (cxlens.model), or list them in cxlens.privacy.erase.WITHOUT_CUSTOMER_DATA")
    ids = clean_ids(customer_ids)
    requested_at = _utc_now()
    external = sorted(t for t in store.external_tables if t not in WITHOUT_CUSTOMER_DATA)
    deletions = erasure_plan(store, ids)
    removed = store.backend.delete_rows(deletions) if deletions else {}
    removed = {d.table.name: int(removed.get(d.table.name, 0)) for d in deletions}
    recomputed = on_deleted(deletions) if on_deleted else []
    purge = store.backend.purge_deleted(sorted(set(removed) | set(recomputed)))
    done_at = _utc_now()
    erasure_id = uuid.uuid4().hex[:12]
    store.write_keyed(AUDIT_TABLE, ["erasure_id"], pa.table({
        "erasure_id": [erasure_id], "requested_at": [requested_at], "done_at": [done_at], "requested_by": [by],
        "customer_count": pa.array([len(ids)], pa.int64()), "rows_removed": [json.dumps(removed, sort_keys=True)],
    }))
    return ErasureReport(erasure_id, len(ids), removed, purge, requested_at, done_at, external)


def erasure_plan(store: Store, ids: list[str]) -> list[Deletion]:
    """One Deletion per table holding rows of `ids`; derived rows (text analyses) come before the rows they
    were derived from, so a failure part-way never leaves an analysis whose text is already gone."""
    plan: list[Deletion] = []
    analyses = analysis_rows(store, ids)
    if analyses is not None:
        plan.append(Deletion(table(ANALYSIS_TABLE), keys=analyses.select(["source", "source_id"])))
    refused = quarantine_rows(store, ids)
    if refused is not None:
        plan.append(Deletion(table(QUARANTINE_TABLE), keys=refused.select(QUARANTINE_KEY)))
    for name, column in SECOND_CUSTOMER_COLUMNS.items():
        if _present(store, name):
            plan.append(Deletion(table(name), keys=pa.table({column: pa.array(ids, pa.string())})))
    keyed = sorted(customer_tables(), key=lambda t: t.name == "customers")  # customers last: children first
    for t in keyed:
        if _present(store, t.name):
            plan.append(Deletion(t, keys=pa.table({t.customer_key: pa.array(ids, pa.string())})))
    return plan


def _present(store: Store, name: str) -> bool:
    return name not in store.external_tables and store.backend.has_table(name)


def _any_contains(column, ids: list[str]):
    condition = column.contains(ids[0])
    for value in ids[1:]:
        condition = condition | column.contains(value)
    return condition


def _holds_id(raw: str | None, ids: set[str]) -> bool:
    if raw is None:
        return False
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return any(_value_text(v) in ids for v in _values(parsed))
    return any(re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", raw) for i in ids)


def _values(value):
    """Every scalar of a JSON value (nested objects and lists included)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _values(v)
    else:
        yield value


def _value_text(value) -> str:
    return "" if value is None else str(value).strip()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


__all__ = ["ANALYSED_SOURCES", "ErasureReport", "WITHOUT_CUSTOMER_DATA", "analysis_rows", "clean_ids",
           "customer_tables", "erasure_plan", "forget", "quarantine_rows", "unhandled_tables"]
