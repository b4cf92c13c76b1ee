"""Report sections return data: each one's figures are those of the analysis it calls, unchanged."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxlens.metrics import csat_by, expectation_gap, nps_by, outcomes_by, scorecard
from cxlens.model import TABLES
from cxlens.query import Scope
from cxlens.report.components import Cards, Heading, IntervalChart, Paragraph, Section, Sparkline, TableBlock
from cxlens.report.sections import (
    changes_section, gaps_section, measurement_sections, metric_section, outcomes_section, overview_section,
    quarantine_section, report_contents, report_sections, scorecard_section, themes_section,
)
from cxlens.text.store_impact import store_theme_impact

MIN_N = 3


def blocks_of(section: Section, kind: type) -> list:
    return [b for b in section.blocks if isinstance(b, kind)]


def column(block: TableBlock, key: str) -> list:
    i = [c.key for c in block.columns].index(key)
    return [row[i] for row in block.rows]


def same(values: list, expected: pd.Series) -> bool:
    """Table data equals the analysis' column, every missing figure (NaN, NA) being None in the table."""
    want = [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v for v in expected.tolist()]
    return values == want


def test_overview_counts_every_stored_table_and_lists_each_load(tiny_store):
    section = overview_section(tiny_store)
    (cards,) = blocks_of(section, Cards)
    assert {c.label: c.value for c in cards.cards} == {name: tiny_store.count(name) for name in TABLES}
    (loads,) = blocks_of(section, TableBlock)
    assert column(loads, "kind") == tiny_store.table("loads").execute()["kind"].tolist()
    assert column(loads, "file") == ["customers.csv", "responses.csv", "tickets.csv"]  # names, not full paths


def test_nps_section_shows_nps_by_segment_best_first_in_chart_and_table(tiny_store):
    want = nps_by(tiny_store, Scope(by=("segment",)), min_n=MIN_N).sort_values("nps", ascending=False)
    section = metric_section(tiny_store, "nps", "segment", MIN_N, min_group=1)  # figures, not privacy: 2-3 customers a segment
    (chart,), (rows,) = blocks_of(section, IntervalChart), blocks_of(section, TableBlock)
    assert list(chart.labels) == want["segment"].tolist() and list(chart.estimates) == want["nps"].tolist()
    assert list(chart.lows) == want["ci_low"].tolist() and list(chart.highs) == want["ci_high"].tolist()
    assert (chart.lo, chart.hi) == (-100, 100) and list(chart.weak) == want["low_n"].tolist()
    for key in ("segment", "n", "nps", "ci_low", "ci_high", "promoters_pct"):
        assert same(column(rows, key), want[key]), key
    assert list(rows.weak) == want["low_n"].tolist()


def test_csat_section_shows_csat_by_touchpoint_on_the_1_to_5_scale(tiny_store):
    want = csat_by(tiny_store, Scope(by=("touchpoint",)), min_n=MIN_N).sort_values("csat", ascending=False)
    (chart,) = blocks_of(metric_section(tiny_store, "csat", "touchpoint", MIN_N, min_group=1), IntervalChart)
    assert list(chart.estimates) == want["csat"].tolist() and (chart.lo, chart.hi) == (1, 5)


def test_scorecard_section_holds_the_scorecard_figures_with_trend_sparklines(tiny_store):
    want = scorecard(tiny_store, min_n=MIN_N)
    (rows,) = scorecard_section(tiny_store, MIN_N, min_group=1).blocks  # figures, not privacy: 4 customers a touchpoint
    labels = {c.key: c.label for c in rows.columns}
    assert labels["n_nps"] == "n NPS" and labels["csat_trend"] == "CSAT trend"
    for key in ("touchpoint", "n_nps", "nps", "csat", "ces"):
        assert same(column(rows, key), want[key]), key
    assert column(rows, "status") == want["status"].astype(str).tolist()
    assert all(isinstance(s, Sparkline) for s in column(rows, "csat_trend"))


def test_outcomes_section_holds_outcomes_by_touchpoint(tiny_store):
    want = outcomes_by(tiny_store, Scope(by=("touchpoint",)), min_n=MIN_N).sort_values("resolution_p50_h", ascending=False)
    rows = blocks_of(outcomes_section(tiny_store, MIN_N), TableBlock)[0]
    for key in ("touchpoint", "tickets", "resolution_rate", "fcr_rate", "reopen_rate", "open_tickets"):
        assert same(column(rows, key), want[key]), key


def test_gaps_section_ranks_expectation_gaps_as_the_analysis_does(tiny_store):
    want = expectation_gap(tiny_store, min_n=MIN_N)
    section = gaps_section(tiny_store, MIN_N, min_group=1)  # figures, not privacy: 4 customers a touchpoint
    headings = [b.text for b in blocks_of(section, Heading)]
    assert headings[0] == "Expectation vs perception (CSAT 1-5)"
    rows = blocks_of(section, TableBlock)[0]
    for key in ("touchpoint", "expectation", "csat", "gap", "ci_low", "ci_high", "significant"):
        assert same(column(rows, key), want[key]), key


def test_quarantine_section_says_so_when_no_row_was_refused(tiny_store):
    (block,) = quarantine_section(tiny_store).blocks
    if tiny_store.count("quarantine"):
        assert sum(column(block, "rows")) == tiny_store.count("quarantine")
    else:
        assert block == Paragraph("No row was refused.")


def test_sections_without_data_are_left_out(tiny_store):
    assert store_theme_impact(tiny_store).empty and themes_section(tiny_store, MIN_N) is None
    made = [s.id for s in measurement_sections(tiny_store, MIN_N)]
    assert "themes" not in made and made[:2] == ["journey-map", "scorecard"]
    ids = [s.id for s in report_sections(tiny_store, MIN_N)]
    assert ids[:3] == ["overview", "nps-segment", "csat-touchpoint"] and ids[-2:] == ["quarantine", "missing"]
    # Listed last, with why: the tiny CSAT answers are all in one month, its NPS answers in one quarter, no comments.
    left_out = report_contents(tiny_store, MIN_N).missing
    assert [m.title for m in left_out] == ["How customers really move: top paths", "Journey flows (Sankey)",
                                           "Breakpoints: where the experience fails", "Moments of truth and of magic",
                                           "What really changed since the period before", "Themes: what they cost in NPS",
                                           "What experience is worth"]
    assert all(m.reason.startswith("no journey events") and "--kind events" in m.reason for m in left_out[:3])
    assert left_out[3].reason.startswith("no outcomes") and "--kind outcomes" in left_out[3].reason
    left_out = left_out[4:]
    assert left_out[0].reason.startswith("fewer than two months")
    assert left_out[1].reason.startswith("no NPS answer has a comment") and "`cxlens load FILE --kind responses`" in left_out[1].reason
    assert left_out[2].reason.startswith("no outcomes") and "--kind outcomes" in left_out[2].reason


def test_changes_section_compares_the_latest_period_with_the_one_before(generated):
    store, _ = generated
    section = changes_section(store, 30)
    want = csat_by(store, Scope(by=("touchpoint",), period="month"), compare="previous", min_n=30)
    latest = want[want["vs"].notna() & (want["period"] == want["period"].max())]
    first = blocks_of(section, Heading)[0].text
    assert first == f"CSAT by touchpoint: {latest['period'].iloc[0]} vs {latest['vs'].iloc[0]}"
    rows = blocks_of(section, TableBlock)[0]
    shown = latest.set_index("touchpoint")
    for tp, change, q in zip(column(rows, "touchpoint"), column(rows, "change"), column(rows, "q_value")):
        assert change == pytest.approx(shown.loc[tp, "change"]) and q == pytest.approx(shown.loc[tp, "q_value"])
    assert column(rows, "change") == sorted(column(rows, "change"))


def test_nps_section_suppresses_segments_of_fewer_than_min_group_customers(tiny_store):
    """The tiny store's segments hold 2 and 3 customers: with the default min_group (5) every figure is empty,
    nothing is drawn, and the intro says why."""
    section = metric_section(tiny_store, "nps", "segment", MIN_N)
    (chart,), (rows,) = blocks_of(section, IntervalChart), blocks_of(section, TableBlock)
    assert list(chart.labels) == [] and sorted(column(rows, "segment")) == ["business", "family", "value"]
    assert all(v in ("", None) for key in ("n", "nps", "ci_low") for v in column(rows, key))
    assert "fewer than 5 customers" in section.intro
