"""Everything about one customer, for a person to read: their row of the customer view, then their answers,
tickets, journey (events in time order) and comments (survey comments, ticket descriptions and notes with the
stored text analysis: sentiment and themes).

The lists come from the access-request export (`privacy.export.customer_record`), so this shows the rows an
access request would show and an erasure would remove, grouped for reading instead of by table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxlens.errors import UsageError
from cxlens.people.customer_view import customer_view, typed_view
from cxlens.privacy.export import customer_record as export_record
from cxlens.query import Scope

_TEXTS = {"survey": ("responses", "response_id", "comment", "ts"), "ticket": ("tickets", "ticket_id", "description", "opened_at"),
          "note": ("notes", "note_id", "text", "ts")}


def view_row(store, customer_id: str, scope: Scope = Scope()) -> dict[str, Any]:
    """The customer's row of the customer view as a dict (NaN and missing values as None); UsageError for an
    unknown id."""
    cid = str(customer_id).strip()
    expr = customer_view(store, scope)
    df = typed_view(store.execute(expr.filter(expr.customer_id == cid)), list(expr.columns))
    if df.empty:
        raise UsageError("customer_id", cid, message=f"customer {cid!r} is not in the store (customer ids are "
                                                     "matched exactly, as loaded; `cxlens customers` lists them)")
    return {k: _plain(v) for k, v in df.iloc[0].items()}


def customer_record(store, customer_id: str) -> dict[str, Any]:
    """The customer's view row ("view") and their "answers", "tickets", "journey" (events with stage and channel, in
    time order) and "comments" (each text with its source, id, time, sentiment and themes), as JSON-ready lists.

    Raises UsageError when the customer is not in the store."""
    view = view_row(store, customer_id)
    cid = view["customer_id"]
    tables = export_record(store, cid)["tables"]
    rows = {name: t["rows"] for name, t in tables.items()}
    answers = sorted(rows.get("responses", []), key=lambda r: (str(r.get("ts")), str(r.get("response_id"))))
    tickets = sorted(rows.get("tickets", []), key=lambda r: (str(r.get("opened_at")), str(r.get("ticket_id"))))
    return {"customer_id": cid, "view": view,
            "answers": [{k: r.get(k) for k in ("ts", "touchpoint_id", "metric", "aspect", "score", "comment")} | {"response_id": r.get("response_id")}
                        for r in answers],
            "tickets": [{k: r.get(k) for k in ("ticket_id", "opened_at", "resolved_at", "category", "channel", "touchpoint_id",
                                                "contacts", "reopened")} for r in tickets],
            "journey": _journey(store, rows.get("events", [])),
            "comments": _comments(rows)}


def _journey(store, events: list[dict]) -> list[dict]:
    t = store.execute(store.table("touchpoints").select("touchpoint_id", "stage", "stage_order", "channel"))
    tps = {r.touchpoint_id: r for r in t.itertuples()}
    out = []
    for e in events:
        tp = tps.get(e.get("touchpoint_id"))
        out.append({"ts": e.get("ts"), "touchpoint_id": e.get("touchpoint_id"), "stage": None if tp is None else tp.stage,
                    "channel": e.get("channel") or (None if tp is None else tp.channel), "event_id": e.get("event_id"),
                    "_order": -1 if tp is None or pd.isna(tp.stage_order) else int(tp.stage_order)})
    out.sort(key=lambda e: (str(e["ts"]), e["_order"], str(e["event_id"])))
    return [{k: v for k, v in e.items() if k != "_order"} for e in out]


def _comments(rows: dict[str, list[dict]]) -> list[dict]:
    analyses = {(a.get("source"), str(a.get("source_id"))): a for a in rows.get("comment_analysis", [])}
    out = []
    for source, (table, id_col, text_col, ts_col) in _TEXTS.items():
        for r in rows.get(table, []):
            text = r.get(text_col)
            if not isinstance(text, str) or not text.strip():
                continue
            a = analyses.get((source, str(r.get(id_col))), {})
            out.append({"ts": r.get(ts_col), "source": source, "id": r.get(id_col), "text": text,
                        "sentiment": a.get("sentiment"), "themes": _themes(a.get("themes"))})
    return sorted(out, key=lambda c: (str(c["ts"]), c["source"], str(c["id"])))


def _themes(value: Any) -> list[str]:
    return [x for x in value.split(";") if x] if isinstance(value, str) else []


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


__all__ = ["customer_record", "view_row"]
