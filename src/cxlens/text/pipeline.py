"""One pipeline for every source of text: survey comments, ticket descriptions, call notes.

`analyze` takes texts (and optionally their languages and source) and returns one row per text in
input order: language, sentiment, score, themes and emotions. `analyze_file` streams a CSV or
Parquet file in batches so a file larger than memory can be scored.

Each stage reads only the head of a comment: language id the first LANGUAGE_ID_CHARS (2,000)
characters, sentiment, themes and emotions the first ANALYSIS_CHARS (5,000) (`text.language`), so
the time per batch does not depend on its longest comment. `analyze_store` goes through `analyze`,
so stored analyses read the same head.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd
import pyarrow as pa

from cxlens.errors import InputFileError, UsageError
from cxlens.text.language import detect_language
from cxlens.text.lexicon import detect_emotions
from cxlens.text.sentiment import SentimentModel
from cxlens.text.theme_similarity import assign_themes_with_sources
from cxlens.text.themes import ThemeSet

COLUMNS = ("source", "language", "sentiment", "sentiment_score", "themes", "theme_sources", "emotions")
log = logging.getLogger(__name__)
SOURCES = ("survey", "ticket", "interview", "call_note", "other")


@functools.lru_cache(maxsize=1)
def default_sentiment_model() -> SentimentModel:
    """Loaded once per process (training the non-shipped languages at first use, see sentiment.py)."""
    return SentimentModel.load()


def analyze(texts: Sequence[str | None], languages: Sequence[str | None] | None = None,
            source: str | Sequence[str] = "survey", sentiment: SentimentModel | None = None,
            themes: ThemeSet | None = None) -> pd.DataFrame:
    """Language, sentiment (label and score in [-1, 1]), theme ids and emotions for each text.

    `languages` may hold known codes (e.g. from the customer record); missing ones are detected.
    `source` says where the text came from (survey, ticket, interview, call_note) and is carried
    through so one theme report can cover every channel.
    """
    texts = ["" if t is None or (isinstance(t, float) and t != t) else str(t) for t in texts]
    if languages is not None:  # NaN / None / "" from a data frame all mean "not known"
        languages = [lang if isinstance(lang, str) and lang else None for lang in languages]
    detected = None
    if languages is None or any(not lang for lang in languages):
        detected = detect_language(texts)
    langs = [(lang if lang else detected[i]) if languages is not None else detected[i]
             for i, lang in enumerate(languages if languages is not None else [None] * len(texts))]
    model = sentiment or default_sentiment_model()
    themes = themes or ThemeSet.load()
    vectors = shared_embeddings(texts, model, themes)  # one encoder pass for sentiment and themes
    labels, scores = model.predict(texts, langs, embeddings=vectors)
    found, how = assign_themes_with_sources(texts, langs, themes, vectors)
    sources = [source] * len(texts) if isinstance(source, str) else list(source)
    return pd.DataFrame({
        "source": sources,
        "language": langs,
        "sentiment": labels,
        "sentiment_score": scores,
        "themes": found,
        "theme_sources": how,  # per theme: "keyword", "embedding" or "keyword+embedding" (not stored)
        "emotions": detect_emotions(texts, langs),
    })


def shared_embeddings(texts: Sequence[str], sentiment: SentimentModel, themes: ThemeSet):
    """`encode(texts)` once for every stage that reads embeddings (sentiment heads, theme examples), or
    None when none does; without the encoder installed, themes fall back to keywords with a warning."""
    from cxlens.text.encoder import ENCODER, encode, encoder_available

    wants_themes = any(t.examples and t.pinned for t in themes.themes)
    if not (wants_themes or getattr(sentiment, "heads", None)):
        return None
    if not encoder_available():
        if wants_themes:
            _warn_keywords_only(ENCODER["install"])
        return None
    return encode(texts)


@functools.lru_cache(maxsize=1)
def _warn_keywords_only(install: str) -> None:
    log.warning("themes are found by keywords only (a theme's examples: are not used, so a theme without keywords "
                "in a comment's language is missed): the multilingual encoder is not installed. Fix: `%s`", install)


def read_text_batches(path: str | Path, text_column: str, batch_size: int = 2000) -> Iterator[list]:
    """The text column of a CSV or Parquet file, batch by batch, without loading the whole file."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(str(path), "no such file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        if text_column not in pf.schema_arrow.names:
            raise InputFileError(str(path), f"no such column; columns are {pf.schema_arrow.names}", text_column)
        for batch in pf.iter_batches(batch_size=batch_size, columns=[text_column]):
            yield batch.column(0).to_pylist()
        return
    import pyarrow.csv as pcsv

    try:
        reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 20),
                               convert_options=pcsv.ConvertOptions(include_columns=[text_column],
                                                                   column_types={text_column: pa.string()}))
    except KeyError:
        raise InputFileError(str(path), "no such column in the header", text_column) from None
    except pa.ArrowInvalid as exc:
        raise InputFileError(str(path), f"cannot read as CSV: {exc}", text_column) from None
    buffer: list = []
    for batch in reader:
        buffer.extend(batch.column(0).to_pylist())
        while len(buffer) >= batch_size:
            yield buffer[:batch_size]
            buffer = buffer[batch_size:]
    if buffer:
        yield buffer


def analyze_file(path: str | Path, text_column: str, batch_size: int = 2000,
                 source: str = "survey") -> Iterator[pd.DataFrame]:
    """`analyze` over a file, one frame per batch, rows in file order (with a `row` number).

    The source is checked before the file is read, so a typo fails at once instead of after scoring.
    """
    if source not in SOURCES:
        raise UsageError("source", source, SOURCES)
    themes = ThemeSet.load()
    start = 0
    for texts in read_text_batches(path, text_column, batch_size):
        frame = analyze(texts, source=source, themes=themes)
        frame.insert(0, "row", range(start, start + len(texts)))
        start += len(texts)
        yield frame
