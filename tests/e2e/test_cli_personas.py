"""`cxlens personas fit|show|cards` on the demo workspace: the BIC table and stability, profiles in every format,
small personas hidden, erasure reaching table `personas`, and a clear message before any fit."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest

from test_cli_end_to_end import cxlens
from value_workspaces import demo_workspace_copy


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = demo_workspace_copy(tmp_path_factory, "personas-cli")
    proc = cxlens("personas", "fit", "--k", "4", "--seeds", "1", "--resamples", "1", "-w", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, proc


def _stored(root) -> list[tuple]:
    with duckdb.connect(str(root / "cx.duckdb"), read_only=True) as con:
        return con.execute("SELECT customer_id, persona_id, persona, probability FROM personas").fetchall()


def test_fit_prints_the_bic_table_and_stability_and_stores_every_customer(fitted):
    root, proc = fitted
    assert "BIC per number of personas" in proc.stdout and "chosen" in proc.stdout
    assert "Stability, ARI with 1 other seeds" in proc.stdout and "bootstrap resamples" in proc.stdout
    assert "fitting k=4" in proc.stderr
    rows = _stored(root)
    assert len(rows) == 3000 and {r[1] for r in rows} == {"P1", "P2", "P3", "P4"}
    assert all(0 < r[3] <= 1 for r in rows)
    fit = json.loads(cxlens("personas", "fit", "--k", "4", "--seeds", "0", "--resamples", "0", "--format", "json",
                            "-w", str(root)).stdout)
    assert fit["k"] == 4 and list(fit["bic"]) == ["4"] and fit["stability"] is None


def test_fit_on_a_sample_labels_every_customer(fitted):
    root, _ = fitted
    proc = cxlens("personas", "fit", "--seeds", "0", "--resamples", "0", "--sample", "1000", "-w", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    said = " ".join(proc.stdout.split())
    assert "personas of 3000 customers (their number chosen on a sample of 1000) stored" in said, said
    rows = _stored(root)
    k = len({r[1] for r in rows})
    assert len(rows) == 3000 and 3 <= k <= 8 and {r[1] for r in rows} == {f"P{i}" for i in range(1, k + 1)}
    too_small = cxlens("personas", "fit", "--k", "4", "--sample", "20", "-w", str(root))
    assert too_small.returncode != 0 and "use at least 40" in too_small.stdout + too_small.stderr
    assert len(_stored(root)) == 3000  # the refused fit changed nothing


def test_show_and_cards_give_the_profiles(fitted):
    root, _ = fitted
    shown = json.loads(cxlens("personas", "show", "--format", "json", "-w", str(root)).stdout)
    assert sum(p["customers"] for p in shown) == 3000
    assert all(p["share_low"] <= p["share"] <= p["share_high"] for p in shown)
    assert all(p["nps_low"] <= p["nps"] <= p["nps_high"] for p in shown)
    assert all(p["description"].endswith(".") and p["least_satisfied"] for p in shown)
    table = list(csv.DictReader(io.StringIO(cxlens("personas", "show", "--format", "csv", "-w", str(root)).stdout)))
    assert [r["persona_id"] for r in table] == [p["persona_id"] for p in shown]
    cards = cxlens("personas", "cards", "-w", str(root))
    assert cards.returncode == 0 and "P1 · " in cards.stdout and "Weakest" in cards.stdout


def test_personas_under_min_group_are_not_shown(fitted, tmp_path):
    root, _ = fitted
    shown = json.loads(cxlens("personas", "show", "--format", "json", "-w", str(root)).stdout)
    smallest = min(p["customers"] for p in shown)
    config = (root / "cxlens.toml").read_text()
    try:
        (root / "cxlens.toml").write_text(config + f"\n[privacy]\nmin_group = {smallest + 1}\n")
        proc = cxlens("personas", "show", "-w", str(root))
        after = json.loads(cxlens("personas", "show", "--format", "json", "-w", str(root)).stdout)
    finally:
        (root / "cxlens.toml").write_text(config)
    assert len(after) == len(shown) - 1 and smallest not in [p["customers"] for p in after]
    assert "1 persona(s) with fewer than" in proc.stdout


def test_erasure_removes_the_customer_from_table_personas(fitted):
    root, _ = fitted
    gone = _stored(root)[0][0]
    proc = cxlens("forget", gone, "--yes", "-w", str(root))
    assert proc.returncode == 0, proc.stderr
    assert gone not in {r[0] for r in _stored(root)} and len(_stored(root)) == 2999


def test_show_before_any_fit_says_what_to_run(tmp_path):
    assert cxlens("init", str(tmp_path)).returncode == 0
    proc = cxlens("personas", "show", "-w", str(tmp_path))
    assert proc.returncode == 3 and "no customers in the store" in proc.stderr
    (tmp_path / "c.csv").write_text("customer_id,segment\nC1,a\nC2,b\n")
    assert cxlens("load", str(tmp_path / "c.csv"), "--kind", "customers", "-w", str(tmp_path)).returncode == 0
    for command in ("show", "cards"):
        proc = cxlens("personas", command, "-w", str(tmp_path))
        assert proc.returncode == 3 and proc.stderr.strip() == ("nothing to show: no personas were fitted in this store "
                                                                "yet: run `cxlens personas fit`")
