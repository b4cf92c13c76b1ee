"""Scope: validated on construction (UsageError naming the library parameter), parsed from text, frozen;
the rows it selects are those a brute-force pandas filter selects on the tiny store."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, datetime

import pandas as pd
import pytest

from conftest import TINY_CUSTOMERS, TINY_TICKETS, build_tiny_store, tiny_responses_csv
from cxlens.errors import UsageError
from cxlens.query.tickets import tickets
from cxlens.query import PERIODS, WEIGHTINGS, Scope
from cxlens.query.rows import responses, with_period


# --- validation -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "parameter", "allowed"), [
    ({"period": "fortnight"}, "period", PERIODS),
    ({"weighting": "rake"}, "weighting", ["None", *WEIGHTINGS]),
    ({"weighting": "yes"}, "weighting", ["None", *WEIGHTINGS]),
])
def test_a_value_outside_the_choices_names_the_parameter_and_the_allowed_values(fields, parameter, allowed):
    with pytest.raises(UsageError) as err:
        Scope(**fields)
    assert err.value.parameter == parameter and list(err.value.allowed) == list(allowed)
    assert str(err.value).startswith(f"{parameter}=")  # the library's name, never a CLI flag
    assert "--" not in str(err.value)
    for choice in allowed[1:]:
        assert choice in str(err.value)


@pytest.mark.parametrize(("fields", "parameter"), [
    ({"since": "2024-13-01"}, "since"),
    ({"until": "yesterday"}, "until"),
    ({"since": 20240101}, "since"),
    ({"since": "2024-03-01", "until": "2024-02-01"}, "until"),
    ({"by": ("region", "region")}, "by"),
    ({"by": ("region", 3)}, "by"),
    ({"filters": {"": "north"}}, "filters"),
    ({"filters": {"region": []}}, "filters"),
])
def test_a_malformed_value_names_its_parameter(fields, parameter):
    with pytest.raises(UsageError) as err:
        Scope(**fields)
    assert err.value.parameter == parameter
    assert str(err.value).startswith(parameter) and "--" not in str(err.value)


def test_a_filter_without_an_equals_sign_is_refused_naming_filters():
    with pytest.raises(UsageError, match="DIM=VALUE") as err:
        Scope.parse(filters=["region"])
    assert err.value.parameter == "filters" and err.value.value == "region"


def test_dates_are_normalised_to_days():
    want = Scope(since=date(2024, 1, 5), until=date(2024, 2, 1))
    assert Scope(since="2024-01-05", until="2024-02-01") == want
    assert Scope(since=datetime(2024, 1, 5, 13, 30), until=pd.Timestamp("2024-02-01 08:00")) == want
    assert Scope(since="2024-01-05T12:00:00", until="2024-02-01") == want
    assert Scope(since="2024-01-05", until="2024-01-05").until == date(2024, 1, 5)  # one whole day


def test_replace_gives_a_validated_copy():
    scope = Scope(by=("touchpoint",), since="2024-01-01")
    trend = scope.replace(period="month", weighting=None)
    assert trend.period == "month" and trend.by == ("touchpoint",) and trend.since == date(2024, 1, 1)
    assert scope.period is None  # the original is unchanged
    with pytest.raises(UsageError) as err:
        scope.replace(period="decade")
    assert err.value.parameter == "period"


# --- parse -------------------------------------------------------------------------------------------------

def test_parse_reads_the_textual_forms_of_the_cli_and_the_web():
    scope = Scope.parse(by="touchpoint, segment", period="month", since="2024-01-01", until="",
                        filters=["region=north", "region=south", "segment = value"], weighting=True)
    assert scope.by == ("touchpoint", "segment")
    assert dict(scope.filters) == {"region": ("north", "south"), "segment": ("value",)}
    assert scope.period == "month" and scope.since == date(2024, 1, 1) and scope.until is None
    assert scope.weighting == "poststratify"
    assert Scope.parse(by=["touchpoint", "segment"], period="month", since="2024-01-01",
                       filters={"region": ["north", "south"], "segment": "value"}, weighting="poststratify") == scope
    assert Scope.parse() == Scope() and Scope.parse(by="", period="", filters=[], weighting=False) == Scope()


def test_constructor_takes_lists_and_single_values():
    scope = Scope(by=["touchpoint"], filters={"region": "north", "plan": ["basic", "pro"]})
    assert scope.by == ("touchpoint",)
    assert scope.filters == {"region": ("north",), "plan": ("basic", "pro")}
    assert Scope(by="touchpoint,segment").by == ("touchpoint", "segment")


# --- immutability, hashing, repr ----------------------------------------------------------------------------

def test_a_scope_is_frozen_and_hashable():
    scope = Scope.parse(by="touchpoint", filters=["region=north"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.period = "month"
    with pytest.raises(TypeError):
        scope.filters["region"] = ("south",)
    with pytest.raises(AttributeError):
        scope.filters._items = {}
    same = Scope(by=("touchpoint",), filters={"region": ["north"]})
    assert scope == same and hash(scope) == hash(same)
    assert {scope: 1}[same] == 1
    assert scope != scope.replace(filters={"region": "south"})


def test_repr_shows_what_is_set():
    scope = Scope.parse(by="touchpoint", period="month", since="2024-01-01", filters=["region=north"])
    assert repr(scope) == ("Scope(by=('touchpoint',), period='month', since='2024-01-01', "
                           "filters={'region': ('north',)})")
    assert repr(Scope()) == "Scope()"


def test_require_empty_names_the_parameter_an_analysis_does_not_use():
    with pytest.raises(UsageError, match="period='month' is not used by the scorecard") as err:
        Scope(period="month").require_empty("by", "period", analysis="the scorecard")
    assert err.value.parameter == "period"
    Scope(since="2024-01-01").require_empty("by", "period", analysis="the scorecard")


# --- rows against brute force -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("query")
    s = build_tiny_store(f"duckdb:///{folder / 'tiny.duckdb'}", folder / "tiny")
    yield s
    s.close()


def _truth() -> pd.DataFrame:
    """The tiny store's answers joined to customers and touchpoints, in plain pandas."""
    r = pd.read_csv(io.StringIO(tiny_responses_csv()), parse_dates=["ts"]).drop(columns="language")  # the customer's counts
    c = pd.read_csv(io.StringIO(TINY_CUSTOMERS), dtype=str)
    tps = pd.DataFrame({"touchpoint_id": ["shop", "call", "relationship"],
                        "stage": ["purchase", "support", "advocacy"], "channel": ["store", "call_center", ""]})
    out = r.merge(c, on="customer_id", how="left").merge(tps, on="touchpoint_id", how="left")
    return out.fillna({"account_id": "(unknown)"})


SCOPES = [
    Scope(),
    Scope(filters={"region": "north"}),
    Scope(filters={"segment": ["value", "business"], "stage": "advocacy"}),
    Scope(since="2024-01-12", until="2024-02-04"),
    Scope(since="2024-01-12", until="2024-01-12"),
    Scope(until="2024-01-31", filters={"language": ["en", "de"]}),
    Scope(filters={"channel": ["store", ""], "account": "(unknown)"}),
]


@pytest.mark.parametrize("scope", SCOPES, ids=repr)
@pytest.mark.parametrize("metric", ["nps", "csat"])
def test_responses_in_scope_are_those_a_pandas_filter_keeps(store, scope, metric):
    got = responses(store, metric, scope).execute()
    t = _truth()
    t = t[t["metric"] == metric].rename(columns={"account_id": "account", "touchpoint_id": "touchpoint"})
    if scope.since:
        t = t[t["ts"].dt.date >= scope.since]
    if scope.until:
        t = t[t["ts"].dt.date <= scope.until]
    for dim, values in scope.filters.items():
        t = t[t[dim].isin(values)]
    key = ["customer_id", "ts", "score"]
    want = t[key].sort_values(key).reset_index(drop=True)
    have = got[key].sort_values(key).reset_index(drop=True)
    have["ts"] = pd.to_datetime(have["ts"]).astype(want["ts"].dtype)
    pd.testing.assert_frame_equal(have, want.astype({"score": float}), check_dtype=False)


@pytest.mark.parametrize("period", PERIODS)
def test_period_starts_are_the_calendar_periods_pandas_gives(store, period):
    scope = Scope(period=period)
    got = with_period(responses(store, "nps", scope), scope.period).execute()
    freq = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}[period]
    want = pd.to_datetime(got["ts"]).dt.to_period(freq).dt.start_time
    assert (pd.to_datetime(got["period_start"]) == want).all()


def test_ticket_rows_in_scope_match_a_pandas_filter(store):
    k = pd.read_csv(io.StringIO(TINY_TICKETS), parse_dates=["opened_at"])
    c = pd.read_csv(io.StringIO(TINY_CUSTOMERS), dtype=str)
    k = k.merge(c, on="customer_id")
    scope = Scope(since="2024-03-02", until="2024-03-04", filters={"category": "network", "region": ["south", "north"]})
    got = tickets(store, scope).execute()
    want = k[(k["opened_at"].dt.date >= scope.since) & (k["opened_at"].dt.date <= scope.until)
             & (k["category"] == "network")]
    assert sorted(got["ticket_id"]) == sorted(want["ticket_id"]) == ["T3", "T4"]


def test_a_filter_on_a_dimension_the_rows_lack_names_filters_and_the_allowed_dimensions(store):
    with pytest.raises(UsageError) as err:
        responses(store, "nps", Scope(filters={"colour": "red"}))
    assert err.value.parameter == "filters"
    assert "region" in err.value.allowed and "theme" in err.value.allowed
