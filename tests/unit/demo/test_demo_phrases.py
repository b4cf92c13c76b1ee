"""The demo's phrase banks are data files, complete in every language, and the generator stands alone."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cxlens.demo import params as P
from cxlens.demo.comments import compose, distinct_sentences
from cxlens.demo.phrases import LANGUAGE_ORDER, load_bank, load_banks

SLOT = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("language", LANGUAGE_ORDER)
def test_every_bank_covers_every_theme_tone_and_ticket_category(language: str) -> None:
    bank, english = load_bank(language), load_bank("en")
    assert list(bank.themes) == list(P.THEMES)
    for theme, parts in bank.themes.items():
        for template in parts["templates"]:
            assert all(parts.get(slot) for slot in SLOT.findall(template)), (language, theme, template)
        assert distinct_sentences(language, theme) >= 100, (language, theme)
    assert set(bank.openers) == set(bank.closers) == {"neg", "pos"}
    assert set(bank.contrast) == {"neg_to_pos", "pos_to_neg", "same"}
    assert list(bank.tickets) == list(english.tickets) and all(bank.tickets.values())


def test_banks_load_in_the_order_truth_json_lists_them() -> None:
    assert list(load_banks()) == ["en", "ar", "zh", "ru", "de"]


def test_a_chinese_comment_joins_without_spaces() -> None:
    import random

    text = compose(random.Random(1), "zh", ["billing_errors", "friendly_staff"])
    assert text and " " not in text


def test_the_generator_imports_only_the_model_and_pure_statistics_of_cxlens() -> None:
    # The generator is a data source: the canonical vocabulary (model) and the NPS groups (stats) only;
    # no store, ingest, analysis, workspace, report or CLI behind it.
    code = "import sys, cxlens.demo; print(' '.join(m for m in sys.modules if m.startswith('cxlens.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    outside = {m for m in loaded if not m.startswith(("cxlens.demo", "cxlens.model", "cxlens.errors", "cxlens.stats"))}
    assert not outside, outside
