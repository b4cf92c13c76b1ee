"""The value dataset (customer-month and per-answer frames, the survey history) and the group figures are the same
on Spark and PostgreSQL as on DuckDB, on DuckDB the answers match the brute-force computation, and on every engine
the stored frames (`value_months`, `value_answers`, `value_groups`) hold the rows and group figures computed per
call.

One small seeded store per engine (tests/value_fixtures.py: churn months, an answer in the churn month, rows after
a churn, censored follow-up, NPS elsewhere and aspect answers, unresolved tickets), loaded through `load`.
"""

from __future__ import annotations

import pandas as pd
import pytest

from engine_fixtures import stores_per_engine
from value_fixtures import brute_answers, write_value_files

from cxlens.query import Scope
from cxlens.value.dataset import answers_frame, customer_month_frame, dataset
from cxlens.value.upkeep import refresh_value
from cxlens.value.groups import outcomes_by_group

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
SCOPE = Scope.parse(since="2024-02-01", filters=["plan=x"])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("value-dataset-files")
    write_value_files(folder, seed=8, customers=30)
    return folder


@pytest.fixture(scope="module")
def stores(files, tmp_path_factory):
    with stores_per_engine(files, ("customers", "outcomes", "responses", "tickets"), tmp_path_factory, "value-dataset") as get:
        yield get


def test_duckdb_answers_match_brute_force(stores, files):
    got = answers_frame(stores("duckdb"), horizons=(3, 12))
    want = brute_answers(files, (3, 12)).sort_values(["customer_id", "ts", "response_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[list(got.columns)], check_dtype=False)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_customer_month_frame_is_the_same_on_every_engine(stores, engine):
    for scope in (Scope(), SCOPE):
        pd.testing.assert_frame_equal(customer_month_frame(stores(engine), scope), customer_month_frame(stores("duckdb"), scope),
                                      check_dtype=False)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_dataset_is_the_same_on_every_engine(stores, engine):
    got, want = dataset(stores(engine), SCOPE, horizons=(3, 12)), dataset(stores("duckdb"), SCOPE, horizons=(3, 12))
    assert len(want) > 10
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_group_figures_are_the_same_on_every_engine(stores, engine):
    for band, by in (("nps", ("segment",)), ("csat", ())):
        got = outcomes_by_group(stores(engine), SCOPE, horizon=6, by=by, band=band)
        pd.testing.assert_frame_equal(got, outcomes_by_group(stores("duckdb"), SCOPE, horizon=6, by=by, band=band), check_dtype=False)


@pytest.mark.parametrize("engine", ["duckdb", *OTHER_ENGINES])
def test_stored_frames_hold_the_computed_rows_on_every_engine(stores, engine, monkeypatch):
    from cxlens.value import stored

    store = stores(engine)
    with monkeypatch.context() as m:
        m.setattr(stored, "is_current", lambda s: False)
        want = [customer_month_frame(store, SCOPE), answers_frame(store, SCOPE), answers_frame(store, horizons=(12,)),
                outcomes_by_group(store, Scope.parse(filters=["plan=x"]), horizon=12, by=("segment",))]
    done = refresh_value(store)
    assert stored.is_current(store) and done["value_months"] > len(want[0]) > 0
    got = [customer_month_frame(store, SCOPE), answers_frame(store, SCOPE), answers_frame(store, horizons=(12,)),
           outcomes_by_group(store, Scope.parse(filters=["plan=x"]), horizon=12, by=("segment",))]
    for g, w in zip(got, want):
        pd.testing.assert_frame_equal(g, w, check_dtype=False)
