"""Benchmark: the full scorecard by touchpoint x segment x month on 10M responses and 2M tickets.

"Full scorecard" = every figure the scorecard shows, per touchpoint x segment x month:
NPS (n, promoters, detractors), CSAT (mean, % top-2), CES (mean, % low effort), and ticket
outcomes (tickets, resolution rate, first-contact resolution, reopen rate, median and 90th
percentile hours to first response and to resolution). cxlens also returns every interval; the
pandas and polars contenders compute the point figures only (less work than cxlens does).

Same data, same run, each contender in a fresh process:
  end to end  cxlens opens its DuckDB store file; pandas and polars read the same tables from
              Parquet/CSV (their idiomatic storage), join customers, group and aggregate
  in memory   the data already loaded: cxlens on an in-memory DuckDB store, pandas/polars on frames
The memory-bandwidth floor = bytes the query must read at least / bandwidth measured now.
Goals (issue #5): faster than polars, >= 10x pandas end to end.

    .venv/bin/python bench/bench_scorecard.py [--rows 10000000 --tickets 2000000]
"""

from __future__ import annotations

import argparse
import os
import shutil

import duckdb

from bench_nps import SETUP_STORE, bandwidth_gb_s
from common import JOURNEY_YAML, OUT, make_customers, make_responses, make_tickets, print_table, run_measured

CUSTOMERS = 100_000

LOAD_TICKETS = """
from cxlens.store import Store
from cxlens.ingest import load
s = Store.open("duckdb:///{db}")
load(s, "{tickets}", "tickets")
s.close()
RESULT = {{}}
"""
CXLENS_QUERY = """
from cxlens.metrics import ces_by, csat_by, nps_by, outcomes_by
from cxlens.query import Scope
def scorecard(s):
    scope = Scope(by=("touchpoint", "segment"), period="month")
    return {{"nps": nps_by(s, scope), "csat": csat_by(s, scope), "ces": ces_by(s, scope), "tickets": outcomes_by(s, scope)}}
def check(out):
    return {{"cells": sum(len(v) for v in out.values()), "nps_n": int(out["nps"]["n"].sum()),
            "tickets": int(out["tickets"]["tickets"].sum())}}
"""
CXLENS_E2E = CXLENS_QUERY + """
import time
from cxlens.store import Store
t = time.perf_counter()
out = scorecard(Store.open("duckdb:///{db}", migrate=False))
RESULT = {{"seconds": time.perf_counter() - t, **check(out)}}
"""
CXLENS_MEM = CXLENS_QUERY + """
import time
from cxlens.store import Store
s = Store.open("duckdb:///:memory:")
con = s.duckdb
con.execute("ATTACH '{db}' AS disk (READ_ONLY)")
for t in ("customers", "touchpoints", "responses", "tickets"):
    con.execute(f"INSERT INTO main.{{t}} SELECT * FROM disk.{{t}}")
con.execute("DETACH disk")
scorecard(s)  # warm
t = time.perf_counter()
out = scorecard(s)
RESULT = {{"seconds": time.perf_counter() - t, **check(out)}}
"""
PANDAS = """
import time
import pandas as pd
def read():
    r = pd.read_parquet("{parquet}", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    k = pd.read_parquet("{tickets}", columns=["customer_id", "touchpoint_id", "opened_at", "first_response_at",
                                             "resolved_at", "reopened", "contacts"])
    c = pd.read_csv("{customers}", usecols=["customer_id", "segment"])
    return r, k, c
def scorecard(r, k, c):
    r = r.merge(c, on="customer_id").assign(month=lambda f: f["ts"].dt.to_period("M"))
    keys = ["touchpoint_id", "segment", "month"]
    out = {{}}
    for metric, high, low in (("nps", 9, 6), ("csat", 4, 2), ("ces", 5, 3)):
        m = r[r["metric"] == metric].assign(high=lambda f: f["score"] >= high, low=lambda f: f["score"] <= low)
        out[metric] = m.groupby(keys).agg(n=("score", "size"), mean=("score", "mean"), high=("high", "mean"),
                                          low=("low", "mean"))
    k = k.merge(c, on="customer_id").assign(month=lambda f: f["opened_at"].dt.to_period("M"))
    resolved = k["resolved_at"].notna()
    k = k.assign(resolved=resolved, fcr=resolved & (k["contacts"] == 1) & ~k["reopened"],
                 reopen=resolved & k["reopened"],
                 frt_h=(k["first_response_at"] - k["opened_at"]).dt.total_seconds() / 3600,
                 res_h=(k["resolved_at"] - k["opened_at"]).dt.total_seconds() / 3600)
    g = k.groupby(keys)
    t = g.agg(tickets=("resolved", "size"), resolved=("resolved", "sum"), fcr=("fcr", "sum"), reopen=("reopen", "sum"))
    t["resolution_rate"] = t["resolved"] / t["tickets"]
    t["fcr_rate"] = t["fcr"] / t["resolved"]
    t["reopen_rate"] = t["reopen"] / t["resolved"]
    q = g[["frt_h", "res_h"]].quantile([0.5, 0.9]).unstack()
    q.columns = [a + "_p" + str(int(b * 100)) for a, b in q.columns]
    out["tickets"] = t.join(q)
    return out
{mode}
"""
POLARS = """
import time
import polars as pl
def read():
    r = pl.read_parquet("{parquet}", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    k = pl.read_parquet("{tickets}", columns=["customer_id", "touchpoint_id", "opened_at", "first_response_at",
                                             "resolved_at", "reopened", "contacts"])
    c = pl.read_csv("{customers}", columns=["customer_id", "segment"])
    return r, k, c
def scorecard(r, k, c):
    keys = ["touchpoint_id", "segment", "month"]
    rl = r.lazy().join(c.lazy(), on="customer_id").with_columns(month=pl.col("ts").dt.truncate("1mo"))
    frames = []
    for metric, high, low in (("nps", 9, 6), ("csat", 4, 2), ("ces", 5, 3)):
        frames.append(rl.filter(pl.col("metric") == metric).group_by(keys).agg(
            n=pl.len(), mean=pl.col("score").mean(), high=(pl.col("score") >= high).mean(),
            low=(pl.col("score") <= low).mean()))
    resolved = pl.col("resolved_at").is_not_null()
    frt = (pl.col("first_response_at") - pl.col("opened_at")).dt.total_seconds() / 3600
    res = (pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds() / 3600
    frames.append(k.lazy().join(c.lazy(), on="customer_id").with_columns(month=pl.col("opened_at").dt.truncate("1mo"))
        .group_by(keys).agg(
            tickets=pl.len(), resolution_rate=resolved.mean(),
            fcr_rate=(resolved & (pl.col("contacts") == 1) & ~pl.col("reopened")).sum() / resolved.sum(),
            reopen_rate=(resolved & pl.col("reopened")).sum() / resolved.sum(),
            frt_p50=frt.median(), frt_p90=frt.quantile(0.9), res_p50=res.median(), res_p90=res.quantile(0.9)))
    return dict(zip(("nps", "csat", "ces", "tickets"), pl.collect_all(frames)))
{mode}
"""
E2E = """t = time.perf_counter(); out = scorecard(*read())
RESULT = {"seconds": time.perf_counter() - t, "cells": sum(len(v) for v in out.values())}"""
MEM = """data = read(); scorecard(*data)
t = time.perf_counter(); out = scorecard(*data)
RESULT = {"seconds": time.perf_counter() - t, "cells": sum(len(v) for v in out.values())}"""


def main(rows: int, n_tickets: int) -> list[dict]:
    work = OUT / "scorecard"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    customers = make_customers(con, CUSTOMERS, work / "customers.csv")
    parquet = make_responses(con, rows, CUSTOMERS, work / f"responses_{rows}.parquet", "parquet")
    tickets = work / f"tickets_{n_tickets}.parquet"
    make_tickets(con, n_tickets, CUSTOMERS, tickets)
    db = work / f"store_{rows}_{n_tickets}.duckdb"
    if not db.exists():
        tmp = db.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        run_measured(SETUP_STORE.format(db=tmp, journey=JOURNEY_YAML, customers=customers, parquet=parquet))
        run_measured(LOAD_TICKETS.format(db=tmp, tickets=tickets))
        shutil.move(tmp, db)
    fmt = dict(db=db, parquet=parquet, customers=customers, tickets=tickets)
    results = []
    for mode, label in (("e2e", "end to end"), ("mem", "in memory")):
        timings = {
            "cxlens": run_measured((CXLENS_E2E if mode == "e2e" else CXLENS_MEM).format(**fmt)),
            "polars": run_measured(POLARS.format(**fmt, mode=E2E if mode == "e2e" else MEM)),
            "pandas": run_measured(PANDAS.format(**fmt, mode=E2E if mode == "e2e" else MEM)),
        }
        base = timings["cxlens"]["seconds"]
        for name, t in timings.items():
            results.append({"mode": label, "method": name, "seconds": t["seconds"],
                            "rows_per_s": (rows + n_tickets) / t["seconds"], "peak_mb": t["peak_mb"],
                            "cells": t["cells"], "x_cxlens": t["seconds"] / base})
    gb_s = bandwidth_gb_s()
    # At least per response: score 8 + ts 8 + metric code 1 + touchpoint code 4 + customer key 8 bytes;
    # per ticket: 3 timestamps 24 + reopened 1 + contacts 8 + touchpoint 4 + customer key 8 bytes.
    floor_bytes = rows * 29 + n_tickets * 45
    floor_s = floor_bytes / (gb_s * 1e9)
    print_table(f"Full scorecard by touchpoint x segment x month: {rows:,} responses + {n_tickets:,} tickets "
                f"(x_cxlens = time / cxlens time; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
                results, ["mode", "method", "seconds", "rows_per_s", "peak_mb", "cells", "x_cxlens"])
    e2e = {r["method"]: r["seconds"] for r in results if r["mode"] == "end to end"}
    mem = {r["method"]: r["seconds"] for r in results if r["mode"] == "in memory"}
    print(f"bandwidth {gb_s:.1f} GB/s; floor {floor_bytes / 1e6:.0f} MB -> {floor_s * 1000:.0f} ms; "
          f"cxlens in memory = {mem['cxlens'] / floor_s:.1f}x the floor")
    print(f"end to end: pandas/cxlens {e2e['pandas'] / e2e['cxlens']:.1f}x (goal >= 10x), "
          f"polars/cxlens {e2e['polars'] / e2e['cxlens']:.1f}x (goal > 1); in memory: pandas/cxlens "
          f"{mem['pandas'] / mem['cxlens']:.1f}x, polars/cxlens {mem['polars'] / mem['cxlens']:.1f}x")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--tickets", type=int, default=2_000_000)
    args = parser.parse_args()
    main(args.rows, args.tickets)
