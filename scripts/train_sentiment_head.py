"""Train the shipped multilingual sentiment head: src/cxlens/text/resources/sentiment-head.npz.

Run: .venv/bin/python scripts/train_sentiment_head.py [--corpus DIR] [--out PATH] [--embeddings DIR]
(--embeddings: a folder of emb-<lang>.npy, the `encode`d rows of each corpus in load_corpus order,
so a rerun need not encode 50,000 texts again on 2 cores.)

Only rows whose licence allows shipping a model trained on them are used: the English corpus (en.csv of
shared/data/sentiment), whose sources are the Women's E-Commerce Clothing Reviews (CC0) and the UCI
Sentiment Labelled Sentences (CC BY 4.0, Kotzias et al. 2015); see sentiment/sources/en_reviews.SOURCE.txt.
The head is fitted on the English train + dev rows of the fixed split (corpus.split_indices) with the
settings chosen on the dev rows (docs/text.md, "Out of the box"), and its binary accuracy and 3-class
macro-F1 on the test rows of every corpus present (ar, zh, ru, de are only measured, never trained on)
are recorded inside the file with what it was trained on and the licence.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from cxlens.text.corpus import corpus_file, default_corpus_dir, load_corpus, split_indices
from cxlens.text.encoder import ENCODER, encode
from cxlens.text.head import fit_head
from cxlens.text.lexicon import lexicon_scores
from cxlens.text.sentiment_training import label_metrics

SHIPPABLE_SOURCES = {"womens-clothing-reviews": "CC0 1.0 (Women's E-Commerce Clothing Reviews)",
                     "uci-amazon": "CC BY 4.0 (UCI Sentiment Labelled Sentences, Kotzias et al. 2015)",
                     "uci-yelp": "CC BY 4.0 (UCI Sentiment Labelled Sentences, Kotzias et al. 2015)",
                     "uci-imdb": "CC BY 4.0 (UCI Sentiment Labelled Sentences, Kotzias et al. 2015)"}
# Chosen on the dev rows of all five corpora (head fitted on the English train rows; docs/text.md, "Out of
# the box", has the comparison): positive/negative rows only (English neutral = 3-star reviews did not carry
# over), balanced classes, C=1, the shipped word lists' words as in-language anchors (repeated 20 times),
# the word-list score added with weight 1 at scoring time, neutral when |score| < 0.4.
C = 1.0
CLASS_WEIGHT = "balanced"
THREE_CLASS = False
LEXICON_REPEATS = 20
LEXICON_WEIGHT = 1.0
NEUTRAL_BAND = 0.4
SEED = 0


def lexicon_anchors() -> tuple[list[str], np.ndarray]:
    """The shipped word lists' sentiment words in all five languages, labelled by their list."""
    from cxlens.text.lexicon import _lexicon

    words, labels = [], []
    for polarity in ("positive", "negative"):
        for lang_words in _lexicon()["sentiment"][polarity].values():
            words += [str(w) for w in lang_words]
            labels += [polarity] * len(lang_words)
    return words, np.array(labels)


def training_rows(corpus_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """English train + dev rows from shippable sources: (texts, labels, test texts, test labels...)."""
    import pandas as pd

    frame = pd.read_csv(corpus_dir / "en.csv").dropna(subset=["text", "label"])
    frame = frame[frame["label"].isin(["negative", "neutral", "positive"])].reset_index(drop=True)
    unknown = sorted(set(frame["source"]) - set(SHIPPABLE_SOURCES))
    if unknown:
        raise SystemExit(f"en.csv holds rows from {unknown}, whose licence is not known to allow shipping")
    split = split_indices(frame["label"])  # the same rows as load_corpus("en"): same filtering, same order
    rows = np.sort(np.concatenate([split.train, split.dev]))
    if not THREE_CLASS:
        rows = rows[frame["label"].to_numpy()[rows] != "neutral"]
    counts = frame["source"].iloc[rows].value_counts().to_dict()
    return frame["text"].astype(str).to_numpy()[rows], frame["label"].to_numpy()[rows], rows, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=default_corpus_dir())
    parser.add_argument("--embeddings", type=Path, default=None)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "src/cxlens/text/resources/sentiment-head.npz")
    args = parser.parse_args()
    if args.corpus is None or not (args.corpus / "en.csv").is_file():
        raise SystemExit("no en.csv: pass --corpus DIR (shared/data/sentiment)")
    texts, labels, rows, counts = training_rows(args.corpus)
    def embedded(lang: str, texts, rows) -> np.ndarray:
        path = args.embeddings / f"emb-{lang}.npy" if args.embeddings else None
        return np.load(path)[rows] if path is not None and path.is_file() else encode(list(texts))

    t = time.perf_counter()
    X = embedded("en", texts, rows)
    print(f"encoded {len(texts)} English rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    info = {"encoder": ENCODER["name"], "trained_on": f"en.csv train + dev rows of the fixed split ({len(rows)} rows)",
            "training_rows_by_source": counts,
            "licence": "; ".join(sorted({SHIPPABLE_SOURCES[s] for s in counts})),
            "settings": {"C": C, "class_weight": CLASS_WEIGHT, "three_class": THREE_CLASS, "seed": SEED},
            "trained_by": "scripts/train_sentiment_head.py"}
    words, word_labels = lexicon_anchors()
    Xw = encode(words)
    info["lexicon_anchors"] = f"{len(words)} words of text/resources/lexicon.yaml x {LEXICON_REPEATS}"
    head = fit_head(np.vstack([X] + [Xw] * LEXICON_REPEATS), np.concatenate([labels] + [word_labels] * LEXICON_REPEATS),
                    seed=SEED, c=C, class_weight=CLASS_WEIGHT, info=info)
    head.lexicon_weight, head.neutral_band = LEXICON_WEIGHT, NEUTRAL_BAND
    test_metrics = {}
    for lang in ("en", "ar", "zh", "ru", "de"):
        if corpus_file(lang, args.corpus) is None:
            continue
        frame = load_corpus(lang, args.corpus)
        test = split_indices(frame["label"]).test
        lexicon = np.asarray(lexicon_scores(frame["text"].iloc[test].tolist(), [lang] * len(test)))
        pred, score = head.labels_and_scores(embedded(lang, frame["text"].iloc[test], test), lexicon)
        test_metrics[lang] = {k: round(v, 4) if isinstance(v, float) else v
                              for k, v in label_metrics(frame["label"].iloc[test], pred, score).items()}
        print(lang, test_metrics[lang], file=sys.stderr)
    head.info["test_metrics"] = test_metrics
    head.info["id"] = hashlib.sha1(head.weights.tobytes() + head.bias.tobytes()).hexdigest()[:12]
    head.to_npz(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
