"""Identifier columns are written ZSTD-compressed on DuckDB (architecture D70); every other column keeps DuckDB's
choice, and what is read back is what was loaded."""

from __future__ import annotations

from cxlens.model import table

STORED = """SELECT column_name, list(DISTINCT compression) FROM pragma_storage_info('{name}')
            WHERE segment_type = 'VARCHAR' GROUP BY ALL"""


def test_identifiers_are_a_tables_only_key_and_its_customer_key():
    assert table("responses").identifiers == ("response_id", "customer_id")
    assert table("tickets").identifiers == ("ticket_id", "customer_id")
    assert table("outcomes").identifiers == ("customer_id",)  # (customer, month) key: only the customer
    assert table("response_rollup").identifiers == ()  # dimensions, grouped by: left to DuckDB
    assert table("touchpoints").identifiers == table("loads").identifiers == ()  # no customer's rows: few values


def test_a_loaded_store_writes_identifiers_in_zstd_and_other_text_as_duckdb_chooses(tiny_store):
    con = tiny_store.duckdb
    con.execute("CHECKPOINT")  # segments get their compression when written out
    for name in ("responses", "tickets", "customers"):
        stored = dict(con.execute(STORED.format(name=name)).fetchall())
        identifiers = set(table(name).identifiers)
        assert identifiers, name
        for column, methods in stored.items():
            if column in identifiers:
                assert methods == ["ZSTD"], (name, column, methods)
            else:
                assert "ZSTD" not in methods, (name, column, methods)
    ids = con.execute("SELECT list(response_id ORDER BY response_id), count(DISTINCT customer_id) FROM responses")
    got, customers = ids.fetchone()
    assert got[:3] == ["N0", "N1", "N10"] and customers > 1


def test_the_table_definition_says_so_and_the_shared_sql_definition_has_no_clause(tiny_store):
    sql = tiny_store.duckdb.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'responses'").fetchone()[0]
    assert "response_id VARCHAR USING COMPRESSION ZSTD" in sql
    assert "touchpoint_id VARCHAR," in sql  # a low-cardinality dimension: dictionary encoding is worth its cost
    from cxlens.store.backends.base import SqlBackend
    assert SqlBackend.column_definition(tiny_store.backend, table("responses"), "response_id", "VARCHAR") \
        == '"response_id" VARCHAR'


def test_a_column_added_by_a_migration_is_defined_as_a_new_store_defines_it(tiny_store):
    con = tiny_store.duckdb
    con.execute("ALTER TABLE notes DROP COLUMN customer_id")  # as if an older schema had lacked it
    tiny_store.backend.add_column(table("notes"), "customer_id")
    sql = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'notes'").fetchone()[0]
    assert "customer_id VARCHAR USING COMPRESSION ZSTD" in sql
