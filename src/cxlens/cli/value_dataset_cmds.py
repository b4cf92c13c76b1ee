"""Commands: `cxlens value dataset` (export the customer-level dataset), `cxlens value refresh` (rebuild its stored
frames) and `cxlens value groups` (outcomes by
NPS group or CSAT band, with customer-level intervals and the gap to the top group)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, handles_errors, require, say
from cxlens.cli.metrics_cmds import FilterOpt, SinceOpt, UntilOpt, parse_scope, show
from cxlens.cli.publish import MinGroupOpt, publish_rows, smallest_group
from cxlens.cli.value_cmds import value_app
from cxlens.errors import UsageError
from cxlens.workspace import Workspace

GROUP_SPLITS = ("segment", "region", "plan")
BANDS = ("nps", "csat")
# Left out of the terminal table (kept in JSON/CSV) so it fits a normal window.
_HIDDEN = ("per", "answers", "units", "difference", "difference_ci_low", "difference_ci_high")


@value_app.command("dataset")
@handles_errors
def dataset_cmd(out: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write (one row per relationship-NPS answer).")],
                horizon: Annotated[list[int] | None, typer.Option("--horizon", min=1, help="Months of follow-up after each answer (repeat; default 12 and 24).")] = None,
                since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                workspace: WorkspaceOpt = Path(".")) -> None:
    """Export the customer-level dataset: each relationship-NPS answer with the customer's segment, plan, tenure and
    survey history (CSAT/CES latest, NPS trend) and the outcomes of the months after it (churn, revenue, cost to
    serve, upgrades, referrals), built in the store's engine."""
    from cxlens.value.dataset import dataset, write_dataset

    scope = parse_scope("", None, since, until, filter)
    if out.suffix.lower() != ".parquet":
        raise UsageError("out", str(out), message=f"--out {out}: the dataset is written as Parquet; name the file *.parquet")
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "outcomes", "nps")
        frame = dataset(store, scope, horizons=tuple(horizon or (12, 24)))
    path = write_dataset(frame, out)
    typer.echo(f"Wrote {len(frame):,} answers of {frame.customer_id.nunique():,} customers ({len(frame.columns)} columns) to {path}")


@value_app.command("groups")
@handles_errors
def groups_cmd(horizon: Annotated[int, typer.Option("--horizon", min=1, help="Months of follow-up after each answer (12 or 24 are usual).")] = 12,
               by: Annotated[list[str] | None, typer.Option("--by", help="Also split by segment, region or plan (repeat).")] = None,
               band: Annotated[str, typer.Option("--band", help="nps: NPS group of the answer; csat: band (1-2, 3, 4-5) of the customer's latest CSAT answer at that time.")] = "nps",
               since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
               min_group: MinGroupOpt = None, fmt: FormatOpt = "table", workspace: WorkspaceOpt = Path(".")) -> None:
    """Outcomes by satisfaction group over the months after each answer: retention (among answers followed for the
    whole horizon), revenue, cost to serve, upgrades and referrals per active month, with 95% intervals that count
    each customer once (cluster-robust), and the difference and ratio to promoters (CSAT 4-5)."""
    from cxlens.value.groups import outcomes_by_group

    scope = parse_scope("", None, since, until, filter)
    splits = [d.strip() for item in by or [] for d in item.split(",") if d.strip()]
    bad = [d for d in splits if d not in GROUP_SPLITS]
    if bad:
        raise UsageError("by", bad[0], GROUP_SPLITS)
    if band not in BANDS:
        raise UsageError("band", band, BANDS)
    ws = Workspace.open(workspace)
    with ws.store() as store:
        require(store, "outcomes", "nps")
        frame = outcomes_by_group(store, scope, horizon=horizon, by=tuple(splits), band=band)
    a = frame.attrs
    reference = a["reference"]
    notes = [f"{a['answers']:,} relationship-NPS answers of {a['customers']:,} customers, followed for {horizon} months.",
             "retention: share not churned within the horizon, among answers whose follow-up reaches it (or churned); "
             "revenue, cost_to_serve, upgrades, referrals: per active month over the horizon.",
             f"95% intervals cluster-robust by customer (CR1); difference and ratio to {reference} (ratio: delta method on the log)."]
    if band == "csat":
        notes.append("CSAT band: the customer's latest CSAT answer at or before the NPS answer; answers without one are left out.")
    # a row's difference and ratio describe its group and the reference group: published by the smaller of the two
    keys = [*splits, "metric"]
    ref = frame[frame.group == reference].set_index(keys).customers if len(frame) else None
    if ref is not None:
        frame = frame.assign(_ref=[ref.get(tuple(k) if len(keys) > 1 else k[0], 0) for k in frame[keys].itertuples(index=False)])
        frame = frame.assign(_c=smallest_group(frame, ["customers", "_ref"]))
        frame, notes = publish_rows(frame, ws, "_c", (*splits, "group", "metric", "per"), min_group, notes)
        frame = frame.drop(columns=["_ref", "_c"])
    title = f"Outcomes by {'NPS group' if band == 'nps' else 'CSAT band'}, {horizon} months after the answer"
    if fmt == "table":
        notes.append("The difference to the reference, its interval, units and answers: --format json or csv.")
        frame = frame.drop(columns=list(_HIDDEN))
    show(frame, fmt, title, notes)


@value_app.command("refresh")
@handles_errors
def refresh_cmd(workspace: WorkspaceOpt = Path(".")) -> None:
    """Rebuild value linkage's stored frames (customer-months and answers with their follow-up) from the store
    (every load of customers, outcomes, responses or tickets does it; run this when a value command warns that they
    are out of date, or after the store changed outside cxlens)."""
    done = Workspace.open(workspace).refresh_value()
    say(f"Stored {done['value_months']:,} customer-months, {done['value_answers']:,} answers and "
        f"{done['value_groups']:,} customers' sums in {done['seconds']:.1f} s.")
