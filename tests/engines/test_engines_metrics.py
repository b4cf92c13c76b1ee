"""Every analysis gives the same answer on Spark (and PostgreSQL) as on DuckDB, to floating-point tolerance.

Two stores per engine, each loaded through the real `load` path: the hand-checkable tiny store of
conftest and a seeded random store of a few thousand answers over three months, where cells are
large enough that intervals, weights and trends are all exercised. DuckDB is the reference.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import build_tiny_store
from engine_fixtures import make_url

from cxlens import metrics
from cxlens.metrics.gaps import consistency, delivery_gap, expectation_gap
from cxlens.metrics.outcomes import outcomes_by
from cxlens.value.drivers import csat_drivers
from cxlens.metrics.scorecard import scorecard
from cxlens.metrics.weighting import weighting_report
from cxlens.query import Scope

OTHER_ENGINES = [pytest.param("spark", marks=pytest.mark.spark), pytest.param("postgres", marks=pytest.mark.postgres)]
_STORES: dict[tuple[str, str], object] = {}


def random_store_files(folder: Path, seed: int = 7) -> dict[str, Path]:
    """customers, responses and tickets CSVs: 300 customers, ~6000 answers (+1500 per-aspect expectation and
    CSAT answers), 400 tickets over Jan-Mar 2024."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    segments, regions, langs, plans = ["family", "value", "business"], ["north", "south"], ["en", "de", "ar"], ["basic", "pro"]
    cust = ["customer_id,signup_date,segment,region,language,plan,account_id"]
    for i in range(300):
        cust.append(f"C{i},2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},{rng.choice(segments)},"
                    f"{rng.choice(regions)},{rng.choice(langs)},{rng.choice(plans)},{'A' + str(i % 7) if i % 3 == 0 else ''}")
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "expectation": (1, 5)}
    tps = {"nps": ["relationship", "shop", "call"], "csat": ["shop", "call"], "ces": ["shop", "call"], "expectation": ["shop", "call"]}
    resp = ["response_id,customer_id,ts,touchpoint_id,metric,score,language"]
    start = datetime(2024, 1, 1)
    for i in range(6000):
        metric = rng.choice(list(scales))
        lo, hi = scales[metric]
        ts = start + timedelta(minutes=rng.randint(0, 90 * 24 * 60))
        resp.append(f"R{i},C{rng.randint(0, 299)},{ts:%Y-%m-%d %H:%M:%S},{rng.choice(tps[metric])},{metric},"
                    f"{rng.randint(lo, hi)},{rng.choice(langs)}")
    resp[0] += ",aspect"
    resp[1:] = [line + "," for line in resp[1:]]  # the answers above asked the overall question
    aspects = random.Random(seed + 1)  # a stream of its own: the answers above stay as they were
    for i in range(1500):
        metric, aspect = aspects.choice(["expectation", "csat"]), aspects.choice(["functional", "emotional", "experiential"])
        ts = start + timedelta(minutes=aspects.randint(0, 90 * 24 * 60))
        resp.append(f"RA{i},C{aspects.randint(0, 299)},{ts:%Y-%m-%d %H:%M:%S},{aspects.choice(['shop', 'call'])},{metric},"
                    f"{aspects.randint(1, 5)},,{aspect}")
    tick = ["ticket_id,customer_id,touchpoint_id,category,channel,opened_at,first_response_at,resolved_at,reopened,contacts"]
    for i in range(400):
        opened = start + timedelta(minutes=rng.randint(0, 88 * 24 * 60))
        first = opened + timedelta(minutes=rng.randint(5, 600))
        resolved = "" if rng.random() < 0.15 else f"{opened + timedelta(hours=rng.randint(1, 200)):%Y-%m-%d %H:%M:%S}"
        tick.append(f"T{i},C{rng.randint(0, 299)},{rng.choice(['shop', 'call'])},{rng.choice(['billing', 'network'])},"
                    f"{rng.choice(['phone', 'chat'])},{opened:%Y-%m-%d %H:%M:%S},{first:%Y-%m-%d %H:%M:%S},{resolved},"
                    f"{str(rng.random() < 0.1).lower()},{rng.randint(1, 4)}")
    files = {}
    for kind, lines in (("customers", cust), ("responses", resp), ("tickets", tick)):
        files[kind] = folder / f"{kind}.csv"
        files[kind].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files


def build_random_store(url: str, folder: Path):
    from cxlens.ingest import load

    store = build_tiny_store(url, folder / "journey")  # the tiny journey, customers and answers first
    for kind, path in random_store_files(folder / "random").items():
        load(store, path, kind)
    return store


def store_for(engine: str, which: str, factory) -> object:
    """One store per (engine, data set) for the whole run: loading on Spark is the slow part."""
    key = (engine, which)
    if key not in _STORES:
        folder = factory.mktemp(f"{engine}-{which}")
        url = make_url(engine, folder / "store")
        builder = build_tiny_store if which == "tiny" else build_random_store
        _STORES[key] = builder(url, folder / "files")
    return _STORES[key]


def assert_same_frame(actual: pd.DataFrame, expected: pd.DataFrame, what: str) -> None:
    """Same columns and rows; numbers equal to 1e-9 relative; rows compared after a stable sort."""
    assert list(actual.columns) == list(expected.columns), what
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows vs {len(expected)}"
    a, e = _normalise(actual), _normalise(expected)
    for col in e.columns:
        x, y = a[col].tolist(), e[col].tolist()
        for i, (u, v) in enumerate(zip(x, y)):
            assert _close(u, v), f"{what}: column {col!r} row {i}: {u!r} != {v!r}"


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True).copy()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].astype("datetime64[us]")
    keys = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, (str, bool, int, np.integer))).all()]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame


def _close(u, v) -> bool:
    if isinstance(u, (list, tuple, np.ndarray)) or isinstance(v, (list, tuple, np.ndarray)):
        return len(u) == len(v) and all(_close(p, r) for p, r in zip(u, v))
    if isinstance(u, dict) and isinstance(v, dict):
        return u.keys() == v.keys() and all(_close(u[k], v[k]) for k in u)
    u_na, v_na = _is_na(u), _is_na(v)
    if u_na or v_na:
        return u_na and v_na
    if isinstance(u, (float, np.floating, int, np.integer)) and isinstance(v, (float, np.floating, int, np.integer)) \
            and not isinstance(u, bool) and not isinstance(v, bool):
        return bool(np.isclose(float(u), float(v), rtol=1e-9, atol=1e-9))
    if isinstance(u, pd.Timestamp) or isinstance(v, pd.Timestamp):
        return pd.Timestamp(u).tz_localize(None) == pd.Timestamp(v).tz_localize(None)
    return u == v


def _is_na(v) -> bool:
    try:
        return v is None or v is pd.NA or v is pd.NaT or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


ANALYSES = {
    "nps_overall": lambda s: metrics.nps_by(s),
    "nps_touchpoint_month": lambda s: metrics.nps_by(s, Scope(by=("touchpoint",), period="month")),
    "nps_segment_region_week": lambda s: metrics.nps_by(s, Scope(by=("segment", "region"), period="week")),
    "nps_stage_quarter": lambda s: metrics.nps_by(s, Scope(by=("stage",), period="quarter")),
    "nps_weighted": lambda s: metrics.nps_by(s, Scope(by=("touchpoint",), weighting="poststratify")),
    "nps_compare_previous": lambda s: metrics.nps_by(s, Scope(by=("touchpoint",), period="month"), compare="previous"),
    "nps_filtered_since": lambda s: metrics.nps_by(s, Scope(by=("language",), since="2024-01-15", until="2024-03-01", filters={"segment": ["family", "value"]})),
    "csat_touchpoint_channel": lambda s: metrics.csat_by(s, Scope(by=("touchpoint", "channel"))),
    "csat_plan_month": lambda s: metrics.csat_by(s, Scope(by=("plan",), period="month")),
    "ces_touchpoint": lambda s: metrics.ces_by(s, Scope(by=("touchpoint",))),
    "ces_account_month": lambda s: metrics.ces_by(s, Scope(by=("account",), period="month")),
    "expectation_gap": lambda s: expectation_gap(s, Scope(by=("touchpoint",))),
    "expectation_gap_aspect": lambda s: expectation_gap(s, Scope(by=("touchpoint", "aspect")), min_n=10),
    "csat_aspect_month": lambda s: metrics.csat_by(s, Scope(by=("aspect",), period="month")),
    "csat_filtered_aspect": lambda s: metrics.csat_by(s, Scope(by=("touchpoint",), filters={"aspect": ["emotional", "overall"]})),
    "delivery_gap": lambda s: delivery_gap(s),
    "consistency": lambda s: consistency(s),
    "outcomes_touchpoint_month": lambda s: outcomes_by(s, Scope(by=("touchpoint",), period="month")),
    "csat_drivers": lambda s: csat_drivers(s),
    "weighting_report": lambda s: weighting_report(s),
    "scorecard_touchpoint": lambda s: scorecard(s),
    "scorecard_stage": lambda s: scorecard(s, level="stage"),
}


def _run(name: str, store) -> pd.DataFrame | Exception:
    try:
        return ANALYSES[name](store)
    except Exception as exc:  # an analysis may refuse a data set (too few rows): then every engine must refuse
        return exc


@pytest.mark.parametrize("engine", OTHER_ENGINES)
@pytest.mark.parametrize("which", ["tiny", "random"])
@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_analysis_matches_duckdb(analysis, which, engine, tmp_path_factory):
    expected = _run(analysis, store_for("duckdb", which, tmp_path_factory))
    actual = _run(analysis, store_for(engine, which, tmp_path_factory))
    if isinstance(expected, Exception):
        assert isinstance(actual, type(expected)), f"{analysis} on {engine}: {actual!r} where DuckDB raised {expected!r}"
        return
    assert not isinstance(actual, Exception), f"{analysis} fails on {engine}: {actual!r}"
    assert_same_frame(actual, expected, f"{analysis} on {engine} ({which})")


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_tiny_store_nps_is_the_hand_computed_value_on_every_engine(engine, tmp_path_factory):
    nps = metrics.nps_by(store_for(engine, "tiny", tmp_path_factory), Scope(by=("touchpoint",), period="month"))
    by_month = dict(zip(nps["period"], nps["nps"]))
    assert by_month == pytest.approx({"2024-01": 10.0, "2024-02": -50.0})
