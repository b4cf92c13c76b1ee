"""The customer view against a brute-force pandas computation of every column from the same rows (tests/people_fixtures.py),
with and without a scope, and the record of one customer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from people_fixtures import brute_view, people_store, plain, read_files, write_people_files

from cxlens.errors import UsageError
from cxlens.people import customer_record, customer_view_frame, view_columns
from cxlens.people.customer_view import stage_column
from cxlens.query import Scope

COLUMNS = ["customer_id", "segment", "region", "language", "plan", "account_id", "age", "tenure_months", "events",
           "events_purchase", "events_usage", "events_support", "events_advocacy", "channels_used", "top_channel",
           "digital_share", "plan_changes", "responses", "nps_latest", "nps_group", "nps_trend", "csat_mean", "ces_mean",
           "tickets", "tickets_unresolved", "tickets_per_month", "revenue_month", "cost_to_serve_month", "active",
           "top_theme", "themes", "relationship_comments", "relationship_themes", "persona_id", "persona"]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """The files of tests/people_fixtures.py, written once."""
    return write_people_files(tmp_path_factory.mktemp("people-files"))


@pytest.fixture(scope="module")
def store(files, tmp_path_factory):
    """The files loaded into a DuckDB store, with text analyses and personas."""
    with people_store(files, tmp_path_factory.mktemp("people-store")) as s:
        yield s


def _check(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == COLUMNS
    pd.testing.assert_frame_equal(plain(got), plain(want[COLUMNS]), check_exact=False, rtol=1e-9)


def test_every_column_matches_the_brute_force_computation(store, files):
    got = customer_view_frame(store)
    assert len(got) == 30
    _check(got, brute_view(files))


def test_the_hand_built_store_has_every_edge_case(store, files):
    got = customer_view_frame(store)
    assert got.age.isna().sum() >= 2 and got.age.notna().sum() >= 20       # missing ages and one "n/a"
    assert got.tenure_months.isna().any()                                  # missing signup date
    assert (got.events == 0).any() and (got.events > 5).any()
    assert got.top_channel.isna().any()                                    # no events, or none with a channel
    assert got.nps_trend.notna().any() and got.nps_latest.isna().any()
    assert (got.tickets_unresolved > 0).any()
    assert got.active.isna().sum() == 0 and got.active.any() and (~got.active).any()
    assert got.revenue_month.isna().any()                                  # customers without outcomes
    assert got.themes.str.contains(",").any() and got.themes.isna().any()
    # relationship answers' comments are a part of the texts: some customers have themes but none from them
    assert got.relationship_themes.str.contains(":").any() and (got.themes.notna() & got.relationship_themes.isna()).any()
    assert got.persona.notna().sum() == 10
    shares = got.digital_share.dropna()
    assert ((shares > 0) & (shares < 1)).any() and shares.between(0, 1).all()


@pytest.mark.parametrize("since,until", [(date(2024, 3, 1), None), (None, date(2024, 6, 30)), (date(2024, 2, 10), date(2024, 9, 20))])
def test_dates_keep_events_answers_tickets_texts_and_outcome_months_within_them(store, files, since, until):
    _check(customer_view_frame(store, Scope(since=since, until=until)), brute_view(files, since, until))


def test_filters_keep_customers_by_segment_and_theme(store, files):
    _check(customer_view_frame(store, Scope.parse(filters=["segment=a", "segment=c"])), brute_view(files, segments=["a", "c"]))
    got = customer_view_frame(store, Scope.parse(filters=["theme=billing"]))
    want = brute_view(files, theme="billing")
    assert 0 < len(want) < 30
    _check(got, want)


def test_grouping_options_are_refused(store):
    with pytest.raises(UsageError, match="by"):
        customer_view_frame(store, Scope(by=("segment",)))
    with pytest.raises(UsageError):
        customer_view_frame(store, Scope.parse(filters=["touchpoint=shop"]))


def test_column_names_follow_the_map(store):
    assert view_columns(store) == COLUMNS
    assert stage_column("After-Sales care") == "events_after_sales_care"


def test_without_personas_outcomes_or_analyses_those_columns_are_null(files, tmp_path):
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store

    store = Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}")
    try:
        sync_journey(store, read_journey(files / "journey.yaml"))
        for kind in ("customers", "events", "responses", "tickets"):
            load(store, files / f"{kind}.csv", kind)
        got = customer_view_frame(store)
    finally:
        store.close()
    assert len(got) == 30
    for col in ("revenue_month", "cost_to_serve_month", "active", "top_theme", "themes", "relationship_themes",
                "persona_id", "persona"):
        assert got[col].isna().all(), col
    assert (got.relationship_comments == 0).all()
    # no outcomes: the data's last month is the latest event, answer or ticket
    d = read_files(files)
    stamps = [*d["events"].ts, *d["responses"].ts, *d["tickets"].opened_at]
    last = max(pd.Timestamp(t).year * 12 + pd.Timestamp(t).month - 1 for t in stamps)
    c = d["customers"].set_index("customer_id").signup_date
    for r in got.dropna(subset=["tenure_months"]).itertuples():
        s = pd.Timestamp(c[r.customer_id])
        assert r.tenure_months == last - (s.year * 12 + s.month - 1)


def test_customer_record_holds_the_view_row_and_the_customers_rows(store, files):
    d = read_files(files)
    view = customer_view_frame(store).set_index("customer_id")
    cid = max(view.index, key=lambda c: (view.loc[c, "events"] > 0) + (view.loc[c, "tickets"] > 0) + view.loc[c, "responses"])
    rec = customer_record(store, cid)
    assert rec["customer_id"] == cid
    assert rec["view"]["events"] == view.loc[cid, "events"] and rec["view"]["nps_latest"] == (
        None if pd.isna(view.loc[cid, "nps_latest"]) else view.loc[cid, "nps_latest"])
    assert len(rec["answers"]) == (d["responses"].customer_id == cid).sum()
    assert len(rec["tickets"]) == (d["tickets"].customer_id == cid).sum()
    journey = rec["journey"]
    assert len(journey) == (d["events"].customer_id == cid).sum()
    assert [e["ts"] for e in journey] == sorted(e["ts"] for e in journey)
    texts = (d["responses"].comment.notna() & (d["responses"].customer_id == cid)).sum() + \
        (d["tickets"].customer_id == cid).sum() + (d["notes"].customer_id == cid).sum()
    assert len(rec["comments"]) == texts
    assert all(isinstance(c["themes"], list) for c in rec["comments"])


def test_an_unknown_customer_is_named_in_the_error(store):
    with pytest.raises(UsageError, match="C-nobody"):
        customer_record(store, "C-nobody")
