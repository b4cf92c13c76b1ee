"""Natural-sounding multilingual comments, composed from per-language phrase banks
(data files read by `cxlens.demo.phrases`).

A comment is [opener] + one sentence per theme (with a connector that respects whether the
tone flips) + [closer]. Each theme sentence is a template with slots, so every theme has hundreds
of distinct sentences per language; text analytics cannot succeed by memorising a few strings.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from cxlens.demo.params import NEGATIVE_THEMES
from cxlens.demo.phrases import PhraseBank, load_banks

BANKS: dict[str, PhraseBank] = load_banks()
_SLOT = re.compile(r"\{(\w+)\}")


def polarity(theme: str) -> str:
    """'neg' for the problem themes, 'pos' for the praise themes."""
    return "neg" if theme in NEGATIVE_THEMES else "pos"


def theme_sentence(r: random.Random, lang: str, theme: str) -> str:
    """One sentence about the theme: a random template with its slots filled."""
    bank = BANKS[lang].themes[theme]
    template = r.choice(bank["templates"])
    return _SLOT.sub(lambda m: r.choice(bank[m.group(1)]), template)


def compose(r: random.Random, lang: str, themes: Sequence[str]) -> str:
    """A comment in `lang` mentioning the given 1-2 themes, in that order."""
    bank = BANKS[lang]
    parts: list[str] = []
    tone = polarity(themes[0])
    if r.random() < 0.3:
        parts.append(r.choice(bank.openers[tone]))
    parts.append(theme_sentence(r, lang, themes[0]))
    for theme in themes[1:]:
        new_tone = polarity(theme)
        if new_tone != tone:
            parts.append(r.choice(bank.contrast[f"{tone}_to_{new_tone}"]))
        elif r.random() < 0.5:
            parts.append(r.choice(bank.contrast["same"]))
        parts.append(theme_sentence(r, lang, theme))
        tone = new_tone
    if r.random() < 0.35:
        parts.append(r.choice(bank.closers[tone]))
    return bank.sep.join(parts)


def ticket_description(r: random.Random, lang: str, category: str) -> str:
    """Short free-text description of a ticket, as an agent would log it in the customer's language."""
    return r.choice(BANKS[lang].tickets[category])


def distinct_sentences(lang: str, theme: str) -> int:
    """How many different theme sentences the bank can produce (documentation and tests)."""
    bank = BANKS[lang].themes[theme]
    total = 0
    for template in bank["templates"]:
        n = 1
        for slot in _SLOT.findall(template):
            n *= len(bank[slot])
        total += n
    return total
