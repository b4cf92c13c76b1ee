"""Steps against a brute-force Python numbering: ties in time, repeated touchpoints, one-event customers, sessions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from conftest import plain_event_order, plain_events_store
from cxlens.journey.steps import steps
from cxlens.query import Scope

TOUCHPOINTS = {"shop": "purchase", "call": "support", "relationship": "advocacy"}


def random_events(seed: int, customers: int = 40) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    rows, n = [], 0
    for c in range(customers):
        t = start + timedelta(hours=rng.randrange(0, 500))
        for _ in range(rng.choice([1, 1, 2, 3, 5, 8])):
            # ties: 30% of events share the previous event's instant
            t = t if rng.random() < 0.3 else t + timedelta(minutes=rng.choice([1, 30, 600, 3000]))
            n += 1
            rows.append({"event_id": f"E{rng.randrange(10**6):06d}-{n}", "customer_id": f"C{c}", "ts": t,
                         "touchpoint_id": rng.choice(list(TOUCHPOINTS))})
    return rows


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    rows = random_events(7)
    store = plain_events_store(tmp_path_factory.mktemp("steps"), rows, customers=40)
    yield store, rows
    store.close()


def brute(rows: list[dict], unit: str = "touchpoint", collapse: bool = False, gap: timedelta | None = None) -> set[tuple]:
    out = set()
    by_customer: dict[str, list[dict]] = {}
    for r in rows:
        by_customer.setdefault(r["customer_id"], []).append(r)
    for customer, evs in by_customer.items():
        evs.sort(key=plain_event_order)
        session, prev_ts, journeys = 0, None, {}
        for r in evs:
            if prev_ts is None or (gap is not None and r["ts"] - prev_ts > gap):
                session += 1
            prev_ts = r["ts"]
            node = r["touchpoint_id"] if unit == "touchpoint" else TOUCHPOINTS[r["touchpoint_id"]]
            seq = journeys.setdefault(session if gap else 1, [])
            if collapse and seq and seq[-1][0] == node:
                continue
            seq.append((node, r["ts"]))
        for s, seq in journeys.items():
            for i, (node, ts) in enumerate(seq):
                since = None if i == 0 else (ts - seq[i - 1][1]).total_seconds()
                out.add((customer, s, i + 1, node, since, i == len(seq) - 1))
    return out


def got(store, **options) -> set[tuple]:
    frame = steps(store, Scope(), **options).execute()
    return {(r.customer_id, int(r.session), int(r.step), r.node,
             None if r.seconds_since_previous != r.seconds_since_previous else float(r.seconds_since_previous), bool(r.last))
            for r in frame.itertuples()}


@pytest.mark.parametrize("options", [{}, {"collapse_repeats": True}, {"unit": "stage"},
                                     {"unit": "stage", "collapse_repeats": True},
                                     {"session_gap": timedelta(hours=20)},
                                     {"session_gap": timedelta(hours=20), "collapse_repeats": True}])
def test_steps_match_a_brute_force_numbering(planted, options):
    store, rows = planted
    expected = brute(rows, options.get("unit", "touchpoint"), options.get("collapse_repeats", False), options.get("session_gap"))
    assert got(store, **options) == expected


def test_a_filter_keeps_the_segment_and_bad_options_name_themselves(planted):
    from cxlens.errors import UsageError

    store, rows = planted
    frame = steps(store, Scope.parse(filters=["segment=a"])).execute()
    assert set(frame.customer_id) == {f"C{c}" for c in range(1, 40, 2)} & {r["customer_id"] for r in rows}
    with pytest.raises(UsageError, match="unit"):
        steps(store, unit="channel_x")
    with pytest.raises(UsageError, match="session_gap"):
        steps(store, session_gap=timedelta(0))
