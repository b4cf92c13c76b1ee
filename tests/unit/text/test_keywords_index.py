"""The keyword matcher's token index finds what walking the tokens once per keyword finds, hit for hit.

The brute force below is the rule the index replaced (architecture D59): every listed keyword counted over every
run of tokens, a phrase's words consecutive, only its last word possibly a prefix. `match` must name the labels
the per-label regexes name (the regexes stay for `spans`, which needs positions).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cxlens.text.keywords import KeywordMatcher, normalize, tokens
from cxlens.text.lexicon import _lexicon
from cxlens.text.themes import ThemeSet


def brute_count(matcher: KeywordMatcher, text: str, language: str) -> dict[str, int]:
    toks = tokens(normalize(text, language))
    hits: dict[str, int] = {}
    for label, words, prefix in matcher._compiled.get(language, []):
        k = len(words)
        for i in range(len(toks) - k + 1):
            if any(toks[i + j] != words[j] for j in range(k - 1)):
                continue
            tok = toks[i + k - 1]
            if tok == words[-1] or (prefix and tok.startswith(words[-1])):
                hits[label] = hits.get(label, 0) + 1
    return hits


def regex_match(matcher: KeywordMatcher, text: str, language: str) -> list[str]:
    norm = normalize(text, language)
    return [label for label, pattern in matcher._patterns.get(language, []) if pattern.search(norm)]


LEXICON = {"a": {"en": ["bill", "bill*", "late fee*", "very bad", "bad"], "de": ["rechnung*", "zu teuer"]},
           "b": {"en": ["bad", "not bad at all", "fee"], "de": ["teuer", "zu"]},
           "c": {"en": ["billing error*"]}}
WORDS = ["bill", "bills", "billing", "error", "errors", "late", "fee", "fees", "very", "bad", "not", "at", "all",
         "rechnung", "rechnungen", "zu", "teuer", "Bill", "BAD", "x"]
SEPARATORS = [" ", ", ", "! ", " - ", "'", "  ", "…"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=14),
       st.sampled_from(["en", "de"]))
def test_counts_and_labels_equal_the_brute_force_on_planted_phrases(parts, language):
    matcher = KeywordMatcher(LEXICON)
    text = "".join(w + sep for w, sep in parts)
    assert matcher.count(text, language) == brute_count(matcher, text, language)
    assert matcher.match(text, language) == regex_match(matcher, text, language)


def test_repeated_and_overlapping_keywords_are_each_counted():
    matcher = KeywordMatcher(LEXICON)
    text = "Very bad, very bad: billing errors and a late fees bill"
    # a: "bill" once, "bill*" twice (bill, billing), "late fee*" once, "very bad" twice, "bad" twice; b: "bad" twice;
    # c: "billing error*" once
    assert matcher.count(text, "en") == {"a": 8, "b": 2, "c": 1}
    assert matcher.match(text, "en") == ["a", "b", "c"]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_shipped_lexicons_agree_with_the_brute_force(data):
    lexicons = [_lexicon()["sentiment"], _lexicon()["emotion"],
                {t.id: t.keywords for t in ThemeSet.load().themes if t.pinned}]
    matcher = KeywordMatcher(data.draw(st.sampled_from(lexicons)))
    language = data.draw(st.sampled_from(sorted(matcher._indexes)))
    vocabulary = sorted({w for _, words, _ in matcher._compiled[language] for w in words})
    words = data.draw(st.lists(st.sampled_from(vocabulary) | st.text(min_size=1, max_size=6), max_size=20))
    text = " ".join(w + data.draw(st.sampled_from(["", "s", "en", "ing"])) for w in words)
    assert matcher.count(text, language) == brute_count(matcher, text, language)
    assert matcher.match(text, language) == regex_match(matcher, text, language)
