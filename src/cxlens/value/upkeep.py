"""Rebuilding value linkage's stored frames: the one place that knows how each of them is built.

`cxlens.value.stored` keeps the bookkeeping (what the frames reflect, whether they are current); the queries live
with the analyses that read them (`dataset` for the customer-months and answers, `groups` for the per-customer
sums), and this module, above both, hands them to `stored.rebuild` in order (architecture D54).
"""

from __future__ import annotations

from cxlens.value import stored
from cxlens.value.dataset import built_answers, built_months
from cxlens.value.groups import built_customer_groups


def refresh_value(store) -> dict:
    """Rebuild `value_months`, `value_answers` and `value_groups` from the store: what every load of their sources,
    erasure, retention and `cxlens value refresh` run. Returns {table: rows, "seconds": time taken}."""
    return stored.rebuild(store, {
        stored.MONTHS: lambda: built_months(store).order_by(["customer_id", "m"]),  # stored in the order frames read
        stored.ANSWERS: lambda: built_answers(store).order_by(["customer_id", "ts", "response_id"]),
        stored.GROUPS: lambda: built_customer_groups(store),
    })


__all__ = ["refresh_value"]
