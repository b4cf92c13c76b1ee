"""Editing journey.yaml so that a touchpoint with stored rows disappears is refused (the rows would silently show as
(unknown) and leave the scorecard), unless the user says so; the error names each touchpoint and its stored rows."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.errors import ConfigError
from cxlens.ingest import orphaned_references, sync_journey
from cxlens.model.journey import read_journey
from cxlens.workspace import Workspace
from conftest import TINY_CUSTOMERS, TINY_JOURNEY, TINY_TICKETS, tiny_responses_csv

# The tiny journey without `call` (8 CSAT/CES/expectation answers... and 5 tickets reference it).
WITHOUT_CALL = """
stages: [purchase, support, advocacy]
touchpoints:
  - {id: shop, name: Shop, stage: purchase, channel: store}
  - {id: relationship, name: Relationship, stage: advocacy}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    Workspace.create(root)
    (root / "journey.yaml").write_text(textwrap.dedent(TINY_JOURNEY).lstrip(), encoding="utf-8")
    ws = Workspace.open(root)
    for kind, text in (("customers", TINY_CUSTOMERS), ("responses", tiny_responses_csv()), ("tickets", TINY_TICKETS)):
        (root / f"{kind}.csv").write_text(text, encoding="utf-8")
        ws.load(root / f"{kind}.csv", kind)
    (root / "journey.yaml").write_text(textwrap.dedent(WITHOUT_CALL).lstrip(), encoding="utf-8")
    return ws


def _call_rows(ws: Workspace) -> dict[str, int]:
    with ws.store() as store:
        r, t, tp = store.table("responses"), store.table("tickets"), store.table("touchpoints")
        return {"responses": int(r.filter(r.touchpoint_id == "call").count().execute()),
                "tickets": int(t.filter(t.touchpoint_id == "call").count().execute()),
                "touchpoints": int(tp.filter(tp.touchpoint_id == "call").count().execute())}


def test_orphaned_references_counts_stored_rows_per_removed_touchpoint(workspace):
    with workspace.store() as store:
        assert orphaned_references(store, workspace.journey()) == {"call": {"responses": 12, "tickets": 5}}


def test_a_load_after_removing_a_touchpoint_with_rows_is_refused_naming_it_and_its_rows(workspace):
    before = _call_rows(workspace)
    with pytest.raises(ConfigError) as caught:
        workspace.load(workspace.root / "customers.csv", "customers")
    message = str(caught.value)
    assert "call (12 responses, 5 tickets)" in message
    assert "restore" in message.lower() and "--allow-orphans" in message
    assert _call_rows(workspace) == before  # nothing changed: the touchpoint is still in the store


def test_allow_orphans_syncs_the_journey_and_a_later_load_does_not_ask_again(workspace):
    workspace.load(workspace.root / "customers.csv", "customers", allow_orphans=True)
    assert _call_rows(workspace)["touchpoints"] == 0
    workspace.load(workspace.root / "customers.csv", "customers")  # acknowledged once: no second refusal


def test_removing_a_touchpoint_nothing_references_is_not_refused(tmp_path):
    from cxlens.store import Store

    path = tmp_path / "journey.yaml"
    path.write_text(textwrap.dedent(TINY_JOURNEY).lstrip(), encoding="utf-8")
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}", migrate=True) as store:
        sync_journey(store, read_journey(path))
        path.write_text(textwrap.dedent(WITHOUT_CALL).lstrip(), encoding="utf-8")
        assert sync_journey(store, read_journey(path)) == 2


def test_cxlens_load_refuses_in_one_line_and_warns_when_allowed(workspace):
    args = ["load", str(workspace.root / "customers.csv"), "--kind", "customers", "-w", str(workspace.root)]
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    refused = CliRunner().invoke(app, args, env=env)
    assert refused.exit_code == 1, refused.output
    errors = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: journey.yaml no longer lists") and "call (12 responses, 5 tickets)" in errors[0]
    allowed = CliRunner().invoke(app, [*args, "--allow-orphans"], env=env)
    assert allowed.exit_code == 0, allowed.output
    assert "call (12 responses, 5 tickets)" in allowed.stderr and "(unknown)" in allowed.stderr
