"""The demo's per-language phrase banks: data files under `resources/phrases/<language>.yaml`.

Each bank holds, per theme, sentence templates whose `{slot}`s are filled from lists of the same name,
plus openers, closers and connectors by tone, and short ticket descriptions per ticket category.
Editing a bank is editing data, not code; any change changes the generated demo (a seed fixes every byte).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

LANGUAGE_ORDER = ("en", "ar", "zh", "ru", "de")  # the order truth.json lists the banks in


@dataclass(frozen=True)
class PhraseBank:
    """One language's phrases, as read from its YAML file."""

    language: str
    sep: str                                  # joins the parts of a comment ("" for Chinese)
    themes: dict[str, dict[str, list[str]]]   # theme -> {"templates": [...], slot: [...]}
    openers: dict[str, list[str]]             # tone ("neg"/"pos") -> openers
    closers: dict[str, list[str]]             # tone -> closers
    contrast: dict[str, list[str]]            # "neg_to_pos", "pos_to_neg", "same" -> connectors
    tickets: dict[str, list[str]]             # ticket category -> descriptions


def load_bank(language: str) -> PhraseBank:
    """Read the phrase bank of `language` (one of LANGUAGE_ORDER) from the package's data files."""
    text = resources.files("cxlens.demo").joinpath(f"resources/phrases/{language}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return PhraseBank(language=language, sep=data["sep"], themes=data["themes"], openers=data["openers"],
                      closers=data["closers"], contrast=data["contrast"], tickets=data["tickets"])


def load_banks() -> dict[str, PhraseBank]:
    """Every language's phrase bank, keyed by language code, in LANGUAGE_ORDER."""
    return {language: load_bank(language) for language in LANGUAGE_ORDER}
