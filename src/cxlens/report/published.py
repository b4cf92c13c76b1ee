"""Published forms of analysis results with several families of figures per row (the scorecard), small groups
suppressed (cxlens.privacy.suppress), shared by the report and the CLI so both publish the same cells."""

from __future__ import annotations

import pandas as pd

from cxlens.metrics.scorecard import row_status
from cxlens.privacy.suppress import suppress_families, suppress_series

# Each family of scorecard figures and the distinct customers behind it (cxlens.metrics.scorecard).
SCORECARD_FAMILIES = {
    "customers_nps": ("n_nps", "nps", "nps_ci_low", "nps_ci_high"),
    "customers_csat": ("n_csat", "csat", "csat_ci_low", "csat_ci_high", "csat_top2_pct", "csat_top2_ci_low",
                       "csat_top2_ci_high"),
    "customers_ces": ("n_ces", "ces", "ces_ci_low", "ces_ci_high", "ces_low_effort_pct", "ces_low_effort_ci_low",
                      "ces_low_effort_ci_high"),
    "customers_tickets": ("tickets", "resolution_rate", "resolution_ci_low", "resolution_ci_high", "fcr_rate",
                          "fcr_ci_low", "fcr_ci_high", "reopen_rate", "resolution_p50_h"),
    "customers_gap": ("expectation_gap", "expectation_gap_ci_low", "expectation_gap_ci_high"),
}


def published_scorecard(frame: pd.DataFrame, level: str, min_group: int) -> tuple[pd.DataFrame, list[str]]:
    """The scorecard with small groups suppressed family by family (each family's totals are published by its own
    command, so complements are taken per family), the trend points of small groups emptied (complements per
    period), and the status worked out again from what is left, so no status rests on a suppressed figure.
    Returns (frame, notes): the note once when anything was suppressed."""
    out, note = suppress_families(frame, key=level, families=SCORECARD_FAMILIES, min_group=min_group)
    notes = [note] if note else []
    for series in ("nps_trend", "csat_trend"):
        out, note = suppress_series(out, series=series, counts=f"{series}_customers", min_group=min_group)
        if note and not notes:
            notes = [note]
    if notes and level == "touchpoint" and "targets" in out:
        statuses = [row_status(r) for r in out.to_dict("records")]
        out = out.assign(status=[s for s, _ in statuses], status_detail=[d for _, d in statuses])
    return out, notes


# Each family of breakpoint figures and the distinct customers behind it (cxlens.journey.breakpoints).
BREAKPOINT_FAMILIES = {
    "reached": ("exits", "exit_rate", "exit_low", "exit_high", "exit_rate_elsewhere", "exit_q"),
    "csat_customers": ("csat_n", "csat", "csat_elsewhere", "csat_q", "bottom_box_pct"),
    "comment_customers": ("comments_analysed", "negative_pct", "negative_pct_elsewhere", "negative_q",
                          "top_negative_theme"),
    "expectation_customers": ("expectation_n", "expectation_gap", "gap_q"),
}


def published_breakpoints(frame: pd.DataFrame, min_group: int) -> tuple[pd.DataFrame, list[str]]:
    """Breakpoints with each family of figures (exits, CSAT, comments, expectation gap) of a touchpoint from fewer
    than `min_group` customers emptied, complements across touchpoints included (the figures elsewhere pool the
    other touchpoints, so one suppressed touchpoint could be worked out from them)."""
    out, note = suppress_families(frame, key="touchpoint", families=BREAKPOINT_FAMILIES, min_group=min_group)
    return out, [note] if note else []


def published_sankey(draw, min_share: float, min_group: int):
    """(Sankey, notes) from `draw(min_share)` (cxlens.journey.sankey with the caller's options): nodes of fewer than
    `min_group` customers merged into "step k: other" (drawn again with a larger min_share: the library's own
    merge), then every link and "other" node still under `min_group` dropped and a small "path ended here"
    count emptied, so no box, band or tooltip describes a small group; then complements (`_complemented`), so
    no node's count minus the bands shown at it gives a small group. With sessions a Sankey counts journeys,
    not customers: the same threshold then applies to journeys (5 journeys may come from fewer customers)."""
    from dataclasses import replace

    from cxlens.privacy.suppress import small_groups_note

    picture = draw(min_share)
    if min_group <= 1 or picture.nodes.empty:
        return picture, []
    if picture.total >= min_group and (picture.nodes.journeys < min_group).any():
        picture = draw(max(min_share, min_group / picture.total))
    nodes = picture.nodes[picture.nodes.journeys >= min_group]
    links = picture.links[picture.links.journeys >= min_group]
    links = links[links.source.isin(nodes.id) & links.target.isin(nodes.id)]
    ended = nodes.ended.where((nodes.ended == 0) | (nodes.ended >= min_group)).to_numpy(float)
    nodes, links, ended = _complemented(nodes.reset_index(drop=True), links.reset_index(drop=True), ended,
                                        picture.total, min_group)
    if len(nodes) == len(picture.nodes) and len(links) == len(picture.links) and not pd.isna(ended).any():
        return picture, []
    nodes = nodes.assign(ended=[None if pd.isna(e) else int(e) for e in ended])
    return replace(picture, nodes=nodes.reset_index(drop=True), links=links.reset_index(drop=True)), [
        small_groups_note(min_group)]


def _complemented(nodes: pd.DataFrame, links: pd.DataFrame, ended, total: int, min_group: int):
    """Secondary suppression for a flow picture: a node's journeys minus the bands shown into it (or out of it and
    ending there), and a step's journeys (all in scope for the first step, those going on from the step before
    for the others) minus its nodes shown, must each be 0 or at least `min_group` (or negative: the step before
    lost nodes, checked there), else the smallest band (or node, or "ended" count) there is left out too, until
    nothing changes."""
    import numpy as np

    ended = np.asarray(ended, float)
    first = nodes.step.min() if len(nodes) else 0
    changed = True
    while changed:
        changed = False
        # per step: journeys in scope (or going on from the nearest step shown before) minus the step's nodes shown
        steps = sorted(nodes.step.unique())
        before = {k: (total if i == 0 else int(nodes.journeys[nodes.step == steps[i - 1]].sum())
                      - int(np.nansum(ended[(nodes.step == steps[i - 1]).to_numpy()]))) for i, k in enumerate(steps)}
        short = [k for k in steps if 0 < before[k] - int(nodes.journeys[nodes.step == k].sum()) < min_group]
        if short:
            smallest = nodes[nodes.step == short[0]].journeys.idxmin()
            gone = nodes.id[smallest]
            keep = nodes.index != smallest
            nodes, ended = nodes[keep].reset_index(drop=True), ended[keep]
            links = links[(links.source != gone) & (links.target != gone)].reset_index(drop=True)
            changed = True
            continue
        for i, node in nodes.iterrows():
            into, out = links[links.target == node.id], links[links.source == node.id]
            hidden_in = 0 if node.step == first else int(node.journeys - into.journeys.sum())
            shown_end = 0 if np.isnan(ended[i]) else ended[i]
            hidden_out = int(node.journeys - out.journeys.sum() - shown_end)
            if 0 < hidden_in < min_group and len(into):
                links, changed = links.drop(into.journeys.idxmin()).reset_index(drop=True), True
            elif 0 < hidden_out < min_group and len(out):
                links, changed = links.drop(out.journeys.idxmin()).reset_index(drop=True), True
            elif 0 < hidden_out < min_group and not np.isnan(ended[i]) and ended[i] > 0:
                ended[i], changed = np.nan, True
            if changed:
                break
    return nodes, links, ended
