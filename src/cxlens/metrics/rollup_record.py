"""What `response_rollup` reflects, without Ibis: its record's fingerprint built from one row, and the words for
what changed.

`cxlens.metrics.rollup` reads that row through Ibis on every engine; `cxlens.metrics.quick` reads the same row with
one DuckDB statement, so a command that answers from the rollup without importing Ibis or pandas (architecture D61)
decides "current" by the very rule the planner uses: the fingerprint is built here, once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from cxlens.metrics.scales import THRESHOLDS
from cxlens.store.records import as_text

TABLE = "response_rollup"
MONTH_TABLE = "response_rollup_month"  # the same sums per month, written with it under its record (D64)
COUNTS_TABLE = "answer_counts"  # answers per customer and metric, behind MOST, written with it (D66)
META_KEY = "response_rollup"
# Bump when what a row holds changes: a table built by an older rule then reads as stale. 2: the record covers
# `response_rollup_month` too; 3: and `answer_counts`.
VERSION = 3
REBUILD_HINT = "run `cxlens rollup rebuild -w DIR` (DIR: the workspace folder) to rebuild it"
# What the rollup's record holds beside the fingerprint (not compared): the most answers one customer gave per
# metric (`most_answers`, read from `answer_counts`) and the table's rows.
MOST, ROWS = "most_answers", "rows"
WORDS = {"version": "the rollup's rule changed", "answers": "the number of answers changed",
         "first": "the first answer's time changed", "last": "the last answer's time changed",
         "responses_load": "a responses load came after it", "customers_load": "a customers load came after it",
         "thresholds": "the metrics' thresholds changed", "lake": "the external tables' files changed"}


def fingerprint_of(row: Mapping[str, Any], lake: str | None) -> dict:
    """The fingerprint from the answers' row (`n`, first `lo` and last `hi` time, the latest `responses` and
    `customers` load ids) and the external tables' digest `lake` (None: the store's own tables, not recorded)."""
    thresholds = hashlib.sha1(json.dumps(sorted(THRESHOLDS.items())).encode()).hexdigest()[:12]
    out = {"version": VERSION, "answers": int(row["n"]), "first": as_text(row["lo"]), "last": as_text(row["hi"]),
           "responses_load": as_text(row["responses"]), "customers_load": as_text(row["customers"]),
           "thresholds": thresholds}
    if lake is not None:
        out["lake"] = lake
    return out


__all__ = ["COUNTS_TABLE", "MONTH_TABLE", "MOST", "META_KEY", "REBUILD_HINT", "ROWS", "TABLE", "VERSION", "WORDS",
           "fingerprint_of"]
