"""Customers' observed journeys as numbered steps: the one sequence every journey analysis reads.

Paths, the Sankey, funnels, exit rates and churn paths all count from the same numbering, so their
figures agree. Events are ordered by time, events at the same instant by the journey map's stage order and
then by event id (`journey.ordering`: stable on every engine). Options say what a step is:

- `unit`: "touchpoint" (default) or "stage" (the journey map's stage of the touchpoint);
- `collapse_repeats`: drop a step that repeats the previous step's node (A, A, B -> A, B);
- `session_gap`: a new session starts after this much inactivity; steps are numbered per session
  (None: one journey per customer).

Computed in the engine with window functions (Ibis), never by pulling all events into Python. With the
default options, no dates and only customer filters, the numbering is read from the stored `journey_steps`
(kept by every events load, see `journey.stored`) when it is current: the same rows without sorting all
events again. Dates and touchpoint/stage/channel filters drop events before numbering, so they renumber.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Sequence

import ibis
import ibis.expr.types as ir

from cxlens.errors import UsageError
from cxlens.journey import stored
from cxlens.journey.ordering import journey_order
from cxlens.query import Scope, events

UNITS = ("touchpoint", "stage")
# Filters that drop events (not whole customers) before numbering: the stored numbering does not apply.
EVENT_LEVEL = ("touchpoint", "stage", "channel")


def steps(store, scope: Scope = Scope(), *, unit: str = "touchpoint", collapse_repeats: bool = False,
          session_gap: timedelta | None = None, dimensions: Sequence[str] | None = None) -> ir.Table:
    """One row per step: customer_id, session, step (1-based), node, ts, seconds_since_previous, the event
    dimensions (segment, channel, ...), `last` (whether it is the journey's final step) and `first_visit`
    (whether it is the journey's first step at this node).

    `seconds_since_previous` is NULL on a journey's first step. `dimensions`: only these dimensions (plus
    `unit` and the filtered ones; None: all), for analyses that read few of them: the engine then neither
    joins nor carries the others through its windows.
    """
    if unit not in UNITS:
        raise UsageError("unit", unit, UNITS)
    if session_gap is not None and session_gap.total_seconds() <= 0:
        raise UsageError("session_gap", session_gap, message="session_gap must be a positive duration")
    dimensions = None if dimensions is None else [*dimensions, unit]
    if _stored_applies(scope, unit, collapse_repeats, session_gap) and stored.is_current(store):
        return _from_stored(store, scope, dimensions)
    e = events(store, scope, dimensions=dimensions)
    e = e.mutate(node=e[unit], _epoch=e.ts.epoch_seconds())
    by_customer = ibis.window(group_by=e.customer_id, order_by=journey_order(e))
    if session_gap is None:
        e = e.mutate(session=ibis.literal(1))
    else:
        gap = e._epoch - e._epoch.lag().over(by_customer)
        e = e.mutate(_new=ibis.ifelse(gap.isnull() | (gap > session_gap.total_seconds()), 1, 0))
        e = e.mutate(session=e._new.sum().over(ibis.cumulative_window(group_by=e.customer_id, order_by=journey_order(e))))
        e = e.drop("_new")
    journey = ibis.window(group_by=[e.customer_id, e.session], order_by=journey_order(e))
    if collapse_repeats:
        e = e.mutate(_prev=e.node.lag().over(journey))
        e = e.filter(e._prev.isnull() | (e._prev != e.node)).drop("_prev")
        journey = ibis.window(group_by=[e.customer_id, e.session], order_by=journey_order(e))
    visits = ibis.window(group_by=[e.customer_id, e.session, e.node], order_by=journey_order(e))
    e = e.mutate(step=(ibis.row_number().over(journey) + 1).cast("int64"),
                 seconds_since_previous=(e._epoch - e._epoch.lag().over(journey)).cast("float64"),
                 _next=e.event_id.lead().over(journey), first_visit=ibis.row_number().over(visits) == 0)
    e = e.mutate(last=e._next.isnull())
    return e.drop("_epoch", "_next").relocate("first_visit", after="last")


def _stored_applies(scope: Scope, unit: str, collapse_repeats: bool, session_gap: timedelta | None) -> bool:
    """Whether the stored default numbering is this call's numbering: default options, the whole history, and
    filters that keep or drop whole customers (a customer's numbering does not depend on other customers)."""
    return (unit == "touchpoint" and not collapse_repeats and session_gap is None and scope.since is None
            and scope.until is None and not any(d in scope.filters for d in EVENT_LEVEL))


def _from_stored(store, scope: Scope, dimensions: Sequence[str] | None) -> ir.Table:
    """`steps` read from `journey_steps`: joined to touchpoints and customers like `events`, same columns."""
    kept = ("step", "seconds_since_previous", "last", "first_visit")
    e = events(store, scope, source=store.table(stored.TABLE), keep=kept, dimensions=dimensions)
    e = e.mutate(node=e.touchpoint, session=ibis.literal(1))
    return e.select(*[c for c in e.columns if c not in kept], *kept)
