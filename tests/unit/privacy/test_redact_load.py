"""A loaded file with raw e-mails, phone numbers and card numbers in its comments never puts them in the store:
not in the stored rows, not in `quarantine.raw`, not in the DuckDB file's bytes after a CHECKPOINT; the load
summary (LoadReport, `loads.redactions`, the CLI) counts what was replaced. With redaction off the same bytes
do hold them, so the byte search can fail.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.ingest.redaction import FREE_TEXT
from cxlens.model import TABLES
from cxlens.workspace import Workspace
from conftest import TINY_CUSTOMERS, TINY_JOURNEY

SECRETS = ["zhang.wei@example.com", "ivan.petrov@mail.ru", "0171 1234567", "+7 (495) 123-45-67",
           "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "anna.schmidt@example.de", "13812345678",
           "ahmed.ali@example.sa", "+966 50 123 4567"]

RESPONSES = [
    "response_id,customer_id,ts,touchpoint_id,metric,score,comment",
    'R1,C1,2024-03-01 10:00:00,shop,csat,2,"Call me on 0171 1234567, order 4711202488 of 01.03.2024"',
    'R2,C2,2024-03-02 10:00:00,shop,csat,5,"我的邮箱是zhang.wei@example.com谢谢"',
    'R3,C3,2024-03-03 10:00:00,call,csat,1,"Звоните +7 (495) 123-45-67 или ivan.petrov@mail.ru"',
    'R4,C4,2024-03-04 10:00:00,call,csat,3,"Charged twice on 4111 1111 1111 1111, refund to DE89 3704 0044 0532 0130 00"',
    'R5,C5,2024-03-05 10:00:00,call,csat,9,"score out of range; write to anna.schmidt@example.de"',  # quarantined
    'R6,C6,2024-03-06 10:00:00,shop,csat,4,"Nothing personal here, version 2.3.1"',
]
NOTES = [
    "note_id,customer_id,ts,source,text",
    'N1,C7,2024-03-07 10:00:00,call,"手机13812345678，请回电"',
    'N2,C8,2024-03-08 10:00:00,call,"اتصل على +966 50 123 4567 أو ahmed.ali@example.sa"',
]


def _workspace(root: Path, redact: bool) -> Workspace:
    Workspace.create(root)
    (root / "journey.yaml").write_text(textwrap.dedent(TINY_JOURNEY).lstrip(), encoding="utf-8")
    if not redact:
        with (root / "cxlens.toml").open("a", encoding="utf-8") as fh:
            fh.write("\n[privacy]\nredact_comments = false\n")
    (root / "customers.csv").write_text(TINY_CUSTOMERS, encoding="utf-8")
    (root / "responses.csv").write_text("\n".join(RESPONSES) + "\n", encoding="utf-8")
    (root / "notes.csv").write_text("\n".join(NOTES) + "\n", encoding="utf-8")
    ws = Workspace.open(root)
    ws.load(root / "customers.csv", "customers")
    return ws


def _file_bytes(ws: Workspace) -> bytes:
    path = Path(ws.store_url.removeprefix("duckdb:///"))
    con = duckdb.connect(str(path))
    con.execute("CHECKPOINT")
    con.close()
    return path.read_bytes() + (path.with_suffix(path.suffix + ".wal").read_bytes()
                                if path.with_suffix(path.suffix + ".wal").exists() else b"")


def test_loaded_comments_keep_no_identifier_in_rows_quarantine_or_file_bytes(tmp_path):
    ws = _workspace(tmp_path / "ws", redact=True)
    responses = ws.load(ws.root / "responses.csv", "responses")
    notes = ws.load(ws.root / "notes.csv", "notes")
    assert responses.redactions == {"card": 1, "email": 3, "iban": 1, "phone": 2}
    assert responses.quarantined == 1
    assert notes.redactions == {"email": 1, "phone": 2}
    with ws.store() as store:
        stored = dict(store.table("responses").select("response_id", "comment").execute().values.tolist())
        loads = store.table("loads").select("kind", "redactions").execute()
        raw = store.table("quarantine").raw.execute().tolist()
    assert stored["R1"] == "Call me on [phone], order 4711202488 of 01.03.2024"
    assert stored["R2"] == "我的邮箱是[email]谢谢"
    assert stored["R4"] == "Charged twice on [card], refund to [iban]"
    assert stored["R6"] == "Nothing personal here, version 2.3.1"
    assert "[email]" in raw[0] and "anna.schmidt" not in raw[0]
    recorded = {kind: json.loads(r) for kind, r in loads.values.tolist() if r}
    assert recorded["responses"] == responses.redactions and recorded["notes"] == notes.redactions
    content = _file_bytes(ws)
    found = [s for s in SECRETS if s.encode("utf-8") in content]
    assert not found, f"in the DuckDB file: {found}"


def test_with_redaction_off_the_same_identifiers_are_in_the_file_bytes(tmp_path):
    ws = _workspace(tmp_path / "ws", redact=False)
    report = ws.load(ws.root / "responses.csv", "responses")
    ws.load(ws.root / "notes.csv", "notes")
    assert report.redactions == {}
    content = _file_bytes(ws)
    assert [s for s in SECRETS if s.encode("utf-8") in content] == SECRETS  # the byte search can find them


def test_cli_load_prints_the_redaction_counts(tmp_path):
    ws = _workspace(tmp_path / "ws", redact=True)
    result = CliRunner().invoke(app, ["load", str(ws.root / "responses.csv"), "--kind", "responses",
                                      "--workspace", str(ws.root)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Redacted in free text before storage: 1 card, 3 email, 1 iban, 2 phone" in result.output


def test_every_free_text_column_of_the_model_is_redacted():
    """A table added later with a free-text column must be listed in FREE_TEXT, or its comments go unredacted."""
    free_text_words = ("free-text", "free text", "the note itself")
    declared = {(t.name, c.name) for t in TABLES.values() for c in t.columns
                if c.type == "VARCHAR" and any(w in c.doc.lower() for w in free_text_words)}
    listed = {(t, c) for t, cols in FREE_TEXT.items() for c in cols}
    assert declared == listed
