"""Churn risk reads the same rows on Spark and PostgreSQL as on DuckDB: the labels, censoring and features built from
each engine's customer-month frame (tests/value_fixtures.py's small seeded store). The models run on that frame in
Python (tests/unit/value/test_risk.py); the roadmap's targets are one select of the touchpoints table."""

from __future__ import annotations

import pandas as pd
import pytest

from engine_fixtures import stores_per_engine
from value_fixtures import write_value_files

from cxlens.value.dataset import customer_month_frame
from cxlens.value.risk import features, label_rows

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("value-risk-files")
    write_value_files(folder, seed=9, customers=60)
    with stores_per_engine(folder, ("customers", "outcomes", "responses", "tickets"), tmp_path_factory, "value-risk") as get:
        yield get


def _rows(store) -> pd.DataFrame:
    rows = label_rows(customer_month_frame(store))
    x, _ = features(rows, {"segment": ["a", "b"], "plan": ["x", "y"]})
    out = pd.concat([rows[["customer_id", "m", "label", "observed"]], x], axis=1)
    return out.sort_values(["customer_id", "m"]).reset_index(drop=True)


def test_duckdb_labels_churn_and_censoring(stores):
    rows = _rows(stores("duckdb"))
    assert rows["label"].sum() > 0 and (~rows["observed"]).sum() > 0 and rows["observed"].sum() > 0


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_engine_gives_the_same_risk_rows(stores, engine):
    pd.testing.assert_frame_equal(_rows(stores(engine)), _rows(stores("duckdb")), check_dtype=False)
