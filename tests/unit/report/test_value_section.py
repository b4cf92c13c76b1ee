"""The report's value section: its figures are the value analyses', and the demo's planted link shows in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxlens.ingest import load
from cxlens.query import Scope
from cxlens.report.components import Figure, Paragraph, TableBlock
from cxlens.report.sections import report_contents
from cxlens.report.value_sections import value_section
from cxlens.value import churn_hazards, outcomes_by_group, trend
from cxlens.value.dataset import customer_month_frame


def _tables(section) -> dict[str, TableBlock]:
    """Table blocks keyed by their first column's key plus second, to find each part without relying on order."""
    return {f"{b.columns[0].key}/{b.columns[1].key}": b for b in section.blocks if isinstance(b, TableBlock)}


def _column(block: TableBlock, key: str) -> list:
    i = [c.key for c in block.columns].index(key)
    return [row[i] for row in block.rows]


def test_value_section_shows_the_analyses_figures_and_the_planted_link(demo_store_copy):
    store, files, _ = demo_store_copy()
    try:
        load(store, files.tables()["outcomes"], "outcomes")
        truth = json.loads((Path(files.journey).parent / "truth.json").read_text())
        section = value_section(store, min_n=30, min_group=5)
        tables = _tables(section)
        groups = outcomes_by_group(store, horizon=12)
        want = groups[groups["metric"] == "revenue"].set_index("group")["value"]
        shown = tables["group/metric"]
        got = {g: v for g, m, v in zip(_column(shown, "group"), _column(shown, "metric"), _column(shown, "value"))
               if m == "revenue"}
        assert got == pytest.approx({g: float(v) for g, v in want.items()}, rel=1e-12)  # engine sums: order may differ
        hazards = churn_hazards(customer_month_frame(store, Scope()), by_year=True)
        table = tables["group/year"]
        detractor = {y: hr for g, y, hr in zip(_column(table, "group"), _column(table, "year"), _column(table, "hazard_ratio"))
                     if g == "detractor"}
        assert detractor == pytest.approx({str(r.year): r.hazard_ratio for r in hazards[hazards.group == "detractor"].itertuples()}, rel=1e-9)
        assert detractor["2025"] > detractor["2024"] > 1  # planted 2.0 then 4.0: the link strengthens
        frame = customer_month_frame(store, Scope())
        assert trend(frame).attrs["sentence"] in [b.text for b in section.blocks if isinstance(b, Paragraph)]
        ranking = truth["nps_drivers"]["ranking"]
        assert _column(tables["rank/driver"], "driver")[:2] == ranking[:2]
        assert any(isinstance(b, Figure) and "<svg" in b.svg for b in section.blocks)
        value = tables["move/customers_moved"]
        low, high = _column(value, "ci_low")[0], _column(value, "ci_high")[0]
        assert 0 < low <= _column(value, "value_per_year")[0] <= high
    finally:
        store.close()


def test_a_store_without_outcomes_leaves_the_value_section_out_and_says_why(tiny_store):
    contents = report_contents(tiny_store, 3)
    assert "What experience is worth" in [m.title for m in contents.missing]
    assert all(s.id != "value" for s in contents.sections)
