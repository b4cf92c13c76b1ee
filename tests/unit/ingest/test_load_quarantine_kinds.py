"""Quarantine keeps its guarantees whatever the load's plan: every kind of bad row with its reason, the file's row
numbers when rows are numbered in parallel, nothing lost.

The expected reasons below were produced by the load as it was before rows were numbered in parallel
(commit b47286a): the same file must give the same quarantine, row for row.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cxlens.ingest import load, quarantined_rows, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store

COLUMNS = ["response_id", "customer_id", "ts", "touchpoint_id", "metric", "score", "comment", "aspect"]
ROWS = [
    ("R1", "C1", "2024-03-01 10:00:00", "call", "nps", "9", "", ""),                  # good
    ("", "C1", "2024-03-01 10:00:00", "call", "nps", "9", "", ""),                    # missing key
    ("R3", "", "2024-03-01 10:00:00", "call", "nps", "9", "", ""),                    # required value missing
    ("R4", "C1", "yesterday", "call", "nps", "9", "", ""),                            # not a date-time
    ("R5", "C1", "2024-03-01 10:00:00", "call", "nps", "nine", "", ""),               # not a number
    ("R6", "C1", "0001-01-01 00:00:00", "call", "nps", "9", "", ""),                  # placeholder year
    ("R7", "C1", "2024-03-01 10:00:00 Mars/Olympus", "call", "nps", "9", "", ""),     # unknown zone
    ("R8", "C1", "3/1/2024 10:00 PM", "call", "nps", "9", "", ""),                    # 12-hour time, unclear date order
    ("R9", "C1", "2024-03-01 10:00:00", "call", "nps", "11", "", ""),                 # off the metric's scale
    ("R10", "C1", "2024-03-01 10:00:00", "call", "happiness", "3", "", ""),           # unknown metric
    ("R11", "C1", "2024-03-01 10:00:00", "call", "csat", "4", "", "spiritual"),       # unknown aspect
    ("R12", "C9", "2024-03-01 10:00:00", "call", "csat", "4", "", ""),                # unknown customer
    ("R13", "C2", "2024-03-01 10:00:00", "nowhere", "csat", "4", "", ""),             # unknown touchpoint
    ("R14", "C2", "2024-03-01 10:00:00", "call", "csat", "2", "first", ""),           # key repeated later
    ("R14", "C2", "2024-03-02 10:00:00", "call", "csat", "5", "later", ""),           # ... this one is kept
    ("R16", "", "not a date", "", "ces", "99", "", ""),                               # four reasons at once
    ("R17", "C2", " 2024-03-03 09:00:00 ", " call ", " ces ", " 6 ", " padded ", ""),  # good once trimmed
]
_ZONE = ("unknown time zone; write an offset (Z, +05:00, -0800) or a zone name such as Europe/Berlin, or leave the zone "
         "out for UTC")
_TWELVE = ('cannot parse a 12-hour time after this date order; write the date as YYYY-MM-DD, or state the format in the '
           'mapping, e.g. dates: {ts: "%m/%d/%Y %I:%M %p"}')
_ASPECT = ("unknown aspect; use one of functional, emotional, experiential, or leave it empty for the overall question "
           "(a mapping's values: can translate other labels)")
EXPECTED = [
    (2, "response_id", None, "missing key"),
    (3, "customer_id", None, "required value missing"),
    (4, "ts", "yesterday", "cannot parse as a date-time"),
    (5, "score", "nine", "cannot parse as a number"),
    (6, "ts", "0001-01-01 00:00:00", "year outside 1900 to 2100 (a placeholder date?); correct the value or leave it empty"),
    (7, "ts", "2024-03-01 10:00:00 Mars/Olympus", _ZONE),
    (8, "ts", "3/1/2024 10:00 PM", _TWELVE),
    (9, "score", "11", "score outside the nps scale (0 to 10)"),
    (10, "metric", "happiness", "unknown metric; use one of nps, csat, ces, expectation"),
    (11, "aspect", "spiritual", _ASPECT),
    (12, "customer_id", "C9", "unknown customer (load customers first, or add it)"),
    (13, "touchpoint_id", "nowhere", "unknown touchpoint (add it to journey.yaml)"),
    (14, "response_id", "R14", "duplicate key in this file; a later row with the same key was loaded"),
    (16, "customer_id", None, "required value missing"),
    (16, "score", "99", "score outside the ces scale (1 to 7)"),
    (16, "touchpoint_id", None, "required value missing"),
    (16, "ts", "not a date", "cannot parse as a date-time"),
]
JOURNEY = "stages: [support]\ntouchpoints:\n  - {id: call, name: Support call, stage: support}\n"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    (tmp_path / "journey.yaml").write_text(JOURNEY)
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nC1,2024-01-01\nC2,2024-01-01\n")
    s = Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}")
    sync_journey(s, read_journey(tmp_path / "journey.yaml"))
    load(s, tmp_path / "customers.csv", "customers")
    yield s
    s.close()


def reasons(store: Store) -> list[tuple]:
    return sorted((r["row_number"], r["field"], r["value"], r["reason"]) for r in quarantined_rows(store, limit=None))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_kind_of_bad_row_is_quarantined_with_file_row_field_and_reason(store, tmp_path, fmt):
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    path = tmp_path / f"responses.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path, index=False)
    before = store.duckdb.execute("SELECT count(*) FROM responses").fetchone()[0]
    report = load(store, path, "responses")
    assert (report.rows_read, report.inserted, report.quarantined, report.skipped) == (17, 3, 14, 0)
    assert reasons(store) == EXPECTED
    # Lossless: each refused row keeps its whole source row as written (the earlier of a repeated key: as staged).
    raw = dict(store.duckdb.execute("SELECT row_number, any_value(raw) FROM quarantine GROUP BY 1").fetchall())
    for row in {r[0] for r in EXPECTED} - {14}:
        kept = json.loads(raw[row])
        assert kept["ts"] == ROWS[row - 1][2] and kept["score"] == ROWS[row - 1][5]
    assert json.loads(raw[14])["comment"] == "first"
    stored = store.duckdb.execute("SELECT response_id, ts::VARCHAR, touchpoint_id, metric, score, comment "
                                  "FROM responses ORDER BY 1").fetchall()
    assert before == 0 and stored == [("R1", "2024-03-01 10:00:00", "call", "nps", 9.0, None),
                                      ("R14", "2024-03-02 10:00:00", "call", "csat", 5.0, "later"),
                                      ("R17", "2024-03-03 09:00:00", "call", "ces", 6.0, "padded")]


def _many_rows(con: duckdb.DuckDBPyConnection, path: Path, rows: int, bad_every: int, fmt: str) -> Path:
    """`rows` answers; every `bad_every`-th row (1-based) has a score off the scale; row 7 repeats row 3's key."""
    opts = "(HEADER)" if fmt == "csv" else "(FORMAT parquet, ROW_GROUP_SIZE 5000)"
    con.execute(f"""COPY (
        SELECT CASE WHEN i = 7 THEN 'R3' ELSE 'R' || i END AS response_id, 'C' || (1 + i % 2) AS customer_id,
               TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS ts, 'call' AS touchpoint_id, 'nps' AS metric,
               CASE WHEN i % {bad_every} = 0 THEN 12 ELSE i % 11 END AS score
        FROM range(1, {rows + 1}) t(i)) TO '{path}' {opts}""")
    return path


@pytest.mark.parametrize("fmt,encoding", [("csv", "utf-8"), ("csv", "cp1252"), ("parquet", "utf-8")])
def test_row_numbers_are_the_files_rows_when_rows_are_numbered_in_parallel(store, tmp_path, fmt, encoding):
    # Parquet in 40 row groups (numbered by file_row_number) and a CSV, UTF-8 read in place or transcoded (numbered
    # by the rowid of its parsed text, kept in file order), are read by several threads at once.
    rows, bad_every = 200_000, 9_973
    path = _many_rows(duckdb.connect(), tmp_path / f"many.{fmt}", rows, bad_every, fmt)
    report = load(store, path, "responses", encoding=encoding)
    bad = list(range(bad_every, rows + 1, bad_every))
    assert (report.rows_read, report.quarantined) == (rows, len(bad) + 1)
    got = reasons(store)
    assert [r[0] for r in got if r[1] == "score"] == bad
    raw = store.duckdb.execute("SELECT row_number, raw FROM quarantine WHERE field = 'score'").fetchall()
    assert all(json.loads(text)["response_id"] == f"R{row}" for row, text in raw)  # that very row's values
    assert [r[:3] for r in got if r[1] == "response_id"] == [(3, "response_id", "R3")]  # earlier of rows 3 and 7
    score_of_r3 = store.duckdb.execute("SELECT score FROM responses WHERE response_id = 'R3'").fetchone()[0]
    assert score_of_r3 == 7 % 11  # row 7 won
    # the file's parsed text is not kept in the store's connection once the load is over
    temp = store.duckdb.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'temp'").fetchall()
    assert not [name for (name,) in temp if name.startswith("_cx_source")]


def test_a_parquet_column_named_file_row_number_is_data_and_rows_still_numbered(store, tmp_path):
    path = tmp_path / "customers.parquet"
    pd.DataFrame({"customer_id": ["C5", "", "C6"], "signup_date": ["2024-01-01", "2024-01-02", "someday"],
                  "file_row_number": [10, 20, 30]}).to_parquet(path, index=False)
    report = load(store, path, "customers")
    assert (report.inserted, report.quarantined) == (1, 2)
    assert [r[:3] for r in reasons(store)] == [(2, "customer_id", None), (3, "signup_date", "someday")]
    attributes = store.duckdb.execute("SELECT attributes FROM customers WHERE customer_id = 'C5'").fetchone()[0]
    assert json.loads(attributes) == {"file_row_number": 10}


def test_a_parquet_file_with_identifiers_is_keyed_and_numbered_in_parallel(store, tmp_path):
    # The keyed view (privacy.pseudonymise) reads the numbered Parquet rows; keying registers functions on the
    # connection, which a result left open by the numbering would block.
    from cxlens.privacy.pseudonymise import Pseudonymiser

    path = tmp_path / "customers.parquet"
    pd.DataFrame({"customer_id": ["C7", "C8", ""], "email": ["a@example.com", "b@example.com", "c@example.com"],
                  "signup_date": ["2024-01-01", "someday", "2024-01-03"]}).to_parquet(path, index=False)
    report = load(store, path, "customers", pseudonymiser=Pseudonymiser(b"k" * 32, ("email",)))
    assert (report.inserted, report.quarantined, report.keyed) == (1, 2, ["email"])
    assert [r[:2] for r in reasons(store)] == [(2, "signup_date"), (3, "customer_id")]
    assert "a@example.com" not in store.duckdb.execute("SELECT attributes FROM customers WHERE customer_id = 'C7'").fetchone()[0]
    assert "c@example.com" not in store.duckdb.execute("SELECT string_agg(raw, '') FROM quarantine").fetchone()[0]


def test_a_parquet_file_with_a_where_selection_reports_the_files_row_numbers(store, tmp_path):
    from cxlens.ingest.mapping import Mapping

    path = tmp_path / "responses.parquet"
    frame = pd.DataFrame(ROWS, columns=COLUMNS).assign(wave=["a", "b"] * 8 + ["a"])
    frame.to_parquet(path, index=False)
    report = load(store, path, "responses", Mapping(where={"wave": ["a"]}))
    odd = [r for r in EXPECTED if r[0] % 2 == 1]  # rows 1, 3, 5, ... are wave a; row 14's later twin (15) is too
    assert (report.rows_read, report.not_selected) == (9, 8)
    assert [r for r in reasons(store) if r[1] != "response_id"] == odd
