"""Identity resolution inside a load (cxlens.ingest.load): the index written by a customers load, the rows of a
file with an `identity:` mapping resolved to customers, and both recorded with the load.

The loader calls, in order: `resolve_rows` on the RAW source view (before the pseudonymiser keys it), then
`Resolved.attach` (the keyed source view gains the resolved customer id as a column the mapping reads), and inside
the load's transaction `record_links` (quarantine reasons, `identity_links`) or `index_customers` (`identity_keys`).

On a DuckDB store both tables are written inside the load's transaction (a failing load leaves them as they were).
On Spark and PostgreSQL the load validates in a DuckDB staging connection that does not hold these tables, so
they are written right after the load's commit, by `Store.write_keyed` (one transaction of their own on PostgreSQL;
Spark has none): `IdentityWrites` hides the difference.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from cxlens.errors import InputFileError
from cxlens.ingest.identity.index import Identity, identity_columns, index_rows, read_index
from cxlens.ingest.identity.link import Resolution, resolve
from cxlens.ingest.mapping import Mapping
from cxlens.ingest.validate import selection_sql
from cxlens.model import table
from cxlens.store.sql import ident, literal

RESOLVED_COLUMN = "_cx_customer_id"  # the customer id identity resolution found, as a source column
RESOLVED_VIEW = "_cx_source_resolved"
# How privacy.pseudonymise keys an identity column of a resolved file (only keyed values are stored).
PSEUDONYM_KIND = {"email": "email", "phone": "phone", "name": "name", "postcode": "text", "external_id": "text"}


class IdentityWrites:
    """Writes to `identity_keys` / `identity_links`: in the load's transaction on a DuckDB store, right after its
    commit on the others (see the module docstring)."""

    def __init__(self, store):
        self.store = store
        self.in_load = store.engine == "duckdb"
        self.pending: list[tuple[str, list[str], pa.Table, pa.Table | None]] = []

    def replace(self, con, name: str, key: list[str], rows: pa.Table, gone: pa.Table) -> None:
        """Delete the rows of `name` whose `key` equals a row of `gone` (or of `rows`), then insert `rows`."""
        t = table(name)
        rows = rows.select(list(t.names))
        if not self.in_load:
            self.pending.append((name, key, rows, gone))
            return
        con.register("_cx_id_gone", gone)
        con.register("_cx_id_rows", rows)
        try:
            match = " AND ".join(f"t.{ident(k)} = g.{ident(k)}" for k in key)
            con.execute(f"DELETE FROM {ident(name)} t WHERE EXISTS (SELECT 1 FROM _cx_id_gone g WHERE {match})")
            con.execute(f"INSERT INTO {ident(name)} SELECT * FROM _cx_id_rows")
        finally:
            con.unregister("_cx_id_gone")
            con.unregister("_cx_id_rows")

    def after_commit(self) -> None:
        """The writes a staged load (Spark, PostgreSQL) leaves until its commit."""
        for name, key, rows, gone in self.pending:
            self.store.write_keyed(name, key, rows, gone)
        self.pending.clear()


def identity_keyed_columns(mapping: Mapping) -> dict[str, str]:
    """Source column -> pseudonymisation kind of the mapping's identity columns: keyed like any identifier."""
    if mapping.identity is None:
        return {}
    return {column: PSEUDONYM_KIND[kind] for kind, column in mapping.identity.columns().items()}


@dataclass
class Resolved:
    """A file's rows resolved to customers: the decisions, and how the load reads the customer id."""

    resolution: Resolution
    region_missing: bool

    def attach(self, con, source_view: str, source_cols: list[str], mapping: Mapping) -> tuple[str, list[str], Mapping]:
        """A view of `source_view` with the resolved customer id as column RESOLVED_COLUMN (rows in file order), the
        columns, and the mapping reading the customer id from it."""
        links = self.resolution.links.select(["row_number", "customer_id"])
        con.register("_cx_links", links)
        con.execute("CREATE OR REPLACE TEMP TABLE _cx_resolved AS SELECT row_number AS _cx_r, customer_id FROM _cx_links")
        con.unregister("_cx_links")
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW {RESOLVED_VIEW} AS
            SELECT s.* EXCLUDE (_cx_r), r.customer_id AS {RESOLVED_COLUMN}
            FROM (SELECT row_number() OVER () AS _cx_r, * FROM {ident(source_view)}) s
            LEFT JOIN _cx_resolved r USING (_cx_r) ORDER BY s._cx_r
        """)
        if mapping.wide is not None:
            mapping = mapping.model_copy(update={"wide": mapping.wide.model_copy(update={"customer_id": RESOLVED_COLUMN})})
        else:
            mapping = mapping.model_copy(update={"columns": {**mapping.columns, "customer_id": RESOLVED_COLUMN}})
        return RESOLVED_VIEW, [*source_cols, RESOLVED_COLUMN], mapping


def resolve_rows(store, con, path: Path, mapping: Mapping, source_cols: list[str], source_view: str,
                 identity: Identity) -> Resolved:
    """Resolve each (selected) row of the raw source view to a customer of the store's identity index."""
    block = mapping.identity
    named = {"record": block.record} if block.record else {}
    named.update(block.columns())
    for field, column in named.items():
        if column not in source_cols:
            raise InputFileError(str(path), f"the mapping's identity.{field} names column '{column}', which the file "
                                 f"lacks (columns found: {', '.join(source_cols)})", field)
    selected = selection_sql(mapping.where, source_cols, str(path))
    columns = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident('_k_' + k)}" for k, c in named.items())
    sql = f"SELECT row_number() OVER () AS _row, {columns}{', ' + selected + ' AS _sel' if selected else ''} FROM {ident(source_view)}"
    if selected:
        sql = f"SELECT * EXCLUDE (_sel) FROM ({sql}) WHERE coalesce(_sel, false)"
    rows = con.sql(sql + " ORDER BY _row").to_arrow_table()
    values = {k: rows.column("_k_" + k).to_pylist() for k in block.columns()}
    records = rows.column("_k_record").to_pylist() if block.record else [None] * rows.num_rows
    index = read_index(store)
    if index.num_rows == 0:
        raise InputFileError(str(path), "the mapping resolves rows to customers (identity:), but the store holds no "
                             "identity index: load a customers file with e-mail, phone, name or postcode columns first",
                             "identity")
    resolution = resolve(index, rows.column("_row").to_pylist(), records, values, identity, str(path))
    return Resolved(resolution, region_missing=not identity.phone_region)


def record_links(con, writes: IdentityWrites, resolved: Resolved, load_id: str, file: str) -> dict:
    """Inside the load: give quarantined unresolved rows their reason, write `identity_links`; returns the counts."""
    links = resolved.resolution.links
    con.register("_cx_link_reasons", links.select(["row_number", "reason"]))
    try:
        con.execute(f"""
            UPDATE quarantine SET reason = r.reason FROM _cx_link_reasons r
            WHERE quarantine.load_id = {literal(load_id)} AND quarantine.row_number = r.row_number
              AND quarantine.field = 'customer_id' AND r.reason IS NOT NULL
        """)
    finally:
        con.unregister("_cx_link_reasons")
    n = links.num_rows
    rows = links.drop_columns(["reason"]).append_column("load_id", pa.array([load_id] * n, pa.string())) \
        .append_column("file", pa.array([file] * n, pa.string()))
    writes.replace(con, "identity_links", ["file"], rows, pa.table({"file": pa.array([file], pa.string())}))
    out = {**resolved.resolution.counts(), "unreadable": resolved.resolution.unreadable,
           "warnings": list(resolved.resolution.warnings)}
    out["warnings"] += _region_warning(resolved.resolution.unreadable, resolved.region_missing)
    return out


def index_customers(con, writes: IdentityWrites, identity: Identity, source_view: str, stage: str,
                    source_cols: list[str]) -> dict:
    """Inside a customers load: the identity index of the customers loaded, from the file's raw values."""
    columns = identity_columns(source_cols, identity.columns)
    if not columns:
        return {}
    picked = ", ".join(f"CAST(r.{ident(c)} AS VARCHAR) AS {ident('_v' + str(i))}" for i, c in enumerate(columns))
    rows = con.sql(f"""
        SELECT CAST(s.customer_id AS VARCHAR) AS customer_id, {picked}
        FROM {stage} s JOIN (SELECT row_number() OVER () AS _row, * FROM {ident(source_view)}) r USING (_row)
        WHERE s._errors IS NULL AND NOT EXISTS (SELECT 1 FROM _cx_dupes d WHERE d._row = s._row)
    """).to_arrow_table()
    values = {c: rows.column(f"_v{i}").to_pylist() for i, c in enumerate(columns)}
    customers = rows.column("customer_id").to_pylist()
    keys, unreadable = index_rows(identity.keys, customers, values, columns, identity.phone_region)
    writes.replace(con, "identity_keys", ["customer_id"], keys,
                   pa.table({"customer_id": pa.array(sorted(set(customers)), pa.string())}))
    return {"customers": len(set(customers)), "keys": keys.num_rows, "columns": columns,
            "unreadable": dict(unreadable), "warnings": _region_warning(unreadable, not identity.phone_region)}


def _region_warning(unreadable: Counter | dict, region_missing: bool) -> list[str]:
    phones = unreadable.get("phone", 0)
    if not phones:
        return []
    fix = ("set [identity] phone_region in cxlens.toml to the ISO code of local numbers (e.g. \"GB\")" if region_missing
           else "check the numbers")
    return [f"identity: {phones} phone number(s) could not be normalised and are not used for matching; {fix}"]
