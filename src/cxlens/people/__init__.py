"""The customer view: one row per customer joining who they are, behaviour, experience, value, needs and persona
(`customer_view`, `customer_view_frame`), and everything about one customer (`customer_record`).

Analyses layer: imports query, privacy, store and errors, never another analysis package.
"""

from cxlens.people.customer_view import customer_view, customer_view_frame, view_columns
from cxlens.people.record import customer_record

__all__ = ["customer_record", "customer_view", "customer_view_frame", "view_columns"]
