"""One writing per identifier: what a value of each kind becomes before it is keyed and compared.

Why: one person is `Ann.Smith+news@GoogleMail.com` in a survey tool and `annsmith@gmail.com` in the CRM,
`0044 7700 900123` and `+44 7700 900123`, `Александр Иванов` and `Aleksandr Ivanov`. Identity resolution
compares keyed values (keys.py), so the writings must meet before keying: a keyed value cannot be cleaned later.

Rules (each function's docstring gives the details):
- email: NFKC, whitespace dropped, `mailto:` and a `Name <...>` wrapper dropped, lowercased; a `+tag` dropped;
  for Gmail the dots of the local part dropped and `googlemail.com` read as `gmail.com` (Gmail ignores both).
- phone: every Unicode digit made ASCII, then E.164 by libphonenumber; a local number needs the region.
- name: NFKC, casefolded, transliterated to Latin (anyascii), punctuation to spaces, honorifics dropped.
- postcode: ASCII digits, uppercased, spaces and dashes dropped. external_id: trimmed, uppercased.
Every function returns None for a missing value or one that is not of its kind, never an empty string (the key of
an empty string would link every record that lacks the field).
"""

from __future__ import annotations

import math
import re
import unicodedata

import phonenumbers
from anyascii import anyascii

from cxlens.errors import UsageError

KINDS = ("email", "phone", "name", "postcode", "external_id")

# Titles that say nothing about who a person is; "don", "sr" and "fr" are left out: they are also names or suffixes.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam", "herr", "frau",
                        "monsieur", "madame", "mme", "mlle", "signor", "signora", "senor", "senora"})
GMAIL = frozenset({"gmail.com", "googlemail.com"})

_WRAPPED = re.compile(r"<([^<>]*)>")
_EMAIL = re.compile(r"^[^@\s]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02bb]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_POSTCODE_DROP = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _text(value: object) -> str | None:
    """`value` as a string; None for None, NaN and pandas' NA (a missing cell). Integers (a phone read as a number)
    are written without a decimal point."""
    if value is None or type(value).__name__ == "NAType":
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    return str(value)


def ascii_digits(text: str) -> str:
    """`text` with every Unicode decimal digit (Arabic-Indic, Persian, fullwidth, Devanagari, ...) as ASCII 0-9.

    Why: forms in Arabic or Persian locales write phone numbers and postcodes in their own digits; libphonenumber
    and string comparison need one set of digits.
    """
    return "".join(str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in text)


def normalise_email(value: object) -> str | None:
    """The address in one writing, or None when `value` is not an e-mail address.

    `mailto:`, a `Name <address>` wrapper and any whitespace are dropped (an address holds none), the address is
    NFKC-normalised (fullwidth `＠` becomes `@`) and lowercased, a `+tag` of the local part is dropped (mail to
    `ann+news@` reaches `ann@`). Dots of the local part are dropped only for Gmail, which ignores them; other
    providers deliver `a.nn@` and `ann@` to different people.
    """
    text = _text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text)
    wrapped = _WRAPPED.search(text)
    text = "".join((wrapped.group(1) if wrapped else text).split()).lower()
    text = text.removeprefix("mailto:").split("?", 1)[0]
    if not _EMAIL.match(text):
        return None
    local, domain = text.rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


def normalise_phone(value: object, region: str | None = None) -> str | None:
    """The number in E.164 (`+447700900123`), or None when it is not a possible number (callers count those).

    Any Unicode digits are made ASCII first; libphonenumber then reads `+44 (0)7700 900123`, `0044 7700 900123` and,
    with `region="GB"`, `07700 900123` as one number. A number without a country code cannot be placed without
    `region` (ISO 3166 alpha-2): it is None then, not guessed. An unknown region is a UsageError.
    """
    code = (region or "").strip().upper() or None
    if code is not None and code not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError("region", region, message=f"region={region!r} is not an ISO 3166 alpha-2 code "
                         "libphonenumber knows; use a code such as GB, DE, US or AE")
    text = _text(value)
    if text is None:
        return None
    text = ascii_digits(unicodedata.normalize("NFKC", text)).strip()
    if code is None and text.startswith("00"):
        text = "+" + text[2:]  # the international call prefix of most countries; with a region libphonenumber knows it
    try:
        number = phonenumbers.parse(text, code)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _pinyin(match: re.Match[str]) -> str:
    """A run of Chinese characters in pinyin as names are written in Latin: the family name (first character),
    a space, the given name joined (`王小明` -> `Wang Xiaoming`, GB/T 28039-2011)."""
    syllables = [anyascii(ch) for ch in match.group(0)]
    return f" {syllables[0]} {''.join(syllables[1:])} "


def normalise_name(value: object) -> str | None:
    """The name as lowercase ASCII words separated by one space, or None when nothing is left.

    NFKC (ligatures such as `ﬁ` become `fi`), casefolded (`ß` becomes `ss`), transliterated to Latin by anyascii so
    that spellings in other scripts meet (`Александр` -> `aleksandr`, `王伟` -> `wang wei`, `محمد` -> `mhmd`);
    diacritics go (`ä` -> `a`: anyascii's one mapping for every language, where German's `ae` would be wrong for
    Turkish or Swedish names, so `Müller` and `Mueller` differ here and meet only by their grams); apostrophes are
    dropped (`O'Brien` = `OBrien`), other punctuation and hyphens become spaces; honorifics (`HONORIFICS`) go.
    Word order is kept; `name_key` sorts the words.
    """
    text = _text(value)
    if text is None:
        return None
    text = _CJK.sub(_pinyin, unicodedata.normalize("NFKC", text).casefold())
    text = _APOSTROPHES.sub("", anyascii(text).lower())
    words = [word for word in _NOT_ALNUM.sub(" ", text).split() if word not in HONORIFICS]
    return " ".join(words) or None


def name_key(value: object) -> str | None:
    """The normalised name's words sorted, so `Smith, John`, `John Smith` and `Dr. SMITH John` are one key."""
    name = normalise_name(value)
    return " ".join(sorted(name.split())) if name else None


def normalise_postcode(value: object) -> str | None:
    """The postcode in ASCII digits, uppercased, without spaces and dashes (`sw1a 1aa` -> `SW1A1AA`), or None."""
    text = _text(value)
    if text is None:
        return None
    text = _POSTCODE_DROP.sub("", ascii_digits(unicodedata.normalize("NFKC", text)).upper())
    return text or None


def normalise_external_id(value: object) -> str | None:
    """The id NFKC-normalised, trimmed and uppercased (`ab-123 ` -> `AB-123`), or None when empty."""
    text = _text(value)
    if text is None:
        return None
    return unicodedata.normalize("NFKC", text).strip().upper() or None


def normalise(kind: str, value: object, region: str | None = None) -> str | None:
    """`value` normalised for `kind` (one of KINDS); `region` is used for phones only. Unknown kind: UsageError."""
    if kind == "phone":
        return normalise_phone(value, region)
    function = _BY_KIND.get(kind)
    if function is None:
        raise UsageError("kind", kind, KINDS)
    return function(value)


_BY_KIND = {"email": normalise_email, "name": normalise_name, "postcode": normalise_postcode,
            "external_id": normalise_external_id}
