"""Keyword lists that match the way each language inflects words.

One small matcher serves the theme lexicon, the sentiment fallback and the emotion lexicon, so a
keyword means the same thing everywhere: `word` is a whole word or phrase, `word*` a prefix. Arabic
and Chinese keywords match inside the text, because Arabic glues articles and pronouns onto words
(و+ال+فاتورة) and Chinese writes no spaces. Text and keywords go through the same normalisation
(lower case, Arabic letter variants folded, diacritics dropped), so users can type keywords plainly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

_AR_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alef, tatweel
_AR_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)
_SUBSTRING_LANGS = {"ar", "zh", "ja", "fa"}


def normalize(text: str, language: str | None = None) -> str:
    """Lower-case, NFKC, `ё`→`е`, Arabic letter variants folded and diacritics removed."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("ё", "е")
    if language in (None, "ar", "fa") and any("\u0600" <= ch <= "\u06ff" for ch in text):
        text = _AR_DIACRITICS.sub("", text).translate(_AR_FOLD)
    return text


def tokens(text: str) -> list[str]:
    """Word tokens of an already normalised text (apostrophes and hyphens stay inside words)."""
    return _TOKEN.findall(text)


@dataclass
class KeywordMatcher:
    """Finds which labels' keywords occur in a text, per language.

    Built once from {label: {language: [keywords]}}; `match` returns the labels hit and
    `count` the number of hits per label (for lexicon scores).
    """

    lexicon: Mapping[str, Mapping[str, Sequence[str]]]
    _compiled: dict[str, list[tuple[str, tuple[str, ...], bool]]] = field(default_factory=dict, init=False, repr=False)
    _patterns: dict[str, list[tuple[str, re.Pattern]]] = field(default_factory=dict, init=False, repr=False)
    _indexes: dict[str, "_TokenIndex"] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for label, per_language in self.lexicon.items():
            for language, words in (per_language or {}).items():
                bucket = self._compiled.setdefault(language, [])
                for word in words or ():
                    word = str(word).strip()
                    if not word:
                        continue
                    prefix = word.endswith("*")
                    norm = normalize(word.rstrip("*"), language)
                    if language in _SUBSTRING_LANGS:
                        bucket.append((label, (norm,), False))
                    else:
                        bucket.append((label, tuple(tokens(norm)) or (norm,), prefix))
        for language, entries in self._compiled.items():
            self._patterns[language] = _label_patterns(entries, language in _SUBSTRING_LANGS)
            if language not in _SUBSTRING_LANGS:
                self._indexes[language] = _TokenIndex.of(entries)

    def count(self, text: str, language: str) -> dict[str, int]:
        """Hits per label in `text` for `language` ({} when the language has no keywords)."""
        entries = self._compiled.get(language)
        if not entries or not text:
            return {}
        norm = normalize(text, language)
        hits: dict[str, int] = {}
        if language in _SUBSTRING_LANGS:
            for label, (needle,), _ in entries:
                n = norm.count(needle)
                if n:
                    hits[label] = hits.get(label, 0) + n
            return hits
        return self._indexes[language].count(tokens(norm))

    def match(self, text: str, language: str) -> list[str]:
        """Labels with at least one keyword in `text`, in lexicon order (the labels `count` finds)."""
        patterns = self._patterns.get(language)
        if not patterns or not text:
            return []
        norm = normalize(text, language)
        index = self._indexes.get(language)
        if index is not None:
            found = index.count(tokens(norm))
            return [label for label, _ in patterns if label in found]
        return [label for label, pattern in patterns if pattern.search(norm)]

    def spans(self, text: str, language: str) -> tuple[str, list[tuple[str, int, int]]]:
        """(normalised text, (label, start, end) of every keyword occurrence in it), for callers that
        look around a hit (emotions check for a negator just before it)."""
        patterns = self._patterns.get(language)
        norm = normalize(text, language) if text else ""
        if not patterns or not norm:
            return norm, []
        return norm, sorted(((label, m.start(), m.end()) for label, pattern in patterns for m in pattern.finditer(norm)),
                           key=lambda hit: hit[1])

    def languages(self) -> set[str]:
        return set(self._compiled)


_EDGE = "'’\\w-"  # characters a token is made of (as in _TOKEN)


def _label_patterns(entries: Sequence[tuple[str, tuple[str, ...], bool]], substring: bool) -> list[tuple[str, re.Pattern]]:
    """One regex per label (in lexicon order) matching any of its keywords as `count` does.

    Used where the positions of hits matter (`spans`) and for `match` in substring languages; words must be
    whole tokens, phrase words consecutive tokens, a prefix keyword's last word a token's start; substring
    languages match anywhere. Word languages' `match` uses the token index (faster, the same labels).
    """
    alternatives: dict[str, list[str]] = {}
    for label, words, prefix in entries:
        if substring:
            alternatives.setdefault(label, []).append(re.escape(words[0]))
            continue
        body = f"[^{_EDGE}]+".join(re.escape(w) for w in words)
        tail = f"[{_EDGE}]*" if prefix else ""
        alternatives.setdefault(label, []).append(f"(?<![{_EDGE}]){body}{tail}(?![{_EDGE}])")
    return [(label, re.compile("|".join(alts))) for label, alts in alternatives.items()]


@dataclass(frozen=True)
class _TokenIndex:
    """A word language's keywords looked up token by token: the same hits as walking the tokens once per keyword
    (`brute_count` in tests/unit/text/test_keywords_index.py), in one pass over the tokens. Per keyword, each run of tokens it matches counts
    once; a phrase's words are consecutive tokens and only its last word may be a prefix.

    Measured (architecture D59): theme matching and the word-list score were 1.4 of the 6 s `analyze` took for 2,000
    mixed comments, one regex search per theme or one token walk per keyword."""

    exact: dict[str, list[tuple[str, tuple[str, ...], bool]]]  # first word -> (label, words, prefix) starting with it
    prefixes: dict[str, list[str]]  # a one-word prefix keyword -> its labels, once per listing
    lengths: tuple[int, ...]  # the prefixes' lengths, shortest first

    @classmethod
    def of(cls, entries: Sequence[tuple[str, tuple[str, ...], bool]]) -> "_TokenIndex":
        exact: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
        prefixes: dict[str, list[str]] = {}
        for label, words, prefix in entries:
            if prefix and len(words) == 1:
                prefixes.setdefault(words[0], []).append(label)
            else:
                exact.setdefault(words[0], []).append((label, words, prefix))
        return cls(exact, prefixes, tuple(sorted({len(p) for p in prefixes})))

    def count(self, toks: Sequence[str]) -> dict[str, int]:
        """Hits per label among the tokens `toks` of a normalised text."""
        hits: dict[str, int] = {}
        n = len(toks)
        for i, tok in enumerate(toks):
            for label, words, prefix in self.exact.get(tok, ()):
                k = len(words)
                if k > 1 and not (i + k <= n and all(toks[i + j] == words[j] for j in range(1, k - 1))
                                  and (toks[i + k - 1] == words[-1] or (prefix and toks[i + k - 1].startswith(words[-1])))):
                    continue
                hits[label] = hits.get(label, 0) + 1
            for size in self.lengths:
                if size > len(tok):
                    break
                for label in self.prefixes.get(tok[:size], ()):
                    hits[label] = hits.get(label, 0) + 1
        return hits


def merge_lexicons(*lexicons: Mapping[str, Mapping[str, Iterable[str]]]) -> dict[str, dict[str, list[str]]]:
    """Union of several {label: {language: words}} mappings (later ones add words)."""
    out: dict[str, dict[str, list[str]]] = {}
    for lex in lexicons:
        for label, per_language in lex.items():
            for language, words in (per_language or {}).items():
                out.setdefault(label, {}).setdefault(language, []).extend(words or ())
    return out
