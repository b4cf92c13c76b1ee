"""The stored rollup (`response_rollup`) against a brute-force pandas aggregation of the raw answers: after a full
rebuild, and after any sequence of loads, customers changes, re-loads, erasures and retention it holds exactly the
rows a full rebuild would; a failed load leaves it as it was; it is never read stale."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.metrics import rollup
from cxlens.metrics.scales import THRESHOLDS
from cxlens.store import Store
from conftest import TINY_JOURNEY

GRAIN = list(rollup.GRAIN)
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "expectation": (1, 5)}
START = datetime(2024, 3, 1)


def brute(store: Store) -> pd.DataFrame:
    """The rollup computed in pandas from every raw answer and the customers' current attributes."""
    r = store.table("responses").execute().drop(columns=["language"])
    c = store.table("customers").execute()[["customer_id", *rollup.ATTRIBUTES]]
    j = r.merge(c, on="customer_id", how="left")
    j["day"] = pd.to_datetime(j["ts"]).dt.date
    j["score"] = j["score"].astype(float)
    hi = j["metric"].map(lambda m: THRESHOLDS[m][0])
    lo = j["metric"].map(lambda m: THRESHOLDS[m][1])
    j["high"] = (j["score"] >= hi).astype("int64")
    j["low"] = (j["score"] <= lo).astype("int64")
    j["sq"] = j["score"] ** 2
    keys = j[GRAIN].astype(object).where(j[GRAIN].notna(), None)
    j = pd.concat([keys, j[["customer_id", "score", "sq", "high", "low"]]], axis=1)
    g = j.groupby(GRAIN, dropna=False)
    out = g.agg(n=("score", "size"), customers=("customer_id", "nunique"), total=("score", "sum"), total_sq=("sq", "sum"),
                high=("high", "sum"), low=("low", "sum")).reset_index()
    return normal(out)


def stored(store: Store) -> pd.DataFrame:
    return normal(store.table("response_rollup").execute())


def normal(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as comparable tuples' frame: keys as text ('' for NULL), sorted, a plain index."""
    out = frame[GRAIN + ["n", "customers", "total", "total_sq", "high", "low"]].copy()
    out["day"] = [pd.Timestamp(v).date().isoformat() for v in out["day"]]
    for k in GRAIN[1:]:
        out[k] = [("" if v is None or v != v else str(v)) for v in out[k]]
    for k in ("n", "customers", "high", "low"):
        out[k] = out[k].astype("int64")
    return out.sort_values(GRAIN).reset_index(drop=True)


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want)
    assert got[GRAIN + ["n", "customers", "high", "low"]].equals(want[GRAIN + ["n", "customers", "high", "low"]])
    np.testing.assert_allclose(got[["total", "total_sq"]].to_numpy(float), want[["total", "total_sq"]].to_numpy(float),
                               rtol=1e-12)


# ------------------------------------------------------------------------------------------------ small random store

def customers_csv(path: Path, rng: random.Random, n: int, changed: set[int] = frozenset()) -> Path:
    """Customers C0..C{n-1}; some attributes empty (NULL). `changed`: these customers get other values."""
    lines = ["customer_id,segment,region,language,plan"]
    for i in range(n):
        flip = i in changed
        seg = "" if i % 7 == 3 else ("family" if (i % 2) ^ flip else "value")
        region = "" if i % 5 == 1 else ["north", "south", "east"][(i + (2 if flip else 0)) % 3]
        lang = ["en", "de", ""][(i + (1 if flip else 0)) % 3]
        plan = "" if i % 11 == 4 else ("pro" if (i % 3 == 0) ^ flip else "basic")
        lines.append(f"C{i},{seg},{region},{lang},{plan}")
    path.write_text("\n".join(lines) + "\n")
    return path


def responses_csv(path: Path, rng: random.Random, ids: range, customers: int, days: int = 12,
                  start: datetime = START) -> Path:
    lines = ["response_id,customer_id,ts,touchpoint_id,metric,score,aspect"]
    for i in ids:
        metric = rng.choice(list(SCALES))
        lo, hi = SCALES[metric]
        aspect = rng.choice(["", "", "functional", "emotional", "experiential"])
        ts = start + timedelta(days=rng.randrange(days), minutes=rng.randrange(24 * 60))
        lines.append(f"R{i},C{rng.randrange(customers)},{ts:%Y-%m-%d %H:%M:%S},"
                     f"{rng.choice(['shop', 'call', 'relationship'])},{metric},{rng.randint(lo, hi)},{aspect}")
    path.write_text("\n".join(lines) + "\n")
    return path


def small_store(folder: Path, seed: int = 3, customers: int = 30, answers: int = 1500) -> tuple[Store, random.Random]:
    rng = random.Random(seed)
    (folder / "journey.yaml").write_text(TINY_JOURNEY)
    store = Store.open(f"duckdb:///{folder / 'cx.duckdb'}")
    sync_journey(store, read_journey(folder / "journey.yaml"))
    load(store, customers_csv(folder / "customers.csv", rng, customers), "customers")
    load(store, responses_csv(folder / "responses.csv", rng, range(answers), customers), "responses")
    return store, rng


@pytest.fixture()
def small(tmp_path):
    store, rng = small_store(tmp_path)
    yield store, rng, tmp_path
    store.close()


# ------------------------------------------------------------------------------------------------ full rebuild

def test_full_rebuild_equals_the_brute_force_aggregation_with_nulls(small):
    store, _, _ = small
    assert not rollup.rollup_is_current(store)  # never built
    done = rollup.refresh_rollup(store)
    want = brute(store)
    assert done["rows"] == len(want)
    assert_same(stored(store), want)
    assert rollup.rollup_is_current(store)
    rows = stored(store)
    assert (rows["aspect"] == "").any() and (rows["segment"] == "").any()  # NULLs kept as NULL, not "(unknown)"
    assert int(rows["n"].sum()) == store.count("responses")


def test_full_rebuild_on_the_demo_store_equals_the_brute_force_aggregation(demo_store_copy):
    store, _, _ = demo_store_copy()
    try:
        rollup.refresh_rollup(store)
        assert_same(stored(store), brute(store))
        assert rollup.rollup_is_current(store)
    finally:
        store.close()


# ------------------------------------------------------------------------------------------------ maintenance

def load_kept(store: Store, path: Path, kind: str, **options) -> rollup.LoadMaintenance:
    """Load as `Workspace.load` does: the rollup kept current inside the load's transaction."""
    upkeep = rollup.LoadMaintenance(store, kind)
    load(store, path, kind, derived=upkeep.apply, **options)
    upkeep.after_load()
    return upkeep


def assert_equals_a_rebuild(store: Store) -> None:
    assert rollup.rollup_is_current(store), rollup.rollup_staleness(store)
    assert_same(stored(store), brute(store))


def test_after_any_sequence_of_loads_and_deletions_the_maintained_rollup_equals_a_rebuild(small):
    from cxlens.privacy.erase import forget
    from cxlens.privacy.retention import apply_retention

    store, rng, folder = small
    rollup.refresh_rollup(store)
    all_days = stored(store)["day"].nunique()
    # new answers: two days inside the range, one day after it
    path = responses_csv(folder / "more.csv", rng, range(5000, 5040), 30, days=2, start=START + timedelta(days=4))
    upkeep = load_kept(store, path, "responses")
    assert upkeep.done["days"] == 2 < all_days  # only the touched days were recomputed
    assert_equals_a_rebuild(store)
    load_kept(store, responses_csv(folder / "later.csv", rng, range(6000, 6010), 30, days=1,
                                   start=START + timedelta(days=40)), "responses")
    assert_equals_a_rebuild(store)
    # a customers load moving some customers to another segment, region, language and plan
    upkeep = load_kept(store, customers_csv(folder / "customers2.csv", rng, 30, changed={1, 2, 9}), "customers")
    assert 0 < upkeep.done["days"] <= all_days + 1
    assert_equals_a_rebuild(store)
    # a re-load updating scores and moving answers to other days (their old days lose them)
    frame = pd.read_csv(folder / "responses.csv", keep_default_na=False).head(60)
    frame["score"] = [SCALES[m][0] for m in frame["metric"]]
    frame.loc[:19, "ts"] = "2024-03-25 10:00:00"
    frame.to_csv(folder / "reload.csv", index=False)
    upkeep = load_kept(store, folder / "reload.csv", "responses")
    assert upkeep.done["days"] < all_days + 3
    assert_equals_a_rebuild(store)
    # an unchanged re-load touches no day
    assert load_kept(store, folder / "reload.csv", "responses").done["days"] == 0
    assert_equals_a_rebuild(store)
    # an erasure, then retention: the days of the deleted answers are recomputed before the purge
    report = forget(store, ["C4", "C7"], "test", on_deleted=rollup.DeletionMaintenance(store, ["C4", "C7"]))
    assert report.rows_removed["responses"] > 0
    assert_equals_a_rebuild(store)
    assert not {"C4", "C7"} & set(store.table("responses").customer_id.execute())
    apply_retention(store, {"responses": "30 days"}, now=datetime(2024, 4, 5), on_deleted=rollup.DeletionMaintenance(store))
    assert store.table("responses").ts.min().execute() >= datetime(2024, 3, 6)
    assert_equals_a_rebuild(store)


def test_a_failed_load_leaves_the_rollup_as_it_was(small):
    store, rng, folder = small
    rollup.refresh_rollup(store)
    before, record = stored(store), rollup.recorded(store)

    def fail():
        raise RuntimeError("disk full")

    path = responses_csv(folder / "more.csv", rng, range(7000, 7100), 30, days=3)
    with pytest.raises(RuntimeError, match="disk full"):
        load_kept(store, path, "responses", _before_commit=fail)
    assert_same(stored(store), before)
    assert rollup.recorded(store) == record and rollup.rollup_is_current(store)


def test_a_load_without_upkeep_makes_the_rollup_stale_and_the_next_kept_load_rebuilds_it(small):
    store, rng, folder = small
    rollup.refresh_rollup(store)
    load(store, responses_csv(folder / "more.csv", rng, range(8000, 8020), 30), "responses")
    assert not rollup.rollup_is_current(store)
    assert "a responses load came after it" in rollup.rollup_staleness(store)
    upkeep = load_kept(store, responses_csv(folder / "again.csv", rng, range(8100, 8110), 30, days=1), "responses")
    assert upkeep.done["days"] is None  # not current before: rebuilt whole, in the load's transaction
    assert_equals_a_rebuild(store)


def test_a_never_built_rollup_is_built_by_the_first_kept_load(tmp_path):
    rng = random.Random(5)
    (tmp_path / "journey.yaml").write_text(TINY_JOURNEY)
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}") as store:
        sync_journey(store, read_journey(tmp_path / "journey.yaml"))
        assert "never built" in rollup.rollup_staleness(store)
        load_kept(store, customers_csv(tmp_path / "c.csv", rng, 20), "customers")
        load_kept(store, responses_csv(tmp_path / "r.csv", rng, range(300), 20), "responses")
        assert_equals_a_rebuild(store)
        status = rollup.rollup_status(store)
        assert status["current"] and status["answers"] == 300 and status["rows"] == len(brute(store))
