"""Support tickets as rows every analysis can start from: dimensions, timings and first-contact resolution.

Core layer, beside `query.rows`: ticket outcome metrics (metrics.outcomes) and what moves post-ticket
CSAT (value.drivers) both start here, and analysis packages never import each other.
"""

from __future__ import annotations

import ibis.expr.types as ir

from cxlens.query.dimensions import UNKNOWN
from cxlens.query.rows import filtered, within
from cxlens.query.scope import Scope
from cxlens.store.functions import hours_between

TICKET_DIMENSIONS = ("touchpoint", "stage", "category", "channel", "segment", "region", "language", "plan", "account")


def tickets(store, scope: Scope = Scope()) -> ir.Table:
    """Tickets opened within `scope`'s dates and kept to its filters, with every dimension (channel is
    the ticket's own channel) and timing columns in hours. Not grouped: `scope.by` is the caller's."""
    k = store.table("tickets")
    k = within(k, "opened_at", scope.since, scope.until)
    t, c = store.table("touchpoints"), store.table("customers")
    j = k.left_join(t, k.touchpoint_id == t.touchpoint_id).left_join(c, k.customer_id == c.customer_id)
    dims = {
        "touchpoint": k.touchpoint_id, "stage": t.stage, "category": k.category, "channel": k.channel,
        "segment": c.segment, "region": c.region, "language": c.language, "plan": c.plan, "account": c.account_id,
    }
    cols = {d: v.cast("string").fill_null(UNKNOWN) for d, v in dims.items()}
    resolved = k.resolved_at.notnull()
    reopened = k.reopened.fill_null(False)
    rows = j.select(
        ticket_id=k.ticket_id, customer_id=k.customer_id, touchpoint_id=k.touchpoint_id,
        opened_at=k.opened_at, resolved_at=k.resolved_at, **cols,
        resolved=resolved, reopened=reopened, contacts=k.contacts,
        fcr=resolved & (k.contacts.fill_null(1) == 1) & ~reopened,
        first_response_h=hours_between(k.opened_at, k.first_response_at),
        resolution_h=hours_between(k.opened_at, k.resolved_at),
    )
    return filtered(store, rows, scope, TICKET_DIMENSIONS)
