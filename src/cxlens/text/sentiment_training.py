"""Training the per-language char n-gram sentiment models (`text.sentiment` scores with them).

Kept apart from scoring so that scoring a comment never imports what only training needs, and so each
module stays short. Settings per language (`SETTINGS`) were chosen on the dev rows of the fixed split;
the final model is refitted on train + dev and scored on the untouched test rows (bench/text_accuracy.py).
Where the encoder is installed, the shipped encoder head is scored on the same test rows, so
`SentimentModel` can keep the better of the two (`prefer_head`).
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import joblib
import numpy as np

from cxlens.text.corpus import CorpusError, corpus_file, load_corpus, split_indices
from cxlens.text.encoder import encode, encoder_available
from cxlens.text.lexicon import lexicon_scores
from cxlens.text.char_ngram import CORPUS_LICENCE, MODEL_VERSION, Normaliser, scores_and_labels
from cxlens.text.head import shipped_head

log = logging.getLogger(__name__)

HEAD_CHECK_ROWS = 2000  # test rows the shipped head is scored on when a char model is trained (bounds the time)


@dataclass(frozen=True)
class Settings:
    """Feature and classifier settings for one language (see SETTINGS)."""

    char_analyzer: str = "char_wb"
    char_range: tuple[int, int] = (2, 5)
    char_features: int = 100_000
    word: bool = True
    c: float = 10.0
    class_weight: str | None = "balanced"
    normalise: bool = True


# Chosen on the dev rows (`bench/text_accuracy.py --tune` prints the comparison). char_wb 2-5 is as
# accurate as 1-5 and about 15% faster to score. "balanced" class weights lift the neutral class
# (3-class macro-F1 +1 to +5 points) at no cost in binary accuracy in ar/ru/de, but cost English
# 0.4 points of binary accuracy, so English keeps plain weights. Arabic gains from char n-grams
# across word boundaries (negations and proclitics such as "مش حلو"). Chinese: char 1-4 was within
# noise of 1-3 (+0.2 points) at half the scoring speed and twice the size.
SETTINGS: dict[str, Settings] = {
    "en": Settings(class_weight=None),
    "ar": Settings(char_analyzer="char", char_range=(1, 5), char_features=200_000),
    "ru": Settings(),
    "de": Settings(),
    "zh": Settings(char_analyzer="char", char_range=(1, 3), char_features=150_000, word=False, class_weight=None),
}
# The settings of model version 1, kept so the benchmark can show before / after on the same rows.
PREVIOUS: dict[str, Settings] = {
    lang: Settings(char_range=(1, 5), class_weight=None, normalise=False) for lang in ("en", "ar", "ru", "de")}
PREVIOUS["zh"] = Settings(char_analyzer="char", char_range=(1, 3), char_features=150_000, word=False,
                          class_weight=None, normalise=False)
SETTINGS["ja"] = SETTINGS["zh"]


def build_pipeline(language: str, settings: Settings | None = None):
    """The cxlens model for one language (unfitted sklearn Pipeline)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    cfg = settings or SETTINGS.get(language, Settings())
    pre = Normaliser(language) if cfg.normalise else None
    char = TfidfVectorizer(analyzer=cfg.char_analyzer, ngram_range=cfg.char_range, sublinear_tf=True, min_df=2,
                           max_features=cfg.char_features, dtype=np.float32, preprocessor=pre)
    if cfg.word:
        word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2, preprocessor=pre,
                               token_pattern=r"(?u)\b\w+\b", max_features=60_000, dtype=np.float32)
        features = make_union(word, char)
    else:
        features = char
    return make_pipeline(features, LogisticRegression(C=cfg.c, class_weight=cfg.class_weight, max_iter=2000))


def build_baseline():
    """The floor from ENVIRONMENT.md: char 1-3 gram TF-IDF + default logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), max_features=200_000),
                         LogisticRegression(max_iter=1000))


def evaluate(pipeline, texts: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Binary accuracy / macro-F1 on the positive and negative rows, 3-class macro-F1 on all rows.

    Binary: the larger of P(positive) and P(negative) decides, so a neutral-heavy model is not
    penalised for its neutral class on a two-class question.
    """
    proba = pipeline.predict_proba(list(texts))
    pred3, score = scores_and_labels(proba, list(pipeline.classes_))
    return label_metrics(labels, pred3, score)


def label_metrics(labels: Sequence[str], pred3: Sequence[str], score: np.ndarray) -> dict[str, float]:
    """`evaluate`'s figures from predicted labels and scores (any model: char n-gram, encoder head, word lists)."""
    from sklearn.metrics import accuracy_score, f1_score

    y = np.asarray(labels)
    pred3, score = np.asarray(pred3), np.asarray(score)
    binary = np.isin(y, ["negative", "positive"])
    pred2 = np.where(score[binary] >= 0, "positive", "negative")
    out = {"n": int(len(y)), "binary_accuracy": float(accuracy_score(y[binary], pred2)),
           "binary_macro_f1": float(f1_score(y[binary], pred2, average="macro"))}
    out["macro_f1_3class"] = float(f1_score(y, pred3, average="macro")) if "neutral" in set(y) else float("nan")
    return out


def train_language(language: str, corpus_dir: str | Path | None = None, max_rows: int | None = None) -> dict:
    """Fit the model on the train + dev rows of the language's corpus; returns the saved-model dict.

    The dict holds the pipeline, what it was trained on and its metrics on the held-out test rows
    (never used for choosing settings, see SETTINGS).
    """
    frame = load_corpus(language, corpus_dir)
    split = split_indices(frame["label"])
    train = np.sort(np.concatenate([split.train, split.dev]))
    if max_rows is not None:
        train = train[:max_rows]
    pipeline = build_pipeline(language).fit(frame["text"].iloc[train].tolist(), frame["label"].iloc[train])
    metrics = evaluate(pipeline, frame["text"].iloc[split.test].tolist(), frame["label"].iloc[split.test])
    return {"version": MODEL_VERSION, "language": language, "pipeline": pipeline, "metrics": metrics,
            "trained_on": f"{corpus_file(language, corpus_dir)} ({len(train)} train + dev rows)",
            "licence": CORPUS_LICENCE.get(language, "unknown"),
            "encoder_head_metrics": _head_metrics(frame, split.test, language)}


def _head_metrics(frame, test: np.ndarray, language: str) -> dict | None:
    """The shipped encoder head's figures on (up to HEAD_CHECK_ROWS of) the same test rows, so the better
    of the two models can be chosen on held-out rows; None without the encoder."""
    head = shipped_head()
    if head is None or not encoder_available():
        return None
    rows = np.sort(np.random.default_rng(0).permutation(test)[:HEAD_CHECK_ROWS])
    texts = frame["text"].iloc[rows].tolist()
    lexicon = np.asarray(lexicon_scores(texts, [language] * len(texts)))
    labels, score = head.labels_and_scores(encode(texts), lexicon)
    out = label_metrics(frame["label"].iloc[rows], labels, score)
    out["rows"] = "all test rows" if len(rows) == len(test) else f"{len(rows)} of {len(test)} test rows"
    return out


def save_model(model: dict, folder: str | Path) -> Path:
    """Write one language model to `<folder>/sentiment-<lang>.joblib` (compressed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sentiment-{model['language']}.joblib"
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    joblib.dump(model, partial, compress=3)
    os.replace(partial, path)  # atomic: a reader in another process sees the old file or the new one, never half
    return path


@contextmanager
def _training_lock(folder: Path) -> Iterator[None]:
    """One process at a time trains the first-use models for a cache folder; the others wait, then read
    what it cached (parallel test workers or two commands started together would otherwise train twice).
    Without fcntl (Windows) or a writable folder nothing is locked: saves are atomic, so the worst case
    is training twice."""
    try:
        import fcntl

        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".training.lock", "w")
    except (ImportError, OSError) as exc:
        log.info("sentiment model cache %s not locked: %s", folder, exc)
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def _train_one(language: str, corpus_dir: str | Path | None) -> dict | str:
    """The trained model, or why it could not be trained (workers' logs do not reach the caller)."""
    try:
        return train_language(language, corpus_dir)
    except (CorpusError, OSError) as exc:
        return str(exc)


def _train_all(languages: Sequence[str], corpus_dir: str | Path | None) -> dict[str, dict]:
    """Train the first-use models side by side, one process per core: each fit is single-threaded,
    so on 2 cores this shortens the one-time wait for ar, zh, ru and de from about 31 s to 25 s."""
    for lang in languages:
        log.info("training the %s sentiment model from %s (first use)", lang, corpus_file(lang, corpus_dir))
    jobs = min(len(languages), os.cpu_count() or 1)
    if jobs == 1:
        trained = [_train_one(lang, corpus_dir) for lang in languages]
    else:
        trained = joblib.Parallel(n_jobs=jobs)(joblib.delayed(_train_one)(lang, corpus_dir) for lang in languages)
    models = {}
    for lang, result in zip(languages, trained):
        if isinstance(result, str):
            log.warning("could not train %s sentiment model: %s", lang, result)
        else:
            models[lang] = result
    return models
