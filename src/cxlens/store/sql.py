"""The one way cxlens puts names and values into SQL text: quoted, never pasted raw.

Use `ident` for every table, view or column name and `literal` for every value (file paths, encodings,
load ids, mapping values) that goes into a DuckDB or PostgreSQL statement. Both follow standard SQL:
identifiers in double quotes, strings in single quotes, the quote character doubled inside. (Spark is
written to through its DataFrame API, not SQL text.)
"""

from __future__ import annotations


def ident(name: str) -> str:
    """`name` as a quoted SQL identifier: `ident('a"b')` is `"a""b"`, whatever the name holds."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: object) -> str:
    """`value` as an SQL string literal (booleans as 'true'/'false'): `literal("it's")` is `'it''s'`."""
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return "'" + str(value).replace("'", "''") + "'"
