"""Funnel counts against a brute-force Python funnel (ties, repeats, one-event customers), and its intervals."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from conftest import plain_event_order, plain_events_store
from test_steps import TOUCHPOINTS, random_events
from cxlens.errors import UsageError
from cxlens.journey.funnel import bootstrap_step_rates, funnel
from cxlens.query import Scope

@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    rows = random_events(11, customers=60)
    store = plain_events_store(tmp_path_factory.mktemp("funnel"), rows, customers=60)
    yield store, rows
    store.close()


def journeys(rows: list[dict], unit: str = "touchpoint") -> dict[str, list[tuple[str, datetime]]]:
    out: dict[str, list] = {}
    for r in sorted(rows, key=lambda r: (r["customer_id"], *plain_event_order(r))):
        node = r["touchpoint_id"] if unit == "touchpoint" else TOUCHPOINTS[r["touchpoint_id"]]
        out.setdefault(r["customer_id"], []).append((node, r["ts"]))
    return out


def brute_depth(seq: list[tuple[str, datetime]], stages: list[str], mode: str, window: timedelta | None) -> int:
    """The definition in words, applied literally to one customer's journey."""
    within = (lambda t, t0: True) if window is None else (lambda t, t0: t <= t0 + window)
    if mode == "any":
        funnel_events = [(n, t) for n, t in seq if n in stages]
        if not funnel_events:
            return 0
        t0 = funnel_events[0][1]
        seen = {n for n, t in funnel_events if within(t, t0)}
        depth = 0
        for s in stages:
            if s not in seen:
                break
            depth += 1
        return depth
    starts = [i for i, (n, _) in enumerate(seq) if n == stages[0]]
    if not starts:
        return 0
    i0 = starts[0]
    t0 = seq[i0][1]
    depth, pos = 1, i0
    for s in stages[1:]:
        if mode == "strict":
            nxt = pos + 1 if pos + 1 < len(seq) and seq[pos + 1][0] == s and within(seq[pos + 1][1], t0) else None
        else:
            nxt = next((i for i in range(pos + 1, len(seq)) if seq[i][0] == s and within(seq[i][1], t0)), None)
        if nxt is None:
            break
        depth, pos = depth + 1, nxt
    return depth


def brute_reach(rows, stages, mode, window, unit="touchpoint", keep=lambda c: True) -> list[int]:
    depths = [brute_depth(seq, stages, mode, window) for c, seq in journeys(rows, unit).items() if keep(c)]
    return [sum(d >= j for d in depths) for j in range(1, len(stages) + 1)]


CASES = [
    (["shop", "call"], None), (["shop", "call", "relationship"], None), (["shop", "call", "shop"], None),
    (["call", "shop", "relationship"], timedelta(days=1)), (["shop", "shop", "call"], timedelta(days=3)),
]


@pytest.mark.parametrize("mode", ["ordered", "strict", "any"])
@pytest.mark.parametrize("stages,window", CASES)
def test_funnel_counts_match_a_brute_force_funnel(planted, mode, stages, window):
    store, rows = planted
    if mode == "any" and len(set(stages)) != len(stages):
        with pytest.raises(UsageError, match="stages"):
            funnel(store, stages=stages, mode=mode, window=window)
        return
    frame = funnel(store, stages=stages, mode=mode, window=window)
    assert frame["customers"].tolist() == brute_reach(rows, stages, mode, window)
    assert frame["touchpoint"].tolist() == stages
    started = frame["customers"].iloc[0]
    assert np.allclose(frame["share"], frame["customers"] / started)


def test_stage_funnel_and_groups_match_brute_force(planted):
    store, rows = planted
    stages = ["purchase", "support", "advocacy"]
    frame = funnel(store, stages=stages, unit="stage", mode="ordered", window=timedelta(days=2))
    assert frame["customers"].tolist() == brute_reach(rows, stages, "ordered", timedelta(days=2), "stage")
    by = funnel(store, Scope(by=("segment",)), stages=["shop", "call"], mode="ordered")
    for seg, parity in (("a", 1), ("b", 0)):
        got = by[by.segment == seg]["customers"].tolist()
        assert got == brute_reach(rows, ["shop", "call"], "ordered", None, keep=lambda c: int(c[1:]) % 2 == parity)
    assert by.attrs["correction"] == "Benjamini-Hochberg"
    assert by.loc[by.step == 1, "p_value"].isna().all() and by.loc[by.step == 2, "p_value"].notna().all()


def test_wilson_share_and_bootstrap_rate_intervals():
    from cxlens.stats import wilson

    # shares: a direct Wilson computation
    depth = np.array([0, 40, 30, 30])  # 100 started, 60 reached step 2, 30 step 3
    low, high = bootstrap_step_rates(depth)
    assert np.isnan(low[0])
    # step-to-step rate 2: 60/100, bootstrap close to the Wilson/Wald interval for a binomial proportion
    w = wilson(60, 100)
    assert abs(low[1] - w.low[0]) < 0.03 and abs(high[1] - w.high[0]) < 0.03
    w3 = wilson(30, 60)
    assert abs(low[2] - w3.low[0]) < 0.04 and abs(high[2] - w3.high[0]) < 0.04


def test_bootstrap_interval_covers_the_true_step_rate_in_simulation():
    rng = np.random.default_rng(3)
    p_continue, covered, trials = (0.7, 0.4), 0, 150
    for i in range(trials):
        d = np.zeros(4, dtype=int)
        for _ in range(150):
            k = 1 + int(rng.random() < p_continue[0])
            k += int(k == 2 and rng.random() < p_continue[1])
            d[k] += 1
        low, high = bootstrap_step_rates(d, resamples=400, seed=i)
        covered += low[2] <= p_continue[1] <= high[2]
    assert 0.88 <= covered / trials <= 0.99


def test_bad_options_name_themselves(planted):
    store, _ = planted
    with pytest.raises(UsageError, match="mode"):
        funnel(store, stages=["shop", "call"], mode="loose")
    with pytest.raises(UsageError, match="stages"):
        funnel(store, stages=["shop"])
    with pytest.raises(UsageError, match="window"):
        funnel(store, stages=["shop", "call"], window=timedelta(0))
