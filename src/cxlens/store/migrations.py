"""Schema versions and the steps that move a store from one to the next.

The version lives in `cxlens_meta`; opening a store applies every pending step in order, so a
store created by an older cxlens keeps working after an upgrade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from cxlens.errors import StoreError
from cxlens.model import SCHEMA_VERSION, TABLES

if TYPE_CHECKING:
    from cxlens.store.store import Store


def _create_v1(store: "Store") -> None:
    """Version 1: the six canonical tables and the bookkeeping tables."""
    from cxlens.store import engines
    from cxlens.store.store import SYSTEM_TABLES, ddl_columns

    for name in [*TABLES, *SYSTEM_TABLES]:
        if name not in store.external_tables:
            engines.create_table(store.ibis, store.engine, name, ddl_columns(name))


def _create_v2(store: "Store") -> None:
    """Version 2: `notes` (interview/call notes, their own kind) and `comment_analysis` (text results)."""
    from cxlens.store import engines
    from cxlens.store.store import ddl_columns

    for name in ("notes", "comment_analysis"):
        if name not in store.external_tables:
            engines.create_table(store.ibis, store.engine, name, ddl_columns(name))


def _add_aspect_v3(store: "Store") -> None:
    """Version 3: `responses.aspect` (functional/emotional/experiential, NULL = overall question).

    Existing answers were all overall questions, so NULL is their true value: nothing to backfill.
    A store created at version 3 already has the column (version 1 creates the current tables), so
    the step only adds what is missing.
    """
    from cxlens.store import engines

    if "responses" not in store.external_tables:
        engines.add_column(store.ibis, store.engine, "responses", "aspect", "VARCHAR")


# version reached -> step; append a step (never edit an old one) when the model changes.
MIGRATIONS: dict[int, Callable[["Store"], None]] = {1: _create_v1, 2: _create_v2, 3: _add_aspect_v3}


def current_version(store: "Store") -> int:
    from cxlens.store import engines

    return engines.read_version(store.ibis, store.engine)


def migrate(store: "Store") -> int:
    """Apply pending migrations; returns the schema version the store is at afterwards."""
    from cxlens.store import engines

    version = current_version(store)
    if version > SCHEMA_VERSION:
        raise StoreError(f"{store.url} has schema version {version}, newer than this cxlens ({SCHEMA_VERSION}); upgrade cxlens.")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](store)
        engines.write_version(store.ibis, store.engine, target)
    return max(version, SCHEMA_VERSION)
