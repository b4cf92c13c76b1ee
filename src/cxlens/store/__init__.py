"""The warehouse connection: canonical tables behind one object, whatever the engine.

Analyses ask `store.table(name)` for an Ibis table expression and never see the engine; everything
engine-specific lives in :mod:`cxlens.store.backends`, SQL quoting in :mod:`cxlens.store.sql`.
"""

from cxlens.store.store import Store

__all__ = ["Store"]
