"""`load`: one file into one canonical table, as a single transaction.

Rows that fail validation go to `quarantine` with file, row, field, value and reason; good rows are
upserted by key. Loading the same file twice changes nothing. A crash or Ctrl-C before COMMIT
leaves the store exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from cxlens.errors import InputFileError, UsageError
from cxlens.ingest.identity.index import Identity
from cxlens.ingest.identity.loading import (RESOLVED_COLUMN, IdentityWrites, identity_keyed_columns, index_customers,
                                            record_links, resolve_rows)
from cxlens.ingest.mapping import Mapping, template_columns
from cxlens.ingest.readers import drop_source, number_source, read_source
from cxlens.ingest.redaction import redact_stage
from cxlens.ingest.repeated_keys import may_repeat
from cxlens.ingest.validate import native_columns, source_expressions, stage_sql
from cxlens.ingest.wide import number_rows
from cxlens.model import KINDS, TABLES, Table
from cxlens.privacy.pseudonymise import Pseudonymiser
from cxlens.store.backends.base import UpsertCounts
from cxlens.store.sql import ident, literal

SOURCE_VIEW = "_cx_source"
KEYED_VIEW = "_cx_source_keyed"  # the source with identifier columns keyed (privacy.pseudonymise)
NUMBERED_VIEW = "_cx_numbered"


@dataclass
class LoadReport:
    """What a load did: inserted + updated + unchanged + quarantined + skipped == rows_read.

    Every count is in rows of the canonical table: for a wide survey file that is answers (one per answered
    question), and `respondents` says how many rows of the file they came from. `skipped` are rows left out on
    purpose (earlier rows of a repeated key under `duplicates: last`); `not_selected` counts the rows of the
    file (respondents, for a wide file) that the mapping's `where` did not select, which are not read at all.
    The `loads` row holds the same counts.
    """

    load_id: str
    kind: str
    file: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    respondents: int | None = None  # wide survey files: rows of the file (each holds several answers)
    mode: str = "merge"  # merge: stored rows keep the columns the file lacks; replace: whole rows
    changed: dict[str, int] = field(default_factory=dict)  # column written -> stored rows whose value changed
    skipped: int = 0
    not_selected: int = 0
    redactions: dict[str, int] = field(default_factory=dict)  # placeholder type -> how many went into free text
    keyed: list[str] = field(default_factory=list)  # source columns replaced by keyed hashes (privacy.pseudonymise)
    identity: dict = field(default_factory=dict)  # identity index written (customers) or rows resolved (identity:)

    def as_dict(self) -> dict:
        return asdict(self)


def load(store, path: str | Path, kind: str, mapping: Mapping | None = None, encoding: str = "utf-8",
         on_progress: Callable[[float], None] | None = None, replace: bool = False,
         _before_commit: Callable[[], None] | None = None, redact: bool = False,
         pseudonymiser: Pseudonymiser | None = None, identity: Identity | None = None,
         derived: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> LoadReport:
    """Load `path` into the canonical table `kind` of `store`; returns counts. Raises InputFileError.

    A row whose key is stored already is merged column-wise: the columns the file (or its mapping)
    provides are updated and the others kept, so one customer view can be built from several exports.
    `replace=True` replaces whole rows instead (columns the file lacks become empty).
    `_before_commit` is a test hook: it runs inside the transaction just before COMMIT.
    `redact` replaces e-mails, phones, cards, IBANs and national ids in free text before storage (ingest.redaction).
    `pseudonymiser` keys the identifier columns before anything reads the file (None: stored as they are).
    `identity` (the workspace's keys and `[identity]`) writes the identity index from a customers file's raw
    identifiers, and resolves each row of a file whose mapping has an `identity:` block to a customer
    (cxlens.ingest.identity); the index and the decisions are written with the load.
    `derived(con)` keeps derived tables current inside the transaction, after the rows are written and before
    COMMIT, given the load's DuckDB connection (where `_cx_class` classifies the rows, old values in `_old_*`):
    Workspace.load passes the rollup's (cxlens.metrics.rollup_upkeep.LoadMaintenance; ingest does not import metrics).
    """
    if kind not in KINDS:
        raise UsageError("kind", kind, KINDS)
    mapping = mapping or Mapping()
    path = Path(path)
    table = TABLES[kind]
    # The store's backend says where to validate (DuckDB: its own connection; other engines: an in-memory
    # DuckDB staging connection) and how the outcome reaches the store.
    session = store.load_session(table)
    keyed_functions: list[str] = []
    keyed: dict[str, str] = {}  # source column -> identifier kind
    writes = IdentityWrites(store)
    con = None
    try:
        con = session.connection()
        source_cols = read_source(con, path, SOURCE_VIEW, encoding)
        source_view = SOURCE_VIEW
        resolution = None
        if mapping.identity is not None:
            if identity is None:
                raise InputFileError(str(path), "the mapping's identity: block needs the workspace's identity keys: load "
                                     "through a workspace (cxlens load), which holds the key", "identity")
            resolution = resolve_rows(store, con, path, mapping, source_cols, SOURCE_VIEW, identity)
        if pseudonymiser is not None:
            keyed = {**pseudonymiser.columns(source_cols, _targets(mapping)), **identity_keyed_columns(mapping)}
        # Rows numbered in parallel where the source allows (identity resolution and wide files number their own).
        numbered = number_source(con, path, SOURCE_VIEW) if resolution is None and not mapping.wide else None
        source_view = numbered or SOURCE_VIEW
        if keyed:
            keyed_functions = pseudonymiser.keyed_view(con, source_view, KEYED_VIEW, keyed)
            source_view = KEYED_VIEW
        if resolution is not None:
            source_view, source_cols, mapping = resolution.attach(con, source_view, source_cols, mapping)
        respondents = number_rows(con, path, table, mapping, source_cols, source_view, NUMBERED_VIEW,
                                  numbered=numbered is not None)
        not_selected = _not_selected(con, mapping)
        source_types = _numbered_columns(con)
        exprs = source_expressions(table, list(source_types), mapping, str(path))
        raw_columns = ["_src"] if mapping.wide else list(source_types)
        native = native_columns(table, exprs, source_types)
        load_id = uuid.uuid4().hex[:12]
        path = path.resolve()  # quarantine and the load log record where the file really was
        digest = _HASHING.submit(_sha256, path)  # read beside the load's statements, not after them
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        with _progress(con, on_progress):
            con.execute("BEGIN TRANSACTION")
            try:
                written = None if replace else set(exprs)
                stage = stage_sql(table, exprs, mapping, NUMBERED_VIEW, raw_columns, native)
                meta = f"{literal(load_id)}, {literal(table.name)}, {literal(str(path))}"
                unstaged = (not redact and not _reads_stage(kind, resolution, identity)
                            and session.writes_in_place_into_empty(con))
                counts = _write(con, table, stage, mapping, str(path), meta,
                                lambda c, good: session.upsert(c, good, written), redact, unstaged)
                report = LoadReport(load_id, kind, str(path), respondents=respondents if mapping.wide else None,
                                    mode="replace" if replace else "merge", not_selected=not_selected, keyed=sorted(keyed),
                                    **counts)
                if resolution is not None:
                    report.identity = record_links(con, writes, resolution, load_id, str(path))
                elif kind == "customers" and identity is not None:
                    report.identity = index_customers(con, writes, identity, SOURCE_VIEW, "_cx_stage", source_cols)
                _record_load(con, report, digest.result(), started)
                session.publish(con, load_id, str(path), _then(derived, con, _before_commit))
                con.execute("COMMIT")
                writes.after_commit()
            except BaseException as exc:  # KeyboardInterrupt included: nothing half-written survives
                con.execute("ROLLBACK")
                session.abort()
                if _is_interrupt(exc):
                    raise KeyboardInterrupt(f"load of {path} interrupted; the store is unchanged") from exc
                raise
            finally:
                _drop_staged(con)
    finally:
        if keyed_functions:
            Pseudonymiser.unregister(con, keyed_functions)
        if con is not None:
            drop_source(con, SOURCE_VIEW)
        session.close()
    return report


def _then(derived: Callable[[duckdb.DuckDBPyConnection], None] | None, con: duckdb.DuckDBPyConnection,
          before_commit: Callable[[], None] | None) -> Callable[[], None] | None:
    """What runs just before COMMIT: the derived tables' upkeep, then the test hook."""
    if derived is None:
        return before_commit

    def both() -> None:
        derived(con)
        if before_commit:
            before_commit()
    return both


def _targets(mapping: Mapping) -> dict[str, list[str]]:
    """Canonical column -> the source columns the mapping builds it from (identifiers are matched on both names)."""
    targets = {name: template_columns(spec) or [spec] for name, spec in mapping.columns.items()}
    if mapping.wide is not None and mapping.wide.customer_id is not None:  # None: an identity: block instead
        targets.setdefault("customer_id", template_columns(mapping.wide.customer_id) or [mapping.wide.customer_id])
    return targets


def _is_interrupt(exc: BaseException) -> bool:
    """DuckDB reports Ctrl-C during a query as a RuntimeError, not KeyboardInterrupt."""
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


def _numbered_columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Source column -> its DuckDB type (text for CSV; Parquet, JSON and Excel keep theirs)."""
    cols = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {NUMBERED_VIEW})").fetchall()
    return {name: sql_type for name, sql_type in cols if name not in ("_row", "_src")}


def _write(con, table: Table, stage: str, mapping: Mapping, file: str, meta: str,
           upsert: Callable[[duckdb.DuckDBPyConnection, str], UpsertCounts], redact: bool, unstaged: bool) -> dict:
    """Quarantine the bad rows and upsert the good ones, unstaged where allowed; returns the counts."""
    if unstaged:
        counts = _insert_checked(con, table, stage, file, meta, upsert)
        if counts is not None:
            return counts
        con.execute("ROLLBACK")  # a repeated key: the staged path quarantines or skips its earlier rows
        con.execute("BEGIN TRANSACTION")
    return _stage_and_upsert(con, table, stage, mapping, file, meta, upsert, redact)


def _reads_stage(kind: str, resolution, identity: Identity | None) -> bool:
    """Whether something after the upsert reads the staged rows (`_cx_stage`): the identity index and links."""
    return resolution is not None or (kind == "customers" and identity is not None)


def _insert_checked(con, table: Table, stage: str, file: str, meta: str,
                    upsert: Callable[[duckdb.DuckDBPyConnection, str], UpsertCounts]) -> dict | None:
    """A load into an empty table, written straight from the checks without a staged copy; the counts, or None
    when the file repeats a key (the caller then rolls back and stages).

    The staged copy, its repeated-key check and reading it back cost as much as the write (architecture D63):
    here the checked rows go straight into the table, bad rows are read a second time only when the count
    says there are some, and repeated keys are looked for among the rows written, which in an empty table are
    exactly the file's rows without errors. A file repeating a key is rare, and its earlier rows must be left
    out in file order, which the staged path does.
    """
    rows_read = con.execute(f"SELECT count(*) FROM {NUMBERED_VIEW}").fetchone()[0]
    done = upsert(con, f"({stage}) s WHERE s._errors IS NULL")
    key = ", ".join(ident(k) for k in table.key)
    if may_repeat(con, ident(table.name), table.key, done.inserted) and con.execute(
            f"SELECT 1 FROM {ident(table.name)} GROUP BY {key} HAVING count(*) > 1 LIMIT 1").fetchall():
        return None
    errors = rows_read - done.inserted
    _quarantine_errors(con, table, file, meta, f"({stage})" if errors else None)
    return {"rows_read": rows_read, "inserted": done.inserted, "updated": done.updated, "unchanged": done.unchanged,
            "quarantined": errors, "changed": done.changed, "skipped": 0, "redactions": {}}


def _quarantine_errors(con, table: Table, file: str, meta: str, staged: str | None) -> None:
    """Replace this file's quarantine with the failing rows of `staged` (None: the file has none).

    Quarantine shows each file's latest load: reloading a file re-examines all its rows.
    """
    con.execute(f"DELETE FROM quarantine WHERE kind = {literal(table.name)} AND file = {literal(file)}")
    if staged is None:
        return
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {meta}, _row, e.field, e.value, e.reason, _raw, now()::TIMESTAMP
        FROM (SELECT _row, _raw, unnest(_errors) AS e FROM {staged} WHERE _errors IS NOT NULL)
    """)


def _stage_and_upsert(con, table: Table, stage: str, mapping: Mapping, file: str, meta: str,
                      upsert: Callable[[duckdb.DuckDBPyConnection, str], UpsertCounts], redact: bool = False) -> dict:
    """Stage + validate in one pass, quarantine bad rows, upsert good ones; returns the counts.

    Counts are staged rows (answers, for a wide file): a quarantined row may have several reasons in
    `quarantine`, and in a wide file several answers share one source row number, so neither is counted.
    `upsert(con, good)` is the store backend's: it upserts the rows `FROM {good}` by key.
    """
    con.execute(f"CREATE TEMP TABLE _cx_stage AS {stage}")
    redactions = redact_stage(con, table) if redact else {}  # before any row is copied anywhere
    rows_read = con.execute("SELECT count(*) FROM _cx_stage").fetchone()[0]
    _quarantine_errors(con, table, file, meta, "_cx_stage")
    _find_duplicates(con, table, meta, quarantine=mapping.duplicates == "quarantine", rows=rows_read)
    # Duplicates are taken from rows without errors, so the two sets do not overlap.
    errors, duplicates = con.execute("SELECT (SELECT count(*) FROM _cx_stage WHERE _errors IS NOT NULL), "
                                     "(SELECT count(*) FROM _cx_dupes)").fetchone()
    quarantined, skipped = (errors + duplicates, 0) if mapping.duplicates == "quarantine" else (errors, duplicates)
    # Row number and key name one staged row (a wide file's answers share the row number, not the key).
    good = (f"_cx_stage s WHERE s._errors IS NULL AND NOT EXISTS (SELECT 1 FROM _cx_dupes d WHERE d._row = s._row "
            f"AND d._key IS NOT DISTINCT FROM CAST(s.{ident(table.key[0])} AS VARCHAR))")
    done = upsert(con, good)
    return {"rows_read": rows_read, "inserted": done.inserted, "updated": done.updated, "unchanged": done.unchanged,
            "quarantined": quarantined, "changed": done.changed, "skipped": skipped, "redactions": redactions}


def _find_duplicates(con, table: Table, meta: str, quarantine: bool, rows: int) -> None:
    """The last row with a key wins; earlier ones (table `_cx_dupes`) are quarantined rather than silently
    dropped, unless the mapping says the file repeats keys on purpose (`duplicates: last`: counted as skipped).

    A GROUP BY finds the (rare) repeated keys; a window over every row cost as much as the whole read. It runs
    only when the keys' hashes say some may repeat (`repeated_keys.may_repeat`).
    """
    key = ", ".join(ident(k) for k in table.key)
    # `rows`: the staged rows, a bound on those without errors (the screen's allocation, not a count to match)
    screened = "" if may_repeat(con, "_cx_stage WHERE _errors IS NULL", table.key, rows) else "AND false"
    con.execute(f"""
        CREATE TEMP TABLE _cx_dupes AS
        WITH repeated AS (SELECT {key}, max(_row) AS _last FROM _cx_stage WHERE _errors IS NULL {screened}
                          GROUP BY {key} HAVING count(*) > 1),
        earlier AS (SELECT s.* FROM _cx_stage s JOIN repeated r USING ({key}) WHERE s._row < r._last)
        SELECT _row, _raw, CAST({ident(table.key[0])} AS VARCHAR) AS _key, to_json(earlier)::VARCHAR AS _src_json
        FROM earlier
    """)
    if not quarantine:
        return
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {meta}, _row, {literal(table.key[0])}, _key,
               'duplicate key in this file; a later row with the same key was loaded', _src_json, now()::TIMESTAMP
        FROM _cx_dupes
    """)


def _drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the load's temporary tables (the staged rows, the repeated keys, the upsert's classification)."""
    for name in ("_cx_stage", "_cx_dupes", "_cx_class"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _record_load(con, report: LoadReport, sha256: str, started: datetime) -> None:
    r = report
    values = {"load_id": r.load_id, "kind": r.kind, "file": r.file, "sha256": sha256, "rows_read": r.rows_read,
              "inserted": r.inserted, "updated": r.updated, "unchanged": r.unchanged, "quarantined": r.quarantined,
              "started_at": started, "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
              "mode": r.mode, "columns": json.dumps(r.changed), "skipped": r.skipped, "not_selected": r.not_selected,
              "redactions": json.dumps(r.redactions)}
    names = ", ".join(ident(c) for c in values)  # by name: a migrated store has the newer columns last
    con.execute(f"INSERT INTO loads ({names}) VALUES ({', '.join('?' * len(values))})", list(values.values()))


def _not_selected(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> int:
    """Rows of the file the mapping's `where` left out (respondents, for a wide file); 0 without a `where`."""
    if not mapping.where:
        return 0
    total = con.execute(f"SELECT count(*) FROM {SOURCE_VIEW}").fetchone()[0]
    kept = f"{NUMBERED_VIEW}_respondents" if mapping.wide else f"{NUMBERED_VIEW}_rows"
    return total - con.execute(f"SELECT count(*) FROM {kept}").fetchone()[0]


_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxlens-sha256")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _progress:
    """Poll DuckDB's query progress on a thread and pass it to the callback (the CLI draws a bar).

    DuckDB tracks progress only while `enable_progress_bar` is on (otherwise `query_progress()` is -1
    throughout and the bar sat at 0% until the end); its own printing stays off. A load runs several
    statements, each counted from 0, so the bar shows the furthest point reached, held below 100% until
    the load ends.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, callback: Callable[[float], None] | None, interval: float = 0.2):
        self.con, self.callback, self.interval = con, callback, interval
        self.done = threading.Event()
        self.furthest = 0.0

    def __enter__(self) -> "_progress":
        if self.callback:
            self.con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
            self.thread = threading.Thread(target=self._poll, daemon=True)
            self.thread.start()
        return self

    def _poll(self) -> None:
        while not self.done.wait(self.interval):
            try:
                value = self.con.query_progress()
            except duckdb.Error:
                continue
            if value is not None and value >= 0 and value / 100.0 * 0.99 > self.furthest:
                self.furthest = value / 100.0 * 0.99
                self.callback(self.furthest)

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        if self.callback:
            self.thread.join()
            with contextlib.suppress(duckdb.Error):  # the load's own error is the one to report
                self.con.execute("RESET enable_progress_bar")
            self.callback(1.0)
