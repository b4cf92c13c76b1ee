"""The stored numbering of every journey (`journey_steps`): built once per events load, read by every analysis.

Numbering the steps is a window over all events (partitioned by customer, ordered as `journey.ordering` says):
at 20M events it is most of a journey analysis's run time, and every analysis needed it again (architecture
D23). `refresh_steps` keeps the default numbering (unit touchpoint, repeats kept, no sessions, whole history)
in `journey_steps` and records in `cxlens_meta` which events it reflects: the number of events, their first
and last time, the latest events load and the map's stage order (it breaks ties in time). `journey.steps` reads the table only while that record still
matches the events; otherwise it numbers the events itself (the same answer, slower) and warns, naming
`cxlens journey refresh`. Nothing is ever read from a stale table.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

import ibis
import ibis.expr.types as ir

from cxlens.journey.ordering import journey_order
from cxlens.model import table
from cxlens.store import records
from cxlens.store.records import as_text

log = logging.getLogger(__name__)

TABLE = "journey_steps"
META_KEY = "journey_steps"
# Bump when the numbering rule changes: a table built by an older rule then reads as stale.
NUMBERING = 3  # 2: events at the same instant follow the map's stage order (journey.ordering); 3: first_visit
REFRESH_HINT = "run `cxlens journey refresh -w DIR` (DIR: the workspace folder) to rebuild it"


def fingerprint(store) -> dict:
    """What the events look like now: count, first and last time, and the latest events load (one small query)."""
    e = store.table("events")
    row = e.aggregate(n=e.count(), lo=e.ts.min(), hi=e.ts.max()).execute().iloc[0]
    loads = store.table("loads")
    loads = loads.filter(loads.kind == "events")
    last = loads.order_by([loads.started_at.desc(), loads.load_id.desc()]).limit(1).load_id.execute()
    t = store.table("touchpoints")
    stages = sorted(map(tuple, t.select("touchpoint_id", "stage_order").execute().astype(str).values.tolist()))
    return {"numbering": NUMBERING, "events": int(row.n), "first": as_text(row.lo), "last": as_text(row.hi),
            "load": str(last.iloc[0]) if len(last) else None,
            # the map's stage order breaks ties in time: a reordered map renumbers
            "stages": hashlib.sha1(json.dumps(stages).encode()).hexdigest()[:12]}


def recorded(store) -> dict | None:
    """The fingerprint `journey_steps` was built from, None when it was never built (or the build did not finish)."""
    return records.recorded(store, META_KEY)


def is_current(store) -> bool:
    """Whether `journey_steps` reflects the events as they are now (False, with a warning, when it is stale)."""
    if not store.backend.has_table(TABLE):
        now = fingerprint(store)
        if now["events"]:
            log.warning("journey_steps is missing from this store: journey analyses number all events on every "
                        "call; %s", REFRESH_HINT)
        return False
    built, now = recorded(store), fingerprint(store)
    why = records.staleness(TABLE, built, now, _WORDS, REFRESH_HINT)
    if why is None:
        return True
    if now["events"]:
        log.warning("journey analyses number all events on every call until journey_steps is rebuilt: %s", why)
    return False


_WORDS = {"numbering": "the numbering rule changed", "events": "the number of events changed",
          "first": "the first event's time changed", "last": "the last event's time changed",
          "load": "an events load came after it", "stages": "the journey map's stage order changed"}


def numbering(store) -> ir.Table:
    """The default numbering computed from `events`, with exactly the columns and types of `journey_steps`."""
    e = store.table("events")
    t = store.table("touchpoints")
    e = e.left_join(t.select("touchpoint_id", "stage_order"), "touchpoint_id").drop("touchpoint_id_right")
    epoch = e.ts.epoch_seconds()
    journey = ibis.window(group_by=e.customer_id, order_by=journey_order(e))
    visits = ibis.window(group_by=[e.customer_id, e.touchpoint_id], order_by=journey_order(e))
    cols = {"customer_id": e.customer_id.cast("string"),
            "step": (ibis.row_number().over(journey) + 1).cast("int64"),
            "event_id": e.event_id.cast("string"), "ts": e.ts.cast("timestamp"),
            "touchpoint_id": e.touchpoint_id.cast("string"), "channel": e.channel.cast("string"),
            "seconds_since_previous": (epoch - epoch.lag().over(journey)).cast("float64"),
            "last": e.event_id.lead().over(journey).isnull(),
            "first_visit": ibis.row_number().over(visits) == 0}
    return e.select(**{c: cols[c] for c in table(TABLE).names})


def refresh_steps(store) -> dict:
    """Rebuild `journey_steps` from `events` in the engine and record what it reflects.

    Returns {"rows": steps stored, "seconds": time taken}. The record is removed first and written last, so
    an interrupted rebuild leaves a table that reads as stale, never one that is trusted.
    """
    started = time.perf_counter()
    store.backend.create_table(table(TABLE))  # no-op when present
    store.set_meta(META_KEY, None)
    now = fingerprint(store)
    store.backend.replace_from_query(table(TABLE), numbering(store))
    store.set_meta(META_KEY, json.dumps(now))
    return {"rows": now["events"], "seconds": time.perf_counter() - started}


__all__ = ["TABLE", "fingerprint", "is_current", "numbering", "recorded", "refresh_steps"]
