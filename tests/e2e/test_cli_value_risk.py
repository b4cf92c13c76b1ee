"""`cxlens value risk` and `cxlens value roadmap` on a workspace loaded with the demo company: validation figures,
reliability deciles, factors and the riskiest customers; the roadmap of the demo's initiatives.yaml with and
without a budget; one-line errors for a bad option and a bad initiatives file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from value_workspaces import loaded_workspace

from cxlens import demo_app

CLI = [sys.executable, "-m", "cxlens"]


def cxlens(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=400, env={**os.environ, "COLUMNS": "250"})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, shared_demo) -> Path:
    root = loaded_workspace(tmp_path_factory, shared_demo(3500, 11), "value-risk",
                            ("customers", "responses", "tickets", "outcomes"))
    shutil.copy(demo_app._DEMO_INITIATIVES, root / "initiatives.yaml")
    return root


def test_risk_table_shows_validation_reliability_factors_and_customers(workspace):
    proc = cxlens("value", "risk", "--top", "7", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    for title in ("Churn risk: validation", "Reliability (validation deciles", "Risk factors", "Riskiest active customers"):
        assert title in text
    assert "customer bootstrap" in text and "nps_detractor" in text and "raises risk" in text


def test_risk_json_part_gives_one_record_per_row(workspace):
    proc = cxlens("value", "risk", "--part", "reliability", "--format", "json", "--horizon", "2", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["decile"] for r in rows] == list(range(1, 11))
    assert all(r["ci_low"] <= r["observed"] <= r["ci_high"] and r["n"] > 100 for r in rows)


def test_risk_refuses_an_unknown_part_in_one_line(workspace):
    proc = cxlens("value", "risk", "--part", "everything", "--workspace", str(workspace))
    assert proc.returncode != 0 and "--part" in proc.stderr and "Traceback" not in proc.stderr


def test_roadmap_orders_the_demo_initiatives(workspace):
    proc = cxlens("value", "roadmap", "--format", "json", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) == 5
    first = rows[0]
    assert first["id"] == "app-login-fix" and first["start_month"] == 0 and first["funded_by"] == "budget"
    scheduled = [r for r in rows if r["status"] == "scheduled"]
    assert [r["payback_months"] for r in scheduled] == sorted(r["payback_months"] for r in scheduled)
    rich = json.loads(cxlens("value", "roadmap", "--budget", "1000000", "--format", "json", "--workspace",
                             str(workspace)).stdout)
    assert all(r["start_month"] == 0 for r in rich if r["status"] == "scheduled")


def test_roadmap_names_the_file_initiative_and_field(workspace, tmp_path):
    bad = tmp_path / "plans.yaml"
    bad.write_text((workspace / "initiatives.yaml").read_text().replace("cost: 30000", "cost: lots"))
    proc = cxlens("value", "roadmap", "--initiatives", str(bad), "--workspace", str(workspace))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert str(bad) in proc.stderr and "initiative 2 ('clear-bills')" in proc.stderr and "cost" in proc.stderr


def test_risk_reliability_deciles_under_min_group_are_emptied(workspace):
    proc = cxlens("value", "risk", "--part", "reliability", "--format", "json", "--min-group", "100000",
                  "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["decile"] for r in rows] == list(range(1, 11))
    assert all(r["observed"] is None and r["n"] is None for r in rows)
