"""A sentiment head on sentence embeddings: multinomial logistic regression with calibrated probabilities.

Why a linear head on a frozen multilingual encoder: the encoder (`text.encoder`) puts a comment and
its translation near each other, so a head fitted on English reviews (the only corpora whose licences
allow shipping a model trained on them) scores Arabic, Chinese, Russian and German comments too; and a
linear head fits in a second on 2 cores, so the same code serves the shipped head
(scripts/train_sentiment_head.py) and a company's own calibrated head (`cxlens text calibrate`).

Probabilities are calibrated by temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural
Networks"): one temperature fitted on held-out rows by minimising the log loss, so P(positive) of 0.9
means right about 9 times in 10 and a comment the head cannot place gets probability spread across
the classes. A head trained without neutral rows (e.g. on NPS-labelled comments: detractors and
promoters only) calls a comment neutral when |P(positive) - P(negative)| < `neutral_band`.

A head may add the shipped word lists' score with `lexicon_weight` (score = P(pos) - P(neg) + w * word-list
score, clipped to [-1, 1]): the word lists are in-language, the head's English training is not, and on
the dev rows this combination was better than either alone in Arabic (docs/text.md, "Out of the box").
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Sequence

import numpy as np

CLASSES = ("negative", "neutral", "positive")
NEUTRAL_BAND = 0.2  # |score| below this is neutral for a head trained without neutral rows


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class SentimentHead:
    """Logistic regression weights (512 x 3), bias, temperature and what the head was trained on.

    `classes` is always ("negative", "neutral", "positive"); a class absent from the training rows has
    a bias of -inf (probability 0). `info` holds training data, licence and held-out metrics.
    """

    weights: np.ndarray
    bias: np.ndarray
    temperature: float = 1.0
    trained_classes: tuple[str, ...] = CLASSES
    neutral_band: float = NEUTRAL_BAND
    info: dict = field(default_factory=dict)
    lexicon_weight: float = 0.0
    classes: tuple[str, ...] = CLASSES

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Raw class scores (n, 3) before temperature and softmax."""
        return np.asarray(X, dtype=np.float32) @ self.weights + self.bias

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities (n, 3) in the order of `classes`."""
        with np.errstate(invalid="ignore"):
            return _softmax(self.logits(X).astype(np.float64) / self.temperature)

    def labels_and_scores(self, X: np.ndarray, lexicon: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
        """3-class labels and score = P(positive) - P(negative) (+ lexicon_weight * `lexicon`, the word-list
        scores of the same texts, when given) in [-1, 1] for each row."""
        proba = self.predict_proba(X)
        if lexicon is None or not self.lexicon_weight:
            return labels_from_proba(proba, has_neutral="neutral" in self.trained_classes,
                                     neutral_band=self.neutral_band)
        score = np.clip(proba[:, 2] - proba[:, 0] + self.lexicon_weight * np.asarray(lexicon), -1.0, 1.0)
        labels = ["neutral" if abs(v) < self.neutral_band else ("positive" if v > 0 else "negative") for v in score]
        return labels, score

    def to_npz(self, path: str | Path) -> Path:
        """Save the head (numbers and a JSON `info`) to one .npz file; no pickle, so loading runs no code."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"trained_classes": list(self.trained_classes), "neutral_band": self.neutral_band,
                "temperature": self.temperature, "lexicon_weight": self.lexicon_weight, "info": self.info}
        with open(path, "wb") as handle:
            np.savez_compressed(handle, weights=self.weights.astype(np.float32), bias=self.bias.astype(np.float32),
                                meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
        return path

    @classmethod
    def from_npz(cls, path: str | Path) -> "SentimentHead":
        """Read a head written by `to_npz`."""
        with np.load(Path(path), allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            return cls(weights=z["weights"], bias=z["bias"], temperature=float(meta["temperature"]),
                       trained_classes=tuple(meta["trained_classes"]), neutral_band=float(meta["neutral_band"]),
                       info=meta.get("info", {}), lexicon_weight=float(meta.get("lexicon_weight", 0.0)))


def labels_from_proba(proba: np.ndarray, has_neutral: bool = True,
                      neutral_band: float = NEUTRAL_BAND) -> tuple[list[str], np.ndarray]:
    """Labels (argmax, or the band rule when no neutral class was trained) and score = P(pos) - P(neg)."""
    score = np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0)
    if has_neutral:
        labels = [CLASSES[i] for i in proba.argmax(axis=1)]
    else:
        labels = ["neutral" if abs(s) < neutral_band else ("positive" if s > 0 else "negative") for s in score]
    return labels, score


def fit_temperature(logits: np.ndarray, y_index: np.ndarray) -> float:
    """The temperature T minimising the log loss of softmax(logits / T) on held-out rows (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    logits = logits.astype(np.float64)
    rows = np.arange(len(y_index))

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, y_index]))

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def fit_head(X: np.ndarray, y: Sequence[str], *, seed: int = 0, c: float = 1.0,
             class_weight: str | None = "balanced", calibration_share: float = 0.2,
             info: dict | None = None) -> SentimentHead:
    """Fit a head on embeddings `X` and labels `y` (negative / neutral / positive; neutral may be absent).

    The logistic regression is fitted on (1 - calibration_share) of the rows and its temperature on the
    rest (stratified, seeded), so the probabilities are calibrated on rows the weights never saw.
    `class_weight="balanced"` keeps the head from learning the training set's class mix (English reviews
    are 74% positive), which would not carry over to another language's comments.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    unknown = sorted(set(y) - set(CLASSES))
    if unknown:
        raise ValueError(f"labels must be negative/neutral/positive, got {unknown}")
    present = tuple(c_ for c_ in CLASSES if c_ in set(y))
    if len(present) < 2:
        raise ValueError(f"a sentiment head needs at least two classes among the labels, got {list(present)}")
    fit_rows, cal_rows = train_test_split(np.arange(len(y)), test_size=calibration_share, random_state=seed,
                                          stratify=y)
    lr = LogisticRegression(C=c, class_weight=class_weight, max_iter=2000, random_state=seed)
    lr.fit(X[fit_rows], y[fit_rows])
    weights = np.zeros((X.shape[1], 3), dtype=np.float32)
    bias = np.full(3, -np.inf, dtype=np.float32)
    coef, intercept = lr.coef_, lr.intercept_
    if len(present) == 2:  # sklearn keeps one row for the second class: logits (0, z)
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    for k, name in enumerate(lr.classes_):
        weights[:, CLASSES.index(name)] = coef[k]
        bias[CLASSES.index(name)] = intercept[k]
    head = SentimentHead(weights=weights, bias=bias, trained_classes=present, info=dict(info or {}))
    y_index = np.array([CLASSES.index(v) for v in y[cal_rows]])
    cols = [CLASSES.index(name) for name in present]
    local = np.searchsorted(cols, y_index)
    head.temperature = fit_temperature(head.logits(X[cal_rows])[:, cols], local)
    head.info.setdefault("fit_rows", int(len(fit_rows)))
    head.info.setdefault("calibration_rows", int(len(cal_rows)))
    head.info.setdefault("c", c)
    head.info.setdefault("class_weight", class_weight)
    return head


SHIPPED_HEAD = "resources/sentiment-head.npz"


@functools.lru_cache(maxsize=1)
def shipped_head() -> SentimentHead | None:
    """The shipped multilingual sentiment head (trained by scripts/train_sentiment_head.py), or None."""
    ref = resources.files("cxlens.text").joinpath(SHIPPED_HEAD)
    return SentimentHead.from_npz(Path(str(ref))) if ref.is_file() else None
