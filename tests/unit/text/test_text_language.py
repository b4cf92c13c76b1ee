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


def test_urls_handles_and_retweet_marks_do_not_outvote_the_words():
    got = detect_language(["Скоростной интернет от @ru_mts http://t.co/stt3sCTjiv",
                           "RT @whicard5: Докучаевск тоже без МТС https://t.co/nelbxWywco",
                           "@DB_Bahn der Zug ist schon wieder zu spät www.bahn.de",
                           "@united my flight was cancelled again http://t.co/abc"])
    assert got == ["ru", "ru", "de", "en"]


@pytest.mark.parametrize("lang,script", [("ar", "[\u0600-\u06ff]"), ("zh", "[\u4e00-\u9fff]"), ("ru", "[\u0400-\u04ff]"),
                                         ("en", None), ("de", None)])
def test_corpus_rows_get_their_language(lang, script):
    """Every labelled corpus is in one language: rows written in it (for ar/zh/ru: containing its script;
    the Arabic corpus also holds ~300 reviews written in English) must be recognised, 99% or better."""
    from cxlens.text.corpus import corpus_file, load_corpus

    if corpus_file(lang) is None:
        pytest.skip(f"no shared corpus for {lang}")
    text = load_corpus(lang).text.astype(str)
    if script:
        text = text[text.str.contains(script)]
    got = detect_language(text.sample(min(len(text), 3000), random_state=0).tolist())
    assert sum(g == lang for g in got) / len(got) >= 0.99
