"""The load's two fast paths give exactly what the plain SQL gave (architecture D62): `trimmed(x)` equals DuckDB's
`trim(x)`, and a date-time text is read the same whether or not it takes the strict ISO parse first.

The references are the expressions as they were before the fast paths (trim on every value; the zone and 12-hour
regular expressions tried on every value: `general_timestamp_branches` alone), evaluated by DuckDB beside the new ones
on the same texts: edge cases
written out, and random texts built from the characters that matter (digits, separators, zone letters, spaces of
every kind including the 16 non-ASCII ones trim removes, tabs and line ends, which it keeps).
"""

from __future__ import annotations

import random

import duckdb
import pytest

from cxlens.ingest.validate import _has_zone, _text_timestamp, general_timestamp_branches, trimmed

# DuckDB's trim removes exactly the Unicode space separators (Zs); found by trying every code point below U+10000
SPACES = [" ", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"]
KEPT = ["\t", "\n", "\r", "\x0b", "\x0c", "\u200b", "\ufeff"]  # whitespace-like, not trimmed
EDGES = [
    "2024-01-01 10:00:00", "2024-01-01T10:00:00", "2024-01-01", "2024-1-1 9:0:0", "2024-01-01  10:00:00",
    "2024-01-01 10:00:00+05:00", "2024-01-01 10:00:00+05", "2024-01-01T10:00:00Z", "2024-01-01 10:00:00 z",
    "2024-01-01 10:00:00 UTC", "2024-01-01 10:00:00 Europe/Berlin", "2024-01-01 10:00:00 -0800",
    "2024-01-01 10:00:00-0800", "2024-01-01 10:00 PM", "2024-01-01 10:00:05 a.m.", "3/1/2024 10:00 PM",
    "2024-01-01 10:00:00.123456", "2024-01-01 10:00:00.5+01", "2024-01-01 10:00:00 XYZ1", "2024-01-01 24:00:00",
    "2024-12-31 23:59:60", "2024-02-30 10:00:00", "99999-01-01 10:00:00", "0001-01-01 00:00:00", "20240101 10:00:00",
    "2024-01-01 10:00:00\n", "2024-01-01 10:00:00\t", "\t2024-01-01 10:00:00", "2024-01-01\t10:00:00",
    "2024-01-01 10:00:00\r", "2024-01-01t10:00:00", "٢٠٢٤-٠١-٠١ 10:00:00", "2024-01-01 10:00:00 ", "", "  ", "abc",
    "2024-1-5", "2024-01-01 10:00:60", "2024-01-01 10:60:00", "2023-02-29", "2024-02-29 00:00:00", "+2024-01-01",
    "2024-01-01 1:2:3", "0000-01-01", "1900-01-01 00:00:00", "9999-12-31 23:59:59", "2024-001-01", "02024-01-01",
]


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    parts = ["2024", "-", "01", "1", ":", "00", " ", "T", "Z", "+05", "-0800", "PM", "am", ".", "5", "UTC", "/",
             "Berlin", *SPACES, *KEPT, "é", "中"]
    return [("".join(rng.choice(parts) for _ in range(rng.randrange(0, 9))) if rng.random() < 0.5 else
             rng.choice(EDGES[:20]).replace(" ", rng.choice(SPACES[:3] + [" "]), rng.randrange(2))
             + rng.choice(["", *SPACES, *KEPT])) for _ in range(count)]


def _old_timestamp(text: str) -> str:
    """The date-time expression before the ISO fast path: both regular expressions tried on every value."""
    return f"CASE {general_timestamp_branches(text)} END"


@pytest.fixture(scope="module")
def texts():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x VARCHAR)")
    values = [*EDGES, *(s + e + s for s in SPACES for e in EDGES[:3]), *(k + EDGES[0] + k for k in KEPT),
              *_random_texts(20_000, 3)]
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values] + [[None]])
    yield con
    con.close()


def test_trimmed_is_trim(texts):
    different = texts.execute(f"SELECT x FROM t WHERE {trimmed('x')} IS DISTINCT FROM trim(x)").fetchall()
    assert different == []
    changed = texts.execute(f"SELECT count(*) FROM t WHERE {trimmed('x')} <> x").fetchone()[0]
    assert changed > 1000  # the texts had spaces to trim: the comparison covered trim's work


def test_the_iso_fast_path_reads_every_text_as_before(texts):
    text = f"NULLIF({trimmed('x')}, '')"
    old_text = "NULLIF(trim(x), '')"
    rows = texts.execute(f"SELECT x, {_text_timestamp(text)} AS new, {_old_timestamp(old_text)} AS old FROM t").fetchall()
    different = [(x, new, old) for x, new, old in rows if new != old]
    assert different == []
    parsed = sum(new is not None for _, new, _ in rows)
    zoned = texts.execute(f"SELECT count(*) FROM t WHERE {_has_zone(old_text)} AND {_old_timestamp(old_text)} IS NOT NULL").fetchone()[0]
    assert parsed > 5000 and zoned > 100  # both the fast path and the zone path were exercised
