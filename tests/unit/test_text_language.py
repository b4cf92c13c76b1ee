"""Language identification on short and mixed-script comments."""

import pytest

from cxlens.text import detect_language

SHORT = [
    ("Bill wrong again", "en"), ("no signal at home", "en"), ("thanks!", "en"),
    ("Rechnung falsch", "de"), ("Kein Netz", "de"), ("Danke", "de"),
    ("الفاتورة خطأ", "ar"), ("شكرا", "ar"),
    ("账单错了", "zh"), ("好", "zh"),
    ("счёт неверный", "ru"), ("спасибо", "ru"),
]


@pytest.mark.parametrize("text,expected", SHORT)
def test_short_comments_get_their_language(text, expected):
    assert detect_language([text]) == [expected]


def test_mixed_script_goes_to_the_script_carrying_most_text():
    got = detect_language(["我的bill有问题，太贵了", "Mein Handy ist super, 谢谢", "Интернет не работает, my router"])
    assert got == ["zh", "de", "ru"]


def test_empty_and_letterless_texts_are_undetermined():
    assert detect_language(["", None, "👍 10/10"]) == ["und", "und", "und"]


def test_other_languages_are_not_forced_into_ours():
    assert detect_language(["Le service client est vraiment excellent et rapide"]) == ["fr"]
    assert detect_language(["Дякую, все працює чудово, їжа смачна"]) == ["uk"]
