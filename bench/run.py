"""Run every benchmark: `python bench/run.py [--rows N] [--engine-rows M]` (default 10 million rows).

Loading, NPS and the full scorecard against raw DuckDB, pandas and polars (issues #2, #5); the
scorecard on DuckDB and Spark at N and M rows (#3; pass --engine-rows 100000000 for the 100M figure);
journey paths, funnel and exit rates on 2N events of N/10 customers (#18);
value linkage (dataset, groups, Cox) on N/10 customers x 24 months against pandas + lifelines (#19);
text accuracy and speed (#8; needs ../shared/data); CLI start-up (#23). Each prints its own table.
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
import bench_scorecard  # noqa: E402
import bench_value  # noqa: E402
import text_accuracy  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engine-rows", type=int, default=None, help="also run the engines benchmark at this size")
    args = parser.parse_args()
    bench_cli.main()  # start-up of `cxlens --help` and `cxlens nps` on a 5,000-customer demo (#23)
    bench_load.main(args.rows)
    bench_nps.main(args.rows)
    bench_scorecard.main(args.rows, args.rows // 5)
    bench_engines.main(sorted({args.rows, args.engine_rows or args.rows}), ["duckdb", "spark"])
    bench_journey.main(2 * args.rows, args.rows // 10)  # 20M events of 1M customers at the default
    bench_value.main(args.rows // 10)  # 1M customers x 24 months at the default
    sys.argv = [sys.argv[0]]  # text_accuracy reads its own options: run all its parts
    text_accuracy.main()
