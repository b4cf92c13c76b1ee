"""Text analysis of everything in the store, kept in `comment_analysis` and brought up to date incrementally.

`analyze_store` runs every survey comment, ticket description and note through the same pipeline
as `analyze` and keeps one row per text in `comment_analysis`, keyed by (source, source_id). A text
is analysed again only when its SHA-1 or the analysis version (sentiment models + theme set)
changed; analyses of rows that left the store (erased customers, deleted tickets) are removed.
`stored_analyses` reads them back for impact, filters and reports, so nothing is scored twice.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Sequence

import ibis
import pandas as pd
import pyarrow as pa

from cxlens.errors import UsageError
from cxlens.text.language import LANGUAGE_ID_CHARS, detect_language, script_counts, text_head
from cxlens.text.sentiment import SentimentModel
from cxlens.text.themes import ThemeSet

TABLE = "comment_analysis"
KEY = ["source", "source_id"]
PIPELINE_VERSION = 2  # 2: comments read up to the caps in text/language.py; bump when the pipeline itself (not its models or themes) changes what it stores
SEPARATOR = ";"       # themes and emotions are stored as "billing_errors;waiting_time" (portable across engines)

# source -> (table, id column, text column, own language column or None)
STORE_SOURCES: dict[str, tuple[str, str, str, str | None]] = {
    "survey": ("responses", "response_id", "comment", "language"),
    "ticket": ("tickets", "ticket_id", "description", None),
    "note": ("notes", "note_id", "text", "language"),
}
COMMIT_EVERY = 10_000  # analysed rows per transaction: an interrupted run keeps what it finished
BATCH = 2_000

Progress = Callable[[str, int, int], None]  # (source, texts done, texts to analyse)


@dataclass
class AnalyzeReport:
    """What `analyze_store` did, per source: texts in the store, analysed, skipped (unchanged), removed."""

    model: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def analysed(self) -> int:
        return sum(c["analysed"] for c in self.counts.values())

    def rows(self) -> list[dict]:
        """One record per source, for a table."""
        return [{"source": s, **c} for s, c in self.counts.items()]


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


MODELS_META = "text_models"  # cxlens_meta key: {"version": analysis version, "models": {language: model name}}


def analysis_version(sentiment: SentimentModel, themes: ThemeSet) -> str:
    """Fingerprint of what decides an analysis: pipeline version, each language's model, the theme set.

    Retraining a model (its held-out metrics change) or editing themes.yaml changes it, so the next
    `analyze_store` re-analyses every text; an unchanged setup leaves it equal and texts are skipped.
    """
    models = {lang: [sentiment.sources.get(lang), m.get("version"), m.get("metrics")]
              for lang, m in sorted(sentiment.models.items())}
    models["_lexicon"] = sorted(lang for lang, src in sentiment.sources.items() if src == "lexicon")
    models["_heads"] = {lang: [sentiment.sources.get(lang), head.info.get("id"), head.temperature]
                        for lang, head in sorted(sentiment.heads.items())}
    s = hashlib.sha1(json.dumps(models, sort_keys=True, default=str).encode()).hexdigest()[:10]
    t = hashlib.sha1(themes.model_dump_json().encode()).hexdigest()[:10]
    return f"cxlens-text/{PIPELINE_VERSION} sentiment:{s} themes:{t}"


def check_sources(source: str | Sequence[str]) -> list[str]:
    """'all', one source or a list of them -> validated list."""
    wanted = list(STORE_SOURCES) if source in ("all", None) else ([source] if isinstance(source, str) else list(source))
    unknown = [s for s in wanted if s not in STORE_SOURCES]
    if unknown:
        raise UsageError("source", ",".join(unknown), [*STORE_SOURCES, "all"])
    return wanted


def store_texts(store, source: str) -> pd.DataFrame:
    """Non-empty texts of one source: source_id, customer_id, ts, text, language (own), customer_language."""
    table, id_col, text_col, lang_col = STORE_SOURCES[source]
    t = store.table(table)
    c = store.table("customers")
    t = t.filter(t[text_col].notnull() & (t[text_col].strip() != ""))
    j = t.left_join(c.select(c.customer_id, customer_language=c.language), t.customer_id == c.customer_id)
    ts = t.opened_at if source == "ticket" else t.ts
    own = t[lang_col] if lang_col else ibis.null().cast("string")
    frame = store.execute(j.select(source_id=t[id_col].cast("string"), customer_id=t.customer_id, ts=ts,
                                   text=t[text_col], language=own, customer_language=j.customer_language))
    return frame.sort_values("source_id", kind="stable").reset_index(drop=True)


def _script(lang: str | None) -> str:
    return {"ar": "arabic", "fa": "arabic", "zh": "han", "ja": "han", "ru": "cyrillic", "uk": "cyrillic"}.get(lang or "", "latin")


def _main_script(text: str) -> str | None:
    counts = script_counts(text_head(text or "", LANGUAGE_ID_CHARS))  # the part language id reads
    return max(counts, key=counts.get) if counts else None


def choose_languages(texts: Sequence[str], own: Sequence, customer: Sequence) -> list[str]:
    """The language each text is analysed in: its own recorded language, else the customer's
    preferred language, else the detected one; a recorded language is used only when the text is
    written in that language's script (an Arabic comment recorded as `en`, or an English comment
    from an Arabic-speaking customer, goes to detection instead of the wrong model).
    """
    chosen: list[str | None] = []
    for text, a, b in zip(texts, own, customer):
        main = _main_script(text)
        pick = None
        for lang in (a, b):
            if isinstance(lang, str) and lang and main is not None and _script(lang) == main:
                pick = lang
                break
        chosen.append(pick)
    need = [i for i, x in enumerate(chosen) if x is None]
    for i, lang in zip(need, detect_language([texts[i] for i in need]) if need else []):
        chosen[i] = lang
    return chosen


def analyze_store(store, source: str | Sequence[str] = "all", full: bool = False,
                  themes: ThemeSet | None = None, sentiment: SentimentModel | None = None,
                  on_progress: Progress | None = None) -> AnalyzeReport:
    """Bring `comment_analysis` up to date with the texts in `store`; returns what was done per source.

    Only new or changed texts (or all of them with `full=True`, or when the analysis version
    changed) go through the pipeline; analyses of texts no longer in the store are deleted. Writes
    are transactional (at most COMMIT_EVERY analysed rows per transaction), so an interrupted run
    leaves finished work in place and the next run continues from there.
    """
    from cxlens.text.pipeline import analyze, default_sentiment_model

    started = time.perf_counter()
    themes = themes or ThemeSet.load()
    sentiment = sentiment or default_sentiment_model()
    version = analysis_version(sentiment, themes)
    report = AnalyzeReport(model=version)
    stored = store.execute(store.table(TABLE).select("source", "source_id", "text_sha1", "model"))
    for src in check_sources(source):
        texts = store_texts(store, src)
        texts["text_sha1"] = [sha1(t) for t in texts["text"]]
        before = stored[stored["source"] == src]
        merged = texts.merge(before[["source_id", "text_sha1", "model"]], on="source_id", how="left",
                             suffixes=("", "_stored"))
        current = (merged["text_sha1_stored"] == merged["text_sha1"]) & (merged["model"] == version)
        todo = merged[~current] if not full else merged
        gone = before[~before["source_id"].isin(texts["source_id"])]
        counts = {"texts": len(texts), "analysed": 0, "skipped": int(len(texts) - len(todo)), "removed": len(gone)}
        report.counts[src] = counts
        if on_progress:
            on_progress(src, 0, len(todo))
        pending = pa.table({"source": pa.array([src] * len(gone), pa.string()),
                            "source_id": pa.array(gone["source_id"].tolist(), pa.string())}) if len(gone) else None
        for start in range(0, max(len(todo), 1 if pending is not None else 0), COMMIT_EVERY):
            chunk = todo.iloc[start:start + COMMIT_EVERY]
            rows = []
            for b in range(0, len(chunk), BATCH):
                part = chunk.iloc[b:b + BATCH]
                langs = choose_languages(part["text"].tolist(), part["language"].tolist(), part["customer_language"].tolist())
                rows.append(_rows(src, part, analyze(part["text"].tolist(), langs, source=src, sentiment=sentiment,
                                                    themes=themes), version))
                counts["analysed"] += len(part)
                if on_progress:
                    on_progress(src, counts["analysed"], len(todo))
            table = pa.concat_tables(rows) if rows else _rows(src, chunk, None, version)
            store.write_keyed(TABLE, KEY, table, pending)
            pending = None
    # which model scored each language, for outputs that read the stored analyses (report, `text themes`): the
    # workspace's model may have changed since (a calibration), and these rows say what scored them
    store.set_meta(MODELS_META, json.dumps({"version": version, "models": dict(sentiment.model_names)}))
    report.seconds = time.perf_counter() - started
    return report


def _rows(source: str, part: pd.DataFrame, result: pd.DataFrame | None, version: str) -> pa.Table:
    """comment_analysis rows for analysed texts (`result` None: an empty table of the right shape)."""
    n = 0 if result is None else len(part)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    col = (lambda name: result[name].tolist()) if result is not None else (lambda name: [])
    return pa.table({
        "source": pa.array([source] * n, pa.string()),
        "source_id": pa.array(part["source_id"].tolist()[:n], pa.string()),
        "text_sha1": pa.array(part["text_sha1"].tolist()[:n], pa.string()),
        "language": pa.array(col("language"), pa.string()),
        "sentiment": pa.array(col("sentiment"), pa.string()),
        "sentiment_score": pa.array(col("sentiment_score"), pa.float64()),
        "themes": pa.array([SEPARATOR.join(x) for x in col("themes")], pa.string()),
        "emotions": pa.array([SEPARATOR.join(x) for x in col("emotions")], pa.string()),
        "model": pa.array([version] * n, pa.string()),
        "analyzed_at": pa.array([now] * n, pa.timestamp("us")),
    })


def split_ids(value: object) -> list[str]:
    """Stored "a;b" -> ["a", "b"] ("" and NULL -> [])."""
    return [x for x in value.split(SEPARATOR) if x] if isinstance(value, str) else []


def theme_mentions(store, theme_ids: Sequence[str], source: str | Sequence[str] = "all") -> pd.DataFrame:
    """How many stored analyses mention each theme: one row per id in `theme_ids` (in that order) with a
    count per source and `mentions` over the sources asked for; 0 where no text mentions it.

    Call it to see which themes the store's texts actually raise (`cxlens text themes` shows it). One
    aggregate query whatever the number of themes, and plain string matching, so it runs on every engine.
    """
    sources = check_sources(source)
    counts = pd.DataFrame(0, index=list(theme_ids), columns=sources, dtype="int64")
    if theme_ids:
        ca = store.table(TABLE)
        ca = ca.filter(ca.source.isin(sources))
        tagged = ibis.literal(SEPARATOR) + ca.themes.fill_null("") + ibis.literal(SEPARATOR)
        sums = {f"t{i}": tagged.contains(f"{SEPARATOR}{t}{SEPARATOR}").ifelse(1, 0).sum()  # PostgreSQL: no bool->bigint
                for i, t in enumerate(theme_ids)}
        for row in store.execute(ca.group_by("source").aggregate(**sums)).to_dict("records"):
            for i, t in enumerate(theme_ids):
                counts.loc[t, row["source"]] = 0 if pd.isna(row[f"t{i}"]) else int(row[f"t{i}"])
    counts["mentions"] = counts.sum(axis=1)
    return counts.rename_axis("theme").reset_index()


def stored_analyses(store, source: str | Iterable[str] = "all") -> pd.DataFrame:
    """`comment_analysis` rows of the given sources, with `themes` and `emotions` as lists."""
    ca = store.table(TABLE)
    ca = ca.filter(ca.source.isin(check_sources(source)))
    frame = store.execute(ca)
    frame["themes"] = frame["themes"].map(split_ids)
    frame["emotions"] = frame["emotions"].map(split_ids)
    return frame
