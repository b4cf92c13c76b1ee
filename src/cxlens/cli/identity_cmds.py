"""Command: `cxlens identities` (what identity resolution did per source, precision and recall against a truth) and
`cxlens identities review` (the records listed for review). docs/people.md, "One customer: identity resolution"."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, app, console, handles_errors, nothing_to_show, render
from cxlens.errors import UsageError

VIEWS = ("summary", "review")
_TABLE_COLUMNS = ["source", "records", "linked", "by_email", "by_external_id", "by_phone_name", "by_probability",
                  "review", "unmatched", "customers", "conflicts"]
_TRUTH_COLUMNS = ["precision", "recall", "correct", "true_customers"]


@app.command("identities")
@handles_errors
def identities_cmd(
    view: Annotated[str, typer.Argument(help="summary (per source) or review (the records listed for review).")] = "summary",
    truth: Annotated[Path | None, typer.Option("--truth", help="A truth.json with an identity section, or a CSV "
                                               "record,customer_id: adds precision and recall.")] = None,
    fmt: FormatOpt = "table",
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """How many records of each source identity resolution linked to customers (by rule, by probability), listed for
    review or left unmatched, and the customers they map to; with --truth, precision and recall.

    Precision = correct links / links; recall = correct links / records whose person is a customer.
    """
    from cxlens.workspace import Workspace

    if view not in VIEWS:
        raise UsageError("view", view, VIEWS)
    ws = Workspace.open(workspace)
    sources = ws.identities(truth)["sources"]
    if not sources:
        nothing_to_show("no file was loaded through a mapping's identity: block; load one with `cxlens load FILE "
                        "--kind responses --mapping MAPPING.yaml` (docs/people.md, identity resolution)")
    if view == "review":
        rows = ws.identity_review()
        if not rows and fmt == "table":
            console.print("No record is waiting for review.")
            return
        render(rows, fmt, title="Records listed for review (not linked)",
               columns=["source", "row", "record", "candidate_customer_id", "match_probability", "match_weight", "conflict"])
        return
    render(sources, fmt, title="Identity resolution per source", columns=_TABLE_COLUMNS + (_TRUTH_COLUMNS if truth else []))
