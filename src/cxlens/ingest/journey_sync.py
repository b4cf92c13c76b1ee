"""Write the journey map's touchpoints into the store, so loads can check touchpoint ids against it."""

from __future__ import annotations

import pyarrow as pa

from cxlens.journey import JourneyMap
from cxlens.model import TABLES


def sync_journey(store, journey: JourneyMap) -> int:
    """Replace the `touchpoints` table with the map's rows (one transaction); returns how many."""
    rows = journey.rows()
    names = TABLES["touchpoints"].names
    arrow = pa.Table.from_pylist(rows).select(list(names))
    if store.engine != "duckdb":
        from cxlens.store.writers import replace_rows

        replace_rows(store, "touchpoints", arrow)
        return len(rows)
    con = store.duckdb
    con.register("_cx_touchpoints", arrow)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM touchpoints")
        con.execute(f"INSERT INTO touchpoints SELECT {', '.join(names)} FROM _cx_touchpoints")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_cx_touchpoints")
    return len(rows)
