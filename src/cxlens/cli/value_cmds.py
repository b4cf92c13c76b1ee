"""`cxlens value ...`: what experience is worth, what drives it, where to invest first, who is about to leave.

The sub-app lives here; each capability registers its command(s) on `value_app` from its own module
(`value_*_cmds.py`), imported when the command runs (cxlens.cli._lazy). Scope options are the metrics commands' ones.
"""

from __future__ import annotations

from cxlens.cli._app import app
from cxlens.cli._lazy import lazy_typer

value_app = lazy_typer(
    "value", __name__,
    help="Link experience to value: outcomes by NPS group, survival, the money value of moving "
         "customers, trend, key drivers, churn risk and a roadmap of early wins.", no_args_is_help=True)
app.add_typer(value_app, name="value")
