"""Sentiment per language: negative / neutral / positive and a score in [-1, 1].

Why n-gram TF-IDF and logistic regression: on our corpora a word (1-2) + char n-gram union with
sublinear tf beat the plain char n-gram baseline in every language, trains in seconds on 2 cores,
scores thousands of comments a second and needs no model hub. Chinese uses char 1-3 grams (no word
segmenter needed). Text is normalised first (`normalise_for_sentiment`: URLs and @mentions to
placeholders, lower case, letters repeated 3+ times cut to 2, Arabic letter variants folded and
diacritics/tatweel dropped, `ё`→`е`). Settings per language (`SETTINGS`) were chosen on the dev rows
of the fixed split; the final model is then refitted on train + dev and scored on the untouched test
rows. Measured figures are in docs/text.md and bench/text_accuracy.py.

Licences decide where a model comes from: only the English model is shipped (trained on CC0 and
CC BY 4.0 corpora). The Arabic, Chinese and Russian corpora state no licence and the German one is
CC BY-NC, so those models are trained on the user's machine at first use (or by
`cxlens text train`) into the cache folder (training: `text.sentiment_training`). Without a corpus, a language is scored by the shipped
multilingual encoder head (`text.encoder` + `text.head`, trained on the English CC0 / CC BY rows only by
scripts/train_sentiment_head.py); with one, the better on held-out rows of the char model and the
encoder head is used and recorded (`SentimentModel.choice`). Only when the encoder package is missing do
languages fall back to the shipped word lists, with a warning naming the fix.
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

from cxlens.errors import UsageError
from cxlens.text.corpus import corpus_file
from cxlens.text.encoder import ENCODER, encode, encoder_available
from cxlens.text.char_ngram import (  # Normaliser: saved models pickle it under this module's name
    MODEL_VERSION, NEUTRAL_BAND, Normaliser, scores_and_labels)
from cxlens.text.head import SentimentHead, shipped_head
from cxlens.text.language import ANALYSIS_CHARS, SUPPORTED, text_head
from cxlens.text.lexicon import lexicon_scores

log = logging.getLogger(__name__)

HEAD_NAME = f"encoder head ({ENCODER['short_name']}, shipped)"


def cache_dir() -> Path:
    """`$CXLENS_CACHE_DIR`, else `$XDG_CACHE_HOME/cxlens`, else `~/.cache/cxlens`."""
    if os.environ.get("CXLENS_CACHE_DIR"):
        return Path(os.environ["CXLENS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxlens"


def char_model_name(source: str, model: dict) -> str:
    """Human-readable name of a char n-gram model: shipped, or trained on which corpus folder."""
    if source == "shipped":
        return "char n-gram (shipped)"
    return f"char n-gram (trained on {Path(str(model.get('trained_on', '?')).split(' (')[0]).parent})"


def prefer_head(source: str, model: dict, head: SentimentHead, language: str) -> tuple[bool, dict]:
    """Whether the encoder head beats a char n-gram model on held-out rows, and the figures compared.

    A trained model carries the head's binary accuracy on its own test rows (`encoder_head_metrics`);
    the shipped English model is compared with the head's figures on the same corpus' test rows, stored
    in the head file. Without a comparison the char model (trained on in-language labels) stays.
    """
    char = model.get("metrics", {}).get("binary_accuracy")
    if source == "shipped":
        theirs = head.info.get("test_metrics", {}).get(language, {})
    else:
        theirs = model.get("encoder_head_metrics") or {}
    head_acc = theirs.get("binary_accuracy")
    figures = {"char n-gram": char, "encoder head": head_acc, "on": "held-out test rows"}
    return bool(char is not None and head_acc is not None and head_acc > char), figures


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
    """Per-language sentiment models: a char n-gram model, the multilingual encoder head, or word lists.

    `sources[lang]` says where each language's model came from ("shipped", "cache", "trained",
    "encoder", "lexicon"; G adds "calibrated"), `model_names[lang]` names it for people ("char n-gram
    (shipped)", "encoder head (USE-m3, shipped)", "word lists"), and `choice[lang]` holds the held-out
    figures a char model and the encoder head were compared on, so reports can state how far to trust
    the figures. Languages in `heads` are scored by a SentimentHead on `encode`d text.
    """

    models: dict[str, dict] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    heads: dict[str, SentimentHead] = field(default_factory=dict)
    model_names: dict[str, str] = field(default_factory=dict)
    choice: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, corpus_dir: str | Path | None = None, cache: str | Path | None = None,
             train_missing: bool = True, languages: Sequence[str] = SUPPORTED,
             encoder: bool = True) -> "SentimentModel":
        """Per language the better (on held-out rows) of a char n-gram model (shipped, cached, or trained
        from the corpus at first use) and the shipped encoder head; the encoder head alone where there is
        no char model; word lists only when the encoder package is missing (or `encoder=False`)."""
        folder = Path(cache) if cache else cache_dir() / "text"
        self = cls()
        for lang in languages:
            model, source = None, "lexicon"
            shipped = _shipped_path(lang)
            if shipped is not None:
                model, source = _read(shipped), "shipped"
            if model is None and (folder / f"sentiment-{lang}.joblib").is_file():
                model, source = _read(folder / f"sentiment-{lang}.joblib"), "cache"
            if model is not None:
                self.models[lang] = model
            self.sources[lang] = source
        missing = [lang for lang in languages if lang not in self.models and corpus_file(lang, corpus_dir) is not None]
        if train_missing and missing:
            self._train_and_cache(missing, corpus_dir, folder)
        head = shipped_head() if encoder and encoder_available() else None
        for lang in languages:
            if lang in self.models:
                self.model_names[lang] = char_model_name(self.sources[lang], self.models[lang])
                if head is not None:
                    better, self.choice[lang] = prefer_head(self.sources[lang], self.models[lang], head, lang)
                    self.choice[lang]["chosen"] = "encoder head" if better else "char n-gram"
                    if better:
                        self.use_head(lang, head, "encoder", HEAD_NAME)
            elif head is not None:
                self.use_head(lang, head, "encoder", HEAD_NAME)
            else:
                self.model_names[lang] = "word lists"
        self._warn_word_lists()
        return self

    def use_head(self, language: str, head: SentimentHead, source: str, name: str) -> None:
        """Score `language` with `head` on encoder embeddings from now on (e.g. a company's calibrated head)."""
        self.heads[language] = head
        self.sources[language] = source
        self.model_names[language] = name

    def _warn_word_lists(self) -> None:
        """Say so when a language is scored by word lists only: never a silent fallback."""
        fallback = sorted(lang for lang, source in self.sources.items() if source == "lexicon")
        if fallback and not encoder_available():
            log.warning("sentiment for %s uses word lists only (much less accurate): the multilingual encoder "
                        "is not installed. Fix: `%s` (or `cxlens text train --corpus DIR` with labelled reviews "
                        "per language), see docs/text.md", ", ".join(fallback), ENCODER["install"])
        elif fallback:
            log.warning("sentiment for %s uses word lists only (no trained model; much less accurate). Fix: "
                        "load without encoder=False, or `cxlens text train --corpus DIR` with labelled reviews "
                        "(text,label) per language, see docs/text.md", ", ".join(fallback))

    def _train_and_cache(self, missing: list[str], corpus_dir: str | Path | None, folder: Path) -> None:
        from cxlens.text.sentiment_training import _train_all, _training_lock, save_model  # scikit-learn: first use only

        with _training_lock(folder):
            for lang in list(missing):  # another process may have cached them while we waited for the lock
                cached = folder / f"sentiment-{lang}.joblib"
                model = _read(cached) if cached.is_file() else None
                if model is not None:
                    self.models[lang], self.sources[lang] = model, "cache"
                    missing.remove(lang)
            for lang, model in (_train_all(missing, corpus_dir) if missing else {}).items():
                try:
                    save_model(model, folder)
                except OSError as exc:
                    log.warning("could not cache the %s sentiment model in %s: %s", lang, folder, exc)
                self.models[lang], self.sources[lang] = model, "trained"

    def predict(self, texts: Sequence[str], languages: Sequence[str],
                embeddings: np.ndarray | None = None) -> tuple[list[str], list[float]]:
        """(labels, scores) per text; texts in unsupported languages get 'neutral' and 0.0.
        `embeddings`: `encode(texts)` when the caller already has them (pipeline.analyze encodes once
        for sentiment and themes); else the head languages are encoded here.

        Only the first ANALYSIS_CHARS characters of a text are scored (`text_head`, docs/text.md).
        """
        if len(texts) != len(languages):
            raise UsageError("languages", len(languages), message=f"languages= has {len(languages)} entries for {len(texts)} texts; give one language per text")
        labels = ["neutral"] * len(texts)
        scores = [0.0] * len(texts)
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(languages):
            if texts[i] and str(texts[i]).strip():
                by_lang.setdefault(lang, []).append(i)
        for lang, idx in by_lang.items():
            batch = [text_head(str(texts[i]), ANALYSIS_CHARS) for i in idx]
            if lang in self.heads:
                head = self.heads[lang]
                vectors = embeddings[idx] if embeddings is not None else encode(batch)
                lexicon = np.asarray(lexicon_scores(batch, [lang] * len(batch))) if head.lexicon_weight else None
                got_labels, got_scores = head.labels_and_scores(vectors, lexicon)
            elif lang in self.models:
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
