"""Comment redaction: realistic comments in English, German, Russian, Chinese and Arabic, each identifier format
with its near-misses (order numbers, dates, times, prices, versions, ticket ids, numbers failing their checksum),
precision and recall over the list, and property-based tests that generated identifiers are always caught.
"""

from __future__ import annotations

import random
import string

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cxlens.privacy import patterns as p
from cxlens.privacy.redact import PLACEHOLDERS, find_identifiers, redact, redact_many

# (comment, [(identifier as written, type), ...]); an empty list: nothing in it may be redacted.
CASES: list[tuple[str, list[tuple[str, str]]]] = [
    # --- English (US/UK)
    ("Please call me back on (415) 555-2671, I was on hold for 45 minutes.", [("(415) 555-2671", "phone")]),
    ("My number is +1 415-555-2671 or email john.smith@example.com", [("+1 415-555-2671", "phone"), ("john.smith@example.com", "email")]),
    ("Reach me at 020 7946 0958 after 6pm.", [("020 7946 0958", "phone")]),
    ("UK mobile 07911 123456, landline +44 20 7946 0958", [("07911 123456", "phone"), ("+44 20 7946 0958", "phone")]),
    ("They charged my card 4111 1111 1111 1111 twice!!", [("4111 1111 1111 1111", "card")]),
    ("Card 5555-5555-5555-4444 was declined but money left my account GB82 WEST 1234 5698 7654 32.",
     [("5555-5555-5555-4444", "card"), ("GB82 WEST 1234 5698 7654 32", "iban")]),
    ("Amex 378282246310005 refunded, thanks Sarah", [("378282246310005", "card")]),
    ("mail me: jane_doe+billing@mail.co.uk.", [("jane_doe+billing@mail.co.uk", "email")]),
    ("Order #4155552671 arrived on 2024-03-01 at 14:30, two days late.", []),
    ("Order number 123456789012 cost $1,299.99 and the app version 10.0.19045.3803 crashed.", []),
    ("Ticket INC0012345 and case TCK-2024-00123 are still open since 03/01/2024.", []),
    ("I paid 4111 1111 1111 1112 is what the form showed, odd.", []),  # fails Luhn
    ("Waited 3 hours, called 5 times, 12 agents, 1,250,000 points lost.", []),
    ("Tracking 1Z999AA10123456784 says delivered; invoice INV-20240301-0042.", []),
    # --- German (DE/AT/CH)
    ("Bitte rufen Sie mich unter 0171 1234567 zurück, danke.", [("0171 1234567", "phone")]),
    ("Tel. +49 (0)30 12345678 oder 089/1234567, E-Mail: max.mustermann@beispiel.de",
     [("+49 (0)30 12345678", "phone"), ("089/1234567", "phone"), ("max.mustermann@beispiel.de", "email")]),
    ("Aus Wien: +43 664 1234567, aus Zürich 044 668 18 00.", [("+43 664 1234567", "phone"), ("044 668 18 00", "phone")]),
    ("Überweisung auf DE89 3704 0044 0532 0130 00 wurde doppelt abgebucht.", [("DE89 3704 0044 0532 0130 00", "iban")]),
    ("Mein Konto AT611904300234573201, Schweiz CH93 0076 2011 6238 5295 7",
     [("AT611904300234573201", "iban"), ("CH93 0076 2011 6238 5295 7", "iban")]),
    ("Meine Steuer-ID ist 65929970489, bitte nicht weitergeben.", [("65929970489", "national_id")]),
    ("Bestellung 4711202488 vom 01.03.2024 um 14:30 Uhr, Preis 1.299,00 €.", []),
    ("Rechnungsnummer: 2024-000123, Betrag 89,99 EUR, Kundennummer 1234567890.", []),
    ("IBAN DE89 3704 0044 0532 0130 01 stimmt nicht (Prüfziffer).", []),  # fails mod 97
    ("Steuer-ID 65929970488 aus dem Formular (Tippfehler)", []),  # fails ISO 7064
    ("App-Version 2.14.1 stürzt ab, Termin am 15.04.2024.", []),
    # --- Russian (RU)
    ("Перезвоните мне по номеру 8 (912) 345-67-89, пожалуйста.", [("8 (912) 345-67-89", "phone")]),
    ("Мой телефон +7 (495) 123-45-67, почта ivan.petrov@mail.ru", [("+7 (495) 123-45-67", "phone"), ("ivan.petrov@mail.ru", "email")]),
    ("Горячая линия 8-800-555-35-35 не отвечает", [("8-800-555-35-35", "phone")]),
    ("СНИЛС 112-233-445 95, ИНН 500100732259", [("112-233-445 95", "national_id"), ("500100732259", "national_id")]),
    ("ИНН организации 7707083893, карта Мир 2200 7000 1234 5673",
     [("7707083893", "national_id"), ("2200 7000 1234 5673", "card")]),
    ("Счёт RU0204452560040702810412345678901 заблокирован", [("RU0204452560040702810412345678901", "iban")]),
    ("Заказ № 89123456789 не пришёл, ждал с 01.03.2024.", []),
    ("Списали 12 500 руб. и 1 299 000 ₽ за год, версия 3.2.1.", []),
    ("СНИЛС 112-233-445 96 указан с ошибкой", []),  # fails the SNILS check
    ("Ждал 40 минут, в 18:45 закрыли. Заявка 2024/0315.", []),
    # --- Chinese (CN)
    ("我的邮箱是zhang.wei@example.com谢谢", [("zhang.wei@example.com", "email")]),
    ("请打我手机13812345678或者座机010-12345678", [("13812345678", "phone"), ("010-12345678", "phone")]),
    ("客服电话+86 138 1234 5678一直占线", [("+86 138 1234 5678", "phone")]),
    ("身份证号11010519491231002X，银行卡6212345678901232", [("11010519491231002X", "national_id"), ("6212345678901232", "card")]),
    ("上海的号码021-87654321，身份证31010419850612452X", [("021-87654321", "phone"), ("31010419850612452X", "national_id")]),
    ("订单号20240301123456，2024年3月1日下午3点送达，价格1299元。", []),
    ("身份证110105194912310021填错了", []),  # fails mod 11-2
    ("工单12345678，版本 5.0.2，等了 30 分钟", []),
    # --- Arabic (SA/AE/EG)
    ("رقمي ٠٥٠١٢٣٤٥٦٧ يرجى الاتصال بي", [("٠٥٠١٢٣٤٥٦٧", "phone")]),
    ("اتصل على +966 50 123 4567 أو البريد ahmed.ali@example.sa", [("+966 50 123 4567", "phone"), ("ahmed.ali@example.sa", "email")]),
    ("من دبي +971 50 123 4567 ومن القاهرة 01012345678", [("+971 50 123 4567", "phone"), ("01012345678", "phone")]),
    ("رقم الهوية 1045678909 والإقامة ٢٠١٢٣٤٥٦٧٠", [("1045678909", "national_id"), ("٢٠١٢٣٤٥٦٧٠", "national_id")]),
    ("الآيبان SA03 8000 0000 6080 1016 7519 خصم مرتين", [("SA03 8000 0000 6080 1016 7519", "iban")]),
    ("حسابي EG380019000500000000263180002 وAE070331234567890123456",
     [("EG380019000500000000263180002", "iban"), ("AE070331234567890123456", "iban")]),
    ("رقم الطلب ١٢٣٤٥٦٧٨٩٠ بتاريخ ٢٠٢٤-٠٣-٠١ الساعة ١٤:٣٠", []),
    ("السعر ٢٥٠٠ ريال والتذكرة 4839201", []),
    ("فاتورة 2024000123 والإصدار 4.1.7", []),
]


def _expected_spans(text: str, items: list[tuple[str, str]]) -> set[tuple[int, int, str]]:
    spans = set()
    for value, kind in items:
        start = text.index(value)
        spans.add((start, start + len(value), kind))
    return spans


def _scores() -> tuple[float, float, float, list[str]]:
    """Precision, recall (by span) and the share of found spans with the right type, over CASES."""
    true_pos = false_pos = false_neg = right_type = 0
    misses: list[str] = []
    for text, items in CASES:
        expected = _expected_spans(text, items)
        found = set(find_identifiers(text))
        want = {(s, e) for s, e, _ in expected}
        got = {(s, e) for s, e, _ in found}
        true_pos += len(want & got)
        false_pos += len(got - want)
        false_neg += len(want - got)
        right_type += len(expected & found)
        if want != got:
            misses.append(f"{text!r}: expected {sorted(want)}, found {sorted(found)}")
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    return precision, recall, right_type / max(true_pos, 1), misses


def test_precision_and_recall_on_realistic_comments_in_five_languages():
    precision, recall, typed, misses = _scores()
    identifiers = sum(len(items) for _, items in CASES)
    near_misses = sum(1 for _, items in CASES if not items)
    print(f"\nredaction over {len(CASES)} comments ({identifiers} identifiers, {near_misses} near-miss comments): "
          f"precision {precision:.3f}, recall {recall:.3f}, right type {typed:.3f}")
    assert not misses, "\n".join(misses)
    assert precision == 1.0 and recall == 1.0 and typed == 1.0


@pytest.mark.parametrize("text,items", CASES, ids=[t[:30] for t, _ in CASES])
def test_each_comment_keeps_its_words_and_gets_typed_placeholders(text, items):
    done = redact(text)
    for value, kind in items:
        assert value not in done.text
    assert done.counts == {k: n for k in PLACEHOLDERS for n in [sum(1 for _, kd in items if kd == k)] if n}
    words = text
    for value, kind in items:
        words = words.replace(value, PLACEHOLDERS[kind], 1)
    assert done.text == words  # everything around the identifiers is kept, character for character


def test_email_next_to_cjk_keeps_the_words_around_it():
    assert redact("我的邮箱是zhang.wei@example.com谢谢").text == "我的邮箱是[email]谢谢"
    assert redact("メールはtaro@example.jpです").text == "メールは[email]です"


def test_arabic_indic_digits_are_read_as_digits_and_kept_around():
    assert redact("هاتفي ٠٥٠١٢٣٤٥٦٧ شكراً").text == "هاتفي [phone] شكراً"
    assert redact("هاتفي ۰۵۰۱۲۳۴۵۶۷").text == "هاتفي [phone]"  # Persian digits


def test_redact_many_passes_none_and_plain_text_through_and_sums_counts():
    texts, counts = redact_many([None, "all good", "call 0171 1234567", "a@b.de and c@d.de"])
    assert texts == [None, "all good", "call [phone]", "[email] and [email]"]
    assert counts == {"phone": 1, "email": 2}


# --- checksums against published examples ---------------------------------------------------------------------

def test_a_currency_before_a_number_must_start_a_word():
    # "rub 770000000082" is an amount of roubles; in "scrub 770000000082" the INN is an identifier
    assert redact("rub 770000000082").text == "rub 770000000082"
    assert redact("USD 770000000082").text == "USD 770000000082"
    assert redact("scrub 770000000082").text == "scrub [national_id]"
    assert redact("Caesar 770000000082").text == "Caesar [national_id]"  # ends in "sar", the riyal's code


def test_checksums_accept_published_examples_and_reject_a_changed_digit():
    assert p.iban_ok("DE89370400440532013000") and not p.iban_ok("DE89370400440532013001")
    assert p.cn_resident_id_ok("11010519491231002X") and not p.cn_resident_id_ok("110105194912310021")
    assert p.snils_ok("11223344595") and not p.snils_ok("11223344596")
    assert p.inn_ok("7707083893") and not p.inn_ok("7707083894")
    assert p.inn_ok("500100732259") and not p.inn_ok("500100732258")
    assert p.de_tax_id_ok("65929970489") and not p.de_tax_id_ok("65929970488")
    assert p.card_ok("4111111111111111") and not p.card_ok("4111111111111112")
    assert p.saudi_id_ok("1045678909") and not p.saudi_id_ok("3045678909")


# --- property-based: generated identifiers inside random text in each script -----------------------------------

SCRIPTS = {
    "en": string.ascii_letters + "    ,!?",
    "de": "abcdefghijklmnopqrstuvwxyzäöüßÄÖÜ    ,!?",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГД    ,!?",
    "zh": "的一是不了人我在有他这中大来上个国们到说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然",
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي    ،؟",
}
_words = st.sampled_from(sorted(SCRIPTS)).flatmap(
    lambda lang: st.tuples(st.text(SCRIPTS[lang], max_size=25), st.text(SCRIPTS[lang], max_size=25))).filter(
    # not the words that make a number no identifier by design: a currency ("rub 770000000082" is an amount of
    # roubles) or an order, invoice or ticket number before it
    lambda w: not (p.CURRENCY_BEFORE.search(w[0]) or p.NOT_PERSONAL_BEFORE.search(w[0]) or p.CURRENCY_AFTER.match(w[1])))
_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _surrounded(before: str, value: str, after: str) -> str:
    """`value` in running text: CJK runs straight into it, other scripts with a space."""
    cjk = lambda s: bool(s) and "\u4e00" <= s <= "\u9fff"  # noqa: E731
    left = before if cjk(before[-1:]) or not before else before + " "
    right = after if cjk(after[:1]) or not after else " " + after
    return left + value + right


def _caught(value: str, kind: str, words: tuple[str, str]) -> None:
    text = _surrounded(words[0], value, words[1])
    left, right = text[:text.index(value)], text[text.index(value) + len(value):]
    # Random words may happen to say the number is not personal ("item 555-0123", "eur 1234"): the near-miss
    # rules leave those alone on purpose (tested above), so such draws are not this property's case.
    assume(not p.NOT_PERSONAL_BEFORE.search(left) and not p.CURRENCY_BEFORE.search(left)
           and not p.CURRENCY_AFTER.search(right))
    done = redact(text)
    assert value not in done.text, (text, done)
    assert done.counts.get(kind, 0) >= 1, (text, done)
    assert done.text.startswith(words[0].rstrip()[:5]) and done.text.endswith(words[1].lstrip()[-5:])


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


@st.composite
def emails(draw) -> str:
    local = draw(st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,15}[a-z0-9])?", fullmatch=True))
    local = local.replace("..", ".")
    domain = draw(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True))
    tld = draw(st.sampled_from(["com", "de", "ru", "cn", "sa", "ae", "eg", "co.uk", "com.cn", "org"]))
    return f"{local}@{domain}.{tld}"


_PHONE_EXAMPLES = []
for _region in ("US", "GB", "DE", "AT", "CH", "RU", "CN", "SA", "AE", "EG"):
    for _type in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        _number = phonenumbers.example_number_for_type(_region, _type)
        for _style in (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                       phonenumbers.PhoneNumberFormat.E164):
            _PHONE_EXAMPLES.append(phonenumbers.format_number(_number, _style))


@st.composite
def cards(draw) -> str:
    prefix = draw(st.sampled_from(["4", "51", "55", "2200", "2221", "34", "37", "62"]))
    length = 15 if prefix in ("34", "37") else draw(st.sampled_from([16, 16, 19]))
    body = prefix + draw(_digits(length - len(prefix) - 1))
    number = body + next(d for d in "0123456789" if p.luhn_ok(body + d))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


@st.composite
def ibans(draw) -> str:
    country = draw(st.sampled_from(["DE", "GB", "AT", "CH", "SA", "AE", "EG", "RU", "FR", "NL"]))
    length = p.IBAN_LENGTHS[country]
    bban = draw(st.text("0123456789", min_size=length - 4, max_size=length - 4))
    if country in ("GB", "NL"):
        bban = draw(st.text(string.ascii_uppercase, min_size=4, max_size=4)) + bban[4:]
    check = 98 - int("".join(str(int(c, 36)) for c in bban + country + "00")) % 97
    iban = f"{country}{check:02d}{bban}"
    assert p.iban_ok(iban)
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if draw(st.booleans()) else iban


@st.composite
def chinese_ids(draw) -> str:
    region = draw(st.sampled_from(["110105", "310104", "440308", "510107", "330106"]))
    born = draw(st.dates(min_value=__import__("datetime").date(1930, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)))
    body = region + born.strftime("%Y%m%d") + draw(_digits(3))
    check = (12 - sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


@st.composite
def snils_numbers(draw) -> str:
    body = draw(_digits(9).filter(lambda s: int(s) > 1001998))
    check = sum(int(d) * (9 - i) for i, d in enumerate(body)) % 101 % 100
    plain = f"{body}{check:02d}"
    return f"{plain[:3]}-{plain[3:6]}-{plain[6:9]} {plain[9:]}" if draw(st.booleans()) else plain


@st.composite
def inns(draw) -> str:
    if draw(st.booleans()):
        body = draw(st.sampled_from(["77", "50", "78", "66", "16"])) + draw(_digits(7))
        return body + str(sum(int(d) * w for d, w in zip(body, (2, 4, 10, 3, 5, 9, 4, 6, 8))) % 11 % 10)
    body = draw(st.sampled_from(["77", "50", "78", "66", "16"])) + draw(_digits(8))
    body += str(sum(int(d) * w for d, w in zip(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8))) % 11 % 10)
    return body + str(sum(int(d) * w for d, w in zip(body, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))) % 11 % 10)


@_PROPERTY
@given(emails(), _words)
def test_generated_emails_are_always_caught(value, words):
    _caught(value, "email", words)


@_PROPERTY
@given(st.sampled_from(_PHONE_EXAMPLES), _words)
def test_example_phone_numbers_of_every_region_in_every_style_are_always_caught(value, words):
    _caught(value, "phone", words)


def test_every_example_phone_number_is_caught_with_its_type():
    for value in _PHONE_EXAMPLES:
        assert redact(f"call {value} today").text == "call [phone] today", value


@_PROPERTY
@given(cards(), _words)
def test_generated_luhn_card_numbers_are_always_caught(value, words):
    _caught(value, "card", words)


@_PROPERTY
@given(ibans(), _words)
def test_generated_ibans_with_correct_check_digits_are_always_caught(value, words):
    _caught(value, "iban", words)


@_PROPERTY
@given(chinese_ids(), _words)
def test_generated_chinese_resident_ids_are_always_caught(value, words):
    _caught(value, "national_id", words)


@_PROPERTY
@given(st.one_of(snils_numbers(), inns()), _words)
def test_generated_snils_and_inn_are_always_caught(value, words):
    text = _surrounded(words[0], value, words[1])
    done = redact(text)
    assert value not in done.text, (text, done)
    # A plain INN or SNILS that is also a valid phone number is redacted as [phone]: gone either way.
    assert done.counts.get("national_id", 0) + done.counts.get("phone", 0) >= 1


@_PROPERTY
@given(_words, st.integers(0, 10**9))
def test_text_without_identifiers_is_left_as_it_is(words, seed):
    rng = random.Random(seed)
    date = f"{rng.randint(2000, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    text = f"{words[0]} {date} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} {rng.randint(1, 99999)} {words[1]}"
    assert redact(text).text == text
