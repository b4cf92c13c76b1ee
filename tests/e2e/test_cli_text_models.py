"""No silent fallback: every text output names the model per language; `cxlens text models` and `cxlens text calibrate`."""

from __future__ import annotations

import json
import logging

import pytest
from calibration_fixtures import bag_of_words, planted_workspace
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.text import SentimentModel, encoder, pipeline
from cxlens.text.calibrate import CALIBRATED_NAME
from cxlens.text.models import NO_TEXT


@pytest.fixture
def light_model(monkeypatch):
    """The shipped English char model, word lists elsewhere (fast, no corpus, no encoder)."""
    model = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", encoder=False)
    monkeypatch.setattr(pipeline, "default_sentiment_model", lambda: model)
    return model


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_text_score_names_the_model_of_each_rows_language(tmp_path, light_model):
    rows = ["I was charged twice on my bill", "Die App stürzt ständig ab, furchtbar", ""]
    path = tmp_path / "c.csv"
    path.write_text("comment\n" + "\n".join(f'"{t}"' for t in rows) + "\n", encoding="utf-8")
    out = json.loads(invoke("text", "score", str(path), "-c", "comment", "-f", "json").stdout)
    assert [r["model"] for r in out] == ["char n-gram (shipped)", "word lists", NO_TEXT]
    # each theme says how it was found, in the order of `themes` ("bill" is a billing_errors keyword)
    sources = dict(pair.split(":") for pair in out[0]["theme_sources"].split(";"))
    assert list(sources) == out[0]["themes"].split(";") and "keyword" in sources["billing_errors"].split("+")
    assert set(sources.values()) <= {"keyword", "embedding", "keyword+embedding"}
    assert out[2]["theme_sources"] == ""
    assert light_model.model_names["en"] == "char n-gram (shipped)"
    table = invoke("text", "score", str(path), "-c", "comment").stdout
    assert "sentiment: en char n-gram (shipped), de word lists" in " ".join(table.split())


def test_word_lists_warn_once_naming_the_language_and_the_fix(caplog, monkeypatch):
    monkeypatch.setattr("cxlens.text.sentiment.encoder_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="cxlens.text.sentiment"):
        model = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", languages=["en", "de", "ru"])
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "de, ru" in warnings[0] and "word lists" in warnings[0]
    assert "pip install" in warnings[0] or "cxlens text train" in warnings[0]
    assert model.model_names["de"] == "word lists"


def test_text_models_lists_every_language_with_source_licence_size_and_recorded_accuracy(light_model):
    result = invoke("text", "models", "-w", "/nonexistent-workspace", "-f", "json")
    assert result.exit_code == 0, result.output
    rows = {r["language"]: r for r in json.loads(result.stdout)}
    assert set(rows) >= {"en", "ar", "zh", "ru", "de"}
    en = rows["en"]
    assert en["model"] == "char n-gram (shipped)" and en["source"] == "shipped"
    assert en["accuracy"] == round(light_model.models["en"]["metrics"]["binary_accuracy"], 3)
    assert "CC0" in en["licence"] and en["size_kb"] > 1000 and en["file"].endswith("sentiment-en.joblib")
    assert rows["de"]["model"] == "word lists" and rows["de"]["accuracy"] is None
    assert "not measured" in rows["de"]["accuracy_on"]
    table = " ".join(invoke("text", "models", "-w", "/nonexistent-workspace").stdout.split())
    assert "no workspace: the defaults" in table and "accuracy_on" in table


def test_calibrate_then_models_and_analyze_name_the_calibrated_head(tmp_path, light_model, monkeypatch):
    monkeypatch.setattr(encoder, "encode", lambda texts, batch_size=256: bag_of_words(texts))
    root, _ = planted_workspace(tmp_path / "ws")
    result = invoke("text", "calibrate", "-w", str(root), "-f", "json")
    assert result.exit_code == 0, result.output
    rows = {r["language"]: r for r in json.loads(result.stdout)}
    # German has only word lists here: its calibrated head is far better and used; English keeps its char model
    # unless the head is clearly better on the held-out comments
    de = rows["de"]
    assert de["used"] and de["current_model"] == "word lists" and de["calibrated_accuracy"] >= 0.95
    assert de["difference_low"] > 0 and (root / ".cxlens" / "text" / "calibrated-de.npz").is_file()
    table = " ".join(invoke("text", "calibrate", "-w", str(root), "--dry-run").stdout.split())
    assert "self-calibration on your own answers" in table and "dry run: nothing saved" in table
    models = {r["language"]: r for r in json.loads(invoke("text", "models", "-w", str(root), "-f", "json").stdout)}
    assert models["de"]["model"] == CALIBRATED_NAME and models["de"]["source"] == "calibrated"
    assert models["de"]["accuracy"] == round(de["calibrated_accuracy"], 3)
    assert "held-out comments of this workspace" in models["de"]["accuracy_on"]
    # the workspace's analysis scores German with the calibrated head and says so (encoder patched: bag of words)
    monkeypatch.setattr("cxlens.text.sentiment.encode", lambda texts, batch_size=256: bag_of_words(texts))
    analysed = invoke("text", "analyze", "-w", str(root), "-s", "survey", "-f", "json")
    assert analysed.exit_code == 0, analysed.output
    survey = json.loads(analysed.stdout)[0]
    assert f"de: {CALIBRATED_NAME}" in survey["model"] and "en: " in survey["model"]
    table = " ".join(invoke("text", "analyze", "-w", str(root), "-s", "survey").stdout.split())
    assert f"de {CALIBRATED_NAME}" in table and "sentiment: " in table
    impact = invoke("text", "impact", "-w", str(root))
    assert impact.exit_code == 0, impact.output
    assert f"de {CALIBRATED_NAME}" in " ".join(impact.stdout.split())
    listing = " ".join(invoke("text", "models", "-w", str(root)).stdout.split())
    assert "stored analyses:" in listing and "made with these models and themes" in listing


def test_calibrate_without_answers_is_one_line_naming_the_load(tmp_path):
    from cxlens.workspace import Workspace

    root = tmp_path / "empty"
    Workspace.create(root)
    result = invoke("text", "calibrate", "-w", str(root))
    assert result.exit_code == 3 and "cxlens load" in result.output
