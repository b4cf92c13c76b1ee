"""Commands: `cxlens value risk` (who is about to leave, and why) and `cxlens value roadmap` (early wins first)."""

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

RISK_PARTS = ("metrics", "reliability", "factors", "scores")

# Left out of the terminal tables (kept in JSON/CSV) so they fit a normal window.
_HIDDEN = ("delong_ci_low", "delong_ci_high", "brier_reference", "calibration_intercept", "auc_drop_sd", "p_low", "p_high",
           "score_slope", "weight", "cash_before", "beyond_target", "running_cost", "value_per_year", "slope", "unit",
           "owner", "live_month", "name", "current", "target", "improvement", "months")


@value_app.command("risk")
@handles_errors
def risk_cmd(horizon: Annotated[int, typer.Option("--horizon", min=1, help="Months ahead: churn within this many months.")] = 3,
             validation_months: Annotated[int, typer.Option("--validation-months", min=1, help="The last months whose windows are observed validate the model.")] = 6,
             top: Annotated[int, typer.Option("--top", min=1, help="Riskiest active customers listed.")] = 20,
             part: Annotated[str | None, typer.Option("--part", help="Only this: metrics, reliability, factors or scores (JSON/CSV default: scores).")] = None,
             since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
             min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Each active customer's probability of churning in the next months, from a model trained on earlier months
    and validated on later ones: AUC, calibration (reliability deciles, Brier), the experience factors that raise
    risk, and the riskiest customers."""
    from cxlens.value.risk import store_churn_risk

    if part is not None and part not in RISK_PARTS:
        raise UsageError("part", part, RISK_PARTS)
    scope = parse_scope("", None, since, until, filter)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "outcomes", "nps")
        model = store_churn_risk(store, scope, horizon_months=horizon, validation_months=validation_months,
                                 answer_months=ws.value_config.answer_months)
    sp = model.split
    notes = [f"Trained on {sp['train_rows']:,} customer-months {sp['train_months'][0]}..{sp['train_months'][1]} (windows "
             f"closed before validation), validated on {sp['validation_rows']:,} of {sp['validation_months'][0]}.."
             f"{sp['validation_months'][1]}; label: churn in the {horizon} months after the row's month.",
             f"Chosen: {model.chosen} (time-ordered CV on the training months); AUC 95% interval: customer bootstrap.",
             *model.notes]
    reliability, rel_notes = publish_rows(model.reliability, ws, "n", ("decile",), min_group, [])
    parts = {"metrics": (model.metrics, "Churn risk: validation", notes),
             "reliability": (reliability, "Reliability (validation deciles of predicted risk)", rel_notes),
             "factors": (model.factors, "Risk factors (odds ratio per SD; AUC drop when permuted)", []),
             "scores": (model.scores.head(top), f"Riskiest active customers at {sp['latest_month']} "
                        f"(of {sp['scored_customers']:,})", [])}
    chosen = [part] if part else (list(RISK_PARTS) if fmt == "table" else ["scores"])
    for name in chosen:
        frame, title, extra = parts[name]
        show(frame, fmt, title, extra, hidden=_HIDDEN)


@value_app.command("roadmap")
@handles_errors
def roadmap_cmd(initiatives: Annotated[Path | None, typer.Option("--initiatives", help="initiatives.yaml (default: the workspace's).")] = None,
                budget: Annotated[float | None, typer.Option("--budget", min=0, help="Cash at the start (default: the cost of the initiative that pays back soonest).")] = None,
                rule: Annotated[str, typer.Option("--rule", help="strict: payback order, the next waits for the cash; affordable: the shortest payback the cash covers now.")] = "strict",
                since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Initiatives valued (NPS gain from the key drivers, money per year, payback) and ordered so early wins fund
    the rest: a month-by-month cash flow where initiatives start in payback order as the cash they earn allows."""
    from cxlens.value.roadmap import INITIATIVES_FILE, RULES, build_roadmap, read_initiatives

    if rule not in RULES:  # a bad option is reported before any work
        raise UsageError("rule", rule, RULES)
    scope = parse_scope("", None, since, until, filter)
    items = read_initiatives(initiatives) if initiatives is not None else None  # a bad --initiatives: an option error
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "outcomes", "nps", "csat")  # missing data is said before the workspace's own file is missing
        items = items if items is not None else read_initiatives(Path(workspace) / INITIATIVES_FILE)
        result = build_roadmap(store, scope, items, ws.value_config, budget=budget, rule=rule,
                               answer_months=ws.value_config.answer_months)
    currency = ws.value_config.currency
    notes = [*result.notes, f"Money in {currency}; payback: months from the start (delivery + cost / monthly net value)."]
    plan = result.plan.drop(columns=["expected_improvement"]).assign(improvement=result.plan["expected_improvement"])
    cols = ["rank", "id", "name", "touchpoint", "owner", "unit", "improvement", "slope", "nps_gain", "value_per_year",
            "running_cost", "net_value_per_year", "cost", "months", "payback_months", "current", "target", "gap_to_target",
            "beyond_target", "start_month", "live_month", "cash_before", "funded_by", "status"]
    show(plan[cols], fmt, "Roadmap: early wins first", notes, hidden=_HIDDEN)
