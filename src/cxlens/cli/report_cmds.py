"""Command: write the self-contained HTML report of a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import MinNOpt, WorkspaceOpt, app, console, handles_errors, say
from cxlens.errors import UsageError

@app.command("report")
@handles_errors
def report_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the HTML file.")] = Path("report.html"),
    title: Annotated[str, typer.Option(help="Title at the top of the report.")] = "Customer experience report",
    min_n: MinNOpt = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Write one HTML file (inline CSS and charts, nothing fetched) with every analysis the store has data for."""
    from cxlens.report import build_report
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    if not output.parent.is_dir():
        raise UsageError("output", str(output), message=f"output={str(output)!r}: the folder {output.parent} does not exist")
    with console.status("measuring and writing the report..."), ws.store() as store:
        written = build_report(store, output, title=title, min_n=ws.min_n if min_n is None else min_n,
                               min_group=ws.min_group)
    path = written.path
    say("Report: ", (str(path), "bold"), f" ({path.stat().st_size / 1024:,.0f} KB, self-contained)")
    if written.missing:
        say((f"Left out ({len(written.missing)} sections, listed at the end of the report too):", "yellow"))
        for m in written.missing:
            say(f"  {m.title}: {m.reason}")
