"""Journey analytics: how customers really move through the journey map, computed in the engine.

`steps` numbers every customer's observed events once (ties broken by event id, optional sessions,
repeats collapsed, touchpoints or stages); paths, the Sankey, funnels, exit rates and churn paths all
read it, so their figures agree. The journey map itself (`journey.yaml`: stages and touchpoints) is
config, in :mod:`cxlens.model.journey`.
"""

from cxlens.journey.breakpoints import breakpoints, exit_rates
from cxlens.journey.churn_paths import churn_paths
from cxlens.journey.funnel import funnel
from cxlens.journey.moments import moments
from cxlens.journey.paths import paths
from cxlens.journey.sankey import Sankey, sankey
from cxlens.journey.steps import UNITS, steps
from cxlens.journey.stored import refresh_steps

__all__ = ["Sankey", "UNITS", "breakpoints", "churn_paths", "exit_rates", "funnel", "moments", "paths", "refresh_steps", "sankey", "steps"]
