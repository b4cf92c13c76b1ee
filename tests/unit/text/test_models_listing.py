"""Which model scores each language (`cxlens.text.models`): names, the line under tables, the listing's figures."""

from __future__ import annotations

import pytest
from calibration_fixtures import planted_workspace

from cxlens.text import pipeline
from cxlens.text.models import NO_TEXT, NOT_SCORED, describe, model_for, model_line, model_table, stored_current, \
    stored_languages
from cxlens.text.head import shipped_head
from cxlens.text.sentiment import SentimentModel


@pytest.fixture
def light() -> SentimentModel:
    """Shipped English char model, word lists for the others (no corpus, no encoder)."""
    return SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", encoder=False)


def test_the_line_under_a_table_names_each_language_once_in_order(light):
    line = model_line(light, ["de", "en", "de", None, "und", "fr"])
    assert line == f"sentiment: de word lists, en char n-gram (shipped), fr {NOT_SCORED}"
    assert model_line(light, ["und", None]) == "sentiment: no text was scored"
    assert model_for(light, "und") == model_for(light, "") == NO_TEXT


def test_every_supported_language_is_listed_with_its_model_and_source(light):
    rows = {r["language"]: r for r in model_table(light)}
    assert list(rows)[:5] == ["en", "ar", "zh", "ru", "de"]
    assert rows["en"]["source"] == "shipped" and rows["en"]["accuracy"] == 0.932  # docs/text.md: en .932
    for lang in ("ar", "zh", "ru", "de"):
        assert rows[lang]["model"] == "word lists" and rows[lang]["source"] == "lexicon"
        assert rows[lang]["accuracy"] is None and rows[lang]["file"].endswith("lexicon.yaml")


def test_the_shipped_encoder_head_is_listed_with_the_accuracy_recorded_in_its_file():
    head = shipped_head()
    if head is None:
        pytest.skip("no shipped encoder head in this checkout")
    model = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", languages=["de"])
    row = describe(model, "de")
    assert row["source"] == "encoder" and row["model"] == model.model_names["de"]
    assert row["accuracy"] == round(head.info["test_metrics"]["de"]["binary_accuracy"], 3)
    assert row["file"].endswith("sentiment-head.npz") and 0 < row["size_kb"] < 100
    assert "Apache-2.0" in row["licence"]


def test_stored_languages_and_how_many_stored_rows_the_current_models_made(tmp_path, light, monkeypatch):
    from cxlens.workspace import Workspace

    monkeypatch.setattr(pipeline, "default_sentiment_model", lambda: light)
    root, truth = planted_workspace(tmp_path / "ws", n=80, seed=2)
    ws = Workspace.open(root)
    ws.analyze_texts("survey")
    with ws.store() as store:
        languages = stored_languages(store)
        assert set(languages) == {"survey"} and sorted(languages["survey"]) == ["de", "en"]
        assert stored_current(store, light, ws.themes()) == (80, 80)
        other = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", encoder=False,
                                    languages=["en"])  # de not scored: another analysis version
        assert stored_current(store, other, ws.themes()) == (0, 80)
