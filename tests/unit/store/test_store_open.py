"""Opening a store: migrating by default, or reading only, refusing a schema older or newer than the code."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cxlens.errors import StoreError
from cxlens.model import COMMENT_ANALYSIS, LOADS, META, QUARANTINE, SCHEMA_VERSION, SYSTEM_TABLES, TABLES
from cxlens.store import Store


def url(tmp_path) -> str:
    return f"duckdb:///{tmp_path / 'cx.duckdb'}"


def test_opening_a_new_store_creates_the_schema_and_says_which_migration_ran(tmp_path):
    with Store.open(url(tmp_path)) as store:
        assert store.migration == (0, SCHEMA_VERSION)
        assert store.migrate() == (SCHEMA_VERSION, SCHEMA_VERSION)  # nothing left to do
        assert store.engine == "duckdb"


def test_opening_without_migrating_reads_an_up_to_date_store(tmp_path):
    Store.open(url(tmp_path)).close()
    with Store.open(url(tmp_path), migrate=False) as store:
        assert store.migration == (SCHEMA_VERSION, SCHEMA_VERSION)
        assert store.count("customers") == 0


def test_opening_an_older_store_without_migrating_says_to_run_cxlens_migrate_and_changes_nothing(tmp_path):
    with Store.open(url(tmp_path)) as store:
        store.duckdb.execute("ALTER TABLE responses DROP COLUMN aspect")  # a store written at version 2
        store.duckdb.execute("UPDATE cxlens_meta SET value = '2' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version 2, older than this cxlens.*cxlens migrate -w DIR"):
        Store.open(url(tmp_path), migrate=False)
    with Store.open(url(tmp_path)) as store:  # the refused open left it at version 2
        assert store.migration == (2, SCHEMA_VERSION)
        assert "aspect" in store.table("responses").columns


def test_opening_a_missing_store_without_migrating_is_refused_and_creates_no_tables(tmp_path):
    with pytest.raises(StoreError, match="no cxlens schema yet; run `cxlens migrate"):
        Store.open(url(tmp_path), migrate=False)
    with Store.open(url(tmp_path)) as store:
        assert store.migration == (0, SCHEMA_VERSION)


def test_a_newer_store_is_refused_with_or_without_migrating(tmp_path):
    with Store.open(url(tmp_path)) as store:
        store.duckdb.execute(f"UPDATE cxlens_meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema_version'")
    for migrate in (True, False):
        with pytest.raises(StoreError, match="newer than this cxlens"):
            Store.open(url(tmp_path), migrate=migrate)


def test_system_tables_are_declared_in_the_model_with_their_keys(tmp_path):
    assert set(SYSTEM_TABLES) == {"loads", "quarantine", "comment_analysis", "journey_steps", "erasures",
                                  "personas", "identity_keys", "identity_links", "response_rollup",
                                  "response_rollup_month", "answer_counts", "value_months", "value_answers",
                                  "value_groups", "ticket_facts"}
    assert LOADS.key == ("load_id",) and COMMENT_ANALYSIS.key == ("source", "source_id") and META.key == ("key",)
    assert QUARANTINE.customer_key is None and TABLES["responses"].customer_key == "customer_id"
    with Store.open(url(tmp_path)) as store:
        for table in SYSTEM_TABLES.values():
            assert list(store.table(table.name).columns) == list(table.names)


def test_writes_to_an_external_table_are_refused(tmp_path):
    import duckdb

    lake = tmp_path / "lake.parquet"
    duckdb.sql(f"COPY (SELECT 'shop' AS touchpoint_id) TO '{lake}' (FORMAT parquet)")
    with Store.open(url(tmp_path), external_tables={"touchpoints": {"path": str(lake)}}) as store:
        with pytest.raises(StoreError, match="'touchpoints' is an external table"):
            store.replace_rows("touchpoints", pa.table({"touchpoint_id": ["x"]}))
