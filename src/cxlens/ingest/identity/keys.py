"""Keyed encodings of normalised identifiers: exact keys to join on, keyed bigram sets to compare fuzzily.

Why: the store keeps identifiers only in keyed form (privacy default, privacy.pseudonymise), so identity
resolution must compare without the raw values. Exact matches compare HMAC keys; near matches (a typo, another
transliteration) compare the sets of keyed character bigrams with the Dice coefficient, the encoding of
privacy-preserving record linkage (Schnell, Bachteler & Reiher 2009, "Privacy-preserving record linkage using
Bloom filters", BMC Med Inform Decis Mak 9:41), here without the Bloom filter: each bigram keeps its own 64-bit
HMAC, so the keyed Dice equals the plain bigram Dice (barring a 2^-64 collision) and no raw bigram is stored.

Domain separation: every kind has its own derived key (HMAC of `cxlens-identity-v1:<kind>` under the secret), so
the same string as an e-mail and as a name gives unrelated keys, and these keys are unrelated to the `hm1:` hashes
of privacy.pseudonymise made with the same secret. `v1` names these rules and normalise.py's; changing either
means `v2` and re-keying the index.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from cxlens.errors import UsageError
from cxlens.ingest.identity.normalise import KINDS

DOMAIN = b"cxlens-identity-v1:"
START, END = "\x02", "\x03"  # padding markers: control characters, which no normalised value holds
MIN_SECRET_BYTES = 16
MAX_CACHED_GRAMS = 1 << 18  # bounds the cache (about 40 MB) when values hold many scripts


class IdentityKeys:
    """Keys identifiers under the workspace secret (the pseudonymisation key's bytes, privacy.keys.read_key)."""

    __slots__ = ("_exact", "_gram", "_gram_cache")

    def __init__(self, secret: bytes):
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < MIN_SECRET_BYTES:
            raise UsageError("secret", "<hidden>", message=f"the identity secret must be at least {MIN_SECRET_BYTES} "
                             "bytes: pass the workspace's pseudonymisation key (privacy.keys.read_key(...).secret)")
        def keyed(label: str) -> hmac.HMAC:
            derived = hmac.new(bytes(secret), DOMAIN + label.encode(), hashlib.sha256).digest()
            return hmac.new(derived, digestmod=hashlib.sha256)

        self._exact = {kind: keyed(kind) for kind in KINDS}
        self._gram = keyed("gram")
        self._gram_cache: dict[str, int] = {}

    def __repr__(self) -> str:
        return "IdentityKeys(<secret hidden>)"

    def exact(self, kind: str, normalised: str) -> str:
        """The key of a normalised value of `kind`: HMAC-SHA-256 under the kind's key, 32 hex digits (128 bits).

        Equal normalised values of one kind give equal keys; pass normalise()'s output, never None or "".
        """
        base = self._exact.get(kind)
        if base is None:
            raise UsageError("kind", kind, KINDS)
        if not normalised:
            raise UsageError("normalised", normalised, message="an empty or missing identifier has no key: skip it "
                             "(its key would link every record that lacks the field)")
        mac = base.copy()
        mac.update(normalised.encode("utf-8"))
        return mac.hexdigest()[:32]

    def grams(self, normalised: str) -> list[int]:
        """The sorted distinct keyed bigrams of `normalised` padded with a start and an end marker, each the first
        8 bytes of an HMAC as a signed int64 (a BIGINT column). An empty or missing value has no grams: []."""
        if not normalised:
            return []
        padded = START + normalised + END
        return sorted({self._keyed_gram(padded[i:i + 2]) for i in range(len(padded) - 1)})

    def _keyed_gram(self, gram: str) -> int:
        """One bigram keyed; cached, since a few thousand bigrams make up all the names and e-mails of a load."""
        value = self._gram_cache.get(gram)
        if value is None:
            mac = self._gram.copy()
            mac.update(gram.encode("utf-8"))
            value = int.from_bytes(mac.digest()[:8], "big", signed=True)
            if len(self._gram_cache) < MAX_CACHED_GRAMS:
                self._gram_cache[gram] = value
        return value


def dice(a: Iterable[int], b: Iterable[int]) -> float:
    """The Dice coefficient 2|A∩B| / (|A| + |B|) of two gram sets (Dice 1945): 1.0 for the same value, 0.0 when
    nothing is shared or both are empty (two missing values are not evidence of one person)."""
    first, second = set(a), set(b)
    total = len(first) + len(second)
    return 2 * len(first & second) / total if total else 0.0
