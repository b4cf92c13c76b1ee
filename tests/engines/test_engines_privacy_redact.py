"""Comment redaction on every engine: the staging DuckDB redacts the comments (and a quarantined row's raw text)
before DuckDB, Spark or PostgreSQL receives a row, and the `loads` row records the counts."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from engine_fixtures import engine_url  # noqa: F401  (fixture)

from conftest import PLAIN_JOURNEY
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store

CUSTOMERS = """\
customer_id,segment
C1,family
C2,value
"""
RESPONSES = """\
response_id,customer_id,ts,touchpoint_id,metric,score,comment
R1,C1,2024-03-01,shop,csat,2,"Ruf an: 0171 1234567, Bestellung 4711202488"
R2,C2,2024-03-02,shop,csat,5,"我的邮箱是zhang.wei@example.com谢谢"
R3,C2,2024-03-03,shop,csat,9,"out of range, mail anna@example.de"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_every_engine_stores_redacted_comments_and_the_counts(engine_url, tmp_path):
    store = Store.open(engine_url)
    try:
        sync_journey(store, read_journey(write(tmp_path / "journey.yaml", PLAIN_JOURNEY)))
        load(store, write(tmp_path / "customers.csv", CUSTOMERS), "customers")
        report = load(store, write(tmp_path / "responses.csv", RESPONSES), "responses", redact=True)
        comments = store.to_pyarrow(store.table("responses").select("response_id", "comment")
                                    .order_by("response_id")).to_pylist()
        loads = store.to_pyarrow(store.table("loads").select("kind", "redactions")).to_pylist()
        raw = store.to_pyarrow(store.table("quarantine").select("raw")).to_pylist()
    finally:
        store.close()
    assert report.redactions == {"email": 2, "phone": 1}
    assert [c["comment"] for c in comments] == ["Ruf an: [phone], Bestellung 4711202488", "我的邮箱是[email]谢谢"]
    assert json.loads(next(r["redactions"] for r in loads if r["kind"] == "responses")) == {"email": 2, "phone": 1}
    assert len(raw) == 1 and "anna@example.de" not in raw[0]["raw"] and "[email]" in raw[0]["raw"]
