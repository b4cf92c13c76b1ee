"""Where the labelled sentiment corpora live, how they are read, and the one fixed split.

The corpora are not part of cxlens (several licences forbid redistribution); they are read from
`shared/data/sentiment/` beside the repository, from `$CXLENS_SHARED_DATA/sentiment`, or from a
folder the user names. Every model, test and benchmark uses `split_indices` so nothing is ever
tuned on the test rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.errors import CxlensError

LABELS = ("negative", "neutral", "positive")
SEED = 20240601


class CorpusError(CxlensError):
    """The labelled sentiment corpus is missing or not in the expected `text,label` shape."""


def default_corpus_dir() -> Path | None:
    """`$CXLENS_SHARED_DATA/sentiment`, else `<repo>/../shared/data/sentiment`, else None."""
    env = os.environ.get("CXLENS_SHARED_DATA")
    candidates = [Path(env) / "sentiment"] if env else []
    repo = Path(__file__).resolve().parents[3]
    candidates.append(repo.parent / "shared" / "data" / "sentiment")
    for path in candidates:
        if path.is_dir():
            return path
    return None


def corpus_file(language: str, corpus_dir: str | Path | None = None) -> Path | None:
    """Path of `<language>.csv` in the corpus folder, or None when there is none."""
    folder = Path(corpus_dir) if corpus_dir else default_corpus_dir()
    if folder is None:
        return None
    path = folder / f"{language}.csv"
    return path if path.is_file() else None


def load_corpus(language: str, corpus_dir: str | Path | None = None) -> pd.DataFrame:
    """The labelled rows for `language` as a frame with `text` and `label` (negative/neutral/positive)."""
    path = corpus_file(language, corpus_dir)
    if path is None:
        where = corpus_dir or "shared/data/sentiment (or $CXLENS_SHARED_DATA)"
        raise CorpusError(f"no sentiment corpus for '{language}' in {where}: expected {language}.csv "
                          "with columns text,label; pass --corpus DIR")
    frame = pd.read_csv(path)
    missing = {"text", "label"} - set(frame.columns)
    if missing:
        raise CorpusError(f"{path}: missing column(s) {sorted(missing)}; expected text,label")
    frame = frame.dropna(subset=["text", "label"])
    frame = frame[frame["label"].isin(LABELS)].reset_index(drop=True)
    frame["text"] = frame["text"].astype(str)
    return frame[["text", "label"]]


@dataclass(frozen=True)
class Split:
    """Row indices of the fixed train / dev / test split (70 / 15 / 15, stratified by label)."""

    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray


def split_indices(labels: pd.Series | np.ndarray, seed: int = SEED) -> Split:
    """Deterministic stratified split, so a row's split never depends on the model being trained."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    idx = np.arange(len(labels))
    train, rest = train_test_split(idx, test_size=0.30, random_state=seed, stratify=labels)
    dev, test = train_test_split(rest, test_size=0.50, random_state=seed, stratify=labels[rest])
    return Split(np.sort(train), np.sort(dev), np.sort(test))
