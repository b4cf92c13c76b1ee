"""Customers' observed journeys as numbered steps: the one sequence every journey analysis reads.

Paths, the Sankey, funnels, exit rates and churn paths all count from the same numbering, so their
figures agree. Events are ordered by time and, for events at the same instant, by event id (a stable,
engine-independent tie-break). Options say what a step is:

- `unit`: "touchpoint" (default) or "stage" (the journey map's stage of the touchpoint);
- `collapse_repeats`: drop a step that repeats the previous step's node (A, A, B -> A, B);
- `session_gap`: a new session starts after this much inactivity; steps are numbered per session
  (None: one journey per customer).

Computed in the engine with window functions (Ibis), never by pulling all events into Python.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.types as ir

from cxlens.errors import UsageError
from cxlens.query import Scope, events

UNITS = ("touchpoint", "stage")


def steps(store, scope: Scope = Scope(), *, unit: str = "touchpoint", collapse_repeats: bool = False,
          session_gap: timedelta | None = None) -> ir.Table:
    """One row per step: customer_id, session, step (1-based), node, ts, seconds_since_previous, the event
    dimensions (segment, channel, ...), and `last` (whether it is the journey's final step).

    `seconds_since_previous` is NULL on a journey's first step.
    """
    if unit not in UNITS:
        raise UsageError("unit", unit, UNITS)
    if session_gap is not None and session_gap.total_seconds() <= 0:
        raise UsageError("session_gap", session_gap, message="session_gap must be a positive duration")
    e = events(store, scope)
    e = e.mutate(node=e[unit], _epoch=e.ts.epoch_seconds())
    by_customer = ibis.window(group_by=e.customer_id, order_by=[e.ts, e.event_id])
    if session_gap is None:
        e = e.mutate(session=ibis.literal(1))
    else:
        gap = e._epoch - e._epoch.lag().over(by_customer)
        e = e.mutate(_new=ibis.ifelse(gap.isnull() | (gap > session_gap.total_seconds()), 1, 0))
        e = e.mutate(session=e._new.sum().over(ibis.cumulative_window(group_by=e.customer_id, order_by=[e.ts, e.event_id])))
        e = e.drop("_new")
    journey = ibis.window(group_by=[e.customer_id, e.session], order_by=[e.ts, e.event_id])
    if collapse_repeats:
        e = e.mutate(_prev=e.node.lag().over(journey))
        e = e.filter(e._prev.isnull() | (e._prev != e.node)).drop("_prev")
        journey = ibis.window(group_by=[e.customer_id, e.session], order_by=[e.ts, e.event_id])
    e = e.mutate(step=(ibis.row_number().over(journey) + 1).cast("int64"),
                 seconds_since_previous=(e._epoch - e._epoch.lag().over(journey)).cast("float64"),
                 _next=e.event_id.lead().over(journey))
    e = e.mutate(last=e._next.isnull())
    return e.drop("_epoch", "_next")
