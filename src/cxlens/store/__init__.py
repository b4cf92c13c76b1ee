"""The warehouse connection: canonical tables behind one object, whatever the engine.

Analyses ask `store.table(name)` for an Ibis table expression and never see the engine; everything
engine-specific lives in :mod:`cxlens.store.backends`, SQL quoting in :mod:`cxlens.store.sql`.
`Store` is imported on first use (architecture D37, D61): its light modules (`sql`, `records`, `locking`) are read
without Ibis by commands that answer from the rollup with DuckDB alone (`cxlens.metrics.quick`).
"""

from typing import TYPE_CHECKING

from cxlens._exports import export_lazily

if TYPE_CHECKING:
    from cxlens.store.store import Store

export_lazily(__name__, {"Store": "store"})

__all__ = ["Store"]
