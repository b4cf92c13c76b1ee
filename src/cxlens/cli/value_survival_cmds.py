"""Command: `cxlens value survival` (churn hazard ratios by NPS group, or Kaplan-Meier retention curves)."""

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

CURVE_SPLITS = ("segment", "plan", "region")
TABLE_EVERY = 6  # the terminal table shows every 6th tenure month of a curve (JSON/CSV: every month)


@value_app.command("survival")
@handles_errors
def survival_cmd(by_year: Annotated[bool, typer.Option("--by-year", help="A hazard ratio per calendar year (group x year).")] = False,
                 curves: Annotated[bool, typer.Option("--curves", help="Kaplan-Meier retention curves by tenure month instead of hazard ratios.")] = False,
                 by: Annotated[list[str] | None, typer.Option("--by", help="Curves: also split by segment, plan or region (repeat).")] = None,
                 since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                 min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Churn by NPS group: Cox hazard ratios of detractors and passives against promoters (the group of the latest
    relationship answer, time-varying; tenure time scale; strata segment x plan; cluster-robust by customer), with
    the proportional-hazards test; or retention curves with --curves."""
    from cxlens.value.dataset import customer_month_frame
    from cxlens.value.survival import churn_hazards, retention_curves

    scope = parse_scope("", None, since, until, filter)
    bad = [b for b in by or [] if b not in CURVE_SPLITS]
    if bad:
        raise UsageError("by", bad[0], CURVE_SPLITS)
    if by and not curves:
        raise UsageError("by", by[0], message="--by splits the retention curves: add --curves")
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "outcomes", "nps")
        frame = customer_month_frame(store, scope, answer_months=ws.value_config.answer_months)
    answered = (f"NPS group: the latest relationship answer of the {ws.value_config.answer_months} months before each "
                "month ([value] answer_months).")
    if curves:
        out = retention_curves(frame, by=("nps_group", *(by or ())))
        keys = (*[c for c in out.columns if c in ("nps_group", *CURVE_SPLITS)], "tenure")
        notes = [answered, *out.attrs["notes"]]
        out, notes = publish_rows(out, ws, "customers", keys, min_group, notes)
        if fmt == "table":
            out = out[out.tenure % TABLE_EVERY == 0]
            notes.append(f"Every {TABLE_EVERY}th tenure month shown; --format json or csv gives every month.")
        show(out, fmt, "Retention by NPS group (Kaplan-Meier)", notes)
        return
    out = churn_hazards(frame, by_year=by_year)
    notes = [answered, *out.attrs["notes"]]
    change = out.attrs.get("change")
    if change:
        notes.append(f"Detractor HR {change['to']} / {change['from']}: {change['ratio']:.2f} "
                     f"(95% {change['ci_low']:.2f}-{change['ci_high']:.2f}, p={change['p_value']:.3g}).")
    split = out.attrs.get("split")
    keys = tuple(c for c in ("group", "year") if c in out.columns)
    out, notes = publish_rows(out, ws, "customers", keys, min_group, notes)
    show(out, fmt, "Churn hazard ratios by NPS group (promoters = 1)", notes)
    if split is not None and fmt == "table":
        split, _ = publish_rows(split, ws, "customers", (*keys, "tenure_band"), min_group, [])
        show(split, fmt, "Split by tenure (the proportional-hazards test failed)", [])
