"""Access requests: everything the store holds about one customer, as a JSON document a person can read
(`cxlens export-customer ID --out FILE.json`).

The document is grouped by table, each with the model's description of the table and of every column, then
the rows. It finds the customer's rows exactly where erasure would delete them (:mod:`cxlens.privacy.erase`):
every table with a customer key, the text analyses of their texts and their refused rows in quarantine, so
what an access request shows is what an erasure request removes.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from cxlens.model import table
from cxlens.privacy.erase import ANALYSIS_TABLE, QUARANTINE_TABLE, analysis_rows, clean_ids, customer_tables, quarantine_rows
from cxlens.store import Store

FORMAT = "cxlens customer export 1"


def customer_record(store: Store, customer_id: str) -> dict[str, Any]:
    """Every stored row about `customer_id`, grouped by table with the model's descriptions; JSON-ready.

    Tables holding nothing about the customer are listed with no rows, so the reader sees they were searched.
    """
    [customer] = clean_ids([customer_id])
    found: dict[str, pa.Table | None] = {}
    for t in customer_tables():
        if t.name in store.external_tables or not store.backend.has_table(t.name):
            continue
        rows = store.table(t.name)
        found[t.name] = store.to_pyarrow(rows.filter(rows[t.customer_key] == customer))
    found[ANALYSIS_TABLE] = analysis_rows(store, [customer])
    found[QUARANTINE_TABLE] = quarantine_rows(store, [customer])
    tables = {}
    for name, rows in found.items():
        if rows is None:
            continue
        model = table(name)
        tables[name] = {
            "description": model.doc,
            "columns": {c.name: c.doc for c in model.columns},
            "rows": [{k: _plain(v) for k, v in row.items()} for row in rows.to_pylist()],
        }
    return {
        "format": FORMAT,
        "customer_id": customer,
        "exported_at": datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat(sep=" "),
        "store": store.engine,
        "rows": {name: len(t["rows"]) for name, t in tables.items()},
        "tables": tables,
        "not_searched": sorted(store.external_tables),
    }


def export_customer(store: Store, customer_id: str, out: str | Path) -> dict[str, Any]:
    """Write `customer_record` to `out` as indented UTF-8 JSON; returns the record (rows per table in "rows")."""
    record = customer_record(store, customer_id)
    Path(out).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return record


def _plain(value: Any) -> Any:
    """JSON value of a stored value: times as ISO text, JSON text columns (attributes, targets, raw) parsed."""
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


__all__ = ["FORMAT", "customer_record", "export_customer"]
