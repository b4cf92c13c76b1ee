"""The stored numbering (`journey_steps`) against the brute-force numbering; it follows loads and is never read stale."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

import pytest

from cxlens.ingest import load
from cxlens.journey import stored
from cxlens.journey.steps import steps
from cxlens.query import Scope
from cxlens.store import migrations
from test_steps import brute, got, planted  # noqa: F401  (the fixture and the brute-force numbering)


def columns(frame):
    return list(frame.columns)


def test_stored_numbering_equals_the_brute_force_numbering(planted):
    store, rows = planted
    stored.refresh_steps(store)
    assert stored.is_current(store)
    assert got(store) == brute(rows)
    assert store.count("journey_steps") == len(rows)


def test_stored_read_has_the_computed_columns_and_rows(planted, monkeypatch):
    store, _ = planted
    stored.refresh_steps(store)
    from_table = steps(store, Scope(filters={"segment": ["a"]})).execute()
    monkeypatch.setattr(stored, "is_current", lambda s: False)
    from_events = steps(store, Scope(filters={"segment": ["a"]})).execute()
    assert columns(from_table) == columns(from_events)
    key = ["customer_id", "step"]
    assert from_table.sort_values(key).reset_index(drop=True).equals(from_events.sort_values(key).reset_index(drop=True))


def test_dates_and_event_filters_renumber_from_the_events(planted, monkeypatch):
    store, rows = planted
    stored.refresh_steps(store)
    module = sys.modules["cxlens.journey.steps"]

    def refuse(*args):
        raise AssertionError("read the stored numbering")

    monkeypatch.setattr(module, "_from_stored", refuse)
    steps(store, Scope(since=datetime(2024, 1, 10).date())).execute()
    steps(store, Scope(filters={"touchpoint": ["shop"]})).execute()
    steps(store, Scope(), collapse_repeats=True).execute()
    steps(store, Scope(), unit="stage").execute()


def test_a_stale_table_is_not_read_and_a_warning_names_the_refresh(planted, tmp_path, caplog):
    store, rows = planted
    stored.refresh_steps(store)
    store.duckdb.execute("DELETE FROM journey_steps WHERE step = 1")  # damaged: would number from 2
    # new and updated events, loaded without the workspace's refresh
    first = rows[0]
    moved = {**first, "ts": datetime(2023, 12, 1)}
    extra = {"event_id": "E-new", "customer_id": "C1", "ts": datetime(2030, 1, 1), "touchpoint_id": "call"}
    path = tmp_path / "more.csv"
    path.write_text("event_id,customer_id,ts,touchpoint_id\n" + "".join(
        f"{r['event_id']},{r['customer_id']},{r['ts']:%Y-%m-%d %H:%M:%S},{r['touchpoint_id']}\n" for r in (moved, extra)))
    load(store, path, "events")
    now = [moved, *rows[1:], extra]
    with caplog.at_level(logging.WARNING, logger="cxlens.journey.stored"):
        assert got(store) == brute(now)
    assert "cxlens journey refresh" in caplog.text
    # the warning says what changed, in words
    assert "an events load came after it" in caplog.text and "the last event's time changed" in caplog.text
    stored.refresh_steps(store)  # what the next events load does
    assert stored.is_current(store)
    assert got(store) == brute(now)


def test_an_events_load_through_the_workspace_rebuilds_the_numbering_and_the_command_refreshes_it(tmp_path):
    from typer.testing import CliRunner

    from conftest import PLAIN_JOURNEY
    from cxlens.cli import app
    from cxlens.workspace import Workspace, init
    from test_steps import random_events

    init(tmp_path / "ws")
    ws = Workspace.open(tmp_path / "ws")
    ws.journey_path.write_text(PLAIN_JOURNEY, encoding="utf-8")
    rows = random_events(3, customers=10)
    path = tmp_path / "events.csv"
    path.write_text("event_id,customer_id,ts,touchpoint_id\n" + "".join(
        f"{r['event_id']},{r['customer_id']},{r['ts']:%Y-%m-%d %H:%M:%S},{r['touchpoint_id']}\n" for r in rows))
    (tmp_path / "customers.csv").write_text("customer_id\n" + "".join(f"C{c}\n" for c in range(10)))
    ws.load(tmp_path / "customers.csv", "customers")
    ws.load(path, "events")
    with ws.store() as store:
        assert stored.is_current(store) and store.count("journey_steps") == len(rows)
        assert got(store) == brute(rows)
    result = CliRunner().invoke(app, ["journey", "refresh", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert f"Numbered {len(rows):,} events" in result.output


@pytest.mark.parametrize("from_table", [True, False])
def test_first_visit_marks_each_customers_first_step_at_each_touchpoint(planted, monkeypatch, from_table):
    store, rows = planted
    stored.refresh_steps(store)
    if not from_table:
        monkeypatch.setattr(stored, "is_current", lambda s: False)
    frame = steps(store, Scope()).execute()  # its numbering is checked against the brute force above
    first: dict[tuple, int] = {}
    for r in frame.itertuples():
        first[(r.customer_id, r.node)] = min(first.get((r.customer_id, r.node), r.step), r.step)
    expected = {(c, int(n), node) for (c, node), n in first.items()}
    marked = {(r.customer_id, int(r.step), r.node) for r in frame.itertuples() if r.first_visit}
    assert marked == expected and len(marked) < len(frame)  # repeat visits exist in the planted events


def test_a_store_from_schema_6_gains_first_visit_and_reads_stale_until_refreshed(planted, caplog):
    store, rows = planted
    stored.refresh_steps(store)
    store.duckdb.execute("ALTER TABLE journey_steps DROP COLUMN first_visit")
    store.backend.write_version(6)
    recorded = stored.recorded(store)
    store.set_meta(stored.META_KEY, json.dumps({**recorded, "numbering": 2}))
    assert migrations.migrate(store.backend) == (6, migrations.SCHEMA_VERSION)
    assert "first_visit" in store.table("journey_steps").columns
    with caplog.at_level(logging.WARNING):
        assert not stored.is_current(store)
    assert "cxlens journey refresh" in caplog.text
    stored.refresh_steps(store)
    assert stored.is_current(store) and store.count("journey_steps") == len(steps(store, Scope()).execute())
    assert store.table("journey_steps").first_visit.notnull().all().execute()
