"""Report sections of journey analytics: the journey map picture, the top observed paths, their Sankey, the
breakpoints and the moments of truth.

Each builder returns a `Section` or None; `cxlens.report.sections` lists them with what each needs from the
store, so a store without journey events gets the map (it needs only journey.yaml) and, for the sections
built from events, the reason they are missing and the command that loads events.
"""

from __future__ import annotations

import pandas as pd

from cxlens.journey import breakpoints, moments, paths, sankey
from cxlens.journey.breakpoints import RANK_RULE
from cxlens.journey.moments import VERDICTS
from cxlens.query import Scope
from cxlens.report.components import Figure, Paragraph, Section, table
from cxlens.report.sankey import sankey_svg
from cxlens.report.journey_health import BELOW_SIG, NO_DATA, touchpoint_health
from cxlens.report.journey_map import journey_map_svg
from cxlens.report.published import published_breakpoints, published_sankey
from cxlens.privacy.suppress import suppress, suppress_rows


def journey_map_section(store, min_n: int, min_group: int = 5) -> Section:
    """The journey map as a picture: stages as columns, touchpoint cards coloured by health against their targets;
    a card whose figures come from fewer than `min_group` customers says "too few to publish"."""
    health = touchpoint_health(store, Scope(), min_n=min_n, min_group=min_group)
    svg = journey_map_svg(store, min_n=min_n, title="Journey map", health=health)
    failing = health.loc[health["health"] == BELOW_SIG, "name"].fillna(health["touchpoint"]).tolist()
    unmeasured = int((health["health"] == NO_DATA).sum())
    summary = (f"{len(failing)} of {len(health)} touchpoints miss a target beyond sampling noise"
               + (f": {', '.join(failing)}." if failing else ".")
               + (f" {unmeasured} have too few answers to judge." if unmeasured else ""))
    return Section("journey-map", "Journey map", (Figure(svg, wide=True), Paragraph(summary)),
                   intro="Stages in journey order, each touchpoint a card with its channel and owner; ★ marks the moments "
                         "of truth named in journey.yaml. Colours read the scorecard's figures against the targets in "
                         "journey.yaml: red only when the whole 95% interval misses a target.",
                   note="Cards within a stage follow the order in which customers first reach them in the observed events.")


PATH_STEPS, TOP_PATHS, SANKEY_MIN_SHARE = 5, 10, 0.02


def paths_section(store, min_n: int, min_group: int = 5) -> Section:
    """The most common paths of the first 5 steps (repeats collapsed), with shares of all customers and times."""
    frame = paths(store, steps=PATH_STEPS, top=TOP_PATHS, collapse_repeats=True)
    frame, note = suppress(frame, groups=["path"], min_group=min_group, keep=["rank", "length"])
    shown = frame.assign(share=100 * frame["share"], share_low=100 * frame["share_low"],
                         share_high=100 * frame["share_high"],
                         median_days=frame["median_seconds"] / 86400, p90_days=frame["p90_seconds"] / 86400,
                         low_n=pd.to_numeric(frame["customers"]) < min_n)
    rows = table(shown, ["rank", "path", "customers", "share", "share_low", "share_high", "median_days", "p90_days"],
                 weak_column="low_n")
    return Section("journey-paths", "How customers really move: top paths", (rows,),
                   intro=f"The {TOP_PATHS} most common sequences of customers' first {PATH_STEPS} touchpoints (a touchpoint "
                         "repeated in a row counts once), as % of all customers with a 95% Wilson interval, and the "
                         "median and 90th-percentile days between consecutive steps. 'other paths' makes the shares "
                         "add up to 100%." + (f" {note}" if note else ""))


def sankey_section(store, min_n: int, min_group: int = 5) -> Section:
    """The flows between the first 5 steps as a Sankey picture (nodes "step k: touchpoint"); nodes and bands of
    fewer than `min_group` customers merged into "other" or left out."""
    k, notes = published_sankey(lambda share: sankey(store, steps=PATH_STEPS, min_share=share, collapse_repeats=True),
                                SANKEY_MIN_SHARE, min_group)
    return Section("journey-sankey", "Journey flows (Sankey)", (Figure(sankey_svg(k, standalone=False)),),
                   intro=f"{k.total:,} {k.count}: column k is the k-th step of their journeys (repeats collapsed), band "
                         f"widths are {k.count}; touchpoints under {SANKEY_MIN_SHARE:.0%} of them at a step are merged "
                         "into 'other'. Hover a node or band for its figures." + "".join(f" {n}" for n in notes))


def moments_section(store, min_n: int, min_group: int = 5) -> Section | None:
    """Moments of truth and of magic: touchpoints where a bad (great) experience changes later churn, against the map.
    An estimate from fewer than `min_group` exposed customers is not published."""
    frame = moments(store)
    if frame.empty:
        return None
    frame, note = suppress_rows(frame, customers="exposed_customers", min_group=min_group,
                                keep=("moment", "rank", "touchpoint", "flagged", "correction"))
    wrong = frame[frame["verdict"].isin([VERDICTS["flagged_none"], VERDICTS["unflagged_effect"]])]
    blocks = [table(frame, ["moment", "rank", "touchpoint", "hazard_ratio", "ci_lower", "ci_upper", "p_adjusted",
                            "exposed_customers", "flagged", "verdict"])]
    if len(wrong):
        blocks.append(Paragraph("Where the map is wrong: " + "; ".join(
            f"{r.touchpoint} ({r.verdict})" for r in wrong.drop_duplicates("touchpoint").itertuples()) + "."))
    return Section("journey-moments", "Moments of truth and of magic", tuple(blocks),
                   intro="Per touchpoint, how a bad experience there (CSAT 1-2, CES 1-2 or NPS 0-6; a moment of truth) or a "
                         "great one (CSAT 5, CES 7 or NPS 9-10; a moment of magic) changes the hazard of churning later: "
                         "Cox hazard ratios by tenure, stratified by segment x plan, 95% intervals, Benjamini-Hochberg "
                         "p_adjusted; compared with the moment_of_truth flags in journey.yaml." + (f" {note}" if note else ""))


def breakpoints_section(store, min_n: int, min_group: int = 5) -> Section | None:
    """Where the experience fails: touchpoints ranked by exits and the other lines of evidence, each named."""
    frame = breakpoints(store, min_customers=min_n)
    if frame.empty:
        return None
    frame, notes = published_breakpoints(frame, min_group)
    shown = frame.assign(exit_rate=100 * frame["exit_rate"], exit_low=100 * frame["exit_low"],
                         exit_high=100 * frame["exit_high"], exit_rate_elsewhere=100 * frame["exit_rate_elsewhere"],
                         low_n=pd.to_numeric(frame["reached"]) < min_n)
    rows = table(shown, ["rank", "touchpoint", "evidence", "reached", "exits", "exit_rate", "exit_low", "exit_high",
                         "exit_rate_elsewhere", "csat", "csat_elsewhere", "negative_pct", "top_negative_theme",
                         "expectation_gap"], weak_column="low_n")
    return Section("journey-breakpoints", "Breakpoints: where the experience fails", (rows,),
                   intro="Per touchpoint: customers who reached it and whose journey ended there (exit rate %, 95% Wilson "
                         "interval, against all other touchpoints), mean CSAT there vs elsewhere, % negative comments and "
                         "their top theme, and the expectation gap. 'evidence' names the lines that are significant "
                         f"(Benjamini-Hochberg q < 0.05). Ranked: {RANK_RULE}." + "".join(f" {n}" for n in notes),
                   note="Journeys still going at the end of the data and ends at the map's final stage are not exits.")
