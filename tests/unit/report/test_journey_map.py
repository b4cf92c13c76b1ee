"""The journey map picture: health read from the scorecard's own figures, every touchpoint drawn, nothing cut."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlens.metrics import scorecard
from cxlens.report.journey_health import (ABOVE_SIG, BELOW, BELOW_SIG, HEALTH_STATES, MEETS, NO_DATA, NO_TARGET,
                                          metric_health, touchpoint_health)
from cxlens.report.journey_map import Layout, draw_map, map_page
from cxlens.report.journey_sections import journey_map_section
from cxlens.report.components import Figure
from cxlens.report.sections import report_contents

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("value, low, high, state", [
    (4.3, 4.1, 4.5, ABOVE_SIG),   # the whole interval above 4.0
    (4.1, 3.9, 4.3, MEETS),       # estimate reaches it, the interval straddles it
    (3.9, 3.7, 4.1, BELOW),       # estimate misses it, the interval still reaches it: maybe noise
    (3.7, 3.5, 3.9, BELOW_SIG),   # the whole interval below
    (4.0, 3.8, 4.2, MEETS),       # on the target
])
def test_metric_health_reads_the_interval_against_the_target(value, low, high, state):
    assert metric_health(value, low, high, 4.0) == state


def row(touchpoint, stage, order, health, **figures):
    base = {"touchpoint": touchpoint, "name": touchpoint.replace("_", " ").title(), "stage": stage, "stage_order": order,
            "channel": "app", "owner": "Team", "moment_of_truth": False, "targets": {}, "health": health,
            "health_detail": "", "gap_shortfall": False}
    return {**base, **figures}


def cards(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("data-touchpoint"): g for g in root.iter(f"{SVG}g") if g.get("class") == "card"}


def test_draw_map_puts_stages_in_journey_order_and_escapes_names():
    frame = pd.DataFrame([row("b1", "buy", 1, MEETS), row("a1", "aware", 0, BELOW_SIG),
                          row("x", "aware", 0, NO_DATA, name="Tom & <Jerry>", moment_of_truth=True)])
    svg = draw_map(frame, {"x": 1.0, "a1": 2.0})
    drawn = cards(svg)
    assert set(drawn) == {"a1", "b1", "x"} and drawn["x"].get("data-health") == NO_DATA
    x = {tp: float(g.find(f"{SVG}rect").get("x")) for tp, g in drawn.items()}
    y = {tp: float(g.find(f"{SVG}rect").get("y")) for tp, g in drawn.items()}
    assert x["a1"] == x["x"] < x["b1"]            # stage columns in stage order
    assert y["x"] < y["a1"]                       # within a stage: the order customers reach them
    assert "Tom &amp; &lt;Jerry&gt;" in svg and "★" in ET.tostring(drawn["x"], encoding="unicode")
    for state in HEALTH_STATES:
        assert f">{state}</tspan>" in svg         # the legend names every colour


def test_no_card_line_is_longer_than_the_card_holds():
    long = "A touchpoint with an unusually long descriptive name that goes on"
    frame = pd.DataFrame([row("t", "s", 0, BELOW, name=long, owner="Customer relations and escalations department",
                              csat=3.4567, csat_ci_low=3.1, csat_ci_high=3.8, n_csat=400, nps=-12.0, nps_ci_low=-20.0,
                              nps_ci_high=-4.0, n_nps=300, expectation_gap=-0.5, expectation_gap_ci_low=-0.8,
                              expectation_gap_ci_high=-0.2, gap_shortfall=True, targets={"csat": 3.8, "nps": 0})])
    layout = Layout()
    texts = [t for t in cards(draw_map(frame, layout=layout))["t"].iter(f"{SVG}text") if t.text and t.text != "★"]
    assert all(len(t.text) <= layout.chars(bold=True) + 6 for t in texts)
    assert any(t.text.endswith("…") for t in texts)   # cut visibly, never silently
    assert any(t.text.startswith("gap −0.50") and t.get("fill") == "#c53030" for t in texts)


@pytest.fixture(scope="module")
def demo(demo_store_copy):
    store, _, _ = demo_store_copy()
    yield store
    store.close()


def test_demo_health_uses_the_scorecard_figures_and_flags_the_planted_breakpoint(demo):
    store = demo
    health = touchpoint_health(store, min_n=30).set_index("touchpoint")
    card = scorecard(store, min_n=30).set_index("touchpoint")
    assert len(health) == 26
    measured = health.index[health["csat"].notna()]
    assert (health.loc[measured, "csat"] == card.loc[measured, "csat"]).all()
    assert health.loc["port_in", "health"] == BELOW_SIG and health.loc["port_in", "gap_shortfall"]
    flagged = set(health.index[health["moment_of_truth"]])
    assert {"support_call", "billing_inquiry", "port_in"} <= flagged
    few = health[(health[["n_csat", "n_nps", "n_ces"]].fillna(0) < 30).all(axis=1)]
    assert (few["health"] == NO_DATA).all()
    assert set(health["health"]) <= set(HEALTH_STATES) - {NO_TARGET}   # every demo touchpoint has a target


def test_demo_map_draws_every_touchpoint_within_the_picture(demo):
    store = demo
    section = journey_map_section(store, 30)
    (figure,) = [b for b in section.blocks if isinstance(b, Figure)]
    root = ET.fromstring(figure.svg)
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    drawn = cards(figure.svg)
    assert len(drawn) == 26
    assert width <= 1600                                  # 8 stages fit a normal screen
    for g in drawn.values():
        r = g.find(f"{SVG}rect")
        assert float(r.get("x")) + float(r.get("width")) <= width and float(r.get("y")) + float(r.get("height")) <= height
    boxes = sorted((float(g.find(f"{SVG}rect").get("x")), float(g.find(f"{SVG}rect").get("y")),
                    float(g.find(f"{SVG}rect").get("height"))) for g in drawn.values())
    for (x1, y1, h1), (x2, y2, _) in zip(boxes, boxes[1:]):
        assert x1 != x2 or y1 + h1 < y2                   # cards in one column never overlap


def test_report_has_the_map_section_and_cli_writes_svg_and_html(demo, tmp_path):
    store = demo
    assert "journey-map" in [s.id for s in report_contents(store, 30).sections]
    assert map_page("<svg/>", "T & T").count("<svg/>") == 1


def test_cli_journey_map_writes_svg_and_html_and_refuses_other_formats(demo_store_copy, tmp_path):
    from cxlens.cli import app

    store, _, _ = demo_store_copy()
    url = store.url
    store.close()
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "ws"), "--store", url]).exit_code == 0
    ws = ["--workspace", str(tmp_path / "ws")]
    for name in ("m.svg", "m.html"):
        result = runner.invoke(app, ["journey", "map", "--out", str(tmp_path / name), *ws])
        assert result.exit_code == 0, result.output
        assert re.search(r"\d+ below target significantly", result.output)
        assert "data-touchpoint=\"port_in\"" in (tmp_path / name).read_text()
    result = runner.invoke(app, ["journey", "map", "--out", str(tmp_path / "m.pdf"), *ws])
    assert result.exit_code != 0 and ".svg, .html or .png" in result.output


def test_report_journey_sections_show_the_paths_figures_once_events_are_loaded(demo_store_copy):
    from cxlens.ingest import load
    from cxlens.journey import paths
    from cxlens.report.components import TableBlock
    from cxlens.report.journey_sections import PATH_STEPS, TOP_PATHS, paths_section, sankey_section

    store, files, _ = demo_store_copy()
    load(store, files.tables()["events"], "events")
    try:
        (rows,) = [b for b in paths_section(store, 30).blocks if isinstance(b, TableBlock)]
        want = paths(store, steps=PATH_STEPS, top=TOP_PATHS, collapse_repeats=True)
        keys = [c.key for c in rows.columns]
        assert [r[keys.index("customers")] for r in rows.rows] == want["customers"].tolist()
        assert sum(r[keys.index("share")] for r in rows.rows) == pytest.approx(100)
        (figure,) = [b for b in sankey_section(store, 30).blocks if isinstance(b, Figure)]
        assert figure.svg.startswith("<svg") and "step 1: " in figure.svg
        ids = [s.id for s in report_contents(store, 30).sections]
        assert ids.index("journey-map") < ids.index("journey-paths") < ids.index("journey-sankey")
    finally:
        store.close()


def test_moments_section_shows_the_moments_table_and_names_where_the_map_is_wrong(monkeypatch):
    from cxlens.journey.moments import VERDICTS
    from cxlens.report import journey_sections
    from cxlens.report.components import Paragraph, TableBlock

    frame = pd.DataFrame({"moment": ["truth", "truth", "magic"], "rank": [1, 2, 1],
                          "touchpoint": ["port_in", "first_bill", "data_topup"], "hazard_ratio": [2.1, 1.05, 0.7],
                          "ci_lower": [1.6, 0.8, 0.5], "ci_upper": [2.8, 1.4, 0.9], "p_adjusted": [0.001, 0.7, 0.02],
                          "exposed_customers": [400, 300, 500], "flagged": [False, True, False],
                          "verdict": [VERDICTS["unflagged_effect"], VERDICTS["flagged_none"], VERDICTS["magic"]]})
    monkeypatch.setattr(journey_sections, "moments", lambda store: frame)
    section = journey_sections.moments_section(None, 30)
    (rows,) = [b for b in section.blocks if isinstance(b, TableBlock)]
    assert [r[2] for r in rows.rows] == ["port_in", "first_bill", "data_topup"]
    (wrong,) = [b for b in section.blocks if isinstance(b, Paragraph)]
    assert "port_in (moment of truth, not flagged in the map)" in wrong.text and "first_bill (flagged but" in wrong.text
    assert "data_topup" not in wrong.text
    monkeypatch.setattr(journey_sections, "moments", lambda store: frame.iloc[:0])
    assert journey_sections.moments_section(None, 30) is None


def test_breakpoints_section_ranks_the_planted_breakpoint_first_on_the_demo(demo_store_copy):
    from cxlens.ingest import load
    from cxlens.report.components import TableBlock
    from cxlens.report.journey_sections import breakpoints_section

    store, files, _ = demo_store_copy()
    load(store, files.tables()["events"], "events")
    try:
        (rows,) = [b for b in breakpoints_section(store, 30).blocks if isinstance(b, TableBlock)]
        keys = [c.key for c in rows.columns]
        first = dict(zip(keys, rows.rows[0]))
        assert first["rank"] == 1 and first["touchpoint"] == "port_in" and "exits" in first["evidence"]
        assert first["exit_low"] <= first["exit_rate"] <= first["exit_high"] and first["exit_rate"] > 1  # in %
    finally:
        store.close()
