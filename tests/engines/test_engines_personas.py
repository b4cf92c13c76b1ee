"""Personas are stored and profiled the same on Spark and PostgreSQL as on DuckDB: table `personas` replaced by a
fit, the summary in cxlens_meta, and the per-touchpoint CSAT of each persona (joined in the engine) against pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from engine_fixtures import make_url
from people_fixtures import people_store, read_files, write_people_files

from cxlens.people import customer_view_frame
from cxlens.personas import fit_summary, load_summary, save, shown, touchpoint_csat

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_people_files(tmp_path_factory.mktemp("personas-engine-files"), seed=4, customers=40)


@pytest.fixture(scope="module")
def fitted(files, tmp_path_factory):
    with people_store(files, tmp_path_factory.mktemp("personas-duckdb"), personas=False) as store:
        frame = customer_view_frame(store)
    summary, rows = fit_summary(frame, k=2, seeds=0, resamples=0, features=None)
    return frame, summary, rows


def brute_csat(files, rows: pd.DataFrame) -> pd.DataFrame:
    answers = read_files(files)["responses"]  # text as written, None for empty
    answers["score"] = answers["score"].astype(float)
    overall = answers["aspect"].isna() | answers["aspect"].eq("")
    csat = answers[(answers.metric == "csat") & overall].merge(rows[["customer_id", "persona_id"]], on="customer_id")
    return (csat.groupby(["persona_id", "touchpoint_id"])
            .agg(csat=("score", "mean"), answers=("score", "size"), customers=("customer_id", "nunique")).reset_index())


@pytest.mark.parametrize("engine", ENGINES)
def test_personas_saved_and_profiled_alike_on_every_engine(engine, files, fitted, tmp_path):
    frame, summary, rows = fitted
    with people_store(files, tmp_path, url=make_url(engine, tmp_path), personas=False) as store:
        save(store, rows, summary)
        save(store, rows, summary)  # a second fit replaces the first: no duplicate rows
        assert store.count("personas") == len(rows) and load_summary(store)["k"] == 2
        got = touchpoint_csat(store, 1).sort_values(["persona_id", "touchpoint_id"]).reset_index(drop=True)
        want = brute_csat(files, rows).sort_values(["persona_id", "touchpoint_id"]).reset_index(drop=True)
        assert len(want) > 2
        pd.testing.assert_frame_equal(got[list(want.columns)], want, check_dtype=False, rtol=1e-9)
        view = shown(store, customer_view_frame(store), min_group=1)
        assert sum(p["customers"] for p in view["profiles"]) == len(rows) and view["hidden"] == 0
