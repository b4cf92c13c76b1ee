"""Pseudonymisation on every engine: the same file loaded into DuckDB, Spark and PostgreSQL stores the same keyed
values (HMAC computed in the staging DuckDB, before the engine sees a row), and keyed customer ids still join."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from engine_fixtures import engine_url  # noqa: F401  (fixture)

from conftest import PLAIN_JOURNEY
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.privacy import Pseudonymiser
from cxlens.store import Store

KEY = bytes.fromhex("6b" * 32)
CUSTOMERS = """\
customer_id,segment,email,mobile
CUST-1,family, Anna.Keller@Example.COM ,+49 (0)30 1234-5678
CUST-2,value,omar.haddad@mail.example,0049 171 9876543
"""
RESPONSES = """\
response_id,customer_id,ts,touchpoint_id,metric,score
R1,CUST-1,2024-03-01,relationship,nps,9
R2,CUST-2,2024-03-02,shop,csat,4
R3,CUST-3,2024-03-02,shop,csat,4
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_every_engine_stores_the_same_keyed_values_and_keyed_ids_join(engine_url, tmp_path):
    p = Pseudonymiser(KEY, ("email", "phone", "customer_id"))
    store = Store.open(engine_url)
    try:
        sync_journey(store, read_journey(write(tmp_path / "journey.yaml", PLAIN_JOURNEY)))
        load(store, write(tmp_path / "customers.csv", CUSTOMERS), "customers", pseudonymiser=p)
        report = load(store, write(tmp_path / "responses.csv", RESPONSES), "responses", pseudonymiser=p)
        customers = sorted(store.to_pyarrow(store.table("customers")).to_pylist(), key=lambda r: r["segment"])
        joined = store.to_pyarrow(store.table("responses").join(store.table("customers"), "customer_id")
                                  .select("response_id", "customer_id", "segment").order_by("response_id")).to_pylist()
        quarantined = store.to_pyarrow(store.table("quarantine")).to_pylist()
    finally:
        store.close()
    assert [(c["customer_id"], json.loads(c["attributes"])) for c in customers] == [
        (p.keyed("CUST-1"), {"email": p.keyed("anna.keller@example.com", "email"), "mobile": p.keyed("493012345678", "phone")}),
        (p.keyed("CUST-2"), {"email": p.keyed("Omar.Haddad@mail.example", "email"), "mobile": p.keyed("+491719876543", "phone")}),
    ]
    assert joined == [{"response_id": "R1", "customer_id": p.keyed("CUST-1"), "segment": "family"},
                      {"response_id": "R2", "customer_id": p.keyed("CUST-2"), "segment": "value"}]
    # the unknown customer is refused by its keyed id, and quarantine holds no raw id
    assert report.quarantined == 1
    assert [(q["field"], q["value"]) for q in quarantined] == [("customer_id", p.keyed("CUST-3"))]
    assert "CUST-3" not in quarantined[0]["raw"]
