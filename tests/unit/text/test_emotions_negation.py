"""Emotions with negation in the five languages: hand-written cases (a negated joy or trust word is
frustration, a negated anger or frustration word is dropped; two cues in one comment give both)."""

from __future__ import annotations

import pytest

from cxlens.text.lexicon import detect_emotions

CASES = {
    "en": [("I am happy with the new plan", ["joy"]),
           ("I am not happy with the new plan", ["frustration"]),
           ("I don't trust this company any more", ["frustration"]),
           ("I was not angry, the fix was quick", []),
           ("Not happy with the bill, but the staff were great", ["frustration", "joy"]),
           ("Furious about the bill and never happy with the app", ["anger", "frustration"])],
    "de": [("Ich bin sehr zufrieden", ["joy"]),
           ("Ich bin mit dem Service nicht zufrieden", ["frustration"]),
           ("Ich freue mich nicht über die Rechnung", ["frustration"]),
           ("Ich bin nicht sauer, nur müde", []),
           ("Nicht zufrieden mit dem Netz, aber das Personal war super", ["frustration", "joy"])],
    "ru": [("Я очень доволен поддержкой", ["joy"]),
           ("Я не доволен поддержкой", ["frustration"]),
           ("Я не доверяю этому оператору", ["frustration"]),
           ("Не злюсь, просто спрашиваю", []),
           ("Не рад новому тарифу, но сотрудник был замечательный", ["frustration", "joy"])],
    "ar": [("أنا سعيد جدا بالخدمة", ["joy"]),
           ("أنا غير راض عن الخدمة", ["frustration"]),
           ("لست سعيدا بالفاتورة", ["frustration"]),
           ("لست غاضب من الموظف", []),
           ("غير راض عن الشبكة لكن الموظف رائع", ["frustration", "joy"])],
    "zh": [("我很满意", ["joy"]),
           ("我不满意这次的服务", ["frustration"]),
           ("一点都不开心", ["frustration"]),
           ("我没生气，只是问问", []),
           ("网络不满意，但是客服很棒", ["frustration", "joy"])],
}


@pytest.mark.parametrize("lang,text,expected", [(lang, t, e) for lang, cases in CASES.items() for t, e in cases])
def test_negation_flips_or_cancels_emotion_words(lang, text, expected):
    assert detect_emotions([text], [lang]) == [expected]


def test_negation_does_not_reach_across_a_clause():
    # The negator belongs to the first clause; the joy word after the comma is not negated.
    assert detect_emotions(["It did not work, but I am happy now"], ["en"]) == [["joy"]]
    assert detect_emotions(["没有信号。客服很开心地帮我"], ["zh"]) == [["joy"]]


def test_negator_far_before_the_word_does_not_negate_it():
    assert detect_emotions(["I never expected the staff to be so helpful and I am really very happy"], ["en"]) == [["joy"]]
