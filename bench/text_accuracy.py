"""Benchmark for cxlens.text: sentiment accuracy vs the baseline, theme AMI, speed, memory, size.

Run: .venv/bin/python bench/text_accuracy.py  (needs ../shared/data; prints one table per part).
Sentiment: both models are fitted on the fixed train split and scored on the test split
(cxlens.text.corpus.split_indices); nothing here was tuned on the test rows.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text import SentimentModel, analyze
from cxlens.text.corpus import corpus_file, default_corpus_dir, load_corpus, split_indices
from cxlens.text.discovery import cluster_texts
from cxlens.text.sentiment import _shipped_path, build_baseline, build_pipeline, cache_dir, evaluate

LANGS = ["en", "ar", "zh", "ru", "de"]


def sentiment_table() -> pd.DataFrame:
    rows = []
    for lang in LANGS:
        if corpus_file(lang) is None:
            continue
        frame = load_corpus(lang)
        split = split_indices(frame.label)
        x, y = frame.text.to_numpy(), frame.label.to_numpy()
        for name, pipe in (("baseline", build_baseline()), ("cxlens", build_pipeline(lang))):
            t = time.perf_counter()
            pipe.fit(list(x[split.train]), y[split.train])
            fit_s = time.perf_counter() - t
            m = evaluate(pipe, list(x[split.test]), y[split.test])
            rows.append({"lang": lang, "model": name, "train": len(split.train), "test": m["n"],
                         "bin_acc": m["binary_accuracy"], "bin_f1": m["binary_macro_f1"],
                         "f1_3class": m["macro_f1_3class"], "fit_s": fit_s})
    return pd.DataFrame(rows)


def theme_ami() -> pd.DataFrame:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import adjusted_mutual_info_score

    path = Path(default_corpus_dir() or ".").parent / "twitter_airline_sentiment" / "Tweets.csv"
    if not path.is_file():
        return pd.DataFrame()
    d = pd.read_csv(path)
    d = d[d.airline_sentiment == "negative"].dropna(subset=["negativereason"])
    y, k = d.negativereason.to_numpy(), d.negativereason.nunique()
    base = KMeans(k, random_state=0, n_init=10).fit_predict(TfidfVectorizer().fit_transform(d.text))
    texts = d.text.str.replace(r"@\w+|http\S+", " ", regex=True).tolist()
    ours, _ = cluster_texts(texts, "en", k=k)
    return pd.DataFrame([{"method": "TF-IDF + k-means (baseline)", "AMI": adjusted_mutual_info_score(y, base)},
                         {"method": "cxlens discovery (LSA + k-means)", "AMI": adjusted_mutual_info_score(y, ours)}])


def speed() -> pd.DataFrame:
    texts = []
    for lang in LANGS:
        if corpus_file(lang) is not None:
            texts += load_corpus(lang).text.sample(1000, random_state=1).str.slice(0, 300).tolist()
    model = SentimentModel.load()
    analyze(texts[:50], sentiment=model)  # warm-up: lingua models, theme matcher
    t = time.perf_counter()
    analyze(texts, sentiment=model)
    dt = time.perf_counter() - t
    sizes = {f"sentiment-{lang}": (p.stat().st_size if (p := (_shipped_path(lang) or cache_dir() / "text" / f"sentiment-{lang}.joblib")).is_file() else 0)
             for lang in LANGS}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [{"what": "pipeline comments/s (mixed 5 languages, <=300 chars)", "value": len(texts) / dt},
            {"what": "peak RSS of this process, MB", "value": rss_mb}]
    rows += [{"what": f"{k} on disk, MB ({model.sources.get(k[-2:], '?')})", "value": v / 1e6} for k, v in sizes.items()]
    return pd.DataFrame(rows)


def main() -> int:
    pd.set_option("display.width", 160)
    pd.set_option("display.float_format", lambda v: f"{v:.3f}")
    print("## Sentiment (held-out test split)")
    print(sentiment_table().to_string(index=False))
    print("\n## Theme discovery vs negativereason (airline negative tweets)")
    print(theme_ami().to_string(index=False))
    print("\n## Speed, memory, size (2 cores)")
    print(speed().to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
