"""Sentiment per language: negative / neutral / positive and a score in [-1, 1].

Why n-gram TF-IDF and logistic regression: on our corpora a word (1-2) + char_wb (1-5) union with
sublinear tf beat the plain char n-gram baseline in every language, trains in seconds on 2 cores,
scores thousands of comments a second and needs no model hub. Chinese uses char 1-3 grams (no word
segmenter needed). Measured figures are in docs/text.md and bench/text_accuracy.py.

Licences decide where a model comes from: only the English model is shipped (trained on CC0 and
CC BY 4.0 corpora). The Arabic, Chinese and Russian corpora state no licence and the German one is
CC BY-NC, so those models are trained on the user's machine at first use (or by
`cxlens text train`) into the cache folder. Without a corpus a language falls back to the shipped
word lists and says so in `SentimentModel.sources`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Sequence

import joblib
import numpy as np

from cxlens.errors import CxlensError
from cxlens.text.corpus import CorpusError, corpus_file, load_corpus, split_indices
from cxlens.text.language import SUPPORTED
from cxlens.text.lexicon import lexicon_scores

log = logging.getLogger(__name__)

MODEL_VERSION = 1
NEUTRAL_BAND = 0.2  # |score| below this is neutral for models trained without neutral rows (zh)
SHIPPED = {"en": "Women's E-Commerce Clothing Reviews (CC0) and UCI Sentiment Labelled Sentences "
                 "(CC BY 4.0, Kotzias et al. 2015)"}
CORPUS_LICENCE = {"ar": "not stated (ElSahar & El-Beltagy 2015)", "zh": "not stated (ChnSentiCorp et al.)",
                  "ru": "not stated (SentiRuEval 2015/2016)", "de": "CC BY-NC 4.0 (GermEval 2017)",
                  "en": SHIPPED["en"]}


def cache_dir() -> Path:
    """`$CXLENS_CACHE_DIR`, else `$XDG_CACHE_HOME/cxlens`, else `~/.cache/cxlens`."""
    if os.environ.get("CXLENS_CACHE_DIR"):
        return Path(os.environ["CXLENS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxlens"


def build_pipeline(language: str, c: float = 10.0):
    """The cxlens model for one language (unfitted sklearn Pipeline)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    if language in ("zh", "ja"):
        features = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2,
                                   max_features=150_000, dtype=np.float32)
    else:
        features = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                            token_pattern=r"(?u)\b\w+\b", max_features=60_000, dtype=np.float32),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True, min_df=2,
                            max_features=100_000, dtype=np.float32),
        )
    return make_pipeline(features, LogisticRegression(C=c, max_iter=2000))


def build_baseline():
    """The floor from ENVIRONMENT.md: char 1-3 gram TF-IDF + default logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), max_features=200_000),
                         LogisticRegression(max_iter=1000))


def scores_and_labels(proba: np.ndarray, classes: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Labels and score = P(positive) - P(negative) from class probabilities."""
    classes = list(classes)
    p_pos = proba[:, classes.index("positive")] if "positive" in classes else 0.0
    p_neg = proba[:, classes.index("negative")] if "negative" in classes else 0.0
    score = np.clip(p_pos - p_neg, -1.0, 1.0)
    if "neutral" in classes:
        labels = [classes[i] for i in proba.argmax(axis=1)]
    else:
        labels = ["neutral" if abs(s) < NEUTRAL_BAND else ("positive" if s > 0 else "negative") for s in score]
    return labels, score


def evaluate(pipeline, texts: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Binary accuracy / macro-F1 on the positive and negative rows, 3-class macro-F1 on all rows.

    Binary: the larger of P(positive) and P(negative) decides, so a neutral-heavy model is not
    penalised for its neutral class on a two-class question.
    """
    from sklearn.metrics import accuracy_score, f1_score

    y = np.asarray(labels)
    proba = pipeline.predict_proba(list(texts))
    classes = list(pipeline.classes_)
    pred3, score = scores_and_labels(proba, classes)
    binary = np.isin(y, ["negative", "positive"])
    pred2 = np.where(score[binary] >= 0, "positive", "negative")
    out = {"n": int(len(y)), "binary_accuracy": float(accuracy_score(y[binary], pred2)),
           "binary_macro_f1": float(f1_score(y[binary], pred2, average="macro"))}
    out["macro_f1_3class"] = float(f1_score(y, pred3, average="macro")) if "neutral" in set(y) else float("nan")
    return out


def train_language(language: str, corpus_dir: str | Path | None = None, max_rows: int | None = None) -> dict:
    """Fit the model on the train split of the language's corpus; returns the saved-model dict.

    The dict holds the pipeline, what it was trained on and its held-out test metrics.
    """
    frame = load_corpus(language, corpus_dir)
    split = split_indices(frame["label"])
    train = split.train if max_rows is None else split.train[:max_rows]
    pipeline = build_pipeline(language).fit(frame["text"].iloc[train].tolist(), frame["label"].iloc[train])
    metrics = evaluate(pipeline, frame["text"].iloc[split.test].tolist(), frame["label"].iloc[split.test])
    return {"version": MODEL_VERSION, "language": language, "pipeline": pipeline, "metrics": metrics,
            "trained_on": f"{corpus_file(language, corpus_dir)} ({len(train)} train rows)",
            "licence": CORPUS_LICENCE.get(language, "unknown")}


def save_model(model: dict, folder: str | Path) -> Path:
    """Write one language model to `<folder>/sentiment-<lang>.joblib` (compressed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sentiment-{model['language']}.joblib"
    joblib.dump(model, path, compress=3)
    return path


def _shipped_path(language: str) -> Path | None:
    ref = resources.files("cxlens.text").joinpath(f"resources/sentiment-{language}.joblib")
    return Path(str(ref)) if ref.is_file() else None


def _read(path: Path) -> dict | None:
    try:
        model = joblib.load(path)
    except Exception as exc:  # a corrupt or incompatible cache file is retrained, not fatal
        log.warning("ignoring unreadable sentiment model %s: %s", path, exc)
        return None
    return model if model.get("version") == MODEL_VERSION else None


@dataclass
class SentimentModel:
    """Per-language sentiment models; languages without one use the shipped word lists.

    `sources[lang]` says where each language's model came from ("shipped", "cache", "trained",
    "lexicon"), so reports can state how far to trust the figures.
    """

    models: dict[str, dict] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, corpus_dir: str | Path | None = None, cache: str | Path | None = None,
             train_missing: bool = True, languages: Sequence[str] = SUPPORTED) -> "SentimentModel":
        """Shipped model, else cached model, else train from the corpus (first use), else lexicon."""
        folder = Path(cache) if cache else cache_dir() / "text"
        self = cls()
        for lang in languages:
            model, source = None, "lexicon"
            shipped = _shipped_path(lang)
            if shipped is not None:
                model, source = _read(shipped), "shipped"
            if model is None and (folder / f"sentiment-{lang}.joblib").is_file():
                model, source = _read(folder / f"sentiment-{lang}.joblib"), "cache"
            if model is None and train_missing and corpus_file(lang, corpus_dir) is not None:
                log.info("training the %s sentiment model from %s (first use)", lang, corpus_file(lang, corpus_dir))
                try:
                    model, source = train_language(lang, corpus_dir), "trained"
                    save_model(model, folder)
                except (CorpusError, OSError) as exc:
                    log.warning("could not train %s sentiment model: %s", lang, exc)
                    model = None
            if model is None:
                source = "lexicon"
            else:
                self.models[lang] = model
            self.sources[lang] = source
        return self

    def predict(self, texts: Sequence[str], languages: Sequence[str]) -> tuple[list[str], list[float]]:
        """(labels, scores) per text; texts in unsupported languages get 'neutral' and 0.0."""
        if len(texts) != len(languages):
            raise CxlensError(f"sentiment: {len(texts)} texts but {len(languages)} languages")
        labels = ["neutral"] * len(texts)
        scores = [0.0] * len(texts)
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(languages):
            if texts[i] and str(texts[i]).strip():
                by_lang.setdefault(lang, []).append(i)
        for lang, idx in by_lang.items():
            batch = [str(texts[i]) for i in idx]
            if lang in self.models:
                pipe = self.models[lang]["pipeline"]
                got_labels, got_scores = scores_and_labels(pipe.predict_proba(batch), pipe.classes_)
            elif lang in SUPPORTED:
                got_scores = np.asarray(lexicon_scores(batch, [lang] * len(batch)))
                got_labels = ["neutral" if abs(s) < NEUTRAL_BAND else ("positive" if s > 0 else "negative")
                              for s in got_scores]
            else:
                continue
            for j, i in enumerate(idx):
                labels[i], scores[i] = got_labels[j], float(got_scores[j])
        return labels, scores
