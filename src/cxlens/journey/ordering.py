"""The order of a customer's events: time, then the journey map's stage order, then event id.

Exports often stamp two events with the same instant (a conversion logged with the impression that led
to it, a ticket opened at the second of the call). Time alone leaves their order to chance; the map says
awareness comes before purchase, so events at the same instant follow the map's stage order, and the event
id breaks the remaining ties so every engine numbers the same way.
"""

from __future__ import annotations

import ibis.expr.types as ir

# A touchpoint missing from the map (orphaned events) sorts after every stage, on every engine (engines
# disagree on where NULLs sort).
UNMAPPED_STAGE = 1_000_000


def journey_order(rows: ir.Table) -> list[ir.Column]:
    """Sort keys for `rows` (with ts, stage_order and event_id): time, the map's stage order, event id."""
    return [rows.ts, rows.stage_order.fill_null(UNMAPPED_STAGE), rows.event_id]
