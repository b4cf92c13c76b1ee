"""Retention: delete rows older than `[privacy] retention` says, per table (`cxlens retention apply`).

`retention = {events = "24 months", quarantine = "90 days"}` keeps each table's rows whose date column
(`RETENTION_COLUMNS`) is within that period before now. Derived rows follow their source: the text analyses
of deleted responses, tickets and notes go with them, `journey_steps` loses the steps of deleted events and
`ticket_facts` the rows of deleted tickets.
Customers, the journey map and the store's own facts have no retention (a customer leaves by `cxlens
forget`). Deleted rows are then purged from the engine's files, as erasure does.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import pyarrow as pa

from cxlens.errors import ConfigError, StoreError
from cxlens.model import table
from cxlens.privacy.erase import ANALYSED_SOURCES, ANALYSIS_TABLE
from cxlens.store import Store
from cxlens.store.backends import Deletion

# table -> the column whose age decides (outcomes: the VARCHAR month 'YYYY-MM').
RETENTION_COLUMNS: dict[str, str] = {
    "events": "ts", "responses": "ts", "tickets": "opened_at", "notes": "ts", "outcomes": "month",
    "quarantine": "quarantined_at", "loads": "started_at", "erasures": "done_at",
}
# Tables a retention period may not name, and why.
NO_RETENTION: dict[str, str] = {
    "customers": "a customer is removed with `cxlens forget ID`, not by age",
    "touchpoints": "the journey map is the company's vocabulary, not personal data",
    "cxlens_meta": "the store's own facts",
    ANALYSIS_TABLE: "text analyses follow their texts: set a period for responses, tickets or notes",
    "journey_steps": "journey steps follow their events: set a period for events",
    "response_rollup": "the rollup follows its answers: set a period for responses",
    "response_rollup_month": "the rollup follows its answers: set a period for responses",
    "answer_counts": "the answer counts follow their answers: set a period for responses",
    "ticket_facts": "the narrow ticket table follows its tickets: set a period for tickets",
    "value_months": "value linkage's frames are rebuilt from their sources: set periods for outcomes and responses",
    "value_answers": "value linkage's frames are rebuilt from their sources: set periods for outcomes and responses",
    "value_groups": "value linkage's frames are rebuilt from their sources: set periods for outcomes and responses",
}
_PERIOD = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RetentionItem:
    """One table's retention: its period, the column and cutoff, and the rows older than the cutoff."""

    table: str
    period: str
    column: str
    cutoff: str
    rows: int


@dataclass(frozen=True)
class RetentionReport:
    """What `apply_retention` found (dry run) or deleted, per table; `purge` says how the bytes went."""

    items: list[RetentionItem]
    dry_run: bool
    purge: str = ""

    @property
    def total(self) -> int:
        return sum(i.rows for i in self.items)


def parse_period(text: str) -> tuple[int, str]:
    """("24 months") -> (24, "month"); ConfigError naming the accepted forms otherwise."""
    match = _PERIOD.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise ConfigError(f"retention period {text!r} is not understood; write a positive number and a unit: "
                          "\"N days\", \"N weeks\", \"N months\" or \"N years\" (e.g. \"24 months\")")
    return int(match.group(1)), match.group(2).lower()


def cutoff(period: str, now: datetime) -> datetime:
    """The moment `period` before `now`: calendar months and years (31 March - 1 month = 28/29 February)."""
    n, unit = parse_period(period)
    if unit in ("day", "week"):
        return now - timedelta(days=n * (7 if unit == "week" else 1))
    months = n * (12 if unit == "year" else 1)
    total = now.year * 12 + now.month - 1 - months
    year, month = divmod(total, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def check_retention(retention: dict[str, str]) -> None:
    """ConfigError for a table without retention or an unreadable period (before anything is counted)."""
    for name, period in retention.items():
        if name in NO_RETENTION:
            raise ConfigError(f"[privacy] retention names '{name}': {NO_RETENTION[name]}")
        if name not in RETENTION_COLUMNS:
            raise ConfigError(f"[privacy] retention names '{name}', which is not a table with dated rows; use one of "
                              f"{', '.join(sorted(RETENTION_COLUMNS))}")
        parse_period(period)


def apply_retention(store: Store, retention: dict[str, str], now: datetime | None = None,
                    dry_run: bool = False,
                    on_deleted: Callable[[list[Deletion]], list[str]] | None = None) -> RetentionReport:
    """Delete (or, with `dry_run`, count) each configured table's rows older than its period, with the text
    analyses and journey steps derived from them; returns the rows per table. `on_deleted(deletions)` runs after
    the deletion and before the purge (it recomputes aggregates of the deleted rows; returns the tables it rewrote)."""
    check_retention(retention)
    now = now or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    items, deletions = [], []
    for name, period in retention.items():
        if name in store.external_tables or not store.backend.has_table(name):
            continue
        column = RETENTION_COLUMNS[name]
        bound = _bound(name, column, cutoff(period, now))
        t = store.table(name)
        old = t.filter(_older(t, name, column, bound))
        items.append(RetentionItem(name, period, column, bound, int(old.count().execute())))
        deletions.append(Deletion(table(name), column=column, cutoff=bound))
        deletions.extend(_derived(store, name, old, bound))
    if dry_run:
        return RetentionReport(items, True)
    if store.read_only:
        raise StoreError(f"the store {store.url} was opened read-only; retention needs Store.open(..., read_only=False)")
    removed = store.backend.delete_rows(deletions) if any(i.rows for i in items) else {}
    derived_counts = {k: v for k, v in removed.items() if k not in retention}
    items = [RetentionItem(i.table, i.period, i.column, i.cutoff, int(removed.get(i.table, 0))) for i in items]
    items += [RetentionItem(k, "follows its source", "", "", int(v)) for k, v in sorted(derived_counts.items())]
    recomputed = on_deleted(deletions) if on_deleted and any(removed.values()) else []
    purged = sorted({k for k, v in removed.items() if v} | set(recomputed))
    purge = store.backend.purge_deleted(purged) if removed else "nothing deleted"
    return RetentionReport(items, False, purge)


def _bound(name: str, column: str, moment: datetime) -> str:
    if table(name).column(column).type == "VARCHAR":  # outcomes.month 'YYYY-MM': months before the cutoff's month
        return moment.strftime("%Y-%m")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _older(t, name: str, column: str, bound: str):
    if table(name).column(column).type == "VARCHAR":
        return t[column] < bound
    return t[column] < datetime.strptime(bound, "%Y-%m-%d %H:%M:%S")


def _derived(store: Store, name: str, old, bound: str) -> list[Deletion]:
    """Deletions of rows derived from `name`'s old rows: text analyses, journey steps."""
    out = []
    for source, (source_table, id_col) in ANALYSED_SOURCES.items():
        if source_table == name and store.backend.has_table(ANALYSIS_TABLE):
            a = store.table(ANALYSIS_TABLE)
            found = a.filter(a.source == source).semi_join(old.select(source_id=old[id_col]), "source_id")
            keys = store.to_pyarrow(found.select("source", "source_id"))
            out.append(Deletion(table(ANALYSIS_TABLE), keys=keys.cast(pa.schema([("source", pa.string()),
                                                                                  ("source_id", pa.string())]))))
    if name == "events" and store.backend.has_table("journey_steps"):
        out.append(Deletion(table("journey_steps"), column="ts", cutoff=bound))
    if name == "tickets" and store.backend.has_table("ticket_facts"):  # one row per ticket, the same opened_at
        out.append(Deletion(table("ticket_facts"), column="opened_at", cutoff=bound))
    return out


__all__ = ["NO_RETENTION", "RETENTION_COLUMNS", "RetentionItem", "RetentionReport", "apply_retention", "check_retention",
           "cutoff", "parse_period"]
