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


def script_counts(text: str) -> dict[str, int]:
    """Weighted letters per script family in `text`; digits, punctuation and emoji do not count."""
    counts: dict[str, int] = {}
    for ch in text:
        s = _script(ch)
        if s:
            counts[s] = counts.get(s, 0) + _WEIGHT.get(s, 1)
    return counts


@functools.lru_cache(maxsize=1)
def _latin_detector():
    """Built once: loading lingua's models takes about a second and some memory."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in _LATIN_CODES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()


def _decide(text: str) -> tuple[str, str | None]:
    """Return (code, latin_text): code is final unless it is '?' and latin_text needs lingua."""
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
        latin = "".join(ch if (_script(ch) == "latin" or not ch.isalpha()) else " " for ch in text)
        return "?", latin
    return {"hebrew": "he", "thai": "th", "greek": "el"}.get(script, UNDETERMINED), None


def detect_language(texts: Iterable[str | None]) -> list[str]:
    """BCP-47 code per text: en/ar/zh/ru/de, another code when clearly another language, else 'und'.

    Empty or letter-free texts (emoji, numbers) are 'und'. Very short Latin texts ("ok", "super")
    lean to English or German unless lingua is confident of another language, because a CX
    comment is far more likely to be in a language the company serves.
    """
    texts = ["" if t is None else str(t) for t in texts]
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
