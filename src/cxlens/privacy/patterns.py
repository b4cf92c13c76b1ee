"""What comment redaction looks for: candidate patterns and the checksums that confirm them.

A pattern only proposes a span; a checksum (Luhn, IBAN mod 97, ISO 7064, SNILS, INN) or `phonenumbers`
confirms it, so order numbers, dates and prices that merely look like identifiers stay in the text.
Patterns run over a normalised copy of the text (`normalise`) of the same length: Arabic-Indic, Persian
and full-width digits become ASCII digits, non-breaking spaces spaces and Unicode dashes hyphens, so a span
found in the copy is the same span in the original.
"""

from __future__ import annotations

import re
from datetime import date

# --- normalisation (one character -> one character, so spans carry over) ------------------------------------

_SAME_LENGTH = {}
for _zero in (0x0660, 0x06F0, 0xFF10):  # Arabic-Indic, Extended Arabic-Indic (Persian/Urdu), full-width
    for _d in range(10):
        _SAME_LENGTH[_zero + _d] = ord("0") + _d
_SAME_LENGTH.update({ord(c): ord(" ") for c in "\u00a0\u2007\u202f\u3000\t"})
_SAME_LENGTH.update({ord(c): ord("-") for c in "\u2010\u2011\u2012\u2013\u2014\u2212\uff0d"})
_SAME_LENGTH.update({ord("\uff0b"): ord("+"), ord("\uff20"): ord("@"), ord("\uff08"): ord("("),
                     ord("\uff09"): ord(")"), ord("\uff0e"): ord(".")})
NORMALISE = _SAME_LENGTH

# A text is worth scanning only when it has an @ or a run of digits (any script, separators allowed).
TRIGGER = re.compile(r"[@\uff20]|[0-9\u0660-\u0669\u06f0-\u06f9\uff10-\uff19][0-9\u0660-\u0669\u06f0-\u06f9\uff10-\uff19 ./()\-\u00a0]{5,}")


def normalise(text: str) -> str:
    """Same-length copy of `text` with every digit ASCII and spaces/dashes plain (see module docstring)."""
    return text.translate(NORMALISE)


# --- candidates -----------------------------------------------------------------------------------------------

# ASCII local part and domain labels (Cyrillic allowed in the domain: почта.рф): a `\w` class would take the
# CJK or Arabic words written right before or after the address ("我的邮箱是zhang.wei@example.com谢谢").
EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                   r"@(?:[A-Za-z0-9\u0400-\u04ff](?:[A-Za-z0-9\u0400-\u04ff-]*[A-Za-z0-9\u0400-\u04ff])?\.)+"
                   r"(?:[A-Za-z]{2,24}|[\u0400-\u04ff]{2,10})(?![A-Za-z0-9])")

IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,8}(?: ?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])")

# Digits with the separators people type inside numbers; not after a letter, digit or ticket-like joiner
# (INC-2024-0001, v2.3.1), optionally after + or 00, with parenthesised groups: 8 (912) 345-67-89.
DIGITS = re.compile(r"(?<![A-Za-z0-9#/_\\-])(?<![0-9][.,:])(?:\+ ?)?(?:\(\d{1,5}\)[ .\-/]?)?\d"
                    r"(?:[ .\-/]?(?:\(\d{1,5}\)|\d)){5,22}(?![0-9]|[.,][0-9]|[A-Za-z])", re.ASCII)
# A Chinese resident identity number: 17 digits and a check character (X for 10).
CN_ID = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
SEPARATORS = re.compile(r"[ .\-/()]+")

# Words right before a number that make it not a personal identifier: order, invoice, ticket, version...
_NOT_PERSONAL_WORDS = (
    r"order|order\s*(?:no|number|id)|invoice|ticket|case|ref|reference|tracking|version|build|ios|android|"
    r"model|serial|article|item|sku|"
    r"bestellung|bestellnummer|auftrag|auftragsnummer|rechnung|rechnungsnummer|vorgang|vorgangsnummer|"
    r"sendungsnummer|artikel|artikelnummer|kundennummer|"
    r"заказ|заказа|номер\s+заказа|счёт|счет|счета|накладная|трек|тикет|заявка|заявки|обращение|обращения|версия|"
    r"订单|订单号|单号|工单|快递单号|运单号|版本|型号|发票|"
    r"طلب|الطلب|رقم\s+الطلب|فاتورة|الفاتورة|تذكرة|التذكرة|الشحنة|الإصدار|إصدار"
)
NOT_PERSONAL_BEFORE = re.compile(rf"(?:^|[^\w])(?:{_NOT_PERSONAL_WORDS})\s*(?:no\.?|nr\.?|№|#|number|nummer|номер|"
                                 rf"رقم)?\s*[:#№]?\s*$", re.IGNORECASE)
# Amounts: a currency right before or after the number.
_CURRENCY = r"[$€£¥₽﷼]|eur|euro|usd|gbp|chf|rub|руб\.?|рублей|cny|rmb|元|sar|aed|egp|ريال|درهم|جنيه"
# Before the number a currency word must start a word: "scrub 770000000082" is no amount of roubles.
CURRENCY_BEFORE = re.compile(rf"(?<![^\W\d_])(?:{_CURRENCY})\s*$", re.IGNORECASE)
CURRENCY_AFTER = re.compile(rf"^\s*(?:{_CURRENCY})", re.IGNORECASE)
# Dates and times written with digits only: 2024-03-01, 01.03.2024, 1/3/2024, 2024/03/01 12 30.
DATE = re.compile(r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})(?:[ T]\d{1,2}(?:[ .]\d{2}){0,2})?", re.ASCII)


# --- checksums ------------------------------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    """Luhn (ISO/IEC 7812-1 annex B): payment cards and the Saudi national id."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_ok(digits: str) -> bool:
    """A payment card: 13-19 digits, an issuer prefix in use (2-6: Mastercard, Visa, Amex, UnionPay, Mir...)
    and the Luhn check."""
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits)


# ISO 13616 lengths of the IBAN in each country that issues them (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24,
    "XK": 20,
}


def iban_ok(compact: str) -> bool:
    """ISO 13616 / ISO 7064 mod 97-10: the country's length and (rearranged number) mod 97 == 1."""
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


_CN_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def cn_resident_id_ok(value: str) -> bool:
    """Chinese resident identity number (GB 11643-1999): 17 digits + check (ISO 7064 mod 11-2, 10 -> X),
    a region code and a real birth date."""
    if len(value) != 18 or not value[:17].isdigit() or value[0] == "0":
        return False
    check = (12 - sum(int(d) * w for d, w in zip(value[:17], _CN_WEIGHTS)) % 11) % 11
    if value[17].upper() != ("X" if check == 10 else str(check)):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= date.today().year


def saudi_id_ok(digits: str) -> bool:
    """Saudi national id (citizens start with 1) or iqama (residents, 2): 10 digits, Luhn."""
    return len(digits) == 10 and digits[0] in "12" and luhn_ok(digits)


def snils_ok(digits: str) -> bool:
    """Russian SNILS: 9 digits + 2 check digits (weighted sum 9..1, mod 101, 100 -> 00); checked above 001-001-998."""
    if len(digits) != 11 or int(digits[:9]) <= 1001998:
        return False
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    check = total % 101 % 100
    return int(digits[9:]) == check


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10


def inn_ok(digits: str) -> bool:
    """Russian INN: 10 digits (organisations, one check digit) or 12 (people, two), FNS weights mod 11 mod 10."""
    if len(digits) == 10:
        return digits[:2] != "00" and _inn_digit(digits, _INN10) == int(digits[9])
    if len(digits) == 12:
        return (digits[:2] != "00" and _inn_digit(digits, _INN11) == int(digits[10])
                and _inn_digit(digits, _INN12) == int(digits[11]))
    return False


def de_tax_id_ok(digits: str) -> bool:
    """German Steuer-IdNr: 11 digits, no leading 0, in the first ten one digit twice or three times (and not three
    in a row) and the others at most once, check digit by ISO 7064 mod 11,10."""
    if len(digits) != 11 or digits[0] == "0":
        return False
    counts = sorted((digits[:10].count(d) for d in set(digits[:10])), reverse=True)
    if counts[0] not in (2, 3) or counts[1:] and counts[1] != 1:
        return False
    if counts[0] == 3 and any(digits[i] == digits[i + 1] == digits[i + 2] for i in range(8)):
        return False
    product = 10
    for d in digits[:10]:
        total = (int(d) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10 == int(digits[10])
