"""What a workspace does about individual customers: erase them, export what is stored about one, apply retention
(docs/privacy.md), and show them: the customer view, one customer's record, personas (docs/people.md).

A mixin of `Workspace` (it uses the workspace's `root`, `min_group`, `store()`, `refresh_journey` and
`refresh_value_after`), apart from the class because these are the methods that read or delete one customer's rows
across every table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cxlens.workspace.files import CONFIG_FILE

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.privacy.erase import ErasureReport
    from cxlens.privacy.retention import RetentionReport
    from cxlens.query import Scope


class CustomersMixin:
    """Privacy requests and people views of a `Workspace` (mixed into it; not used alone)."""

    # --- privacy: erasure, access requests, retention (docs/privacy.md) ------------------------------------------

    def forget(self, customer_ids: "list[str]", by: str) -> "ErasureReport":
        """Erase these customers from every table of the store and purge the bytes (`cxlens forget`); the stored
        journey numbering is rebuilt when events went, so it stays current. Returns rows removed per table."""
        from cxlens.metrics.rollup_upkeep import DeletionMaintenance
        from cxlens.metrics.ticket_facts_upkeep import FactsDeletionMaintenance, chained
        from cxlens.privacy.erase import clean_ids, forget

        with self.store(migrate=True) as store:
            ids = clean_ids(customer_ids)
            on_deleted = chained(DeletionMaintenance(store, ids), FactsDeletionMaintenance(store))
            report = forget(store, ids, by, on_deleted=on_deleted)
            if report.rows_removed.get("events"):
                self.refresh_journey(store)
            self.refresh_value_after(store, [name for name, rows in report.rows_removed.items() if rows])
            return report

    def export_customer(self, customer_id: str, out: str | Path) -> dict:
        """Write everything stored about one customer to `out` (JSON, `cxlens export-customer`); returns the record."""
        from cxlens.privacy.export import export_customer

        with self.store() as store:
            return export_customer(store, customer_id, out)

    def apply_retention(self, dry_run: bool = False) -> "RetentionReport":
        """Delete rows older than `[privacy] retention` per table (`cxlens retention apply`); `dry_run` only counts."""
        from cxlens.model.config import WorkspaceConfig, read_config
        from cxlens.metrics.rollup_upkeep import DeletionMaintenance
        from cxlens.metrics.ticket_facts_upkeep import FactsDeletionMaintenance, chained
        from cxlens.privacy.retention import apply_retention, check_retention

        retention = read_config(self.root / CONFIG_FILE, WorkspaceConfig).privacy.retention
        check_retention(retention)
        with self.store(migrate=not dry_run) as store:
            on_deleted = None if dry_run else chained(DeletionMaintenance(store), FactsDeletionMaintenance(store))
            report = apply_retention(store, retention, dry_run=dry_run, on_deleted=on_deleted)
            if not dry_run and any(i.table == "events" and i.rows for i in report.items):
                self.refresh_journey(store)
            if not dry_run:
                self.refresh_value_after(store, [i.table for i in report.items if i.rows])
            return report

    # --- people: the customer view and personas (docs/people.md) -------------------------------------------------

    def customer_view(self, scope: "Scope | None" = None) -> "pd.DataFrame":
        """One row per customer: who, behaviour, experience, value, needs, persona (`cxlens customers`; docs/people.md)."""
        from cxlens.people import customer_view_frame
        from cxlens.query import Scope

        with self.store() as store:
            return customer_view_frame(store, scope or Scope())

    def customer(self, customer_id: str) -> dict:
        """One customer's view row, answers, tickets, journey and comments (`cxlens customer ID`)."""
        from cxlens.people import customer_record

        with self.store() as store:
            return customer_record(store, customer_id)

    def fit_personas(self, k: int | None = None, seed: int = 0, seeds: int = 3, resamples: int = 3,
                     progress: Callable[[str], None] | None = None, **fit_options) -> dict:
        """Fit personas on the customer view and store them (`cxlens personas fit`); returns the fit's summary.
        `fit_options` go to `cxlens.personas.fit_personas` (k_range, n_init, sample)."""
        from cxlens.people import customer_view_frame
        from cxlens.personas import fit_summary, save

        with self.store() as store:
            frame = customer_view_frame(store)
        summary, rows = fit_summary(frame, k=k, seed=seed, seeds=seeds, resamples=resamples, progress=progress,
                                    **fit_options)
        with self.store(migrate=True) as store:
            save(store, rows, summary)
        return summary

    def personas(self) -> dict:
        """The stored personas' summary and profiles, those under `min_group` customers hidden (`cxlens personas show`)."""
        from cxlens.people import customer_view_frame
        from cxlens.personas import shown

        with self.store() as store:
            return shown(store, customer_view_frame(store), self.min_group)
