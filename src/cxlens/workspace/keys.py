"""The workspace's secrets: the pseudonymisation key that keys identifier columns at load, and the identity keys
made from the same secret, with what identity resolution did (docs/privacy.md, cxlens.ingest.identity).

A mixin of `Workspace` (it uses the workspace's `root`, `privacy`, `identity` and `store()`), apart from the class
because these methods decide which key a load may use and refuse a wrong one: the one place that reads key files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cxlens.errors import ConfigError

if TYPE_CHECKING:
    from cxlens.ingest.identity import Identity
    from cxlens.model.config import IdentityConfig
    from cxlens.privacy import Pseudonymiser
    from cxlens.store import Store


class KeysMixin:
    """Pseudonymisation and identity keys of a `Workspace` (mixed into it; not used alone)."""

    @property
    def identity_config(self) -> "IdentityConfig":
        """`[identity]` of cxlens.toml (the defaults when the file has none): phone region and linkage thresholds."""
        from cxlens.model.config import IdentityConfig

        return self.identity or IdentityConfig()

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
