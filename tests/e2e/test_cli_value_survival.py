"""`cxlens value survival` through the real CLI on the demo workspace, checked against the library on the same frame."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_cli_end_to_end import cxlens
from value_workspaces import demo_workspace_copy  # the same shared demo workspace as the end-to-end tests


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return demo_workspace_copy(tmp_path_factory, "survival")


@pytest.fixture(scope="module")
def library(workspace):
    from cxlens.value.dataset import customer_month_frame
    from cxlens.value.survival import churn_hazards
    from cxlens.workspace import Workspace

    ws = Workspace.open(workspace)
    with ws.store() as store:
        frame = customer_month_frame(store, answer_months=ws.value_config.answer_months)
    return frame, churn_hazards(frame, by_year=True)


def test_by_year_json_is_the_library_result_one_record_per_group_and_year(workspace, library):
    proc = cxlens("value", "survival", "--by-year", "-f", "json", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    expected = library[1]
    assert [(r["group"], r["year"]) for r in rows] == list(zip(expected.group, expected.year))
    for r, e in zip(rows, expected.itertuples()):
        assert set(r) == {"group", "year", "hazard_ratio", "ci_low", "ci_high", "p_value", "customers", "events"}
        assert r["hazard_ratio"] == pytest.approx(e.hazard_ratio) and r["customers"] == e.customers
    detractors = {r["year"]: r["hazard_ratio"] for r in rows if r["group"] == "detractor"}
    assert detractors[2025] > detractors[2024] > 1  # the demo's planted drift (2.0 -> 4.0)


def test_table_names_the_model_and_the_ph_verdict(workspace):
    proc = cxlens("value", "survival", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())
    assert "Churn hazard ratios by NPS group" in out and "detractor" in out
    assert "strata segment x plan" in out and "cluster-robust by customer" in out
    assert "proportional hazards hold" in out or "changes with tenure" in out


def test_curves_csv_has_every_tenure_month_and_counts(workspace, library):
    proc = cxlens("value", "survival", "--curves", "-f", "csv", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "nps_group,tenure,at_risk,events,survival,ci_low,ci_high,customers,from_tenure"
    groups = {line.split(",")[0] for line in lines[1:]}
    assert groups == {"detractor", "passive", "promoter"}
    from cxlens.value.survival import retention_curves
    expected = retention_curves(library[0])
    assert len(lines) - 1 == len(expected)
    first = lines[1].split(",")
    assert (first[0], int(first[1]), int(first[2]), int(first[7])) == (
        expected.nps_group[0], expected.tenure[0], expected.at_risk[0], expected.customers[0])
    assert float(first[4]) == pytest.approx(expected.survival[0])


def test_by_without_curves_and_an_unknown_split_are_usage_errors(workspace):
    proc = cxlens("value", "survival", "--by", "segment", "-w", str(workspace))
    assert proc.returncode != 0 and "add --curves" in proc.stderr + proc.stdout
    proc = cxlens("value", "survival", "--curves", "--by", "colour", "-w", str(workspace))
    assert proc.returncode != 0 and "colour" in proc.stderr + proc.stdout
