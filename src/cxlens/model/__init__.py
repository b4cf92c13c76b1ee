"""The canonical CX data model: six tables every source is mapped into.

`TABLES` is the single source of truth for column names, types, keys and meaning; the store creates
tables from it, the loader validates against it and `docs/data-model.md` documents it.
"""

from cxlens.model.schema import (
    ASPECTS,
    CHILD_TABLES,
    KINDS,
    METRIC_SCALES,
    SCHEMA_VERSION,
    STAGES,
    TABLES,
    Column,
    Table,
)

__all__ = ["ASPECTS", "CHILD_TABLES", "KINDS", "METRIC_SCALES", "SCHEMA_VERSION", "STAGES", "TABLES", "Column", "Table"]
