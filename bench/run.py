"""Run every benchmark with one command: `python bench/run.py [--rows N] [--rounds R] [--only nps,scorecard,...]`.

Default 10 million answers. Each benchmark prints its own table (ratios against peers in the same run, interleaved
rounds, min and median seconds, peak memory of each measured process); at the end one summary table puts
cxlens's minimum time beside every peer's in the NPS and scorecard benchmarks.
  cli        CLI start-up: `cxlens --help`, `import cxlens.cli`, `cxlens nps` on a demo workspace (#23)
  load       loading N answers from CSV and Parquet against raw DuckDB, pandas and polars (#2, #23)
  nps        NPS cells: cxlens library and CLI, hand-written DuckDB SQL, polars, pandas, chdb (#2, #23)
  scorecard  NPS, CSAT, CES and ticket outcomes on N answers and N/5 tickets, the same peers (#5, #23)
  rollup     the rollup's build time and size per million answers, the upkeep of a 1% load (#23)
  engines    the scorecard on DuckDB and Spark at N (and --engine-rows M) answers (#3)
  journey    paths, funnel and exit rates on 2N events of N/10 customers (#18)
  value      value linkage (dataset, groups, Cox) on N/10 customers x 24 months against pandas + lifelines (#19)
  text       text accuracy and speed (#8; needs ../shared/data)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cli  # noqa: E402
import bench_engines  # noqa: E402
import bench_journey  # noqa: E402
import bench_load  # noqa: E402
import bench_nps  # noqa: E402
import bench_rollup  # noqa: E402
import bench_scorecard  # noqa: E402
import bench_value  # noqa: E402
import text_accuracy  # noqa: E402
from common import load_average, print_table  # noqa: E402

ALL = ("cli", "load", "nps", "scorecard", "rollup", "engines", "journey", "value", "text")
PEERS = ("cxlens CLI", "cxlens raw rows", "duckdb SQL", "polars", "pandas", "chdb")


def peer_summary(results: dict[str, list[dict]]) -> list[dict]:
    """One row per benchmark and mode: cxlens's min seconds and each peer's min seconds / cxlens's (> 1: cxlens
    faster)."""
    rows = []
    for bench, table in results.items():
        for mode in dict.fromkeys(r["mode"] for r in table):
            by = {r["method"]: r for r in table if r["mode"] == mode}
            cx = by["cxlens"]
            row = {"benchmark": bench, "mode": mode, "cxlens_s": cx["min_s"], "answered": cx.get("answered", "")}
            for peer in PEERS:
                if peer in by:
                    row[f"{peer}/cxlens"] = by[peer]["min_s"] / cx["min_s"]
            rows.append(row)
    return rows


def main(rows: int, rounds: int, only: tuple[str, ...], engine_rows: int | None) -> None:
    compared: dict[str, list[dict]] = {}
    if "cli" in only:
        bench_cli.main()  # start-up of `cxlens --help` and `cxlens nps` on a 5,000-customer demo (#23)
    if "load" in only:
        bench_load.main(rows)
    if "nps" in only:
        compared["nps"] = bench_nps.main(rows, rounds)
    if "scorecard" in only:
        compared["scorecard"] = bench_scorecard.main(rows, rows // 5, rounds)
    if "rollup" in only:
        bench_rollup.main(rows, sorted({max(1, rows // 10), rows}))
    if "engines" in only:
        bench_engines.main(sorted({rows, engine_rows or rows}), ["duckdb", "spark"])
    if "journey" in only:
        bench_journey.main(2 * rows, rows // 10)  # 20M events of 1M customers at the default
    if "value" in only:
        bench_value.main(rows // 10)  # 1M customers x 24 months at the default
    if "text" in only:
        sys.argv = [sys.argv[0]]  # text_accuracy reads its own options: run all its parts
        text_accuracy.main()
    if compared:
        for table in compared.values():
            for r in table:
                r["answered"] = r.get("path", "").split(":")[0].removeprefix("nps ")
        summary = peer_summary(compared)
        print_table(f"Peers against cxlens on {rows:,} answers: min seconds / cxlens min seconds (> 1: cxlens faster; "
                    f"{rounds} interleaved rounds; {load_average()})", summary,
                    ["benchmark", "mode", "cxlens_s", "answered", *(f"{p}/cxlens" for p in PEERS)])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the NPS and scorecard contenders")
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of: {', '.join(ALL)}")
    parser.add_argument("--engine-rows", type=int, default=None, help="also run the engines benchmark at this size")
    args = parser.parse_args()
    chosen = tuple(x.strip() for x in args.only.split(",") if x.strip())
    unknown = sorted(set(chosen) - set(ALL))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ALL)}")
    main(args.rows, args.rounds, chosen, args.engine_rows)
