"""`--explain` through the real CLI: which source answered (the rollup or the raw answers) and why, on stderr, so
JSON on stdout stays valid; a stale rollup is not read and the warning names `cxlens rollup rebuild`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import allow_small_groups

from cxlens.workspace import Workspace

CLI = [sys.executable, "-m", "cxlens"]


def cxlens(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """80 customers in two segments answering NPS, CSAT and CES five times each on one day at two touchpoints, loaded
    as `cxlens load` loads (Workspace.load, which keeps the rollup current). Five answers per rollup row: the size
    rule (D48) lets the rollup answer where it is 4x shorter than the answers."""
    root = tmp_path_factory.mktemp("explain")
    assert cxlens("init", str(root)).returncode == 0
    allow_small_groups(root)  # the cells are small: what is tested is the source, not suppression
    (root / "journey.yaml").write_text("stages: [purchase, support]\ntouchpoints:\n"
                                       "  - {id: shop, name: Shop, stage: purchase}\n"
                                       "  - {id: call, name: Call, stage: support}\n")
    customers, answers = ["customer_id,signup_date,segment,region"], ["response_id,customer_id,ts,touchpoint_id,metric,score"]
    for i in range(80):
        customers.append(f"C{i},2024-01-01,{'family' if i % 2 else 'value'},{'north' if i % 3 else 'south'}")
        for j, (metric, top) in enumerate((("nps", 10), ("csat", 5), ("ces", 7))):
            for k in range(5):
                answers.append(f"R{i}-{j}-{k},C{i},2024-0{1 + i % 3}-{1 + i % 27:02d} 1{k}:00:00,"
                               f"{'shop' if i % 4 else 'call'},{metric},{(i * 7 + j + k) % top + (0 if metric == 'nps' else 1)}")
    ws = Workspace.open(root)
    for kind, lines in (("customers", customers), ("responses", answers)):
        (root / f"{kind}.csv").write_text("\n".join(lines) + "\n")
        ws.load(root / f"{kind}.csv", kind)  # what `cxlens load` runs: the rollup is kept current
    return root


def explained(stderr: str) -> list[str]:
    return [" ".join(line.split()) for line in stderr.splitlines() if line.startswith("explain:")]


def test_nps_explain_says_the_rollup_answered_and_json_stays_valid(workspace):
    proc = cxlens("nps", "--by", "touchpoint,segment", "--period", "month", "--format", "json", "--explain",
                  "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert sum(r["n"] for r in rows) == 400
    lines = explained(proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("explain: nps: rollup:"), proc.stderr
    assert "customers" in lines[0] and "exactly" in lines[0]  # the distinct customers still come from the answers


def test_weighted_csat_explain_says_raw_and_why(workspace):
    proc = cxlens("csat", "--by", "segment", "--weighted", "--explain", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    lines = explained(proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("explain: csat: raw: weighted"), proc.stderr


def test_scorecard_explain_names_every_family_of_figures(workspace):
    proc = cxlens("scorecard", "--format", "json", "--explain", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)
    lines = explained(proc.stderr)
    assert [line.split(":")[1].strip() for line in lines] == ["nps", "csat", "ces", "expectation gap (expectation and csat, unweighted)",
                                                               "ticket outcomes"], lines
    assert all(" rollup: " in line for line in lines[:3])


def test_an_edited_store_is_read_raw_and_the_warning_names_the_rebuild(workspace, tmp_path):
    copy = tmp_path / "ws"
    subprocess.run(["cp", "-r", str(workspace), str(copy)], check=True)
    con = duckdb.connect(str(copy / "cx.duckdb"))
    con.execute("DELETE FROM responses WHERE response_id = 'R0-0-0'")  # behind the rollup's back
    con.close()
    proc = cxlens("nps", "--format", "json", "--explain", "--workspace", str(copy))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["n"] == 399  # the raw answers answered: the deleted one is gone
    assert explained(proc.stderr)[0].startswith("explain: nps: raw:")
    assert "cxlens rollup rebuild" in proc.stderr
    assert cxlens("rollup", "rebuild", "--workspace", str(copy)).returncode == 0
    again = cxlens("nps", "--format", "json", "--explain", "--workspace", str(copy))
    assert json.loads(again.stdout)[0]["n"] == 399 and explained(again.stderr)[0].startswith("explain: nps: rollup:")


def test_a_rollup_about_as_long_as_the_answers_is_not_read_by_the_library_and_explain_says_why(tmp_path):
    root = tmp_path / "ws"
    assert cxlens("init", str(root)).returncode == 0
    (root / "journey.yaml").write_text("stages: [purchase]\ntouchpoints:\n  - {id: shop, name: Shop, stage: purchase}\n")
    (root / "customers.csv").write_text("customer_id,segment\n" + "".join(f"C{i},family\n" for i in range(20)))
    (root / "responses.csv").write_text("response_id,customer_id,ts,touchpoint_id,metric,score\n" + "".join(
        f"R{i},C{i},2024-01-{1 + i:02d} 10:00:00,shop,nps,{i % 11}\n" for i in range(20)))
    ws = Workspace.open(root)
    for kind in ("customers", "responses"):
        ws.load(root / f"{kind}.csv", kind)
    # the library's planner (a bootstrap interval is the library's alone): the size rule sends it to the answers
    proc = cxlens("nps", "--by", "segment", "--ci", "bootstrap", "--format", "json", "--explain", "--workspace", str(root))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["n"] == 20 and "customers" not in json.loads(proc.stdout)[0]
    line = explained(proc.stderr)[0]
    assert line.startswith("explain: nps: raw: the rollup (20 rows) is not 4x smaller than the answers (20)"), line
    # the quick path (D61) is not bound by the library's size rule: it reads the rollup, and says so
    quick = cxlens("nps", "--by", "segment", "--format", "json", "--explain", "--workspace", str(root))
    assert quick.returncode == 0 and json.loads(quick.stdout)[0]["n"] == 20
    assert explained(quick.stderr)[0].startswith("explain: nps: rollup:"), quick.stderr
