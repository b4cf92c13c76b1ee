"""Run every benchmark: `python bench/run.py [--rows N]` (default 10 million rows)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_load  # noqa: E402
import bench_nps  # noqa: E402
import bench_scorecard  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    rows = parser.parse_args().rows
    bench_load.main(rows)
    bench_nps.main(rows)
    bench_scorecard.main(rows, rows // 5)
