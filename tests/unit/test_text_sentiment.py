"""Sentiment beats the char n-gram baseline on held-out rows of the same split, per language."""

import numpy as np
import pytest

from cxlens.text.corpus import corpus_file, load_corpus, split_indices
from cxlens.text.sentiment import SentimentModel, build_baseline, build_pipeline, evaluate

LANGS = ["en", "ar", "zh", "ru", "de"]
MAX_TRAIN, MAX_TEST = 1500, 800  # keeps the whole module well under a minute on 2 cores


@pytest.fixture(scope="session")
def head_to_head():
    results = {}
    for lang in LANGS:
        if corpus_file(lang) is None:
            continue
        frame = load_corpus(lang)
        split = split_indices(frame.label)
        rng = np.random.default_rng(0)
        train = rng.permutation(split.train)[:MAX_TRAIN]
        test = rng.permutation(split.test)[:MAX_TEST]
        x, y = frame.text.str.slice(0, 600).to_numpy(), frame.label.to_numpy()
        results[lang] = {name: evaluate(pipe.fit(list(x[train]), y[train]), list(x[test]), y[test])
                         for name, pipe in (("baseline", build_baseline()), ("ours", build_pipeline(lang)))}
    return results


@pytest.mark.parametrize("lang", LANGS)
def test_binary_accuracy_beats_baseline(head_to_head, lang):
    if lang not in head_to_head:
        pytest.skip(f"no shared sentiment corpus for {lang}")
    got = head_to_head[lang]
    assert got["ours"]["binary_accuracy"] > got["baseline"]["binary_accuracy"], got
    assert got["ours"]["binary_macro_f1"] > got["baseline"]["binary_macro_f1"], got


def test_shipped_english_model_loads_without_corpus_and_scores_in_range():
    model = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", languages=["en", "de"])
    assert model.sources == {"en": "shipped", "de": "lexicon"}
    labels, scores = model.predict(["Terrible service, never again", "Absolutely love it, great value",
                                    "Super Service, sehr zufrieden", "Furchtbar, alles kaputt"], ["en", "en", "de", "de"])
    assert labels == ["negative", "positive", "positive", "negative"]
    assert all(-1 <= s <= 1 for s in scores)
