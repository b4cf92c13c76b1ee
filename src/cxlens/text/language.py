"""Language identification for short, messy customer comments.

Why two stages: the script alone settles most of our languages (Arabic, Chinese, Russian) with no
statistics at all, and it is exact on two-word comments where n-gram models guess. Only Latin-script
text needs a model, and there lingua (which ships its models, so it works offline) decides among
English, German and a few look-alikes (French, Spanish, Italian, Dutch, Portuguese) so a German
comment is not forced into English. Mixed-script comments ("My 账单 is wrong") go to the script with
most letters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable, Sequence

SUPPORTED = ("en", "ar", "zh", "ru", "de")
UNDETERMINED = "und"

# Latin-script languages lingua chooses among: ours plus the usual confusions for short texts.
_LATIN_CODES = ("en", "de", "fr", "es", "it", "nl", "pt")
# Letters that exist in Persian/Urdu but not in Arabic, and in Ukrainian but not in Russian.
_PERSIAN_ONLY = set("پچژگکی")
_ARABIC_ONLY = set("ةىي")
_UKRAINIAN_ONLY = set("іїєґІЇЄҐ")
_SHORT_LATIN = 12  # below this many letters lingua is a coin toss; prefer a supported language

# How much of one comment the text analysis reads (docs/text.md, "How much of a comment is read"). Almost
# every comment is far shorter: in the five sentiment corpora (77,535 rows) 0.2% are over 2,000 characters
# and 0.04% over 5,000, and on those corpora the caps change no language code and no test-row accuracy.
# Without them one pasted log or e-mail thread of 1 MB cost seconds to minutes, so a batch waited on it.
LANGUAGE_ID_CHARS = 2_000  # language identification: the first 2,000 characters decide
ANALYSIS_CHARS = 5_000     # sentiment, themes and emotions: the first 5,000 characters


def text_head(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, cut at the last space of the final 100 when there is one.

    Cutting at a space keeps a truncated word ("billion" cut to "bill") from matching a keyword; text
    without spaces (Chinese, a URL) is cut hard. Call it to read a comment the way the pipeline does.
    """
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ", limit - 100)
    return head[:space].rstrip() if space > 0 else head


def _script(ch: str) -> str | None:
    """Script family of one letter, from its Unicode name (fast enough and dependency-free)."""
    code = ord(ch)
    if code < 0x250:
        return "latin" if ch.isalpha() else None
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
        return "hangul"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0590 <= code <= 0x05FF:
        return "hebrew"
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if 0x0370 <= code <= 0x03FF:
        return "greek"
    if ch.isalpha():
        name = unicodedata.name(ch, "")
        return "latin" if name.startswith("LATIN") else "other"
    return None


# A Han, kana or Hangul character carries about a word; weigh it like three Latin letters.
_WEIGHT = {"han": 3, "kana": 3, "hangul": 2}


# Per-script character classes with the same ranges as `_script`, so counting runs in C (re) rather
# than one Python call per character; only letters outside these ranges go through `_script`.
_SCRIPT_RES = (
    ("latin", 1, re.compile("[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")),
    ("arabic", 1, re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]")),
    ("cyrillic", 1, re.compile("[\u0400-\u052f]")),
    ("kana", 3, re.compile("[\u3040-\u30ff]")),
    ("hangul", 2, re.compile("[\uac00-\ud7af\u1100-\u11ff]")),
    ("han", 3, re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")),
    ("hebrew", 1, re.compile("[\u0590-\u05ff]")),
    ("thai", 1, re.compile("[\u0e00-\u0e7f]")),
    ("greek", 1, re.compile("[\u0370-\u03ff]")),
)
_OTHER_WORD = re.compile("[^\\W\u0000-\u024f\u0370-\u052f\u0590-\u06ff\u0750-\u077f\u0e00-\u0e7f"
                         "\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                         "\ufb50-\ufeff]")
_ASCII_LETTERS = re.compile("[A-Za-z]")
_NON_LATIN_WORD = re.compile("[^\\W\u0000-\u024f]")


def script_counts(text: str) -> dict[str, int]:
    """Weighted letters per script family in `text`; digits, punctuation and emoji do not count."""
    if text.isascii():  # most Latin-script comments: no need to look at other scripts
        n = len(_ASCII_LETTERS.findall(text))
        return {"latin": n} if n else {}
    counts: dict[str, int] = {}
    first: dict[str, int] = {}  # keys in order of first appearance, so ties go to the earlier script
    for name, weight, pattern in _SCRIPT_RES:
        m = pattern.search(text)
        if m:
            counts[name] = len(pattern.findall(text, m.start())) * weight
            first[name] = m.start()
    for m in _OTHER_WORD.finditer(text):  # letters of rarer scripts (and Latin Extended Additional)
        s = _script(m.group())
        if s:
            counts[s] = counts.get(s, 0) + _WEIGHT.get(s, 1)
            first.setdefault(s, m.start())
    return dict(sorted(counts.items(), key=lambda kv: first[kv[0]])) if len(counts) > 1 else counts


def _latin_only(text: str) -> str:
    """`text` with letters of other scripts blanked out (lingua sees only the Latin words)."""
    if text.isascii():
        return text
    return _NON_LATIN_WORD.sub(lambda m: m.group() if not m.group().isalpha() or _script(m.group()) == "latin" else " ",
                               text)


@functools.lru_cache(maxsize=1)
def _latin_detector():
    """Built once: loading lingua's models takes about a second and some memory."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in _LATIN_CODES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()


# Web addresses, e-mail addresses, @handles and retweet marks are written in Latin letters whatever the
# comment's language: in a Russian tweet they outweighed the Cyrillic words (1 in 25 misread as de/en).
# The e-mail part is bounded (RFC 5321: local part <= 64, domain <= 255 characters): the unbounded
# `\S+@\S+\.\w+` backtracked over every run without spaces, cubic in its length (a 20,000-character
# Chinese comment with '@' in it took 4 minutes).
_NOT_LANGUAGE = re.compile(r"(?:https?://|www\.)\S+|[^\s@]{1,64}@[^\s@]{1,255}\.\w+|@\w+|\bRT\b")


def _decide(text: str) -> tuple[str, str | None]:
    """Return (code, latin_text): code is final unless it is '?' and latin_text needs lingua."""
    if "@" in text or "://" in text or "www." in text or "RT" in text:
        text = _NOT_LANGUAGE.sub(" ", text)
    counts = script_counts(text)
    if not counts:
        return UNDETERMINED, None
    script = max(counts, key=counts.get)
    if script == "arabic":
        letters = set(text)
        return ("fa" if (letters & _PERSIAN_ONLY) and not (letters & _ARABIC_ONLY) else "ar"), None
    if script == "han":
        return ("ja" if counts.get("kana", 0) >= 6 else "zh"), None
    if script == "kana":
        return "ja", None
    if script == "hangul":
        return "ko", None
    if script == "cyrillic":
        return ("uk" if set(text) & _UKRAINIAN_ONLY else "ru"), None
    if script == "latin":
        return "?", _latin_only(text)
    return {"hebrew": "he", "thai": "th", "greek": "el"}.get(script, UNDETERMINED), None


def detect_language(texts: Iterable[str | None]) -> list[str]:
    """BCP-47 code per text: en/ar/zh/ru/de, another code when clearly another language, else 'und'.

    Empty or letter-free texts (emoji, numbers) are 'und'. Very short Latin texts ("ok", "super")
    lean to English or German unless lingua is confident of another language, because a CX
    comment is far more likely to be in a language the company serves. Only the first
    LANGUAGE_ID_CHARS characters of a text are read (`text_head`).
    """
    texts = ["" if t is None else text_head(str(t), LANGUAGE_ID_CHARS) for t in texts]
    out: list[str] = []
    pending: list[tuple[int, str]] = []
    for i, text in enumerate(texts):
        code, latin = _decide(text)
        out.append(code)
        if code == "?":
            pending.append((i, latin or ""))
    if pending:
        detector = _latin_detector()
        confidences = detector.compute_language_confidence_values_in_parallel([t for _, t in pending])
        for (i, latin), values in zip(pending, confidences):
            out[i] = _pick_latin(values, sum(ch.isalpha() for ch in latin))
    return out


def _pick_latin(values: Sequence, n_letters: int) -> str:
    """Choose among lingua's confidence values, preferring en/de on short or uncertain texts."""
    if not values:
        return UNDETERMINED
    ranked = [(v.language.iso_code_639_1.name.lower(), v.value) for v in values]
    best, best_conf = ranked[0]
    if best in SUPPORTED:
        return best
    supported = [(c, v) for c, v in ranked if c in SUPPORTED]
    if supported and (n_letters < _SHORT_LATIN or best_conf < 0.6):
        return supported[0][0]
    return best
