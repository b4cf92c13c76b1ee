"""Time zones on load: offsets and zone names become UTC, naive values are UTC as they are, absurd years are refused."""

from __future__ import annotations

from datetime import datetime

from pathlib import Path

import pandas as pd
import pytest

from cxlens.ingest import load, quarantined_rows, read_mapping, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store

HEADER = "response_id,customer_id,ts,touchpoint_id,metric,score\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}")
    sync_journey(s, read_journey(write(tmp_path / "journey.yaml", "stages: [support]\ntouchpoints:\n"
                                       "  - {id: call, name: Support call, stage: support}\n")))
    load(s, write(tmp_path / "customers.csv", "customer_id,signup_date\nC1,2024-01-01\nC2,2024-01-01\nC3,2024-01-01\n"),
         "customers")
    yield s
    s.close()


def stored_ts(store) -> dict[str, datetime]:
    return dict(store.duckdb.execute("SELECT response_id, ts FROM responses").fetchall())


def reasons(store) -> set[tuple[int, str, str, str]]:
    return {(r["row_number"], r["field"], r["value"], r["reason"]) for r in quarantined_rows(store, limit=None)}


@pytest.fixture(params=["UTC", "Asia/Tokyo"])
def tz_store(store, request):
    """The store's own session time zone must not matter (a laptop's DuckDB starts in local time)."""
    store.duckdb.execute(f"SET TimeZone = '{request.param}'")
    return store


def test_offsets_are_converted_to_utc_so_the_same_instant_is_one_time(tz_store, tmp_path):
    # R2 and R3 are 13 hours apart on their local clocks and the same instant: 10:00 UTC.
    f = write(tmp_path / "r.csv", HEADER + "R1,C1,2024-03-01T10:00:00Z,call,csat,4\n"
                                           "R2,C2,2024-03-01 15:00:00+05:00,call,csat,4\n"
                                           "R3,C3,2024-03-01T02:00:00-0800,call,csat,4\n"
                                           "R4,C1,2024-03-01 10:00:00,call,csat,4\n"
                                           "R5,C2,2024-03-01 11:00:00 Europe/Berlin,call,csat,4\n")
    r = load(tz_store, f, "responses")
    assert (r.inserted, r.quarantined) == (5, 0)
    assert set(stored_ts(tz_store).values()) == {datetime(2024, 3, 1, 10, 0)}  # naive R4 is UTC as it stands


def test_an_answer_just_before_midnight_local_moves_to_the_right_month(tz_store, tmp_path):
    f = write(tmp_path / "r.csv", HEADER + "R1,C1,2024-03-31T23:30:00-05:00,call,csat,4\n"
                                           "R2,C2,2024-04-01 00:30:00+02:00,call,csat,4\n")
    load(tz_store, f, "responses")
    assert stored_ts(tz_store) == {"R1": datetime(2024, 4, 1, 4, 30), "R2": datetime(2024, 3, 31, 22, 30)}


def test_an_offset_in_a_mapping_date_format_is_converted(tz_store, tmp_path):
    f = write(tmp_path / "r.csv", HEADER + "R1,C1,01/03/2024 15:00 +0500,call,csat,4\n")
    m = write(tmp_path / "map.yaml", 'dates: {ts: "%d/%m/%Y %H:%M %z"}\n')
    load(tz_store, f, "responses", read_mapping(m))
    assert stored_ts(tz_store) == {"R1": datetime(2024, 3, 1, 10, 0)}


def test_an_unknown_time_zone_is_quarantined_naming_field_and_value(store, tmp_path):
    f = write(tmp_path / "r.csv", HEADER + "R1,C1,2024-03-01 10:00 XYZ,call,csat,4\nR2,C2,2024-03-01 10:00,call,csat,4\n")
    r = load(store, f, "responses")
    assert (r.inserted, r.quarantined) == (1, 1)
    [(row, field, value, reason)] = reasons(store)
    assert (row, field, value) == (1, "ts", "2024-03-01 10:00 XYZ")
    assert reason.startswith("unknown time zone")


@pytest.mark.parametrize("value", ["0001-03-01 10:00:00", "9999-12-31 23:59:59", "1899-12-31T23:00:00Z", "2101-01-01"])
def test_absurd_years_are_quarantined_with_a_reason(store, tmp_path, value):
    f = write(tmp_path / "r.csv", HEADER + f"R1,C1,{value},call,csat,4\nR2,C2,1900-01-01 00:00:00,call,csat,4\n")
    r = load(store, f, "responses")
    assert (r.inserted, r.quarantined) == (1, 1)
    [(row, field, got, reason)] = reasons(store)
    assert (row, field, got) == (1, "ts", value)
    assert "year" in reason and "1900" in reason and "2100" in reason


def test_an_absurd_signup_date_is_quarantined(store, tmp_path):
    f = write(tmp_path / "c.csv", "customer_id,signup_date\nC8,0001-01-01\nC9,2024-01-01\n")
    assert load(store, f, "customers").quarantined == 1
    assert {(r[0], r[1]) for r in reasons(store)} == {(1, "signup_date")}


def test_parquet_timestamps_with_a_time_zone_are_converted_to_utc(tz_store, tmp_path):
    frame = pd.DataFrame({
        "response_id": ["R1", "R2", "R3"], "customer_id": ["C1", "C2", "C3"],
        "ts": pd.to_datetime(["2024-03-01 15:00:00", "2024-03-31 23:30:00", "2024-03-01 10:00:00"])
        .tz_localize("Asia/Karachi").tz_convert("America/New_York"),
        "touchpoint_id": ["call"] * 3, "metric": ["csat"] * 3, "score": [4, 4, 4],
    })
    f = tmp_path / "r.parquet"
    frame.to_parquet(f)
    r = load(tz_store, f, "responses")
    assert (r.inserted, r.quarantined) == (3, 0)
    assert stored_ts(tz_store) == {"R1": datetime(2024, 3, 1, 10, 0), "R2": datetime(2024, 3, 31, 18, 30),
                                   "R3": datetime(2024, 3, 1, 5, 0)}
