"""End to end through the real CLI: demo company -> load -> `cxlens nps`, checked by brute force."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import build_once

CLI = [sys.executable, "-m", "cxlens"]


def cxlens(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}  # a wide "terminal", so table cells are not truncated
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=600, env=env)


def run_demo_command(root: Path) -> None:
    proc = cxlens("demo", "--customers", "3000", "--seed", "11", "--dir", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Overall NPS" in proc.stdout and "Report:" in proc.stdout, proc.stdout
    # the survey export without CRM ids was matched to customers, and the summary says how well (planted truth)
    found = re.search(r"Identity \(aspect_survey.csv\): ([\d,]+) of ([\d,]+) records linked.*precision ([\d.]+), "
                      r"recall ([\d.]+)", proc.stdout.replace("\n", " "))
    assert found, proc.stdout
    linked, records = (int(found.group(i).replace(",", "")) for i in (1, 2))
    assert 0.9 * records <= linked <= records
    assert float(found.group(3)) >= 0.99 and float(found.group(4)) >= 0.9


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A workspace made by `cxlens demo` (once per run, whichever xdist worker asks first), copied for
    this module: the tests here load into it."""
    built = build_once(tmp_path_factory, "shared-cli-demo-3000-11", run_demo_command)
    root = tmp_path_factory.mktemp("demo") / "workspace"
    shutil.copytree(built, root)
    return root


def brute_force_nps_by_touchpoint(root: Path) -> pd.DataFrame:
    """NPS per touchpoint straight from the generated CSV, with the validation rules re-implemented in pandas."""
    data = root / "data"
    responses = pd.read_csv(data / "responses.csv", dtype=str)
    customers = set(pd.read_csv(data / "customers.csv", dtype=str)["customer_id"])
    touchpoints = {t["id"] for t in yaml.safe_load((root / "journey.yaml").read_text())["touchpoints"]}
    r = responses[responses["metric"] == "nps"].copy()
    r["score"] = pd.to_numeric(r["score"], errors="coerce")
    r["ts_ok"] = pd.to_datetime(r["ts"], errors="coerce", format="mixed").notna()
    r = r[r["response_id"].notna() & r["score"].between(0, 10) & r["customer_id"].isin(customers)
          & r["touchpoint_id"].isin(touchpoints) & r["ts_ok"]]
    r = r.drop_duplicates("response_id", keep="last")
    g = r.groupby("touchpoint_id")["score"]
    out = pd.DataFrame({"n": g.size(), "promoters": g.apply(lambda s: (s >= 9).sum()), "detractors": g.apply(lambda s: (s <= 6).sum())})
    out["nps"] = 100 * (out["promoters"] - out["detractors"]) / out["n"]
    # adjusted Wald, computed independently here: Lewis & Sauro 2021
    n_adj = out["n"] + 3
    p, d = (out["promoters"] + 0.75) / n_adj, (out["detractors"] + 0.75) / n_adj
    half = 1.959964 * np.sqrt((p + d - (p - d) ** 2) / n_adj)
    out["ci_low"], out["ci_high"] = 100 * (p - d - half), 100 * (p - d + half)
    return out


def test_demo_writes_a_report_truth_and_a_loaded_store(demo):
    assert (demo / "report.html").stat().st_size > 5_000
    truth = json.loads((demo / "data" / "truth.json").read_text())
    assert truth  # the planted effects are recorded
    html = (demo / "report.html").read_text()
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")  # self-contained
    assert "&lt;NA&gt;" not in html and ">nan<" not in html.lower()  # missing figures are empty cells
    assert 'class="status-meets"' in html and 'class="status-below_target' in html  # targets both met and missed
    assert "personas (by BIC)" in html and "P1 · " in html  # the demo fits personas: their cards are in the report


def test_nps_by_touchpoint_json_matches_brute_force(demo):
    proc = cxlens("nps", "--by", "touchpoint", "--format", "json", "--workspace", str(demo))
    assert proc.returncode == 0, proc.stderr
    got = pd.DataFrame(json.loads(proc.stdout)).set_index("touchpoint")
    assert {"n", "nps", "promoters_pct", "passives_pct", "detractors_pct", "ci_low", "ci_high"} <= set(got.columns)
    want = brute_force_nps_by_touchpoint(demo)
    assert set(got.index) == set(want.index)
    for col in ("n", "nps", "ci_low", "ci_high"):
        np.testing.assert_allclose(got.loc[want.index, col].astype(float), want[col].astype(float), atol=1e-6, err_msg=col)


def test_quarantine_holds_exactly_the_planted_bad_rows(demo):
    proc = cxlens("quarantine", "--limit", "0", "--format", "json", "--workspace", str(demo))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    truth = json.loads((demo / "data" / "truth.json").read_text())["bad_rows"]
    assert truth, "the demo plants bad rows"
    for kind, planted in truth.items():
        refused = {r["row_number"] for r in rows if r["kind"] == kind and Path(r["file"]).name == f"{kind}.csv"}
        # truth gives CSV line numbers (the header is line 1); quarantine counts data rows
        assert refused == {row["line"] - 1 for row in planted["rows"]}, kind
        assert len(refused) == planted["total"]
    # the per-aspect survey's rows are refused only when identity resolution linked the respondent to nobody
    survey = [r for r in rows if Path(r["file"]).name == "aspect_survey.csv"]
    assert survey and all("no customer matched" in r["reason"] or "listed for review" in r["reason"] for r in survey)


def test_nps_csv_and_table_outputs_carry_the_same_cells(demo):
    as_csv = cxlens("nps", "--by", "segment", "--format", "csv", "-w", str(demo))
    as_json = cxlens("nps", "--by", "segment", "--format", "json", "-w", str(demo))
    frame = pd.read_csv(pd.io.common.StringIO(as_csv.stdout))
    assert list(frame["segment"]) == [r["segment"] for r in json.loads(as_json.stdout)]
    table = cxlens("nps", "--by", "segment", "-w", str(demo))
    assert table.returncode == 0 and all(s in table.stdout for s in frame["segment"])


def test_a_bad_file_fails_with_one_clear_message_and_exit_code_1(demo, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,ts,touchpoint_id,metric,score\nC1,2024-01-01,x,nps,9\n")
    proc = cxlens("load", str(bad), "--kind", "responses", "-w", str(demo))
    assert proc.returncode == 1
    assert "bad.csv" in proc.stderr and "response_id" in proc.stderr and "Traceback" not in proc.stderr


def test_a_second_identical_load_through_the_cli_changes_nothing(demo):
    proc = cxlens("load", str(demo / "data" / "tickets.csv"), "--kind", "tickets", "-w", str(demo))
    assert proc.returncode == 0, proc.stderr
    assert " 0 inserted + 0 updated + " in proc.stdout


def test_init_then_an_unknown_workspace_is_explained(tmp_path):
    proc = cxlens("nps", "--by", "touchpoint", "-w", str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and "cxlens init" in proc.stderr
    assert cxlens("init", str(tmp_path / "ws")).returncode == 0
    assert (tmp_path / "ws" / "cxlens.toml").exists() and (tmp_path / "ws" / "journey.yaml").exists()


def test_report_command_writes_every_measurement_section_with_the_library_figures(demo, tmp_path):
    from cxlens.metrics import expectation_gap
    from cxlens.workspace import Workspace

    out = tmp_path / "cx.html"
    proc = cxlens("report", "-w", str(demo), "-o", str(out), "--title", "Q4 review")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = out.read_text(encoding="utf-8")
    for heading in ("Touchpoint scorecard", "What really changed since the period before", "Outcomes: was the problem solved",
                    "What moves CSAT after a ticket", "Expectation vs perception", "What owners believe vs what customers say",
                    "Themes: what they cost in NPS", "Q4 review"):
        assert heading in html, heading
    assert "&lt;NA&gt;" not in html and ">nan<" not in html.lower()
    with Workspace.open(demo).store() as store:
        worst = expectation_gap(store).iloc[0]
    gaps = html[html.index("Expectation vs perception"):]
    body = gaps.index("<tbody>")
    first_row = gaps[body:gaps.index("</tr>", body)]
    assert worst["touchpoint"] in first_row and f"{worst['gap']:.2f}" in first_row  # the largest shortfall first
    assert "resolution_days" in html  # the planted driver of CSAT after tickets


def test_report_outside_a_workspace_fails_clearly(tmp_path):
    proc = cxlens("report", "-w", str(tmp_path), "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 1 and "not a cxlens workspace" in proc.stderr and not (tmp_path / "r.html").exists()


def test_gaps_per_aspect_recover_the_planted_first_bill_shortfall(demo):
    proc = cxlens("gaps", "--kind", "expectation", "--by", "touchpoint,aspect", "--format", "json", "-w", str(demo))
    assert proc.returncode == 0, proc.stderr
    got = pd.DataFrame(json.loads(proc.stdout))
    assert set(got["aspect"]) == {"functional", "emotional", "experiential", "overall"}
    planted = json.loads((demo / "data" / "truth.json").read_text())["aspect_gaps"]["expected_gap"]["first_bill"]
    first_bill = got[(got["touchpoint"] == "first_bill") & (got["aspect"] != "overall")].set_index("aspect")
    assert first_bill["gap"].idxmin() == "emotional"
    emotional = first_bill.loc["emotional"]
    se = (emotional["ci_high"] - emotional["ci_low"]) / (2 * 1.96)
    assert abs(emotional["gap"] - planted["emotional"]) < 3 * se and emotional["ci_high"] < 0
