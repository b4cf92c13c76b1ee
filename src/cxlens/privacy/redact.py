"""Comment redaction: personal identifiers in free text replaced by typed placeholders before storage.

`redact(text)` finds e-mail addresses, phone numbers (the local and international formats of the countries
cxlens's five languages imply: US/UK, DE/AT/CH, RU, CN, SA/AE/EG, confirmed by `phonenumbers`), payment
card numbers (Luhn), IBANs (mod 97) and national ids with a checksum (Chinese resident id, Saudi national
id/iqama, Russian SNILS and INN, German Steuer-IdNr), and replaces each by `[email]`, `[phone]`, `[card]`,
`[iban]` or `[national_id]`. A number is replaced only when its checksum or the phone-number plan confirms
it, and not when the words before it call it an order, invoice, ticket or version number or a currency
sits next to it; dates are never replaced. Person names are not found: that needs a language model
cxlens cannot ship (docs/privacy.md, "Comment redaction").

`redact_many(texts)` does a column of comments at load; texts without an @ or a run of digits (most of
them) are passed through after one regular-expression test.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import phonenumbers

from cxlens.privacy import patterns as p

PLACEHOLDERS = {kind: f"[{kind}]" for kind in ("email", "phone", "card", "iban", "national_id")}

# Countries whose numbers are recognised in national format, by the first digit a national number starts
# with: the trunk prefix 0 (UK, DE, AT, CH, CN landlines, SA, AE, EG), 8 (RU), 1 (CN mobiles, US with its
# country code) or a NANP area code (US; RU written without the 8).
PHONE_REGIONS = ("US", "GB", "DE", "AT", "CH", "RU", "CN", "SA", "AE", "EG")
_NATIONAL_REGIONS = {"0": ("DE", "GB", "AT", "CH", "CN", "SA", "AE", "EG"), "8": ("RU", "US"), "1": ("CN", "US"),
                     "9": ("US", "RU")}
_NATIONAL_REGIONS.update({d: ("US",) for d in "234567"})
_MASK = "\x00"


@dataclass(frozen=True)
class Redacted:
    """A redacted text and how many placeholders of each type it received."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)


def redact(text: str) -> Redacted:
    """`text` with every e-mail, phone, card, IBAN and national id replaced by its placeholder, and the counts."""
    if not text or not p.TRIGGER.search(text):
        return Redacted(text, {})
    spans = find_identifiers(text)
    if not spans:
        return Redacted(text, {})
    parts, last, counts = [], 0, Counter()
    for start, end, kind in spans:
        parts.append(text[last:start])
        parts.append(PLACEHOLDERS[kind])
        counts[kind] += 1
        last = end
    parts.append(text[last:])
    return Redacted("".join(parts), dict(counts))


def redact_many(texts: Iterable[str | None]) -> tuple[list[str | None], Counter]:
    """Redact a column of texts (None stays None); returns the texts and the placeholder counts over all."""
    trigger = p.TRIGGER.search
    out: list[str | None] = []
    total: Counter = Counter()
    for text in texts:
        if text is None or not trigger(text):
            out.append(text)
            continue
        done = redact(text)
        out.append(done.text)
        total.update(done.counts)
    return out, total


def find_identifiers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, type) of every identifier in `text`, in order and not overlapping."""
    norm = p.normalise(text)
    spans: list[tuple[int, int, str]] = []

    def take(start: int, end: int, kind: str) -> None:
        nonlocal norm
        spans.append((start, end, kind))
        norm = norm[:start] + _MASK * (end - start) + norm[end:]  # later patterns cannot match inside it

    for m in p.EMAIL.finditer(norm):
        take(m.start(), m.end(), "email")
    for m in list(p.IBAN.finditer(norm)):
        end = _iban_end(m.group(), m.start())
        if end:
            take(m.start(), end, "iban")
        elif m.group()[:2] in p.IBAN_LENGTHS:  # an IBAN failing its check: its digits are no card or phone
            norm = norm[:m.start()] + _MASK * (m.end() - m.start()) + norm[m.end():]
    for m in list(p.CN_ID.finditer(norm)):
        if p.cn_resident_id_ok(m.group()):
            take(m.start(), m.end(), "national_id")
    pos = 0
    while True:
        m = p.DIGITS.search(norm, pos)
        if not m:
            break
        found = _classify_number(norm, m.start(), m.end())
        if found:
            take(m.start(), found[0], found[1])
            pos = found[0]
        else:  # retry from the next group: "am 3. 0301234567" starts with a stray group
            nxt = p.SEPARATORS.search(norm, m.start(), m.end())
            pos = nxt.end() if nxt else m.end()
    return sorted(spans)


def _iban_end(candidate: str, start: int) -> int | None:
    """End of the IBAN that `candidate` (found at `start`) begins with, or None; the pattern may have taken a
    following short word, so the country's length decides where it ends."""
    length = p.IBAN_LENGTHS.get(candidate[:2].upper())
    if not length:
        return None
    seen = 0
    for i, ch in enumerate(candidate):
        if ch != " ":
            seen += 1
        if seen == length:
            compact = candidate[:i + 1].replace(" ", "")
            return start + i + 1 if p.iban_ok(compact) else None
    return None


def _classify_number(norm: str, start: int, end: int) -> tuple[int, str] | None:
    """(end, type) for the identifier the digit run at norm[start:end] begins with, trying shorter runs (the
    pattern may have taken a following number), or None when it is no identifier."""
    before = norm[max(0, start - 40):start]
    if p.NOT_PERSONAL_BEFORE.search(before) or p.CURRENCY_BEFORE.search(before):
        return None
    while True:
        candidate = norm[start:end]
        kind = None if p.CURRENCY_AFTER.match(norm, end) else _identifier_type(candidate)
        if kind:
            return end, kind
        cut = max(candidate.rfind(c) for c in " .-/(")
        if cut <= 0:
            return None
        end = start + len(candidate[:cut].rstrip(" .-/("))
        if sum(c.isdigit() for c in norm[start:end]) < 7:
            return None


def _identifier_type(candidate: str) -> str | None:
    """Type of a candidate digit run (with its separators), or None."""
    digits = "".join(c for c in candidate if c.isdigit())
    if len(digits) < 7 or p.DATE.fullmatch(candidate):
        return None
    international = candidate.startswith("+")
    if not international and p.card_ok(digits):
        return "card"
    if international or digits[0] == "0":
        return "phone" if _phone_ok(candidate, digits, international) else _national_id(digits, international)
    return _national_id(digits, False) or ("phone" if _phone_ok(candidate, digits, False) else None)


def _national_id(digits: str, international: bool) -> str | None:
    if international:
        return None
    ok = (p.snils_ok(digits) or p.inn_ok(digits) or p.saudi_id_ok(digits) or p.de_tax_id_ok(digits))
    return "national_id" if ok else None


def _phone_ok(candidate: str, digits: str, international: bool) -> bool:
    """A valid number of a recognised country: international (+ or 00) or in a national format of one."""
    if not 7 <= len(digits) <= 15:
        return False
    if international or digits.startswith("00"):
        text = candidate if international else "+" + candidate.lstrip()[2:]
        return _valid(text, None)
    return any(_valid(digits, region) for region in _NATIONAL_REGIONS.get(digits[0], ()))


def _valid(text: str, region: str | None) -> bool:
    """A valid number: of any country when international (region None), else of `region` (cheaper to check)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    if region is None:
        return phonenumbers.is_valid_number(number)
    return phonenumbers.is_valid_number_for_region(number, region)
