"""Benchmark: journey analytics on 20M events for 1M customers (issue #18), cxlens against pandas and polars.

Three tasks, the same answer from every contender (checked):
  paths    the top-50 paths of the first 5 steps: customers per path, "other paths", and the median and
           90th percentile of the seconds between the path's steps
  funnel   tp00 > tp01 > tp02 > tp03 > tp04, ordered (other events allowed between), 30-day window from
           the customer's first tp00: customers reaching each step
  exits    per touchpoint: customers who reached it, and whose journey ended there more than 30 days
           before the last event (exit rate)
Each contender runs all three in a fresh process from the stored data (cxlens: its DuckDB store file, with
the stored step numbering `journey_steps` that every events load rebuilds, timed separately as `refresh_s`;
pandas and polars: the same events as Parquet, their idiomatic storage), one round after the other
(interleaved), `--rounds` times; min and median seconds, peak memory (RSS) of the process.
Goals: >= 10x faster than pandas, faster than polars, under 5 s in all on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics

import duckdb

from common import OUT, console, print_table, run_measured

STAGES = ["discover", "buy", "start", "use", "stay"]
TOUCHPOINTS = [f"tp{i:02d}" for i in range(25)]
FUNNEL = TOUCHPOINTS[:5]
JOURNEY_YAML = ("stages: [" + ", ".join(STAGES) + "]\ntouchpoints:\n"
                + "".join(f"  - {{id: {t}, name: {t}, stage: {STAGES[i // 5]}}}\n" for i, t in enumerate(TOUCHPOINTS)))
WINDOW_DAYS, ACTIVE_DAYS, STEPS, TOP = 30, 30, 5, 50


def make_events(con, events: int, customers: int, path) -> None:
    """About `events` events for `customers` customers as Parquet: 1-39 events each (mean 20), two days apart
    (plus up to a day), so a customer's events never tie; 70% of steps follow the customer's track
    (tp[(step + customer % 3) % 25]), 30% jump to any touchpoint: a few common paths and a long tail."""
    per = max(1, round(2 * events / customers) - 1)  # n_events = 1 + hash % per: mean (per + 1) / 2
    con.execute(f"""COPY (
        WITH c AS (SELECT i AS c, (1 + hash(i * 3) % {per})::BIGINT AS n,
                          TIMESTAMP '2024-01-01' + to_seconds((hash(i * 5) % (700 * 86400))::BIGINT) AS t0
                   FROM range({customers}) t(i)),
             e AS (SELECT c.c, j.j, c.t0 FROM c, LATERAL (SELECT unnest(range(c.n)) AS j) j)
        SELECT 'E' || lpad((c * 64 + j)::VARCHAR, 12, '0') AS event_id, 'C' || lpad(c::VARCHAR, 8, '0') AS customer_id,
               t0 + to_seconds((j * 172800 + hash(c * 64 + j) % 86400)::BIGINT) AS ts,
               'tp' || lpad((CASE WHEN hash(c * 64 + j + 7) % 10 < 7 THEN (j + c % 3) % 25
                                  ELSE hash(c * 64 + j + 11) % 25 END)::VARCHAR, 2, '0') AS touchpoint_id,
               NULL::VARCHAR AS channel
        FROM e) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")


def make_customers(con, customers: int, path) -> None:
    con.execute(f"""COPY (SELECT 'C' || lpad(i::VARCHAR, 8, '0') AS customer_id, 'seg' || (i % 8) AS segment
                         FROM range({customers}) t(i)) TO '{path}' (FORMAT parquet)""")


SETUP_STORE = """
import yaml
from cxlens.store import Store
from cxlens.ingest import sync_journey
from cxlens.model.journey import JourneyMap
s = Store.open("duckdb:///{db}")
sync_journey(s, JourneyMap.model_validate(yaml.safe_load('''{journey}''')))
con = s.duckdb
con.execute("INSERT INTO customers (customer_id, segment) SELECT customer_id, segment FROM read_parquet('{customers}')")
con.execute("INSERT INTO events (event_id, customer_id, ts, touchpoint_id, channel) "
            "SELECT event_id, customer_id, ts, touchpoint_id, channel FROM read_parquet('{parquet}')")
con.execute("CHECKPOINT")
import time
from cxlens.journey import refresh_steps
t0 = time.perf_counter()
refresh_steps(s)  # what `cxlens load --kind events` does after its load (the stored step numbering)
con.execute("CHECKPOINT")
RESULT = {{"refresh_s": time.perf_counter() - t0}}
s.close()
"""

CXLENS = """
import time
from datetime import timedelta
from cxlens.store import Store
from cxlens.journey import exit_rates, funnel, paths
t0 = time.perf_counter()
s = Store.open("duckdb:///{db}", read_only=True)
p = paths(s, steps={steps}, top={top})
t1 = time.perf_counter()
f = funnel(s, stages={funnel}, mode="ordered", window=timedelta(days={window}))
t2 = time.perf_counter()
e = exit_rates(s, active_within=timedelta(days={active}))
t3 = time.perf_counter()
RESULT = {{"seconds": t3 - t0, "paths_s": t1 - t0, "funnel_s": t2 - t1, "exits_s": t3 - t2,
          "paths": {{r.path: [int(r.customers), r.median_seconds, r.p90_seconds] for r in p.itertuples()}},
          "funnel": [int(v) for v in f["customers"]],
          "exits": {{r.touchpoint: [int(r.reached), int(r.exits)] for r in e.itertuples()}}}}
"""

PANDAS = """
import time
import numpy as np
import pandas as pd
t0 = time.perf_counter()
ev = pd.read_parquet("{parquet}", columns=["event_id", "customer_id", "ts", "touchpoint_id"])
ev = ev.sort_values(["customer_id", "ts", "event_id"], ignore_index=True)
ev["step"] = ev.groupby("customer_id").cumcount() + 1
# paths: the first 5 steps of each customer joined, counted; times between the path's steps per shown path
first = ev[ev["step"] <= {steps}].copy()
first["gap"] = first.groupby("customer_id")["ts"].diff().dt.total_seconds()
path = first.groupby("customer_id")["touchpoint_id"].agg(" > ".join)
counts = path.value_counts().rename_axis("path").reset_index().sort_values(["count", "path"], ascending=[False, True])
counts = counts.set_index("path")["count"]
top = counts.head({top})
label = path.where(path.isin(top.index), "other paths").rename("label")
gaps = first.dropna(subset=["gap"]).join(label, on="customer_id").groupby("label")["gap"]
times = pd.DataFrame({{"median": gaps.median(), "p90": gaps.quantile(0.9)}})
times = times.reindex(list(top.index) + ["other paths"])
paths = {{p: [int(n), times.loc[p, "median"], times.loc[p, "p90"]] for p, n in top.items()}}
paths["other paths"] = [int(counts.sum() - top.sum()), times.loc["other paths", "median"], times.loc["other paths", "p90"]]
t1 = time.perf_counter()
# funnel (ordered, window from the first step-1 event): the earliest next step after the previous one
stages = {funnel}
fe = ev.loc[ev["touchpoint_id"].isin(stages), ["customer_id", "step", "ts", "touchpoint_id"]]
cur = fe[fe["touchpoint_id"] == stages[0]].groupby("customer_id").agg(pos=("step", "min"), t0=("ts", "min"))
reached = [len(cur)]
for node in stages[1:]:
    cand = fe[fe["touchpoint_id"] == node].join(cur, on="customer_id", how="inner")
    cand = cand[(cand["step"] > cand["pos"]) & (cand["ts"] <= cand["t0"] + pd.Timedelta(days={window}))]
    nxt = cand.groupby("customer_id")["step"].min()
    cur = cur.loc[nxt.index].assign(pos=nxt)
    reached.append(len(cur))
t2 = time.perf_counter()
# exits: customers reaching each touchpoint; those whose last event is there and more than 30 days before the end
end = ev["ts"].max().floor("s") - pd.Timedelta(days={active})
last = ev.groupby("customer_id").tail(1)
exits = last[last["ts"] < end].groupby("touchpoint_id").size()
reach = ev.groupby("touchpoint_id")["customer_id"].nunique()
t3 = time.perf_counter()
RESULT = {{"seconds": t3 - t0, "paths_s": t1 - t0, "funnel_s": t2 - t1, "exits_s": t3 - t2, "paths": paths,
          "funnel": reached, "exits": {{tp: [int(n), int(exits.get(tp, 0))] for tp, n in reach.items()}}}}
"""

POLARS = """
import time
from datetime import timedelta
import polars as pl
t0 = time.perf_counter()
ev = (pl.scan_parquet("{parquet}").select("event_id", "customer_id", "ts", "touchpoint_id")
      .sort("customer_id", "ts", "event_id")
      .with_columns(step=pl.int_range(1, pl.len() + 1).over("customer_id")).collect())
# paths
first = (ev.lazy().filter(pl.col("step") <= {steps})
         .with_columns(gap=(pl.col("ts") - pl.col("ts").shift(1)).over("customer_id").dt.total_seconds(fractional=True))
         .group_by("customer_id").agg(path=pl.col("touchpoint_id").sort_by("step").str.join(" > "), gap=pl.col("gap"))
         .collect())
counts = first.group_by("path").len().sort(["len", "path"], descending=[True, False])
top = counts.head({top})
labelled = first.with_columns(label=pl.when(pl.col("path").is_in(top["path"].implode())).then(pl.col("path"))
                              .otherwise(pl.lit("other paths")))
times = (labelled.lazy().explode("gap").drop_nulls("gap").group_by("label")
         .agg(median=pl.col("gap").median(), p90=pl.col("gap").quantile(0.9, interpolation="linear")).collect())
t = {{r["label"]: r for r in times.iter_rows(named=True)}}
paths = {{r["path"]: [r["len"], t.get(r["path"], {{}}).get("median"), t.get(r["path"], {{}}).get("p90")]
         for r in top.iter_rows(named=True)}}
paths["other paths"] = [int(counts["len"].sum() - top["len"].sum()), t.get("other paths", {{}}).get("median"),
                        t.get("other paths", {{}}).get("p90")]
t1 = time.perf_counter()
# funnel
stages = {funnel}
fe = ev.lazy().filter(pl.col("touchpoint_id").is_in(stages)).select("customer_id", "step", "ts", "touchpoint_id")
cur = (fe.filter(pl.col("touchpoint_id") == stages[0]).group_by("customer_id")
       .agg(pos=pl.col("step").min(), t0=pl.col("ts").min()).collect())
reached = [cur.height]
for node in stages[1:]:
    nxt = (fe.filter(pl.col("touchpoint_id") == node).join(cur.lazy(), on="customer_id")
           .filter((pl.col("step") > pl.col("pos")) & (pl.col("ts") <= pl.col("t0") + timedelta(days={window})))
           .group_by("customer_id").agg(pos=pl.col("step").min(), t0=pl.col("t0").first()).collect())
    cur = nxt
    reached.append(cur.height)
t2 = time.perf_counter()
# exits
end = ev["ts"].max().replace(microsecond=0) - timedelta(days={active})
last = ev.group_by("customer_id").agg(pl.col("touchpoint_id").last(), pl.col("ts").last())
exits = dict(last.filter(pl.col("ts") < end).group_by("touchpoint_id").len().iter_rows())
reach = ev.group_by("touchpoint_id").agg(pl.col("customer_id").n_unique())
t3 = time.perf_counter()
RESULT = {{"seconds": t3 - t0, "paths_s": t1 - t0, "funnel_s": t2 - t1, "exits_s": t3 - t2, "paths": paths,
          "funnel": reached, "exits": {{tp: [int(n), int(exits.get(tp, 0))] for tp, n in reach.iter_rows()}}}}
"""

CONTENDERS = {"cxlens": CXLENS, "polars": POLARS, "pandas": PANDAS}


def same_answers(results: dict[str, dict]) -> list[str]:
    """Differences between the contenders' answers (empty when all agree): path counts and times, funnel and exits."""
    base_name, base = next(iter(results.items()))
    problems = []
    for name, r in results.items():
        if name == base_name:
            continue
        if r["funnel"] != base["funnel"]:
            problems.append(f"funnel: {name} {r['funnel']} vs {base_name} {base['funnel']}")
        if r["exits"] != base["exits"]:
            problems.append(f"exits: {name} differs from {base_name}")
        mine, theirs = r["paths"], base["paths"]
        if sorted(v[0] for v in mine.values()) != sorted(v[0] for v in theirs.values()):
            problems.append(f"paths: {name}'s path counts differ from {base_name}'s")
        for path in set(mine) & set(theirs):  # paths tied at rank 50 may differ (and so "other paths" times); counts may not
            a, b = mine[path], theirs[path]
            if a[0] != b[0] or (path != "other paths" and any(not _close(x, y) for x, y in zip(a[1:], b[1:]))):
                problems.append(f"paths: {path!r} {name} {a} vs {base_name} {b}")
                break
    return problems


def _close(x, y) -> bool:
    """Equal times: both missing (a one-step path has none), or equal up to rounding."""
    if x is None or y is None or x != x or y != y:
        return (x is None or x != x) and (y is None or y != y)
    return abs(x - y) <= 1e-6 * max(1.0, abs(y))


def main(events: int = 20_000_000, customers: int = 1_000_000, rounds: int = 3,
         contenders: tuple[str, ...] = tuple(CONTENDERS)) -> list[dict]:
    work = OUT / "journey"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    parquet, cust = work / f"events_{events}_{customers}.parquet", work / f"customers_{customers}.parquet"
    if not parquet.exists():
        make_events(con, events, customers, parquet)
    if not cust.exists():
        make_customers(con, customers, cust)
    rows = con.execute(f"SELECT count(*) FROM '{parquet}'").fetchone()[0]
    db = work / f"store_{events}_{customers}.duckdb"
    db.unlink(missing_ok=True)  # built by this cxlens, so its schema and stored step numbering are current
    setup = run_measured(SETUP_STORE.format(db=db, journey=JOURNEY_YAML, customers=cust, parquet=parquet))
    fmt = dict(db=db, parquet=parquet, steps=STEPS, top=TOP, funnel=FUNNEL, window=WINDOW_DAYS, active=ACTIVE_DAYS)
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    for _ in range(rounds):  # interleaved: each round runs every contender once, each in a fresh process
        for name in contenders:
            runs[name].append(run_measured(CONTENDERS[name].format(**fmt)))
    problems = same_answers({name: r[0] for name, r in runs.items()})
    base = min(r["seconds"] for r in runs[contenders[0]])
    table = []
    for name, r in runs.items():
        best = min(r, key=lambda x: x["seconds"])
        table.append({"method": name, "min_s": best["seconds"], "median_s": statistics.median(x["seconds"] for x in r),
                      "paths_s": best["paths_s"], "funnel_s": best["funnel_s"], "exits_s": best["exits_s"],
                      "peak_mb": max(x["peak_mb"] for x in r), f"x_{contenders[0]}": best["seconds"] / base})
    print_table(f"Journey: top-{TOP} paths of {STEPS} steps, {len(FUNNEL)}-step funnel ({WINDOW_DAYS}-day window), exit "
                f"rates on {rows:,} events, {customers:,} customers ({rounds} rounds, min and median)", table,
                ["method", "min_s", "median_s", "paths_s", "funnel_s", "exits_s", "peak_mb", f"x_{contenders[0]}"])
    console.print("answers: " + ("the same from every contender" if not problems else "DIFFER: " + "; ".join(problems)))
    if "cxlens" in runs:
        mine = min(x["seconds"] for x in runs["cxlens"])
        for name, goal in (("pandas", ">= 10x"), ("polars", "> 1x")):
            if name in runs:
                ratio = min(x["seconds"] for x in runs[name]) / mine
                ok = ratio >= 10 if name == "pandas" else ratio > 1
                console.print(f"{name}/cxlens {ratio:.1f}x (goal {goal}): {'met' if ok else 'NOT met'}")
        console.print(f"cxlens {mine:.2f} s in all (goal < 5 s): {'met' if mine < 5 else 'NOT met'}")
    console.print(f"cxlens's stored step numbering, rebuilt after the events load: {setup['refresh_s']:.1f} s "
                  "(paid once per load, not per analysis)")
    (work / f"result_{events}_{customers}.json").write_text(
        json.dumps({"table": table, "problems": problems, "refresh_s": setup["refresh_s"]}, indent=1))
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(CONTENDERS), help="contenders, comma-separated: cxlens,polars,pandas")
    args = parser.parse_args()
    main(args.events, args.customers, args.rounds, tuple(args.only.split(",")))
