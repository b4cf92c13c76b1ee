"""`cxlens customers` and `cxlens customer ID` through the real CLI on a small workspace (tests/people_fixtures.py
loaded with `cxlens load`, text analyses and personas written to its store), checked against the library."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from people_fixtures import write_derived, write_people_files
from test_cli_end_to_end import cxlens

KINDS = ("customers", "events", "responses", "tickets", "notes", "outcomes")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    from cxlens.store import Store
    from cxlens.workspace import Workspace

    files = write_people_files(tmp_path_factory.mktemp("people-cli-files"))
    root = tmp_path_factory.mktemp("people-cli") / "ws"
    assert cxlens("init", str(root)).returncode == 0
    shutil.copy(files / "journey.yaml", root / "journey.yaml")
    for kind in KINDS:
        proc = cxlens("load", str(files / f"{kind}.csv"), "--kind", kind, "-w", str(root))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    with Store.open(Workspace.open(root).store_url) as store:
        write_derived(store, files)
    return root


def _view(root: Path, **scope) -> pd.DataFrame:
    from cxlens.query import Scope
    from cxlens.workspace import Workspace

    return Workspace.open(root).customer_view(Scope.parse(**scope) if scope else None)


def test_customers_json_is_the_librarys_view(workspace):
    proc = cxlens("customers", "-f", "json", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    rows = pd.DataFrame(json.loads(proc.stdout))
    want = _view(workspace)
    assert list(rows.columns) == list(want.columns) and len(rows) == 30
    assert rows.persona.notna().sum() == 10 and rows.themes.notna().any()
    for col in ("events", "nps_latest", "tickets_per_month", "revenue_month", "digital_share"):
        pd.testing.assert_series_equal(rows[col].astype(float), want[col].astype(float), check_names=False)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_customers_out_writes_every_row_and_column(workspace, tmp_path, suffix):
    out = tmp_path / f"view{suffix}"
    proc = cxlens("customers", "--out", str(out), "--filter", "segment=a", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    written = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    want = _view(workspace, filters=["segment=a"])
    assert list(written.columns) == list(want.columns) and list(written.customer_id) == list(want.customer_id)
    assert 0 < len(want) < 30 and set(written.segment) == {"a"}
    assert f"Wrote {len(want):,} customers ({len(want.columns)} columns)" in proc.stdout


def test_customers_table_shows_a_head_and_the_row_count(workspace):
    proc = cxlens("customers", "--since", "2024-01-01", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    assert "Customer view: 30 customers" in proc.stdout and "First 20 of 30 rows" in proc.stdout
    assert "C19" in proc.stdout and "C20" not in proc.stdout


def test_customers_out_must_be_parquet_or_csv(workspace, tmp_path):
    proc = cxlens("customers", "--out", str(tmp_path / "view.xlsx"), "-w", str(workspace))
    assert proc.returncode != 0 and "*.parquet or *.csv" in proc.stdout + proc.stderr


def test_customer_shows_the_grouped_view_then_answers_tickets_journey_and_comments(workspace):
    want = _view(workspace).set_index("customer_id")
    cid = want.sort_values(["tickets", "events"]).index[-1]
    proc = cxlens("customer", cid, "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"Customer {cid}" in out
    for group in ("who", "behaviour", "experience", "value", "needs", "persona"):
        assert f"│ {group}" in out, group
    positions = [out.index(title) for title in ("Answers (", "Tickets (", "Journey (", "Comments (")]
    assert positions == sorted(positions)
    assert f"Journey ({want.loc[cid, 'events']} events)" in out and f"Tickets ({want.loc[cid, 'tickets']})" in out


def test_customer_json_is_the_librarys_record(workspace):
    from cxlens.workspace import Workspace

    proc = cxlens("customer", "C03", "-f", "json", "-w", str(workspace))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    want = json.loads(json.dumps(Workspace.open(workspace).customer("C03"), default=str))
    assert got == want and set(got) == {"customer_id", "view", "answers", "tickets", "journey", "comments"}


def test_an_unknown_customer_is_a_clear_error(workspace):
    proc = cxlens("customer", "C-nobody", "-w", str(workspace))
    assert proc.returncode != 0
    assert "C-nobody" in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
