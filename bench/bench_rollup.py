"""Benchmark: the stored rollup of sufficient statistics (`response_rollup`, issue 23): build and upkeep.

  build        a full rebuild (`cxlens.metrics.rollup.refresh_rollup(store)`, what `cxlens rollup rebuild` does) on
               stores of N answers: seconds and size (rows, bytes in the store; the answers' own table beside it),
               each also per million answers
  incremental  loading 1% more answers into the store the way `cxlens load` does (`cxlens.ingest.load` with the
               rollup's `LoadMaintenance` hook: only the days the load touched are recomputed, in the load's
               transaction): the load's seconds, the rollup's share of them, the days refreshed, and that share
               as a fraction of a full rebuild. Two shapes of "1% more": a week of new answers after the last day
               (a daily or weekly load, the usual case) and the same number spread over all 730 days (the worst
               case for a day-level rollup: every day is touched); and a customers load moving 1% of the customers
               to another segment (their answers' days are refreshed). The goal: upkeep proportional to the new
               rows, not to the store. After each load the maintained rollup is checked equal to a full rebuild.
Each measurement runs in a fresh process on a copy of the store (peak memory = VmHWM of that process).

    .venv/bin/python bench/bench_rollup.py [--rows 10000000] [--sizes 1000000,10000000]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from string import Template

import duckdb

from bench_nps import setup
from common import OUT, SEGMENTS, console, load_average, print_table, run_measured

BUILD = Template("""
import time
from cxlens.store import Store
from cxlens.metrics.rollup import refresh_rollup, rollup_status
s = Store.open("duckdb:///$db", migrate=False)
times = []
for _ in range(2):
    t = time.perf_counter()
    done = refresh_rollup(s)
    times.append(time.perf_counter() - t)
s.duckdb.execute("CHECKPOINT")
status = rollup_status(s)
con = s.duckdb
blocks = con.execute("SELECT count(DISTINCT block_id) FROM pragma_storage_info('responses') WHERE block_id IS NOT NULL").fetchall()[0][0]
block = con.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0]
answers = con.execute("SELECT count(*) FROM responses").fetchall()[0][0]
RESULT = {"seconds": min(times), "rows": status["rows"], "bytes": status["bytes"], "answers": answers,
          "responses_bytes": blocks * block, "current": "yes" if status["current"] else "no"}
""")
INCREMENTAL = Template("""
import time
from cxlens.store import Store
from cxlens.ingest import load
from cxlens.metrics.rollup import refresh_rollup, rollup_is_current, rollup_rows
from cxlens.metrics.rollup_upkeep import LoadMaintenance
import pandas  # noqa: F401  (Ibis brings its results through it: imported once per process, 0.2-0.3 s, before the clock)
s = Store.open("duckdb:///$db", migrate=False)
assert rollup_is_current(s), "the copied store's rollup should be current"
maintenance = LoadMaintenance(s, "$kind")
t = time.perf_counter()
report = load(s, "$new", "$kind", derived=maintenance.apply if $maintain else None)
seconds = time.perf_counter() - t
peak = [int(x.split()[1]) / 1024 for x in open("/proc/self/status") if x.startswith("VmHWM:")][0]  # before the check
done = maintenance.done or {}
RESULT = {"seconds": seconds, "rollup_s": done.get("seconds"), "days": done.get("days"), "load_peak_mb": peak,
          "written": report.inserted + report.updated, "current": "yes" if rollup_is_current(s) else "no"}
if $maintain:  # the maintained rollup against a full rebuild, row for row
    con = s.duckdb
    con.execute("SET enable_progress_bar = false")
    tables = ("response_rollup", "response_rollup_month")  # the day rows and their month sums (D64)
    for table in tables:
        con.execute(f"CREATE TEMP TABLE maintained_{table} AS SELECT * FROM {table}")
    refresh_rollup(s)
    differs = '''SELECT count(*) FROM ((SELECT * FROM maintained_{t} EXCEPT ALL SELECT * FROM {t})
                 UNION ALL (SELECT * FROM {t} EXCEPT ALL SELECT * FROM maintained_{t}))'''
    diff = sum(con.execute(differs.format(t=t)).fetchall()[0][0] for t in tables)
    RESULT["differs_from_rebuild"] = int(diff)
""")


def make_new_answers(rows: int, customers: int, path: Path, spread: bool) -> Path:
    """`rows` more answers (new ids; the same customers and mix as common.make_responses): over the 7 days after
    the generated data's last day, or (`spread`) over all its 730 days."""
    if path.exists():
        return path
    days = 730 if spread else 7
    start = "TIMESTAMP '2024-01-01'" if spread else "TIMESTAMP '2026-01-01'"
    tps = "[" + ", ".join(f"'tp{i:02d}'" for i in range(25)) + "]"
    duckdb.connect().execute(f"""COPY (
        SELECT 'N' || i AS response_id, 'C' || (hash(i + 17) % {customers}) AS customer_id,
               {start} + INTERVAL (hash(i * 7 + 3) % ({days} * 86400)) SECOND AS ts,
               {tps}[(1 + hash(i * 13 + 5) % 25)::BIGINT] AS touchpoint_id,
               CASE WHEN i % 2 = 0 THEN 'nps' WHEN i % 4 = 1 THEN 'csat' ELSE 'ces' END AS metric,
               CASE WHEN i % 2 = 0 THEN hash(i * 3 + 1) % 11 WHEN i % 4 = 1 THEN 1 + hash(i * 3 + 1) % 5
                    ELSE 1 + hash(i * 3 + 1) % 7 END AS score,
               NULL::VARCHAR AS comment, NULL::VARCHAR AS language
        FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)""")
    return path


_STORES: dict[int, str] = {}


def store(rows: int) -> str:
    """The benchmark store of `rows` answers (bench_nps's: loaded, rollup refreshed), set up once per run."""
    if rows not in _STORES:
        _STORES[rows] = setup(rows)["db"]
    return _STORES[rows]


def build(sizes: list[int]) -> list[dict]:
    """Full rebuild time and size at each store size."""
    out = []
    for rows in sizes:
        db = store(rows)
        r = run_measured(BUILD.substitute(db=db))
        m = r["answers"] / 1e6
        out.append({"answers": r["answers"], "build_s": r["seconds"], "s_per_M": r["seconds"] / m,
                    "rollup_rows": r["rows"], "rows_per_M": r["rows"] / m, "rollup_mb": (r["bytes"] or 0) / 1e6,
                    "mb_per_M": (r["bytes"] or 0) / 1e6 / m, "responses_mb": r["responses_bytes"] / 1e6,
                    "peak_mb": r["peak_mb"], "current": r["current"]})
    return out


def make_segment_changes(customers: int, changed: int, path: Path) -> Path:
    """A customers file (customer_id, segment) moving `changed` customers, spread over the ids, to another segment."""
    if not path.exists():
        segs = "[" + ", ".join(f"'{x}'" for x in SEGMENTS) + "]"
        step = max(1, customers // changed)
        duckdb.connect().execute(f"""COPY (SELECT 'C' || i AS customer_id, {segs}[(1 + (i + 3) % 8)::BIGINT] AS segment
            FROM range(0, {customers}, {step}) t(i) LIMIT {changed}) TO '{path}' (HEADER)""")
    return path


def incremental(rows: int, full_s: float) -> list[dict]:
    """Load 1% more answers (and move 1% of the customers to another segment) in a copy of the `rows` store, with
    and without the rollup's upkeep."""
    db = Path(store(rows))
    work = OUT / "rollup"
    work.mkdir(parents=True, exist_ok=True)
    new = max(1, rows // 100)
    cases = [("responses", new, "1% more answers, a week after the last day",
              make_new_answers(new, 100_000, work / f"new_{new}_week.parquet", spread=False)),
             ("responses", new, "1% more answers, spread over all 730 days",
              make_new_answers(new, 100_000, work / f"new_{new}_spread.parquet", spread=True)),
             ("customers", 1_000, "1% of the customers change segment",
              make_segment_changes(100_000, 1_000, work / "segment_changes_1000.csv"))]
    out = []
    for kind, count, shape, path in cases:
        for maintain in (True, False):
            copy = work / "copy.duckdb"
            copy.unlink(missing_ok=True)
            shutil.copyfile(db, copy)
            try:
                r = run_measured(INCREMENTAL.substitute(db=copy, new=path, kind=kind, maintain=maintain))
            except RuntimeError as failed:  # say which case failed and why, and measure the others
                last = str(failed).strip().splitlines()[-1]
                out.append({"shape": shape, "upkeep": "rollup kept current" if maintain else "none",
                            "current": f"FAILED: {last}"})
                continue
            finally:
                copy.unlink(missing_ok=True)
            row = {"store": rows, "rows loaded": count, "shape": shape, "written": r["written"],
                   "upkeep": "rollup kept current" if maintain else "none (rollup left stale)",
                   "load_s": r["seconds"], "peak_mb": r["load_peak_mb"], "current": r["current"]}
            if maintain:
                row.update(rollup_s=r["rollup_s"], days="all" if r["days"] is None else r["days"],
                           vs_full=(r["rollup_s"] or 0) / full_s,
                           same_as_rebuild="yes" if r.get("differs_from_rebuild") == 0
                           else f"NO ({r.get('differs_from_rebuild')} rows differ)")
            out.append(row)
    return out


def main(rows: int, sizes: list[int]) -> dict:
    console.width = max(console.width, 160)  # wide tables: never wrap or truncate figures
    try:
        import cxlens.metrics.rollup  # noqa: F401
    except ImportError:
        console.print("no cxlens.metrics.rollup in this tree: nothing to measure")
        return {}
    built = build(sorted(set(sizes) | {rows}))
    print_table(f"Rollup full rebuild (refresh_rollup) per store size, best of 2 ({load_average()})", built,
                ["answers", "build_s", "s_per_M", "rollup_rows", "rows_per_M", "rollup_mb", "mb_per_M", "responses_mb",
                 "peak_mb", "current"])
    full_s = next(b["build_s"] for b in built if b["answers"] >= rows)
    upkeep = incremental(rows, full_s)
    print_table(f"Loads of 1% more into the {rows:,}-answer store (vs_full = rollup upkeep / full rebuild "
                f"{full_s:.2f} s; {load_average()})", upkeep,
                ["shape", "upkeep", "rows loaded", "written", "load_s", "rollup_s", "days", "vs_full",
                 "same_as_rebuild",
                 "current", "peak_mb"])
    return {"build": built, "incremental": upkeep}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="store size for the 1%% load")
    parser.add_argument("--sizes", default="1000000,10000000", help="store sizes for the build table")
    args = parser.parse_args()
    main(args.rows, [int(x) for x in args.sizes.split(",") if x])
