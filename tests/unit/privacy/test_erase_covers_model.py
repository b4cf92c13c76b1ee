"""Erasure cannot miss a table: every table the model declares is searched for a customer's rows, or declared
free of customer data for a stated reason. A table a later issue adds without a customer key fails here."""

from __future__ import annotations

import pytest

from cxlens import model
from cxlens.errors import StoreError
from cxlens.model import Column, Table, stored_tables
from cxlens.privacy import erase
from cxlens.privacy.erase import FOUND_OTHERWISE, RECOMPUTED, WITHOUT_CUSTOMER_DATA, customer_tables, unhandled_tables

# Column names that hold a customer's data wherever they appear.
PERSONAL = ("customer_id", "comment", "text", "description", "raw", "email", "phone", "national")


def test_every_stored_table_is_searched_by_erasure_or_declared_free_of_customer_data():
    assert unhandled_tables() == []
    for t in stored_tables():
        assert (t.customer_key or t.name in FOUND_OTHERWISE or t.name in WITHOUT_CUSTOMER_DATA
                or t.name in RECOMPUTED), t.name


def test_a_table_pointing_at_customers_has_a_customer_key():
    for t in stored_tables():
        if any(c.references == "customers.customer_id" or "customer_id" in c.name for c in t.columns):
            assert t.customer_key, f"{t.name} holds customer ids but declares no customer key"


def test_tables_declared_free_of_customer_data_have_no_personal_columns():
    for name in WITHOUT_CUSTOMER_DATA:
        t = model.table(name)
        assert t.customer_key is None
        personal = [c.name for c in t.columns if any(p in c.name for p in PERSONAL) and name != "touchpoints"]
        assert personal == [], f"{name} is declared free of customer data but has columns {personal}"


def test_the_derived_tables_of_the_issue_are_erased():
    names = {t.name for t in customer_tables()}
    assert {"customers", "events", "responses", "tickets", "outcomes", "notes", "journey_steps"} <= names
    assert set(FOUND_OTHERWISE) == {"comment_analysis", "quarantine"}


def test_a_new_table_without_customer_key_is_refused(monkeypatch):
    sneaky = Table("survey_tokens", "Tokens sent to customers.", (Column("token", "VARCHAR", "t", key=True),
                                                                  Column("respondent", "VARCHAR", "who")))
    monkeypatch.setitem(model.TABLES, "survey_tokens", sneaky)
    assert unhandled_tables() == ["survey_tokens"]

    class FakeStore:
        read_only = False
        url = "duckdb://"

    with pytest.raises(StoreError, match="survey_tokens"):
        erase.forget(FakeStore(), ["C1"], "test")


def test_a_new_table_with_customer_key_is_erased_without_further_code(monkeypatch):
    tokens = Table("survey_tokens", "Tokens sent to customers.", (Column("token", "VARCHAR", "t", key=True),
                                                                  Column("customer_id", "VARCHAR", "who")))
    monkeypatch.setitem(model.TABLES, "survey_tokens", tokens)
    assert unhandled_tables() == []
    assert "survey_tokens" in {t.name for t in customer_tables()}


def test_analysed_sources_match_the_text_analysis():
    from cxlens.text.stored import STORE_SOURCES

    assert erase.ANALYSED_SOURCES == {s: (table, id_col) for s, (table, id_col, _, _) in STORE_SOURCES.items()}


@pytest.mark.parametrize("raw, found", [
    ('{"customer_id": "C1", "score": "11"}', True),
    ('{"customer_id": "C10", "score": "11"}', False),
    ('{"cust": " C1 ", "x": {"nested": ["a"]}}', True),
    ('{"customer_id": "C2", "note": "called about C1"}', False),  # a mention in a text is not the row's customer
    ('{"x": {"nested": ["C1"]}}', True),
    ("C1;2024-01-01;11", True),   # not JSON: the id as a whole token
    ("C10;2024-01-01;11", False),
    ("AC1;C1-x", False),
    (None, False),
])
def test_quarantine_rows_match_the_id_exactly(raw, found):
    assert erase._holds_id(raw, {"C1"}) is found


def test_no_id_is_a_usage_error():
    from cxlens.errors import UsageError

    with pytest.raises(UsageError):
        erase.clean_ids([" ", ""])
    assert erase.clean_ids([" C1", "C1", "C2 "]) == ["C1", "C2"]
