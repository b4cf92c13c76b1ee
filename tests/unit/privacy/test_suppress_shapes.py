"""The other shapes of small-group suppression: zero cells, wide rows of several families, trend series, rows
that add up to nothing, and the comparison that follows a suppressed cell (cxlens.privacy.suppress)."""

from __future__ import annotations

import math

import pandas as pd

from cxlens.privacy.suppress import (published_mask, smallest_group, suppress, suppress_families, suppress_rows,
                                     suppress_series)


def test_a_cell_of_no_customers_is_published_and_never_a_complement():
    paths = pd.DataFrame({"path": ["a > b", "a > c", "other paths"], "customers": [62, 3, 0], "share": [0.95, 0.05, 0.0]})
    out, note = suppress(paths, groups=["path"], min_group=5)
    assert out["share"].tolist()[2] == 0.0  # nobody took other paths: nothing to protect
    assert math.isnan(out["share"][1]) and math.isnan(out["share"][0])  # 3, and 62 as its complement (65 - 62)
    assert note is not None
    assert published_mask(paths, ["path"], 5).tolist() == [True, True, False]


def test_families_of_one_row_are_suppressed_each_on_its_own():
    card = pd.DataFrame({"touchpoint": ["shop", "call", "rare"], "customers_nps": [40, 30, 20],
                         "nps": [10.0, 20.0, 30.0], "customers_csat": [65, 62, 3], "csat": [4.0, 3.5, 1.0]})
    out, note = suppress_families(card, key="touchpoint", families={"customers_nps": ["nps"], "customers_csat": ["csat"]},
                                  min_group=5)
    assert out["nps"].tolist() == [10.0, 20.0, 30.0]  # NPS is large everywhere: untouched
    assert out["csat"].isna().tolist() == [False, True, True]  # rare, and call (the smaller published) with it
    assert note is not None


def test_a_row_without_a_count_is_no_complement_in_its_family():
    card = pd.DataFrame({"touchpoint": ["shop", "call", "rare"], "customers_csat": [65, None, 3], "csat": [4.0, None, 1.0]})
    out, _ = suppress_families(card, key="touchpoint", families={"customers_csat": ["csat"]}, min_group=5)
    assert out["csat"].isna().tolist() == [True, True, True]  # rare, then shop: the empty call row protects nothing


def test_trend_points_of_small_groups_are_emptied_with_their_complements():
    frame = pd.DataFrame({"touchpoint": ["shop", "rare"], "periods": [["2024-01", "2024-02"]] * 2,
                          "trend": [[4.0, 4.1], [1.0, 2.0]], "counts": [[50, 40], [3, 30]]})
    out, note = suppress_series(frame, series="trend", counts="counts", min_group=5)
    assert out["trend"][1][0] is None and out["trend"][0][0] is None  # rare's January and shop's January (complement)
    assert out["trend"][1][1] is None  # rare's February: the complement along rare's own periods
    assert note is not None


def test_rows_adding_up_to_nothing_lose_only_their_own_figures():
    moments = pd.DataFrame({"touchpoint": ["shop", "rare", "call"], "exposed": [40, 3, 0], "hazard_ratio": [1.2, 3.0, None]})
    out, note = suppress_rows(moments, customers="exposed", min_group=5, keep=["touchpoint"])
    assert out["hazard_ratio"].tolist()[0] == 1.2 and math.isnan(out["hazard_ratio"][1])
    assert out["exposed"].tolist()[2] == 0 and note is not None


def test_the_change_after_a_suppressed_period_is_emptied_too():
    cells = pd.DataFrame({"segment": ["vip"] * 3 + ["big"] * 3, "period": ["Q1", "Q2", "Q3"] * 2,
                          "customers": [20, 3, 20, 40, 40, 40], "change": [None, -5.0, 6.0, None, 1.0, 2.0]})
    out, _ = suppress(cells, groups=["segment", "period"], min_group=5, previous=["change"])
    vip = out[out.segment == "vip"]
    assert pd.isna(vip["change"].iloc[1]) and pd.isna(vip["change"].iloc[2])  # Q3 - Q2 would give Q2 away


def test_smallest_group_ignores_groups_of_nobody():
    rows = pd.DataFrame({"churners": [3, 0, 12], "stayers": [0, 0, 40]})
    assert smallest_group(rows, ["churners", "stayers"]).tolist() == [3, 0, 12]
