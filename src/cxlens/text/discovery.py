"""Proposing themes the pinned list does not cover yet.

Within each language, comments are clustered by k-means (fixed seed, 10 restarts: `n_init`) on their
sentence embeddings (`cxlens.text.encoder`, USE multilingual v3) when the encoder is installed, else on
TF-IDF reduced by LSA (unit vectors), with a warning. On the negative airline tweets the embeddings agree
far better with the annotated reasons (AMI) and across seeds (ARI) than LSA: docs/text.md "Discovery on
embeddings". Clusters are lined up across languages through the pinned themes (keywords and, with
embeddings, example similarity): a cluster whose comments mostly hit a pinned theme is reported under
that theme's English id, so an Arabic and an English billing cluster share a row. Clusters no theme
explains are new-theme candidates, named by their top words in their own language (without a
translation model we do not pretend to translate them); pin them in themes.yaml.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from cxlens.text.theme_similarity import assign_themes_with_sources
from cxlens.text.themes import ThemeSet

log = logging.getLogger(__name__)


@dataclass
class DiscoveredTheme:
    """A cluster of comments: its language, top words, size, examples, and the theme it matches."""

    id: str
    language: str
    keywords: list[str]
    size: int
    examples: list[str] = field(default_factory=list)
    aligned_to: str | None = None


def cluster_texts(texts: Sequence[str], language: str = "en", k: int = 10, seed: int = 0,
                  embed: Callable[[Sequence[str]], np.ndarray] | None = None) -> tuple[np.ndarray, list[list[str]]]:
    """(cluster label per text, top words per cluster): k-means (`seed`, 10 restarts) on TF-IDF LSA, or on
    the vectors `embed(texts)` returns (sentence embeddings); top words from TF-IDF either way."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    if language in ("zh", "ja"):
        vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2, max_df=0.7)
    else:
        vec = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.7, ngram_range=(1, 2),
                              stop_words="english" if language == "en" else None,
                              token_pattern=r"(?u)\b[^\W\d_]{2,}\b")
    tfidf = vec.fit_transform(texts)
    k = max(1, min(k, len(texts) // 2, tfidf.shape[1]))
    if embed is not None:
        points = normalize(np.asarray(embed(list(texts))))
    else:
        dim = max(2, min(100, tfidf.shape[1] - 1, len(texts) - 1))
        points = normalize(TruncatedSVD(dim, random_state=seed).fit_transform(tfidf))
    labels = KMeans(k, random_state=seed, n_init=10).fit_predict(points)
    terms = np.asarray(vec.get_feature_names_out())
    top = []
    for c in range(k):
        rows = tfidf[labels == c]
        weight = np.asarray(rows.mean(axis=0)).ravel() if rows.shape[0] else np.zeros(len(terms))
        top.append([str(t) for t in terms[np.argsort(-weight)[:6]]])
    return labels, top


def discover_themes(texts: Sequence[str], languages: Sequence[str], themes: ThemeSet | None = None,
                    per_language_k: int = 8, min_size: int = 5, seed: int = 0,
                    embeddings: np.ndarray | None = None) -> list[DiscoveredTheme]:
    """Clusters per language, each aligned to a pinned theme when most of its comments hit one.

    Clustered on sentence embeddings (`embeddings`, one `encode`d row per text; encoded here when not
    given and the encoder is installed), else on TF-IDF LSA with a warning naming the fix.
    """
    themes = themes or ThemeSet.load()
    if embeddings is None:
        from cxlens.text.encoder import ENCODER, encode, encoder_available

        if encoder_available():
            embeddings = encode(list(texts))
        else:
            log.warning("theme discovery clusters TF-IDF LSA vectors (less stable, lower agreement with annotated "
                        "reasons, docs/text.md): the multilingual encoder is not installed. Fix: `%s`", ENCODER["install"])
    assigned = assign_themes_with_sources(texts, languages, themes, embeddings)[0]
    out: list[DiscoveredTheme] = []
    for lang in sorted(set(languages)):
        idx = [i for i, l in enumerate(languages) if l == lang and texts[i]]
        if len(idx) < max(2 * min_size, 10):
            continue
        vectors = None if embeddings is None else np.asarray(embeddings)[idx]
        labels, top = cluster_texts([texts[i] for i in idx], lang, per_language_k, seed,
                                    embed=None if vectors is None else (lambda _, v=vectors: v))
        for c, words in enumerate(top):
            members = [idx[j] for j in np.flatnonzero(labels == c)]
            if len(members) < min_size:
                continue
            hits = Counter(t for i in members for t in assigned[i])
            theme, count = hits.most_common(1)[0] if hits else (None, 0)
            aligned = theme if count >= 0.5 * len(members) else None
            out.append(DiscoveredTheme(id=aligned or f"new_{lang}_{c}", language=lang, keywords=words,
                                       size=len(members), examples=[texts[i] for i in members[:3]],
                                       aligned_to=aligned))
    return sorted(out, key=lambda d: (d.aligned_to is None, d.id, -d.size))
