"""The rollup's test helpers: a small random store with NULL attributes and aspects, loads that keep the rollup
current as `Workspace.load` does, and the brute-force pandas aggregation every maintained rollup must equal.
Used by tests/unit/metrics/test_rollup_maintenance.py and tests/engines/test_engines_rollup.py."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.ingest import load, sync_journey
from cxlens.metrics import rollup, rollup_upkeep
from cxlens.metrics.scales import THRESHOLDS
from cxlens.model.journey import read_journey
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


def load_kept(store: Store, path: Path, kind: str, **options) -> rollup_upkeep.LoadMaintenance:
    """Load as `Workspace.load` does: the rollup kept current inside the load's transaction."""
    upkeep = rollup_upkeep.LoadMaintenance(store, kind)
    load(store, path, kind, derived=upkeep.apply, **options)
    upkeep.after_load()
    return upkeep


def months_of(days: pd.DataFrame) -> pd.DataFrame:
    """Rollup rows (as `normal` gives them) summed by month: what `response_rollup_month` must hold."""
    out = days.assign(month=[d[:7] + "-01" for d in days["day"]])
    sums = out.groupby(["month", *GRAIN[1:]], dropna=False)[["n", "total", "total_sq", "high", "low"]].sum()
    return sums.reset_index().sort_values(["month", *GRAIN[1:]]).reset_index(drop=True)


def stored_months(store: Store) -> pd.DataFrame:
    out = store.table(rollup.MONTH_TABLE).execute()
    out["month"] = [pd.Timestamp(v).date().isoformat() for v in out["month"]]
    for k in GRAIN[1:]:
        out[k] = [("" if v is None or v != v else str(v)) for v in out[k]]
    for k in ("n", "high", "low"):
        out[k] = out[k].astype("int64")
    return out[["month", *GRAIN[1:], "n", "total", "total_sq", "high", "low"]].sort_values(
        ["month", *GRAIN[1:]]).reset_index(drop=True)


def assert_equals_a_rebuild(store: Store) -> None:
    """The maintained rollup equals the brute-force one, and its month rows equal that summed by month (D64)."""
    assert rollup.rollup_is_current(store), rollup.rollup_staleness(store)
    want = brute(store)
    assert_same(stored(store), want)
    got, months = stored_months(store), months_of(want)
    keys = ["month", *GRAIN[1:], "n", "high", "low"]
    assert len(got) == len(months) and got[keys].equals(months[keys].astype({k: "int64" for k in ("n", "high", "low")}))
    sums = ["total", "total_sq"]
    np.testing.assert_allclose(got[sums].to_numpy(float), months[sums].to_numpy(float), rtol=1e-12)
    assert_counts_are_exact(store)


def assert_counts_are_exact(store: Store) -> None:
    """`answer_counts` holds every customer's answers per metric, counted by hand, and the record's MOST their most
    (D66)."""
    r = store.table("responses").execute()
    want = r.groupby(["customer_id", "metric"]).size()
    counts = store.table(rollup.COUNTS_TABLE).execute()
    got = counts.set_index(["customer_id", "metric"])["answers"].astype("int64")
    assert got.sort_index().to_dict() == want.sort_index().to_dict()
    most = want.groupby(level="metric").max().to_dict()
    assert rollup.recorded(store)[rollup.MOST] == {str(m): int(v) for m, v in most.items()}
