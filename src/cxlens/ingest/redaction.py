"""Redact the free-text columns of a staged load before anything is stored (cxlens.privacy.redact).

The staged rows (`_cx_stage`, a temporary table that never reaches the database file) are updated in place
by a vectorised Python function over Arrow batches: the free-text columns of the table, and the raw source
row (`_raw`, kept in `quarantine` for refused rows) as a whole string, so no copy of an unredacted comment
is written, good row or refused.
"""

from __future__ import annotations

from collections import Counter

import duckdb
import pyarrow as pa

from cxlens.model import Table
from cxlens.privacy.redact import redact_many
from cxlens.store.sql import ident

# Columns holding text a person wrote, which may contain contact details, card numbers or ids.
FREE_TEXT = {"responses": ("comment",), "tickets": ("description",), "notes": ("text",)}
_UDF = "_cx_redact"
_RAW_UDF = "_cx_redact_raw"


def text_columns(table: Table) -> tuple[str, ...]:
    """The free-text columns of `table` that a load redacts (none for tables without free text)."""
    return FREE_TEXT.get(table.name, ())


def redact_stage(con: duckdb.DuckDBPyConnection, table: Table, stage: str = "_cx_stage") -> dict[str, int]:
    """Redact `stage`'s free-text columns and its `_raw` source rows in place; returns placeholders per type
    written into the text columns (the raw rows repeat them, so they are not counted again)."""
    counts: Counter = Counter()
    ignored: Counter = Counter()

    def redactor(into: Counter):
        def run(values: pa.Array) -> pa.Array:
            texts, found = redact_many(values.to_pylist())
            into.update(found)
            return pa.array(texts, pa.string())
        return run

    con.create_function(_UDF, redactor(counts), [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
                        type="arrow", null_handling="special", side_effects=True)
    con.create_function(_RAW_UDF, redactor(ignored), [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
                        type="arrow", null_handling="special", side_effects=True)
    try:
        sets = [f"{ident(c)} = {_UDF}({ident(c)})" for c in text_columns(table)]
        con.execute(f"UPDATE {stage} SET {', '.join(sets + [f'_raw = {_RAW_UDF}(_raw)'])} "
                    f"WHERE _raw IS NOT NULL{''.join(f' OR {ident(c)} IS NOT NULL' for c in text_columns(table))}")
    finally:
        for name in (_UDF, _RAW_UDF):
            con.remove_function(name)
    return dict(sorted(counts.items()))
