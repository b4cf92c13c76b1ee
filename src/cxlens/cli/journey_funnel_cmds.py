"""Commands: `cxlens journey funnel` and `cxlens journey breakpoints`: conversion through steps, and where it breaks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, handles_errors, require
from cxlens.cli.journey_cmds import journey_app, parse_duration, shares_with_intervals
from cxlens.cli.metrics_cmds import ByOpt, FilterOpt, SinceOpt, UntilOpt, parse_scope, show
from cxlens.cli.publish import MinGroupOpt, publish
from cxlens.errors import UsageError
from cxlens.workspace import Workspace

@journey_app.command("funnel")
@handles_errors
def funnel_cmd(steps: Annotated[str, typer.Option("--steps", help="Funnel steps in order, comma-separated: touchpoint ids (stage names with --unit stage).")] = "",
               mode: Annotated[str, typer.Option("--mode", help="ordered (other events allowed between steps), strict (consecutive steps) or any (any order within the window).")] = "ordered",
               window: Annotated[str | None, typer.Option("--window", help="Conversion window from the first step, e.g. 30d, 12h, 2w.")] = None,
               unit: Annotated[str, typer.Option("--unit", help="touchpoint or stage.")] = "touchpoint",
               by: ByOpt = "", since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
               min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Conversion through steps: customers reaching each step, share of those who started (Wilson 95%) and the
    step-to-step rate (customer bootstrap 95%); with --by, each group against the rest (Benjamini-Hochberg)."""
    from cxlens.journey.funnel import BOOTSTRAP_RESAMPLES, check_options, funnel

    from cxlens.query import EVENT_DIMENSIONS
    from cxlens.query.dimensions import check_dimensions

    scope = parse_scope(by, None, since, until, filter)
    check_dimensions(scope.by, list(EVENT_DIMENSIONS))
    span = parse_duration("window", window)
    ws = Workspace.open(workspace)
    try:
        stages = check_options(steps.split(","), mode, span, unit)
    except UsageError as exc:  # the library's `stages` is the command's --steps
        if exc.parameter != "stages":
            raise
        raise UsageError("steps", steps, message=f"steps: {str(exc).removeprefix('stages: ')} (e.g. --steps shop,call)") from None
    with ws.store() as store:
        require(store, "touchpoints", "events")
        frame = funnel(store, scope, stages=stages, mode=mode, window=span, unit=unit)
    notes = [f"share: of the customers who reached step 1 (Wilson 95%); step_rate: of those who reached the step before "
             f"({BOOTSTRAP_RESAMPLES} customer bootstrap resamples, seeded). Funnels start at each customer's first step-1 event."]
    if "q_value" in frame:
        notes.append("q_value: each group's share against the other groups', Benjamini-Hochberg adjusted; significant: q < 0.05.")
    # the groups of one step add up to the funnel without --by; the step after a suppressed one loses its step rate
    # (its customers over the step rate would give the suppressed count away)
    frame, notes = publish(frame, ws, [*scope.by, "step"], min_group, notes, keep=[unit],
                           previous=("step_rate", "step_low", "step_high"), along="step")
    show(_for_terminal(frame) if fmt == "table" else frame, fmt, f"Funnel ({mode}{', window ' + window if window else ''})", notes)


def _for_terminal(frame):
    """The funnel narrowed to fit a terminal: shares and rates in %, each with its interval."""
    out = frame.drop(columns=["share", "share_low", "share_high", "step_rate", "step_low", "step_high"])
    out["share (95% CI)"] = shares_with_intervals(frame.share, frame.share_low, frame.share_high)
    out["step rate (95% CI)"] = shares_with_intervals(frame.step_rate, frame.step_low, frame.step_high)
    return out.drop(columns=[c for c in ("p_value", "z") if c in out])


@journey_app.command("breakpoints")
@handles_errors
def breakpoints_cmd(min_customers: Annotated[int, typer.Option("--min-customers", min=1, help="Never flag evidence from fewer customers (or answers).")] = 30,
                    active_within: Annotated[str, typer.Option("--active-within", help="Journeys whose last event is this close to the data's end are still going, not exits.")] = "30d",
                    since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                    min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Touchpoints where the experience fails, ranked: exits, low CSAT, negative comments and the expectation gap,
    and which of them put each touchpoint there."""
    from cxlens.journey.breakpoints import RANK_RULE, breakpoints
    from cxlens.privacy.suppress import min_group_for
    from cxlens.report.published import published_breakpoints

    scope = parse_scope("", None, since, until, filter)
    recent = parse_duration("active_within", active_within)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "touchpoints", "events")
        frame = breakpoints(store, scope, min_customers=min_customers, active_within=recent)
    frame, privacy = published_breakpoints(frame, min_group_for(ws.min_group, min_group))
    if fmt == "table":  # the evidence in brief, so it fits a normal terminal; JSON/CSV carry every column
        frame = frame[[c for c in ("rank", "touchpoint", "evidence", "exit_rate", "exit_rate_elsewhere", "csat",
                                   "negative_pct", "expectation_gap") if c in frame]]
    show(frame, fmt, "Breakpoints", [f"Rank: {RANK_RULE}.",
                                     f"Exits: journeys ending there more than {active_within} before the data's end; "
                                     "touchpoints of the map's final stage are natural ends, not exits.", *privacy])
