"""Keyed encodings of identifiers (cxlens.ingest.identity.keys): exact keys, keyed bigrams and their Dice."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlens.errors import UsageError
from cxlens.ingest.identity.keys import IdentityKeys, dice
from cxlens.ingest.identity.normalise import KINDS, normalise_name

SECRET = bytes(range(32))


@pytest.fixture(scope="module")
def keys():
    return IdentityKeys(SECRET)


def plain_dice(a: str, b: str) -> float:
    """Brute force: the Dice coefficient of the padded raw bigram sets."""
    def bigrams(text):
        padded = "\x02" + text + "\x03"
        return {padded[i:i + 2] for i in range(len(padded) - 1)} if text else set()
    first, second = bigrams(a), bigrams(b)
    return 2 * len(first & second) / (len(first) + len(second)) if first or second else 0.0


def test_exact_key_is_stable_and_32_hex_digits(keys):
    key = keys.exact("email", "ann@example.com")
    assert key == IdentityKeys(SECRET).exact("email", "ann@example.com")
    assert len(key) == 32 and int(key, 16) >= 0
    assert key != keys.exact("email", "ann@example.org")


def test_exact_key_is_the_documented_hmac(keys):
    """HMAC-SHA-256 of the value under the kind's key, itself the HMAC of `cxlens-identity-v1:<kind>`."""
    derived = hmac.new(SECRET, b"cxlens-identity-v1:email", hashlib.sha256).digest()
    expected = hmac.new(derived, b"ann@example.com", hashlib.sha256).hexdigest()[:32]
    assert keys.exact("email", "ann@example.com") == expected


def test_same_normalised_value_same_key(keys):
    assert keys.exact("name", normalise_name("Александр Иванов")) == keys.exact("name", normalise_name("ALEKSANDR  ivanov"))


def test_different_secret_gives_different_keys_and_grams(keys):
    other = IdentityKeys(bytes(reversed(SECRET)))
    assert other.exact("email", "ann@example.com") != keys.exact("email", "ann@example.com")
    assert not set(other.grams("ann smith")) & set(keys.grams("ann smith"))


def test_kinds_are_domain_separated(keys):
    text = "ann"
    assert len({keys.exact(kind, text) for kind in KINDS}) == len(KINDS)
    # and unrelated to the privacy.pseudonymise hash of the same string under the same secret
    assert keys.exact("name", text) != hmac.new(SECRET, text.encode(), hashlib.sha256).hexdigest()[:32]


def test_exact_rejects_an_unknown_kind_and_an_empty_value(keys):
    with pytest.raises(UsageError, match="kind='mail'"):
        keys.exact("mail", "ann@example.com")
    with pytest.raises(UsageError, match="no key"):
        keys.exact("email", "")


def test_secret_must_be_long_enough_and_is_never_shown():
    with pytest.raises(UsageError, match="at least 16 bytes") as error:
        IdentityKeys(b"short-secret")
    assert "short-secret" not in str(error.value)
    assert "\\x00" not in repr(IdentityKeys(SECRET)) and "hidden" in repr(IdentityKeys(SECRET))


def test_grams_are_sorted_distinct_signed_int64(keys):
    grams = keys.grams("anna")  # ^a an nn na a$ : 5 distinct
    assert grams == sorted(set(grams)) and len(grams) == 5
    assert all(-2**63 <= gram < 2**63 for gram in grams)
    assert len(keys.grams("aaaa")) == 3  # ^a aa a$


def test_grams_of_empty_value_are_empty_and_dice_of_empties_is_zero(keys):
    assert keys.grams("") == []
    assert keys.grams(None) == []
    assert dice([], []) == 0.0
    assert dice(keys.grams("a"), []) == 0.0
    assert dice(keys.grams("a"), keys.grams("a")) == 1.0


def test_near_identical_strings_have_high_dice(keys):
    def score(a, b):
        return dice(keys.grams(a), keys.grams(b))
    assert score("aleksandr ivanov", "alexander ivanov") > 0.7
    assert score("jonathan smith", "jonathon smith") > 0.8
    assert score("ann.smith@example.com", "ann.smyth@example.com") > 0.85
    assert score("jonathan smith", "maria garcia") < 0.2


def test_dice_worked_example():
    # night / nacht, the textbook example (Kondrak 2005): bigrams ni ig gh ht / na ac ch ht share one: 2*1/8
    assert dice([1, 2, 3, 4], [5, 6, 7, 4]) == 0.25


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20))
def test_keyed_dice_equals_plain_bigram_dice(a, b):
    keys = IdentityKeys(SECRET)
    assert dice(keys.grams(a), keys.grams(b)) == plain_dice(a, b)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcde ", min_size=1, max_size=12))
def test_keyed_dice_equals_plain_dice_for_one_letter_edits(a):
    """Small alphabets make near-identical strings, where the shared bigrams are many."""
    keys = IdentityKeys(SECRET)
    b = a[:-1] + ("x" if a[-1] != "x" else "y")
    assert dice(keys.grams(a), keys.grams(b)) == plain_dice(a, b)
