"""Benchmark: load 10M `responses` rows from CSV and Parquet with all validation on.

Compared in the same run, on the same files, each in a fresh process (time, CPU time of the whole process and its
peak memory), interleaved over `--rounds`:
  cxlens load        validation, quarantine, upsert bookkeeping, one transaction
  cxlens (before)    the same from another source tree (`--before SRC`, e.g. a `git worktree add` of an older commit)
  raw DuckDB         CREATE TABLE AS SELECT * FROM read_csv/read_parquet (no checks at all)
  raw DuckDB, cxlens table  the same read inserted into `responses` as cxlens creates it (identifiers in ZSTD,
                     architecture D70): the checks' cost apart from the storage choice
  pandas + DuckDB    pandas.read_csv/read_parquet, then writing the frame into DuckDB
Goals (issue 23, item 4): cxlens at most 1.5x raw DuckDB; faster than the pandas path.
CPU seconds count every thread: on a busy machine (other work running) they move less than the elapsed time.
"""

from __future__ import annotations

import argparse
import os
import shutil

import duckdb

from common import (JOURNEY_YAML, OUT, interleaved, load_average, make_customers, make_responses, print_table,
                    run_measured, summarise)

CXLENS = """
import sys, time
if {before!r}:
    sys.path.insert(0, {before!r})
from cxlens.store import Store
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import JourneyMap
import yaml
s = Store.open("duckdb:///{db}")
sync_journey(s, JourneyMap.model_validate(yaml.safe_load('''{journey}''')))
load(s, "{customers}", "customers")
t, c = time.perf_counter(), time.process_time()
r = load(s, "{data}", "responses")
RESULT = {{"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - c, "rows": r.inserted + r.quarantined,
           "stored": s.duckdb.execute("SELECT count(*) FROM responses").fetchone()[0]}}
"""
RAW = """
import time, duckdb
con = duckdb.connect("{db}")
t, c = time.perf_counter(), time.process_time()
con.execute("CREATE TABLE responses AS SELECT * FROM {reader}('{data}')")
RESULT = {{"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - c,
           "rows": con.execute("SELECT count(*) FROM responses").fetchone()[0]}}
"""
# The same read into a `responses` table defined as cxlens defines it (its identifiers ZSTD-compressed, D70): what
# the checks cost, apart from the storage choice.
RAW_SAME_TABLE = """
import time, duckdb
from cxlens.store import Store
with Store.open("duckdb:///:memory:") as cx:
    ddl = cx.duckdb.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'responses'").fetchone()[0]
con = duckdb.connect("{db}")
con.execute(ddl)
t, c = time.perf_counter(), time.process_time()
con.execute("INSERT INTO responses BY NAME SELECT * FROM {reader}('{data}')")
RESULT = {{"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - c,
           "rows": con.execute("SELECT count(*) FROM responses").fetchone()[0]}}
"""
PANDAS = """
import time, duckdb, pandas as pd
con = duckdb.connect("{db}")
t, c = time.perf_counter(), time.process_time()
frame = pd.read_{fmt}("{data}"{parse})
con.register("frame", frame)
con.execute("CREATE TABLE responses AS SELECT * FROM frame")
RESULT = {{"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - c, "rows": len(frame)}}
"""


def _contender(work, name: str, code: str, **fields):
    """A function running `code` in a fresh interpreter on a fresh database; its result with the load average."""
    def run() -> dict:
        db = work / f"bench_{fields['fmt']}_{name.split()[0]}_{name.split()[-1].strip('()')}.duckdb"
        for p in (db, db.with_suffix(".duckdb.wal")):
            p.unlink(missing_ok=True)
        result = run_measured(code.format(db=db, journey=JOURNEY_YAML, **fields))
        db.unlink(missing_ok=True)
        return {**result, "load": os.getloadavg()[0]}  # the 1-minute load average as it ended
    return run


def main(rows: int, rounds: int = 1, before: str | None = None) -> list[dict]:
    work = OUT / "load"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    customers = make_customers(con, 100_000, work / "customers.csv")
    results = []
    for fmt in ("csv", "parquet"):
        data = make_responses(con, rows, 100_000, work / f"responses_{rows}.{fmt}", fmt)
        common = {"fmt": fmt, "data": data, "customers": customers, "reader": "read_csv" if fmt == "csv" else "read_parquet",
                  "parse": ", parse_dates=['ts']" if fmt == "csv" else ""}
        contenders = {"cxlens load": _contender(work, "cxlens load", CXLENS, before="", **common)}
        if before:
            contenders["cxlens (before)"] = _contender(work, "cxlens before", CXLENS, before=before, **common)
        contenders["raw DuckDB"] = _contender(work, "raw DuckDB", RAW, **common)
        contenders["raw DuckDB, cxlens table"] = _contender(work, "raw DuckDB same", RAW_SAME_TABLE, **common)
        contenders["pandas + DuckDB"] = _contender(work, "pandas DuckDB", PANDAS, **common)
        runs = interleaved(contenders, rounds)
        stored = {r["stored"] for n, rs in runs.items() if n.startswith("cxlens") for r in rs}
        if stored != {rows}:
            raise SystemExit(f"{fmt}: the cxlens loads stored {sorted(stored)} rows, not {rows}")
        extra = {n: {"format": fmt, "cpu_s": min(r["cpu_s"] for r in rs), "rows": rs[0]["rows"], "load": rs[-1]["load"]}
                 for n, rs in runs.items()}
        results += summarise(runs, "raw DuckDB", extra)
    print_table(f"Load {rows:,} responses ({rounds} round(s); x_raw DuckDB = min time / raw DuckDB's; "
                f"load = 1-minute load average after each; now {load_average()})", results,
                ["format", "method", "rows", "min_s", "median_s", "cpu_s", "peak_mb", "x_raw DuckDB", "load"])
    for fmt in ("csv", "parquet"):
        by = {r["method"]: r for r in results if r["format"] == fmt}
        cx, raw, pandas = by["cxlens load"], by["raw DuckDB"], by["pandas + DuckDB"]
        same = by["raw DuckDB, cxlens table"]
        print(f"{fmt}: cxlens/raw DuckDB = {cx['min_s'] / raw['min_s']:.2f}x time, {cx['cpu_s'] / raw['cpu_s']:.2f}x CPU "
              f"(goal <= 1.5x); cxlens/raw DuckDB into cxlens's table = {cx['min_s'] / same['min_s']:.2f}x time; "
              f"pandas/cxlens = {pandas['min_s'] / cx['min_s']:.2f}x (goal > 1)"
              + (f"; before/after = {by['cxlens (before)']['min_s'] / cx['min_s']:.2f}x time, "
                 f"{by['cxlens (before)']['cpu_s'] / cx['cpu_s']:.2f}x CPU" if before else ""))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (each loads every file once)")
    parser.add_argument("--before", help="a source tree (its src/ folder) to measure as 'cxlens (before)'")
    parser.add_argument("--clean", action="store_true", help="delete generated data afterwards")
    args = parser.parse_args()
    main(args.rows, args.rounds, args.before)
    if args.clean:
        shutil.rmtree(OUT / "load", ignore_errors=True)
