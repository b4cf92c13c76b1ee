"""The customer view is the same on Spark and PostgreSQL as on DuckDB (and on DuckDB it matches the brute-force
computation of tests/people_fixtures.py): one small seeded store per engine with every edge case of the view
(missing ages and signup dates, channels from the event or the touchpoint, relationship answers at one instant,
unresolved tickets, customers without outcomes, text analyses and personas)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from engine_fixtures import make_url
from people_fixtures import brute_view, people_store, plain, write_people_files

from cxlens.people import customer_record, customer_view_frame
from cxlens.query import Scope

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
SCOPE = Scope.parse(since="2024-02-01", until="2024-11-30", filters=["segment=a", "segment=b"])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_people_files(tmp_path_factory.mktemp("people-engine-files"), seed=9, customers=24)


@pytest.fixture(scope="module")
def stores(files, tmp_path_factory):
    opened: dict = {}

    def get(engine: str):
        if engine not in opened:
            folder = tmp_path_factory.mktemp(f"people-{engine}")
            opened[engine] = people_store(files, folder, url=make_url(engine, folder))
        return opened[engine]

    yield get
    for store in opened.values():
        store.close()


def test_duckdb_view_matches_brute_force(stores, files):
    got = customer_view_frame(stores("duckdb"), SCOPE)
    want = brute_view(files, date(2024, 2, 1), date(2024, 11, 30), segments=["a", "b"])
    pd.testing.assert_frame_equal(plain(got), plain(want[list(got.columns)]), check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_customer_view_is_the_same_on_every_engine(stores, engine):
    for scope in (Scope(), SCOPE, Scope.parse(filters=["theme=price"])):
        got, want = customer_view_frame(stores(engine), scope), customer_view_frame(stores("duckdb"), scope)
        assert len(want) > 3
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_customer_record_is_the_same_on_every_engine(stores, engine):
    cid = customer_view_frame(stores("duckdb")).sort_values("events").customer_id.iloc[-1]
    got, want = customer_record(stores(engine), cid), customer_record(stores("duckdb"), cid)
    assert got["view"].keys() == want["view"].keys()
    for key, value in want["view"].items():  # sums in another order: floats equal to rounding
        assert got["view"][key] == (pytest.approx(value, rel=1e-9) if isinstance(value, float) else value), key
    for part in ("answers", "tickets", "journey", "comments"):
        assert len(got[part]) == len(want[part]) > 0 or part == "comments", part
