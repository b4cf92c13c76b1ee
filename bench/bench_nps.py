"""Benchmark: `cxlens nps --by touchpoint,segment --period month` on 10M responses.

Every contender computes the same cells, checked equal: per touchpoint x segment x month, the answers (n),
promoters (9-10), detractors (0-6) and DISTINCT customers (cxlens needs the last for its small-group rule,
D24, so every peer computes it too), and the NPS. Same data, same run, each contender in a fresh process,
interleaved rounds (min and median seconds; peak memory = VmHWM of the measured process itself):
  end to end  from the stored data: cxlens opens its DuckDB store file (library call, and the CLI as a user
              runs it, Python start-up included); the hand-written DuckDB query reads the same store file;
              pandas, polars and chdb (in-process ClickHouse) read the same tables from Parquet and CSV
  in memory   the data already loaded: cxlens on an in-memory DuckDB store (its rollup refreshed there; and
              "cxlens raw rows" without it, so its planner reads the raw answers: what the rollup buys;
              "cxlens verdict" asks, as the apps do, only the small-group verdict min(customers, 5), D48),
              DuckDB on in-memory tables, pandas/polars on frames, chdb on Memory-engine tables
The store is set up as `cxlens load` leaves it: loaded, then the rollup of sufficient statistics refreshed
(`cxlens.metrics.rollup.refresh_rollup`), so cxlens answers from it when its planner allows; the table says
which path answered. The memory-bandwidth floor = bytes the query must read at least / bandwidth measured
now with NumPy. Goals (issues #2, #23): faster than polars, >= 10x pandas end to end, within 10x of the floor.

    .venv/bin/python bench/bench_nps.py [--rows 10000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
from string import Template

import duckdb
import numpy as np
import pandas as pd

from common import (JOURNEY_YAML, OUT, console, interleaved, load_average, make_customers, make_responses,
                    make_tickets, print_table, run_cli, run_measured, same_cells, summarise)

MIN_GROUP = 5  # the workspace default ([privacy] min_group): what `cxlens nps` passes as customers_cap
KEYS = ["touchpoint", "segment", "period"]
EXACT = ["n", "promoters", "detractors", "customers"]
CHDB_MISSING = ("chdb (in-process ClickHouse) is not installed, so it is left out: "
                "`.venv/bin/pip install chdb` (or `pip install -e '.[bench]'`) adds it as a contender")

# Loaded as `cxlens load` does it, then the rollup refreshed (the Workspace's load does both; bench setup calls
# ingest.load directly). Run on every bench run, not only when the store is new: it migrates a store built by an
# older tree and refreshes the rollup, timed.
SETUP_STORE = Template("""
import time, yaml
from pathlib import Path
from cxlens.store import Store
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import JourneyMap
RESULT = {}
fresh = not (Path("$db").exists() and Path("$db.loaded").exists())  # the marker: every file of the store loaded
s = Store.open("duckdb:///$db")
if fresh:
    sync_journey(s, JourneyMap.model_validate(yaml.safe_load('''$journey''')))
    load(s, "$customers", "customers")
    t = time.perf_counter()
    load(s, "$parquet", "responses")
    RESULT["load_s"] = time.perf_counter() - t
    for extra in [x for x in "$extra".split(",") if x]:
        kind, path = extra.split("=")
        load(s, path, kind)
    Path("$db.loaded").touch()
try:
    from cxlens.metrics.rollup import refresh_rollup
except ImportError:
    RESULT["rollup"] = "no rollup in this tree (cxlens.metrics.rollup.refresh_rollup)"
else:
    t = time.perf_counter()
    refresh_rollup(s)
    RESULT["rollup_s"] = time.perf_counter() - t
    RESULT["rollup"] = "refreshed"
try:  # the narrow ticket table (D57), as loads keep it
    from cxlens.metrics.ticket_facts import refresh_facts
except ImportError:
    pass
else:
    if "$extra":
        RESULT["ticket_facts_s"] = refresh_facts(s)["seconds"]
s.close()
""")

# Which path the planner takes for a scope (after the timed call, outside the timing).
ANSWERED_BY = """
def answered_by(store, metric, scope):
    try:
        from cxlens.metrics.plan import plan
    except ImportError:
        return "raw (no planner in this tree)"
    p = plan(store, metric, scope)
    return f"{p.source}: {p.reason}"
"""
CXLENS_OPEN = {
    "e2e": """
t = time.perf_counter()
s = Store.open("duckdb:///$db", migrate=False)
""",
    # A copy of the store's tables in an in-memory store; with `rollup`, its rollup too (the stored table, the loads
    # and the rollup's record, so the copy is current as the store file is; refreshed there when it is not).
    "mem": """
s = Store.open("duckdb:///:memory:")
con = s.duckdb
con.execute("ATTACH '$db' AS disk (READ_ONLY)")
tables = list($tables)
if $rollup:
    stored = ("loads", "response_rollup", "response_rollup_month", "answer_counts", "ticket_facts")
    tables += [t for t in stored
               if con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE database_name = 'disk' AND table_name = '{t}'").fetchall()[0][0]]
for t in tables:
    cols = ", ".join(c[0] for c in con.execute(f"SELECT name FROM pragma_table_info('{t}')").fetchall())
    con.execute(f"INSERT INTO main.{t} ({cols}) SELECT {cols} FROM disk.{t}")
if $rollup and "response_rollup" in tables:  # the stored tables' records (rollup, ticket_facts) with them
    con.execute("DELETE FROM main.cxlens_meta WHERE key IN ('response_rollup', 'ticket_facts')")
    con.execute("INSERT INTO main.cxlens_meta SELECT * FROM disk.cxlens_meta WHERE key IN ('response_rollup', 'ticket_facts')")
con.execute("DETACH disk")
if $rollup:
    try:
        from cxlens.metrics.rollup import refresh_rollup, rollup_is_current
        if not rollup_is_current(s):
            refresh_rollup(s)
    except ImportError:
        pass
$query  # warm
t = time.perf_counter()
""",
}
CXLENS = Template("""
import time
from cxlens.store import Store
from cxlens.metrics import nps_by
from cxlens.query import Scope
SCOPE = Scope(by=("touchpoint", "segment"), period="month")
""" + ANSWERED_BY + """
$open
out = nps_by(s, SCOPE$cap)
seconds = time.perf_counter() - t
path = answered_by(s, "nps", SCOPE)
out = out.assign(promoters=(out["promoters_pct"] * out["n"] / 100).round().astype("int64"),
                 detractors=(out["detractors_pct"] * out["n"] / 100).round().astype("int64"))
out[$columns].to_parquet("$cells")
RESULT = {"seconds": seconds, "cells": len(out), "path": path}
""")
# The same cells as one hand-written DuckDB query on the raw rows: the engine alone, without cxlens around it.
DUCKDB_SQL = Template("""
import time, duckdb
QUERY = '''SELECT r.touchpoint_id AS touchpoint, c.segment, date_trunc('month', r.ts) AS month, count(*) AS n,
  count(*) FILTER (r.score >= 9) AS promoters, count(*) FILTER (r.score <= 6) AS detractors,
  count(DISTINCT r.customer_id) AS customers, 100.0 * (promoters - detractors) / n AS nps
  FROM responses r JOIN customers c USING (customer_id) WHERE r.metric = 'nps' GROUP BY ALL'''
t = time.perf_counter()
con = duckdb.connect("$db", read_only=True)
$mode
out = con.execute(QUERY).df()
seconds = time.perf_counter() - t
""" + "$finish")
DUCKDB_MEM = """mem = duckdb.connect()
for name in ("customers", "responses"):
    mem.register(name + "_disk", con.execute("SELECT * FROM " + name).to_arrow_table())
    mem.execute("CREATE TABLE " + name + " AS SELECT * FROM " + name + "_disk")
    mem.unregister(name + "_disk")
con = mem
con.execute(QUERY).fetchall()
t = time.perf_counter()"""
PANDAS = Template("""
import time
import pandas as pd
def read():
    r = pd.read_parquet("$parquet", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    c = pd.read_csv("$customers", usecols=["customer_id", "segment"])
    return (r,), c
def nps(r, c):
    r = r[r["metric"] == "nps"].merge(c, on="customer_id")
    r = r.assign(month=r["ts"].dt.to_period("M"), promoter=r["score"] >= 9, detractor=r["score"] <= 6)
    out = (r.groupby(["touchpoint_id", "segment", "month"], observed=True)
           .agg(n=("score", "size"), promoters=("promoter", "sum"), detractors=("detractor", "sum"),
                customers=("customer_id", "nunique")).reset_index())
    out["nps"] = 100 * (out["promoters"] - out["detractors"]) / out["n"]
    return out.rename(columns={"touchpoint_id": "touchpoint"})
$mode
""" + "$finish")
POLARS = Template("""
import time
import polars as pl
def read():
    r = pl.read_parquet("$parquet", columns=["customer_id", "ts", "touchpoint_id", "metric", "score"])
    c = pl.read_csv("$customers", columns=["customer_id", "segment"])
    return (r,), c
def nps(r, c):
    return (r.lazy().filter(pl.col("metric") == "nps").join(c.lazy(), on="customer_id")
            .group_by(pl.col("touchpoint_id").alias("touchpoint"), "segment", pl.col("ts").dt.truncate("1mo").alias("month"))
            .agg(n=pl.len(), promoters=(pl.col("score") >= 9).sum(), detractors=(pl.col("score") <= 6).sum(),
                 customers=pl.col("customer_id").n_unique())
            .with_columns(nps=100 * (pl.col("promoters") - pl.col("detractors")) / pl.col("n")).collect())
$mode
out = out.to_pandas()
""" + "$finish")
# chdb: ClickHouse in process. End to end it reads the Parquet and CSV files with file(); in memory it queries
# Memory-engine tables loaded first (ClickHouse's in-RAM storage).
CHDB = Template("""
import time
import chdb
SQL = '''SELECT r.touchpoint_id AS touchpoint, c.segment AS segment, toStartOfMonth(r.ts) AS month, count() AS n,
  countIf(r.score >= 9) AS promoters, countIf(r.score <= 6) AS detractors, uniqExact(r.customer_id) AS customers,
  100 * (promoters - detractors) / n AS nps
  FROM {r} AS r INNER JOIN {c} AS c ON r.customer_id = c.customer_id
  WHERE r.metric = 'nps' GROUP BY touchpoint, segment, month SETTINGS session_timezone = 'UTC' '''
FILES = {"r": "file('$parquet', Parquet)", "c": "file('$customers', CSVWithNames)"}
$mode
out = query(SQL.format(**TABLES), "DataFrame")
seconds = time.perf_counter() - t
""" + "$finish")
CHDB_E2E = """t = time.perf_counter()
query, TABLES = chdb.query, FILES"""
CHDB_MEM = """conn = chdb.connect(":memory:")
query = conn.query
query("CREATE TABLE r ENGINE = Memory AS SELECT customer_id, ts, touchpoint_id, metric, score FROM " + FILES["r"])
query("CREATE TABLE c ENGINE = Memory AS SELECT customer_id, segment FROM " + FILES["c"])
TABLES = {"r": "r", "c": "c"}
query(SQL.format(**TABLES), "DataFrame")
t = time.perf_counter()"""
E2E = """t = time.perf_counter()
data, c = read(); out = nps(*data, c)
seconds = time.perf_counter() - t"""
MEM = """data, c = read(); nps(*data, c)
t = time.perf_counter(); out = nps(*data, c)
seconds = time.perf_counter() - t"""
# After the timing: the cells in one shape (period as YYYY-MM) for the check.
FINISH = """
import pandas as _pd
out = out.assign(period=_pd.to_datetime(out["month"].astype(str)).dt.strftime("%Y-%m"))
out[$columns].to_parquet("$cells")
RESULT = {"seconds": seconds, "cells": len(out)}
"""


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


def have_chdb() -> bool:
    """chdb is a benchmark-only dependency (the `bench` extra): without it the benches say how to add it."""
    try:
        import chdb  # noqa: F401
    except ImportError:
        return False
    return True


def workspace(db, folder) -> str:
    """A workspace folder whose cxlens.toml points at the benchmark store, for the CLI contender."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cxlens.toml").write_text(f'[store]\nurl = "duckdb:///{db}"\n', encoding="utf-8")
    return str(folder)


def cells_path(cells_dir, mode: str, name: str) -> str:
    """Where contender `name` writes its cells in `mode` (for the check after the rounds)."""
    return str(cells_dir / f"{mode}_{name.replace(' ', '_')}.parquet")


def measured(template: Template, fmt: dict, cells: str, columns: list[str], finish: str = FINISH, **parts: str):
    """A callable running `template` (its $parts filled, then the paths in `fmt`) once in a fresh process."""
    parts = {k: Template(v).safe_substitute(**fmt) for k, v in parts.items()}
    done = Template(finish).substitute(columns=repr(columns), cells=cells)
    code = template.substitute(**fmt, **parts, finish=done, columns=repr(columns), cells=cells)
    return lambda: run_measured(code)


def cxlens_open(mode: str, query: str, tables: tuple[str, ...], rollup: bool = True) -> str:
    """How the cxlens contender opens its store in `mode` (then times from `t`); `rollup` False: in memory without
    the rollup, so the planner reads the raw rows (what the rollup buys, in the same run)."""
    return Template(CXLENS_OPEN[mode]).safe_substitute(query=query, tables=repr(tables), rollup=rollup)


def contenders(mode: str, fmt: dict, cells_dir, chdb: bool) -> dict:
    """name -> a callable that runs one round of that contender in a fresh process and returns its timing."""
    def one(template: Template, name: str, columns: list[str] = KEYS + EXACT, **parts: str):
        return measured(template, fmt, cells_path(cells_dir, mode, name), columns, **parts)

    e2e = mode == "e2e"
    tables = ("customers", "touchpoints", "responses")
    out = {"cxlens": one(CXLENS, "cxlens", open=cxlens_open(mode, "nps_by(s, SCOPE)", tables), cap="")}
    # What the apps ask for (D48): the small-group verdict min(customers, min_group) instead of the exact count,
    # so the rollup settles large cells without reading answers; compared on every other column.
    verdict = f", customers_cap={MIN_GROUP}"
    out["cxlens verdict"] = one(CXLENS, "cxlens verdict", [c for c in KEYS + EXACT if c != "customers"],
                                open=cxlens_open(mode, f"nps_by(s, SCOPE{verdict})", tables), cap=verdict)
    if not e2e:
        out["cxlens raw rows"] = one(CXLENS, "cxlens raw rows",
                                     open=cxlens_open(mode, "nps_by(s, SCOPE)", tables, rollup=False), cap="")
    if e2e:
        ws = workspace(fmt["db"], cells_dir / "workspace")
        explain = cli_has_explain()
        out["cxlens CLI"] = lambda: cli_nps(ws, cells_path(cells_dir, mode, "cxlens CLI"), explain)
    out["duckdb SQL"] = one(DUCKDB_SQL, "duckdb SQL", mode="" if e2e else DUCKDB_MEM)
    out["polars"] = one(POLARS, "polars", mode=E2E if e2e else MEM)
    out["pandas"] = one(PANDAS, "pandas", mode=E2E if e2e else MEM)
    if chdb:
        out["chdb"] = one(CHDB, "chdb", mode=CHDB_E2E if e2e else CHDB_MEM)
    return out


def cli_has_explain(command: str = "nps") -> bool:
    """Whether this tree's CLI has `--explain` (the planner's account of which path answered)."""
    return "--explain" in run_cli([command, "--help"], env={"COLUMNS": "200"})["stdout"]


def cli_nps(ws: str, cells: str, explain: bool) -> dict:
    """`cxlens nps --by touchpoint,segment --period month --format json [--explain]` as a user runs it."""
    args = ["nps", "--by", "touchpoint,segment", "--period", "month", "--format", "json", "-w", ws]
    r = run_cli(args + (["--explain"] if explain else []))
    out = pd.DataFrame(json.loads(r["stdout"]))
    # -1 in a cell the CLI suppressed (fewer customers than the workspace's min_group): the check then says so
    out = out.assign(promoters=(out["promoters_pct"] * out["n"] / 100).round().fillna(-1).astype("int64"),
                     detractors=(out["detractors_pct"] * out["n"] / 100).round().fillna(-1).astype("int64"))
    out[[c for c in KEYS + EXACT if c in out]].to_parquet(cells)  # a column the JSON lacks is not compared
    said = [line.removeprefix("explain:").strip().removeprefix("nps:").strip()
            for line in r["stderr"].splitlines() if line.startswith("explain:")]
    return {"seconds": r["seconds"], "peak_mb": r["peak_mb"], "cells": len(out),
            "path": said[-1] if said else "(no --explain in this tree)" if not explain else "(--explain said nothing)"}


def setup(rows: int, folder: str = "nps", n_tickets: int = 0) -> dict:
    """The data files and the loaded store (rollup refreshed) for `rows` responses (and `n_tickets` tickets);
    returns the paths and the setup's timings."""
    work = OUT / folder
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    customers = make_customers(con, 100_000, work / "customers.csv")
    parquet = make_responses(con, rows, 100_000, work / f"responses_{rows}.parquet", "parquet")
    fmt = dict(parquet=str(parquet), customers=str(customers))
    if n_tickets:
        fmt["tickets"] = str(make_tickets(con, n_tickets, 100_000, work / f"tickets_{n_tickets}.parquet"))
    con.close()
    fmt["db"] = str(work / (f"store_{rows}_{n_tickets}.duckdb" if n_tickets else f"store_{rows}.duckdb"))
    extra = f"tickets={fmt['tickets']}" if n_tickets else ""
    done = run_measured(SETUP_STORE.substitute(**fmt, journey=JOURNEY_YAML, extra=extra))
    return {**fmt, "setup": done, "cells_dir": work / "cells"}


def run_mode(mode: str, made: dict, cells_dir, rounds: int, keys: list[str], exact: list[str],
             close: list[str] = (), rel: float = 1e-9) -> tuple[list[dict], list[str]]:
    """Interleaved rounds of the contenders `made` in one mode; the summary rows and the cell check's differences."""
    runs = interleaved(made, rounds)
    frames = {name: pd.read_parquet(cells_path(cells_dir, mode, name)) for name in runs}
    problems = same_cells(frames, keys, exact, close, rel)
    extra = {name: {"cells": rs[-1]["cells"], "path": rs[-1].get("path", "")} for name, rs in runs.items()}
    return summarise(runs, "cxlens", extra), problems


def check_line(label: str, problems: list[str], rows: list[dict], what: str) -> str:
    """The cell check in words."""
    notes = [p for p in problems if p.startswith("(")]
    problems = [p for p in problems if not p.startswith("(")]
    if problems:
        return f"cells check, {label}: DIFFERENT: " + "; ".join(problems + notes)
    if notes:
        return (f"cells check, {label}: all {len(rows)} contenders give the same {rows[0]['cells']:,} cells ({what}) "
                + " ".join(notes))
    return f"cells check, {label}: all {len(rows)} contenders give the same {rows[0]['cells']:,} cells ({what})"


def main(rows: int, rounds: int = 3) -> list[dict]:
    console.width = max(console.width, 160)  # wide tables: never wrap or truncate figures
    chdb = have_chdb()
    if not chdb:
        console.print(CHDB_MISSING, markup=False)
    fmt = setup(rows)
    setup_info = fmt.pop("setup")
    results, checks = [], []
    cells_dir = fmt.pop("cells_dir")
    cells_dir.mkdir(parents=True, exist_ok=True)
    for mode, label in (("e2e", "end to end"), ("mem", "in memory")):
        rows_, problems = run_mode(mode, contenders(mode, fmt, cells_dir, chdb), cells_dir, rounds, KEYS, EXACT)
        results += [{"mode": label, **r, "rows_per_s": rows / r["min_s"]} for r in rows_]
        checks.append(check_line(label, problems, rows_, f"{', '.join(EXACT)} equal"))
    gb_s = bandwidth_gb_s()
    # At least: score (8 B) + ts (8 B) + metric code (1 B) + touchpoint code (4 B) + customer key (8 B) per response.
    floor_bytes = rows * 29
    floor_s = floor_bytes / (gb_s * 1e9)
    print_table(f"NPS by touchpoint x segment x month on {rows:,} responses, {rounds} interleaved rounds "
                f"(x_cxlens = min time / cxlens min time; {load_average()})",
                [{**r, "answered": r["path"].split(":")[0]} for r in results],
                ["mode", "method", "min_s", "median_s", "rows_per_s", "peak_mb", "cells", "x_cxlens", "answered"])
    for line in checks:
        console.print(line)
    paths = {r["mode"]: r["path"] for r in results if r["method"] == "cxlens"}
    console.print("cxlens answered from (its planner, cxlens.metrics.plan): "
                  + "; ".join(f"{m}: {p}" for m, p in paths.items()))
    console.print(f"store setup: {setup_info}")
    mins = {(r["mode"], r["method"]): r["min_s"] for r in results}
    mem_cx, e2e_cx = mins[("in memory", "cxlens")], mins[("end to end", "cxlens")]
    console.print(f"bandwidth {gb_s:.1f} GB/s; floor {floor_bytes / 1e6:.0f} MB -> {floor_s * 1000:.0f} ms; "
                  f"cxlens in memory = {mem_cx / floor_s:.1f}x the floor (goal <= 10x)")
    console.print(f"end to end: pandas/cxlens {mins[('end to end', 'pandas')] / e2e_cx:.1f}x (goal >= 10x), "
                  f"polars/cxlens {mins[('end to end', 'polars')] / e2e_cx:.1f}x (goal > 1); in memory: pandas/cxlens "
                  f"{mins[('in memory', 'pandas')] / mem_cx:.1f}x (goal >= 5x), "
                  f"polars/cxlens {mins[('in memory', 'polars')] / mem_cx:.1f}x")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    main(args.rows, args.rounds)
