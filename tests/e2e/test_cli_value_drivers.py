"""`cxlens value drivers` on a workspace loaded with the demo company: ranked JSON/CSV records with the planted
NPS driver order, churn as the outcome, and one-line refusals of bad options."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "cxlens"]


def cxlens(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "250"})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, shared_demo) -> tuple[Path, list[str]]:
    files = shared_demo(3500, 11)
    root = tmp_path_factory.mktemp("value-drivers")
    assert cxlens("init", str(root)).returncode == 0
    shutil.copy(files.journey, root / "journey.yaml")
    for kind in ("customers", "responses", "outcomes"):
        proc = cxlens("load", str(files.tables()[kind]), "--kind", kind, "--workspace", str(root))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, json.loads(files.truth.read_text())["nps_drivers"]["ranking"]


def test_drivers_json_ranks_the_planted_nps_drivers_first(workspace):
    root, ranking = workspace
    proc = cxlens("value", "drivers", "--boot", "50", "--format", "json", "--workspace", str(root))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["driver"] for r in rows[:len(ranking)]] == ranking
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    first = rows[0]
    assert {"weight", "weight_ci_low", "weight_ci_high", "shapley", "share", "performance", "quadrant", "note"} <= set(first)
    assert first["weight_ci_low"] <= first["weight"] <= first["weight_ci_high"]
    assert sum(r["share"] for r in rows) == pytest.approx(100, abs=0.01)


def test_drivers_of_churn_as_csv_and_a_table_with_its_notes(workspace):
    root, _ = workspace
    proc = cxlens("value", "drivers", "--outcome", "churn", "--boot", "0", "--format", "csv", "--workspace", str(root))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert rows and rows[0]["rank"] == "1"
    table = cxlens("value", "drivers", "--touchpoint", "app_login", "--touchpoint", "bill_payment", "--boot", "20",
                   "--workspace", str(root))
    assert table.returncode == 0, table.stderr
    text = " ".join(table.stdout.split())
    assert "Key drivers of overall NPS" in text and "app_login" in text and "Johnson's relative weight" in text


@pytest.mark.parametrize("args, says", [(("--outcome", "revenue"), "outcome"), (("--metric", "nps"), "metric"),
                                        (("--touchpoint", "nowhere"), "nowhere")])
def test_bad_options_say_so_in_one_line(workspace, args, says):
    root, _ = workspace
    proc = cxlens("value", "drivers", *args, "--workspace", str(root))
    assert proc.returncode != 0 and says in proc.stderr and "Traceback" not in proc.stderr
