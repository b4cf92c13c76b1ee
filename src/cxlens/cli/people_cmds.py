"""Commands: `cxlens customer ID` (one customer's view, answers, tickets, journey and comments) and `cxlens customers`
(the customer view of everyone, as a table, JSON, CSV or a Parquet/CSV file). docs/people.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, app, handles_errors, render, require, say
from cxlens.cli.metrics_cmds import FilterOpt, SinceOpt, UntilOpt, parse_scope
from cxlens.errors import UsageError

# The view's columns grouped for reading one customer (columns of the map's stages go with behaviour).
GROUPS = {
    "who": ("customer_id", "segment", "region", "language", "plan", "account_id", "age", "tenure_months"),
    "behaviour": ("events", "channels_used", "top_channel", "digital_share", "plan_changes"),
    "experience": ("responses", "nps_latest", "nps_group", "nps_trend", "csat_mean", "ces_mean", "tickets",
                   "tickets_unresolved", "tickets_per_month"),
    "value": ("revenue_month", "cost_to_serve_month", "active"),
    "needs": ("top_theme", "themes", "relationship_comments", "relationship_themes"),
    "persona": ("persona_id", "persona"),
}
HEAD_ROWS = 20
OUT_SUFFIXES = (".parquet", ".csv")
# Left out of the terminal table of `cxlens customers` (kept in JSON, CSV and files) so it fits a window.
_LIST_COLUMNS = ("customer_id", "segment", "events", "nps_latest", "revenue_month", "top_theme", "persona")


def grouped(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The view row as (group, field, value) records, in the groups' order; stage counts go under behaviour."""
    stages = [c for c in view if c.startswith("events_")]
    rows = []
    for group, columns in GROUPS.items():
        cols = list(columns)
        if group == "behaviour":
            cols = ["events", *stages, *cols[1:]]
        for c in cols:
            if c in view:
                rows.append({"group": group, "field": c, "value": _shown(view[c])})
    return rows


def _shown(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    return "" if value is None else value


@app.command("customer")
@handles_errors
def customer_cmd(customer_id: Annotated[str, typer.Argument(help="The customer to show (the id as loaded).")],
                 fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """One customer: who, behaviour, experience, value, needs and persona, then answers, tickets, journey and comments.

    The comments carry the themes and sentiment stored by `cxlens text analyze`."""
    if fmt == "csv":
        raise UsageError("format", fmt, ["table", "json"], message="--format csv: one customer is a nested record; use table or json")
    record = _with_customers(workspace).customer(customer_id)
    if fmt == "json":
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=1, default=str) + "\n")
        return
    render(grouped(record["view"]), "table", title=f"Customer {record['customer_id']}")
    _section(record["answers"], f"Answers ({len(record['answers'])})", ["ts", "touchpoint_id", "metric", "aspect", "score"])
    _section(record["tickets"], f"Tickets ({len(record['tickets'])})",
             ["opened_at", "resolved_at", "category", "channel", "touchpoint_id", "contacts"])
    _section(record["journey"], f"Journey ({len(record['journey'])} events)", ["ts", "stage", "touchpoint_id", "channel"])
    _section([c | {"themes": ", ".join(c["themes"])} for c in record["comments"]], f"Comments ({len(record['comments'])})",
             ["ts", "source", "sentiment", "themes", "text"])


def _with_customers(workspace: Path):
    """The workspace, once its store is known to hold customers (else one `nothing to show` line, exit 3)."""
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "customers")
    return ws


def _section(rows: list[dict], title: str, columns: list[str]) -> None:
    if rows:
        render(rows, "table", title=title, columns=columns)
    else:
        say(f"{title}: none.")


@app.command("customers")
@handles_errors
def customers_cmd(out: Annotated[Path | None, typer.Option("--out", "-o", help="Write every row to this file (*.parquet or *.csv).")] = None,
                  since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                  fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """The customer view: one row per customer (who, behaviour, experience, value, needs, persona); --out FILE exports it.

    Behaviour per journey stage and channel, experience (NPS, CSAT, CES, tickets), value (revenue, cost to serve,
    active), themes and persona. A per-customer export: run it only where people may see customer-level data
    (docs/people.md)."""

    scope = parse_scope("", None, since, until, filter)
    if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
        raise UsageError("out", str(out), message=f"--out {out}: name a *.parquet or *.csv file")
    if out is not None and not out.parent.is_dir():
        raise UsageError("out", str(out), message=f"--out {out}: the folder {out.parent} does not exist")
    frame = _with_customers(workspace).customer_view(scope)
    if out is not None:
        if out.suffix.lower() == ".parquet":
            frame.to_parquet(out, index=False)
        else:
            frame.to_csv(out, index=False)
        say(f"Wrote {len(frame):,} customers ({len(frame.columns)} columns) to ", (str(out), "bold"), ".")
        return
    if fmt == "table":
        columns = [c for c in _LIST_COLUMNS if c in frame.columns]
        head = frame.head(HEAD_ROWS)
        render(head.to_dict(orient="records"), "table", title=f"Customer view: {len(frame):,} customers",
               columns=columns, notes=[f"First {len(head):,} of {len(frame):,} rows and {len(columns)} of {len(frame.columns)} "
                                       "columns; every row and column: --format json or csv, or --out FILE.parquet."])
        return
    render(frame.to_dict(orient="records"), fmt, columns=list(frame.columns))


__all__ = ["customer_cmd", "customers_cmd", "grouped"]
