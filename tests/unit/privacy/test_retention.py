"""Retention periods: parsing, the cutoff's calendar arithmetic, refusals, and a dry run against an apply."""

from __future__ import annotations

from datetime import datetime

import pytest

from cxlens.errors import ConfigError
from cxlens.privacy.retention import apply_retention, check_retention, cutoff, parse_period


@pytest.mark.parametrize("text, expected", [("24 months", (24, "month")), ("1 year", (1, "year")), (" 90 Days ", (90, "day")),
                                            ("2 weeks", (2, "week")), ("1 month", (1, "month"))])
def test_periods_read_a_number_and_a_unit(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["24", "months", "0 days", "-3 days", "2 fortnights", "1.5 years", ""])
def test_unreadable_periods_name_the_accepted_forms(text):
    with pytest.raises(ConfigError, match="N months"):
        parse_period(text)


def test_cutoff_uses_calendar_months_and_clamps_the_day():
    now = datetime(2024, 3, 31, 12, 0)
    assert cutoff("1 month", now) == datetime(2024, 2, 29, 12, 0)
    assert cutoff("13 months", now) == datetime(2023, 2, 28, 12, 0)
    assert cutoff("2 years", now) == datetime(2022, 3, 31, 12, 0)
    assert cutoff("1 week", now) == datetime(2024, 3, 24, 12, 0)
    assert cutoff("10 days", now) == datetime(2024, 3, 21, 12, 0)


@pytest.mark.parametrize("name, reason", [("customers", "cxlens forget"), ("comment_analysis", "follow their texts"),
                                          ("journey_steps", "follow their events"), ("touchpoints", "vocabulary"),
                                          ("orders", "not a table with dated rows")])
def test_tables_without_retention_are_refused_with_the_reason(name, reason):
    with pytest.raises(ConfigError, match=reason):
        check_retention({name: "1 year"})


def test_dry_run_counts_what_apply_deletes(tmp_path):
    import privacy_fixtures as pf

    store = pf.build(f"duckdb:///{tmp_path / 'cx.duckdb'}", tmp_path / "files")
    try:
        rules = {"events": "24 months", "responses": "24 months", "tickets": "24 months", "outcomes": "24 months"}
        now = datetime(2025, 12, 1)
        before = pf.counts(store)
        dry = apply_retention(store, rules, now=now, dry_run=True)
        assert {i.table: i.rows for i in dry.items} == {"events": 2, "responses": 2, "tickets": 1, "outcomes": 2}
        assert pf.counts(store) == before  # nothing deleted
        done = apply_retention(store, rules, now=now)
        rows = {i.table: i.rows for i in done.items}
        # R1 and T1 carried analysed texts (C1's), R3 too (C10's): their analyses go with them; E1/E3 steps too; T1's
        # row of the narrow ticket table too
        assert rows == {"events": 2, "responses": 2, "tickets": 1, "outcomes": 2, "comment_analysis": 3, "journey_steps": 2,
                        "ticket_facts": 1}
        after = pf.counts(store)
        assert after["events"] == 3 and after["outcomes"] == 2 and after["comment_analysis"] == 3
        e = store.table("events")
        assert e.ts.min().execute() >= datetime(2023, 12, 1)
        assert "rewritten" in done.purge
    finally:
        store.close()
