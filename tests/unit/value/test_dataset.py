"""The value dataset against a brute-force pandas computation on a small hand-made store with every edge case
(tests/value_fixtures.py), and the scope, touchpoint and export options; each read both ways: computed per call,
and from the stored frames (`value_months`, `value_answers`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from value_fixtures import brute_answers, brute_history, brute_months, value_store, write_value_files

from cxlens.errors import UsageError
from cxlens.query import Scope
from cxlens.value.dataset import (HISTORY_COLUMNS, MONTH_COLUMNS, answer_columns, answers_frame, customer_month_frame, dataset,
                                  write_dataset)
from cxlens.value.stored import is_current
from cxlens.value.upkeep import refresh_value


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("value-files")
    write_value_files(folder)
    return folder


@pytest.fixture(scope="module", params=["computed", "stored"])
def store(files, tmp_path_factory, request):
    """The store read two ways: frames computed per call, and from `value_months`/`value_answers` (D54)."""
    s = value_store(files, tmp_path_factory.mktemp("value-store"))
    if request.param == "stored":
        refresh_value(s)
        assert is_current(s)
    else:
        assert not is_current(s)
    yield s
    s.close()


def _sorted(df: pd.DataFrame, keys) -> pd.DataFrame:
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("answer_months", [1, 2, 4])
def test_customer_month_frame_matches_brute_force(store, files, answer_months):
    got = customer_month_frame(store, answer_months=answer_months)
    want = brute_months(files, answer_months)
    assert list(got.columns) == list(MONTH_COLUMNS)
    pd.testing.assert_frame_equal(got, _sorted(want[list(MONTH_COLUMNS)], ["customer_id", "m"]), check_dtype=False,
                                  check_exact=False, rtol=1e-9)


def test_customer_month_frame_edge_cases_are_present(store, files):
    got = customer_month_frame(store)
    outcomes = pd.read_csv(files / "outcomes.csv")
    with_rows_after_churn = {c for c, g in outcomes.groupby("customer_id") if (~g.active.astype(bool)).any()
                             and g.month.max() > g.month[~g.active.astype(bool)].min()}
    assert with_rows_after_churn, "the store must hold a customer with a row after the churn month"
    for c in with_rows_after_churn:  # nothing after the churn month
        rows = got[got.customer_id == c]
        assert rows.churned.iloc[-1] == 1 and rows.churned.sum() == 1
    assert (got.groupby("customer_id").churned.sum() <= 1).all()
    assert got.nps_group.isna().any() and got.nps_group.notna().any()
    assert (got.region == "(unknown)").any() and got.revenue.isna().any()
    assert (got.unresolved_3m > 0).any() and (got.tickets_3m > got.unresolved_3m).any()
    assert (got.nps_age.dropna() >= 1).all() and (got.nps_age.dropna() <= 2).all()


@pytest.mark.parametrize("horizons", [(12, 24), (3,)])
def test_answers_frame_matches_brute_force(store, files, horizons):
    got = answers_frame(store, horizons=horizons)
    want = brute_answers(files, horizons)
    assert list(got.columns) == list(answer_columns(horizons))
    pd.testing.assert_frame_equal(got, _sorted(want[list(got.columns)], ["customer_id", "ts", "response_id"]),
                                  check_dtype=False, check_exact=False, rtol=1e-9)


def test_answers_frame_edge_cases_are_present(store):
    got = answers_frame(store, horizons=(3,))
    assert not got.response_id.str.startswith(("X", "Y")).any(), "NPS elsewhere and aspect answers are not relationship answers"
    churn_month = got[got.response_id.str.endswith("-churn")]
    assert len(churn_month) and (churn_month.months_3 == 0).all() and (churn_month.complete_3 == 0).all()
    assert ((got.churned_3 == 1) & (got.months_3 < 3) & (got.complete_3 == 1)).any()  # churn ends the follow-up early
    censored = got.m + 3 > 2024 * 12 + 11  # the horizon ends after the data's last month (2024-12)
    assert ((got.complete_3 == 0) & (got.months_3 > 0)).any() and (got.complete_3[censored] == 0).all()
    year = answers_frame(store, horizons=(12,))  # no 12-month horizon ends within 2024: none complete, churned or not
    assert (year.complete_12 == 0).all() and (year.churned_12 == 1).any()


def test_scope_keeps_months_and_customers(store, files):
    scope = Scope.parse(since="2024-03-01", until="2024-06-30", filters=["segment=a", "region=north"])
    got = customer_month_frame(store, scope)
    want = brute_months(files)
    want = want[(want.m >= 2024 * 12 + 2) & (want.m <= 2024 * 12 + 5) & (want.segment == "a") & (want.region == "north")]
    pd.testing.assert_frame_equal(got, _sorted(want[list(MONTH_COLUMNS)], ["customer_id", "m"]), check_dtype=False)
    a = answers_frame(store, scope)
    full = answers_frame(store)
    keep = full[(full.m >= 2024 * 12 + 2) & (full.m <= 2024 * 12 + 5) & (full.segment == "a") & (full.region == "north")]
    pd.testing.assert_frame_equal(a, keep.reset_index(drop=True))  # follow-up reads months after `until` too


def test_touchpoint_option_and_unknown_touchpoint(store):
    shop = answers_frame(store, touchpoint="shop", horizons=(3,))
    assert len(shop) and shop.response_id.str.startswith("X").all()
    with pytest.raises(UsageError, match="not in the journey map"):
        answers_frame(store, touchpoint="nowhere")
    with pytest.raises(UsageError, match="answer_months"):
        customer_month_frame(store, answer_months=0)
    with pytest.raises(UsageError, match="filters"):
        customer_month_frame(store, Scope.parse(filters=["touchpoint=shop"]))


def test_dataset_adds_the_customers_survey_history(store, files, tmp_path):
    got = dataset(store, horizons=(12,))
    assert list(got.columns) == [*answer_columns((12,)), *HISTORY_COLUMNS]
    pd.testing.assert_frame_equal(got[list(answer_columns((12,)))], answers_frame(store, horizons=(12,)))
    want = brute_history(files).loc[got.response_id]
    for col in HISTORY_COLUMNS:
        np.testing.assert_array_equal(got[col].isna(), want[col].isna(), err_msg=col)
        if col == "customer_latest_group":
            assert (got[col].fillna("-").to_numpy() == want[col].fillna("-").to_numpy()).all()
        else:
            np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-9, err_msg=col)
    assert got.csat_latest.notna().any() and got.csat_latest.isna().any() and got.nps_trend_per_year.notna().any()
    path = write_dataset(got, tmp_path / "out" / "value.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), got, check_dtype=False)
    with pytest.raises(UsageError, match="Parquet"):
        write_dataset(got, tmp_path / "value.csv")
