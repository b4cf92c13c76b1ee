"""Benchmark: `cxlens nps --by touchpoint,segment --period month` on 10M responses.

Same data, same run, each contender in a fresh process:
  end to end  from the stored data: cxlens opens its DuckDB store file; pandas and polars read the
              same tables from Parquet (their idiomatic storage), join customers, group and compute NPS
  in memory   the data already loaded: cxlens on an in-memory DuckDB store, pandas/polars on frames
  duckdb SQL  the same cells as one hand-written DuckDB query: the engine alone, without cxlens
The memory-bandwidth floor = bytes the query must read at least / bandwidth measured now with NumPy.
Goals (issue #2): faster than polars, >= 10x pandas end to end, >= 5x pandas in memory, within 10x
of the floor.
"""

from __future__ import annotations

import argparse
import os

import duckdb
import numpy as np

from common import JOURNEY_YAML, OUT, make_customers, make_responses, print_table, run_measured

SETUP_STORE = """
import yaml
from cxlens.store import Store
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import JourneyMap
s = Store.open("duckdb:///{db}")
sync_journey(s, JourneyMap.model_validate(yaml.safe_load('''{journey}''')))
load(s, "{customers}", "customers")
load(s, "{parquet}", "responses")
s.close()
RESULT = {{}}
"""
CXLENS_E2E = """
import time
from cxlens.store import Store
from cxlens.metrics import nps_by
from cxlens.query import Scope
t = time.perf_counter()
s = Store.open("duckdb:///{db}", migrate=False)
out = nps_by(s, Scope(by=("touchpoint", "segment"), period="month"))
RESULT = {{"seconds": time.perf_counter() - t, "cells": len(out), "check": float(out["nps"].sum())}}
"""
CXLENS_MEM = """
import time
from cxlens.store import Store
from cxlens.metrics import nps_by
from cxlens.query import Scope
s = Store.open("duckdb:///:memory:")
con = s.duckdb
con.execute("ATTACH '{db}' AS disk (READ_ONLY)")
for t in ("customers", "touchpoints", "responses"):
    con.execute(f"INSERT INTO main.{{t}} SELECT * FROM disk.{{t}}")
con.execute("DETACH disk")
nps_by(s, Scope(by=("touchpoint", "segment"), period="month"))  # warm
t = time.perf_counter()
out = nps_by(s, Scope(by=("touchpoint", "segment"), period="month"))
RESULT = {{"seconds": time.perf_counter() - t, "cells": len(out), "check": float(out["nps"].sum())}}
"""
# The same cells as one hand-written DuckDB query: what the engine alone costs, without cxlens around it.
DUCKDB_SQL = """
import time, duckdb
QUERY = '''SELECT r.touchpoint_id, c.segment, date_trunc('month', r.ts) AS month, count(*) AS n,
  100.0 * (count(*) FILTER (r.score >= 9) - count(*) FILTER (r.score <= 6)) / count(*) AS nps
  FROM responses r JOIN customers c USING (customer_id) WHERE r.metric = 'nps' GROUP BY ALL'''
t = time.perf_counter()
con = duckdb.connect("{db}", read_only=True)
{mode}
out = con.execute(QUERY).fetchall()
RESULT = {{"seconds": time.perf_counter() - t, "cells": len(out)}}
"""
DUCKDB_MEM = """con.execute("SET threads TO {threads}")
mem = duckdb.connect()
for name in ("customers", "responses"):
    mem.register(name + "_disk", con.execute("SELECT * FROM " + name).to_arrow_table())
    mem.execute("CREATE TABLE " + name + " AS SELECT * FROM " + name + "_disk")
con = mem
con.execute(QUERY).fetchall()
t = time.perf_counter()"""
PANDAS = """
import time
import pandas as pd
def read():
    r = pd.read_parquet("{parquet}", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    c = pd.read_csv("{customers}", usecols=["customer_id", "segment"])
    return r, c
def nps(r, c):
    r = r[r["metric"] == "nps"].merge(c, on="customer_id")
    r = r.assign(month=r["ts"].dt.to_period("M"), promoter=r["score"] >= 9, detractor=r["score"] <= 6)
    g = r.groupby(["touchpoint_id", "segment", "month"])[["promoter", "detractor"]].agg(["sum", "count"])
    return 100 * (g[("promoter", "sum")] - g[("detractor", "sum")]) / g[("promoter", "count")]
{mode}
"""
POLARS = """
import time
import polars as pl
def read():
    r = pl.read_parquet("{parquet}", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    c = pl.read_csv("{customers}", columns=["customer_id", "segment"])
    return r, c
def nps(r, c):
    return (r.lazy().filter(pl.col("metric") == "nps").join(c.lazy(), on="customer_id")
            .group_by("touchpoint_id", "segment", pl.col("ts").dt.truncate("1mo").alias("month"))
            .agg(n=pl.len(), p=(pl.col("score") >= 9).sum(), d=(pl.col("score") <= 6).sum())
            .with_columns(nps=100 * (pl.col("p") - pl.col("d")) / pl.col("n")).collect())
{mode}
"""
E2E = """t = time.perf_counter(); out = nps(*read())
RESULT = {"seconds": time.perf_counter() - t, "cells": len(out)}"""
MEM = """r, c = read(); nps(r, c)
t = time.perf_counter(); out = nps(r, c)
RESULT = {"seconds": time.perf_counter() - t, "cells": len(out)}"""


def bandwidth_gb_s() -> float:
    """Read bandwidth measured now: summing a 1 GB array (best of 3)."""
    a = np.ones(1 << 27)
    best = float("inf")
    import time
    for _ in range(3):
        t = time.perf_counter()
        a.sum()
        best = min(best, time.perf_counter() - t)
    return a.nbytes / best / 1e9


def main(rows: int) -> list[dict]:
    work = OUT / "nps"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    customers = make_customers(con, 100_000, work / "customers.csv")
    parquet = make_responses(con, rows, 100_000, work / f"responses_{rows}.parquet", "parquet")
    db = work / f"store_{rows}.duckdb"
    if not db.exists():
        run_measured(SETUP_STORE.format(db=db, journey=JOURNEY_YAML, customers=customers, parquet=parquet))
    fmt = dict(db=db, parquet=parquet, customers=customers)
    results = []
    for mode, label in (("e2e", "end to end"), ("mem", "in memory")):
        timings = {
            "cxlens": run_measured((CXLENS_E2E if mode == "e2e" else CXLENS_MEM).format(**fmt)),
            "duckdb SQL": run_measured(DUCKDB_SQL.format(**fmt, mode="" if mode == "e2e" else DUCKDB_MEM.format(threads=os.cpu_count()))),
            "polars": run_measured(POLARS.format(**fmt, mode=E2E if mode == "e2e" else MEM)),
            "pandas": run_measured(PANDAS.format(**fmt, mode=E2E if mode == "e2e" else MEM)),
        }
        base = timings["cxlens"]["seconds"]
        for name, t in timings.items():
            results.append({"mode": label, "method": name, "seconds": t["seconds"], "rows_per_s": rows / t["seconds"],
                            "peak_mb": t["peak_mb"], "cells": t["cells"], "x_cxlens": t["seconds"] / base})
    gb_s = bandwidth_gb_s()
    # At least: score (8 B) + ts (8 B) + metric code (1 B) + touchpoint code (4 B) + customer key (8 B) per response.
    floor_bytes = rows * 29
    floor_s = floor_bytes / (gb_s * 1e9)
    print_table(f"NPS by touchpoint x segment x month on {rows:,} responses (x_cxlens = time / cxlens time)",
                results, ["mode", "method", "seconds", "rows_per_s", "peak_mb", "cells", "x_cxlens"])
    mem = {r["method"]: r["seconds"] for r in results if r["mode"] == "in memory"}
    e2e = {r["method"]: r["seconds"] for r in results if r["mode"] == "end to end"}
    print(f"bandwidth {gb_s:.1f} GB/s; floor {floor_bytes / 1e6:.0f} MB -> {floor_s * 1000:.0f} ms; "
          f"cxlens in memory = {mem['cxlens'] / floor_s:.1f}x the floor (goal <= 10x)")
    print(f"end to end: pandas/cxlens {e2e['pandas'] / e2e['cxlens']:.1f}x (goal >= 10x), "
          f"polars/cxlens {e2e['polars'] / e2e['cxlens']:.1f}x (goal > 1); in memory: pandas/cxlens "
          f"{mem['pandas'] / mem['cxlens']:.1f}x (goal >= 5x), polars/cxlens {mem['polars'] / mem['cxlens']:.1f}x")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    main(parser.parse_args().rows)
