"""Small groups through the real CLI: a 3-customer segment is an empty cell in the table, JSON, CSV and report."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "cxlens"]
# vip: 3 customers answering 6 times each (18 answers, all 0: NPS -100), beside three large segments
SEGMENTS = {"vip": 3, "family": 20, "value": 30, "business": 12}


def cxlens(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small-groups")
    assert cxlens("init", str(root)).returncode == 0
    (root / "journey.yaml").write_text("stages: [advocacy]\ntouchpoints:\n  - {id: relationship, name: Relationship, stage: advocacy}\n")
    customers, answers = ["customer_id,signup_date,segment,region"], ["response_id,customer_id,ts,touchpoint_id,metric,score"]
    k = 0
    for segment, count in SEGMENTS.items():
        for i in range(count):
            cid = f"{segment}{i}"
            customers.append(f"{cid},2024-01-01,{segment},north")
            for j in range(6 if segment == "vip" else 2):
                score = 0 if segment == "vip" else (10, 9, 7, 5)[(i + j) % 4]
                answers.append(f"R{k},{cid},2024-02-{1 + j:02d} 10:00:00,relationship,nps,{score}")
                k += 1
    for kind, lines in (("customers", customers), ("responses", answers)):
        path = root / f"{kind}.csv"
        path.write_text("\n".join(lines) + "\n")
        proc = cxlens("load", str(path), "--kind", kind, "--workspace", str(root))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def test_nps_by_segment_shows_the_three_customer_segment_empty_with_a_note(workspace):
    proc = cxlens("nps", "--by", "segment", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    vip = next(line for line in proc.stdout.splitlines() if "vip" in line)
    assert not any(ch.isdigit() for ch in vip), vip  # no n, no score, no interval: an empty row
    assert "-100" not in proc.stdout and " 18 " not in proc.stdout
    assert "fewer than 5 customers" in " ".join(proc.stdout.split())


def test_nps_json_and_csv_hold_no_figure_of_the_small_segment_nor_of_its_complement(workspace):
    rows = json.loads(cxlens("nps", "--by", "segment", "--format", "json", "--workspace", str(workspace)).stdout)
    by = {r["segment"]: r for r in rows}
    assert all(v is None for k, v in by["vip"].items() if k != "segment")
    total = json.loads(cxlens("nps", "--format", "json", "--workspace", str(workspace)).stdout)[0]["n"]
    published = sum(r["n"] for r in rows if r["n"] is not None)
    assert total - published != 18  # the total minus the published cells does not give vip's answers
    assert by["business"]["n"] is None  # the next smallest segment went with it
    table = list(csv.DictReader(io.StringIO(cxlens("nps", "--by", "segment", "--format", "csv", "--workspace",
                                                   str(workspace)).stdout)))
    assert [r["nps"] for r in table if r["segment"] == "vip"] == [""]


def test_min_group_may_only_be_raised(workspace):
    low = cxlens("nps", "--by", "segment", "--min-group", "2", "--workspace", str(workspace))
    assert low.returncode != 0 and "min-group" in low.stderr + low.stdout
    high = json.loads(cxlens("nps", "--by", "segment", "--min-group", "25", "--format", "json", "--workspace",
                             str(workspace)).stdout)
    assert [r["segment"] for r in high if r["n"] is not None] == ["value"] or all(r["n"] is None for r in high)


def test_report_does_not_contain_the_small_segment_figure(workspace):
    out = workspace / "report.html"
    proc = cxlens("report", "--output", str(out), "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert "fewer than 5 customers" in html
    section = html[html.index("NPS by segment"):]
    chart, rows = section[:section.index("<table")], section[section.index("<table"):section.index("</table>")]
    vip = rows[rows.index("<span>vip</span>"):]
    vip = vip[:vip.index("</tr>")]
    assert re.findall(r'<td class="num">([^<]*)</td>', vip) == [""] * 7  # every figure an empty cell
    assert ">vip<" not in chart  # no bar, no interval drawn for it
    assert ">-100.0<" not in rows and ">18<" not in rows
