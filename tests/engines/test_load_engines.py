"""The loading path on every engine: same counts, same quarantine, same rows as DuckDB; idempotent upserts;
a failure before commit leaves the store unchanged; Spark writes month-partitioned Parquet."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import pytest

from engine_fixtures import engine_url  # noqa: F401  (fixture)

from cxlens.ingest import load, quarantined_rows, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store
from conftest import PLAIN_JOURNEY as JOURNEY

CUSTOMERS = """customer_id,signup_date,segment,region,language,plan,age
C1,2024-01-01,family,north,en,basic,41
C2,2024-02-01,value,south,ar,pro,33
C3,2024-02-03,value,south,de,pro,50
"""
RESPONSES = """response_id,customer_id,ts,touchpoint_id,metric,score,comment
R1,C1,2024-01-01 10:00:00,relationship,nps,9,"great, ""really"" good"
R2,C2,2024-03-01,relationship,nps,11,
R3,C9,2024-03-01,relationship,nps,5,
R4,C1,2024-03-01,nowhere,csat,4,
R5,C2,yesterday,call,csat,2,slow
,C2,2024-03-02,call,csat,2,slow
R7,C3,2024-03-02,call,happiness,2,
R8,C3,2024-02-02 23:59:59.5,call,ces,7,
R9,C1,2024-02-10,shop,csat,5,
R9,C2,2024-02-11,shop,csat,4,second wins
"""
CANONICAL = ("customers", "touchpoints", "events", "responses", "tickets", "outcomes")


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def prepared(url: str, folder: Path) -> Store:
    store = Store.open(url)
    sync_journey(store, read_journey(write(folder / "journey.yaml", JOURNEY)))
    load(store, write(folder / "customers.csv", CUSTOMERS), "customers")
    return store


def rows(store: Store, name: str) -> list[tuple]:
    """Every row of a table, timestamps as naive UTC, sorted: what 'the same rows' compares."""
    table = store.to_pyarrow(store.table(name)).to_pylist()
    out = []
    for row in table:
        out.append(tuple((v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo else v) for v in row.values()))
    return sorted(out, key=repr)


def snapshot(store: Store) -> dict[str, list[tuple]]:
    return {t: rows(store, t) for t in CANONICAL}


def quarantine(store: Store) -> list[tuple]:
    return sorted((r["row_number"], r["field"], r["value"], r["reason"]) for r in quarantined_rows(store, limit=None))


@pytest.fixture
def reference(tmp_path: Path) -> Store:
    """The same data on DuckDB, to compare against."""
    store = prepared(f"duckdb:///{tmp_path / 'ref.duckdb'}", tmp_path)
    yield store
    store.close()


def test_bad_rows_are_quarantined_and_good_rows_load_exactly_as_on_duckdb(engine_url, reference, tmp_path):
    store = prepared(engine_url, tmp_path)
    f = write(tmp_path / "responses.csv", RESPONSES)
    report, expected = load(store, f, "responses"), load(reference, f, "responses")
    assert (report.rows_read, report.inserted, report.quarantined) == (10, 3, 7)
    assert (report.inserted, report.updated, report.unchanged, report.quarantined) == \
        (expected.inserted, expected.updated, expected.unchanged, expected.quarantined)
    assert quarantine(store) == quarantine(reference)
    assert (9, "response_id", "R9", "duplicate key in this file; a later row with the same key was loaded") in quarantine(store)
    assert snapshot(store) == snapshot(reference)
    store.close()


def test_reloading_a_file_changes_nothing_and_keeps_one_copy_of_its_quarantine(engine_url, tmp_path):
    store = prepared(engine_url, tmp_path)
    f = write(tmp_path / "responses.csv", RESPONSES)
    load(store, f, "responses")
    before, q_before = snapshot(store), quarantine(store)
    again = load(store, f, "responses")
    assert (again.inserted, again.updated, again.unchanged, again.quarantined) == (0, 0, 3, 7)
    assert snapshot(store) == before
    assert quarantine(store) == q_before
    assert store.count("loads") == 3  # customers + two loads of the file
    store.close()


def test_changed_rows_replace_old_ones_even_when_they_move_to_another_month(engine_url, reference, tmp_path):
    store = prepared(engine_url, tmp_path)
    first = write(tmp_path / "r1.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score
        A,C1,2024-01-05 10:00:00,shop,csat,5
        B,C2,2024-01-06 10:00:00,shop,csat,4
        C,C3,2024-02-07 10:00:00,call,csat,3
    """)
    second = write(tmp_path / "r2.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score
        A,C1,2024-01-05 10:00:00,shop,csat,5
        B,C2,2024-03-06 10:00:00,shop,csat,2
        D,C3,2024-03-08 10:00:00,call,csat,1
    """)
    for s in (store, reference):
        load(s, first, "responses")
    report, expected = load(store, second, "responses"), load(reference, second, "responses")
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1) == \
        (expected.inserted, expected.updated, expected.unchanged)
    assert snapshot(store) == snapshot(reference)
    assert [r[0] for r in rows(store, "responses")] == ["A", "B", "C", "D"]
    store.close()


def test_a_failure_before_commit_leaves_the_store_unchanged(engine_url, tmp_path):
    store = prepared(engine_url, tmp_path)
    load(store, write(tmp_path / "r1.csv", RESPONSES), "responses")
    before, q_before, loads_before = snapshot(store), quarantine(store), store.count("loads")
    changed = write(tmp_path / "r2.csv", RESPONSES.replace("R1,C1,2024-01-01 10:00:00,relationship,nps,9", "R1,C1,2024-05-01,relationship,nps,0"))

    def crash() -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        load(store, changed, "responses", _before_commit=crash)
    assert snapshot(store) == before
    assert quarantine(store) == q_before
    assert store.count("loads") == loads_before
    if store.engine == "spark":
        staging = Path(store.url.split("warehouse=")[1].split("&")[0]) / "_staging"
        assert not any(p.is_file() for p in staging.rglob("*.parquet")), "staged files must be cleaned up"
    store.close()


def test_a_reopened_store_sees_what_was_loaded(engine_url, tmp_path):
    store = prepared(engine_url, tmp_path)
    load(store, write(tmp_path / "responses.csv", RESPONSES), "responses")
    expected, expected_quarantine = snapshot(store), quarantine(store)
    store.close()
    with Store.open(engine_url) as again:
        assert snapshot(again) == expected
        assert quarantine(again) == expected_quarantine


@pytest.mark.spark
def test_spark_loads_write_month_partitioned_parquet_readable_by_any_engine(tmp_path):
    from engine_fixtures import make_url

    url = make_url("spark", tmp_path / "spark")
    store = prepared(url, tmp_path)
    load(store, write(tmp_path / "responses.csv", RESPONSES), "responses")
    folder = tmp_path / "spark" / "warehouse" / "responses"
    months = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert months == ["_month=2024-01", "_month=2024-02"]  # R1 in January; R8 and R9 in February
    assert all(list(p.glob("*.parquet")) for p in folder.iterdir() if p.is_dir())
    # Plain Parquet: another engine reads the table in place.
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/**/*.parquet', hive_partitioning=true)").fetchall()[0][0]
    assert n == store.count("responses") == 3
    store.close()


def test_a_second_customer_file_updates_only_its_columns_on_every_engine(engine_url, tmp_path):
    """Column-wise merge runs in the shared upsert, so every engine keeps the first file's fields."""
    import json

    with prepared(engine_url, tmp_path) as store:
        report = load(store, write(tmp_path / "services.csv", "customer_id,plan,internet\nC1,max,fiber\nC9,pro,dsl\n"), "customers")
        got = {r["customer_id"]: r for r in store.to_pyarrow(store.table("customers")).to_pylist()}
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 0)
    assert report.changed == {"plan": 1, "attributes": 1}
    assert (got["C1"]["segment"], got["C1"]["region"], got["C1"]["plan"]) == ("family", "north", "max")
    assert json.loads(got["C1"]["attributes"]) == {"age": "41", "internet": "fiber"}
    assert (got["C2"]["plan"], got["C9"]["segment"]) == ("pro", None)
