"""Names and values from users reach SQL quoted: a quote or a semicolon in an encoding, an external
table's name or path, or a loaded file's path is data, never a second statement."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cxlens.errors import UsageError
from cxlens.ingest import load, quarantined_rows
from cxlens.ingest.readers import read_source
from cxlens.store import Store
from cxlens.store.sql import ident, literal

HOSTILE = "x'; DROP TABLE customers; --"
HOSTILE_NAME = 'x"; DROP TABLE customers; --'


def test_ident_and_literal_double_their_quote_character():
    assert ident('a"b') == '"a""b"'
    assert literal("it's") == "'it''s'"
    assert literal(True) == "'true'" and literal(3) == "'3'"
    con = duckdb.connect()
    assert con.execute(f"SELECT {literal(HOSTILE)} AS {ident(HOSTILE_NAME)}").fetchall() == [(HOSTILE,)]
    assert con.execute(f"SELECT {literal(HOSTILE)} AS {ident(HOSTILE_NAME)}").description[0][0] == HOSTILE_NAME


def test_a_hostile_encoding_is_refused_as_an_encoding(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE customers (customer_id VARCHAR)")
    path = tmp_path / "a.csv"
    path.write_text("customer_id\nC1\n", encoding="utf-8")
    with pytest.raises(UsageError) as refused:  # checked against the known encodings before any SQL
        read_source(con, path, "_cx_source", encoding=HOSTILE)
    assert refused.value.parameter == "encoding"
    assert con.execute("SELECT count(*) FROM customers").fetchall() == [(0,)]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """A Parquet file in a folder whose name holds a quote and a semicolon."""
    folder = tmp_path / f"lake{HOSTILE}"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 'R' || i AS response_id FROM range(3) t(i)")
    con.execute(f"COPY t TO {literal(str(folder / 'part-0.parquet'))} (FORMAT parquet)")
    return folder


def test_hostile_external_table_names_and_paths_are_quoted(tmp_path, lake):
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}", external_tables={HOSTILE_NAME: {"path": str(lake)}}) as store:
        assert store.ibis.table(HOSTILE_NAME).count().execute() == 3
        assert store.count("customers") == 0  # still there


def test_a_loaded_file_with_a_hostile_name_is_read_and_recorded_as_it_is(tmp_path):
    path = tmp_path / f"customers{HOSTILE}.csv"
    path.write_text("customer_id,segment\nC1,family\n,value\n", encoding="utf-8")
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}") as store:
        report = load(store, path, "customers")
        assert (report.inserted, report.quarantined) == (1, 1)
        assert store.count("customers") == 1
        assert [r["file"] for r in quarantined_rows(store)] == [str(path.resolve())]
        assert store.execute(store.table("loads").file).tolist() == [str(path.resolve())]
