"""Sentiment beats the char n-gram baseline on held-out rows of the same split, per language."""

import numpy as np
import pytest

from cxlens.text.corpus import corpus_file, load_corpus, split_indices
from cxlens.text.sentiment import SentimentModel
from cxlens.text.sentiment_training import build_baseline, build_pipeline, evaluate

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
    model = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", languages=["en", "de"],
                                encoder=False)
    assert model.sources == {"en": "shipped", "de": "lexicon"}
    labels, scores = model.predict(["Terrible service, never again", "Absolutely love it, great value",
                                    "Super Service, sehr zufrieden", "Furchtbar, alles kaputt"], ["en", "en", "de", "de"])
    assert labels == ["negative", "positive", "positive", "negative"]
    assert all(-1 <= s <= 1 for s in scores)


def test_normalisation_folds_spelling_variants_and_placeholders():
    from cxlens.text.char_ngram import normalise_for_sentiment

    def words(text, lang):
        return normalise_for_sentiment(text, lang).split()

    assert words("إلى المدرسةِ ـــ أحمد رااااائع", "ar") == ["الي", "المدرسه", "احمد", "راائع"]
    assert words("Ёлки, @Sberbank http://t.co/x ОЧЕНЬ плохоооо", "ru") == ["елки,", "@user", "url", "очень", "плохоо"]
    assert words("Soooo GOOD", "en") == ["soo", "good"]


def test_train_language_refits_on_train_and_dev_and_scores_only_test_rows(tmp_path):
    from cxlens.text.sentiment_training import train_language

    rng = np.random.default_rng(1)
    good, bad = ["great", "lovely", "excellent", "perfect"], ["awful", "broken", "terrible", "rude"]
    rows = [(" ".join(rng.choice(good if lab == "positive" else bad, 3)) + " service", lab)
            for lab in ["positive", "negative", "neutral"] * 60]
    rows = [(t if lab != "neutral" else "the parcel came on tuesday", lab) for t, lab in rows]
    import pandas as pd

    pd.DataFrame(rows, columns=["text", "label"]).to_csv(tmp_path / "en.csv", index=False)
    model = train_language("en", tmp_path)
    split = split_indices(pd.read_csv(tmp_path / "en.csv").label)
    assert f"({len(split.train) + len(split.dev)} train + dev rows)" in model["trained_on"]
    assert model["metrics"]["n"] == len(split.test)
    assert model["metrics"]["binary_accuracy"] == 1.0



def _write_word_corpora(folder, rows_per_language: int) -> None:
    """Tiny German and Russian corpora (text,label) that any sentiment model separates perfectly."""
    import pandas as pd

    words = {"de": (["toll", "super", "schnell"], ["schlecht", "kaputt", "langsam"]),
             "ru": (["отлично", "быстро", "спасибо"], ["плохо", "медленно", "ужасно"])}
    for lang, (good, bad) in words.items():
        rows = [(f"{good[i % 3]} {good[(i + 1) % 3]}", "positive") if i % 2 else (f"{bad[i % 3]} {bad[(i + 1) % 3]}", "negative")
                for i in range(rows_per_language)]
        pd.DataFrame(rows, columns=["text", "label"]).to_csv(folder / f"{lang}.csv", index=False)


def test_first_use_trains_missing_languages_side_by_side_caches_them_and_reports_failures(tmp_path, caplog):
    from cxlens.text.sentiment import SentimentModel

    _write_word_corpora(tmp_path, rows_per_language=120)
    (tmp_path / "ar.csv").write_text("comment,stars\nممتاز,5\n", encoding="utf-8")  # no text/label columns
    cache = tmp_path / "cache"
    with caplog.at_level("WARNING"):
        first = SentimentModel.load(corpus_dir=tmp_path, cache=cache, languages=["de", "ru", "ar"])
    assert first.sources["de"] == "trained" and first.sources["ru"] == "trained"
    assert first.sources["ar"] in ("encoder", "lexicon")  # the shipped encoder head where the encoder is installed
    assert any("could not train ar" in r.getMessage() for r in caplog.records)
    # only the two models (and the lock file): no half-written ".partial" file is left behind
    assert sorted(p.name for p in cache.iterdir() if p.name != ".training.lock") == ["sentiment-de.joblib", "sentiment-ru.joblib"]
    assert first.predict(["toll super", "плохо медленно"], ["de", "ru"])[0] == ["positive", "negative"]
    again = SentimentModel.load(corpus_dir=tmp_path, cache=cache, languages=["de", "ru"])
    assert again.sources == {"de": "cache", "ru": "cache"}


def _load_sources(corpus: str, cache: str) -> dict[str, str]:
    from cxlens.text.sentiment import SentimentModel

    return SentimentModel.load(corpus_dir=corpus, cache=cache, languages=["de", "ru"]).sources


def test_two_processes_starting_together_train_once_and_the_other_reads_the_cache(tmp_path):
    """Parallel test workers (or two commands) on an empty cache: the training lock lets one process
    train; the other waits and reads complete models from the cache, never a half-written file."""
    import multiprocessing

    _write_word_corpora(tmp_path, rows_per_language=4000)
    cache = str(tmp_path / "cache")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(_load_sources, [(str(tmp_path), cache), (str(tmp_path), cache)])
    assert sorted(r["de"] for r in results) == ["cache", "trained"]
    assert sorted(r["ru"] for r in results) == ["cache", "trained"]


def test_a_language_left_to_word_lists_is_announced_with_the_fix(tmp_path, caplog):
    """No silent fallback: a language without a trained model is named in a warning that says what to do."""
    from cxlens.text.sentiment import SentimentModel

    with caplog.at_level("WARNING"):
        model = SentimentModel.load(corpus_dir=tmp_path, cache=tmp_path / "empty-cache", languages=["en", "de"],
                                    encoder=False)
    assert model.sources == {"en": "shipped", "de": "lexicon"}
    warned = [r.getMessage() for r in caplog.records if "word lists" in r.getMessage()]
    assert len(warned) == 1 and warned[0].startswith("sentiment for de uses word lists")  # en has its shipped model
    assert "cxlens text train" in warned[0]
