"""Self-calibration on the demo company: calibrated head vs shipped head vs the default model, against planted truth.

Run: .venv/bin/python bench/text_calibration.py WORKSPACE [--embeddings FILE.npz] [--save]
(WORKSPACE made by `cxlens demo --dir WORKSPACE`; its data/comments_truth.csv holds each comment's planted
language and themes).

1. `cxlens.text.calibrate.calibrate` on the workspace's store, against the default sentiment model: per
   language the weak-label figures `cxlens text calibrate` prints (held-out comments, agreement with the
   answer's weak label).
2. Planted truth: the demo's comments whose planted themes are all negative or all positive, in each
   language, minus the comments the calibrated head was trained on (every other comment: its held-out
   rows, passives, unlabelled answers). On them: binary accuracy (sign of the score) of the calibrated
   head, the shipped encoder head and the default model, with 95% Wilson intervals, and the paired
   difference calibrated - shipped (Newcombe 1998b).

Embeddings of the stored comments are computed once and kept in --embeddings (default
bench/out/text_calibration/embeddings-<workspace name>.npz), so a rerun takes seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.demo.params import NEGATIVE_THEMES
from cxlens.stats.intervals import paired_difference, wilson
from cxlens.text.calibrate import calibrate, head_scores
from cxlens.text.encoder import encode
from cxlens.text.head import shipped_head
from cxlens.text.sentiment import SentimentModel
from cxlens.text.stored import store_texts
from cxlens.workspace import Workspace

OUT = Path(__file__).resolve().parent / "out" / "text_calibration"


def planted_polarity(themes: str) -> str | None:
    """'negative' / 'positive' when every planted theme of a comment has that polarity, else None (mixed)."""
    kinds = {"negative" if t in NEGATIVE_THEMES else "positive" for t in str(themes).split(";") if t}
    return kinds.pop() if len(kinds) == 1 else None


def embeddings(texts: pd.DataFrame, path: Path) -> dict[str, np.ndarray]:
    """response_id -> embedding of its stored comment, from `path` when it holds them all, else encoded now."""
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            ids, X = z["ids"].tolist(), z["X"]
        if set(texts["source_id"]) <= set(ids):
            return dict(zip(ids, X))
    t = time.perf_counter()
    X = encode(texts["text"].tolist())
    print(f"encoded {len(texts)} comments in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, ids=np.asarray(texts["source_id"].tolist()), X=X)
    return dict(zip(texts["source_id"], X))


def accuracy(correct: np.ndarray) -> dict:
    low, high = wilson(int(correct.sum()), len(correct))
    return {"acc": round(float(correct.mean()), 4), "low": round(float(low[0]), 4), "high": round(float(high[0]), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--embeddings", type=Path, default=None)
    parser.add_argument("--save", action="store_true", help="save the calibrated heads in the workspace")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ws = Workspace.open(args.workspace)
    truth = pd.read_csv(ws.root / "data" / "comments_truth.csv")
    truth["polarity"] = truth["themes"].map(planted_polarity)
    default = SentimentModel.load()
    with ws.store() as store:
        texts = store_texts(store, "survey")
        vectors = embeddings(texts, args.embeddings or OUT / f"embeddings-{ws.root.name}.npz")
        lookup = dict(zip(texts["text"], texts["source_id"]))

        def embed(batch):
            return np.stack([vectors[lookup[t]] for t in batch])

        t = time.perf_counter()
        report = calibrate(store, ws.text_models_dir if args.save else OUT / "heads", default, embed=embed,
                           seed=args.seed, save=args.save)
        seconds = time.perf_counter() - t
    shipped = shipped_head()
    text_of = dict(zip(texts["source_id"], texts["text"]))
    rows = []
    for cal in report.languages:
        if cal.head is None:
            continue
        lang = cal.language
        sel = truth[(truth["language"] == lang) & truth["polarity"].notna() & ~truth["response_id"].isin(cal.train_ids)
                    & truth["response_id"].isin(vectors.keys())]
        X = np.stack([vectors[r] for r in sel["response_id"]])
        y_pos = (sel["polarity"] == "positive").to_numpy()

        def right(scores: np.ndarray) -> np.ndarray:
            return np.where(y_pos, scores > 0, scores < 0)

        texts_sel = [text_of[r] for r in sel["response_id"]]
        mine = right(head_scores(cal.head, texts_sel, lang, X))
        default_scores = (head_scores(default.heads[lang], texts_sel, lang, X) if lang in default.heads else
                          np.asarray(default.predict(texts_sel, [lang] * len(sel))[1]))
        row = {"language": lang, "planted_comments": len(sel), "weak_train": cal.train, "weak_heldout": cal.heldout,
               "weak_current": round(cal.current_accuracy, 4), "weak_calibrated": round(cal.calibrated_accuracy, 4),
               "used": cal.used, "default_model": default.model_names.get(lang), "calibrated": accuracy(mine),
               "default": accuracy(right(default_scores))}
        if shipped is not None:
            theirs = right(head_scores(shipped, texts_sel, lang, X))
            low, high = paired_difference((mine & theirs).sum(), (mine & ~theirs).sum(), (~mine & theirs).sum(),
                                          (~mine & ~theirs).sum())
            row["shipped_head"] = accuracy(theirs)
            row["calibrated_minus_shipped"] = {"diff": round(float(mine.mean() - theirs.mean()), 4),
                                               "low": round(float(low[0]), 4), "high": round(float(high[0]), 4)}
        rows.append(row)
    result = {"workspace": str(ws.root), "calibrate_seconds": round(seconds, 1), "rule": report.rule, "rows": rows}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"result-{ws.root.name}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
