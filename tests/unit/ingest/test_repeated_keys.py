"""The repeated-key screen (cxlens.ingest.repeated_keys, architecture D68) never says "no repeat" for rows that
repeat a key: checked against a brute-force count of the keys on random tables with planted repeats, single and
composite keys, NULL keys, more rows than expected, and past the size where it leaves the answer to the GROUP BY."""

from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest

from cxlens.ingest import repeated_keys
from cxlens.ingest.repeated_keys import may_repeat


def _table(con: duckdb.DuckDBPyConnection, keys: list[tuple]) -> None:
    frame = pd.DataFrame(keys, columns=["a", "b"]).astype({"a": "string", "b": "Int64"})  # noqa: F841 (read by SQL)
    con.execute("CREATE OR REPLACE TABLE t AS SELECT a::VARCHAR AS a, b::BIGINT AS b, 1.0 AS v FROM frame")


def _repeats(keys: list[tuple], width: int) -> bool:
    """Brute force: some key (its first `width` parts) occurs twice; NULLs compare equal, as in GROUP BY."""
    seen = [k[:width] for k in keys]
    return len(set(seen)) < len(seen)


@pytest.mark.parametrize("seed", range(6))
def test_the_screen_agrees_with_a_brute_force_count_of_the_keys(seed):
    rng = random.Random(seed)
    con = duckdb.connect()
    for trial in range(20):
        n = rng.randint(0, 3000)
        keys = [(f"R{rng.randrange(10**9)}-{i}", rng.randrange(5)) for i in range(n)]
        if n and trial % 2:  # plant a repeat: an earlier key again, anywhere in the file
            keys.insert(rng.randrange(n + 1), keys[rng.randrange(n)])
        _table(con, keys)
        for width, key in ((1, ["a"]), (2, ["a", "b"])):
            expected = _repeats(keys, width)
            got = may_repeat(con, "t", key, len(keys))
            assert got == expected, (seed, trial, width)


def test_a_composite_key_repeats_only_when_every_part_does():
    con = duckdb.connect()
    _table(con, [("R1", 1), ("R1", 2), ("R2", 1)])
    assert may_repeat(con, "t", ["a"], 3)  # a repeats
    assert not may_repeat(con, "t", ["a", "b"], 3)  # (a, b) does not


def test_two_missing_keys_count_as_a_repeat_as_in_group_by():
    con = duckdb.connect()
    _table(con, [(None, 1), ("R1", 1), (None, 1)])
    assert may_repeat(con, "t", ["a"], 3)
    assert con.execute("SELECT count(*) FROM t GROUP BY a HAVING count(*) > 1").fetchall() == [(2,)]


def test_more_rows_than_expected_are_all_looked_at():
    con = duckdb.connect()
    keys = [(f"R{i}", 0) for i in range(5000)] + [("R17", 0)]
    _table(con, keys)
    assert may_repeat(con, "t", ["a"], 10)  # the repeat is past the expected count
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(5001,)]  # no result left open by the screen
    assert not may_repeat(con, "(SELECT * FROM t LIMIT 5000)", ["a"], 10)


def test_a_filtered_relation_and_an_open_result_before_it():
    con = duckdb.connect()
    _table(con, [("R1", 0), ("R1", 1), ("R2", 2)])
    con.execute("SELECT * FROM t").fetchone()  # a result left unfinished, as the loader's fetchone() leaves them
    assert not may_repeat(con, "t WHERE b > 0", ["a"], 2)
    assert may_repeat(con, "t WHERE b < 2", ["a"], 2)


def test_past_the_screen_s_size_the_group_by_decides(monkeypatch):
    con = duckdb.connect()
    _table(con, [("R1", 0), ("R2", 0)])
    monkeypatch.setattr(repeated_keys, "SCREEN_MAX_ROWS", 1)
    assert may_repeat(con, "t", ["a"], 2)  # unique, but too many rows to screen: "may repeat"
