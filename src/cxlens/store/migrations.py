"""Schema versions and the steps that move a store from one to the next.

The version lives in `cxlens_meta`; `Store.migrate()` (run by `Store.open` unless `migrate=False`, and by
`cxlens migrate`) applies every pending step in order, so a store created by an older cxlens keeps
working after an upgrade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from cxlens.errors import StoreError
from cxlens.model import META, SCHEMA_VERSION, SYSTEM_TABLES, TABLES, table

if TYPE_CHECKING:  # annotations only: the store imports this module, not the other way round
    from cxlens.store.store import Store


def _create_v1(store: "Store") -> None:
    """Version 1: the canonical tables and the bookkeeping tables."""
    for t in [*TABLES.values(), *SYSTEM_TABLES.values()]:
        if t.name not in store.external_tables:
            store.backend.create_table(t)


def _create_v2(store: "Store") -> None:
    """Version 2: `notes` (interview/call notes, their own kind) and `comment_analysis` (text results)."""
    for name in ("notes", "comment_analysis"):
        if name not in store.external_tables:
            store.backend.create_table(table(name))


def _add_aspect_v3(store: "Store") -> None:
    """Version 3: `responses.aspect` (functional/emotional/experiential, NULL = overall question).

    Existing answers were all overall questions, so NULL is their true value: nothing to backfill.
    A store created at version 3 already has the column (version 1 creates the current tables), so
    the step only adds what is missing.
    """
    if "responses" not in store.external_tables:
        store.backend.add_column(table("responses"), "aspect")


# version reached -> step; append a step (never edit an old one) when the model changes.
MIGRATIONS: dict[int, Callable[["Store"], None]] = {1: _create_v1, 2: _create_v2, 3: _add_aspect_v3}


def current_version(store: "Store") -> int:
    """Schema version recorded in the store; 0 for a store cxlens never wrote to."""
    return store.backend.read_version()


def _refuse_newer(store: "Store", version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(f"{store.url} has schema version {version}, newer than this cxlens ({SCHEMA_VERSION}); upgrade cxlens.")


def check_version(store: "Store") -> int:
    """The store's schema version, refused (StoreError) unless it is this cxlens's: for opening without migrating."""
    version = current_version(store)
    _refuse_newer(store, version)
    if version < SCHEMA_VERSION:
        what = "has no cxlens schema yet" if version == 0 else f"has schema version {version}, older than this cxlens ({SCHEMA_VERSION})"
        raise StoreError(f"{store.url} {what}; run `cxlens migrate -w DIR` (DIR: the workspace folder) to bring it up to date.")
    return version


def migrate(store: "Store") -> tuple[int, int]:
    """Apply pending migrations; returns (version before, version after)."""
    store.backend.create_table(META)
    version = current_version(store)
    _refuse_newer(store, version)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](store)
        store.backend.write_version(target)
    return version, max(version, SCHEMA_VERSION)
