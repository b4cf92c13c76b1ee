"""Write the journey map's touchpoints into the store, so loads can check touchpoint ids against it.

A touchpoint that leaves journey.yaml while stored rows still reference it would orphan them silently (they show as
`(unknown)` and leave the scorecard), so the sync refuses that unless told (`allow_orphans`).
"""

from __future__ import annotations

import pyarrow as pa

from cxlens.errors import ConfigError
from cxlens.model import TABLES
from cxlens.model.journey import JourneyMap

TOUCHPOINT_REF = "touchpoints.touchpoint_id"


def sync_journey(store, journey: JourneyMap, allow_orphans: bool = False) -> int:
    """Replace the `touchpoints` table with the map's rows (one transaction); returns how many.

    Refused (ConfigError naming each touchpoint and its stored rows) when the map drops a touchpoint that stored
    rows reference, unless `allow_orphans`: then those rows keep their id and read as `(unknown)`.
    """
    if not allow_orphans:
        orphans = orphaned_references(store, journey)
        if orphans:
            raise ConfigError(orphans_message(orphans))
    rows = journey.rows()
    names = TABLES["touchpoints"].names
    arrow = pa.Table.from_pylist(rows).select(list(names))
    store.replace_rows("touchpoints", arrow)
    return len(rows)


def orphaned_references(store, journey: JourneyMap) -> dict[str, dict[str, int]]:
    """Touchpoints in the store that `journey` no longer lists, with the stored rows referencing each:
    {touchpoint_id: {table: rows}} (touchpoints no row references are left out; {} when nothing would be orphaned)."""
    listed = {t.id for t in journey.touchpoints}
    stored = store.table("touchpoints").touchpoint_id.execute()
    gone = sorted(set(stored.dropna()) - listed)
    if not gone:
        return {}
    out: dict[str, dict[str, int]] = {}
    for name, table in TABLES.items():
        for column in (c.name for c in table.columns if c.references == TOUCHPOINT_REF):
            t = store.table(name)
            t = t.filter(t[column].isin(gone))
            counts = t.group_by(column).aggregate(rows=t.count()).execute()
            for tp, n in zip(counts[column], counts["rows"]):
                out.setdefault(str(tp), {})[name] = int(n)
    return {tp: out[tp] for tp in sorted(out)}


def describe_orphans(orphans: dict[str, dict[str, int]]) -> str:
    """`call (12 responses, 5 tickets), shop (3 events)`: each touchpoint with its stored rows."""
    return ", ".join(f"{tp} ({', '.join(f'{n} {table}' for table, n in tables.items())})" for tp, tables in orphans.items())


def orphans_message(orphans: dict[str, dict[str, int]]) -> str:
    """Why a sync was refused and the three ways on, in one line."""
    return (f"journey.yaml no longer lists {len(orphans)} touchpoint(s) that stored rows reference: {describe_orphans(orphans)}. "
            "Without them those rows show as (unknown) and leave the scorecard. Restore the touchpoint(s) in journey.yaml; "
            "to rename one, keep the old id listed until its rows are loaded again under the new id (a mapping's "
            "`values:` can rename it); or load with --allow-orphans (allow_orphans=True) to accept it.")
