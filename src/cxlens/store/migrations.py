"""Schema versions and the steps that move a store from one to the next.

The version lives in `cxlens_meta`; `Store.migrate()` (run by `Store.open` unless `migrate=False`, and by
`cxlens migrate`) applies every pending step in order, so a store created by an older cxlens keeps
working after an upgrade.
"""

from __future__ import annotations

from typing import Callable, Collection

from cxlens.errors import StoreError
from cxlens.model import LOADS, META, SCHEMA_VERSION, SYSTEM_TABLES, TABLES, table
from cxlens.store.backends import Backend

# A step gets the store's backend and the names of its external tables (read in place, never created).
Step = Callable[[Backend, Collection[str]], None]


def _create_v1(backend: Backend, external: Collection[str]) -> None:
    """Version 1: the canonical tables and the bookkeeping tables."""
    for t in [*TABLES.values(), *SYSTEM_TABLES.values()]:
        if t.name not in external:
            backend.create_table(t)


def _create_v2(backend: Backend, external: Collection[str]) -> None:
    """Version 2: `notes` (interview/call notes, their own kind) and `comment_analysis` (text results)."""
    for name in ("notes", "comment_analysis"):
        if name not in external:
            backend.create_table(table(name))


def _add_aspect_v3(backend: Backend, external: Collection[str]) -> None:
    """Version 3: `responses.aspect` (functional/emotional/experiential, NULL = overall question).

    Existing answers were all overall questions, so NULL is their true value: nothing to backfill.
    A store created at version 3 already has the column (version 1 creates the current tables), so
    the step only adds what is missing.
    """
    if "responses" not in external:
        backend.add_column(table("responses"), "aspect")


def _load_columns_and_journey_steps_v4(backend: Backend, external: Collection[str]) -> None:
    """Version 4: `loads.mode` and `loads.columns` (column-wise merge), `loads.skipped` and `loads.not_selected`
    (rows left out on purpose by a mapping), `loads.redactions` (identifiers replaced in comments). Older loads
    replaced whole rows, skipped and redacted nothing, but what
    their files held was not recorded, so the columns stay NULL for them. And `journey_steps` (the events
    numbered per customer), created empty: it reads as stale until `cxlens journey refresh` or the next events
    load fills it, so analyses number the events themselves meanwhile."""
    for column in ("mode", "columns", "skipped", "not_selected", "redactions"):
        backend.add_column(LOADS, column)
    backend.create_table(table("erasures"))  # the erasure audit (cxlens forget)
    if "journey_steps" not in external:
        backend.create_table(table("journey_steps"))


# Tables version 5 adds (issue 20: one customer view and personas); created empty.
V5_TABLES = ("personas", "identity_keys", "identity_links")


def _customer_view_tables_v5(backend: Backend, external: Collection[str]) -> None:
    """Version 5: `personas` (each customer's persona from `cxlens personas fit`), `identity_keys` and
    `identity_links` (identity resolution's index and decisions), created empty; the step
    creates only what is missing (a store created at version 5 has them from version 1)."""
    for name in V5_TABLES:
        if name not in external and not backend.has_table(name):
            backend.create_table(table(name))


def _response_rollup_v6(backend: Backend, external: Collection[str]) -> None:
    """Version 6: `response_rollup` (sufficient statistics of the answers per day and cell, cxlens.metrics.rollup),
    created empty: it reads as stale until the next responses or customers load or `cxlens rollup rebuild` fills
    it, so metrics read the raw answers meanwhile."""
    if "response_rollup" not in external and not backend.has_table("response_rollup"):
        backend.create_table(table("response_rollup"))


def _journey_first_visit_v7(backend: Backend, external: Collection[str]) -> None:
    """Version 7: `journey_steps.first_visit` (the customer's first step at the touchpoint: exit rates count
    the customers who reached a touchpoint from it, architecture D50). Existing rows get NULL; the table's
    numbering rule changed with it, so it reads as stale until the next events load or `cxlens journey
    refresh` rebuilds it, and analyses number the events themselves meanwhile."""
    if "journey_steps" not in external and backend.has_table("journey_steps"):
        backend.add_column(table("journey_steps"), "first_visit")


def _value_frames_v8(backend: Backend, external: Collection[str]) -> None:
    """Version 8: `value_months`, `value_answers` and `value_groups`, value linkage's frames kept by loads (D54).
    Created empty: with no record of what they reflect they read as stale, and `cxlens value` computes its frames
    per call (with a warning naming `cxlens value refresh`) until the next load or refresh fills them."""
    for name in ("value_months", "value_answers", "value_groups"):
        if name not in external and not backend.has_table(name):
            backend.create_table(table(name))


def _ticket_facts_v9(backend: Backend, external: Collection[str]) -> None:
    """Version 9: `ticket_facts` (one row per ticket with the customer's attributes copied on, hours and flags: what
    ticket outcomes read, D57). Created empty: with no record it reads as stale, and `outcomes_by` reads the raw
    tickets (with a warning naming `cxlens rollup rebuild`) until the next tickets or customers load fills it."""
    if "ticket_facts" not in external and not backend.has_table("ticket_facts"):
        backend.create_table(table("ticket_facts"))


def _response_rollup_month_v10(backend: Backend, external: Collection[str]) -> None:
    """Version 10: `response_rollup_month` (`response_rollup` summed per month, D64), created empty. The rollup's
    record names the rule that wrote both (`rollup_record.VERSION` 2), so a rollup built before reads as stale
    (metrics read the raw answers, with a warning naming `cxlens rollup rebuild`) until the next responses or
    customers load or a rebuild writes the two together."""
    if "response_rollup" not in external and not backend.has_table("response_rollup_month"):
        backend.create_table(table("response_rollup_month"))


def _answer_counts_v11(backend: Backend, external: Collection[str]) -> None:
    """Version 11: `answer_counts` (answers per customer and metric, D66), created empty. The rollup's record names
    the rule that wrote it with the rollup (`rollup_record.VERSION` 3), so a rollup built before reads as stale until
    the next responses or customers load or a rebuild writes the three together."""
    if "response_rollup" not in external and not backend.has_table("answer_counts"):
        backend.create_table(table("answer_counts"))


# version reached -> step; append a step (never edit an old one) when the model changes.
MIGRATIONS: dict[int, Step] = {1: _create_v1, 2: _create_v2, 3: _add_aspect_v3, 4: _load_columns_and_journey_steps_v4,
                               5: _customer_view_tables_v5, 6: _response_rollup_v6, 7: _journey_first_visit_v7,
                               8: _value_frames_v8, 9: _ticket_facts_v9,
                               10: _response_rollup_month_v10, 11: _answer_counts_v11}


def _refuse_newer(backend: Backend, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(f"{backend.url} has schema version {version}, newer than this cxlens ({SCHEMA_VERSION}); upgrade cxlens.")


def check_version(backend: Backend) -> int:
    """The store's schema version, refused (StoreError) unless it is this cxlens's: for opening without migrating."""
    version = backend.read_version()
    _refuse_newer(backend, version)
    if version < SCHEMA_VERSION:
        what = "has no cxlens schema yet" if version == 0 else f"has schema version {version}, older than this cxlens ({SCHEMA_VERSION})"
        raise StoreError(f"{backend.url} {what}; run `cxlens migrate -w DIR` (DIR: the workspace folder) to bring it up to date.")
    return version


def migrate(backend: Backend, external: Collection[str] = ()) -> tuple[int, int]:
    """Apply pending migrations; returns (version before, version after)."""
    backend.create_table(META)
    version = backend.read_version()
    _refuse_newer(backend, version)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](backend, external)
        backend.write_version(target)
    return version, max(version, SCHEMA_VERSION)
