"""The narrow ticket table (`ticket_facts`, architecture D57) against a brute-force pandas computation from the raw
tickets and customers: after a full rebuild, and after any sequence of tickets loads, re-loads, customers moving,
erasure and retention it holds exactly those rows; a failed load leaves it as it was; it is never read stale; and
`outcomes_by` gives the same cells from it as from the raw tickets on random scopes."""

from __future__ import annotations

import logging
import random
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from cxlens.ingest import load
from cxlens.metrics import ticket_facts
from cxlens.metrics.outcomes import outcomes_by
from cxlens.metrics.plan import FACTS, RAW, plan_tickets
from cxlens.metrics.ticket_facts_upkeep import FactsDeletionMaintenance
from cxlens.privacy.erase import forget
from cxlens.privacy.retention import apply_retention
from cxlens.query import Scope
from cxlens.query.tickets import TICKET_DIMENSIONS, tickets
from ticket_facts_fixtures import (START, assert_equals_a_rebuild, brute, customers_csv, load_kept, opened_store,
                                   stored, tickets_csv)


@pytest.fixture()
def small(tmp_path):
    store, rng = opened_store(f"duckdb:///{tmp_path / 'cx.duckdb'}", tmp_path, seed=7)
    yield store, rng, tmp_path
    store.close()


def test_full_rebuild_equals_the_brute_force_rows_with_unknowns(small):
    store, _, _ = small
    store.set_meta(ticket_facts.META_KEY, None)
    assert "never built" in ticket_facts.facts_staleness(store)
    done = ticket_facts.refresh_facts(store)
    assert done["rows"] == store.count("tickets") == 400
    assert_equals_a_rebuild(store)
    rows = stored(store)
    # missing values read as the raw path reads them; a ticket without a touchpoint keeps NULL (stage joined later)
    assert (rows["segment"] == "(unknown)").any() and (rows["account"] == "(unknown)").any()
    assert (rows["touchpoint_id"] == "").any() and rows["fcr"].any() and (~rows["resolved"]).any()


def test_a_rebuild_stores_the_rows_in_opening_order(small):
    """Outcome cells all have a period: rows kept in time order are read from nearby blocks (D65)."""
    store, _, _ = small
    scan = "SELECT opened_at FROM {} WHERE opened_at IS NOT NULL"  # a plain scan returns rows as they are stored
    source = [r[0] for r in store.duckdb.execute(scan.format("tickets")).fetchall()]
    assert source != sorted(source)  # the file's tickets are not in time order
    ticket_facts.refresh_facts(store)
    kept = [r[0] for r in store.duckdb.execute(scan.format("ticket_facts")).fetchall()]
    assert kept == sorted(source)


def test_after_loads_moves_reloads_erasure_and_retention_the_kept_table_equals_a_rebuild(small):
    store, rng, folder = small
    assert_equals_a_rebuild(store)  # written whole by the first loads (empty tables)
    upkeep = load_kept(store, tickets_csv(folder / "more.csv", rng, range(1000, 1040), 30), "tickets")
    assert upkeep.done["whole"] is False
    assert_equals_a_rebuild(store)
    reload = pd.read_csv(folder / "tickets.csv", keep_default_na=False, dtype=str).head(25)
    reload.loc[:9, "resolved_at"] = ""  # reopened cases: no longer resolved
    reload.loc[10:, "customer_id"] = "C4"  # moved to another customer
    reload.loc[:4, "touchpoint_id"] = "call"
    reload.to_csv(folder / "reload.csv", index=False)
    assert load_kept(store, folder / "reload.csv", "tickets").done["whole"] is False
    assert_equals_a_rebuild(store)
    # customers 2 and 5 change segment, region, language, plan and account; C30, C31 are new
    upkeep = load_kept(store, customers_csv(folder / "c2.csv", 32, changed={2, 5}), "customers")
    assert upkeep.done["whole"] is False
    assert_equals_a_rebuild(store)
    before = stored(store)
    forget(store, ["C3"], "test", on_deleted=FactsDeletionMaintenance(store))
    assert "C3" not in set(stored(store)["customer_id"]) and len(stored(store)) < len(before)
    assert_equals_a_rebuild(store)
    now = START + timedelta(days=50)
    report = apply_retention(store, {"tickets": "30 days"}, now=now, on_deleted=FactsDeletionMaintenance(store))
    assert {i.table: i.rows for i in report.items}["ticket_facts"] > 0
    assert_equals_a_rebuild(store)


def test_a_failed_load_leaves_the_table_and_its_record_as_they_were(small):
    store, rng, folder = small
    before, record = stored(store), ticket_facts.recorded(store)

    def fail():
        raise RuntimeError("network gone")

    with pytest.raises(RuntimeError, match="network gone"):
        load_kept(store, tickets_csv(folder / "more.csv", rng, range(500, 540), 30), "tickets", _before_commit=fail)
    pd.testing.assert_frame_equal(stored(store), before)
    assert ticket_facts.recorded(store) == record and ticket_facts.facts_are_current(store)


def test_a_load_that_bypasses_it_makes_it_stale_and_outcomes_read_the_raw_tickets_with_a_warning(small, caplog):
    store, rng, folder = small
    scope = Scope(by=("segment",), period="week")
    assert plan_tickets(store, scope).source == FACTS
    load(store, tickets_csv(folder / "more.csv", rng, range(2000, 2010), 30), "tickets")  # not kept
    why = ticket_facts.facts_staleness(store)
    assert "a tickets load came after it" in why and "the number of tickets changed" in why
    with caplog.at_level(logging.WARNING):
        chosen = plan_tickets(store, scope)
    assert chosen.source == RAW and "cxlens rollup rebuild" in chosen.reason
    assert any("cxlens rollup rebuild" in r.getMessage() for r in caplog.records)
    frame = outcomes_by(store, scope, min_n=1)
    assert int(frame["tickets"].sum()) == 410  # the new tickets counted: the stale table was not read
    pd.testing.assert_frame_equal(frame, outcomes_by(store, scope, min_n=1, source="raw"))
    ticket_facts.refresh_facts(store)
    assert plan_tickets(store, scope).source == FACTS
    assert_equals_a_rebuild(store)


def random_scopes(rng: random.Random, values: pd.DataFrame, first: date, last: date, count: int) -> list[Scope]:
    """Seeded random scopes: 0-2 dimensions, a period or none, dates or none, and half of them a filter on a value
    the data has."""
    out = []
    span = (last - first).days
    for _ in range(count):
        by = tuple(rng.sample(TICKET_DIMENSIONS, rng.choice([0, 1, 1, 2])))
        since = first + timedelta(days=rng.randrange(span)) if rng.random() < 0.4 else None
        until = (since or first) + timedelta(days=rng.randrange(1, span)) if rng.random() < 0.4 else None
        filters = {}
        if rng.random() < 0.5:
            dim = rng.choice(TICKET_DIMENSIONS)
            filters[dim] = tuple(rng.sample(sorted(set(values[dim])), 1))
        out.append(Scope(by=by, period=rng.choice([None, None, "week", "month", "quarter"]), since=since, until=until,
                         filters=filters))
    return out


def assert_both_paths_agree(store, scopes: list[Scope]) -> int:
    """outcomes_by from the table and from the raw tickets, exact and capped: every column equal (floats to 1e-9)."""
    compared = 0
    for i, scope in enumerate(scopes):
        cap = None if i % 2 else 5
        facts = outcomes_by(store, scope, min_n=1, customers_cap=cap, as_of=datetime(2030, 1, 1), source=FACTS)
        raw = outcomes_by(store, scope, min_n=1, customers_cap=cap, as_of=datetime(2030, 1, 1), source=RAW)
        pd.testing.assert_frame_equal(facts, raw, check_exact=False, rtol=1e-9, obj=repr(scope))
        compared += len(raw)
    return compared


def test_both_paths_give_the_same_cells_on_random_scopes_of_a_store_with_unknowns(small):
    store, _, _ = small
    values = tickets(store).execute()
    scopes = random_scopes(random.Random(11), values, START.date(), START.date() + timedelta(days=40), 30)
    assert assert_both_paths_agree(store, scopes) > 100


def test_both_paths_give_the_same_cells_on_random_scopes_of_the_demo(demo_store_copy):
    store, _, _ = demo_store_copy()
    try:
        ticket_facts.refresh_facts(store)
        assert_equals_a_rebuild(store)
        values = tickets(store).execute()
        first, last = values["opened_at"].min().date(), values["opened_at"].max().date()
        scopes = random_scopes(random.Random(5), values, first, last, 24)
        scopes.append(Scope(by=("touchpoint", "segment"), period="month"))  # the scorecard's shape
        themes = store.table("comment_analysis").themes.execute().dropna()
        theme = next(t for v in themes for t in str(v).split(";") if t)
        scopes.append(Scope(by=("stage",), filters={"theme": (theme,)}))  # who mentioned it: by the ticket's customer
        assert assert_both_paths_agree(store, scopes) > 1000
        assert plan_tickets(store, Scope(by=("stage",))).source == FACTS  # the default path now reads the table
    finally:
        store.close()
