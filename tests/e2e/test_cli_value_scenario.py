"""`cxlens value scenario` and `cxlens value trend` on a workspace loaded with the demo company: money per year
overall and per segment with the currency of [value], small segments suppressed with their complement, the
trend's hazard ratios and sentence, and one-line refusals of bad moves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from value_workspaces import loaded_workspace

CLI = [sys.executable, "-m", "cxlens"]


def cxlens(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "250"})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, shared_demo) -> Path:
    return loaded_workspace(tmp_path_factory, shared_demo(3500, 11), "value-scenario", ("customers", "responses", "outcomes"),
                            toml='\n[value]\ncurrency = "USD"\nupgrade_value = 120.0\nreferral_value = 60.0\n')


def test_scenario_json_gives_money_overall_then_per_segment_for_each_move(workspace):
    proc = cxlens("value", "scenario", "--move", "detractor:passive:5%", "--move", "passive:promoter:10%", "--boot", "30",
                  "--format", "json", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    for move, share in (("detractor->passive", 0.05), ("passive->promoter", 0.10)):
        mine = [r for r in rows if r["move"] == move]
        assert mine[0]["segment"] == "(all)" and len(mine) == 9  # overall + the demo's 8 segments
        overall = mine[0]
        assert overall["currency"] == "USD" and overall["share"] == pytest.approx(share)
        assert overall["ci_low"] <= overall["value_per_year"] <= overall["ci_high"] and overall["value_per_year"] > 0
        assert sum(r["customers_in_group"] for r in mine[1:]) == overall["customers_in_group"]
        assert sum(r["value_per_year"] for r in mine[1:]) == pytest.approx(overall["value_per_year"], rel=1e-6)
        parts = overall["revenue_value"] + overall["cost_value"] + overall["upgrades_value"] + overall["referrals_value"]
        assert overall["value_per_customer"] == pytest.approx(parts, rel=1e-6)
        assert overall["upgrades_value"] != 0  # upgrade_value from [value] counts
        assert overall["e_value"] >= overall["e_value_ci"] >= 1


def test_scenario_table_says_the_e_value_and_the_interval_method(workspace):
    proc = cxlens("value", "scenario", "--move", "detractor:passive:5%", "--by", "none", "--boot", "20",
                  "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "USD" in text and "E-value" in text and "percentile bootstrap" in text and "(all)" in text


def test_scenario_suppresses_small_segments_with_a_complement(workspace):
    proc = cxlens("value", "scenario", "--move", "detractor:passive:5%", "--boot", "0", "--min-group", "60",
                  "--format", "json", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    hidden = [r for r in rows if r["value_per_year"] is None]
    assert len(hidden) >= 2  # the small segment and one more, so no subtraction from the overall row gives it away
    assert rows[0]["segment"] == "(all)" and rows[0]["value_per_year"] is not None


@pytest.mark.parametrize("move, words", [
    ("promoter:detractor:5%", "better group"),
    ("detractor:fan:5%", "unknown group 'fan'"),
    ("detractor:passive", "FROM:TO:SHARE"),
])
def test_scenario_refuses_a_bad_move_in_one_line(workspace, move, words):
    proc = cxlens("value", "scenario", "--move", move, "--workspace", str(workspace))
    assert proc.returncode != 0 and words in proc.stderr and "--move" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_trend_gives_hazard_ratios_per_year_and_the_change(workspace):
    proc = cxlens("value", "trend", "--format", "json", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    hr = {r["year"]: r for r in rows if r["measure"] == "churn_hazard_ratio"}
    assert set(hr) == {"2024", "2025", "2024->2025"}
    assert hr["2025"]["estimate"] > hr["2024"]["estimate"] > 1
    assert hr["2024->2025"]["link"] in ("strengthening", "stable", "weakening")
    table = cxlens("value", "trend", "--workspace", str(workspace))
    assert table.returncode == 0, table.stderr
    assert "the link is" in " ".join(table.stdout.split())
