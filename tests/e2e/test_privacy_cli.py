"""`cxlens forget`, `cxlens export-customer` and `cxlens retention apply` on a workspace loaded the real way
(pseudonymisation and redaction at load included): what a data protection officer runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import privacy_fixtures as pf

from cxlens.cli import app
from cxlens.model import stored_tables
from cxlens.workspace import Workspace, init

ID_BYTES = re.compile(rb"(?<![0-9A-Za-z])C1(?![0-9])")
EMAIL = "zoe.unique.c1@example.org"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = init(tmp_path / "ws")
    (root / "journey.yaml").write_text(pf.JOURNEY, encoding="utf-8")
    files = dict(pf.FILES)
    files["customers"] = files["customers"].replace("loyalty_card\n", "loyalty_card,email\n", 1) \
        .replace("LC-C1-778\n", f"LC-C1-778,{EMAIL}\n").replace("LC-C10-912\n", "LC-C10-912,other@example.org\n") \
        .replace("pro,\n", "pro,,\n")
    ws = Workspace.open(root)
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        ws.load(path, kind)
    with ws.store(migrate=True) as store:
        pf.write_analyses(store)
    return root


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def everything(root: Path) -> str:
    """Every stored value, as one text."""
    with Workspace.open(root).store() as store:
        return "\n".join(str(v) for t in stored_tables() if store.backend.has_table(t.name)
                         for c in store.to_pyarrow(store.ibis.table(t.name)).columns for v in c.to_pylist())


def test_forget_leaves_no_trace_that_the_export_showed(workspace, tmp_path):
    out = tmp_path / "c1.json"
    exported = run("export-customer", "C1", "--out", str(out), "-w", str(workspace))
    assert exported.exit_code == 0, exported.output
    record = json.loads(out.read_text(encoding="utf-8"))
    keyed_email = record["tables"]["customers"]["rows"][0]["attributes"].get("email")
    assert keyed_email and EMAIL not in everything(workspace)  # stored keyed, never raw
    assert pf.PHRASE in out.read_text(encoding="utf-8") and keyed_email in everything(workspace)
    ids = tmp_path / "ids.txt"
    ids.write_text("# erasure request 2026-17\nC1\n\n", encoding="utf-8")

    refused = run("forget", "--file", str(ids), "-w", str(workspace), input="n\n")
    assert refused.exit_code == 1 and "Erase every row of 1 customer(s) (C1)" in refused.output
    assert pf.PHRASE in everything(workspace)

    done = run("forget", "--file", str(ids), "--yes", "--by", "dpo@example.com", "-w", str(workspace))
    assert done.exit_code == 0, done.output
    assert f"{sum(pf.ROWS['C1'].values())} rows removed" in done.output and "rewritten" in done.output
    stored = everything(workspace)
    assert pf.PHRASE not in stored and keyed_email not in stored and "LC-C1-778" not in stored
    assert not re.search(r"(?<![0-9A-Za-z])C1(?![0-9])", stored)
    assert pf.OTHER_PHRASE in stored and "dpo@example.com" in stored
    data = (workspace / "cx.duckdb").read_bytes()
    assert (len(ID_BYTES.findall(data)), data.count(pf.PHRASE.encode()), data.count(keyed_email.encode())) == (0, 0, 0)
    assert not (workspace / "cx.duckdb.cxlens-rewrite").exists()


def test_export_customer_is_grouped_by_table_with_the_models_descriptions(workspace, tmp_path):
    out = tmp_path / "c10.json"
    result = run("export-customer", "C10", "--out", str(out), "-w", str(workspace))
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["customer_id"] == "C10"
    tables = record["tables"]
    assert tables["responses"]["columns"]["score"] == "The answer on the metric's scale."
    assert {r["response_id"] for r in tables["responses"]["rows"]} == {"R3"}
    assert [r["source_id"] for r in tables["comment_analysis"]["rows"]] in (["R3", "T2"], ["T2", "R3"])
    assert len(tables["quarantine"]["rows"]) == 1 and tables["quarantine"]["rows"][0]["raw"]["response_id"] == "R6"
    assert tables["events"]["rows"][0]["ts"].startswith("2022-01-03")
    assert record["rows"]["journey_steps"] == 2 and record["rows"]["customers"] == 1
    nobody = run("export-customer", "C404", "--out", str(tmp_path / "none.json"), "-w", str(workspace))
    assert nobody.exit_code == 0 and "nothing is stored" in nobody.output


def test_retention_dry_run_then_apply(workspace):
    config = workspace / "cxlens.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[privacy]\nretention = {events = "36 months", '
                      'responses = "36 months", outcomes = "36 months"}\n', encoding="utf-8")
    dry = run("retention", "apply", "--dry-run", "-w", str(workspace))
    assert dry.exit_code == 0, dry.output
    assert "would delete" in dry.output and "Dry run" in dry.output
    with Workspace.open(workspace).store() as store:
        assert store.count("events") == 5 and store.count("responses") == 4
    applied = run("retention", "apply", "-w", str(workspace))
    assert applied.exit_code == 0, applied.output
    with Workspace.open(workspace).store() as store:  # the 2022 rows are more than 36 months old (this clock: 2026+)
        assert store.count("events") == 3 and store.count("responses") == 2 and store.count("outcomes") == 2
        assert store.count("journey_steps") == 3
    bad = workspace / "cxlens.toml"
    bad.write_text(bad.read_text(encoding="utf-8").replace('"36 months"', '"3 fortnights"', 1), encoding="utf-8")
    refused = run("retention", "apply", "-w", str(workspace))
    assert refused.exit_code == 1 and "N months" in refused.output


def test_forget_without_an_id_is_a_usage_error(workspace):
    result = run("forget", "--yes", "-w", str(workspace))
    assert result.exit_code == 1 and "error: --file: no customer id given" in result.output
