"""The canonical model: its documentation matches the code, keys and references are consistent."""

from pathlib import Path

from cxlens.model import CHILD_TABLES, TABLES
from cxlens.model.docs import data_model_markdown

ROOT = Path(__file__).resolve().parents[3]


def test_data_model_doc_matches_the_schema():
    assert (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8") == data_model_markdown()


def test_every_table_has_a_key_and_child_tables_reference_customers():
    for table in TABLES.values():
        assert table.key, table.name
        assert set(table.key) <= set(table.required), table.name
    for name in CHILD_TABLES:
        refs = {c.references for c in TABLES[name].columns}
        assert "customers.customer_id" in refs, name
