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
# Ticket dimensions that are the customer's attributes: the customers table's column for each.
_CUSTOMER_COLUMNS = {"segment": "segment", "region": "region", "language": "language", "plan": "plan",
                     "account": "account_id"}


def tickets(store, scope: Scope = Scope(), dimensions: tuple[str, ...] | None = None) -> ir.Table:
    """Tickets opened within `scope`'s dates and kept to its filters, with every dimension (channel is
    the ticket's own channel) and timing columns in hours. Not grouped: `scope.by` is the caller's.
    `dimensions`: only these (and the filters') dimension columns, joining only the tables they need (the
    engine keeps an unread LEFT JOIN: 100k customers joined to 2M tickets for nothing); None: all."""
    k = store.table("tickets")
    k = within(k, "opened_at", scope.since, scope.until)
    wanted = set(TICKET_DIMENSIONS if dimensions is None else (*dimensions, *scope.filters))
    j, dims = k, {"touchpoint": k.touchpoint_id, "category": k.category, "channel": k.channel}
    if "stage" in wanted:
        t = store.table("touchpoints")
        j = j.left_join(t, k.touchpoint_id == t.touchpoint_id)
        dims["stage"] = t.stage
    if wanted & set(_CUSTOMER_COLUMNS):
        c = store.table("customers")
        j = j.left_join(c, k.customer_id == c.customer_id)
        dims.update({d: c[col] for d, col in _CUSTOMER_COLUMNS.items()})
    cols = {d: dims[d].cast("string").fill_null(UNKNOWN) for d in TICKET_DIMENSIONS if d in wanted and d in dims}
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
