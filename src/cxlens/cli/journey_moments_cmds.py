"""Commands: `cxlens journey moments` (moments of truth and magic) and `cxlens journey churn-paths` (churners vs stayers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, handles_errors, require
from cxlens.cli.journey_cmds import journey_app
from cxlens.cli.metrics_cmds import FilterOpt, SinceOpt, UntilOpt, parse_scope, show
from cxlens.cli.publish import MinGroupOpt, publish_rows, smallest_group
from cxlens.errors import UsageError
from cxlens.workspace import Workspace



# Left out of the terminal table (kept in JSON/CSV) so it fits a normal window.
_HIDDEN = ("p_value", "correction", "note", "exposed_churned", "churner_share", "stayer_share")


# What names a moment's row (kept when its estimate is suppressed); the rest describes its exposed customers.
MOMENT_KEYS = ("rank", "moment", "touchpoint", "flagged", "correction")


@journey_app.command("moments")
@handles_errors
def moments_cmd(window: Annotated[int, typer.Option("--window", min=1, help="Months an experience counts for: answers in the months before the month at risk.")] = 4,
                onboarding_days: Annotated[int, typer.Option("--onboarding-days", min=0, help="Follow-up starts with the first month at least this many days after signup (leaving during onboarding is a breakpoint, not a moment).")] = 30,
                min_exposed: Annotated[int, typer.Option("--min-exposed", min=1, help="Fewer exposed customers than this: no estimate.")] = 20,
                since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Moments of truth (a bad experience raises later churn) and of magic (a great one lowers it): Cox hazard
    ratios per touchpoint by tenure, stratified by segment x plan, compared with the map's moment_of_truth flags."""
    from cxlens.journey.moments import moments

    scope = parse_scope("", None, since, until, filter)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "touchpoints", "responses", "outcomes")
        frame = moments(store, scope, window_months=window, onboarding_days=onboarding_days, min_exposed=min_exposed)
    a = frame.attrs
    notes = [f"Cox model per touchpoint on {a.get('modelling_rows', 0):,} customer-months of {a.get('customers', 0):,} customers "
             f"({a.get('churned', 0):,} churned): bad = latest answer there in the {window} months before CSAT 1-2, CES 1-2 or "
             "NPS 0-6; great = CSAT 5, CES 7 or NPS 9-10. Time: tenure months; strata: segment x plan.",
             "Hazard ratio 95% Wald interval; p_adjusted: Benjamini-Hochberg over every estimate; effect: p_adjusted < 0.05."]
    # a hazard ratio adds up to nothing published: an estimate from too few exposed customers is simply not shown
    frame, notes = publish_rows(frame, ws, "exposed_customers", MOMENT_KEYS, min_group, notes)
    show(frame, fmt, "Moments of truth and magic", notes, hidden=_HIDDEN)


@journey_app.command("churn-paths")
@handles_errors
def churn_paths_cmd(months: Annotated[int, typer.Option("--months", min=1, help="Window: this many months up to the churn month (stayers: their last month).")] = 3,
                    length: Annotated[int, typer.Option("--length", min=2, help="Steps per path: 2 = transitions A -> B.")] = 2,
                    min_customers: Annotated[int, typer.Option("--min-customers", min=1, help="Leave out paths fewer customers took.")] = 10,
                    unit: Annotated[str, typer.Option("--unit", help="touchpoint or stage.")] = "touchpoint",
                    collapse_repeats: Annotated[bool, typer.Option("--collapse-repeats", help="A, A, B counts as A, B.")] = False,
                    since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                    min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Paths over-represented among churners in the months before churn, against stayers' last months: risk
    ratios (Katz 95%), Benjamini-Hochberg corrected."""
    from cxlens.journey import UNITS
    from cxlens.journey.churn_paths import churn_paths

    scope = parse_scope("", None, since, until, filter)
    if unit not in UNITS:  # a bad option is reported before missing data
        raise UsageError("unit", unit, UNITS)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "touchpoints", "events", "outcomes")
        frame = churn_paths(store, scope, months=months, length=length, min_customers=min_customers, unit=unit,
                            collapse_repeats=collapse_repeats)
    a = frame.attrs
    notes = [f"{a.get('churners', 0):,} churners (window: the {months} months up to the churn month) vs {a.get('stayers', 0):,} "
             f"stayers (their last {months} observed months); a path counts once per customer.",
             "risk_ratio: churner share / stayer share, Katz 95%; p_adjusted: Benjamini-Hochberg over the paths shown."]
    # a path counts once per customer and customers take many paths: rows add up to nothing, so primary only; the
    # churners and the stayers who took a path are each a group
    frame, notes = publish_rows(frame.assign(_c=smallest_group(frame, ["churners", "stayers"])) if len(frame) else frame, ws, "_c",
                                ("rank", "path", "touchpoint"), min_group, notes)
    frame = frame.drop(columns="_c", errors="ignore")
    show(frame, fmt, "Paths before churn: churners vs stayers", notes, hidden=_HIDDEN)
