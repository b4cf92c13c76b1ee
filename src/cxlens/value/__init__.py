"""Value linkage: what experience is worth, what drives it, where to invest first, who is about to leave.

The CX leaders' recipe (issue 19): a customer-level dataset of past survey answers joined to the months of
behaviour that follow them (`dataset`), outcomes by satisfaction group and segment (`groups`), retention
curves and a Cox model of churn (`survival`), the money value of moving customers between NPS groups
(`scenario`), the year-over-year trend of that link (`trend`), key drivers (`drivers`), churn risk
(`risk`) and a roadmap of early wins (`roadmap`). The engine builds the customer-month and per-answer rows;
models are fitted on that customer-level frame in Python.
"""

from cxlens.value.dataset import answers, answers_frame, customer_month_frame, customer_months, dataset, write_dataset
from cxlens.value.drivers import csat_drivers, nps_drivers
from cxlens.value.groups import outcomes_by_group
from cxlens.value.risk import RiskModel, churn_risk, store_churn_risk
from cxlens.value.roadmap import Initiative, Roadmap, build_roadmap, read_initiatives, roadmap
from cxlens.value.scenario import Move, parse_move, scenario
from cxlens.value.survival import churn_hazards, retention_curves
from cxlens.value.trend import trend

__all__ = [
    "Initiative", "Move", "RiskModel", "Roadmap", "answers", "answers_frame", "build_roadmap", "churn_hazards",
    "churn_risk", "csat_drivers", "customer_month_frame", "customer_months", "dataset", "nps_drivers",
    "outcomes_by_group", "parse_move", "read_initiatives", "retention_curves", "roadmap", "scenario",
    "store_churn_risk", "trend", "write_dataset",
]
