"""The warehouse connection: canonical tables behind one object, whatever the engine.

Analyses ask `store.table(name)` for an Ibis table expression and never see the engine; everything
engine-specific lives in :mod:`cxlens.store.engines`.
"""

from cxlens.store.store import SYSTEM_TABLES, Store

__all__ = ["SYSTEM_TABLES", "Store"]
