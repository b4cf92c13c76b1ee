"""Every table cxlens stores: the canonical CX tables every source is mapped into (`TABLES`), and the
system and derived tables beside them (`SYSTEM_TABLES`, `META`).

They are the single source of truth for column names, types, keys and meaning; the store creates
tables from them, the loader validates against them and `docs/data-model.md` documents them.
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
from cxlens.model.system import COMMENT_ANALYSIS, JOURNEY_STEPS, LOADS, META, QUARANTINE, SYSTEM_TABLES, stored_tables, table

__all__ = ["ASPECTS", "CHILD_TABLES", "COMMENT_ANALYSIS", "JOURNEY_STEPS", "KINDS", "LOADS", "META", "METRIC_SCALES", "QUARANTINE",
           "SCHEMA_VERSION", "STAGES", "SYSTEM_TABLES", "TABLES", "Column", "Table", "stored_tables", "table"]
