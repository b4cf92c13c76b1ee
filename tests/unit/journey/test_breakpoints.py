"""Exit rates against a brute-force count; on the demo company the planted breakpoint `port_in` comes first."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from conftest import plain_events_store
from test_funnel import journeys
from test_steps import random_events
from cxlens.errors import UsageError
from cxlens.ingest import load
from cxlens.journey import breakpoints, exit_rates, funnel, stored
from cxlens.query import Scope

FINAL_STAGE = {"relationship"}  # PLAIN_JOURNEY: advocacy is the last stage


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    rows = random_events(23, customers=80)
    store = plain_events_store(tmp_path_factory.mktemp("exits"), rows, customers=80)
    yield store, rows
    store.close()


def brute_exits(rows, active_within: timedelta) -> dict[str, tuple[int, int]]:
    end = max(r["ts"] for r in rows)
    reached: dict[str, set] = {}
    exits: dict[str, int] = {}
    for customer, seq in journeys(rows).items():
        for node, _ in seq:
            reached.setdefault(node, set()).add(customer)
        node, ts = seq[-1]
        if ts < end - active_within:
            exits[node] = exits.get(node, 0) + 1
    return {tp: (len(who), exits.get(tp, 0)) for tp, who in reached.items()}


@pytest.mark.parametrize("stored_numbering", [True, False])
@pytest.mark.parametrize("days", [0, 1, 5])
def test_exit_rates_match_a_brute_force_count(planted, days, stored_numbering, monkeypatch):
    store, rows = planted
    stored.refresh_steps(store)  # first_visit and last from the stored numbering, or from the events' windows
    if not stored_numbering:
        monkeypatch.setattr(stored, "is_current", lambda s: False)
    frame = exit_rates(store, active_within=timedelta(days=days)).set_index("touchpoint")
    expected = brute_exits(rows, timedelta(days=days))
    assert {tp: (int(r.reached), int(r.exits)) for tp, r in frame.iterrows()} == expected
    assert frame.loc[list(FINAL_STAGE), "natural_end"].all() and frame.loc[list(FINAL_STAGE), "exit_q"].isna().all()
    rest = [tp for tp in expected if tp not in FINAL_STAGE]
    for tp in rest:  # elsewhere: the pooled exits of the other non-final touchpoints
        k = sum(expected[o][1] for o in rest if o != tp)
        n = sum(expected[o][0] for o in rest if o != tp)
        assert frame.loc[tp, "exit_rate_elsewhere"] == pytest.approx(k / n)


def test_breakpoints_without_surveys_rank_on_exits_and_say_comments_were_not_analysed(planted):
    store, _ = planted
    frame = breakpoints(store, min_customers=5)
    assert frame["rank"].tolist() == list(range(1, len(frame) + 1))
    assert set(frame["comments"]) == {"not analysed"}
    assert frame.attrs["rank_rule"].startswith("significant excess exits first")
    with pytest.raises(UsageError, match="by"):
        breakpoints(store, Scope(by=("segment",)))


@pytest.fixture(scope="module")
def demo(demo_store_copy):
    store, files, _ = demo_store_copy()
    load(store, files.tables()["events"], "events")
    yield store, json.loads(files.truth.read_text())
    store.close()


def test_the_planted_breakpoint_comes_first_on_the_demo(demo):
    store, truth = demo
    frame = breakpoints(store)
    top = frame.iloc[0]
    assert top.touchpoint == truth["breakpoint"]["touchpoint_id"] == "port_in"
    assert "exits" in top.evidence and "low CSAT" in top.evidence
    # the measure truth.json names: abandoners (40% of porters) end there; the interval covers it
    assert top.exit_low <= truth["breakpoint"]["abandon_probability"] <= top.exit_high + 0.01
    assert top.exit_rate > 3 * top.exit_rate_elsewhere


def test_a_demo_funnel_loses_the_abandoners_at_port_in(demo):
    store, truth = demo
    frame = funnel(store, stages=["port_in", "activation"], window=timedelta(days=30))
    rate = frame.loc[1, "step_rate"]
    assert frame.loc[1, "step_low"] <= rate <= frame.loc[1, "step_high"]
    assert 1 - rate == pytest.approx(truth["breakpoint"]["abandon_probability"], abs=0.06)


def test_cli_funnel_and_breakpoints_give_json_records(demo_store_copy, tmp_path):
    from cxlens.cli import app

    store, files, _ = demo_store_copy()
    load(store, files.tables()["events"], "events")
    store_path = store.url.split("duckdb:///", 1)[1]
    store.close()
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "ws"), "--store", f"duckdb:///{store_path}"]).exit_code == 0
    ws = ["--workspace", str(tmp_path / "ws")]
    out = runner.invoke(app, ["journey", "breakpoints", "--format", "json", *ws])
    assert out.exit_code == 0, out.output
    records = json.loads(out.stdout)
    assert records[0]["touchpoint"] == "port_in" and records[0]["rank"] == 1
    out = runner.invoke(app, ["journey", "funnel", "--steps", "port_in,activation", "--window", "30d", "--by", "segment",
                              "--format", "csv", *ws])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[0].startswith("segment,step,touchpoint,customers,share")
    bad = runner.invoke(app, ["journey", "funnel", "--steps", "port_in,activation", "--window", "soon", *ws])
    assert bad.exit_code != 0 and "--window" in bad.output
