"""`cxlens value dataset` and `cxlens value groups` through the real CLI on the demo workspace, checked against the
library on the same store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from test_cli_end_to_end import cxlens
from value_workspaces import demo_workspace_copy


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return demo_workspace_copy(tmp_path_factory, "value-dataset")


def _library(workspace: Path, fn, *args, **kwargs):
    from cxlens.workspace import Workspace

    with Workspace.open(workspace).store() as store:
        return fn(store, *args, **kwargs)


def test_dataset_writes_the_librarys_frame_to_parquet(workspace, tmp_path):
    from cxlens.query import Scope
    from cxlens.value.dataset import dataset

    out = tmp_path / "export" / "value.parquet"
    proc = cxlens("value", "dataset", "--out", str(out), "--horizon", "12", "--filter", "segment=family", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    expected = _library(workspace, dataset, Scope.parse(filters=["segment=family"]), horizons=(12,))
    written = pd.read_parquet(out)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert f"Wrote {len(expected):,} answers of {expected.customer_id.nunique():,} customers" in proc.stdout
    assert set(written.segment) == {"family"} and "revenue_12" in written and "revenue_24" not in written


def test_groups_json_is_the_librarys_result_one_record_per_group_and_metric(workspace):
    from cxlens.value.groups import outcomes_by_group

    proc = cxlens("value", "groups", "--horizon", "12", "--by", "segment", "-f", "json", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    expected = _library(workspace, outcomes_by_group, horizon=12, by=("segment",))
    assert [(r["segment"], r["group"], r["metric"]) for r in rows] == list(zip(expected.segment, expected.group, expected.metric))
    for r, e in zip(rows, expected.itertuples()):
        assert r["value"] == pytest.approx(e.value) and r["customers"] == e.customers
        assert (r["ratio"] is None) == pd.isna(e.ratio)
    detractor = next(r for r in rows if r["segment"] == "business_sme" and r["group"] == "detractor" and r["metric"] == "cost_to_serve")
    assert detractor["ratio_ci_low"] > 1  # the demo's planted higher cost to serve of detractors


def test_groups_table_and_csat_band(workspace):
    proc = cxlens("value", "groups", "--band", "csat", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    assert "Outcomes by CSAT band" in proc.stdout and "4-5" in proc.stdout and "ratio_ci_low" in proc.stdout


def test_groups_suppress_small_groups(workspace):
    proc = cxlens("value", "groups", "--by", "segment", "--min-group", "150", "-f", "json", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    hidden = [r for r in rows if r["value"] is None]
    assert hidden and all(r["group"] and r["metric"] and r["customers"] is None for r in hidden)
    shown = [r for r in rows if r["value"] is not None]
    assert shown and all(r["customers"] >= 150 for r in shown)


@pytest.mark.parametrize("args,message", [
    (("groups", "--band", "ces"), "ces"),
    (("groups", "--by", "touchpoint"), "touchpoint"),
    (("dataset", "--out", "value.csv"), "Parquet"),
])
def test_bad_options_say_what_to_use(workspace, args, message):
    proc = cxlens("value", *args, "-w", str(workspace))
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
