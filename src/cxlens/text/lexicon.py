"""The shipped word lists: a sentiment fallback and a coarse emotion signal in five languages.

The lists were written for cxlens (so they ship under its licence). They are a fallback, not the
main sentiment model: they miss irony, most negation and domain words. Emotions (anger,
frustration, joy, trust) come only from here, because no labelled emotion corpus in all five
languages is available to us; treat them as "the comment uses anger words", not as a measurement.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Sequence

import yaml

from cxlens.text.keywords import KeywordMatcher, normalize, tokens
from cxlens.text.language import ANALYSIS_CHARS, text_head

EMOTIONS = ("anger", "frustration", "joy", "trust")


@functools.lru_cache(maxsize=1)
def _lexicon() -> dict:
    return yaml.safe_load(resources.files("cxlens.text").joinpath("resources/lexicon.yaml").read_text("utf-8"))


@functools.lru_cache(maxsize=1)
def _sentiment_matcher() -> KeywordMatcher:
    return KeywordMatcher(_lexicon()["sentiment"])


@functools.lru_cache(maxsize=1)
def _emotion_matcher() -> KeywordMatcher:
    return KeywordMatcher(_lexicon()["emotion"])


@functools.lru_cache(maxsize=1)
def _negators() -> dict[str, set[str]]:
    return {lang: {normalize(w, lang) for w in words} for lang, words in _lexicon()["negation"].items()}


def lexicon_scores(texts: Sequence[str], languages: Sequence[str]) -> list[float]:
    """Score in [-1, 1] per text from positive minus negative word hits.

    A negator anywhere in a short comment (under 8 tokens) flips the sign, which catches
    "not good" / "nicht gut" / "不好" at the cost of some double negations. Reads the first
    ANALYSIS_CHARS characters of each text, as the sentiment models do.
    """
    matcher = _sentiment_matcher()
    negators = _negators()
    out = []
    for text, lang in zip(texts, languages):
        text = text_head(text or "", ANALYSIS_CHARS)
        hits = matcher.count(text, lang)
        pos, neg = hits.get("positive", 0), hits.get("negative", 0)
        score = (pos - neg) / (pos + neg + 1.0)
        norm = normalize(text, lang)
        toks = tokens(norm) if lang not in ("zh", "ja") else list(norm)
        if len(toks) < 8 and negators.get(lang, set()) & set(toks):
            score = -score
        out.append(float(score))
    return out


# Negation of an emotion word: a negator within NEGATION_WINDOW tokens before it (Chinese: characters),
# inside the same clause. A negated joy or trust word ("not happy", "nicht zufrieden", "не доволен",
# "غير راض", "不满意", "can't trust") becomes frustration; a negated anger or frustration word ("not angry",
# "nicht sauer") is dropped. German also negates after the word ("ich freue mich nicht"): two tokens after.
NEGATION_WINDOW = {"zh": 3, "ja": 3}
DEFAULT_NEGATION_WINDOW = 3
AFTER_WINDOW = {"de": 2}
FLIPPED = {"joy": "frustration", "trust": "frustration", "anger": None, "frustration": None}
_CLAUSE = re.compile(r"[.,;:!?()\u060c\u061b\u061f\u3002\uff0c\uff1b\uff01\uff1f\u3001\n]+"
                     r"|\b(?:but|however|aber|jedoch|но|однако|а|لكن|بس)\b|但是|但|可是|不过")


def _negated(before: str, after: str, lang: str, negators: set[str]) -> bool:
    """Whether a negator stands in the window before (or, in German, just after) an emotion word."""
    if lang in ("zh", "ja"):
        window = before[-NEGATION_WINDOW.get(lang, 3):]
        return any(n in window for n in negators)
    toks = tokens(before)[-NEGATION_WINDOW.get(lang, DEFAULT_NEGATION_WINDOW):]
    toks += tokens(after)[:AFTER_WINDOW.get(lang, 0)]
    return any(t in negators or (lang == "en" and t.endswith(("n't", "n’t"))) for t in toks)


def detect_emotions(texts: Sequence[str], languages: Sequence[str]) -> list[list[str]]:
    """Emotions (in EMOTIONS order) whose words occur in the first ANALYSIS_CHARS characters of each text,
    from the shipped lexicon (often empty), with negation: a negated joy or trust word counts as
    frustration, a negated anger or frustration word not at all (NEGATION_WINDOW, FLIPPED)."""
    matcher = _emotion_matcher()
    negators = _negators()
    out = []
    for text, lang in zip(texts, languages):
        norm, hits = matcher.spans(text_head(text or "", ANALYSIS_CHARS), lang)
        found = set()
        for label, start, end in hits:
            clause_start = max((m.end() for m in _CLAUSE.finditer(norm, 0, start)), default=0)
            nxt = _CLAUSE.search(norm, end)
            before, after = norm[clause_start:start], norm[end:nxt.start() if nxt else len(norm)]
            if _negated(before, after, lang, negators.get(lang, set())):
                if FLIPPED[label]:
                    found.add(FLIPPED[label])
            else:
                found.add(label)
        out.append([e for e in EMOTIONS if e in found])
    return out
