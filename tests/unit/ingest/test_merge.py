"""One customer view from several exports: a load updates only the columns its file provides.

Three files about the same customers (demographics, services, location, as the IBM telco sample
ships them) must leave every customer with all three files' fields; `replace=True` keeps the old
whole-row behaviour. The counts say, per column written, how many stored rows changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import PLAIN_JOURNEY
from cxlens.ingest import load, sync_journey
from cxlens.model import SCHEMA_VERSION
from cxlens.model.journey import read_journey
from cxlens.store import Store

DEMOGRAPHICS = "customer_id,segment,age\nC1,family,41\nC2,value,33\nC3,value,50\n"
SERVICES = "customer_id,plan,internet\nC1,basic,fiber\nC2,pro,dsl\nC4,pro,none\n"
LOCATION = "customer_id,region,city\nC1,north,Oslo\nC2,south,Bergen\nC3,south,Bergen\n"


@pytest.fixture
def store(tmp_path: Path):
    (tmp_path / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}") as s:
        sync_journey(s, read_journey(tmp_path / "journey.yaml"))
        yield s


def _file(store: Store, name: str, text: str) -> Path:
    path = Path(store.url[len("duckdb:///"):]).parent / name
    path.write_text(text, encoding="utf-8")
    return path


def customers(store: Store) -> dict[str, dict]:
    rows = store.to_pyarrow(store.table("customers")).to_pylist()
    return {r["customer_id"]: {**r, "attributes": json.loads(r["attributes"] or "{}")} for r in rows}


def test_three_exports_about_the_same_customers_leave_every_field_of_each(store):
    load(store, _file(store, "demographics.csv", DEMOGRAPHICS), "customers")
    services = load(store, _file(store, "services.csv", SERVICES), "customers")
    location = load(store, _file(store, "location.csv", LOCATION), "customers")
    c = customers(store)
    assert (c["C1"]["segment"], c["C1"]["plan"], c["C1"]["region"]) == ("family", "basic", "north")
    assert c["C1"]["attributes"] == {"age": "41", "internet": "fiber", "city": "Oslo"}
    # C3 is in demographics and location only; C4 only in services.
    assert (c["C3"]["segment"], c["C3"]["plan"], c["C3"]["region"]) == ("value", None, "south")
    assert (c["C4"]["segment"], c["C4"]["plan"], c["C4"]["attributes"]) == (None, "pro", {"internet": "none"})
    # Counts per column set: services wrote plan and attributes of C1, C2 and inserted C4.
    assert (services.inserted, services.updated, services.unchanged) == (1, 2, 0)
    assert services.changed == {"plan": 2, "attributes": 2} and services.mode == "merge"
    assert (location.inserted, location.updated) == (0, 3)
    assert location.changed == {"region": 3, "attributes": 3}


def test_reloading_an_export_after_the_others_changes_nothing(store):
    for name, text in [("d.csv", DEMOGRAPHICS), ("s.csv", SERVICES), ("l.csv", LOCATION)]:
        load(store, _file(store, name, text), "customers")
    before = customers(store)
    again = load(store, _file(store, "s.csv", SERVICES), "customers")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert again.changed == {"plan": 0, "attributes": 0}
    assert customers(store) == before


def test_a_changed_value_is_counted_in_its_column_only(store):
    load(store, _file(store, "d.csv", DEMOGRAPHICS), "customers")
    report = load(store, _file(store, "d2.csv", "customer_id,segment,age\nC1,business,41\nC2,value,34\n"), "customers")
    assert (report.updated, report.unchanged) == (2, 0)
    assert report.changed == {"segment": 1, "attributes": 1}
    c = customers(store)
    assert c["C1"]["segment"] == "business" and c["C2"]["attributes"] == {"age": "34"}


def test_replace_keeps_the_whole_row_behaviour(store):
    load(store, _file(store, "d.csv", DEMOGRAPHICS), "customers")
    report = load(store, _file(store, "s.csv", SERVICES), "customers", replace=True)
    c = customers(store)
    assert c["C1"]["segment"] is None and c["C1"]["plan"] == "basic"
    assert c["C1"]["attributes"] == {"internet": "fiber"}
    assert report.mode == "replace" and report.changed["segment"] == 2


def test_the_loads_table_records_mode_and_columns_written(store):
    load(store, _file(store, "d.csv", DEMOGRAPHICS), "customers")
    load(store, _file(store, "s.csv", SERVICES), "customers", replace=True)
    rows = store.to_pyarrow(store.table("loads").order_by("started_at")).to_pylist()
    assert [r["mode"] for r in rows] == ["merge", "replace"]
    assert json.loads(rows[0]["columns"]) == {"segment": 0, "attributes": 0}
    assert json.loads(rows[1]["columns"])["segment"] == 2


def test_an_answer_file_without_comments_keeps_the_stored_comments(store):
    load(store, _file(store, "d.csv", DEMOGRAPHICS), "customers")
    first = "response_id,customer_id,ts,touchpoint_id,metric,score,comment\nR1,C1,2024-01-05,shop,csat,4,slow till\n"
    load(store, _file(store, "r1.csv", first), "responses")
    report = load(store, _file(store, "r2.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nR1,C1,2024-01-05,shop,csat,5\n"),
                  "responses")
    row = store.to_pyarrow(store.table("responses")).to_pylist()[0]
    assert (row["score"], row["comment"]) == (5.0, "slow till")
    assert report.changed["score"] == 1 and "comment" not in report.changed


def test_a_version_3_store_gains_the_loads_columns_and_keeps_its_loads(tmp_path, monkeypatch):
    from dataclasses import replace

    from cxlens.model import LOADS, SYSTEM_TABLES
    from cxlens.store import migrations

    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    old = replace(LOADS, columns=tuple(c for c in LOADS.columns if c.name not in ("mode", "columns", "skipped", "not_selected")))
    with monkeypatch.context() as patch:
        patch.setitem(SYSTEM_TABLES, "loads", old)
        patch.setattr(migrations, "SCHEMA_VERSION", 3)
        with Store.open(url) as s:
            s.backend.duckdb_connection().execute(
                "INSERT INTO loads (load_id, kind, file, rows_read) VALUES ('old1', 'customers', '/x.csv', 3)")
            assert "mode" not in s.table("loads").columns
    with Store.open(url) as s:
        assert s.backend.read_version() == SCHEMA_VERSION and {"mode", "columns", "skipped", "not_selected"} <= set(s.table("loads").columns)
        (tmp_path / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")
        sync_journey(s, read_journey(tmp_path / "journey.yaml"))
        (tmp_path / "d.csv").write_text(DEMOGRAPHICS, encoding="utf-8")
        load(s, tmp_path / "d.csv", "customers")
        rows = {r["load_id"]: r for r in s.to_pyarrow(s.table("loads")).to_pylist()}
    assert rows["old1"]["mode"] is None and rows["old1"]["rows_read"] == 3
    assert [r["mode"] for k, r in rows.items() if k != "old1"] == ["merge"]
