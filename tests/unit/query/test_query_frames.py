"""`query.frames`: engine rows reach pandas through Arrow with the values and types Ibis' own conversion gives, and
`with_columns` builds the frame a column insert at a time would (architecture D69)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from cxlens.query.frames import to_frame, with_columns


def test_to_frame_gives_what_ibis_execute_gives_nulls_lists_text_and_times_included():
    con = ibis.duckdb.connect()
    con.raw_sql("""CREATE TABLE t AS SELECT * FROM (VALUES
        ('a', TIMESTAMP '2024-05-01 10:00:00', 3, 1.5, [1.0, 2.0]),
        (NULL, TIMESTAMP '2024-06-01 00:00:00', 4, NULL, NULL),
        ('c', NULL, 5, 2.5, [3.0, 4.0])) v(k, ts, n, x, q)""")
    expr = con.table("t").group_by(["k", "ts"]).aggregate(n=ibis._.n.sum(), x=ibis._.x.max(), q=ibis._.q.first())
    ours, theirs = to_frame(expr), expr.execute()
    assert list(ours.columns) == list(theirs.columns)
    ours, theirs = (f.sort_values("n").reset_index(drop=True) for f in (ours, theirs))
    for col in ("k", "ts", "n", "x"):
        assert ours[col].dtype == theirs[col].dtype, col
        pd.testing.assert_series_equal(ours[col], theirs[col], check_dtype=True)
    for mine, its in zip(ours["q"], theirs["q"]):
        assert (mine is None and its is None) or list(mine) == list(its)


def test_with_columns_equals_inserting_each_column_and_keeps_the_keys_types_and_index():
    keys = pd.DataFrame({"segment": pd.array(["b", "a", "c"], dtype="str"),
                         "period_start": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])},
                        index=[5, 7, 9])
    figures = {"n": np.array([1, 2, 3]), "share": pd.Series([0.5, np.nan, 1.0], index=[5, 7, 9]),
               "low_n": np.array([True, False, True])}
    expected = keys.copy()
    for name, column in figures.items():
        expected[name] = column
    got = with_columns(keys, figures)
    pd.testing.assert_frame_equal(got, expected)
    assert list(keys.columns) == ["segment", "period_start"]  # the keys' frame is left as it was
