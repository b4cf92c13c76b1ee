"""Command: `cxlens value drivers` (which touchpoints' experience drives overall NPS, or churn)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, handles_errors, require
from cxlens.cli.metrics_cmds import FilterOpt, SinceOpt, UntilOpt, parse_scope, show
from cxlens.cli.publish import MinGroupOpt, publish_rows
from cxlens.cli.value_cmds import value_app
from cxlens.errors import UsageError
from cxlens.workspace import Workspace

COLUMNS = ("rank", "driver", "weight", "weight_ci_low", "weight_ci_high", "shapley", "share", "performance",
           "quadrant", "significant", "sign", "customers", "note")
DRIVER_KEYS = ("rank", "driver")
_HIDDEN = ("sign", "note")  # left out of the terminal table (kept in JSON/CSV) so it fits a normal window


@value_app.command("drivers")
@handles_errors
def drivers_cmd(outcome: Annotated[str, typer.Option("--outcome", help="nps (the relationship NPS answer) or churn.")] = "nps",
                boot: Annotated[int, typer.Option("--boot", min=0, help="Bootstrap resamples of customers for the intervals (0: none).")] = 200,
                touchpoint: Annotated[list[str] | None, typer.Option("--touchpoint", help="A driver touchpoint (repeat; default: those answered by 10% of customers).")] = None,
                metric: Annotated[str, typer.Option("--metric", help="The touchpoint answers: csat or ces.")] = "csat",
                seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
                since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Key drivers: Johnson's relative weights of each touchpoint's experience on overall NPS (or churn), the Shapley
    value of R² beside them, customer-bootstrap intervals, and the importance-vs-performance quadrant."""
    from cxlens.value.drivers import OUTCOMES, nps_drivers

    scope = parse_scope("", None, since, until, filter)
    if outcome not in OUTCOMES:  # a bad option is reported before missing data
        raise UsageError("outcome", outcome, OUTCOMES)
    if metric not in ("csat", "ces"):
        raise UsageError("metric", metric, ("csat", "ces"))
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "responses", metric, *(("nps",) if outcome == "nps" else ("outcomes",)))
        frame = nps_drivers(store, scope, touchpoints=touchpoint or None, metric=metric, outcome=outcome,
                            n_boot=boot, seed=seed)
    r2, n = (float(frame["r_squared"].iloc[0]), int(frame["n"].iloc[0])) if len(frame) else (float("nan"), 0)
    what = "mean relationship NPS answer" if outcome == "nps" else "churned (0/1)"
    notes = [f"Outcome: each customer's {what}; drivers: their mean {metric.upper()} at each touchpoint over the period "
             f"(pairwise-complete correlations). {n:,} customers, R² = {r2:.3f}.",
             "weight: Johnson's relative weight (sums to R²); shapley: the Shapley value of R² (cross-check); share: weight / R² in %; "
             f"interval: 95% percentile over {boot} customer resamples; significant: the weight beats a random driver's "
             "(Tonidandel, LeBreton & Johnson 2009).",
             "quadrant: importance (share) vs performance (mean score), split at the drivers' means."]
    dropped = frame.attrs.get("dropped")
    if dropped:
        notes.append(f"Left out (more than 15 drivers): {', '.join(dropped)}.")
    frame = frame[[c for c in COLUMNS if c in frame]]
    # one model over every customer: a driver's row describes the customers who answered there
    frame, notes = publish_rows(frame, ws, "customers", DRIVER_KEYS, min_group, notes)
    show(frame, fmt, f"Key drivers of {'overall NPS' if outcome == 'nps' else 'churn'}", notes, hidden=_HIDDEN)
