"""Commands: `cxlens value scenario` (the money value of moving customers between NPS groups) and `cxlens value
trend` (where the link between experience and value is heading)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, handles_errors, require
from cxlens.cli.metrics_cmds import FilterOpt, SinceOpt, UntilOpt, parse_scope, show
from cxlens.cli.publish import MinGroupOpt, publish, publish_rows
from cxlens.cli.value_cmds import value_app
from cxlens.errors import UsageError
from cxlens.workspace import Workspace

DEFAULT_MOVE = "detractor:passive:5%"  # the example: moving 5% of dissatisfied customers to neutral
SCENARIO_BY = ("segment", "plan", "region")
# Left out of the terminal table (kept in JSON/CSV) so it fits a normal window.
_SCENARIO_HIDDEN = ("share", "currency", "customers_in_group", "revenue_value", "cost_value", "e_value_ci",
                    "retained_revenue", "upgrades_value", "referrals_value", "extra_active_months", "churn_risk_from",
                    "churn_risk_to", "rr_ci_low", "rr_ci_high")
_TREND_HIDDEN = ("z", "months")


def _frame(ws: Workspace, store, scope):
    from cxlens.value.dataset import customer_month_frame

    require(store, "outcomes", "nps")
    return customer_month_frame(store, scope, answer_months=ws.value_config.answer_months)


@value_app.command("scenario")
@handles_errors
def scenario_cmd(move: Annotated[list[str] | None, typer.Option("--move", help="FROM:TO:SHARE, e.g. detractor:passive:5% (repeat for more moves; default: detractor:passive:5%).")] = None,
                 by: Annotated[list[str] | None, typer.Option("--by", help="Also per segment, plan or region (repeat; default segment; 'none': overall only).")] = None,
                 boot: Annotated[int, typer.Option("--boot", min=0, help="Bootstrap refits for the interval (0: none).")] = 200,
                 seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap draws.")] = 0,
                 since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                 min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """What experience is worth: the value per year, in money, of moving a share of one NPS group's customers to a
    better group (g-computation from models of churn, revenue, cost to serve, upgrades and referrals adjusted for
    segment, plan and tenure), with a customer-bootstrap interval and the E-value of the churn risk ratio."""
    from cxlens.value.scenario import ALL, parse_move, scenario

    moves = [parse_move(m) for m in move or [DEFAULT_MOVE]]  # a bad move is reported before missing data
    by = [b for b in (by or ["segment"]) if b != "none"]
    bad = [b for b in by if b not in SCENARIO_BY]
    if bad:
        raise UsageError("by", bad[0], (*SCENARIO_BY, "none"))
    scope = parse_scope("", None, since, until, filter)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        frame = _frame(ws, store, scope)
    out = scenario(frame, moves, config=ws.value_config, by=tuple(by), n_boot=boot, seed=seed)
    notes = list(out.attrs["notes"])
    # the levels' customers and values add up to the move's overall row: suppress with complements, per move
    parts = []
    for label in out["move"].unique():
        part, notes = publish(out[out["move"] == label], ws, list(by), min_group, notes,
                              keep=("move", "share", "currency"), customers="customers_in_group")
        parts.append(part)
    import pandas as pd

    out = pd.concat(parts, ignore_index=True)
    notes = list(dict.fromkeys(notes))
    currency = ws.value_config.currency
    if fmt == "table":
        out = out.round(
            {"customers_moved": 1, "value_per_year": 0, "ci_low": 0, "ci_high": 0, "value_per_customer": 2,
             "revenue_value": 2, "cost_value": 2, "risk_ratio": 2, "e_value": 2, "e_value_ci": 2})
        notes.append(f"Money in {currency}: value_per_year for the customers moved; value_per_customer and the "
                     "components (revenue_value, cost_value = cost saved) per customer moved over 12 months; "
                     "--format json gives every component.")
    title = f"Value per year of moving customers between NPS groups ({currency}; overall row: {ALL})"
    show(out, fmt, title, notes, hidden=_SCENARIO_HIDDEN)


@value_app.command("trend")
@handles_errors
def trend_cmd(since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
              min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Where the link is heading: per calendar year the gaps between NPS groups in monthly churn, revenue and cost
    to serve and the detractor-vs-promoter churn hazard ratio, with the change between years and its test."""
    from cxlens.value.trend import trend

    scope = parse_scope("", None, since, until, filter)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        frame = _frame(ws, store, scope)
    out = trend(frame)
    notes = list(out.attrs["notes"])
    out, notes = publish_rows(out, ws, "customers", ("kind", "measure", "comparison", "year"), min_group, notes)
    show(out, fmt, "Where the link is heading: gaps between NPS groups per year", notes, hidden=_TREND_HIDDEN)
