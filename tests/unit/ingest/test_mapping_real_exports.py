"""What real exports need from a mapping (generated ids, fixed and derived dates, rescaling, missing codes,
numeric labels written as 1.0), and dates and months that follow the written zone or a 12-hour clock."""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest

from cxlens.errors import ConfigError, InputFileError
from cxlens.ingest import load, quarantined_rows, read_mapping, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store
from conftest import PLAIN_JOURNEY


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}")
    sync_journey(s, read_journey(write(tmp_path / "journey.yaml", PLAIN_JOURNEY)))
    yield s
    s.close()


def rows(store: Store, sql: str) -> list[tuple]:
    return store.duckdb.execute(sql).fetchall()


def reasons(store: Store) -> set[tuple[int, str, str, str]]:
    return {(r["row_number"], r["field"], r["value"], r["reason"]) for r in quarantined_rows(store, limit=None)}


# An export without ids or dates: age, a 1-11 recommendation, a 1-100 rating where 0 means "not rated".
SURVEY = """
    age,recommend,rating,label
    30,11,100,1.0
    41,1,0,2.0
    52,6,NA,1
"""


def test_row_ids_are_generated_stable_across_reloads_and_shared_by_a_customers_and_a_responses_load(store, tmp_path):
    f = write(tmp_path / "survey.csv", SURVEY)
    customers = write(tmp_path / "c.yaml", "ids: {passenger: row}\ncolumns: {customer_id: passenger}\n")
    answers = write(tmp_path / "r.yaml", """
        ids: {passenger: row}
        constants: {ts: 2015-06-01}
        wide:
          response_id: passenger
          customer_id: passenger
          questions: [{column: recommend, metric: nps, touchpoint: relationship, scale: {from: [1, 11]}}]
    """)
    assert load(store, f, "customers", read_mapping(customers)).inserted == 3
    first = load(store, f, "responses", read_mapping(answers))
    assert (first.inserted, first.quarantined) == (3, 0)
    again = load(store, f, "responses", read_mapping(answers))
    assert (again.inserted, again.unchanged) == (0, 3)  # same ids on reload: nothing duplicated
    assert rows(store, "SELECT customer_id, attributes->>'age' FROM customers ORDER BY 1") == [
        ("survey:1", "30"), ("survey:2", "41"), ("survey:3", "52")]
    assert rows(store, "SELECT response_id, customer_id, ts FROM responses ORDER BY 1") == [
        ("survey:1:recommend", "survey:1", datetime(2015, 6, 1)), ("survey:2:recommend", "survey:2", datetime(2015, 6, 1)),
        ("survey:3:recommend", "survey:3", datetime(2015, 6, 1))]


def test_hash_ids_depend_on_the_named_columns_only(store, tmp_path):
    f = write(tmp_path / "c.csv", "email,age\na@x.org,30\nb@x.org,41\n")
    g = write(tmp_path / "c_reordered.csv", "age,email\n41,b@x.org\n30,a@x.org\n")
    m = read_mapping(write(tmp_path / "m.yaml", "ids: {customer_id: [email]}\n"))
    load(store, f, "customers", m)
    r = load(store, g, "customers", m)
    assert (r.inserted, r.unchanged) == (0, 2)
    import hashlib
    assert rows(store, "SELECT customer_id FROM customers WHERE attributes->>'age' = '30'") == [(hashlib.md5(b"a@x.org").hexdigest(),)]


def test_a_generated_id_may_not_shadow_a_column_of_the_file(store, tmp_path):
    f = write(tmp_path / "c.csv", "customer_id,age\nC1,30\n")
    with pytest.raises(InputFileError, match="already|has one"):
        load(store, f, "customers", read_mapping(write(tmp_path / "m.yaml", "ids: {customer_id: row}\n")))


def test_a_wide_mapping_without_a_time_needs_a_constant_one(tmp_path):
    m = write(tmp_path / "m.yaml", "wide: {response_id: a, customer_id: a, questions: [{column: q, metric: nps, touchpoint: t}]}\n")
    with pytest.raises(ConfigError, match="constants: {ts"):
        read_mapping(m)


def test_a_date_is_derived_from_year_and_month_columns(store, tmp_path):
    load(store, write(tmp_path / "c.csv", "customer_id\nC1\nC2\n"), "customers")
    f = write(tmp_path / "r.csv", "id,cust,year,month,nps\nR1,C1,2015,6,9\nR2,C2,2016,12,3\n")
    m = write(tmp_path / "m.yaml", """
        columns: {response_id: id, customer_id: cust, ts: "{year}-{month}-01", score: nps}
        constants: {touchpoint_id: relationship, metric: nps}
    """)
    assert load(store, f, "responses", read_mapping(m)).inserted == 2
    assert rows(store, "SELECT response_id, ts FROM responses ORDER BY 1") == [
        ("R1", datetime(2015, 6, 1)), ("R2", datetime(2016, 12, 1))]


def test_wide_scores_are_rescaled_linearly_onto_the_metric_scale_and_missing_codes_are_absent_answers(store, tmp_path):
    f = write(tmp_path / "survey.csv", SURVEY)
    load(store, f, "customers", read_mapping(write(tmp_path / "c.yaml", "ids: {customer_id: row}\n")))
    m = write(tmp_path / "r.yaml", """
        ids: {passenger: row}
        constants: {ts: 2015-06-01}
        wide:
          response_id: passenger
          customer_id: passenger
          missing: ["0", NA]
          questions:
            - {column: recommend, metric: nps, touchpoint: relationship, scale: {from: [1, 11]}, missing: []}
            - {column: rating, metric: csat, touchpoint: shop, scale: {from: [1, 100]}}
    """)
    r = load(store, f, "responses", read_mapping(m))
    # 3 recommend answers + 1 rating (0 and NA are "not rated": absent, neither quarantined nor scored).
    assert (r.rows_read, r.inserted, r.quarantined) == (4, 4, 0)
    got = dict(rows(store, "SELECT response_id, score FROM responses"))
    assert got == {"survey:1:recommend": 10.0, "survey:2:recommend": 0.0, "survey:3:recommend": 5.0,
                   "survey:1:rating": 5.0}
    assert reasons(store) == set()


def test_a_long_file_is_rescaled_by_each_rows_metric_and_missing_codes_empty_the_column(store, tmp_path):
    load(store, write(tmp_path / "c.csv", "customer_id\nC1\n"), "customers")
    f = write(tmp_path / "r.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score
        A,C1,2024-01-01,call,csat,5
        B,C1,2024-01-01,call,nps,0
        C,C1,2024-01-01,call,ces,2.5
        D,C1,2024-01-01,call,csat,-99
    """)
    m = write(tmp_path / "m.yaml", "scales: {score: {from: [0, 5]}}\nmissing: {score: [-99]}\n")
    r = load(store, f, "responses", read_mapping(m))
    assert (r.inserted, r.quarantined) == (3, 1)
    assert dict(rows(store, "SELECT response_id, score FROM responses")) == {"A": 5.0, "B": 0.0, "C": 4.0}
    assert reasons(store) == {(4, "score", None, "required value missing")}


def test_a_stated_target_scale_is_used_as_written(store, tmp_path):
    load(store, write(tmp_path / "c.csv", "customer_id\nC1\n"), "customers")
    f = write(tmp_path / "r.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nA,C1,2024-01-01,call,csat,50\n")
    m = write(tmp_path / "m.yaml", "scales: {score: {from: [0, 100], to: [1, 5]}}\n")
    load(store, f, "responses", read_mapping(m))
    assert rows(store, "SELECT score FROM responses") == [(3.0,)]


def test_numeric_labels_written_as_1_0_match_a_value_map_keyed_1(store, tmp_path):
    f = write(tmp_path / "survey.csv", SURVEY)
    m = write(tmp_path / "c.yaml", """
        ids: {customer_id: row}
        columns: {segment: label}
        values: {segment: {1: business, "2": leisure}}
    """)
    load(store, f, "customers", read_mapping(m))
    assert rows(store, "SELECT segment FROM customers ORDER BY customer_id") == [("business",), ("leisure",), ("business",)]


def test_wide_value_maps_match_numbers_however_written_and_decimal_scores_load(store, tmp_path):
    f = write(tmp_path / "survey.csv", SURVEY)
    load(store, f, "customers", read_mapping(write(tmp_path / "c.yaml", "ids: {customer_id: row}\n")))
    m = write(tmp_path / "r.yaml", """
        ids: {passenger: row}
        constants: {ts: 2015-06-01}
        wide:
          response_id: passenger
          customer_id: passenger
          questions:
            - {column: label, metric: csat, touchpoint: shop, values: {"1": 5, "2": 1}}
    """)
    assert load(store, f, "responses", read_mapping(m)).inserted == 3
    assert sorted(rows(store, "SELECT score FROM responses")) == [(1.0,), (5.0,), (5.0,)]


# --- dates and months follow the written zone; 12-hour times ---

def test_a_month_with_an_offset_is_the_utc_month(store, tmp_path):
    load(store, write(tmp_path / "c.csv", "customer_id\nC1\nC2\n"), "customers")
    f = write(tmp_path / "o.csv", "customer_id,month,active\nC1,2024-01-31T23:30:00-05:00,true\nC2,2024-01-31 23:30:00,true\n")
    assert load(store, f, "outcomes").inserted == 2
    assert rows(store, "SELECT customer_id, month FROM outcomes ORDER BY 1") == [("C1", "2024-02"), ("C2", "2024-01")]


def test_a_date_with_an_offset_is_the_utc_date(store, tmp_path):
    f = write(tmp_path / "c.csv", "customer_id,signup_date\nC1,2024-01-31T23:30:00-05:00\nC2,2024-01-31\n")
    assert load(store, f, "customers").inserted == 2
    assert rows(store, "SELECT customer_id, signup_date FROM customers ORDER BY 1") == [
        ("C1", date(2024, 2, 1)), ("C2", date(2024, 1, 31))]


def test_an_offset_after_a_space_as_twitter_writes_it_is_converted_to_utc(store, tmp_path):
    load(store, write(tmp_path / "c.csv", "customer_id\nC1\n"), "customers")
    f = write(tmp_path / "r.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score
        A,C1,2015-02-24 11:35:52 -0800,call,csat,4
        B,C1,2015-02-24 11:35:52 +05:30,call,csat,4
        C,C1,2015-02-24 11:35:52 Z,call,csat,4
    """)
    assert load(store, f, "responses").inserted == 3
    assert dict(rows(store, "SELECT response_id, ts FROM responses")) == {
        "A": datetime(2015, 2, 24, 19, 35, 52), "B": datetime(2015, 2, 24, 6, 5, 52), "C": datetime(2015, 2, 24, 11, 35, 52)}


def test_a_12_hour_time_after_an_iso_date_is_read_with_its_am_or_pm(store, tmp_path):
    load(store, write(tmp_path / "c.csv", "customer_id\nC1\n"), "customers")
    f = write(tmp_path / "r.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score
        A,C1,2024-03-01 10:00 PM,call,csat,4
        B,C1,2024-03-01 10:00:30 am,call,csat,4
        C,C1,2024-03-01 12:15 p.m.,call,csat,4
    """)
    assert load(store, f, "responses").inserted == 3
    assert dict(rows(store, "SELECT response_id, ts FROM responses")) == {
        "A": datetime(2024, 3, 1, 22, 0), "B": datetime(2024, 3, 1, 10, 0, 30), "C": datetime(2024, 3, 1, 12, 15)}


def test_a_12_hour_time_after_an_ambiguous_date_says_how_to_state_the_format(store, tmp_path):
    load(store, write(tmp_path / "c.csv", "customer_id\nC1\n"), "customers")
    f = write(tmp_path / "r.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nA,C1,3/1/2024 10:00 PM,call,csat,4\n")
    assert load(store, f, "responses").quarantined == 1
    [(_, field, value, reason)] = reasons(store)
    assert (field, value) == ("ts", "3/1/2024 10:00 PM")
    assert "12-hour" in reason and 'dates: {ts: "%m/%d/%Y %I:%M %p"}' in reason and "time zone" not in reason
    m = write(tmp_path / "m.yaml", 'dates: {ts: "%m/%d/%Y %I:%M %p"}\n')
    assert load(store, f, "responses", read_mapping(m)).inserted == 1
    assert rows(store, "SELECT ts FROM responses") == [(datetime(2024, 3, 1, 22, 0),)]
