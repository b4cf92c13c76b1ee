"""Shared benchmark plumbing: synthetic data at scale, subprocess timing with peak memory, tables."""

from __future__ import annotations

import json
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


def run_measured(code: str, python: str | None = None) -> dict:
    """Run Python code in a fresh interpreter (`python`, default this one); it must print a JSON dict last.
    Adds peak RSS (MB)."""
    wrapper = textwrap.dedent(code) + textwrap.dedent("""
        import resource, json as _j
        print(_j.dumps({**RESULT, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """)
    proc = subprocess.run([python or sys.executable, "-c", wrapper], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


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

