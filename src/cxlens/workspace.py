"""The workspace: the application object every app (CLI, report, web) calls to act on a workspace folder.

A workspace is a folder holding `cxlens.toml` (where the store is, `min_n`, external tables),
`journey.yaml` (the map) and optionally `themes.yaml` (the pinned text themes). `Workspace` knows
these files and does what a user does to a workspace: load a file (journey synced first), analyse
the stored texts, open the store (read-only for analyses, migrating for writers), migrate it.

Importing this module is cheap (no pydantic, Ibis, pandas or text models): apps import it at start-up
and what a method needs loads when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cxlens.errors import ConfigError, UsageError
from cxlens.model import KINDS

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.ingest import LoadReport, Mapping
    from cxlens.ingest.identity import Identity
    from cxlens.model.config import IdentityConfig, PrivacyConfig, ValueConfig
    from cxlens.model.journey import JourneyMap
    from cxlens.privacy import Pseudonymiser
    from cxlens.store import Store
    from cxlens.query import Scope
    from cxlens.text.calibrate import CalibrationReport
    from cxlens.text.sentiment import SentimentModel
    from cxlens.text.stored import AnalyzeReport
    from cxlens.text.themes import ThemeSet
    from cxlens.privacy.erase import ErasureReport
    from cxlens.privacy.retention import RetentionReport

CONFIG_FILE = "cxlens.toml"
JOURNEY_FILE = "journey.yaml"
THEMES_FILE = "themes.yaml"
__all__ = ["CONFIG_FILE", "JOURNEY_FILE", "THEMES_FILE", "TextImpact", "Workspace", "init"]

_CONFIG_TEMPLATE = """\
# cxlens workspace configuration.
[store]
# Where the canonical tables live. A relative duckdb path is relative to this folder.
#   duckdb:///cx.duckdb        embedded DuckDB file (default)
#   spark://local[*]           Apache Spark (local mode or a master URL)
#   postgres://user@host/db    PostgreSQL
url = "{url}"

[metrics]
# Cells with fewer responses than this are flagged as imprecise, never shown as if exact.
min_n = 30

# External tables: read in place instead of loading a copy (Parquet folders or files).
# [tables.events]
# path = "/lake/cx/events/"
# format = "parquet"
"""

_JOURNEY_TEMPLATE = """\
# The journey map: the shared vocabulary of stages and touchpoints.
# Every touchpoint_id used in events, responses and tickets must be listed here.
stages: [awareness, purchase, onboarding, usage, billing, support, renewal, advocacy]

touchpoints:
  - id: store_visit                 # short, stable identifier used in your data
    name: Store visit               # readable name
    stage: purchase                 # one of the stages above
    channel: store                  # app, web, store, call_center, email, sms, ...
    description: Customer visits a shop to choose a plan
    expectation: Quick, honest advice without pressure   # what the customer expects, in their words
    owner: Retail operations        # who is accountable
    moment_of_truth: false          # does this moment decide the relationship?
    targets: {nps: 30, csat: 4.2}   # optional, per metric
    self_rating: {csat: 4.5}        # optional: what the owner believes is delivered
"""


@dataclass(frozen=True)
class TextImpact:
    """What `Workspace.text_impact` returns: the impact table and how many texts were analysed first."""

    table: "pd.DataFrame"
    newly_analysed: int


@dataclass(frozen=True)
class Workspace:
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
    def identity_config(self) -> "IdentityConfig":
        """`[identity]` of cxlens.toml (the defaults when the file has none): phone region and linkage thresholds."""
        from cxlens.model.config import IdentityConfig

        return self.identity or IdentityConfig()

    @property
    def journey_path(self) -> Path:
        return self.root / JOURNEY_FILE

    @property
    def themes_path(self) -> Path:
        """Where the workspace's pinned themes live (the file may not exist: then the default themes apply)."""
        return self.root / THEMES_FILE

    @classmethod
    def open(cls, root: str | Path = ".") -> "Workspace":
        """Read and validate `cxlens.toml` in `root`; a folder without one is an error that says to run `cxlens init`."""
        root = Path(root).resolve()
        path = root / CONFIG_FILE
        if not path.exists():
            raise ConfigError(f"{root} is not a cxlens workspace (no {CONFIG_FILE}); run `cxlens init {root}` first.")
        from cxlens.model.config import WorkspaceConfig, read_config  # pydantic: loaded here, not at start-up

        config = read_config(path, WorkspaceConfig)
        return cls(root=root, store_url=_resolve_url(config.store.url, root), min_n=config.metrics.min_n,
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
            report = load(store, path, kind, mapping, encoding, on_progress=on_progress, replace=replace,
                          redact=self.redact_comments, pseudonymiser=pseudonymiser, identity=identity,
                          derived=rollup.apply)
            rollup.after_load()  # Spark: rebuilt once the load's files are in
            if (report.keyed or report.identity) and store.meta(KEY_CHECK) is None:  # the first keyed values
                store.set_meta(KEY_CHECK, key_check(pseudonymiser.key if pseudonymiser else secret))
            if kind == "customers" and identity is None:
                report.identity = {"warnings": [self._no_identity_key + "; the identity index was not written"]}
            if kind == "events":
                self.refresh_journey(store)
            return report

    _no_identity_key = ("identity resolution needs the pseudonymisation key, and identifiers are stored raw here "
                        "(allow_raw_identifiers) without one: set key_file or CXLENS_PSEUDONYM_KEY ([privacy] of "
                        "cxlens.toml, docs/privacy.md)")

    def _identity_secret(self, pseudonymiser: "Pseudonymiser | None") -> bytes | None:
        """The secret identity keys are made with: the pseudonymisation key (one secret per workspace). When
        identifiers are stored raw, an existing key is used; None when there is none (no key is made for it)."""
        from cxlens.model.config import PrivacyConfig
        from cxlens.privacy import read_key

        if pseudonymiser is not None:
            return pseudonymiser.key
        try:
            return read_key(self.root, (self.privacy or PrivacyConfig()).key_file).secret
        except ConfigError:
            return None

    def _identity(self, secret: bytes) -> "Identity":
        """Identity resolution's keys and `[identity]` of cxlens.toml, for a load."""
        from cxlens.ingest.identity import Identity, IdentityKeys

        return Identity.from_config(IdentityKeys(secret), self.identity_config)

    def identities(self, truth: "str | Path | None" = None) -> dict:
        """What identity resolution did, per source file: records, linked (by rule, by probability), review,
        unmatched, customers they map to, conflicts; with `truth` (a truth.json holding an `identity` section, or a
        CSV record,customer_id) also precision and recall. See cxlens.ingest.identity.report."""
        from cxlens.ingest.identity.report import identity_summary

        with self.store() as store:
            return identity_summary(store, truth)

    def identity_review(self) -> list[dict]:
        """The records identity resolution listed for review (uncertain, not linked), with the best candidate."""
        from cxlens.ingest.identity.report import review_rows

        with self.store() as store:
            return review_rows(store)

    def refresh_journey(self, store: "Store | None" = None) -> dict:
        """Rebuild the stored numbering of every journey (`journey_steps`) from the events; run by every events
        load, and by hand after events changed outside cxlens. Returns {"rows": ..., "seconds": ...}."""
        from cxlens.journey import refresh_steps

        if store is not None:
            return refresh_steps(store)
        with self.store(migrate=True) as opened:
            return refresh_steps(opened)

    def refresh_rollup(self) -> dict:
        """Rebuild the stored rollup of the answers' sufficient statistics (`response_rollup`, `cxlens rollup
        rebuild`) from the raw answers; loads, erasure and retention keep it current otherwise. Returns
        {"rows", "days", "seconds"}."""
        from cxlens.metrics.rollup import refresh_rollup

        with self.store(migrate=True) as store:
            return refresh_rollup(store)

    def rollup_status(self) -> dict:
        """What the stored rollup holds and whether metrics can read it (`cxlens rollup status`)."""
        from cxlens.metrics.rollup import rollup_status

        with self.store() as store:
            return rollup_status(store)

    def pseudonymiser(self, create: bool = False) -> "Pseudonymiser | None":
        """What keys identifier columns at load (docs/privacy.md); None when `allow_raw_identifiers` or no identifiers.

        `create` makes the default key file when no key is configured (the first load); otherwise a missing key is a
        ConfigError: a new key for a store holding values keyed with a lost one would silently stop linking.
        The people issue matches identities with its `keyed(value, kind)`.
        """
        from cxlens.model.config import PrivacyConfig
        from cxlens.privacy import Pseudonymiser, read_key

        privacy = self.privacy or PrivacyConfig()
        if privacy.allow_raw_identifiers or not privacy.identifiers:
            return None
        key = read_key(self.root, privacy.key_file, create=create)
        return Pseudonymiser(key.secret, tuple(privacy.identifiers))

    def _checked_pseudonymiser(self, store: "Store") -> "Pseudonymiser | None":
        """The pseudonymiser for a load into `store`, its key checked against the one the store's keyed values were
        made with (recorded at the first load that keyed a column): a different key is a ConfigError, never silently
        unlinked data. A store without keyed values may get a new key."""
        from cxlens.errors import ConfigError
        from cxlens.privacy.keys import KEY_CHECK, key_check

        recorded = store.meta(KEY_CHECK)
        pseudonymiser = self.pseudonymiser(create=recorded is None)
        if pseudonymiser is None or recorded is None:
            return pseudonymiser
        check = key_check(pseudonymiser.key)
        if recorded != check:
            raise ConfigError(f"this store's identifiers were keyed with another pseudonymisation key (check {recorded}, "
                              f"this key {check}): restore the key file from your backup, or set {self.privacy.key_file or 'CXLENS_PSEUDONYM_KEY'} "
                              "to it; values keyed with a new key would not link to the stored ones")
        return pseudonymiser

    def ensure_pseudonym_key(self) -> Path | None:
        """Create the default pseudonymisation key file when the workspace needs one and has none; returns its path
        when it was made just now (tell the user where it is and to back it up), else None.

        Only a store that holds no keyed values gets a new key (the store records a check of the key at its first
        keyed load); for one that does, a missing key is a ConfigError (restore it from the backup), since values
        keyed with another key would not link to the stored ones.
        """
        from cxlens.errors import ConfigError
        from cxlens.model.config import PrivacyConfig
        from cxlens.privacy import read_key
        from cxlens.privacy.keys import KEY_CHECK

        privacy = self.privacy or PrivacyConfig()
        if privacy.allow_raw_identifiers or not privacy.identifiers:
            return None
        try:
            read_key(self.root, privacy.key_file)
            return None
        except ConfigError:
            with self.store(migrate=True) as store:
                first = store.meta(KEY_CHECK) is None  # no value was ever keyed in this store
            return read_key(self.root, privacy.key_file, create=first).created

    def quarantined(self, kind: str | None = None, limit: int | None = 200) -> list[dict]:
        """Rows refused by loads (newest load first), optionally of one table: file, row, field, value, reason."""
        from cxlens.ingest import quarantined_rows

        if kind is not None:
            _check_kind(kind)
        if limit is not None and limit < 0:
            raise UsageError("limit", limit, message=f"limit={limit} is negative; use a count, or 0 for every row")
        with self.store() as store:
            return quarantined_rows(store, kind=kind, limit=limit or None)

    # --- text --------------------------------------------------------------------------------------------------

    def themes(self) -> "ThemeSet":
        """The workspace's pinned `themes.yaml` when present, else the shipped default themes."""
        from cxlens.text.themes import ThemeSet

        return ThemeSet.load(self.themes_path if self.themes_path.exists() else None)

    def init_themes(self) -> Path:
        """Write the default themes into the workspace's `themes.yaml` (refused when one exists); returns its path."""
        from cxlens.text.themes import ThemeSet

        if self.themes_path.exists():
            raise ConfigError(f"{self.themes_path} exists; edit it, or delete it to start again from the default")
        return ThemeSet.load().save(self.themes_path)

    def analyze_texts(self, source: str = "all", full: bool = False,
                      on_progress: Callable[[str, int, int], None] | None = None,
                      store: "Store | None" = None) -> "AnalyzeReport":
        """Bring the stored text analysis (`comment_analysis`) up to date with the workspace's themes.

        Only new or changed texts are analysed unless `full`; pass an open `store` to reuse it.
        """
        from cxlens.text.stored import analyze_store, check_sources

        check_sources(source)  # before any model loads
        sentiment = self.sentiment_model()
        if store is not None:
            return analyze_store(store, source, full=full, themes=self.themes(), sentiment=sentiment,
                                 on_progress=on_progress)
        with self.store(migrate=True) as opened:
            return analyze_store(opened, source, full=full, themes=self.themes(), sentiment=sentiment,
                                 on_progress=on_progress)

    @property
    def text_models_dir(self) -> Path:
        """The workspace's own text models (`.cxlens/text`): `cxlens text calibrate` saves calibrated heads here."""
        return self.root / ".cxlens" / "text"

    def sentiment_model(self) -> "SentimentModel":
        """The sentiment models the workspace's text analysis uses: the default ones, with the workspace's
        calibrated heads (`cxlens text calibrate`) in front for their languages."""
        from cxlens.text.calibrate import with_calibrated
        from cxlens.text.pipeline import default_sentiment_model

        return with_calibrated(default_sentiment_model(), self.text_models_dir)

    def calibrate_text(self, seed: int = 0, save: bool = True, max_rows: int | None = None) -> "CalibrationReport":
        """Fit a sentiment head per language on the store's comments weakly labelled by their NPS/CSAT answer and
        keep it where it beats the default model on held-out comments (`text.calibrate`); returns the table."""
        from cxlens.text.calibrate import MAX_ROWS, calibrate
        from cxlens.text.pipeline import default_sentiment_model

        with self.store() as store:
            return calibrate(store, self.text_models_dir, default_sentiment_model(), seed=seed, save=save,
                             max_rows=max_rows or MAX_ROWS)

    def theme_mentions(self, theme_ids: list[str]) -> dict[str, int] | None:
        """Analysed texts mentioning each theme; None before any text was analysed (nothing to count)."""
        from cxlens.text.stored import TABLE, theme_mentions

        with self.store() as store:
            if store.count(TABLE) == 0:
                return None
            counts = theme_mentions(store, theme_ids)
        return {t: int(n) for t, n in zip(counts["theme"], counts["mentions"])}

    def text_impact(self, scope: "Scope | None" = None) -> TextImpact:
        """NPS points each theme costs in `scope`; new or changed NPS comments are analysed first, so it is current."""
        from cxlens.query import Scope
        from cxlens.text.store_impact import store_theme_impact

        with self.store(migrate=True) as store:
            done = self.analyze_texts("survey", store=store)
            table = store_theme_impact(store, scope or Scope())
        return TextImpact(table, done.analysed)

    # --- privacy: erasure, access requests, retention (docs/privacy.md) ------------------------------------------

    def forget(self, customer_ids: "list[str]", by: str) -> "ErasureReport":
        """Erase these customers from every table of the store and purge the bytes (`cxlens forget`); the stored
        journey numbering is rebuilt when events went, so it stays current. Returns rows removed per table."""
        from cxlens.metrics.rollup_upkeep import DeletionMaintenance
        from cxlens.privacy.erase import clean_ids, forget

        with self.store(migrate=True) as store:
            ids = clean_ids(customer_ids)
            report = forget(store, ids, by, on_deleted=DeletionMaintenance(store, ids))
            if report.rows_removed.get("events"):
                self.refresh_journey(store)
            return report

    def export_customer(self, customer_id: str, out: str | Path) -> dict:
        """Write everything stored about one customer to `out` (JSON, `cxlens export-customer`); returns the record."""
        from cxlens.privacy.export import export_customer

        with self.store() as store:
            return export_customer(store, customer_id, out)

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

    def apply_retention(self, dry_run: bool = False) -> "RetentionReport":
        """Delete rows older than `[privacy] retention` per table (`cxlens retention apply`); `dry_run` only counts."""
        from cxlens.model.config import WorkspaceConfig, read_config
        from cxlens.metrics.rollup_upkeep import DeletionMaintenance
        from cxlens.privacy.retention import apply_retention, check_retention

        retention = read_config(self.root / CONFIG_FILE, WorkspaceConfig).privacy.retention
        check_retention(retention)
        with self.store(migrate=not dry_run) as store:
            on_deleted = None if dry_run else DeletionMaintenance(store)
            report = apply_retention(store, retention, dry_run=dry_run, on_deleted=on_deleted)
            if not dry_run and any(i.table == "events" and i.rows for i in report.items):
                self.refresh_journey(store)
            return report


def init(root: str | Path, store_url: str | None = None, force: bool = False) -> Path:
    """Create a workspace: `cxlens.toml` and a commented `journey.yaml` template; returns the folder.

    `store_url` defaults to a DuckDB file `cx.duckdb` in the folder. The store itself is created (at the current schema) by the first `Workspace.store(migrate=True)`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists; pass --force to overwrite it.")
    if store_url is None:
        from cxlens.model.config import DEFAULT_STORE_URL

        store_url = DEFAULT_STORE_URL
    config.write_text(_CONFIG_TEMPLATE.format(url=store_url), encoding="utf-8")
    journey = root / JOURNEY_FILE
    if not journey.exists() or force:
        journey.write_text(_JOURNEY_TEMPLATE, encoding="utf-8")
    return root


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UsageError("kind", kind, list(KINDS))


def _resolve_url(url: str, root: Path) -> str:
    """Make a relative DuckDB file or Spark warehouse path absolute against the workspace folder,
    so a workspace means the same data whatever the current directory."""
    prefix = "duckdb:///"
    if url.startswith(prefix):
        path = url[len(prefix):]
        if path != ":memory:" and not Path(path).is_absolute():
            return prefix + str(root / path)
    if url.startswith("spark://") and "warehouse=" in url:
        head, _, query = url.partition("?")
        params = [p.split("=", 1) for p in query.split("&") if p]
        params = [(k, str(root / v) if k == "warehouse" and not Path(v).is_absolute() else v) for k, v in params]
        return head + "?" + "&".join(f"{k}={v}" for k, v in params)
    return url
