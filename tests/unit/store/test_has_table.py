"""`has_table` on DuckDB: what the store's queries can name, found without listing the catalog (D69)."""

from __future__ import annotations

from cxlens.store import Store


def test_tables_views_and_temp_tables_are_found_missing_names_are_not_and_a_transaction_survives(tmp_path):
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}") as store:
        backend, con = store.backend, store.duckdb
        parquet = tmp_path / "x.parquet"
        con.execute(f"COPY (SELECT 1 AS x) TO '{parquet}'")
        con.execute(f"CREATE VIEW lake AS SELECT * FROM read_parquet('{parquet}')")
        parquet.unlink()  # the view exists but can no longer be bound
        con.execute("CREATE TEMP TABLE scratch (a INTEGER)")
        con.execute("BEGIN")
        con.execute("INSERT INTO scratch VALUES (1)")
        found = {name: backend.has_table(name) for name in ("responses", "cxlens_meta", "lake", "scratch",
                                                            "no_such_table", "a-b", "")}
        con.execute("INSERT INTO scratch VALUES (2)")  # a failed lookup did not abort the transaction
        con.execute("COMMIT")
        assert found == {"responses": True, "cxlens_meta": True, "lake": True, "scratch": True,
                         "no_such_table": False, "a-b": False, "": False}
        assert con.execute("SELECT count(*) FROM scratch").fetchone()[0] == 2
