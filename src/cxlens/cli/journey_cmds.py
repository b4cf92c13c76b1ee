"""`cxlens journey ...`: the map as a picture, observed paths, Sankey, funnels, breakpoints, moments of truth.

The sub-app lives here; each capability registers its command(s) on `journey_app` from its own module
(`journey_*_cmds.py`), imported by `cxlens.cli`. Scope options (--by/--since/--until/--filter) are the
metrics commands' ones, so a filter means the same everywhere.
"""

from __future__ import annotations

import typer

from cxlens.cli._app import app

journey_app = typer.Typer(help="How customers really move through the journey map: paths, funnels, breakpoints, "
                               "moments of truth, and the map as a picture.", no_args_is_help=True)
app.add_typer(journey_app, name="journey")
