"""Benchmark: the full scorecard by touchpoint x segment x month on DuckDB and on Spark local[2].

Full scorecard = NPS, CSAT and CES cells (n, intervals) and ticket outcomes (resolution, FCR, reopen,
median/p90 hours) per touchpoint x segment x month: four engine queries, as in bench_scorecard.py.

    .venv/bin/python bench/bench_engines.py                      # 10M responses
    .venv/bin/python bench/bench_engines.py --rows 100000000     # 10M and 100M: how time grows

The responses (and rows / 5 tickets) live in the lake as Parquet (written by DuckDB into bench/out/engines/, git-ignored)
and are registered as external tables of the store, read in place by both engines; customers
(1M) and touchpoints (25) likewise. Each engine runs in a fresh process: `open` is the time to open
the store (for Spark: start the JVM and the session), `first` the first run of the query, `warm`
the best of two further runs (one at 100M rows and more). rows/s = responses + tickets scanned / warm seconds.

    .venv/bin/python bench/bench_engines.py --rollup --sizes 10000000          # the scorecard from the rollup
    .venv/bin/python bench/bench_engines.py --rollup --sizes 100000000 --drop  # ... then delete that size's Parquet

`--rollup`: per engine (a fresh store, a fresh process) `refresh_rollup(store)` builds `response_rollup` over the
external answers (timed: `build`), then the scorecard runs as the apps run it: through the planner with
`customers_cap` = the workspace's min_group (5), the planner's choice recorded per metric (what `--explain`
prints) and asserted to be the rollup; tickets read their rows (percentiles). A third process, DuckDB on a store
without the rollup, gives the raw-rows scorecard. Every cell of the three is compared (counts equal, floats to 1e-9).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import json  # noqa: E402

import common  # noqa: E402
from common import OUT, SEGMENTS, TOUCHPOINTS, make_responses, make_tickets, print_table, run_measured  # noqa: E402

common.console.width = max(common.console.width, 150)  # the tables are wide; never truncate figures

DIR = OUT / "engines"
CUSTOMERS = 1_000_000

QUERY = """
import time, json
from cxlens.store import Store
from cxlens.metrics import ces_by, csat_by, nps_by, outcomes_by
from cxlens.query import Scope
def scorecard(store):
    scope = Scope(by=("touchpoint", "segment"), period="month")
    return {{"nps": nps_by(store, scope), "csat": csat_by(store, scope), "ces": ces_by(store, scope),
            "tickets": outcomes_by(store, scope)}}
t = time.perf_counter()
store = Store.open({url!r}, external_tables={tables!r})
opened = time.perf_counter() - t
t = time.perf_counter()
result = scorecard(store)
first = time.perf_counter() - t
runs = []
for _ in range({warm_runs}):
    t = time.perf_counter()
    result = scorecard(store)
    runs.append(time.perf_counter() - t)
nps, csat, tickets = result["nps"], result["csat"], result["tickets"]
RESULT = {{"open": opened, "first": first, "warm": min(runs), "cells": sum(len(v) for v in result.values()),
           "answers": int(nps["n"].sum() + csat["n"].sum() + result["ces"]["n"].sum()),
           "tickets": int(tickets["tickets"].sum()),
           "checksum": float((nps["nps"] * nps["n"]).sum() + (csat["csat"] * csat["n"]).sum()
                             + tickets["resolution_rate"].fillna(0).sum())}}
"""


MIN_GROUP = 5  # the workspace default ([privacy] min_group): the customers_cap `cxlens scorecard` passes (D48)

# The scorecard as the apps compute it (customers capped), from the rollup (`build`: refresh_rollup first) or, on a
# store whose rollup was never built, from the raw answers; the planner's choice per metric is recorded and checked.
ROLLUP_QUERY = """
import os, signal, time, json
from cxlens.store import Store
from cxlens.metrics import ces_by, csat_by, nps_by, outcomes_by
from cxlens.metrics.plan import plan
from cxlens.metrics.rollup import refresh_rollup, rollup_status
from cxlens.query import Scope
SCOPE = Scope(by=("touchpoint", "segment"), period="month")
DONE, STEP = {{}}, ["open"]  # what finished, and the step under way (reported when stopped at the time limit)
def scorecard(store):
    return {{"nps": nps_by(store, SCOPE, customers_cap={cap}), "csat": csat_by(store, SCOPE, customers_cap={cap}),
            "ces": ces_by(store, SCOPE, customers_cap={cap}), "tickets": outcomes_by(store, SCOPE, customers_cap={cap})}}
def timed(step, fn):
    STEP[0] = step
    t = time.perf_counter()
    out = fn()
    DONE[step] = time.perf_counter() - t
    return out
def run():
    store = timed("open", lambda: Store.open({url!r}, external_tables={tables!r}))
    if {build}:
        DONE["rollup_rows"] = timed("build", lambda: refresh_rollup(store))["rows"]
        if store.backend.name == "duckdb":
            store.backend.raw_sql("CHECKPOINT")  # the table's blocks written out, so its size can be read
        DONE["rollup_mb"] = (rollup_status(store)["bytes"] or 0) / 1e6 or None
    DONE["sources"] = timed("plan", lambda: {{m: str(plan(store, m, SCOPE, customers_cap={cap})) for m in ("nps", "csat", "ces")}})
    result = timed("first", lambda: scorecard(store))
    runs = []
    for i in range({warm_runs}):
        result = timed(f"warm{{i}}", lambda: scorecard(store))
        runs.append(DONE[f"warm{{i}}"])
    os.makedirs({cells!r}, exist_ok=True)
    for name, frame in result.items():
        frame.to_parquet(os.path.join({cells!r}, name + ".parquet"))
    return {{**DONE, "warm": min(runs) if runs else None, "cells": sum(len(v) for v in result.values()),
            "answers": int(sum(result[m]["n"].sum() for m in ("nps", "csat", "ces"))),
            "tickets": int(result["tickets"]["tickets"].sum())}}
def stop(signum, frame):
    raise TimeoutError
if {limit}:
    signal.signal(signal.SIGALRM, stop)
    signal.alarm({limit})
try:
    RESULT = run()
except TimeoutError:
    RESULT = {{**DONE, "stopped": f"stopped at the {limit} s limit during {{STEP[0]}}"}}
signal.alarm(0)
"""


def make_data(rows: int) -> dict[str, dict]:
    """Parquet files of the lake: responses (`rows`), tickets (`rows` / 5), customers (1M), touchpoints (25)."""
    DIR.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    responses = make_responses(con, rows, CUSTOMERS, DIR / f"responses_{rows}.parquet", "parquet")
    tickets = make_tickets(con, rows // 5, CUSTOMERS, DIR / f"tickets_{rows // 5}.parquet")
    customers = DIR / "customers.parquet"
    if not customers.exists():
        segs = "[" + ", ".join(f"'{s}'" for s in SEGMENTS) + "]"
        con.execute(f"""COPY (SELECT 'C' || i AS customer_id, DATE '2023-01-01' + (i % 700)::INT AS signup_date,
            {segs}[(1 + i % 8)::BIGINT] AS segment, 'r' || (i % 5) AS region, 'en' AS language, 'p' || (i % 4) AS plan,
            NULL::VARCHAR AS account_id, NULL::VARCHAR AS attributes
            FROM range({CUSTOMERS}) t(i)) TO '{customers}' (FORMAT parquet)""")
    touchpoints = DIR / "touchpoints.parquet"
    if not touchpoints.exists():
        values = ", ".join(f"('{t}', '{t}', 'usage', 0, 'app')" for t in TOUCHPOINTS)
        con.execute(f"""COPY (SELECT touchpoint_id, name, stage, stage_order::BIGINT AS stage_order, channel,
            NULL::VARCHAR AS description, NULL::VARCHAR AS expectation, NULL::VARCHAR AS owner,
            false AS moment_of_truth, NULL::VARCHAR AS targets, NULL::VARCHAR AS self_rating
            FROM (VALUES {values}) v(touchpoint_id, name, stage, stage_order, channel)) TO '{touchpoints}' (FORMAT parquet)""")
    con.close()
    return {"responses": {"path": str(responses)}, "tickets": {"path": str(tickets)}, "customers": {"path": str(customers)},
            "touchpoints": {"path": str(touchpoints)}}


def store_url(engine: str, cores: int) -> str:
    if engine == "duckdb":
        return f"duckdb:///{DIR / 'bench.duckdb'}"
    return f"spark://local[{cores}]?warehouse={DIR / 'warehouse'}&partitions={2 * cores}&memory=8g"


def main(sizes: list[int], engines: list[str], cores: int = 2) -> list[dict]:
    results = []
    for rows in sizes:
        tables = make_data(rows)
        size_gb = os.path.getsize(tables["responses"]["path"]) / 1e9
        for engine in engines:
            (DIR / "bench.duckdb").unlink(missing_ok=True)
            warm_runs = 2 if rows <= 10_000_000 else 1
            r = run_measured(QUERY.format(url=store_url(engine, cores), tables=tables, warm_runs=warm_runs))
            load1 = os.getloadavg()[0]
            results.append({"engine": engine if engine == "duckdb" else f"spark local[{cores}]", "rows": rows,
                            "parquet_gb": size_gb, **r, "rows_per_s": (rows + rows // 5) / r["warm"], "load_avg": load1})
    (DIR / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    _report(results)
    return results


def main_rollup(sizes: list[int], engines: list[str], cores: int = 2, drop: bool = False,
                spark_limit: int = 1200) -> list[dict]:
    """The scorecard from the rollup per engine, and from the raw rows on DuckDB; every cell compared across them.
    A Spark run still going after `spark_limit` seconds is stopped and reported with the steps it finished."""
    import pandas as pd

    results = []
    for rows in sizes:
        tables = make_data(rows)
        size_gb = os.path.getsize(tables["responses"]["path"]) / 1e9
        warm_runs = 2 if rows <= 10_000_000 else 1
        # DuckDB first (its rollup, then its raw rows), Spark last: a Spark run stopped at `spark_limit` loses nothing else
        runs = [(e, True) for e in engines if e == "duckdb"] + ([("duckdb", False)] if "duckdb" in engines else []) \
            + [(e, True) for e in engines if e != "duckdb"]
        frames: dict[str, dict[str, pd.DataFrame]] = {}
        for engine, build in runs:
            (DIR / "bench.duckdb").unlink(missing_ok=True)
            shutil.rmtree(DIR / "warehouse" / "response_rollup", ignore_errors=True)
            name = (engine if engine == "duckdb" else f"spark local[{cores}]") + ("" if build else " raw rows")
            cells = DIR / "cells" / f"{name.split()[0]}{'' if build else '_raw'}_{rows}"
            shutil.rmtree(cells, ignore_errors=True)
            started = time.strftime("%H:%M:%S")
            r = run_measured(ROLLUP_QUERY.format(url=store_url(engine, cores), tables=tables, warm_runs=warm_runs,
                                                 cap=MIN_GROUP, build=build, cells=str(cells),
                                                 limit=spark_limit if engine == "spark" else 0))
            if "stopped" in r:  # reported with what it finished; not compared
                results.append({"engine": name, "rows": rows, "parquet_gb": size_gb, "started": started, **r,
                                "load_avg": os.getloadavg()[0]})
                print(f"{name} at {rows:,}: " + json.dumps(r, default=str), flush=True)
                continue
            if build and engine == "spark":  # Spark says no size: the table's files in the warehouse
                r["rollup_mb"] = sum(f.stat().st_size for f in (DIR / "warehouse" / "response_rollup").rglob("*")
                                     if f.is_file()) / 1e6
            wanted = "rollup" if build else "raw"
            wrong = {m: why for m, why in r["sources"].items() if not why.startswith(wanted + ":")}
            assert not wrong, f"{name}: the planner did not choose the {wanted}: {wrong}"
            frames[name] = {m: pd.read_parquet(cells / f"{m}.parquet") for m in ("nps", "csat", "ces", "tickets")}
            results.append({"engine": name, "rows": rows, "parquet_gb": size_gb, "started": started, **r,
                            "source": f"{wanted} (nps, csat, ces); tickets: rows",
                            "load_avg": os.getloadavg()[0]})
            print(f"{name} at {rows:,}: " + json.dumps({k: v for k, v in r.items() if k != "sources"}, default=str), flush=True)
            print("  " + "\n  ".join(f"{m}: {why}" for m, why in r["sources"].items()), flush=True)
        if drop and rows > 10_000_000:  # the cells are read: the big files can go (before the checks, which may fail)
            for kind in ("responses", "tickets"):
                Path(tables[kind]["path"]).unlink(missing_ok=True)
        for metric in ("nps", "csat", "ces", "tickets") if frames else ():
            per = {name: f[metric] for name, f in frames.items()}
            first = next(iter(per.values()))
            keys = [c for c in ("touchpoint", "segment", "period", "period_start") if c in first]
            numeric = [c for c in first.columns if c not in keys and pd.api.types.is_numeric_dtype(first[c])
                       and not pd.api.types.is_bool_dtype(first[c])]
            exact = [c for c in numeric if pd.api.types.is_integer_dtype(first[c])]
            flags = [c for c in first.columns if pd.api.types.is_bool_dtype(first[c])]
            problems = common.same_cells(per, keys, exact + flags, [c for c in numeric if c not in exact])
            assert not problems, f"{metric} at {rows:,}: " + "; ".join(problems)
            print(f"{metric} at {rows:,}: {len(first):,} cells identical across {', '.join(per)} "
                  f"(keys {keys}; equal: {exact + flags}; to 1e-9: {[c for c in numeric if c not in exact]})", flush=True)
    (DIR / "results_rollup.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print_table("Full scorecard (customers capped at 5, as the apps) by touchpoint x segment x month, external Parquet",
                results, ["engine", "rows", "parquet_gb", "started", "open", "build", "rollup_rows", "rollup_mb", "plan",
                          "first", "warm", "cells", "peak_mb", "load_avg", "stopped"])
    return results


def _report(results: list[dict]) -> None:
    print_table("Full scorecard (NPS, CSAT, CES, ticket outcomes) by touchpoint x segment x month, external Parquet", results,
                ["engine", "rows", "parquet_gb", "open", "first", "warm", "rows_per_s", "cells", "peak_mb", "load_avg"])
    by_engine: dict[str, list[dict]] = {}
    for r in results:
        by_engine.setdefault(r["engine"], []).append(r)
    scaling = []
    for engine, runs in by_engine.items():
        runs = sorted(runs, key=lambda r: r["rows"])
        for small, big in zip(runs, runs[1:]):
            scaling.append({"engine": engine, "from": f"{small['rows']:,}", "to": f"{big['rows']:,}",
                            "rows x": big["rows"] / small["rows"], "time x": big["warm"] / small["warm"],
                            "linear or better": "yes" if big["warm"] / small["warm"] <= 1.1 * big["rows"] / small["rows"] else "no"})
    if scaling:
        print_table("How warm time grows with rows", scaling, ["engine", "from", "to", "rows x", "time x", "linear or better"])
    ratios = {}
    for r in results:
        ratios.setdefault(r["rows"], {})[r["engine"].split()[0]] = r
    overhead = [{"rows": rows, "spark / duckdb (warm)": e["spark"]["warm"] / e["duckdb"]["warm"],
                 "spark / duckdb (open + first)": (e["spark"]["open"] + e["spark"]["first"]) / (e["duckdb"]["open"] + e["duckdb"]["first"])}
                for rows, e in sorted(ratios.items()) if {"spark", "duckdb"} <= e.keys()]
    if overhead:
        print_table("Spark overhead on one machine", overhead, ["rows", "spark / duckdb (warm)", "spark / duckdb (open + first)"])
    for r in results:  # the same answer from both engines
        same = [x for x in results if x["rows"] == r["rows"]]
        assert len({(x["answers"], x["tickets"], x["cells"]) for x in same}) == 1, "engines disagree on counts"
        assert max(abs(x["checksum"] - same[0]["checksum"]) for x in same) < 1e-6 * max(1.0, abs(same[0]["checksum"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="largest size (10M is always run too)")
    parser.add_argument("--sizes", type=str, default=None, help="comma-separated sizes instead, e.g. 10000000,50000000")
    parser.add_argument("--engines", type=str, default="duckdb,spark")
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N]")
    parser.add_argument("--rollup", action="store_true",
                        help="build the rollup per engine and run the scorecard from it, against DuckDB's raw rows")
    parser.add_argument("--drop", action="store_true", help="with --rollup: delete sizes over 10M's Parquet afterwards")
    parser.add_argument("--spark-limit", type=int, default=1200, help="with --rollup: stop a Spark run after so many s")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else sorted({10_000_000, args.rows})
    if args.rollup:
        main_rollup(sizes, args.engines.split(","), args.cores, args.drop, args.spark_limit)
    else:
        main(sizes, args.engines.split(","), args.cores)
