"""Themes found by meaning: a comment's embedding against each theme's example phrases, in any language.

Keywords find a theme only in the languages someone wrote keywords for. The shared multilingual
encoder (`cxlens.text.encoder`, USE multilingual v3) puts "my bill is wrong" and "فاتورتي خاطئة" close
together, so a theme's English `examples:` in themes.yaml reach Arabic, Chinese, Russian and German
comments too. A comment gets a theme by similarity when the cosine between its embedding and the
closest of the theme's examples (max over examples; the centroid was measured too, docs/text.md)

- reaches `ThemeSimilarity.cosine` (0.46), whatever the language, for the comment's closest theme
  (`margin` 0): a precise rule used alongside keywords that adds at most one theme per comment ("I was
  charged twice on my bill" is 0.89 from billing_errors and 0.47 from price_value: only billing counts); or
- for a theme with no keywords in the comment's language, stands out among the comment's
  similarities to all themes: z-score over the themes >= `ThemeSimilarity.z` (1.3). Cross-language
  cosines are lower than same-language ones, so a fixed cosine would miss most of them.

Both thresholds were chosen on the planted themes of one demo seed and measured on another
(docs/text.md "Themes across languages", architecture D-entry). The result is the union with the
keyword hits; `assign_themes_with_sources` says which rule found each theme.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from cxlens.text.themes import ThemeSet, assign_themes

KEYWORD, EMBEDDING, BOTH = "keyword", "embedding", "keyword+embedding"


@functools.lru_cache(maxsize=8)
def _example_vectors(serialised: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(theme ids, example embeddings (m, 512), owning theme index per example) of the pinned themes
    that have examples; cached per theme set content (the examples are encoded once per process)."""
    from cxlens.text.encoder import encode

    themes = ThemeSet.model_validate_json(serialised)
    ids, phrases, owner = [], [], []
    for theme in themes.themes:
        examples = [e for lang in sorted(theme.examples) for e in theme.examples[lang] if e and e.strip()]
        if not theme.pinned or not examples:
            continue
        ids.append(theme.id)
        phrases += examples
        owner += [len(ids) - 1] * len(examples)
    vectors = encode(phrases) if phrases else np.zeros((0, 0), dtype=np.float32)
    return tuple(ids), vectors, np.asarray(owner, dtype=int)


def theme_similarities(embeddings: np.ndarray, themes: ThemeSet) -> tuple[list[str], np.ndarray]:
    """(theme ids, (n, k) cosine of each comment to the closest example of each theme with examples).

    `embeddings` are `encode`d comments (rows L2-normalised, so the dot product is the cosine; a zero
    row, an empty comment, gets 0 everywhere).
    """
    ids, vectors, owner = _example_vectors(themes.model_dump_json())
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if not ids:
        return [], np.zeros((len(embeddings), 0), dtype=np.float32)
    cos = embeddings @ vectors.T
    out = np.full((len(embeddings), len(ids)), -1.0, dtype=np.float32)
    for k in range(len(ids)):
        out[:, k] = cos[:, owner == k].max(axis=1)
    return list(ids), out


def similar_themes(embeddings: np.ndarray, languages: Sequence[str], themes: ThemeSet) -> list[list[str]]:
    """Theme ids per comment found by similarity alone (the two rules in the module docstring)."""
    ids, sim = theme_similarities(embeddings, themes)
    n = len(languages)
    if not ids or n == 0:
        return [[] for _ in range(n)]
    rule = themes.similarity
    spread = sim.std(axis=1, keepdims=True)
    z = (sim - sim.mean(axis=1, keepdims=True)) / np.where(spread > 0, spread, 1.0)
    has_keywords = {t.id: {lang for lang, words in t.keywords.items() if words} for t in themes.themes}
    close = (sim >= rule.cosine) & (sim >= sim.max(axis=1, keepdims=True) - rule.margin)
    empty = ~np.any(np.asarray(embeddings) != 0, axis=1)
    out: list[list[str]] = []
    for i, lang in enumerate(languages):
        if empty[i]:
            out.append([])
            continue
        hit = []
        for k, theme_id in enumerate(ids):
            if close[i, k] or (lang not in has_keywords[theme_id] and z[i, k] >= rule.z):
                hit.append(theme_id)
        out.append(hit)
    return out


def assign_themes_with_sources(texts: Sequence[str | None], languages: Sequence[str], themes: ThemeSet | None = None,
                               embeddings: np.ndarray | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """(theme ids per text, how each was found: "keyword", "embedding" or "keyword+embedding").

    Keyword hits (`assign_themes`) united with similarity hits when `embeddings` (from `encode`, one row
    per text) are given; without them, keywords alone. Themes come in theme-set order.
    """
    themes = themes or ThemeSet.load()
    by_keyword = assign_themes(texts, languages, themes)
    if embeddings is None:
        return by_keyword, [[KEYWORD] * len(k) for k in by_keyword]
    if len(embeddings) != len(texts):
        raise ValueError(f"{len(embeddings)} embeddings for {len(texts)} texts; give one row per text")
    by_meaning = similar_themes(embeddings, languages, themes)
    order = {t: i for i, t in enumerate(themes.ids)}
    found, sources = [], []
    for kw, em in zip(by_keyword, by_meaning):
        ids = sorted(set(kw) | set(em), key=lambda t: order.get(t, len(order)))
        found.append(ids)
        sources.append([BOTH if t in kw and t in em else (KEYWORD if t in kw else EMBEDDING) for t in ids])
    return found, sources
