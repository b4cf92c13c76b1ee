"""Benchmark: load 10M `responses` rows from CSV and Parquet with all validation on.

Compared in the same run, on the same files, each in a fresh process (time and peak memory):
  cxlens load        validation, quarantine, upsert bookkeeping, one transaction
  raw DuckDB         CREATE TABLE AS SELECT * FROM read_csv/read_parquet (no checks at all)
  pandas             pandas.read_csv/read_parquet, then writing the frame into DuckDB
Goals (issue #2): cxlens within 1.5x of raw DuckDB; >= 5x faster than the pandas path.
"""

from __future__ import annotations

import argparse
import shutil

import duckdb

from common import JOURNEY_YAML, OUT, make_customers, make_responses, print_table, run_measured

CXLENS = """
import time
from cxlens.store import Store
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import JourneyMap
import yaml
s = Store.open("duckdb:///{db}")
sync_journey(s, JourneyMap.model_validate(yaml.safe_load('''{journey}''')))
load(s, "{customers}", "customers")
t = time.perf_counter()
r = load(s, "{data}", "responses")
RESULT = {{"seconds": time.perf_counter() - t, "rows": r.inserted + r.quarantined}}
"""
RAW = """
import time, duckdb
con = duckdb.connect("{db}")
t = time.perf_counter()
con.execute("CREATE TABLE responses AS SELECT * FROM {reader}('{data}')")
RESULT = {{"seconds": time.perf_counter() - t, "rows": con.execute("SELECT count(*) FROM responses").fetchone()[0]}}
"""
PANDAS = """
import time, duckdb, pandas as pd
con = duckdb.connect("{db}")
t = time.perf_counter()
frame = pd.read_{fmt}("{data}"{parse})
con.register("frame", frame)
con.execute("CREATE TABLE responses AS SELECT * FROM frame")
RESULT = {{"seconds": time.perf_counter() - t, "rows": len(frame)}}
"""


def main(rows: int) -> list[dict]:
    work = OUT / "load"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    customers = make_customers(con, 100_000, work / "customers.csv")
    results = []
    for fmt in ("csv", "parquet"):
        data = make_responses(con, rows, 100_000, work / f"responses_{rows}.{fmt}", fmt)
        reader = "read_csv" if fmt == "csv" else "read_parquet"
        parse = ", parse_dates=['ts']" if fmt == "csv" else ""
        timings = {}
        for name, code in (("cxlens load", CXLENS), ("raw DuckDB", RAW), ("pandas + DuckDB", PANDAS)):
            db = work / f"bench_{fmt}_{name.split()[0]}.duckdb"
            for p in (db, db.with_suffix(".duckdb.wal")):
                p.unlink(missing_ok=True)
            timings[name] = run_measured(code.format(db=db, data=data, customers=customers, journey=JOURNEY_YAML,
                                                     reader=reader, fmt=fmt, parse=parse))
            db.unlink(missing_ok=True)
        base = timings["cxlens load"]["seconds"]
        for name, t in timings.items():
            results.append({"format": fmt, "method": name, "rows": t["rows"], "seconds": t["seconds"],
                            "rows_per_s": t["rows"] / t["seconds"], "peak_mb": t["peak_mb"],
                            "vs_cxlens": t["seconds"] / base})
    print_table(f"Load {rows:,} responses (ratio = method time / cxlens time)", results,
                ["format", "method", "rows", "seconds", "rows_per_s", "peak_mb", "vs_cxlens"])
    for fmt in ("csv", "parquet"):
        by = {r["method"]: r["seconds"] for r in results if r["format"] == fmt}
        print(f"{fmt}: cxlens/raw DuckDB = {by['cxlens load'] / by['raw DuckDB']:.2f}x (goal <= 1.5x); "
              f"pandas/cxlens = {by['pandas + DuckDB'] / by['cxlens load']:.1f}x (goal >= 5x)")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--clean", action="store_true", help="delete generated data afterwards")
    args = parser.parse_args()
    main(args.rows)
    if args.clean:
        shutil.rmtree(OUT / "load", ignore_errors=True)
