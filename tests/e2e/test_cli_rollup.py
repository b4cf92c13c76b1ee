"""`cxlens rollup status` and `cxlens rollup rebuild` on a real workspace: loads keep the rollup current, a write
that bypasses them makes it stale (and status says why), a rebuild makes it current again."""

from __future__ import annotations

import json
import textwrap

from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.ingest import load
from cxlens.workspace import Workspace
from conftest import PLAIN_JOURNEY, TINY_CUSTOMERS

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


def _answers(first: int, count: int) -> str:
    rows = [f"r{i},C{i % 8 + 1},2024-03-{1 + i % 20:02d} 09:00:00,{'shop' if i % 2 else 'call'},csat,{1 + i % 5}"
            for i in range(first, first + count)]
    return "response_id,customer_id,ts,touchpoint_id,metric,score\n" + "\n".join(rows) + "\n"


def test_status_says_current_after_loads_stale_after_a_bypassing_write_and_rebuild_repairs_it(tmp_path):
    Workspace.create(tmp_path)
    (tmp_path / "journey.yaml").write_text(textwrap.dedent(PLAIN_JOURNEY).lstrip(), encoding="utf-8")
    (tmp_path / "customers.csv").write_text(TINY_CUSTOMERS, encoding="utf-8")
    (tmp_path / "responses.csv").write_text(_answers(0, 40), encoding="utf-8")
    ws = Workspace.open(tmp_path)
    ws.load(tmp_path / "customers.csv", "customers")
    ws.load(tmp_path / "responses.csv", "responses")

    status = _invoke("rollup", "status", "-w", str(tmp_path), "--format", "json")
    assert status.exit_code == 0, status.output
    record, facts = json.loads(status.stdout)
    assert facts["table"] == "ticket_facts" and facts["current"] is True and facts["rows"] == 0
    assert record["current"] is True and record["answers"] == 40 and record["days"] == 20 and record["stale"] is None
    assert 0 < record["month_rows"] <= record["rows"]  # the same sums per month (D64)

    (tmp_path / "more.csv").write_text(_answers(100, 5), encoding="utf-8")
    with ws.store(migrate=True) as store:  # a load that does not keep the rollup (as an older cxlens would)
        load(store, tmp_path / "more.csv", "responses")
    table = _invoke("rollup", "status", "-w", str(tmp_path))
    assert table.exit_code == 0, table.output
    assert "response_rollup" in table.stdout and " no " in table.stdout
    assert "a responses load came after it" in table.stdout and "cxlens rollup rebuild" in table.stdout
    assert f"{record['month_rows']:,} month rows" in table.stdout  # the stale load wrote neither table

    rebuilt = _invoke("rollup", "rebuild", "-w", str(tmp_path))
    assert rebuilt.exit_code == 0, rebuilt.output
    record, _ = json.loads(_invoke("rollup", "status", "-w", str(tmp_path), "-f", "json").stdout)
    assert record["current"] is True and record["answers"] == 45
