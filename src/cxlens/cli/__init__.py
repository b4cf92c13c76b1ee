"""`cxlens` command line: one command per user task, each a thin call into the library.

Each module below registers its commands on the shared Typer `app`.
"""

from cxlens.cli._app import app
from cxlens.cli import workspace_cmds, load_cmds, metrics_cmds, text_cmds, report_cmds, demo_cmds  # noqa: F401,E402
from cxlens.cli import journey_cmds  # noqa: F401,E402  (journey_*_cmds modules register on its sub-app below)
from cxlens.cli import journey_map_cmds  # noqa: F401,E402
from cxlens.cli import journey_funnel_cmds  # noqa: F401,E402
from cxlens.cli import journey_paths_cmds  # noqa: F401,E402
from cxlens.cli import journey_steps_cmds  # noqa: F401,E402
from cxlens.cli import journey_moments_cmds  # noqa: F401,E402
from cxlens.cli import privacy_cmds  # noqa: F401,E402
from cxlens.cli import value_cmds  # noqa: F401,E402  (value_*_cmds modules register on its sub-app below)
from cxlens.cli import value_drivers_cmds  # noqa: F401,E402
from cxlens.cli import value_survival_cmds  # noqa: F401,E402
from cxlens.cli import value_scenario_cmds  # noqa: F401,E402
from cxlens.cli import value_dataset_cmds  # noqa: F401,E402
from cxlens.cli import value_risk_cmds  # noqa: F401,E402

__all__ = ["app"]
