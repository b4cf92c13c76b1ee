"""The identity index: each customer's identifiers, normalised and keyed, in table `identity_keys`.

Why: a record of another source (a survey respondent's e-mail, phone and name) can only be linked to a customer
when the customers' identifiers can be compared with it; the store keeps identifiers keyed (privacy default), so the
index keeps them as `IdentityKeys.exact` keys and keyed bigrams (`IdentityKeys.grams`), never as raw values.

Every customers load writes it from the file's RAW values (the loader reads them before the pseudonymiser keys
them), inside the load's transaction on a DuckDB store. A reload replaces the keys of every customer in the file.

Which columns: `[identity] columns` (column -> kind) when set; otherwise by name: the e-mail, phone and name
spellings privacy.pseudonymise recognises (`email_address`, `mobile`, `full_name`, ...), and postcode/zip/postal
code. Several name columns (first and last name) make one name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from cxlens.ingest.identity.keys import IdentityKeys
from cxlens.ingest.identity.normalise import KINDS, name_key, normalise
from cxlens.privacy.pseudonymise import SYNONYMS, column_key

POSTCODE_NAMES = ("postcode", "postalcode", "zip", "zipcode", "postcodes", "plz")
GRAM_KINDS = ("name", "email")  # kinds compared fuzzily: their grams are kept
INDEX_SCHEMA = pa.schema([("customer_id", pa.string()), ("kind", pa.string()), ("key", pa.string()),
                          ("grams", pa.string())])


@dataclass(frozen=True)
class Identity:
    """What a load needs for identity resolution: the keys (workspace secret) and `[identity]` of cxlens.toml."""

    keys: IdentityKeys
    phone_region: str = ""
    match_probability: float = 0.95
    review_probability: float = 0.5
    columns: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, keys: IdentityKeys, config) -> "Identity":
        """From an `IdentityConfig` (model.config)."""
        return cls(keys, config.phone_region.upper(), config.match_probability, config.review_probability,
                   dict(config.columns))


@dataclass
class Encoded:
    """One kind's values encoded: exact keys and grams per value (None where the value did not normalise), and how
    many non-empty values could not be normalised (a local phone number without `phone_region`, a text that is no
    e-mail address)."""

    keys: list[str | None]
    grams: list[list[int] | None]
    unreadable: int = 0


def identity_columns(columns: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Customers-file column -> identity kind: `overrides` (`[identity] columns`) when given, else by name."""
    if overrides:
        return {c: k for c, k in overrides.items() if c in columns}
    found = {}
    for column in columns:
        key = column_key(column)
        for kind in ("email", "phone", "name"):
            if key in SYNONYMS[kind]:
                found[column] = kind
        if key in POSTCODE_NAMES:
            found[column] = "postcode"
    return found


def encode(keys: IdentityKeys, kind: str, values: list, region: str = "") -> Encoded:
    """Normalise and key `values` of `kind`; names are keyed by their sorted words (`name_key`)."""
    out_keys: list[str | None] = []
    out_grams: list[list[int] | None] = []
    unreadable = 0
    for value in values:
        text = name_key(value) if kind == "name" else normalise(kind, value, region or None)
        if text is None:
            unreadable += value is not None and str(value).strip() != ""
            out_keys.append(None)
            out_grams.append(None)
            continue
        out_keys.append(keys.exact(kind, text))
        out_grams.append(keys.grams(text) if kind in GRAM_KINDS else None)
    return Encoded(out_keys, out_grams, unreadable)


def gram_text(grams: list[int] | None) -> str | None:
    """Grams as stored (comma-separated integers; the column type is portable to every engine)."""
    return ",".join(map(str, grams)) if grams else None


def gram_list(text: str | None) -> list[int]:
    """The stored grams back as integers."""
    return [int(g) for g in text.split(",")] if text else []


def index_rows(keys: IdentityKeys, customer_ids: list[str], values: dict[str, list], columns: dict[str, str],
               region: str = "") -> tuple[pa.Table, Counter]:
    """The `identity_keys` rows of these customers (`values`: column -> raw values aligned with `customer_ids`) and
    the count of values per kind that could not be normalised. A customer's name columns are joined into one name."""
    by_kind: dict[str, list[str]] = {}
    for column, kind in columns.items():
        if kind not in KINDS:
            raise ValueError(f"identity column {column}: kind {kind!r} is not one of {', '.join(KINDS)}")
        by_kind.setdefault(kind, []).append(column)
    rows: dict[str, list] = {name: [] for name in INDEX_SCHEMA.names}
    unreadable: Counter = Counter()
    for kind, cols in by_kind.items():
        groups = [[" ".join(str(v) for v in parts if v is not None and str(v).strip()) or None
                   for parts in zip(*(values[c] for c in cols))]] if kind == "name" else [values[c] for c in cols]
        for raw in groups:
            encoded = encode(keys, kind, raw, region)
            unreadable[kind] += encoded.unreadable
            for customer, key, grams in zip(customer_ids, encoded.keys, encoded.grams):
                if key is not None:
                    rows["customer_id"].append(customer)
                    rows["kind"].append(kind)
                    rows["key"].append(key)
                    rows["grams"].append(gram_text(grams))
    table = pa.table(rows, schema=INDEX_SCHEMA)
    # One row per (customer, kind, key): two columns holding one e-mail give one key.
    return table.group_by(["customer_id", "kind", "key"]).aggregate([("grams", "max")]).rename_columns(
        INDEX_SCHEMA.names).cast(INDEX_SCHEMA), unreadable


def read_index(store) -> pa.Table:
    """The stored identity index (every engine: read through Ibis); empty when the store has none yet."""
    if not store.backend.has_table("identity_keys"):
        return INDEX_SCHEMA.empty_table()
    return store.to_pyarrow(store.table("identity_keys")).select(INDEX_SCHEMA.names).cast(INDEX_SCHEMA)
