"""Commands: create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import app, console, handles_errors
from cxlens.workspace import DEFAULT_STORE_URL, init


@app.command("init")
@handles_errors
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    store: Annotated[str, typer.Option(help="Store URL (duckdb:///file, spark://local[*], postgres://...).")] = DEFAULT_STORE_URL,
    force: Annotated[bool, typer.Option(help="Overwrite an existing cxlens.toml and journey.yaml.")] = False,
) -> None:
    """Create a workspace: cxlens.toml (where the data lives) and a commented journey.yaml template."""
    root = init(directory, store, force)
    console.print(f"Workspace ready in [bold]{root}[/]: edit journey.yaml, then `cxlens load FILE --kind customers -w {root}`.")
