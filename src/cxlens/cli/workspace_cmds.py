"""Commands: create a workspace, migrate its store to this cxlens's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import WorkspaceOpt, app, console, handles_errors, say, shell_command, tell_new_key


@app.command("init")
@handles_errors
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    store: Annotated[str | None, typer.Option(help="Store URL (duckdb:///file, spark://local[*], postgres://...); "
                                                   "default duckdb:///cx.duckdb in the folder.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing cxlens.toml and journey.yaml.")] = False,
) -> None:
    """Create a workspace: cxlens.toml (where the data lives), a commented journey.yaml template and the empty store."""
    from cxlens.workspace import Workspace

    ws = Workspace.create(directory, store, force)
    root = ws.root
    tell_new_key(ws)
    say("Workspace ready in ", (str(root), "bold"),
        f": edit journey.yaml, then `{shell_command('load', 'FILE', '--kind', 'customers', '-w', root)}`.")


@app.command("migrate")
@handles_errors
def migrate_cmd(workspace: WorkspaceOpt = Path(".")) -> None:
    """Bring the workspace's store to this cxlens's schema version (analysis commands never change it)."""
    from cxlens.workspace import Workspace

    before, after = Workspace.open(workspace).migrate()
    if before == after:
        console.print(f"The store is at schema version {after}, the current one: nothing to do.")
    else:
        console.print(f"Store migrated from schema version {before} to {after}.")
