"""Commands: `cxlens journey paths` (top observed paths) and `cxlens journey sankey` (the flows as a picture)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, handles_errors, require, say
from cxlens.cli.journey_cmds import duration, intervals, journey_app, parse_duration, percents
from cxlens.cli.metrics_cmds import FilterOpt, SinceOpt, UntilOpt, parse_scope, show
from cxlens.cli.publish import MinGroupOpt, publish
from cxlens.errors import UsageError
from cxlens.workspace import Workspace

StepsOpt = Annotated[int, typer.Option("--steps", "-n", min=1, help="How many first steps of each journey.")]
UnitOpt = Annotated[str, typer.Option("--unit", help="touchpoint (default) or stage: what one step is.")]
CollapseOpt = Annotated[bool, typer.Option("--collapse-repeats", help="Count a touchpoint repeated in a row as one step.")]
GapOpt = Annotated[str | None, typer.Option("--session-gap", help="Split journeys into sessions after this much inactivity: 30m, 2h, 1d (default: one journey per customer).")]
StartOpt = Annotated[str | None, typer.Option("--start-at", help="Start each path at the journey's first visit of this touchpoint id or stage.")]
EndOpt = Annotated[str | None, typer.Option("--end-at", help="End each path at its first visit of this touchpoint id or stage (the steps leading to it).")]

@journey_app.command("paths")
@handles_errors
def paths_cmd(steps: StepsOpt = 5, top: Annotated[int, typer.Option("--top", "-t", min=1, help="How many paths to rank.")] = 10,
              unit: UnitOpt = "touchpoint", collapse_repeats: CollapseOpt = False, session_gap: GapOpt = None,
              start_at: StartOpt = None, end_at: EndOpt = None,
              min_share: Annotated[float | None, typer.Option("--min-share", help="Fold paths under this share (0.01 = 1%) into 'other paths'.")] = None,
              by: Annotated[str, typer.Option("--by", "-b", help="Rank paths per customer group: segment, region, language, plan, account.")] = "",
              since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None, min_group: MinGroupOpt = None,
              fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """The most common paths of the first N steps, each with its share of all journeys and a 95% interval."""
    from cxlens.journey.paths import paths

    scope = parse_scope(by, None, since, until, filter)
    gap = parse_duration("session_gap", session_gap)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "touchpoints", "events")
        frame = paths(store, scope, steps=steps, top=top, unit=unit, collapse_repeats=collapse_repeats, session_gap=gap,
                      start_at=start_at, end_at=end_at, min_share=min_share)
    count = "journeys" if gap else "customers"
    # rows add up to each group's journeys (shares of 100%): complements within a group, and per path across groups
    frame, notes = publish(frame.assign(_c=frame["customers"]), ws, [*scope.by, "path"], min_group, [
        f"share: of all {count} in scope (95% Wilson interval); 'other paths' makes the table add up to 100%.",
        "median/p90: time between consecutive steps of the path (JSON/CSV: median_seconds, p90_seconds)."],
        keep=["rank", "length"], customers="_c")
    frame = frame.drop(columns="_c")
    show(for_terminal(frame, count) if fmt == "table" else frame, fmt,
         f"Top paths of the first {steps} steps" + (f" by {by}" if by else ""), notes)


def for_terminal(frame, count: str):
    """The paths table narrowed to fit a terminal: share and interval in %, times in readable units."""
    out = frame.drop(columns=["length", "share", "share_low", "share_high", "median_seconds", "p90_seconds"])
    out["share %"] = percents(frame.share)
    out["95% CI"] = intervals(frame.share_low, frame.share_high)
    out["median"] = [duration(v) for v in frame.median_seconds]
    out["p90"] = [duration(v) for v in frame.p90_seconds]
    return out


@journey_app.command("sankey")
@handles_errors
def sankey_cmd(out: Annotated[Path, typer.Option("--out", "-o", help="FILE.html (interactive, self-contained) or FILE.svg.")],
               steps: StepsOpt = 5, unit: UnitOpt = "touchpoint", collapse_repeats: CollapseOpt = False,
               session_gap: GapOpt = None, start_at: StartOpt = None, end_at: EndOpt = None,
               min_share: Annotated[float, typer.Option("--min-share", help="Merge nodes under this share of journeys into 'other' per step.")] = 0.01,
               since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
               min_group: MinGroupOpt = None, workspace: WorkspaceOpt = Path(".")) -> None:
    """The flows between consecutive steps as a Sankey picture (nodes "step k: touchpoint")."""
    from cxlens.journey.sankey import sankey
    from cxlens.privacy.suppress import min_group_for
    from cxlens.report.published import published_sankey
    from cxlens.report.sankey import sankey_html, sankey_svg

    suffix = out.suffix.lower()
    if suffix not in (".html", ".svg"):
        raise UsageError("out", str(out), (".html", ".svg"), message=f"--out {out}: write FILE.html or FILE.svg (PNG is not offered)")
    scope = parse_scope("", None, since, until, filter)
    ws = Workspace.open(workspace)
    gap = parse_duration("session_gap", session_gap)
    least = min_group_for(ws.min_group, min_group)
    with ws.store() as store:
        require(store, "touchpoints", "events")
        picture, notes = published_sankey(
            lambda share: sankey(store, scope, steps=steps, min_share=share, unit=unit, collapse_repeats=collapse_repeats,
                                 session_gap=gap, start_at=start_at, end_at=end_at), min_share, least)
    out.write_text(sankey_html(picture) if suffix == ".html" else sankey_svg(picture), encoding="utf-8")
    say(f"wrote {out}: {len(picture.nodes)} nodes, {len(picture.links)} links, {picture.total:,} {picture.count}")
    for note in notes:
        say(note)
