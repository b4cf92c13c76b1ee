"""Self-calibration: a sentiment head fitted on the company's own comments, labelled by the answer each came with.

Why: the shipped models were trained on product reviews and tweets; a company's comments talk about its
own products in its own words. Every survey answer that came with a comment is a label the company
already has: an NPS of 0-6 says the comment is more likely negative, 9-10 positive (CSAT 1-2 / 4-5
likewise). These weak labels are noisy (a detractor may praise the staff), but a linear head on the
multilingual encoder (`text.head`) learns the direction that separates them, in each language that has
enough of them.

`calibrate` fits one head per language on a training split of the weakly labelled comments (stratified,
seeded), scores it and the model the workspace uses now on the same held-out comments (agreement with
the weak label: the sign of the score), and keeps it only where it is better by `RULE`: the 95% interval
of the paired difference in accuracy (Newcombe 1998b) lies above 0 and the head's own Wilson interval
lies above 0.5 (better than a coin, which matters where the current model scores nothing). A kept head
is saved as `<folder>/calibrated-<lang>.npz`; `with_calibrated` puts the saved heads in front of a
`SentimentModel`, so the workspace's text analysis uses them ("calibrated head (workspace)"). A language
whose new head is not better loses an earlier calibrated head, so the folder always reflects the last run.
"""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, InputFileError
from cxlens.stats.intervals import paired_difference, wilson
from cxlens.text.head import SentimentHead, fit_head
from cxlens.text.language import ANALYSIS_CHARS, text_head
from cxlens.text.lexicon import lexicon_scores
from cxlens.text.sentiment import SentimentModel

CALIBRATED_NAME = "calibrated head (workspace)"
CALIBRATED_SOURCE = "calibrated"
# metric -> (highest negative score, lowest positive score); answers in between (NPS passives, CSAT 3) are left out
WEAK_LABELS: dict[str, tuple[float, float]] = {"nps": (6, 9), "csat": (2, 4)}
WEAK_LABEL_TEXT = "NPS 0-6 negative, 9-10 positive; CSAT 1-2 negative, 4-5 positive"
RULE = ("kept where the 95% interval of (calibrated - current) accuracy on the same held-out comments lies above 0 "
        "(Newcombe 1998b paired interval) and the calibrated head's Wilson interval lies above 0.5")
MIN_PER_CLASS = 30       # weakly labelled comments of each class a language needs before a head is fitted
TEST_SHARE = 0.3         # held-out share of a language's labelled comments
MAX_ROWS = 6000          # labelled comments per language used at most (a stratified sample): bounds the encoding time
Embed = Callable[[Sequence[str]], np.ndarray]


def weak_labels(metric: Sequence[str], score: Sequence[float]) -> np.ndarray:
    """'negative' / 'positive' per answer by `WEAK_LABELS`, None for passives, CSAT 3 and other metrics."""
    out = np.full(len(score), None, dtype=object)
    metric, score = np.asarray(metric, dtype=object), np.asarray(score, dtype=float)
    for name, (negative_max, positive_min) in WEAK_LABELS.items():
        mine = metric == name
        out[mine & (score <= negative_max)] = "negative"
        out[mine & (score >= positive_min)] = "positive"
    return out


def labelled_comments(store) -> pd.DataFrame:
    """Survey comments with their answer's weak label: response_id, text, language, metric, score, label.

    The language is chosen as the text analysis chooses it (`stored.choose_languages`: the answer's own
    language, else the customer's, when the text is in that script; else detected). Comments of answers
    without a weak label are left out.
    """
    from cxlens.text.stored import choose_languages, store_texts

    texts = store_texts(store, "survey")
    r = store.table("responses")
    answers = store.execute(r.filter(r.comment.notnull()).select(source_id=r.response_id.cast("string"),
                                                                  metric=r.metric, score=r.score))
    frame = texts.merge(answers, on="source_id", how="inner")
    frame["label"] = weak_labels(frame["metric"], frame["score"])
    frame = frame[frame["label"].notna()].reset_index(drop=True)
    frame["language"] = choose_languages(frame["text"].tolist(), frame["language"].tolist(),
                                         frame["customer_language"].tolist()) if len(frame) else []
    return frame.rename(columns={"source_id": "response_id"})[["response_id", "text", "language", "metric", "score",
                                                                "label"]]


@dataclass
class LanguageCalibration:
    """One language's result: rows used, both models' held-out accuracy with intervals, and the decision."""

    language: str
    labelled: int                      # weakly labelled comments in this language
    negative: int
    positive: int
    current_model: str = ""
    train: int = 0
    heldout: int = 0
    current_accuracy: float = float("nan")
    current_low: float = float("nan")
    current_high: float = float("nan")
    calibrated_accuracy: float = float("nan")
    calibrated_low: float = float("nan")
    calibrated_high: float = float("nan")
    difference: float = float("nan")
    difference_low: float = float("nan")
    difference_high: float = float("nan")
    used: bool = False
    decision: str = ""
    path: str | None = None
    train_ids: list[str] = field(default_factory=list, repr=False)
    heldout_ids: list[str] = field(default_factory=list, repr=False)
    head: SentimentHead | None = field(default=None, repr=False)

    def row(self) -> dict:
        """The figures as one record (no id lists, no head)."""
        skip = {"train_ids", "heldout_ids", "head"}
        return {k: v for k, v in self.__dict__.items() if k not in skip}


@dataclass
class CalibrationReport:
    """What `calibrate` did, one entry per language with weakly labelled comments."""

    languages: list[LanguageCalibration]
    folder: Path
    rule: str = RULE
    seconds: float = 0.0

    def rows(self) -> list[dict]:
        return [lang.row() for lang in self.languages]

    @property
    def used(self) -> list[str]:
        return [lang.language for lang in self.languages if lang.used]


def calibrated_path(folder: str | Path, language: str) -> Path:
    """Where the calibrated head of `language` is saved in a workspace's text-model folder."""
    return Path(folder) / f"calibrated-{language}.npz"


def calibrated_heads(folder: str | Path) -> dict[str, SentimentHead]:
    """The calibrated heads saved in `folder` by language (empty when there are none).

    A file that cannot be read is an error naming it, never skipped: the workspace's analysis would
    otherwise silently go back to the shipped model.
    """
    heads = {}
    for path in sorted(Path(folder).glob("calibrated-*.npz")):
        language = path.stem.removeprefix("calibrated-")
        try:
            head = SentimentHead.from_npz(path)
        except Exception as exc:
            raise InputFileError(str(path), f"cannot read the calibrated sentiment head ({exc}); run `cxlens text "
                                            "calibrate` again, or delete the file to use the default model") from None
        head.info["path"] = str(path)
        heads[language] = head
    return heads


def with_calibrated(sentiment: SentimentModel, folder: str | Path) -> SentimentModel:
    """`sentiment` with the calibrated heads saved in `folder` in front (a copy; `sentiment` is left as it is)."""
    heads = calibrated_heads(folder)
    if not heads:
        return sentiment
    out = copy.copy(sentiment)
    out.sources, out.heads, out.model_names = dict(sentiment.sources), dict(sentiment.heads), dict(sentiment.model_names)
    for language, head in heads.items():
        out.use_head(language, head, CALIBRATED_SOURCE, CALIBRATED_NAME)
    return out


def _binary_correct(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The sign of the score agrees with the weak label; a score of exactly 0 (no call) counts as wrong."""
    scores = np.asarray(scores, dtype=float)
    return np.where(labels == "positive", scores > 0, scores < 0)


def head_scores(head: SentimentHead, texts: Sequence[str], language: str, X: np.ndarray) -> np.ndarray:
    """Scores of a head on the embeddings `X` of `texts`, as `SentimentModel.predict` gives them (with the word
    lists' score added where the head has a `lexicon_weight`, as the shipped head does)."""
    lexicon = None
    if head.lexicon_weight:
        batch = [text_head(str(t), ANALYSIS_CHARS) for t in texts]
        lexicon = np.asarray(lexicon_scores(batch, [language] * len(batch)))
    return np.asarray(head.labels_and_scores(X, lexicon)[1], dtype=float)


def _current_scores(sentiment: SentimentModel, language: str, texts: list[str], X: np.ndarray) -> np.ndarray:
    if language in sentiment.heads:  # an encoder head: reuse the embeddings instead of encoding again
        return head_scores(sentiment.heads[language], texts, language, X)
    return np.asarray(sentiment.predict(texts, [language] * len(texts))[1], dtype=float)


def _split(labels: np.ndarray, seed: int, test_share: float, max_rows: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(labels))
    if len(rows) > max_rows:
        rows, _ = train_test_split(rows, train_size=max_rows, stratify=labels, random_state=seed)
    train, test = train_test_split(rows, test_size=test_share, stratify=labels[rows], random_state=seed)
    return np.sort(train), np.sort(test)


def _accuracy(correct: np.ndarray) -> tuple[float, float, float]:
    k, n = int(correct.sum()), len(correct)
    low, high = wilson(k, n)
    return k / n, float(low[0]), float(high[0])


def calibrate_language(frame: pd.DataFrame, language: str, current: SentimentModel, embed: Embed, *,
                       seed: int = 0, test_share: float = TEST_SHARE, max_rows: int = MAX_ROWS) -> LanguageCalibration:
    """Fit and judge one language's head on its weakly labelled comments (`labelled_comments` rows)."""
    labels = frame["label"].to_numpy(dtype=object)
    counts = {c: int((labels == c).sum()) for c in ("negative", "positive")}
    result = LanguageCalibration(language, len(frame), counts["negative"], counts["positive"],
                                 current_model=current.model_names.get(language, "none (language not scored)"))
    if min(counts.values()) < MIN_PER_CLASS:
        result.decision = (f"not fitted: {counts['negative']} negative and {counts['positive']} positive answers with "
                           f"a comment; at least {MIN_PER_CLASS} of each are needed")
        return result
    train, test = _split(labels, seed, test_share, max_rows)
    rows = np.concatenate([train, test])
    X = embed(frame["text"].iloc[rows].tolist())
    X_train, X_test = X[:len(train)], X[len(train):]
    ids = frame["response_id"].astype(str).to_numpy()
    head = fit_head(X_train, labels[train].astype(str), seed=seed, info={
        "language": language, "trained_on": f"{len(train)} comments of this workspace, weakly labelled by their answer "
                                            f"({WEAK_LABEL_TEXT})",
        "licence": "the company's own data; encoder Apache-2.0", "seed": seed})
    test_labels = labels[test]
    mine = _binary_correct(head.labels_and_scores(X_test)[1], test_labels)
    theirs = _binary_correct(_current_scores(current, language, frame["text"].iloc[test].tolist(), X_test), test_labels)
    result.train, result.heldout = len(train), len(test)
    result.train_ids, result.heldout_ids, result.head = ids[train].tolist(), ids[test].tolist(), head
    result.calibrated_accuracy, result.calibrated_low, result.calibrated_high = _accuracy(mine)
    result.current_accuracy, result.current_low, result.current_high = _accuracy(theirs)
    low, high = paired_difference((mine & theirs).sum(), (mine & ~theirs).sum(), (~mine & theirs).sum(),
                                  (~mine & ~theirs).sum())
    result.difference = result.calibrated_accuracy - result.current_accuracy
    result.difference_low, result.difference_high = float(low[0]), float(high[0])
    result.used = result.difference_low > 0 and result.calibrated_low > 0.5
    if result.used:
        result.decision = "used: better than the current model on the held-out comments"
    elif result.calibrated_low <= 0.5:
        result.decision = "not used: not clearly better than a coin on the held-out comments"
    else:
        result.decision = "not used: not clearly better than the current model on the held-out comments"
    head.info.update({
        "id": hashlib.sha1(head.weights.tobytes() + head.bias.tobytes()).hexdigest()[:12],
        "calibrated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "heldout": {"n": len(test), "binary_accuracy": round(result.calibrated_accuracy, 4),
                    "low": round(result.calibrated_low, 4), "high": round(result.calibrated_high, 4),
                    "on": "held-out comments of this workspace, agreement with the answer's weak label",
                    "compared_with": result.current_model, "current_accuracy": round(result.current_accuracy, 4),
                    "difference_low": round(result.difference_low, 4), "difference_high": round(result.difference_high, 4)}})
    return result


def calibrate(store, folder: str | Path, current: SentimentModel, *, embed: Embed | None = None, seed: int = 0,
              test_share: float = TEST_SHARE, max_rows: int = MAX_ROWS, languages: Sequence[str] | None = None,
              save: bool = True) -> CalibrationReport:
    """Fit, judge and (where better by `RULE`) save one calibrated head per language of the store's survey comments.

    `current` is the model the workspace uses without calibration (the comparison); `folder` is where the
    heads are saved (a workspace's `.cxlens/text`). With `save=False` nothing is written or removed.
    `embed` defaults to the multilingual encoder (`text.encoder.encode`); raises AnalysisError when it is not
    installed or the store holds no weakly labelled comment.
    """
    import time

    started = time.perf_counter()
    if embed is None:
        from cxlens.text.encoder import ENCODER, encode, encoder_available

        if not encoder_available():
            raise AnalysisError(f"self-calibration needs the multilingual encoder: {ENCODER['install']}")
        embed = encode
    frame = labelled_comments(store)
    if frame.empty:
        raise AnalysisError("no survey comment comes with an NPS or CSAT answer that labels it (NPS 0-6 or 9-10, "
                            "CSAT 1-2 or 4-5): load survey answers with comments first (`cxlens load`)")
    folder = Path(folder)
    wanted = list(languages) if languages else frame["language"].value_counts().index.tolist()
    report = CalibrationReport([], folder)
    for language in wanted:
        if language in (None, "", "und"):
            continue
        result = calibrate_language(frame[frame["language"] == language].reset_index(drop=True), language, current,
                                    embed, seed=seed, test_share=test_share, max_rows=max_rows)
        path = calibrated_path(folder, language)
        if save and result.used and result.head is not None:
            partial = result.head.to_npz(folder / f".{path.name}.{os.getpid()}.partial")
            os.replace(partial, path)  # atomic: an analysis running now reads the old head or the new one
            result.path = str(path)
        elif save and path.exists():
            path.unlink()
            result.decision += f"; the earlier calibrated head ({path.name}) was removed"
        report.languages.append(result)
    report.seconds = time.perf_counter() - started
    return report
