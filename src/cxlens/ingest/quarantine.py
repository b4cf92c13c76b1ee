"""Read back what was refused, so people can fix the source and load again."""

from __future__ import annotations

import ibis


def quarantined_rows(store, kind: str | None = None, load_id: str | None = None, limit: int | None = 200) -> list[dict]:
    """Quarantined rows, newest load first, in file row order: file, row_number, field, value, reason."""
    t = store.table("quarantine")
    if kind:
        t = t.filter(t.kind == kind)
    if load_id:
        t = t.filter(t.load_id == load_id)
    t = t.order_by([ibis.desc(t.quarantined_at), t.file, t.row_number, t.field])
    if limit:
        t = t.limit(limit)
    cols = ["load_id", "kind", "file", "row_number", "field", "value", "reason"]
    return t.select(cols).to_pyarrow().to_pylist()
