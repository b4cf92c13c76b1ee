"""A mapping selects rows (`where`) and keeps the last row of a key repeated on purpose (`duplicates: last`).

One event log feeds several loads (impressions as channel touches, conversions as a conversion
touchpoint, customers from the log) without pre-processing and without quarantining rows on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PLAIN_JOURNEY
from cxlens.errors import InputFileError
from cxlens.ingest import load, sync_journey
from cxlens.ingest.mapping import Mapping
from cxlens.model.journey import read_journey
from cxlens.store import Store

LOG = """customer_id,time,interaction,channel,n
C1,2024-01-01 10:00:00,impression,shop,1
C1,2024-01-02 10:00:00,conversion,shop,1.0
C2,2024-01-01 11:00:00,impression,call,2
C2,2024-01-03 11:00:00,impression,shop,2
C3,2024-01-04 12:00:00,conversion,call,3
"""


@pytest.fixture
def store(tmp_path: Path):
    (tmp_path / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")
    (tmp_path / "log.csv").write_text(LOG, encoding="utf-8")
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}") as s:
        sync_journey(s, read_journey(tmp_path / "journey.yaml"))
        yield s, tmp_path / "log.csv"


def test_customers_from_an_event_log_keep_the_last_row_and_skip_the_rest(store):
    s, log = store
    report = load(s, log, "customers", Mapping(columns={"segment": "channel"}, duplicates="last"))
    assert (report.rows_read, report.inserted, report.quarantined, report.skipped) == (5, 3, 0, 2)
    assert report.rows_read == report.inserted + report.updated + report.unchanged + report.quarantined + report.skipped
    rows = {r["customer_id"]: r["segment"] for r in s.to_pyarrow(s.table("customers")).to_pylist()}
    assert rows == {"C1": "shop", "C2": "shop", "C3": "call"}
    assert s.table("quarantine").count().execute() == 0
    logged = s.to_pyarrow(s.table("loads")).to_pylist()[0]
    assert (logged["skipped"], logged["not_selected"]) == (2, 0)


def test_where_selects_rows_and_counts_the_others_as_not_selected(store):
    s, log = store
    load(s, log, "customers", Mapping(duplicates="last"))
    touches = load(s, log, "events", Mapping(columns={"ts": "time", "touchpoint_id": "channel"},
                                              where={"interaction": ["impression"]}))
    conversions = load(s, log, "events", Mapping(columns={"ts": "time"}, constants={"touchpoint_id": "relationship"},
                                                  where={"interaction": "conversion"}))
    assert (touches.rows_read, touches.inserted, touches.not_selected, touches.quarantined) == (3, 3, 2, 0)
    assert (conversions.rows_read, conversions.inserted, conversions.not_selected) == (2, 2, 3)
    events = s.to_pyarrow(s.table("events")).to_pylist()
    assert sorted((e["customer_id"], e["touchpoint_id"]) for e in events) == [
        ("C1", "relationship"), ("C1", "shop"), ("C2", "call"), ("C2", "shop"), ("C3", "relationship")]
    # Quarantine keeps the source row numbers of the file, not of the selection.
    bad = load(s, log, "events", Mapping(columns={"ts": "time"}, constants={"touchpoint_id": "nowhere"},
                                          where={"interaction": ["conversion"]}))
    rows = sorted(r["row_number"] for r in s.to_pyarrow(s.table("quarantine")).to_pylist() if r["field"] == "touchpoint_id")
    assert bad.quarantined == 2 and rows == [2, 5]


def test_where_matches_numbers_numerically_and_ands_columns(store):
    s, log = store
    report = load(s, log, "customers", Mapping(where={"n": [1], "interaction": ["conversion", "impression"]}, duplicates="last"))
    assert (report.rows_read, report.not_selected, report.inserted) == (2, 3, 1)  # "1" and "1.0" both match


def test_where_on_a_missing_column_names_it(store):
    s, log = store
    with pytest.raises(InputFileError, match="interactions"):
        load(s, log, "customers", Mapping(where={"interactions": ["conversion"]}))


def test_a_wide_file_selects_respondents(store, tmp_path):
    s, _ = store
    load(s, _file(tmp_path, "c.csv", "customer_id\nC1\nC2\n"), "customers")
    wide = _file(tmp_path, "wide.csv", "rid,cid,ts,finished,q1,q2\nA,C1,2024-01-01,1,9,4\nB,C2,2024-01-02,0,3,2\n")
    mapping = Mapping.model_validate({"where": {"finished": 1}, "wide": {
        "response_id": "rid", "customer_id": "cid", "ts": "ts",
        "questions": [{"column": "q1", "metric": "nps", "touchpoint": "relationship"},
                      {"column": "q2", "metric": "csat", "touchpoint": "shop"}]}})
    report = load(s, wide, "responses", mapping)
    assert (report.respondents, report.rows_read, report.inserted, report.not_selected) == (1, 2, 2, 1)


def test_a_mapping_reads_where_and_duplicates_from_yaml(tmp_path):
    from cxlens.ingest import read_mapping

    path = _file(tmp_path, "m.yaml", "where: {interaction: conversion, n: [1, 2]}\nduplicates: last\n")
    mapping = read_mapping(path)
    assert mapping.where == {"interaction": ["conversion"], "n": ["1", "2"]} and mapping.duplicates == "last"
    with pytest.raises(Exception, match="duplicates"):
        read_mapping(_file(tmp_path, "bad.yaml", "duplicates: first\n"))


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
