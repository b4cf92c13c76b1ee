"""Identity resolution on every engine: the same customers and survey loaded into DuckDB, Spark and PostgreSQL stores
give the same index, the same decisions and the same linked answers.

The linkage itself always runs in DuckDB (the loader's staging connection and Splink's own in-memory DuckDB) over the
index read from the store through Ibis; on Spark and PostgreSQL `identity_keys` and `identity_links` are written right
after the load's commit (cxlens.ingest.identity.loading), on DuckDB inside it."""

from __future__ import annotations

from engine_fixtures import engine_url  # noqa: F401  (fixture)
from identity_fixtures import LONG_MAPPING, JOURNEY, planted, precision_recall, write_csv, CUSTOMER_COLUMNS, RECORD_COLUMNS

from cxlens.ingest import load, read_mapping, sync_journey
from cxlens.ingest.identity import Identity, IdentityKeys
from cxlens.model.journey import read_journey
from cxlens.privacy import Pseudonymiser
from cxlens.store import Store

KEY = bytes.fromhex("5a" * 32)
IDENTITY = Identity(IdentityKeys(KEY), phone_region="GB")
def _resolve_on(url: str, folder) -> tuple[list, list, list, dict, list]:
    """Load customers and the survey into the store at `url`: (keys, decisions, answers, load's identity, links)."""
    customers, records, _ = planted(n_customers=60, n_records=30, seed=11)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "journey.yaml").write_text(JOURNEY, encoding="utf-8")
    (folder / "survey.yaml").write_text(LONG_MAPPING, encoding="utf-8")
    pseudonymiser = Pseudonymiser(KEY)
    store = Store.open(url)
    try:
        sync_journey(store, read_journey(folder / "journey.yaml"))
        load(store, write_csv(folder / "customers.csv", customers, CUSTOMER_COLUMNS), "customers",
             pseudonymiser=pseudonymiser, identity=IDENTITY)
        report = load(store, write_csv(folder / "survey.csv", records, RECORD_COLUMNS), "responses",
                      read_mapping(folder / "survey.yaml"), pseudonymiser=pseudonymiser, identity=IDENTITY)
        keys = sorted((r["customer_id"], r["kind"], r["key"])
                      for r in store.to_pyarrow(store.table("identity_keys")).to_pylist())
        links = store.to_pyarrow(store.table("identity_links")).to_pylist()
        answers = sorted((r["response_id"], r["customer_id"]) for r in store.to_pyarrow(store.table("responses")).to_pylist())
    finally:
        store.close()
    decisions = sorted((r["record"], r["status"], r["customer_id"], r["method"]) for r in links)
    return keys, decisions, answers, report.identity, links


def test_every_engine_resolves_the_survey_to_the_same_customers(engine_url, tmp_path):
    customers, records, truth = planted(n_customers=60, n_records=30, seed=11)
    keys, decisions, answers, identity, links = _resolve_on(engine_url, tmp_path / "engine")
    assert len(keys) == 4 * len(customers) and identity["records"] == len(records) == len(links)
    linked = sorted((r[0], r[2]) for r in decisions if r[1] == "linked")
    assert answers == linked  # exactly the linked rows loaded, each with its customer
    precision, _ = precision_recall(links, truth)
    assert precision == 1.0
    if not engine_url.startswith("duckdb"):  # the same as on DuckDB
        expected = _resolve_on(f"duckdb:///{tmp_path / 'reference' / 'cx.duckdb'}", tmp_path / "reference")
        assert (keys, decisions, answers) == expected[:3]
