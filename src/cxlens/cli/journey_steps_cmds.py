"""Command: `cxlens journey refresh` (rebuild the stored numbering of every journey by hand)."""

from __future__ import annotations

from pathlib import Path

from cxlens.cli._app import WorkspaceOpt, handles_errors, say
from cxlens.cli.journey_cmds import journey_app
from cxlens.workspace import Workspace


@journey_app.command("refresh")
@handles_errors
def refresh_cmd(workspace: WorkspaceOpt = Path(".")) -> None:
    """Rebuild the journeys' stored step numbering from the events (every events load does it; run this after
    events changed outside cxlens, or when an analysis warns that the numbering is out of date)."""
    done = Workspace.open(workspace).refresh_journey()
    say(f"Numbered {done['rows']:,} events into journey_steps in {done['seconds']:.1f} s.")
