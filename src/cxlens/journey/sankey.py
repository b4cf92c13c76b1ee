"""The Sankey of observed journeys: how many journeys go from each step's node to the next step's.

Nodes are "step k: node" (a touchpoint or stage at position k of the path), so a journey that comes back
to a touchpoint flows forward to a new node instead of making a cycle. Links count journeys moving from
step k to step k+1. Shares are of all journeys in scope (the paths table's denominator), so a node's share
is the share of journeys whose k-th step is that node. Nodes below `min_share` of journeys merge into one
"step k: other" node per step, and their links are added up, so the picture stays readable and the flow
is conserved (a node's journeys = its outgoing links + the journeys that ended there).

Same path definition as :func:`cxlens.journey.paths.paths` (first N steps, start_at/end_at), counted in
the engine; the rendering (HTML, SVG) is in :mod:`cxlens.report.sankey`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import ibis
import pandas as pd

from cxlens.errors import UsageError
from cxlens.journey.paths import JOURNEY, check_options, positions, unit_word
from cxlens.journey.steps import steps as numbered_steps
from cxlens.query import Scope

OTHER_NODE = "other"


@dataclass(frozen=True)
class Sankey:
    """nodes: id ("step k: node"), step, node, journeys, share, ended (journeys whose path ends there).
    links: source, target (node ids), journeys, share. total: journeys in scope (the shares' denominator);
    count: what a journey is ("customers", or "journeys" with sessions)."""

    nodes: pd.DataFrame
    links: pd.DataFrame
    total: int
    count: str = "customers"


def node_id(step: int, node: str) -> str:
    return f"step {step}: {node}"


def sankey(store, scope: Scope = Scope(), *, steps: int = 5, min_share: float = 0.01, unit: str = "touchpoint",
           collapse_repeats: bool = False, session_gap: timedelta | None = None, start_at: str | None = None,
           end_at: str | None = None) -> Sankey:
    """Transitions between consecutive steps of the first `steps` steps, as Sankey nodes and links.

    Nodes with fewer than `min_share` of all journeys become "step k: other". `scope.by` does not apply
    (one picture); filter with scope.filters instead.
    """
    if scope.by or scope.period:
        raise UsageError("by", scope.by or scope.period, message="the Sankey is one picture: filter a group with filters instead of by/period")
    if steps < 2:
        raise UsageError("steps", steps, message=f"steps={steps!r}: a Sankey needs at least 2 steps")
    check_options(store, steps, start_at, end_at, min_share)
    s = numbered_steps(store, scope, unit=unit, collapse_repeats=collapse_repeats, session_gap=session_gap)
    moves = _moves(positions(s, steps, start_at, end_at)).execute()
    return _merged(moves, min_share or 0.0, unit_word(session_gap))


def _moves(p) -> ibis.Table:
    """Per (k, node, next node): journeys on it (n) and journeys that start in the group's rows (starts).

    Every journey's first step is kept (with k NULL when it is not on the path) so that the sum of
    `starts` counts all journeys in scope, those without a path included.
    """
    p = p.filter(p.k.notnull() | (p.step == 1))
    on = p.k.notnull()
    nxt = p.node.lead().over(ibis.window(group_by=[p[c] for c in JOURNEY], order_by=p.step))
    p = p.mutate(_k=p.k, _node=ibis.ifelse(on, p.node, ibis.null("string")),
                 _next=ibis.ifelse(on, nxt, ibis.null("string")), _on=ibis.ifelse(on, 1, 0),
                 _start=ibis.ifelse(p.step == 1, 1, 0))
    return p.group_by(["_k", "_node", "_next"]).aggregate(n=p._on.sum(), starts=p._start.sum())


def _merged(moves: pd.DataFrame, min_share: float, count: str) -> Sankey:
    total = int(moves.starts.sum())
    moves = moves[moves.n > 0].copy()
    moves["_k"] = moves["_k"].astype(int)
    nodes = moves.groupby(["_k", "_node"], as_index=False).n.sum()
    small = {(k, n) for k, n, j in nodes.itertuples(index=False) if total and j / total < min_share}

    def name(k: int, node) -> str | None:
        if node is None or pd.isna(node):
            return None
        return node_id(k, OTHER_NODE if (k, node) in small else node)

    moves["source"] = [name(k, n) for k, n in zip(moves._k, moves._node)]
    moves["target"] = [name(k + 1, n) for k, n in zip(moves._k, moves._next)]
    moves["_node"] = [OTHER_NODE if (k, n) in small else n for k, n in zip(moves._k, moves._node)]
    node_rows = moves.groupby(["source", "_k", "_node"], as_index=False).agg(journeys=("n", "sum"))
    ended = moves[moves.target.isna()].groupby("source").n.sum()
    node_rows["ended"] = node_rows.source.map(ended).fillna(0).astype(int)
    node_rows = node_rows.rename(columns={"source": "id", "_k": "step", "_node": "node"})
    node_rows["share"] = node_rows.journeys / total if total else 0.0
    node_rows["_other"] = node_rows.node == OTHER_NODE
    node_rows = node_rows.sort_values(["step", "_other", "journeys", "node"], ascending=[True, True, False, True])
    nodes_frame = node_rows[["id", "step", "node", "journeys", "share", "ended"]].reset_index(drop=True)
    links = moves[moves.target.notna()].groupby(["source", "target"], as_index=False).agg(journeys=("n", "sum"))
    links["share"] = links.journeys / total if total else 0.0
    order = {n: i for i, n in enumerate(nodes_frame.id)}
    links = links.assign(_s=links.source.map(order), _t=links.target.map(order)).sort_values(["_s", "_t"])
    links = links[["source", "target", "journeys", "share"]].reset_index(drop=True)
    return Sankey(nodes_frame, links, total, count)


__all__ = ["OTHER_NODE", "Sankey", "node_id", "sankey"]
