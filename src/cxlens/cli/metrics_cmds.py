"""Commands: nps, csat, ces, outcomes, gaps, scorecard: measured figures with n, intervals and flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Sequence

import typer

from cxlens.cli._app import FormatOpt, WorkspaceOpt, app, handles_errors, render, require, say
from cxlens.cli.publish import MinGroupOpt, publish
from cxlens.errors import UsageError
from cxlens.workspace import Workspace

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.query import Scope

ByOpt = Annotated[str, typer.Option("--by", "-b", help="Dimensions, comma-separated: touchpoint, stage, segment, region, channel, language, plan, account, aspect (functional/emotional/experiential/overall).")]
PeriodOpt = Annotated[str | None, typer.Option("--period", "-p", help="week, month, quarter or year.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="First date included (YYYY-MM-DD).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Last date included (YYYY-MM-DD).")]
FilterOpt = Annotated[list[str] | None, typer.Option("--filter", help="DIM=VALUE; repeat for more (same DIM twice: either value). theme=ID keeps customers who mentioned the theme (after `cxlens text analyze`).")]
WeightedOpt = Annotated[bool, typer.Option("--weighted", help="Weight answers to the customer base's segment x region mix.")]
CompareOpt = Annotated[str | None, typer.Option("--compare", help="previous (period over period) or rest (each group vs the others).")]
MinNOpt = Annotated[int | None, typer.Option("--min-n", help="Flag cells with fewer answers (default: workspace min_n).")]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Say on stderr which source answered each metric (the rollup of sufficient statistics or the raw answers) and why.")]


def parse_scope(by: str | None = "", period: str | None = None, since: str | None = None, until: str | None = None,
                filters: list[str] | None = None, weighted: bool = False) -> Scope:
    """The command's --by/--period/--since/--until/--filter/--weighted as one Scope, parsed once.

    A bad value raises UsageError naming the library parameter; the error handler shows the flag.
    """
    from cxlens.query import Scope

    return Scope.parse(by=by, period=period, since=since, until=until, filters=filters, weighting=weighted)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records")


def for_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make flags visible in the terminal: low-n cells and significant changes stand out."""
    shown = []
    for r in rows:
        r = dict(r)
        if "low_n" in r:
            r["low_n"] = "⚠ low n" if r["low_n"] else ""
        if r.get("direction"):
            r["direction"] = "▲ rise" if r["direction"] == "rise" else "▼ fall"
        if "significant" in r:
            r["significant"] = "yes" if r["significant"] else ""
        shown.append(r)
    return shown


# Detail kept in JSON/CSV but left out of the terminal table, so it fits a normal window. `customers` is hidden
# only beside an answer count `n` (then it is the suppression rule's input); where it is the count (paths,
# funnels), it stays.
TABLE_HIDDEN = {"passives_pct", "change_ci_low", "change_ci_high", "p_value", "significant",
                "resolution_ci_low", "resolution_ci_high", "fcr_ci_low", "fcr_ci_high", "reopen_ci_low", "reopen_ci_high"}


def low_n_note(frame: pd.DataFrame, note: str) -> list[str]:
    """[note] when a cell of `frame` is flagged low n, else []: the footnote explains a flag, so no flag, no note."""
    return [note] if "low_n" in frame and bool(frame["low_n"].eq(True).any()) else []


def show(frame: pd.DataFrame, fmt: str, title: str, notes: list[str] | None = None, hidden: Sequence[str] = ()) -> None:
    """Render `frame` as a table, JSON or CSV. The terminal table leaves out TABLE_HIDDEN and `hidden` (a command's
    detail columns) so it fits a normal window; JSON and CSV keep every column."""
    show_rows(records(frame), list(frame.columns), fmt, title, notes, hidden)


def show_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str, title: str, notes: list[str] | None = None,
              hidden: Sequence[str] = ()) -> None:
    """`show` for records (`rows`, each a dict of `columns`) that come without a frame (`cxlens.metrics.quick`)."""
    if fmt == "table":
        hidden = TABLE_HIDDEN | set(hidden) | ({"customers"} if "n" in columns else set())
        render(for_table(rows), fmt, title=title, columns=[c for c in columns if c not in hidden], notes=notes or [])
    else:
        render(rows, fmt, columns=columns)


def explain_plan(store, metrics: Sequence[str], scope: Scope, customers_cap: int | None = None) -> list[str]:
    """`--explain`: one line per metric saying which source answers its cells for `scope` and why."""
    from cxlens.metrics.plan import explain

    return explain(store, metrics, scope, customers_cap=customers_cap)


# The capped distinct customers behind each published figure (the small-group rule's input, architecture D48): used by
# `publish`, never shown.
CAPPED_COLUMNS = ("customers", "customers_nps", "customers_csat", "customers_ces", "customers_tickets",
                  "nps_trend_customers", "csat_trend_customers")


def print_explained(lines: list[str]) -> None:
    """Print `--explain`'s lines on stderr, so JSON and CSV on stdout stay valid."""
    for line in lines:
        say(("explain:", "bold"), " ", line, err=True)


def _experience(metric: str, by: str, period, since, until, filters, weighted, compare, min_n,
                min_group, fmt, workspace, explain: bool = False, **extra) -> None:
    from cxlens.privacy.min_group import min_group_for

    scope = parse_scope(by, period, since, until, filters, weighted)
    ws = Workspace.open(workspace)
    min_n = ws.min_n if min_n is None else min_n
    floor = min_group_for(ws.min_group, min_group)  # customers counted up to it: all the rule needs (D48)
    title = f"{metric.upper()} by {by or 'all'}" + (f" per {period}" if period else "")
    low_n = f"⚠ low n: fewer than {min_n} {'effective ' if weighted else ''}answers; the interval is wide, read with care."
    if not compare and _answered_quickly(metric, scope, ws, min_n, floor, fmt, title, low_n, explain, **extra):
        return
    from cxlens.metrics.experience import METRIC_FUNCTIONS

    with ws.store() as store:
        require(store, metric, *(("customers",) if weighted else ()))
        explained = explain_plan(store, [metric], scope, floor) if explain else []
        frame = METRIC_FUNCTIONS[metric](store, scope, min_n=min_n, compare=compare, customers_cap=floor, **extra)
    notes = low_n_note(frame, low_n)
    if compare:
        notes.append("significant: Benjamini-Hochberg adjusted p (q_value) < 0.05 across all cells compared.")
    if weighted:
        notes.append("Weighted to the customer base by segment x region; n_eff is Kish's effective sample size.")
    groups = [*scope.by, *(["period"] if period else [])]
    frame, notes = publish(frame, ws, groups, floor, notes,
                           previous=("vs", "change", "change_ci_low", "change_ci_high", "p_value", "q_value",
                                     "significant", "direction") if compare == "previous" else ())
    frame = frame.drop(columns=[c for c in CAPPED_COLUMNS if c in frame])
    show(frame, fmt, title, notes)
    print_explained(explained)


def _answered_quickly(metric: str, scope: Scope, ws: Workspace, min_n: int, floor: int, fmt: str, title: str,
                      low_n: str, explain: bool, ci: str = "adjusted-wald") -> bool:
    """Print the cells from the rollup with DuckDB alone (`cxlens.metrics.quick`: no pandas or Ibis imported, D61)
    when that path gives exactly what the library would print; False when it cannot, and the library answers."""
    from cxlens.metrics.quick import answer

    found = answer(ws.store_url, metric, scope, min_n=min_n, customers_cap=floor, ci=ci,
                   external=bool(ws.external_tables))
    if found is None:
        return False
    show_rows(found.rows, found.columns, fmt, title, [low_n] if any(r["low_n"] for r in found.rows) else [])
    print_explained([f"{metric}: {found.plan}"] if explain else [])
    return True


@app.command("nps")
@handles_errors
def nps_cmd(by: ByOpt = "", period: PeriodOpt = None, since: SinceOpt = None, until: UntilOpt = None,
            filter: FilterOpt = None, weighted: WeightedOpt = False, compare: CompareOpt = None,
            ci: Annotated[str, typer.Option("--ci", help="adjusted-wald (default), wald or bootstrap.")] = "adjusted-wald",
            min_n: MinNOpt = None, min_group: MinGroupOpt = None, fmt: FormatOpt = "table",
            explain: ExplainOpt = False, workspace: WorkspaceOpt = Path(".")) -> None:
    """Net Promoter Score (-100..100) per group and period, with n and a 95% interval."""
    _experience("nps", by, period, since, until, filter, weighted, compare, min_n, min_group, fmt, workspace,
                explain, ci=ci)


@app.command("csat")
@handles_errors
def csat_cmd(by: ByOpt = "", period: PeriodOpt = None, since: SinceOpt = None, until: UntilOpt = None,
             filter: FilterOpt = None, weighted: WeightedOpt = False, compare: CompareOpt = None,
             min_n: MinNOpt = None, min_group: MinGroupOpt = None, fmt: FormatOpt = "table",
             explain: ExplainOpt = False, workspace: WorkspaceOpt = Path(".")) -> None:
    """CSAT (1-5): mean with a t interval and % top-2-box with a Wilson interval."""
    _experience("csat", by, period, since, until, filter, weighted, compare, min_n, min_group, fmt, workspace,
                explain)


@app.command("ces")
@handles_errors
def ces_cmd(by: ByOpt = "", period: PeriodOpt = None, since: SinceOpt = None, until: UntilOpt = None,
            filter: FilterOpt = None, weighted: WeightedOpt = False, compare: CompareOpt = None,
            min_n: MinNOpt = None, min_group: MinGroupOpt = None, fmt: FormatOpt = "table",
            explain: ExplainOpt = False, workspace: WorkspaceOpt = Path(".")) -> None:
    """CES (1-7, higher = easier): mean with a t interval and % low effort (5-7) with a Wilson interval."""
    _experience("ces", by, period, since, until, filter, weighted, compare, min_n, min_group, fmt, workspace,
                explain)


def _no_weighting(weighted: bool, what: str) -> None:
    if weighted:
        raise UsageError("weighting", True, message=f"--weighted re-weights survey answers; {what} are not survey answers")


@app.command("outcomes")
@handles_errors
def outcomes_cmd(by: Annotated[str, typer.Option("--by", "-b", help="touchpoint, stage, category, channel (the ticket's), segment, region, language, plan, account.")] = "touchpoint",
                 period: PeriodOpt = None, since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None,
                 weighted: WeightedOpt = False,
                 drivers: Annotated[bool, typer.Option("--drivers", help="Rank which ticket outcomes move CSAT most instead.")] = False,
                 min_n: MinNOpt = None, min_group: MinGroupOpt = None, fmt: FormatOpt = "table",
                 explain: ExplainOpt = False, workspace: WorkspaceOpt = Path(".")) -> None:
    """Ticket outcomes: resolution, first-contact resolution, reopen rate, response and resolution times, backlog."""
    from cxlens.metrics.outcomes import outcomes_by
    from cxlens.metrics.plan import plan_tickets
    from cxlens.value.drivers import csat_drivers

    _no_weighting(weighted, "tickets")
    scope = parse_scope(by, period, since, until, filter)
    ws = Workspace.open(workspace)
    min_n = ws.min_n if min_n is None else min_n
    with ws.store() as store:
        require(store, "tickets", *(("csat",) if drivers else ()))
        if drivers:  # the regression has no groups or periods: --by and --period do not apply
            frame = csat_drivers(store, scope.replace(by=(), period=None))
            # one regression over every customer: its rows do not add up, a small population empties them all
            frame, notes = publish(frame, ws, ["driver"], min_group, [
                "effect: CSAT points per unit of the driver, others held fixed; std_effect ranks them."], keep=["unit"])
            show(frame, fmt, "What moves post-ticket CSAT (multiple regression)", notes)
            return
        explained = [f"ticket outcomes: {plan_tickets(store, scope)}"] if explain else []
        frame = outcomes_by(store, scope, min_n=min_n)
    print_explained(explained)
    notes = low_n_note(frame, f"⚠ low n: fewer than {min_n} tickets.") + ["Rates in %, times in hours, backlog ages in days."]
    frame, notes = publish(frame, ws, [*scope.by, *(["period"] if period else [])], min_group, notes)
    show(frame, fmt, f"Ticket outcomes by {by or 'all'}" + (f" per {period}" if period else ""), notes)


@app.command("gaps")
@handles_errors
def gaps_cmd(kind: Annotated[str, typer.Option("--kind", "-k", help="expectation (CSAT vs expectation), delivery (owners' self-rating vs customers) or consistency.")] = "expectation",
             by: ByOpt = "touchpoint", period: PeriodOpt = None, since: SinceOpt = None, until: UntilOpt = None,
             filter: FilterOpt = None, weighted: WeightedOpt = False,
             metric: Annotated[str, typer.Option("--metric", help="Metric for --kind consistency: csat, nps or ces.")] = "csat",
             min_n: MinNOpt = None, min_group: MinGroupOpt = None, fmt: FormatOpt = "table",
             workspace: WorkspaceOpt = Path(".")) -> None:
    """Gaps: expectation vs perception, owners' belief vs customers, and consistency across groups."""
    from cxlens.metrics.gaps import CONSISTENCY_ACROSS, CONSISTENCY_METRICS, consistency, delivery_gap, expectation_gap

    if metric not in CONSISTENCY_METRICS:  # refused whatever the kind, so a typo never passes unnoticed
        raise UsageError("metric", metric, CONSISTENCY_METRICS)
    scope = parse_scope(by, period, since, until, filter, weighted)
    ws = Workspace.open(workspace)
    min_n = ws.min_n if min_n is None else min_n
    with ws.store() as store:
        require(store, *{"expectation": ("csat", "expectation"), "delivery": ("self_rating", "responses"),
                         "consistency": (metric,)}.get(kind, ()))
        if kind == "expectation":
            frame = expectation_gap(store, scope, min_n=min_n)
            title, notes = "Expectation gap (CSAT - expectation, 1-5)", ["Negative gap: customers got less than they expected."]
            groups, keep = [*scope.by, *(["period"] if scope.period else [])], ()
        elif kind == "delivery":
            _no_weighting(weighted, "self-ratings")
            frame = delivery_gap(store, scope.replace(by=(), period=None), min_n=min_n)
            title, notes = "Delivery gap (owners' self-rating vs customers)", ["over-rated: the self-rating is above the whole 95% interval."]
            groups, keep = ["touchpoint", "metric"], ("owner", "self_rating")  # the owner's own figure
        elif kind == "consistency":
            _no_weighting(weighted, "consistency tests")
            across = list(scope.by) if scope.by and scope.by != ("touchpoint",) else list(CONSISTENCY_ACROSS)
            frame = consistency(store, scope.replace(by=(), period=None), metric=metric, across=across)
            title, notes = f"Consistency of {metric} across {', '.join(across)}", [
                "tau: between-group SD beyond sampling noise; inconsistent: BH-adjusted p < 0.05."]
            groups, keep = ["touchpoint", "across"], ()  # customers: the smallest group a test compares
        else:
            raise UsageError("kind", kind, ("expectation", "delivery", "consistency"))
    frame, notes = publish(frame, ws, groups, min_group, notes, keep=keep)
    show(frame, fmt, title, notes)


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list) -> str:
    """Unicode sparkline of a series; gaps (None) show as spaces."""
    vals = [v for v in values if v is not None]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    return "".join(" " if v is None else SPARK[int((v - lo) / span * (len(SPARK) - 1))] for v in values)


def scorecard_explained(store, scope: Scope, customers_cap: int | None = None) -> list[str]:
    """`--explain` for the scorecard: the source of NPS, CSAT and CES (weighted as asked), of the unweighted trends and
    expectation gap, and of the ticket outcomes."""
    from cxlens.metrics.plan import plan, plan_tickets

    lines = explain_plan(store, ["nps", "csat", "ces"], scope, customers_cap)
    unweighted = scope.replace(weighting=None)
    lines.append(f"expectation gap (expectation and csat, unweighted): {plan(store, 'expectation', unweighted)}")
    if scope.weighting:
        lines.append(f"nps and csat trends (unweighted): {plan(store, 'nps', unweighted, customers_cap=customers_cap)}")
    return lines + [f"ticket outcomes: {plan_tickets(store, scope.replace(weighting=None))}"]


@app.command("scorecard")
@handles_errors
def scorecard_cmd(by: Annotated[str, typer.Option("--by", "-b", help="touchpoint or stage.")] = "touchpoint",
                  period: Annotated[str, typer.Option("--period", "-p", help="Period of the trend series.")] = "month",
                  since: SinceOpt = None, until: UntilOpt = None, filter: FilterOpt = None, weighted: WeightedOpt = False,
                  min_n: MinNOpt = None, min_group: MinGroupOpt = None, fmt: FormatOpt = "table",
                  explain: ExplainOpt = False, workspace: WorkspaceOpt = Path(".")) -> None:
    """One row per touchpoint (or stage): NPS, CSAT, CES, ticket outcomes, gap, target and status, with trends."""
    from cxlens.metrics.scorecard import LEVELS, scorecard
    from cxlens.privacy.suppress import min_group_for
    from cxlens.report.published import published_scorecard

    if by not in LEVELS:  # --by names the scorecard's rows here (its `level`)
        raise UsageError("by", by, LEVELS)
    scope = parse_scope("", period, since, until, filter, weighted)  # --period: the trend series
    ws = Workspace.open(workspace)
    min_n = ws.min_n if min_n is None else min_n
    floor = min_group_for(ws.min_group, min_group)
    with ws.store() as store:
        require(store, "touchpoints", "answers_or_tickets")
        frame = scorecard(store, scope.replace(period=None), level=by, min_n=min_n, trend_period=scope.period,
                          customers_cap=floor)
        explained = scorecard_explained(store, scope.replace(by=(by,), period=None), floor) if explain else []
    frame, privacy = published_scorecard(frame, by, floor)
    frame = frame.drop(columns=[c for c in CAPPED_COLUMNS if c in frame])
    if fmt == "table":
        cols = [c for c in ("stage", "touchpoint", "n_nps", "nps", "n_csat", "csat", "ces", "tickets", "resolution_rate",
                            "fcr_rate", "expectation_gap", "status", "low_n") if c in frame]
        view = frame[cols].copy()
        view["nps_trend"] = frame["nps_trend"].map(sparkline)
        view["csat_trend"] = frame["csat_trend"].map(sparkline)
        show(view, fmt, f"Scorecard by {by}", [
            "status: worst over metrics with a target; 'significantly' = the whole 95% interval is below target.",
            *low_n_note(frame, f"⚠ low n: a metric has fewer than {min_n} answers."),
            f"Trends are per {period}; --format json has the series.", *privacy])
    else:
        if fmt == "csv":
            frame = frame.assign(**{c: frame[c].map(lambda v: " ".join("" if x is None else str(x) for x in v))
                                    for c in ("periods", "nps_trend", "csat_trend")})
        frame = frame.assign(targets=frame["targets"].map(lambda t: t if fmt == "json" else json.dumps(t))) if "targets" in frame else frame
        show(frame, fmt, "")
    print_explained(explained)

