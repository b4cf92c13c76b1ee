"""Whether a file's rows may repeat a key, decided without DuckDB's GROUP BY when they do not.

Every load asks this, and nearly every file answers no. A GROUP BY over 10M distinct text keys took 1.2-1.8 s
(2.3-3.2 CPU s); sorting the keys' 64-bit hashes in NumPy takes 0.4-0.5 s (0.6-0.7 CPU s) and proves the
common answer: equal keys hash equal, so when no two hashes are equal no key repeats (architecture D68).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cxlens.store.sql import ident

SCREEN_MAX_ROWS = 64_000_000  # 512 MB of hashes; past this only the GROUP BY (which spills to disk) decides
BATCH = 1 << 20


def may_repeat(con, rows: str, key: Sequence[str], expected: int) -> bool:
    """False when no two rows of `FROM {rows}` share a key, for certain; True when two of their key hashes are
    equal (a repeated key, or a collision: about n^2 / 2^65, 3e-6 at 10M rows) or there are more than
    SCREEN_MAX_ROWS rows: the caller's GROUP BY then decides. `expected`: about how many rows there are."""
    if expected > SCREEN_MAX_ROWS:
        return True
    hashes = _hashes(con, f"SELECT hash({', '.join(ident(k) for k in key)}) FROM {rows}", expected)
    hashes.sort()
    return bool(np.any(hashes[1:] == hashes[:-1]))


def _hashes(con, sql: str, expected: int) -> np.ndarray:
    """The query's one UBIGINT column, streamed into one array (a materialised result would double the memory)."""
    out, at = np.empty(max(expected, 0), dtype=np.uint64), 0
    con.complete()  # the last execute()'s result, often read with fetchone(), must end before sql() runs
    for batch in con.sql(sql).to_arrow_reader(BATCH):
        values = batch.column(0).to_numpy()
        if at + len(values) > len(out):
            out = np.concatenate([out[:at], np.empty(max(len(values), len(out)), dtype=np.uint64)])
        out[at:at + len(values)] = values
        at += len(values)
    return out[:at]
