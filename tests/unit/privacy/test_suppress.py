"""Small groups: suppression of cells describing fewer than min_group customers, and of their complements."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlens.privacy.suppress import suppress, suppressed_cells


def breakdown() -> pd.DataFrame:
    """NPS by segment with one 3-customer segment (smb)."""
    return pd.DataFrame({
        "segment": ["consumer", "business", "smb", "enterprise"],
        "n": [120, 60, 9, 25], "customers": [100, 50, 3, 20],
        "nps": [12.5, 30.0, -44.4, 8.0], "ci_low": [2.0, 15.0, -90.0, -20.0], "ci_high": [22.0, 45.0, 10.0, 36.0],
        "low_n": [False, False, True, True],
    })


def test_breakdown_with_a_three_customer_cell_suppresses_it_and_the_next_smallest():
    out, note = suppress(breakdown(), groups=["segment"], min_group=5)
    by = out.set_index("segment")
    assert by.loc["smb", ["n", "customers", "nps", "ci_low", "ci_high"]].isna().all()
    assert by.loc["enterprise", ["n", "customers", "nps"]].isna().all()  # the complement: smallest other cell
    assert by.loc["consumer", "n"] == 120 and by.loc["business", "nps"] == 30.0
    assert note and "5 customers" in note
    # the published total (n = 214, from `cxlens nps` without --by) minus the published cells is 34: smb and
    # enterprise together, not smb's 9
    published = by["n"].dropna().sum()
    assert 214 - published == 34 != 9


def test_a_cell_with_many_answers_from_few_customers_is_suppressed():
    frame = pd.DataFrame({"touchpoint": ["app", "shop", "call"], "n": [400, 80, 300], "customers": [3, 60, 200],
                          "csat": [4.1, 3.2, 3.9]})
    out, _ = suppress(frame, groups=["touchpoint"], min_group=5)
    assert pd.isna(out.loc[0, "csat"]) and pd.isna(out.loc[0, "n"])


def test_a_suppressed_cell_looks_like_an_empty_one():
    frame = breakdown()
    frame.loc[1, "nps"] = np.nan  # a genuinely empty figure
    out, _ = suppress(frame, groups=["segment"], min_group=5)
    assert out.loc[2, "segment"] == "smb"  # the row still names its group
    assert pd.isna(out.loc[2, "nps"]) and pd.isna(out.loc[1, "nps"])
    assert pd.isna(out.loc[2, "low_n"])  # the flag goes too: a flag would say "something small is here"
    assert not any(isinstance(v, str) and v not in frame["segment"].tolist() for v in out.to_numpy().ravel())


def test_nothing_small_leaves_the_frame_and_no_note():
    frame = breakdown()
    frame["customers"] = [100, 50, 30, 20]
    out, note = suppress(frame, groups=["segment"], min_group=5)
    assert note is None and out.equals(frame)


def test_min_group_one_publishes_everything():
    out, note = suppress(breakdown(), groups=["segment"], min_group=1)
    assert note is None and out["n"].notna().all()


def test_two_small_cells_that_together_are_still_small_take_a_third():
    frame = pd.DataFrame({"segment": list("abcd"), "customers": [2, 2, 50, 60], "n": [2, 2, 50, 60]})
    hidden = suppressed_cells(frame, ["segment"], 5)
    assert hidden.tolist() == [True, True, True, False]  # 2 + 2 = 4 would still be a small group by subtraction


def test_two_way_table_protects_rows_and_columns():
    frame = pd.DataFrame({"segment": ["a", "a", "b", "b", "c", "c"], "region": ["n", "s"] * 3,
                          "customers": [3, 40, 30, 50, 60, 70]})
    hidden = suppressed_cells(frame, ["segment", "region"], 5)
    # a/n primary; a/s (its row) and b/n (its column, smallest) complementary; then b's row needs b/s
    assert hidden.tolist() == [True, True, True, True, False, False]


def _lines(frame: pd.DataFrame, keys: list[str]):
    for key in keys:
        rest = [k for k in keys if k != key]
        if not rest:
            yield frame.index.to_numpy()
        else:
            for _, g in frame.groupby(rest):
                yield g.index.to_numpy()


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_suppressed_cell_is_total_minus_the_published_cells_of_its_margin(data):
    """Brute force over random one- and two-way tables: every small cell is hidden, and in every margin the
    total minus the published cells is never one suppressed cell's count nor a small group."""
    min_group = data.draw(st.integers(2, 10))
    rows = data.draw(st.integers(1, 5))
    cols = data.draw(st.integers(1, 4))
    counts = data.draw(st.lists(st.integers(1, 40), min_size=rows * cols, max_size=rows * cols))
    cells = list(itertools.product(range(rows), range(cols)))
    frame = pd.DataFrame({"r": [f"r{i}" for i, _ in cells], "c": [f"c{j}" for _, j in cells], "customers": counts,
                          "n": [3 * k for k in counts]})
    keys = ["r", "c"] if cols > 1 else ["r"]
    out, _ = suppress(frame, groups=keys, min_group=min_group)
    hidden = out["customers"].isna().to_numpy()
    assert hidden[frame["customers"].to_numpy() < min_group].all()
    for line in _lines(frame, keys):
        if len(line) < 2 or not hidden[line].any():
            continue
        total = frame.loc[line, "n"].sum()
        derived = total - out.loc[line, "n"].dropna().sum()  # what subtraction from the published total gives
        if hidden[line].all():
            continue  # nothing published in this line: the subtraction gives only the total itself
        assert hidden[line].sum() >= 2
        assert frame.loc[line[hidden[line]], "customers"].sum() >= min_group
        assert derived > frame.loc[line[hidden[line]], "n"].max()  # never one suppressed cell's own value
