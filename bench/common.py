"""Shared benchmark plumbing: synthetic data at scale, subprocess timing with peak memory (VmHWM of the measured
process), interleaved rounds, cell checks, tables."""

from __future__ import annotations

import inspect
import json
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

from rich.console import Console
from rich.table import Table

OUT = Path(__file__).resolve().parent / "out"
console = Console()

TOUCHPOINTS = [f"tp{i:02d}" for i in range(25)]
SEGMENTS = ["youth", "value", "family", "premium", "sme", "corporate", "senior", "student"]
JOURNEY_YAML = "stages: [usage]\ntouchpoints:\n" + "".join(f"  - {{id: {t}, name: {t}, stage: usage}}\n" for t in TOUCHPOINTS)


def make_responses(con, rows: int, customers: int, path: Path, fmt: str) -> Path:
    """Write `rows` canonical responses (NPS/CSAT/CES mix over 24 months) as CSV or Parquet with DuckDB."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tps = "[" + ", ".join(f"'{t}'" for t in TOUCHPOINTS) + "]"
    opts = "(HEADER)" if fmt == "csv" else "(FORMAT parquet, ROW_GROUP_SIZE 1000000)"
    con.execute(f"""COPY (
        SELECT 'R' || i AS response_id, 'C' || (hash(i) % {customers}) AS customer_id,
               TIMESTAMP '2024-01-01' + INTERVAL (hash(i * 7) % (730 * 86400)) SECOND AS ts,
               {tps}[(1 + hash(i * 13) % 25)::BIGINT] AS touchpoint_id,
               CASE WHEN i % 2 = 0 THEN 'nps' WHEN i % 4 = 1 THEN 'csat' ELSE 'ces' END AS metric,
               CASE WHEN i % 2 = 0 THEN hash(i * 3) % 11 WHEN i % 4 = 1 THEN 1 + hash(i * 3) % 5 ELSE 1 + hash(i * 3) % 7 END AS score,
               NULL::VARCHAR AS comment, NULL::VARCHAR AS language
        FROM range({rows}) t(i)) TO '{path}' {opts}""")
    return path


def make_tickets(con, rows: int, customers: int, path: Path) -> Path:
    """`rows` tickets over 24 months: ~90% resolved, some reopened, 1-4 contacts, hours to days."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tps = "[" + ", ".join(f"'{t}'" for t in TOUCHPOINTS) + "]"
    con.execute(f"""COPY (
        SELECT 'K' || i AS ticket_id, 'C' || (hash(i * 5) % {customers}) AS customer_id,
               {tps}[(1 + hash(i * 11) % 25)::BIGINT] AS touchpoint_id,
               ['billing', 'network', 'device', 'account'][(1 + i % 4)::BIGINT] AS category,
               ['phone', 'chat', 'email', 'store'][(1 + hash(i) % 4)::BIGINT] AS channel,
               opened AS opened_at, opened + INTERVAL (60 + hash(i * 17) % 86400) SECOND AS first_response_at,
               CASE WHEN hash(i * 19) % 10 = 0 THEN NULL
                    ELSE opened + INTERVAL (3600 + hash(i * 23) % (14 * 86400)) SECOND END AS resolved_at,
               hash(i * 29) % 8 = 0 AS reopened, (1 + hash(i * 31) % 4)::BIGINT AS contacts,
               NULL::VARCHAR AS description
        FROM (SELECT i, TIMESTAMP '2024-01-01' + INTERVAL (hash(i * 37) % (730 * 86400)) SECOND AS opened
              FROM range({rows}) t(i))) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
    return path


def make_customers(con, customers: int, path: Path) -> Path:
    if not path.exists():
        segs = "[" + ", ".join(f"'{s}'" for s in SEGMENTS) + "]"
        con.execute(f"""COPY (SELECT 'C' || i AS customer_id, DATE '2023-01-01' + (i % 700)::INT AS signup_date,
            {segs}[(1 + i % 8)::BIGINT] AS segment, 'r' || (i % 5) AS region, 'en' AS language, 'p' || (i % 4) AS plan
            FROM range({customers}) t(i)) TO '{path}' (HEADER)""")
    return path


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory (MB) of process `pid` so far: `VmHWM` in /proc/<pid>/status (0 once it has exited).

    Read from the measured process itself. `getrusage(RUSAGE_SELF).ru_maxrss` is not: Linux carries the
    forking parent's high-water mark across fork + exec into the child's `ru_maxrss`, so every fresh
    interpreter started by a 600 MB benchmark driver reported the driver's 600 MB (issue 23)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int | str = "self") -> list[int]:
    """Live child processes of `pid`, recursively (a Spark session's JVM, say)."""
    out: list[int] = []
    try:
        import os as _os

        for tid in _os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                for child in f.read().split():
                    out += [int(child), *descendants(int(child))]
    except OSError:
        pass
    return out


def process_peak_mb() -> float:
    """Peak memory of this process plus its live child processes (each one's own VmHWM; their sum bounds the
    combined peak from above). What `run_measured` reports as `peak_mb`."""
    return vm_hwm_mb() + sum(vm_hwm_mb(p) for p in descendants())


def reset_peak() -> bool:
    """Reset this process's VmHWM to its current resident size (Linux >= 4.0: `5` into clear_refs), so a
    benchmark run inside a long-lived driver reports its own peak, not the driver's earlier one."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


_PEAK_SOURCE = "".join(textwrap.dedent(inspect.getsource(f)) + "\n" for f in (vm_hwm_mb, descendants, process_peak_mb))


def run_measured(code: str, python: str | None = None, env: dict | None = None) -> dict:
    """Run Python code in a fresh interpreter (`python`, default this one); it must set a dict `RESULT` (JSON-able).

    Adds `peak_mb`: the VmHWM of that interpreter (plus its live child processes) read by itself at the end."""
    wrapper = textwrap.dedent(code) + "\n" + _PEAK_SOURCE + textwrap.dedent("""
        import json as _j
        print("\\n@@RESULT@@" + _j.dumps({**RESULT, "peak_mb": process_peak_mb()}, default=str))
    """)
    proc = subprocess.run([python or sys.executable, "-c", wrapper], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.rsplit("@@RESULT@@", 1)[-1])  # after whatever the code printed (progress bars)


# Runs the CLI in a fresh interpreter exactly as `python -m cxlens` does, and writes its own VmHWM at exit.
_CLI_SHIM = _PEAK_SOURCE + """
import atexit, os, sys
atexit.register(lambda: open(os.environ["CXLENS_BENCH_PEAK"], "w").write(str(process_peak_mb())))
sys.argv = ["cxlens", *sys.argv[1:]]
from cxlens.cli import app
app()
"""


def run_cli(args: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """`cxlens ARGS` end to end in a fresh process: wall seconds seen from outside (start-up included), stdout,
    and the process's own peak memory."""
    import os
    import tempfile
    import time

    with tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        env = {**os.environ, **(env or {}), "CXLENS_BENCH_PEAK": peak.name}
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _CLI_SHIM, *args], capture_output=True, text=True, env=env,
                              cwd=cwd)
        seconds = time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError(f"cxlens {' '.join(args)}: {proc.stderr[-3000:]}")
        return {"seconds": seconds, "stdout": proc.stdout, "stderr": proc.stderr,
                "peak_mb": float(Path(peak.name).read_text() or 0)}


def interleaved(contenders: dict, rounds: int) -> dict[str, list[dict]]:
    """Call every contender once per round, one after the other, for `rounds` rounds (the order rotates each
    round, so none always runs first or after the same neighbour); each call returns a dict with `seconds`."""
    names = list(contenders)
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            runs[name].append(contenders[name]())
    return runs


def summarise(runs: dict[str, list[dict]], base: str, extra: dict | None = None) -> list[dict]:
    """One row per contender: min and median seconds over the rounds, max peak memory, and `x_<base>` =
    min seconds / the base contender's min seconds (> 1: slower than the base)."""
    base_s = min(r["seconds"] for r in runs[base])
    rows = []
    for name, rs in runs.items():
        secs = [r["seconds"] for r in rs]
        rows.append({"method": name, "min_s": min(secs), "median_s": statistics.median(secs),
                     "peak_mb": max(r.get("peak_mb", 0.0) for r in rs), f"x_{base}": min(secs) / base_s,
                     **(extra or {}).get(name, {})})
    return rows


def same_cells(frames: dict, keys: list[str], exact: list[str], close: list[str] = (), rel: float = 1e-9) -> list[str]:
    """Check every contender's cells against the first one's: the same keys, integers `exact` equal and floats
    `close` within `rel` (relative). Returns the differences in words (empty: all the same); a column a contender
    does not give is named in parentheses, not compared."""
    import numpy as np

    ref_name, ref = next(iter(frames.items()))
    ref = ref.set_index(keys).sort_index()
    problems = []
    for name, frame in frames.items():
        other = frame.set_index(keys).sort_index()
        if len(other) != len(ref) or not other.index.equals(ref.index):
            missing, extra = len(ref.index.difference(other.index)), len(other.index.difference(ref.index))
            problems.append(f"{name}: {len(other)} cells vs {len(ref)} of {ref_name} "
                            f"({missing} missing, {extra} extra)")
            continue
        for col in exact:
            if col not in other:
                problems.append(f"({name} gives no {col}: not compared)") if name != ref_name else None
                continue
            bad = int((other[col].fillna(-1).astype("int64") != ref[col].fillna(-1).astype("int64")).sum())
            if bad:
                problems.append(f"{name}: {col} differs from {ref_name} in {bad} cells")
        for col in close:
            a, b = other[col].to_numpy(float), ref[col].to_numpy(float)
            bad = int((~np.isclose(a, b, rtol=rel, atol=0, equal_nan=True)).sum())
            if bad:
                problems.append(f"{name}: {col} differs from {ref_name} in {bad} cells (rel {rel:g})")
    return problems


def load_average() -> str:
    """`load 3.1 on 2 cores`: the timings' context (other work on the machine makes them noisy)."""
    import os

    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    table = Table(title=title, header_style="bold")
    for c in columns:
        table.add_column(c, justify="left" if c in (columns[0],) else "right")
    for r in rows:
        table.add_row(*(_fmt(r.get(c)) for c in columns))
    console.print(table)


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}" if v < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def negative_tweets():
    """The airline tweets' negative rows with an annotated reason: (DataFrame, reasons, k), or None without the corpus.

    The reference for theme discovery (AMI against `negativereason`) in text_accuracy.py and text_themes.py."""
    import pandas as pd

    from cxlens.text.corpus import default_corpus_dir

    path = Path(default_corpus_dir() or ".").parent / "twitter_airline_sentiment" / "Tweets.csv"
    if not path.is_file():
        return None
    d = pd.read_csv(path)
    d = d[d.airline_sentiment == "negative"].dropna(subset=["negativereason"])
    return d, d.negativereason.to_numpy(), d.negativereason.nunique()


def without_mentions(texts) -> list[str]:
    """Tweets without @mentions and links (they name airlines, not reasons)."""
    return texts.str.replace(r"@\w+|http\S+", " ", regex=True).tolist()

