"""`Workspace`, the application object every app (CLI, report, web) calls to act on a workspace folder.

A workspace is a folder holding `cxlens.toml` (where the store is, `min_n`, external tables),
`journey.yaml` (the map) and optionally `themes.yaml` (the pinned text themes). `Workspace` knows
these files and does what a user does to a workspace: open the store (read-only for analyses, migrating for
writers), migrate it, load a file (journey synced first), keep the stored journey numbering and rollup current.

This module holds the configuration, the store, loading, the journey and the rollup; the methods of each other
concern live in a mixin of their own that `Workspace` inherits (keys.py: pseudonymisation and identity keys;
text.py: themes and text analysis; customers.py: erasure, export, retention, customer view and personas), so each
module stays one subject and none grows past a few hundred lines.

Importing this module is cheap (no pydantic, Ibis, pandas or text models): apps import it at start-up
and what a method needs loads when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from cxlens.errors import ConfigError, UsageError
from cxlens.model import KINDS
from cxlens.workspace.customers import CustomersMixin
from cxlens.workspace.files import CONFIG_FILE, JOURNEY_FILE, init, resolve_url
from cxlens.workspace.keys import KeysMixin
from cxlens.workspace.text import TextMixin

if TYPE_CHECKING:
    from cxlens.ingest import LoadReport, Mapping
    from cxlens.model.config import IdentityConfig, PrivacyConfig, ValueConfig
    from cxlens.model.journey import JourneyMap
    from cxlens.store import Store


@dataclass(frozen=True)
class Workspace(KeysMixin, TextMixin, CustomersMixin):
    """An opened workspace folder with its validated configuration."""

    root: Path
    store_url: str
    min_n: int = 30
    min_group: int = 5  # [privacy] min_group: no published figure describes fewer customers (cxlens.privacy.suppress)
    redact_comments: bool = True  # [privacy] redact_comments: identifiers in free text replaced at load
    external_tables: dict[str, dict] = field(default_factory=dict)
    privacy: "PrivacyConfig | None" = None  # `[privacy]` of cxlens.toml; None: the defaults
    value: "ValueConfig | None" = None  # `[value]` of cxlens.toml; None: the defaults
    identity: "IdentityConfig | None" = None  # `[identity]` of cxlens.toml; None: the defaults

    @property
    def value_config(self) -> "ValueConfig":
        """`[value]` of cxlens.toml (the defaults when the file has none): money per upgrade and referral, currency."""
        from cxlens.model.config import ValueConfig

        return self.value or ValueConfig()

    @property
    def journey_path(self) -> Path:
        return self.root / JOURNEY_FILE

    @classmethod
    def open(cls, root: str | Path = ".") -> "Workspace":
        """Read and validate `cxlens.toml` in `root`; a folder without one is an error that says to run `cxlens init`."""
        root = Path(root).resolve()
        path = root / CONFIG_FILE
        if not path.exists():
            raise ConfigError(f"{root} is not a cxlens workspace (no {CONFIG_FILE}); run `cxlens init {root}` first.")
        from cxlens.model.config import WorkspaceConfig, read_config  # pydantic: loaded here, not at start-up

        config = read_config(path, WorkspaceConfig)
        return cls(root=root, store_url=resolve_url(config.store.url, root), min_n=config.metrics.min_n,
                   min_group=config.privacy.min_group, redact_comments=config.privacy.redact_comments,
                   external_tables=config.external_tables(), privacy=config.privacy,
                   value=config.value, identity=config.identity)

    @classmethod
    def create(cls, root: str | Path, store_url: str | None = None, force: bool = False) -> "Workspace":
        """Write a new workspace (see `init`) and create its store at the current schema.

        A store URL that cannot be opened leaves no half-made workspace behind: the files written
        are removed (or restored, with `force`) and the StoreError says why.
        """
        root = Path(root)
        before = {name: (root / name).read_bytes() if (root / name).is_file() else None
                  for name in (CONFIG_FILE, JOURNEY_FILE)}
        init(root, store_url, force)
        try:
            workspace = cls.open(root)
            workspace.migrate()
        except Exception:
            for name, content in before.items():
                if content is None:
                    (root / name).unlink(missing_ok=True)
                else:
                    (root / name).write_bytes(content)
            raise
        return workspace

    @staticmethod
    def exists(root: str | Path) -> bool:
        """Whether `root` is a workspace folder (holds cxlens.toml)."""
        return (Path(root) / CONFIG_FILE).is_file()

    # --- the store ---------------------------------------------------------------------------------------

    def store(self, migrate: bool = False) -> "Store":
        """Open the store this workspace points at.

        Analyses open it as it is, read-only (`migrate=False`: a store whose schema is behind is refused
        with a message to run `cxlens migrate`), so any number of them run at once; writers (load, text
        analysis, init, demo) pass `migrate=True` and hold it alone. While another process holds it the
        open waits, up to CXLENS_LOCK_TIMEOUT seconds (docs/architecture.md D18).
        """
        from cxlens.store import Store

        return Store.open(self.store_url, external_tables=self.external_tables, migrate=migrate, read_only=not migrate)

    def migrate(self) -> tuple[int, int]:
        """Bring the store's schema to this cxlens's version; returns (version before, version after)."""
        with self.store(migrate=True) as store:
            return store.migration

    # --- journey and loading -------------------------------------------------------------------------------

    def journey(self) -> "JourneyMap":
        """The validated journey map (`journey.yaml`)."""
        from cxlens.model.journey import read_journey

        return read_journey(self.journey_path)

    def sync_journey(self, store: "Store", allow_orphans: bool = False) -> int:
        """Write the journey map's touchpoints into `store` (loads check touchpoint ids against them); refused when
        journey.yaml dropped a touchpoint that stored rows reference, unless `allow_orphans`."""
        from cxlens.ingest import sync_journey

        return sync_journey(store, self.journey(), allow_orphans)

    def orphaned_touchpoints(self) -> dict[str, dict[str, int]]:
        """Touchpoints in the store that journey.yaml no longer lists, with their stored rows: {id: {table: rows}}."""
        from cxlens.ingest import orphaned_references

        journey = self.journey()
        with self.store() as store:
            return orphaned_references(store, journey)

    def load(self, path: str | Path, kind: str, mapping: "str | Path | Mapping | None" = None, encoding: str = "utf-8",
             on_progress: Callable[[float], None] | None = None, replace: bool = False,
             allow_orphans: bool = False) -> "LoadReport":
        """Load one file into the canonical table `kind` as one transaction, the journey synced first.

        `mapping` is a mapping YAML path or a parsed Mapping (None: columns already canonical).
        Bad rows are quarantined; the report counts read/inserted/updated/unchanged/quarantined rows.
        Stored rows are merged column-wise (the file's columns updated, the others kept) unless `replace`.
        A journey.yaml that dropped a touchpoint stored rows reference is refused (ConfigError naming them) unless
        `allow_orphans`.
        """
        from cxlens.ingest import Mapping, load, read_mapping, sync_journey
        from cxlens.metrics.rollup_upkeep import LoadMaintenance
        from cxlens.metrics.ticket_facts_upkeep import FactsLoadMaintenance
        from cxlens.privacy.keys import KEY_CHECK, key_check

        _check_kind(kind)
        mapping = mapping if isinstance(mapping, Mapping) else read_mapping(mapping)
        journey = self.journey()  # validated before the store is touched
        with self.store(migrate=True) as store:
            sync_journey(store, journey, allow_orphans)
            pseudonymiser = self._checked_pseudonymiser(store)
            secret = self._identity_secret(pseudonymiser) if kind == "customers" or mapping.identity else None
            identity = self._identity(secret) if secret else None
            if mapping.identity and identity is None:
                raise ConfigError(self._no_identity_key)
            rollup = LoadMaintenance(store, kind)  # response_rollup kept current in the load's transaction
            facts = FactsLoadMaintenance(store, kind)  # and ticket_facts
            report = load(store, path, kind, mapping, encoding, on_progress=on_progress, replace=replace,
                          redact=self.redact_comments, pseudonymiser=pseudonymiser, identity=identity,
                          derived=lambda con: (rollup.apply(con), facts.apply(con)))
            rollup.after_load()  # Spark: rebuilt once the load's files are in
            facts.after_load()
            if (report.keyed or report.identity) and store.meta(KEY_CHECK) is None:  # the first keyed values
                store.set_meta(KEY_CHECK, key_check(pseudonymiser.key if pseudonymiser else secret))
            if kind == "customers" and identity is None:
                report.identity = {"warnings": [self._no_identity_key + "; the identity index was not written"]}
            if kind == "events":
                self.refresh_journey(store)
            self.refresh_value_after(store, [kind])
            return report

    def refresh_journey(self, store: "Store | None" = None) -> dict:
        """Rebuild the stored numbering of every journey (`journey_steps`) from the events; run by every events
        load, and by hand after events changed outside cxlens. Returns {"rows": ..., "seconds": ...}."""
        from cxlens.journey import refresh_steps

        if store is not None:
            return refresh_steps(store)
        with self.store(migrate=True) as opened:
            return refresh_steps(opened)

    def refresh_value(self) -> dict:
        """Rebuild value linkage's stored frames (`value_months`, `value_answers`, `value_groups`; `cxlens value
        refresh`) from the store; loads, erasure and retention keep them current otherwise. Returns rows per table and
        "seconds"."""
        from cxlens.value.upkeep import refresh_value

        with self.store(migrate=True) as store:
            return refresh_value(store)

    def refresh_value_after(self, store: "Store", changed: Iterable[str]) -> None:
        """Rebuild value linkage's stored frames when rows of the tables `changed` (a load's kind, what erasure or
        retention deleted from) are among their sources and there are outcomes to link them to."""
        from cxlens.value.stored import wants_refresh
        from cxlens.value.upkeep import refresh_value

        if wants_refresh(store, changed):
            refresh_value(store)

    def refresh_rollup(self) -> dict:
        """Rebuild the stored rollup of the answers' sufficient statistics (`response_rollup`, `cxlens rollup
        rebuild`) from the raw answers, and the narrow ticket table (`ticket_facts`) from the tickets; loads, erasure
        and retention keep them current otherwise. Returns {"rows", "days", "seconds", "ticket_facts": {"rows",
        "seconds"}}."""
        from cxlens.metrics.rollup import refresh_rollup
        from cxlens.metrics.ticket_facts import refresh_facts

        with self.store(migrate=True) as store:
            return {**refresh_rollup(store), "ticket_facts": refresh_facts(store)}

    def rollup_status(self) -> dict:
        """What the stored rollup holds and whether metrics can read it (`cxlens rollup status`), with the same for
        the narrow ticket table under "ticket_facts"."""
        from cxlens.metrics.rollup import rollup_status
        from cxlens.metrics.ticket_facts import facts_status

        with self.store() as store:
            return {**rollup_status(store), "ticket_facts": facts_status(store)}

    def quarantined(self, kind: str | None = None, limit: int | None = 200) -> list[dict]:
        """Rows refused by loads (newest load first), optionally of one table: file, row, field, value, reason."""
        from cxlens.ingest import quarantined_rows

        if kind is not None:
            _check_kind(kind)
        if limit is not None and limit < 0:
            raise UsageError("limit", limit, message=f"limit={limit} is negative; use a count, or 0 for every row")
        with self.store() as store:
            return quarantined_rows(store, kind=kind, limit=limit or None)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UsageError("kind", kind, list(KINDS))
