"""Themes: a pinned, user-editable list of CX topics with keywords in every language.

Why a lexicon and not clusters alone: clusters move every month and do not cross languages without
a multilingual embedding model, so trend lines and NPS impact would not be comparable. A theme in
`themes.yaml` has one English id and name and keywords per language; an Arabic and an English
billing complaint both hit `billing_errors`. Discovery (`cxlens.text.discovery`) proposes new themes
from the comments no theme covers; the user pins, renames or merges them here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Literal, Sequence

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from cxlens.errors import ConfigError
from cxlens.model.config import parse_config
from cxlens.text.keywords import KeywordMatcher
from cxlens.text.language import ANALYSIS_CHARS, text_head

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Theme(BaseModel):
    """One theme: stable id, readable English name, keywords and examples per language."""

    id: str
    name: str = ""
    polarity: Literal["negative", "neutral", "positive"] = "neutral"
    pinned: bool = True
    keywords: dict[str, list[str]] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list, description="ids of themes merged into this one")
    examples: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_is_snake_case(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"theme id '{value}' must be lower_snake_case (letters, digits, _)")
        return value

    @model_validator(mode="after")
    def _default_name(self) -> "Theme":
        if not self.name:
            self.name = self.id.replace("_", " ").capitalize()
        return self


class ThemeSimilarity(BaseModel):
    """When a comment's embedding is close enough to a theme's examples (cxlens.text.theme_similarity):
    cosine to the closest example >= `cosine` and within `margin` of the comment's closest theme (0: only
    the closest theme), or, where
    the theme has no keywords in the comment's language, z-score of that cosine among the comment's
    cosines to all themes >= `z`. Chosen on one demo seed's planted themes and measured on another
    (docs/text.md, "Themes across languages")."""

    cosine: float = 0.46
    margin: float = 0.0
    z: float = 1.3


class ThemeSet(BaseModel):
    """The themes of a workspace, as in its `themes.yaml` (or the shipped default)."""

    version: int = 1
    themes: list[Theme]
    similarity: ThemeSimilarity = Field(default_factory=ThemeSimilarity)

    @model_validator(mode="after")
    def _unique_ids(self) -> "ThemeSet":
        seen: dict[str, str] = {}
        for theme in self.themes:
            for name in (theme.id, *theme.aliases):
                if name in seen:
                    raise ValueError(f"theme id '{name}' is used twice (in '{seen[name]}' and '{theme.id}')")
                seen[name] = theme.id
        return self

    @classmethod
    def load(cls, path: str | Path | None = None) -> "ThemeSet":
        """Read and validate a themes.yaml; None gives the shipped default themes."""
        if path is None:
            text, where = resources.files("cxlens.text").joinpath("resources/themes.yaml").read_text("utf-8"), "default themes.yaml"
        else:
            path = Path(path)
            if not path.is_file():
                raise ConfigError(f"{path}: no such themes file; run `cxlens text themes --init` to write the default")
            text, where = path.read_text("utf-8"), str(path)
        return parse_config(text, cls, where)

    def save(self, path: str | Path) -> Path:
        """Write the themes as YAML (keywords and examples kept in their original scripts)."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.model_dump(exclude_defaults=False), allow_unicode=True, sort_keys=False), "utf-8")
        return path

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def get(self, theme_id: str) -> Theme:
        """The theme with this id or alias."""
        for theme in self.themes:
            if theme_id == theme.id or theme_id in theme.aliases:
                return theme
        raise ConfigError(f"unknown theme '{theme_id}'; known: {', '.join(self.ids)}")

    def rename(self, theme_id: str, name: str) -> "ThemeSet":
        """Copy with the theme's readable name changed (its id, hence its history, stays)."""
        themes = [t.model_copy(update={"name": name}) if t.id == self.get(theme_id).id else t for t in self.themes]
        return ThemeSet(version=self.version, themes=themes, similarity=self.similarity)

    def merge(self, ids: Sequence[str], into: str) -> "ThemeSet":
        """Copy where the themes `ids` are folded into `into`: keywords united, ids kept as aliases."""
        target = self.get(into)
        absorbed = [self.get(i) for i in ids if self.get(i).id != target.id]
        keywords = {lang: list(words) for lang, words in target.keywords.items()}
        examples = {lang: list(words) for lang, words in target.examples.items()}
        aliases = list(target.aliases)
        for theme in absorbed:
            aliases += [theme.id, *theme.aliases]
            for lang, words in theme.keywords.items():
                keywords.setdefault(lang, []).extend(w for w in words if w not in keywords.get(lang, []))
            for lang, words in theme.examples.items():
                examples.setdefault(lang, []).extend(words)
        merged = target.model_copy(update={"keywords": keywords, "aliases": aliases, "examples": examples})
        gone = {t.id for t in absorbed}
        themes = [merged if t.id == target.id else t for t in self.themes if t.id not in gone]
        return ThemeSet(version=self.version, themes=themes, similarity=self.similarity)

    def add(self, theme: Theme) -> "ThemeSet":
        """Copy with one more theme (e.g. a discovered one the user pins)."""
        return ThemeSet(version=self.version, themes=[*self.themes, theme], similarity=self.similarity)

    def matcher(self) -> KeywordMatcher:
        return _matcher(self.model_dump_json())


@functools.lru_cache(maxsize=8)
def _matcher(serialised: str) -> KeywordMatcher:
    """Compiled keywords, cached per theme set content (assignments run in batches)."""
    themes = ThemeSet.model_validate_json(serialised)
    return KeywordMatcher({t.id: t.keywords for t in themes.themes if t.pinned})


def assign_themes(texts: Sequence[str | None], languages: Sequence[str], themes: ThemeSet | None = None) -> list[list[str]]:
    """Theme ids per text from the pinned themes' keywords in the text's language.

    Texts in a language the themes have no keywords for are matched with the English keywords. So are texts
    that mix Latin letters into another script (code-switching into English is common in CX comments: "the app"
    in an Arabic sentence), and, for the themes without keywords in the text's language, any text (English
    loanwords: "Roaming" in German). A text all in Latin letters is not matched with the English keywords of a
    theme that has its own: German shares the alphabet, and they read German words as false friends ("fast" is
    "almost", "kind" a child). Only the first ANALYSIS_CHARS characters of a text are read (`text_head`,
    docs/text.md), as for sentiment.
    """
    themes = themes or ThemeSet.load()
    matcher = themes.matcher()
    known = matcher.languages()
    own: dict[str, set[str]] = {}  # language -> the themes with keywords of their own in it
    out = []
    for text, lang in zip(texts, languages):
        if not text:
            out.append([])
            continue
        text = text_head(text, ANALYSIS_CHARS)
        hits = matcher.match(text, lang if lang in known else "en")
        if lang not in ("en",) and lang in known:
            extra = [h for h in matcher.match(text, "en") if h not in hits]
            if extra:
                if lang not in own:
                    own[lang] = {t.id for t in themes.themes if t.keywords.get(lang)}
                mixed = _mixes_latin(text)
                hits += [h for h in extra if mixed or h not in own[lang]]
        out.append(hits)
    return out


def _mixes_latin(text: str) -> bool:
    """Latin letters a-z beside letters of another script (Arabic, Cyrillic, Chinese)."""
    latin = other = False
    for ch in text:
        if "a" <= ch.lower() <= "z":
            latin = True
        elif ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            other = True
        if latin and other:
            return True
    return False
