"""Paths and the Sankey against brute-force Python counting: ties in time, repeats, one-event customers,
sessions, start/end at a touchpoint or stage; shares add up to 1; the HTML picture is self-contained."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser

import numpy as np
import pytest

from conftest import plain_event_order, plain_events_store
from test_steps import random_events
from cxlens.errors import UsageError
from cxlens.journey.paths import OTHER, paths
from cxlens.journey.sankey import sankey
from cxlens.query import Scope
from cxlens.report.sankey import sankey_html, sankey_svg

TOUCHPOINTS = {"shop": "purchase", "call": "support", "relationship": "advocacy"}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    rows = random_events(11, customers=60)
    store = plain_events_store(tmp_path_factory.mktemp("paths"), rows, customers=60)
    yield store, rows
    store.close()


def journeys(rows, unit="touchpoint", collapse=False, gap=None) -> dict[tuple, list[tuple]]:
    """(customer, session) -> [(node, touchpoint, stage, ts)], numbered as `journey.steps` does."""
    by_customer: dict[str, list[dict]] = {}
    for r in rows:
        by_customer.setdefault(r["customer_id"], []).append(r)
    out = {}
    for customer, evs in by_customer.items():
        evs.sort(key=plain_event_order)
        session, prev = 0, None
        for r in evs:
            if prev is None or (gap is not None and r["ts"] - prev > gap):
                session += 1
            prev = r["ts"]
            tp = r["touchpoint_id"]
            node = tp if unit == "touchpoint" else TOUCHPOINTS[tp]
            seq = out.setdefault((customer, session), [])
            if collapse and seq and seq[-1][0] == node:
                continue
            seq.append((node, tp, TOUCHPOINTS[tp], r["ts"]))
    return out


def cut(seq, n, start_at=None, end_at=None):
    """The journey's path: n steps from the first start_at, or the n steps up to the first end_at after it."""
    lo = 0
    if start_at:
        hits = [i for i, s in enumerate(seq) if start_at in (s[1], s[2])]
        if not hits:
            return None
        lo = hits[0]
    if end_at:
        hits = [i for i, s in enumerate(seq) if i >= lo and end_at in (s[1], s[2])]
        if not hits:
            return None
        return seq[max(lo, hits[0] - n + 1):hits[0] + 1]
    return seq[lo:lo + n]


def brute_paths(rows, n=5, unit="touchpoint", collapse=False, gap=None, start_at=None, end_at=None):
    counts, gaps, missing, total = Counter(), {}, 0, 0
    for seq in journeys(rows, unit, collapse, gap).values():
        total += 1
        path = cut(seq, n, start_at, end_at)
        if path is None:
            missing += 1
            continue
        key = " > ".join(s[0] for s in path)
        counts[key] += 1
        gaps.setdefault(key, []).extend((b[3] - a[3]).total_seconds() for a, b in zip(path, path[1:]))
    return counts, gaps, missing, total


OPTIONS = [{}, {"steps": 3}, {"steps": 2, "collapse_repeats": True}, {"unit": "stage", "steps": 3},
           {"session_gap": timedelta(hours=20), "steps": 3}, {"start_at": "call", "steps": 2},
           {"end_at": "relationship", "steps": 2}, {"start_at": "purchase", "end_at": "call", "steps": 3},
           {"steps": 1}]


@pytest.mark.parametrize("options", OPTIONS)
def test_paths_match_brute_force_counting(planted, options):
    store, rows = planted
    n = options.get("steps", 5)
    counts, gaps, missing, total = brute_paths(rows, n, options.get("unit", "touchpoint"), options.get("collapse_repeats", False),
                                               options.get("session_gap"), options.get("start_at"), options.get("end_at"))
    frame = paths(store, top=4, **options)
    ranked = frame[frame["rank"].notna()]
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
    count = "journeys" if options.get("session_gap") else "customers"
    assert list(zip(ranked.path, ranked[count])) == expected
    assert list(ranked["rank"]) == list(range(1, len(expected) + 1))
    other = frame[frame.path == OTHER].iloc[0]
    assert other[count] == sum(counts.values()) - sum(c for _, c in expected)
    assert frame[count].sum() == total and frame.share.sum() == pytest.approx(1.0)
    if options.get("start_at") or options.get("end_at"):
        assert frame.iloc[-1][count] == missing
    for path, median, p90 in zip(ranked.path, ranked.median_seconds, ranked.p90_seconds):
        if gaps[path]:
            assert median == pytest.approx(np.quantile(gaps[path], 0.5)) and p90 == pytest.approx(np.quantile(gaps[path], 0.9))
        else:
            assert np.isnan(median)
    assert (frame.share_low <= frame.share).all() and (frame.share <= frame.share_high).all()


def test_paths_by_segment_rank_within_each_group_and_min_share_folds_paths(planted):
    store, rows = planted
    frame = paths(store, Scope.parse(by="segment"), steps=2, top=3)
    for segment, group in frame.groupby("segment"):
        mine = [r for r in rows if (int(r["customer_id"][1:]) % 2 == 1) == (segment == "a")]
        counts, _, _, total = brute_paths(mine, 2)
        assert list(group.path[group["rank"].notna()]) == [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
        assert group.customers.sum() == total and group.share.sum() == pytest.approx(1.0)
    folded = paths(store, steps=3, top=50, min_share=0.05)
    assert (folded.share[folded["rank"].notna()] >= 0.05).all() and folded.share.sum() == pytest.approx(1.0)


def test_bad_options_name_themselves(planted):
    store, _ = planted
    for kwargs, parameter in [({"steps": 0}, "steps"), ({"top": 0}, "top"), ({"start_at": "nowhere"}, "start_at"),
                              ({"min_share": 2.0}, "min_share"), ({"unit": "channel"}, "unit")]:
        with pytest.raises(UsageError, match=parameter):
            paths(store, **kwargs)
    with pytest.raises(UsageError, match="by"):
        paths(store, Scope.parse(by="channel"))


def brute_links(rows, n):
    nodes, links, total = Counter(), Counter(), 0
    for seq in journeys(rows).values():
        total += 1
        path = [s[0] for s in seq[:n]]
        for k, node in enumerate(path, start=1):
            nodes[f"step {k}: {node}"] += 1
        for k, (a, b) in enumerate(zip(path, path[1:]), start=1):
            links[(f"step {k}: {a}", f"step {k + 1}: {b}")] += 1
    return nodes, links, total


def test_sankey_links_match_brute_force_and_conserve_flow(planted):
    store, rows = planted
    nodes, links, total = brute_links(rows, 4)
    k = sankey(store, steps=4, min_share=0.0)
    assert k.total == total
    assert dict(zip(k.nodes.id, k.nodes.journeys)) == dict(nodes)
    assert {(r.source, r.target): r.journeys for r in k.links.itertuples()} == dict(links)
    out = k.links.groupby("source").journeys.sum()
    for node in k.nodes.itertuples():
        assert node.journeys == out.get(node.id, 0) + node.ended


def test_sankey_merges_small_nodes_into_other_per_step(planted):
    store, rows = planted
    k = sankey(store, steps=3, min_share=0.3)
    kept = k.nodes[k.nodes.node != "other"]
    assert (kept.share >= 0.3).all()
    full = sankey(store, steps=3, min_share=0.0)
    assert k.nodes.groupby("step").journeys.sum().equals(full.nodes.groupby("step").journeys.sum())
    assert k.links.journeys.sum() == full.links.journeys.sum()


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = Counter()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1


def test_sankey_html_is_self_contained_and_the_svg_parses(planted):
    store, _ = planted
    k = sankey(store, steps=4, min_share=0.0)
    html = sankey_html(k)
    assert "http://" not in html and "https://" not in html and "<script src" not in html
    parser = _Tags()
    parser.feed(html)
    assert parser.tags["svg"] == 1 and parser.tags["script"] == 1 and parser.tags["rect"] == len(k.nodes)
    assert parser.tags["path"] == len(k.links)
    root = ET.fromstring(sankey_svg(k))
    assert root.tag.endswith("svg")
