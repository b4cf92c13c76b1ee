"""Commands: `cxlens rollup rebuild` and `cxlens rollup status` (the stored rollup of the answers' sufficient
statistics, cxlens.metrics.rollup, and the narrow ticket table, cxlens.metrics.ticket_facts; loads, erasure and
retention keep them current)."""

from __future__ import annotations

from pathlib import Path

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, app, handles_errors, render, say

rollup_app = typer.Typer(help="The stored rollup experience metrics read instead of every answer: rebuild it, or see "
                              "what it holds and whether it is current.", no_args_is_help=True)
app.add_typer(rollup_app, name="rollup")


@rollup_app.command("rebuild")
@handles_errors
def rebuild_cmd(workspace: WorkspaceOpt = Path(".")) -> None:
    """Rebuild the rollup from the raw answers (loads, `cxlens forget` and retention keep it current; run this
    when `cxlens rollup status` or `--explain` says it is out of date)."""
    from cxlens.workspace import Workspace

    done = Workspace.open(workspace).refresh_rollup()
    say(f"Summed the answers into {done['rows']:,} rows of response_rollup in {done['seconds']:.1f} s.")
    facts = done["ticket_facts"]
    say(f"Wrote {facts['rows']:,} rows of ticket_facts (one per ticket) in {facts['seconds']:.1f} s.")


@rollup_app.command("status")
@handles_errors
def status_cmd(fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """What the rollup holds (rows, days, answers, size) and whether metrics can read it, or why not."""
    from cxlens.workspace import Workspace

    status = Workspace.open(workspace).rollup_status()
    facts = status.pop("ticket_facts")
    if fmt != "table":
        render([status, facts], fmt)  # one record per table (`table` names it)
        return
    size = status["bytes"]
    render([{"rows": status["rows"], "days": status["days"], "first day": status["first_day"],
             "last day": status["last_day"], "answers": status["answers"],
             "size": "-" if size is None else f"{size / 2**20:,.1f} MiB",
             "current": "yes" if status["current"] else "no"}], "table", title="response_rollup")
    say(f"{status['month_rows']:,} month rows: the same sums per month, read for cuts over whole months.")
    if status["stale"]:
        say(status["stale"])
    render([{"rows": facts["rows"], "first day": facts["first_day"], "last day": facts["last_day"],
             "current": "yes" if facts["current"] else "no"}], "table", title="ticket_facts")
    if facts["stale"]:
        say(facts["stale"])
