"""Benchmark: the full scorecard by touchpoint x segment x month on 10M responses and 2M tickets.

"Full scorecard" = per touchpoint x segment x month: NPS (n, promoters, detractors), CSAT (mean, top-2 count),
CES (mean, low-effort count), each with its DISTINCT customers (cxlens needs them for the small-group rule,
D24, so every peer computes them too), and the ticket outcomes (tickets, customers, resolved, first-contact
resolved, reopened; median and 90th percentile hours to first response and to resolution, linearly
interpolated). Every contender computes these cells and they are checked equal (counts exactly, means and
hours to 1e-9 relative); cxlens also returns every interval, backlog ages and open tickets (more work).

Contenders, each in a fresh process, interleaved rounds (min and median seconds; peak memory = VmHWM of the
measured process itself):
  end to end  cxlens opens its DuckDB store file; one hand-written DuckDB script reads the same store file;
              pandas, polars and chdb (in-process ClickHouse) read the same tables from Parquet/CSV
  in memory   the data already loaded: cxlens on an in-memory DuckDB store (its rollup refreshed there; and
              "cxlens raw rows" without it, so its planner reads the raw answers: what the rollup buys),
              DuckDB on in-memory tables, pandas/polars on frames, chdb on Memory-engine tables
"cxlens verdict" reads NPS, CSAT and CES as the scorecard does (`experience_by`: one rollup query, D52) with the
small-group cap the apps pass; "cxlens verdict, metrics apart" reads them with three queries, as before D52.
"duckdb SQL, cxlens tables" computes the verdict's figures with two hand-written DuckDB statements on the tables cxlens
maintains (the month rollup and `ticket_facts`): the least an implementation on DuckDB could take, Python aside.
The store is set up as `cxlens load` leaves it (the rollup refreshed), so cxlens's NPS/CSAT/CES come from the
rollup when its planner allows (the table says which path answered); ticket percentiles read rows (the narrow
`ticket_facts` when current, D57; `--before COMMIT` of a tree before it gives the raw-ticket verdict in the same run).
Goals (issues #5, #23): at least 5x faster than polars on raw rows, in memory and end to end; <= 10x the floor.

    .venv/bin/python bench/bench_scorecard.py [--rows 10000000 --tickets 2000000] [--rounds 3] [--before COMMIT]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from string import Template

from bench_nps import (ANSWERED_BY, CHDB_E2E, CHDB_MISSING, bandwidth_gb_s, cells_path, check_line, cxlens_open, have_chdb,
                       measured, run_mode, setup)
from common import console, load_average, print_table

MIN_GROUP = 5  # the workspace default ([privacy] min_group): what `cxlens scorecard` passes as customers_cap
KEYS = ["part", "touchpoint", "segment", "period"]
EXACT = ["n", "customers", "high", "low", "resolved", "fcr", "reopened"]
CLOSE = ["mean", "frt_p50", "frt_p90", "res_p50", "res_p90"]

CXLENS = Template("""
import time
import numpy as np
import pandas as pd
from cxlens.metrics import ces_by, csat_by, experience_by, nps_by, outcomes_by
$tickets_before
from cxlens.store import Store
from cxlens.query import Scope
SCOPE = Scope(by=("touchpoint", "segment"), period="month")
APART = $apart
def scorecard(s):
    if APART:  # NPS, CSAT and CES each with its own rollup query, as before D52
        got = {"nps": nps_by(s, SCOPE$cap), "csat": csat_by(s, SCOPE$cap), "ces": ces_by(s, SCOPE$cap)}
    else:  # as the scorecard reads them: one rollup query for the three (D52)
        got = experience_by(s, SCOPE$cap)
    return {**got, "tickets": outcomes_by(s, SCOPE$cap)}
""" + ANSWERED_BY + """
$open
out = scorecard(s)
seconds = time.perf_counter() - t
path = "; ".join(f"{m} {answered_by(s, m, SCOPE)}" for m in ("nps", "csat", "ces"))
def count(pct, n):
    return (pct.fillna(0) * n / 100).round().astype("int64")
parts = []
for m, share in (("nps", "promoters_pct"), ("csat", "top2_pct"), ("ces", "low_effort_pct")):
    f = out[m]
    parts.append(f.assign(part=m, high=count(f[share], f["n"]), mean=f[m] if m != "nps" else np.nan,
                          low=count(f["detractors_pct"], f["n"]) if m == "nps" else -1))
k = out["tickets"]
resolved = count(k["resolution_rate"], k["tickets"])
fcr, reopened = count(k["fcr_rate"], resolved), count(k["reopen_rate"], resolved)
parts.append(k.assign(part="tickets", n=k["tickets"], resolved=resolved, fcr=fcr, reopened=reopened,
                      frt_p50=k["frt_p50_h"], frt_p90=k["frt_p90_h"], res_p50=k["resolution_p50_h"],
                      res_p90=k["resolution_p90_h"]))
cells = pd.concat(parts, ignore_index=True)
""" + "$finish" + """
try:  # which rows the ticket outcomes read (D57)
    from cxlens.metrics.plan import plan_tickets
    path += "; tickets " + plan_tickets(s, SCOPE).source
except ImportError:
    path += "; tickets raw"
RESULT["path"] = path
""")
# NPS mean is not a scorecard figure: left NaN by everyone. Missing counts are -1, missing floats NaN.
FINISH = """
import numpy as _np
import pandas as _pd
if "period" not in cells:
    cells["period"] = _pd.to_datetime(cells["month"].astype(str)).dt.strftime("%Y-%m")
for col in $columns:
    if col not in cells:
        cells[col] = _np.nan if col in $close else -1
    elif col not in $close and col not in ("part", "touchpoint", "segment", "period"):
        cells[col] = cells[col].fillna(-1).astype("int64")
cells.loc[cells["part"] == "nps", "mean"] = _np.nan
cells[$columns].to_parquet("$cells")
RESULT = {"seconds": seconds, "cells": len(cells)}
"""
# Response cells of a peer (one frame: part = metric) and ticket cells (another) into one long frame.
PEER_CELLS = """
import pandas as pd
resp, tick = out
if not isinstance(resp, pd.DataFrame):
    resp, tick = resp.to_pandas(), tick.to_pandas()
resp = resp.assign(low=resp["low"].where(resp["part"] == "nps", -1))
cells = pd.concat([resp, tick.assign(part="tickets")], ignore_index=True)
"""
# Hand-written DuckDB SQL, two ways: on the raw rows (the peer: tickets' hours from their timestamps, exact distinct
# customers), and on the tables cxlens maintains (its month rollup and `ticket_facts`, no customers: what the verdict
# reads), the least any implementation of the verdict on DuckDB can take with Python around it doing nothing.
RAW_SQL = """RESPONSES = '''SELECT r.metric AS part, r.touchpoint_id AS touchpoint, c.segment,
  date_trunc('month', r.ts) AS month, count(*) AS n, count(DISTINCT r.customer_id) AS customers,
  count(*) FILTER (r.score >= CASE r.metric WHEN 'nps' THEN 9 WHEN 'csat' THEN 4 ELSE 5 END) AS high,
  count(*) FILTER (r.score <= 6) AS low, avg(r.score) AS mean
  FROM responses r JOIN customers c USING (customer_id) WHERE r.metric IN ('nps', 'csat', 'ces') GROUP BY ALL'''
TICKETS = '''SELECT k.touchpoint_id AS touchpoint, c.segment, date_trunc('month', k.opened_at) AS month,
  count(*) AS n, count(DISTINCT k.customer_id) AS customers,
  count(*) FILTER (k.resolved_at IS NOT NULL) AS resolved,
  count(*) FILTER (k.resolved_at IS NOT NULL AND coalesce(k.contacts, 1) = 1 AND NOT coalesce(k.reopened, false)) AS fcr,
  count(*) FILTER (k.resolved_at IS NOT NULL AND coalesce(k.reopened, false)) AS reopened,
  quantile_cont(epoch(k.first_response_at) - epoch(k.opened_at), [0.5, 0.9]) AS frt,
  quantile_cont(epoch(k.resolved_at) - epoch(k.opened_at), [0.5, 0.9]) AS res
  FROM tickets k JOIN customers c USING (customer_id) GROUP BY ALL'''
SECONDS_PER_UNIT, TABLES = 3600, ("customers", "responses", "tickets")"""
CXLENS_TABLES_SQL = """RESPONSES = '''SELECT metric AS part, touchpoint_id AS touchpoint, segment, month, sum(n) AS n,
  sum(high) AS high, sum(low) AS low, sum(total) / sum(n) AS mean
  FROM response_rollup_month WHERE metric IN ('nps', 'csat', 'ces') AND aspect IS NULL GROUP BY ALL HAVING sum(n) > 0'''
TICKETS = '''SELECT touchpoint_id AS touchpoint, segment, date_trunc('month', opened_at) AS month, count(*) AS n,
  count(*) FILTER (resolved) AS resolved, count(*) FILTER (fcr) AS fcr,
  count(*) FILTER (resolved AND reopened) AS reopened,
  quantile_cont(first_response_h, [0.5, 0.9]) AS frt, quantile_cont(resolution_h, [0.5, 0.9]) AS res
  FROM ticket_facts GROUP BY ALL'''
SECONDS_PER_UNIT, TABLES = 1, ("response_rollup_month", "ticket_facts")"""
DUCKDB_SQL = Template("""
import time, duckdb
$queries
def run(con):
    resp = con.execute(RESPONSES).df()
    tick = con.execute(TICKETS).df()
    for name in ("frt", "res"):
        q = tick.pop(name)
        tick[name + "_p50"] = q.str[0] / SECONDS_PER_UNIT
        tick[name + "_p90"] = q.str[1] / SECONDS_PER_UNIT
    return resp, tick
t = time.perf_counter()
con = duckdb.connect("$db", read_only=True)
$mode
out = run(con)
seconds = time.perf_counter() - t
""" + PEER_CELLS + "$finish")
DUCKDB_MEM = """mem = duckdb.connect()
for name in TABLES:
    mem.register(name + "_disk", con.execute("SELECT * FROM " + name).to_arrow_table())
    mem.execute("CREATE TABLE " + name + " AS SELECT * FROM " + name + "_disk")
    mem.unregister(name + "_disk")
con = mem
run(con)
t = time.perf_counter()"""
PANDAS = Template("""
import time
import pandas as pd
def read():
    r = pd.read_parquet("$parquet", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    k = pd.read_parquet("$tickets", columns=["customer_id", "touchpoint_id", "opened_at", "first_response_at",
                                            "resolved_at", "reopened", "contacts"])
    c = pd.read_csv("$customers", usecols=["customer_id", "segment"])
    return (r, k), c
def scorecard(r, k, c):
    keys = ["touchpoint_id", "segment", "month"]
    r = r[r["metric"].isin(["nps", "csat", "ces"])].merge(c, on="customer_id")
    high_min = r["metric"].map({"nps": 9, "csat": 4, "ces": 5})
    r = r.assign(month=r["ts"].dt.to_period("M"), high=r["score"] >= high_min, low=r["score"] <= 6)
    resp = (r.groupby(["metric"] + keys, observed=True)
            .agg(n=("score", "size"), customers=("customer_id", "nunique"), high=("high", "sum"), low=("low", "sum"),
                 mean=("score", "mean")).reset_index().rename(columns={"metric": "part"}))
    k = k.merge(c, on="customer_id")
    resolved = k["resolved_at"].notna()
    reopened = k["reopened"].fillna(False).astype(bool)
    k = k.assign(month=k["opened_at"].dt.to_period("M"), resolved=resolved,
                 fcr=resolved & (k["contacts"].fillna(1) == 1) & ~reopened, reopened=resolved & reopened,
                 frt=(k["first_response_at"] - k["opened_at"]).dt.total_seconds() / 3600,
                 res=(k["resolved_at"] - k["opened_at"]).dt.total_seconds() / 3600)
    g = k.groupby(keys, observed=True)
    tick = g.agg(n=("resolved", "size"), customers=("customer_id", "nunique"), resolved=("resolved", "sum"),
                 fcr=("fcr", "sum"), reopened=("reopened", "sum"))
    q = g[["frt", "res"]].quantile([0.5, 0.9]).unstack()
    q.columns = [a + "_p" + str(int(round(b * 100))) for a, b in q.columns]
    tick = tick.join(q).reset_index()
    return (resp.rename(columns={"touchpoint_id": "touchpoint"}), tick.rename(columns={"touchpoint_id": "touchpoint"}))
$mode
""" + PEER_CELLS + "$finish")
POLARS = Template("""
import time
import polars as pl
def read():
    r = pl.read_parquet("$parquet", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    k = pl.read_parquet("$tickets", columns=["customer_id", "touchpoint_id", "opened_at", "first_response_at",
                                            "resolved_at", "reopened", "contacts"])
    c = pl.read_csv("$customers", columns=["customer_id", "segment"])
    return (r, k), c
def scorecard(r, k, c):
    keys = [pl.col("touchpoint_id").alias("touchpoint"), "segment"]
    score = pl.col("score")
    high_min = pl.when(pl.col("metric") == "nps").then(9).when(pl.col("metric") == "csat").then(4).otherwise(5)
    resp = (r.lazy().filter(pl.col("metric").is_in(["nps", "csat", "ces"])).join(c.lazy(), on="customer_id")
            .group_by(pl.col("metric").alias("part"), *keys, pl.col("ts").dt.truncate("1mo").alias("month"))
            .agg(n=pl.len(), customers=pl.col("customer_id").n_unique(), high=(score >= high_min).sum(),
                 low=(score <= 6).sum(), mean=score.mean()))
    resolved = pl.col("resolved_at").is_not_null()
    reopened = pl.col("reopened").fill_null(False)
    frt = (pl.col("first_response_at") - pl.col("opened_at")).dt.total_seconds() / 3600
    res = (pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds() / 3600
    tick = (k.lazy().join(c.lazy(), on="customer_id")
            .group_by(*keys, pl.col("opened_at").dt.truncate("1mo").alias("month"))
            .agg(n=pl.len(), customers=pl.col("customer_id").n_unique(), resolved=resolved.sum(),
                 fcr=(resolved & (pl.col("contacts").fill_null(1) == 1) & ~reopened).sum(),
                 reopened=(resolved & reopened).sum(),
                 frt_p50=frt.quantile(0.5, "linear"), frt_p90=frt.quantile(0.9, "linear"),
                 res_p50=res.quantile(0.5, "linear"), res_p90=res.quantile(0.9, "linear")))
    return tuple(pl.collect_all([resp, tick]))
$mode
""" + PEER_CELLS + "$finish")
CHDB = Template("""
import time
import chdb
RESPONSES = '''SELECT r.metric AS part, r.touchpoint_id AS touchpoint, c.segment AS segment, toStartOfMonth(r.ts) AS month,
  count() AS n, uniqExact(r.customer_id) AS customers,
  countIf(r.score >= multiIf(r.metric = 'nps', 9, r.metric = 'csat', 4, 5)) AS high, countIf(r.score <= 6) AS low,
  avg(r.score) AS mean
  FROM {r} AS r INNER JOIN {c} AS c ON r.customer_id = c.customer_id
  WHERE r.metric IN ('nps', 'csat', 'ces') GROUP BY part, touchpoint, segment, month SETTINGS session_timezone = 'UTC' '''
TICKETS = '''SELECT k.touchpoint_id AS touchpoint, c.segment AS segment, toStartOfMonth(k.opened_at) AS month,
  count() AS n, uniqExact(k.customer_id) AS customers, countIf(k.resolved_at IS NOT NULL) AS resolved,
  countIf(k.resolved_at IS NOT NULL AND ifNull(k.contacts, 1) = 1 AND NOT ifNull(k.reopened, false)) AS fcr,
  countIf(k.resolved_at IS NOT NULL AND ifNull(k.reopened, false)) AS reopened,
  quantilesExactInclusive(0.5, 0.9)(dateDiff('second', k.opened_at, k.first_response_at) / 3600) AS frt,
  quantilesExactInclusive(0.5, 0.9)(dateDiff('second', k.opened_at, k.resolved_at) / 3600) AS res
  FROM {k} AS k INNER JOIN {c} AS c ON k.customer_id = c.customer_id
  GROUP BY touchpoint, segment, month SETTINGS session_timezone = 'UTC' '''
FILES = {"r": "file('$parquet', Parquet)", "k": "file('$tickets', Parquet)", "c": "file('$customers', CSVWithNames)"}
def run(query, tables):
    resp = query(RESPONSES.format(**tables), "DataFrame")
    tick = query(TICKETS.format(**tables), "DataFrame")
    for name in ("frt", "res"):
        q = tick.pop(name)
        tick[name + "_p50"] = q.str[0]
        tick[name + "_p90"] = q.str[1]
    return resp, tick
$mode
out = run(query, TABLES)
seconds = time.perf_counter() - t
""" + PEER_CELLS + "$finish")
CHDB_MEM = """conn = chdb.connect(":memory:")
query = conn.query
query("CREATE TABLE r ENGINE = Memory AS SELECT customer_id, ts, touchpoint_id, metric, score FROM " + FILES["r"])
query("CREATE TABLE k ENGINE = Memory AS SELECT customer_id, touchpoint_id, opened_at, first_response_at, resolved_at, "
      "reopened, contacts FROM " + FILES["k"])
query("CREATE TABLE c ENGINE = Memory AS SELECT customer_id, segment FROM " + FILES["c"])
TABLES = {"r": "r", "k": "k", "c": "c"}
run(query, TABLES)
t = time.perf_counter()"""
E2E = """t = time.perf_counter()
data, c = read(); out = scorecard(*data, c)
seconds = time.perf_counter() - t"""
MEM = """data, c = read(); scorecard(*data, c)
t = time.perf_counter(); out = scorecard(*data, c)
seconds = time.perf_counter() - t"""


# `--before COMMIT`: the verdict with that commit's ticket outcomes (cxlens.metrics.outcomes as it was), in the same run.
TICKETS_BEFORE = Template("""import subprocess, types
_src = subprocess.run(["git", "-C", "$repo", "show", "$commit:src/cxlens/metrics/outcomes.py"], capture_output=True, text=True,
                      check=True).stdout
_before = types.ModuleType("outcomes_before")
exec(compile(_src, "outcomes_before", "exec"), _before.__dict__)
outcomes_by = lambda s, scope, customers_cap=None: _before.outcomes_by(s, scope)""")


def contenders(mode: str, fmt: dict, cells_dir, chdb: bool, before: str | None = None) -> dict:
    """name -> a callable that runs one round of that contender in a fresh process and returns its timing."""
    finish = Template(FINISH).safe_substitute(close=repr(CLOSE))

    def one(template: Template, name: str, columns: list[str] = KEYS + EXACT + CLOSE, **parts: str):
        return measured(template, fmt, cells_path(cells_dir, mode, name), columns, finish, **parts)

    e2e = mode == "e2e"
    tables = ("customers", "touchpoints", "responses", "tickets")
    out = {"cxlens": one(CXLENS, "cxlens", open=cxlens_open(mode, "scorecard(s)", tables), cap="", tickets_before="",
                         apart="False")}
    # What the apps ask for (D48, D51): the small-group verdict min(customers, min_group) for NPS, CSAT, CES and the
    # ticket outcomes, compared on every column but customers.
    verdict = [c for c in KEYS + EXACT + CLOSE if c != "customers"]
    out["cxlens verdict"] = one(CXLENS, "cxlens verdict", verdict, open=cxlens_open(mode, "scorecard(s)", tables),
                                cap=f", customers_cap={MIN_GROUP}", tickets_before="", apart="False")
    # The same with NPS, CSAT and CES each read by its own rollup query (before D52), in the same run.
    out["cxlens verdict, metrics apart"] = one(CXLENS, "cxlens verdict, metrics apart", verdict,
                                               open=cxlens_open(mode, "scorecard(s)", tables),
                                               cap=f", customers_cap={MIN_GROUP}", tickets_before="", apart="True")
    if before:
        out[f"cxlens verdict, tickets at {before}"] = one(
            CXLENS, f"cxlens verdict, tickets at {before}", verdict,
            open=cxlens_open(mode, "scorecard(s)", tables), cap=f", customers_cap={MIN_GROUP}", apart="False",
            tickets_before=TICKETS_BEFORE.substitute(commit=before, repo=Path(__file__).resolve().parents[1]))
    if not e2e:
        out["cxlens raw rows"] = one(CXLENS, "cxlens raw rows", open=cxlens_open(mode, "scorecard(s)", tables,
                                                                                 rollup=False), cap="",
                                     tickets_before="", apart="False")
    out["duckdb SQL"] = one(DUCKDB_SQL, "duckdb SQL", queries=RAW_SQL, mode="" if e2e else DUCKDB_MEM)
    # the verdict's floor on DuckDB: its figures from cxlens's own tables, hand-written, no customers (as the verdict)
    out["duckdb SQL, cxlens tables"] = one(DUCKDB_SQL, "duckdb SQL, cxlens tables", verdict, queries=CXLENS_TABLES_SQL,
                                           mode="" if e2e else DUCKDB_MEM)
    out["polars"] = one(POLARS, "polars", mode=E2E if e2e else MEM)
    out["pandas"] = one(PANDAS, "pandas", mode=E2E if e2e else MEM)
    if chdb:
        out["chdb"] = one(CHDB, "chdb", mode=CHDB_E2E if e2e else CHDB_MEM)
    return out


def main(rows: int, n_tickets: int, rounds: int = 3, before: str | None = None) -> list[dict]:
    console.width = max(console.width, 160)  # wide tables: never wrap or truncate figures
    chdb = have_chdb()
    if not chdb:
        console.print(CHDB_MISSING, markup=False)
    fmt = setup(rows, "scorecard", n_tickets)
    setup_info = fmt.pop("setup")
    cells_dir = fmt.pop("cells_dir")
    cells_dir.mkdir(parents=True, exist_ok=True)
    results, checks = [], []
    for mode, label in (("e2e", "end to end"), ("mem", "in memory")):
        rows_, problems = run_mode(mode, contenders(mode, fmt, cells_dir, chdb, before), cells_dir, rounds, KEYS, EXACT,
                                   CLOSE, 1e-9)
        results += [{"mode": label, **r, "rows_per_s": (rows + n_tickets) / r["min_s"]} for r in rows_]
        checks.append(check_line(label, problems, rows_, "counts equal, means and hours to 1e-9"))
    gb_s = bandwidth_gb_s()
    # At least per response: score 8 + ts 8 + metric code 1 + touchpoint code 4 + customer key 8 bytes;
    # per ticket: 3 timestamps 24 + reopened 1 + contacts 8 + touchpoint 4 + customer key 8 bytes.
    floor_bytes = rows * 29 + n_tickets * 45
    floor_s = floor_bytes / (gb_s * 1e9)
    print_table(f"Full scorecard by touchpoint x segment x month: {rows:,} responses + {n_tickets:,} tickets, "
                f"{rounds} interleaved rounds (x_cxlens = min time / cxlens min time; {load_average()})",
                [{**r, "answered": r["path"].split(" ")[1].rstrip(":") if r["path"] else ""} for r in results],
                ["mode", "method", "min_s", "median_s", "rows_per_s", "peak_mb", "cells", "x_cxlens", "answered"])
    for line in checks:
        console.print(line)
    said = dict.fromkeys(p for r in results if r["method"] == "cxlens"
                         for p in r["path"].split("; nps ")[0].split("; "))
    console.print("cxlens answered (its planner, cxlens.metrics.plan): " + " | ".join(said)
                  + " (tickets: percentiles from rows, of ticket_facts when current, D57)")
    console.print(f"store setup: {setup_info}")
    mins = {(r["mode"], r["method"]): r["min_s"] for r in results}
    mem_cx, e2e_cx = mins[("in memory", "cxlens")], mins[("end to end", "cxlens")]
    console.print(f"bandwidth {gb_s:.1f} GB/s; floor {floor_bytes / 1e6:.0f} MB -> {floor_s * 1000:.0f} ms; "
                  f"cxlens in memory = {mem_cx / floor_s:.1f}x the floor (goal <= 10x)")
    console.print(f"polars/cxlens end to end {mins[('end to end', 'polars')] / e2e_cx:.1f}x, in memory "
                  f"{mins[('in memory', 'polars')] / mem_cx:.1f}x (goal >= 5x); pandas/cxlens end to end "
                  f"{mins[('end to end', 'pandas')] / e2e_cx:.1f}x (goal >= 10x)")
    e2e_v, mem_v = mins[("end to end", "cxlens verdict")], mins[("in memory", "cxlens verdict")]
    console.print(f"as the apps ask (cxlens verdict): polars/verdict end to end {mins[('end to end', 'polars')] / e2e_v:.1f}x, "
                  f"in memory {mins[('in memory', 'polars')] / mem_v:.1f}x (goal >= 5x); in memory "
                  f"{mem_v / floor_s:.1f}x the floor (goal <= 10x)")
    own = mins[("in memory", "duckdb SQL, cxlens tables")]
    console.print(f"the verdict's figures hand-written in DuckDB SQL on cxlens's own tables (month rollup, "
                  f"ticket_facts), in memory: {own:.3f} s = {own / floor_s:.1f}x the floor; cxlens verdict / that = "
                  f"{mem_v / own:.1f}x")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--tickets", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", help="also time the verdict with this commit's ticket outcomes (e.g. 08d393f)")
    args = parser.parse_args()
    main(args.rows, args.tickets, args.rounds, args.before)
