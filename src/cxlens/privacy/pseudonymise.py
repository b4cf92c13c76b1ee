"""Keyed hashes of identifiers: what replaces an e-mail, phone number, name or national id before it is stored.

A value is normalised for its kind (so `Ann@Example.com ` and `ann@example.com` link), then keyed with
HMAC-SHA-256 under the workspace's secret (`keys.py`) and written as `hm1:` + 64 hex digits. `hm1` names the
scheme: HMAC-SHA-256 over the UTF-8 bytes of the value normalised by the rules of version 1 below. A later
change of those rules would be `hm2`, so values keyed by different rules never silently fail to match.

Normalisation, version 1:
- email: trimmed and lowercased.
- phone: a trunk `(0)` after the country code dropped, then digits only, leading zeros dropped
  (`+49 (0)30 123-4567`, `0049 30 1234567` and `49301234567` are one number). The same rule everywhere, with or
  without the `phonenumbers` library installed: a keyed value must not depend on what is installed, and making a
  local number (`030 1234567`) E.164 needs a region the data does not state. A local and an international
  writing of one number therefore do not link (docs/privacy.md).
- name: Unicode NFC, casefolded, whitespace collapsed to one space.
- national_id: spaces, dots, dashes and slashes dropped, uppercased.
- text (any other identifier, customer_id included): trimmed.
An empty result is NULL, not the hash of an empty string (which would link every missing value).

Which columns: `[privacy] identifiers` names them; a column matches when its name, lowercased with everything
but letters and digits dropped, equals an identifier's (so `E-mail` matches `email`) or, for the four built-in
identifiers, one of their usual spellings (`email_address`, `mobile`, `first_name`, `ssn`, ... see `SYNONYMS`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

PREFIX = "hm1:"
KINDS = ("email", "phone", "name", "national_id", "text")

# The four built-in identifiers and the column names that mean the same thing (compared after `column_key`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "mailaddress", "contactemail"),
    "phone": ("phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "cellphone", "msisdn", "telephone",
              "tel", "contactphone"),
    "name": ("name", "fullname", "firstname", "lastname", "surname", "givenname", "familyname", "customername"),
    "national_id": ("nationalid", "ssn", "nationalidnumber", "idnumber", "nin", "taxid", "passportnumber"),
}

_TRUNK = re.compile(r"\(\s*0\s*\)")
_NOT_DIGIT = re.compile(r"\D+")
_ID_SEPARATORS = re.compile(r"[\s.\-/]+")


def column_key(name: str) -> str:
    """A column name as identifiers are matched: casefolded, letters and digits only (`E-Mail` -> `email`)."""
    return re.sub(r"[\W_]+", "", name.casefold())


def identifier_kind(name: str) -> str:
    """How an identifier column's values are normalised, from its name: email, phone, name, national_id or text."""
    key = column_key(name)
    for kind, spellings in SYNONYMS.items():
        if key in spellings:
            return kind
    if "mail" in key:
        return "email"
    if any(word in key for word in ("phone", "mobile", "msisdn")):
        return "phone"
    if any(word in key for word in ("national", "ssn", "passport")):
        return "national_id"
    if key.endswith("name"):
        return "name"
    return "text"


def normalise(value: str | None, kind: str) -> str | None:
    """`value` as it is keyed (rules in the module docstring); None when nothing is left."""
    if value is None:
        return None
    if kind == "email":
        text = value.strip().lower()
    elif kind == "phone":
        text = _NOT_DIGIT.sub("", _TRUNK.sub("", value)).lstrip("0")
    elif kind == "name":
        text = " ".join(unicodedata.normalize("NFC", value).casefold().split())
    elif kind == "national_id":
        text = _ID_SEPARATORS.sub("", value).upper()
    elif kind == "text":
        text = value.strip()
    else:
        raise ValueError(f"unknown identifier kind {kind!r}; use one of {', '.join(KINDS)}")
    return text or None


@dataclass(frozen=True)
class Pseudonymiser:
    """Replaces identifier values by keyed hashes: built from the key and `[privacy] identifiers`.

    Call `keyed(value, kind)` to key one value (identity matching compares these), `columns(...)` to find a
    file's identifier columns, and `keyed_view(con, ...)` to key them in a DuckDB view before anything reads them.
    """

    key: bytes = field(repr=False)
    identifiers: tuple[str, ...] = ("email", "phone", "name", "national_id")

    def keyed(self, value: str | None, kind: str = "text") -> str | None:
        """`hm1:` + HMAC-SHA-256 hex of the normalised value; None for a missing or empty one."""
        return self.keyed_column([value], kind)[0]

    def kind_of(self, column: str) -> str | None:
        """The kind of `column` when `identifiers` names it (exactly or by a usual spelling), else None."""
        key = column_key(column)
        for name in self.identifiers:
            wanted = column_key(name)
            if key == wanted or key in SYNONYMS.get(name.strip().lower(), ()):
                return identifier_kind(name)
        return None

    def columns(self, source_columns: Iterable[str], targets: dict[str, list[str]] | None = None) -> dict[str, str]:
        """Source column -> kind, for the columns to key: those whose own name is an identifier, and those a mapping
        sends to a target that is one (`targets`: target column -> the source columns it is built from)."""
        found = {}
        for name in source_columns:
            kind = self.kind_of(name)
            if kind is not None:
                found[name] = kind
        for target, sources in (targets or {}).items():
            kind = self.kind_of(target)
            if kind is not None:
                for name in sources:
                    found.setdefault(name, kind)
        return found

    def keyed_column(self, values: list[str | None], kind: str) -> list[str | None]:
        """`keyed` over a list (what the DuckDB function runs on each Arrow batch)."""
        inner, outer = self._pads
        out = []
        for value in values:
            text = normalise(value, kind)
            if text is None:
                out.append(None)
                continue
            h = inner.copy()
            h.update(text.encode("utf-8"))
            o = outer.copy()
            o.update(h.digest())
            out.append(PREFIX + o.hexdigest())
        return out

    @cached_property
    def _pads(self):
        """SHA-256 states after the key's inner and outer pads (RFC 2104): each value then costs two copies and
        two short updates; `hmac.digest` per value rebuilt them and took twice as long (3.3 s against 1.5 s per
        million e-mails here)."""
        key = hashlib.sha256(self.key).digest() if len(self.key) > 64 else self.key
        key = key.ljust(64, b"\0")
        return (hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key)))

    def register(self, con, kinds: Iterable[str]) -> dict[str, str]:
        """Register one vectorised (Arrow) DuckDB function per kind on `con`; returns kind -> function name.

        Python computes the hash so that a stored value and `keyed()` can never disagree (one normalisation).
        """
        import pyarrow as pa

        names = {}
        for kind in sorted(set(kinds)):
            name = f"_cx_keyed_{kind}"
            self.unregister(con, [name])

            con.create_function(name, self._batch(kind, pa), ["VARCHAR"], "VARCHAR", type="arrow")
            names[kind] = name
        return names

    def _batch(self, kind: str, pa):
        """The Arrow function for one kind (DuckDB counts the parameters: exactly one, the column)."""
        def batch(column):
            return pa.array(self.keyed_column(column.to_pylist(), kind), pa.string())
        return batch

    @staticmethod
    def unregister(con, names: Iterable[str]) -> None:
        """Remove functions `register` made (a DuckDB store's connection outlives one load)."""
        for name in names:
            try:
                con.remove_function(name)
            except Exception:  # noqa: BLE001 - not registered: nothing to remove (duckdb raises InvalidInputException)
                pass

    def keyed_view(self, con, source_view: str, view: str, columns: dict[str, str]) -> list[str]:
        """Create temp view `view`: `source_view` with `columns` (name -> kind) replaced by their keyed values.

        Returns the registered function names (pass them to `unregister` when the load ends). Everything
        downstream (canonical columns, `attributes`, quarantine's raw row, generated ids) reads this view, so no
        raw identifier reaches a table.
        """
        from cxlens.store.sql import ident  # the store package imports Ibis: only when a load runs

        functions = self.register(con, columns.values())
        replaced = ", ".join(f"{functions[kind]}(CAST({ident(name)} AS VARCHAR)) AS {ident(name)}"
                             for name, kind in columns.items())
        con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS SELECT * REPLACE ({replaced}) FROM {ident(source_view)}")
        return list(functions.values())
