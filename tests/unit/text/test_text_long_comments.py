"""Very long comments: language id and the models read only the head of a comment (docs/text.md, "How much of
a comment is read"), so one pasted 1 MB log or e-mail thread costs what a normal comment costs.

The caps are tested through behaviour, never by timing: a keyword just before the cap is found and the same
keyword just after it is not; a long comment analyses like its first paragraph.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import build_tiny_store
from cxlens.ingest import load
from cxlens.text import SentimentModel, analyze, assign_themes, detect_emotions, detect_language
from cxlens.text.language import ANALYSIS_CHARS, LANGUAGE_ID_CHARS, text_head
from cxlens.text.stored import analyze_store, stored_analyses

MB = 1_000_000
PARAGRAPH = {  # a complaint with a clear language, sentiment and themes
    "en": "I was charged twice on my bill this month and the app keeps crashing, terrible service. ",
    "ar": "تم خصم المبلغ مرتين من فاتورتي هذا الشهر والتطبيق لا يعمل، خدمة سيئة جدا. ",
}
FILLER = {  # sentences that hit no theme and no emotion
    "en": "We moved to the new flat last spring and the garden is quiet. ",
    "ar": "انتقلنا إلى الشقة الجديدة في الربيع الماضي والحديقة هادئة. ",
}
KEYWORD = {"en": " No signal at home. ", "ar": " لا توجد تغطية في المنزل. "}  # network_coverage


@pytest.fixture(scope="module")
def lexicon_model() -> SentimentModel:
    # Shipped English model + word lists: fast and independent of the cached corpora models.
    return SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache")


def _repeat(sentence: str, length: int) -> str:
    return (sentence * (length // len(sentence) + 1))[:length]


def _keyword_at(lang: str, start: int, length: int = MB) -> str:
    """`length` characters of filler with the network keyword starting at character `start`."""
    head = _repeat(FILLER[lang], start)
    return head + KEYWORD[lang] + _repeat(FILLER[lang], length - len(head) - len(KEYWORD[lang]))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_filler_and_keyword_are_what_the_tests_assume(lang):
    assert assign_themes([FILLER[lang] * 3, KEYWORD[lang]], [lang, lang]) == [[], ["network_coverage"]]
    assert detect_emotions([FILLER[lang] * 3], [lang]) == [[]]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_1mb_comment_analyses_like_its_first_paragraph(lang, lexicon_model):
    frame = analyze([_repeat(PARAGRAPH[lang], MB), PARAGRAPH[lang]], sentiment=lexicon_model)
    long, short = frame.iloc[0], frame.iloc[1]
    assert long["language"] == short["language"] == lang
    assert long["sentiment"] == short["sentiment"] == "negative"
    assert long["themes"] == short["themes"] and "billing_errors" in short["themes"]
    assert long["emotions"] == short["emotions"]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_theme_keyword_before_the_cap_is_found_and_after_it_is_not(lang, lexicon_model):
    before = _keyword_at(lang, ANALYSIS_CHARS - len(KEYWORD[lang]) - 20)
    after = _keyword_at(lang, ANALYSIS_CHARS + 20)
    frame = analyze([before, after], [lang, lang], sentiment=lexicon_model)
    assert frame["themes"].tolist() == [["network_coverage"], []]
    assert assign_themes([before, after], [lang, lang]) == [["network_coverage"], []]  # the stage alone too


def test_emotion_words_after_the_cap_are_not_read():
    angry = " I am furious and angry. "
    assert detect_emotions([angry], ["en"]) == [["anger"]]
    head = _repeat(FILLER["en"], ANALYSIS_CHARS)
    assert detect_emotions([head[:-100] + angry + head, head + angry * 1000], ["en", "en"]) == [["anger"], []]


def test_sentiment_reads_the_head_not_the_longest_part(lexicon_model):
    positive = "The staff were wonderful, friendly and helpful, I love this service. "
    negative = "Terrible, awful service, I hate it, the worst company ever. "
    text = _repeat(positive, ANALYSIS_CHARS) + _repeat(negative, MB)
    labels, scores = lexicon_model.predict([text, positive], ["en", "en"])
    assert labels == ["positive", "positive"] and scores[0] == pytest.approx(scores[1], abs=0.05)
    frame = analyze([text], sentiment=lexicon_model)
    assert frame.loc[0, "sentiment"] == "positive"


@pytest.mark.parametrize("tail", ["ar", "en"])
def test_language_is_decided_by_the_first_characters(tail):
    head_lang = "de" if tail == "en" else "en"
    heads = {"en": "The bill was wrong again and nobody called me back. ",
             "de": "Die Rechnung war wieder falsch und niemand hat mich zurückgerufen. "}
    text = _repeat(heads[head_lang], LANGUAGE_ID_CHARS) + _repeat(PARAGRAPH[tail], MB)
    assert detect_language([text, _repeat(PARAGRAPH[tail], MB)]) == [head_lang, tail]


def test_head_cuts_at_a_space_and_never_reads_past_the_cap():
    text = _repeat("billing ", 3 * ANALYSIS_CHARS)
    head = text_head(text, ANALYSIS_CHARS)
    assert len(head) <= ANALYSIS_CHARS and head.endswith("billing") and text.startswith(head)
    assert text_head("短" * (ANALYSIS_CHARS + 5), ANALYSIS_CHARS) == "短" * ANALYSIS_CHARS  # no spaces: hard cut
    assert text_head("short", ANALYSIS_CHARS) == "short"


def test_chinese_comment_with_at_signs_and_no_spaces_is_identified():
    # No spaces and an '@' made the e-mail pattern backtrack over the whole run (cubic: 20,000 characters took
    # 4 minutes); the capped, bounded pattern reads each character a bounded number of times.
    text = _repeat("客服态度很好，我的账单错了。联系@客服RT", 200_000)
    assert detect_language([text, "写信给 service@example.com 我的账单错了"]) == ["zh", "zh"]


def test_stored_analysis_reads_the_same_head_as_analyze(tmp_path: Path, lexicon_model):
    store = build_tiny_store(f"duckdb:///{tmp_path / 'text.duckdb'}", tmp_path / "tiny")
    try:
        before = _keyword_at("en", ANALYSIS_CHARS - 200, 3 * ANALYSIS_CHARS)
        after = _keyword_at("en", ANALYSIS_CHARS + 200, 3 * ANALYSIS_CHARS)
        notes = tmp_path / "notes.csv"
        notes.write_text("note_id,customer_id,ts,source,touchpoint_id,text,language\n"
                         f"NOTE1,C4,2024-01-15 10:00:00,interview,,{before},en\n"
                         f"NOTE2,C4,2024-01-16 10:00:00,interview,,{after},\n", encoding="utf-8")
        load(store, notes, "notes")
        analyze_store(store, "note", sentiment=lexicon_model)
        rows = stored_analyses(store, "note").set_index("source_id")
        assert rows.loc["NOTE1", "themes"] == ["network_coverage"] and rows.loc["NOTE2", "themes"] == []
        direct = analyze([before, after], sentiment=lexicon_model, source="call_note")
        assert rows.loc[["NOTE1", "NOTE2"], "sentiment"].tolist() == direct["sentiment"].tolist()
        assert rows.loc[["NOTE1", "NOTE2"], "language"].tolist() == direct["language"].tolist() == ["en", "en"]
    finally:
        store.close()
