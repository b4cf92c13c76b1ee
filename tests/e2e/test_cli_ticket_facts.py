"""The narrow ticket table through a real workspace and the CLI: `cxlens load` keeps it current, `--explain` on
`cxlens outcomes` and `cxlens scorecard` says it answered, a load that bypasses the upkeep makes the outcomes read
the raw tickets (the reason names `cxlens rollup rebuild`), `cxlens rollup rebuild` repairs it, `cxlens forget`
keeps it current and takes the customer's rows."""

from __future__ import annotations

import json
import random
import textwrap

from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.ingest import load
from cxlens.metrics import ticket_facts
from cxlens.workspace import Workspace
from conftest import PLAIN_JOURNEY, TINY_CUSTOMERS, allow_small_groups
from ticket_facts_fixtures import assert_equals_a_rebuild, stored, tickets_csv

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


def _explained(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.splitlines() if line.startswith("explain:")]


def _tickets(path, rng: random.Random, ids: range) -> None:
    """Random tickets (ticket_facts_fixtures) of the customers C1..C8 of TINY_CUSTOMERS."""
    lines = tickets_csv(path, rng, ids, 1).read_text().splitlines()
    path.write_text("\n".join([lines[0], *(l.replace(",C0,", f",C{1 + i % 8},") for i, l in enumerate(lines[1:]))]) + "\n")


def test_loads_keep_it_explain_names_it_a_bypassing_load_reads_raw_and_rebuild_and_forget_keep_it(tmp_path):
    Workspace.create(tmp_path)
    allow_small_groups(tmp_path)
    (tmp_path / "journey.yaml").write_text(textwrap.dedent(PLAIN_JOURNEY).lstrip(), encoding="utf-8")
    (tmp_path / "customers.csv").write_text(TINY_CUSTOMERS, encoding="utf-8")
    rng = random.Random(2)
    _tickets(tmp_path / "tickets.csv", rng, range(60))
    ws = Workspace.open(tmp_path)
    ws.load(tmp_path / "customers.csv", "customers")
    ws.load(tmp_path / "tickets.csv", "tickets")
    with ws.store() as store:
        assert_equals_a_rebuild(store)

    out = _invoke("outcomes", "--by", "segment", "--explain", "--format", "json", "-w", str(tmp_path))
    assert out.exit_code == 0, out.output
    assert _explained(out.output)[0].startswith("explain: ticket outcomes: ticket_facts:")
    card = _invoke("scorecard", "--explain", "-w", str(tmp_path))
    assert card.exit_code == 0, card.output
    assert any(line.startswith("explain: ticket outcomes: ticket_facts:") for line in _explained(card.output))

    _tickets(tmp_path / "more.csv", rng, range(100, 105))
    with ws.store(migrate=True) as store:  # a load that does not keep the table (as an older cxlens would)
        load(store, tmp_path / "more.csv", "tickets")
    out = _invoke("outcomes", "--by", "segment", "--explain", "-w", str(tmp_path))
    [line] = _explained(out.output)
    assert line.startswith("explain: ticket outcomes: raw:") and "cxlens rollup rebuild" in line
    status = _invoke("rollup", "status", "-w", str(tmp_path))
    assert "ticket_facts" in status.stdout and "a tickets load came after it" in status.stdout

    rebuilt = _invoke("rollup", "rebuild", "-w", str(tmp_path))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "65 rows of ticket_facts" in rebuilt.stdout
    _, facts = json.loads(_invoke("rollup", "status", "-w", str(tmp_path), "-f", "json").stdout)
    assert facts["current"] is True and facts["rows"] == 65

    ws.forget(["C1"], "test")
    with ws.store() as store:
        assert "C1" not in set(stored(store)["customer_id"])
        assert_equals_a_rebuild(store)
        assert ticket_facts.facts_are_current(store)
