"""`cxlens journey map --out map.svg|map.html|map.png`: the journey map as a picture, coloured by measured health."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import WorkspaceOpt, handles_errors, require, say
from cxlens.cli.journey_cmds import journey_app
from cxlens.cli.metrics_cmds import FilterOpt, MinNOpt, SinceOpt, UntilOpt, parse_scope
from cxlens.cli.publish import MinGroupOpt
from cxlens.workspace import Workspace

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="File to write: .svg (the picture), .html (a self-contained "
                                                           "page) or .png (needs cairosvg).")]


@journey_app.command("map")
@handles_errors
def map_cmd(out: OutOpt = Path("journey_map.svg"), since: SinceOpt = None, until: UntilOpt = None,
            filter: FilterOpt = None, min_n: MinNOpt = None,
            title: Annotated[str, typer.Option("--title", help="Title above the map.")] = "Journey map",
            min_group: MinGroupOpt = None, workspace: WorkspaceOpt = Path(".")) -> None:
    """Stages as columns, touchpoints as cards (name, channel, owner, moment of truth), coloured by CSAT/NPS/CES
    against journey.yaml targets with 95% intervals, and the expectation gap; grey where too few answers."""
    from cxlens.privacy.suppress import min_group_for
    from cxlens.report.journey_health import HEALTH_STATES
    from cxlens.report.journey_map import touchpoint_health, write_journey_map

    scope = parse_scope("", None, since, until, filter)
    ws = Workspace.open(workspace)
    min_n = ws.min_n if min_n is None else min_n
    with ws.store() as store:
        require(store, "touchpoints")
        health = touchpoint_health(store, scope, min_n=min_n, min_group=min_group_for(ws.min_group, min_group))
        path = write_journey_map(store, out, scope, min_n=min_n, title=title, health=health)
    counts = health["health"].value_counts()
    say("Journey map: ", (str(path), "bold"))
    say("  " + ", ".join(f"{counts[h]} {h}" for h in HEALTH_STATES if h in counts))
    if health["too_few"].any():
        say(f"  {int(health['too_few'].sum())} touchpoint(s) show 'too few to publish': figures from fewer customers than "
            "[privacy] min_group are left out")
