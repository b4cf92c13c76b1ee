"""CLI start-up (issue 23 item 3): `cxlens --help`, `import cxlens.cli` and `cxlens nps --format json` on a demo store.

Each round runs every case once, in a fresh process, interleaved across contenders; reported: min and median wall
seconds, and the same of CPU seconds (user + system: steadier than wall time on a shared machine). `--before DIR`
adds a second contender, the source tree in DIR (e.g. `git worktree add /tmp/before <ref>`), run with
PYTHONPATH=DIR/src on the same interpreter, so the two are measured side by side.

    python bench/bench_cli.py --workspace /tmp/fastdemo --rounds 7 [--before /tmp/cxlens-before]

The workspace is made with `cxlens demo --dir WS --customers 5000` when it does not exist. The issue's store of 10M
answers: `python bench/bench_nps.py` makes it, with a workspace at bench/out/nps/cells/workspace to pass here.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table  # noqa: E402

CASES = {
    "import cxlens.cli": ["-c", "import cxlens.cli"],
    "cxlens --help": ["-m", "cxlens", "--help"],
    "cxlens nps --format json": ["-m", "cxlens", "nps", "--format", "json", "-w", "{ws}"],
    "cxlens nps --by touchpoint,segment --period month --format json":
        ["-m", "cxlens", "nps", "--by", "touchpoint,segment", "--period", "month", "--format", "json", "-w", "{ws}"],
    "cxlens csat --format json": ["-m", "cxlens", "csat", "--format", "json", "-w", "{ws}"],
}
# Floors, run once per round beside the contenders (the same for both): what any Python command pays, and what
# importing the libraries `cxlens nps` cannot do without costs (no cxlens code, no store opened, no query).
FLOORS = {
    "floor: python -c pass": ["-c", "pass"],
    "floor: import typer, pydantic, pandas, ibis, duckdb": ["-c", "import typer, pydantic, pandas, ibis, duckdb"],
}


def _seconds(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one fresh process. CPU time is what to compare on a shared
    machine: other people's work stretches the wall clock of a run, hardly its CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(workspace: Path, rounds: int, before: Path | None) -> list[dict]:
    """Time every case for each contender (this tree, and `before` when given); one row per contender and case."""
    if not (workspace / "cxlens.toml").exists():
        subprocess.run([sys.executable, "-m", "cxlens", "demo", "--dir", str(workspace), "--customers", "5000"], check=True)
    contenders = {"cxlens (this tree)": dict(os.environ)}
    if before:
        contenders["cxlens (before)"] = {**os.environ, "PYTHONPATH": str(before / "src")}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for case, args in CASES.items():
            for who, env in contenders.items():
                times.setdefault((case, who), []).append(_seconds([a.format(ws=workspace) for a in args], env))
        for case, args in FLOORS.items():
            times.setdefault((case, "libraries only"), []).append(
                _seconds([a.format(ws=workspace) for a in args], dict(os.environ)))
    return [{"case": case, "contender": who, "min_s": min(w for w, _ in t), "median_s": statistics.median(w for w, _ in t),
             "cpu_min_s": min(c for _, c in t), "cpu_median_s": statistics.median(c for _, c in t), "rounds": len(t)}
            for (case, who), t in times.items()]


def main(workspace: Path = Path("/tmp/fastdemo"), rounds: int = 7, before: Path | None = None) -> None:
    """Print the start-up table (see the module docstring)."""
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print_table("CLI start-up, wall seconds per fresh process", run(workspace, rounds, before),
                ["case", "contender", "min_s", "median_s", "cpu_min_s", "cpu_median_s", "rounds"])
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/fastdemo"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", type=Path, default=None, help="source tree to compare with (its src/ is used)")
    args = parser.parse_args()
    main(args.workspace, args.rounds, args.before)
