"""The shipped word lists: a sentiment fallback and a coarse emotion signal in five languages.

The lists were written for cxlens (so they ship under its licence). They are a fallback, not the
main sentiment model: they miss irony, most negation and domain words. Emotions (anger,
frustration, joy, trust) come only from here, because no labelled emotion corpus in all five
languages is available to us; treat them as "the comment uses anger words", not as a measurement.
"""

from __future__ import annotations

import functools
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


def detect_emotions(texts: Sequence[str], languages: Sequence[str]) -> list[list[str]]:
    """Emotions whose words occur in the first ANALYSIS_CHARS characters of each text, from the shipped
    lexicon (often empty)."""
    matcher = _emotion_matcher()
    return [matcher.match(text_head(text or "", ANALYSIS_CHARS), lang) for text, lang in zip(texts, languages)]
