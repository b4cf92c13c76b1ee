"""Write the journey map's touchpoints into the store, so loads can check touchpoint ids against it."""

from __future__ import annotations

import pyarrow as pa

from cxlens.model.journey import JourneyMap
from cxlens.model import TABLES


def sync_journey(store, journey: JourneyMap) -> int:
    """Replace the `touchpoints` table with the map's rows (one transaction); returns how many."""
    rows = journey.rows()
    names = TABLES["touchpoints"].names
    arrow = pa.Table.from_pylist(rows).select(list(names))
    store.replace_rows("touchpoints", arrow)
    return len(rows)
