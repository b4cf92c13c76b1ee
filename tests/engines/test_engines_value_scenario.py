"""The scenario value is the same on Spark and PostgreSQL as on DuckDB: it reads the customer-month frame each engine
builds (tests/value_fixtures.py's small seeded store), so the same frame gives the same money. (The trend reads the
same frame; its Cox model needs more churn events than this store has: tests/unit/value/test_trend.py.)"""

from __future__ import annotations

import pandas as pd
import pytest

from engine_fixtures import stores_per_engine
from value_fixtures import write_value_files

from cxlens.model.config import ValueConfig
from cxlens.value.dataset import customer_month_frame
from cxlens.value.scenario import scenario

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
CONFIG = ValueConfig(upgrade_value=50.0, referral_value=20.0)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("value-scenario-files")
    write_value_files(folder, seed=8, customers=60)
    with stores_per_engine(folder, ("customers", "outcomes", "responses", "tickets"), tmp_path_factory, "value-scenario") as get:
        yield get


def _value(store) -> pd.DataFrame:
    return scenario(customer_month_frame(store), ["detractor:passive:10%", "passive:promoter:10%"], config=CONFIG,
                    by=("segment",), n_boot=20, seed=1)


def test_duckdb_scenario_runs_on_the_engine_frame(stores):
    value = _value(stores("duckdb"))
    overall = value[value["segment"] == "(all)"]
    assert len(overall) == 2 and (overall["customers_in_group"] > 0).all()


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_scenario_is_the_same_on_every_engine(stores, engine):
    pd.testing.assert_frame_equal(_value(stores(engine)), _value(stores("duckdb")), check_dtype=False)
