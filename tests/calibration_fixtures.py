"""Workspaces whose survey comments carry a planted polarity, for the self-calibration tests (text/calibrate.py).

Customers in two languages (en, de) answer NPS and CSAT questions with a comment; the comments of negative
answers (NPS 0-6, CSAT 1-2) are built from one set of phrases and those of positive answers (NPS 9-10,
CSAT 4-5) from another, so a head fitted on the weak labels must recover them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

PHRASES = {
    "en": {"negative": ["the bill was wrong again", "nobody called me back", "calls drop every evening",
                        "the refund took two months", "hidden fees on every invoice", "the app crashes at login"],
           "positive": ["the staff were lovely", "my problem was fixed in minutes", "coverage is excellent everywhere",
                        "the invoice is clear and fair", "a quick and kind answer", "the new phone arrived next day"]},
    "de": {"negative": ["die Rechnung war schon wieder falsch", "niemand hat mich zurückgerufen",
                        "jeden Abend bricht die Verbindung ab", "die Erstattung dauerte zwei Monate",
                        "versteckte Gebühren auf jeder Rechnung", "die App stürzt beim Anmelden ab"],
           "positive": ["das Personal war sehr freundlich", "mein Problem war in Minuten gelöst",
                        "der Empfang ist überall hervorragend", "die Rechnung ist klar und fair",
                        "eine schnelle und nette Antwort", "das neue Handy kam am nächsten Tag"]},
}
JOURNEY = """
stages: [support, advocacy]
touchpoints:
  - {id: call, name: Call, stage: support, channel: call_center}
  - {id: relationship, name: Relationship, stage: advocacy}
"""


def planted_frames(n: int = 600, seed: int = 1, random_labels: bool = False) -> dict[str, pd.DataFrame]:
    """Customers and answers: polarity of each comment follows its answer's weak label (or not, `random_labels`)."""
    rng = np.random.default_rng(seed)
    languages = rng.choice(["en", "de"], n)
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "language": languages})
    metric = rng.choice(["nps", "csat"], n, p=[0.8, 0.2])
    negative = rng.random(n) < 0.5
    nps = np.where(negative, rng.integers(0, 7, n), rng.integers(9, 11, n))
    csat = np.where(negative, rng.integers(1, 3, n), rng.integers(4, 6, n))
    polarity = np.where(rng.random(n) < 0.5, "negative", "positive") if random_labels else \
        np.where(negative, "negative", "positive")
    comments = []
    for lang, pol in zip(languages, polarity):
        first, second = rng.choice(PHRASES[lang][pol], 2, replace=False)
        comments.append(f"{first[0].upper()}{first[1:]}, {second}.")
    # passives and CSAT 3 carry a comment too: they are left out of the weak labels
    passive = rng.random(n) < 0.1
    score = np.where(metric == "nps", np.where(passive, 7, nps), np.where(passive, 3, csat))
    responses = pd.DataFrame({
        "response_id": [f"R{i}" for i in range(n)], "customer_id": customers["customer_id"],
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
        "touchpoint_id": np.where(metric == "nps", "relationship", "call"), "metric": metric,
        "score": score.astype(float), "comment": comments, "language": languages})
    return {"customers": customers, "responses": responses, "truth": pd.DataFrame(
        {"response_id": responses["response_id"], "polarity": polarity, "passive": passive})}


def planted_workspace(root: Path, **kwargs) -> tuple[Path, pd.DataFrame]:
    """A workspace at `root` holding the planted answers; returns (root, truth)."""
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store
    from cxlens.workspace import Workspace, init

    init(root)
    frames = planted_frames(**kwargs)
    (root / "journey.yaml").write_text(textwrap.dedent(JOURNEY).lstrip(), encoding="utf-8")
    ws = Workspace.open(root)
    with Store.open(ws.store_url) as store:
        sync_journey(store, read_journey(ws.journey_path))
        for kind in ("customers", "responses"):
            path = root / f"{kind}.csv"
            frames[kind].to_csv(path, index=False)
            load(store, path, kind)
    return root, frames["truth"]


def bag_of_words(texts) -> np.ndarray:
    """A stand-in encoder for fast tests: hashed word counts, L2-normalised, 512 columns like the real one."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=512, alternate_sign=False, norm="l2").transform(list(texts)).toarray() \
        .astype(np.float32)
