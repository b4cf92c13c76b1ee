"""Value linkage's frames kept in the store (`value_months`, `value_answers`, `value_groups`): built once per change,
read per call.

Joining two years of monthly outcomes to every answer is most of `cxlens value`'s time, and every part (groups,
survival, scenario, trend, risk, the report) needed it again (architecture D54, like `journey_steps` in D23). So
the store keeps the default frames (the map's relationship touchpoint, horizons 12 and 24, the whole history,
every customer) after every load of customers, outcomes, responses or tickets, after erasure and retention
(`cxlens.value.upkeep.refresh_value`), and `rebuild` records in `cxlens_meta` what they reflect: per source table
its rows and latest load, and the map's touchpoints. `cxlens.value.dataset` and `cxlens.value.groups` read them
only while that record matches the store; otherwise they compute their frames themselves (the same rows, slower)
and warn, naming `cxlens value refresh`. Nothing is ever read from a stale table.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Callable, Iterable

import ibis.expr.types as ir

from cxlens.model import table
from cxlens.store import records

log = logging.getLogger(__name__)

MONTHS, ANSWERS, GROUPS = "value_months", "value_answers", "value_groups"
TABLES = (MONTHS, ANSWERS, GROUPS)  # in build order: value_groups sums the stored value_answers
META_KEY = "value_frames"
SOURCES = ("customers", "outcomes", "responses", "tickets")
STORED_HORIZONS = (12, 24)
# Bump when a frame's rule changes: tables built by an older rule then read as stale.
VERSION = 1
REFRESH_HINT = "run `cxlens value refresh -w DIR` (DIR: the workspace folder) to rebuild them"


def fingerprint(store) -> dict:
    """What the value frames' sources look like now: rows and latest load of each, and the map's touchpoints (they
    decide which answers are relationship answers)."""
    loads = store.table("loads")
    loads = loads.filter(loads.kind.isin(SOURCES))
    latest = loads.group_by("kind").aggregate(last=loads.started_at.max().cast("string"), loads=loads.count()).execute()
    last = {r.kind: [r.last, int(r.loads)] for r in latest.itertuples()}
    rows = {name: int(store.table(name).count().execute()) for name in SOURCES}
    touchpoints = sorted(store.table("touchpoints").select("touchpoint_id").execute().touchpoint_id.astype(str))
    return {"version": VERSION, "rows": rows, "loads": {k: last.get(k) for k in SOURCES},
            "touchpoints": hashlib.sha1(json.dumps(touchpoints).encode()).hexdigest()[:12]}


def recorded(store) -> dict | None:
    """The fingerprint the stored frames were built from; None when never built (or the build did not finish)."""
    return records.recorded(store, META_KEY)


def is_current(store) -> bool:
    """Whether the stored frames (`TABLES`) reflect the store as it is now (False, with a warning, when stale)."""
    if not all(store.backend.has_table(name) for name in TABLES):
        return False
    built = recorded(store)
    now = fingerprint(store)
    if built == now:
        return True
    if now["rows"]["outcomes"]:
        what = "were never built" if built is None else "are out of date"
        log.warning("value_months, value_answers and value_groups %s: value linkage joins the outcomes to every answer on each "
                    "call until they are rebuilt; %s", what, REFRESH_HINT)
    return False


def rebuild(store, builds: dict[str, Callable[[], ir.Table]]) -> dict:
    """Replace each of `TABLES` with the rows of its query (`builds[name]()`, built in `TABLES` order, so a later
    query may read an earlier table: `cxlens.value.upkeep.refresh_value` passes them) and record what they reflect.

    Returns {table: rows, "seconds": time taken}. The record is removed first and written last, so an interrupted
    rebuild leaves tables that read as stale, never ones that are trusted.
    """
    started = time.perf_counter()
    for name in TABLES:
        store.backend.create_table(table(name))  # no-op when present
    store.set_meta(META_KEY, None)
    now = fingerprint(store)
    for name in TABLES:
        store.backend.replace_from_query(table(name), builds[name]())
    store.set_meta(META_KEY, json.dumps(now))
    counts = {name: int(store.table(name).count().execute()) for name in TABLES}
    return {**counts, "seconds": time.perf_counter() - started}


def wants_refresh(store, changed: Iterable[str]) -> bool:
    """Whether a change of the tables `changed` (a load's kind, an erasure's or retention's tables) should rebuild
    the frames: a source changed and there are outcomes to link."""
    return bool(set(changed) & set(SOURCES)) and bool(store.table("outcomes").count().execute())


__all__ = ["ANSWERS", "GROUPS", "MONTHS", "SOURCES", "STORED_HORIZONS", "TABLES", "fingerprint", "is_current", "rebuild",
           "recorded", "wants_refresh"]
