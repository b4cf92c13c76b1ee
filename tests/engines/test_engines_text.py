"""Stored text analysis on every engine: `analyze_store`, the `theme` filter and theme impact give on
Spark and PostgreSQL exactly what they give on DuckDB.

A small demo company (300 customers: ~350 survey comments, ~260 ticket descriptions, ~30 notes) is
loaded through the real `load` path into each engine and, next to it, into a DuckDB reference; both
are analysed with the same sentiment model and themes, then changed in the same way, so every test
compares an engine with a reference that went through the same steps. One store per engine serves
the whole module (loading and rewriting Parquet folders is the slow part on Spark).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from engine_fixtures import make_url
from test_engines_metrics import OTHER_ENGINES, assert_same_frame

from cxlens import metrics
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.metrics.outcomes import outcomes_by
from cxlens.store import Store
from cxlens.text import SentimentModel, ThemeSet, stored
from cxlens.text.store_impact import store_theme_impact
from cxlens.text.stored import KEY, TABLE, analyze_store, stored_analyses, theme_mentions
from cxlens.query import Scope

COMPARED = ["source", "source_id", "text_sha1", "language", "sentiment", "sentiment_score", "themes", "emotions", "model"]
KINDS = ("customers", "responses", "tickets", "notes")  # events and outcomes play no part in text analysis


@pytest.fixture(scope="module")
def lexicon_model() -> SentimentModel:
    # Shipped English model + word lists: fast and independent of the cached corpora models.
    return SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache")


@pytest.fixture(scope="module")
def demo_files(shared_demo):
    return shared_demo(300, 5)  # small: loading and rewriting Parquet folders is the slow part on Spark


def loaded(url: str, files) -> Store:
    store = Store.open(url)
    sync_journey(store, read_journey(files.journey))
    for kind in KINDS:
        load(store, files.tables()[kind], kind)
    return store


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@pytest.fixture(scope="module", params=OTHER_ENGINES)
def pair(request, demo_files, lexicon_model, tmp_path_factory):
    """(engine store, DuckDB reference, their first analyze_store reports, (start, end) of the engine's run).

    Both are loaded and analysed; a transaction holds at most 200 rows, so the engine commits several.
    """
    folder = tmp_path_factory.mktemp(f"text-{request.param}")
    store = loaded(make_url(request.param, folder / "store"), demo_files)
    reference = loaded(f"duckdb:///{folder / 'reference.duckdb'}", demo_files)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stored, "COMMIT_EVERY", 200)
        started = utc_now()
        reports = (analyze_store(store, sentiment=lexicon_model), analyze_store(reference, sentiment=lexicon_model))
        ran = (started, utc_now())
    yield store, reference, reports, ran
    store.close()
    reference.close()


def analyses(store: Store):
    """comment_analysis without the run's timestamp, in key order."""
    frame = store.execute(store.table(TABLE).select(*COMPARED))
    return frame.sort_values(["source", "source_id"], kind="stable").reset_index(drop=True)


def assert_same_analyses(store: Store, reference: Store) -> None:
    assert_same_frame(analyses(store), analyses(reference), f"comment_analysis on {store.engine}")


def test_analyze_store_writes_the_same_rows_as_on_duckdb(pair):
    store, reference, (report, expected), (started, finished) = pair
    assert report.counts == expected.counts
    assert expected.counts["survey"]["analysed"] > 200 and expected.counts["ticket"]["analysed"] > 100
    assert expected.counts["note"]["analysed"] > 10
    assert store.count(TABLE) == reference.count(TABLE) == expected.analysed
    assert_same_analyses(store, reference)
    themed = stored_analyses(store)
    assert themed["themes"].map(len).gt(0).mean() > 0.5  # the comparison is not between empty theme lists
    # analyzed_at is naive UTC on every engine (no shift by the session's or the machine's time zone)
    at = themed["analyzed_at"].map(lambda v: v.tz_convert("UTC").tz_localize(None) if v.tzinfo else v)
    assert at.between(started.replace(microsecond=0), finished).all(), (at.min(), at.max(), started, finished)


def test_a_second_run_analyses_nothing_and_changes_nothing(pair, lexicon_model):
    store, reference, *_ = pair
    before = store.execute(store.table(TABLE))
    again = analyze_store(store, sentiment=lexicon_model)
    assert again.analysed == 0
    assert all(c["skipped"] == c["texts"] and c["removed"] == 0 for c in again.counts.values()), again.counts
    assert_same_frame(store.execute(store.table(TABLE)), before, f"comment_analysis on {store.engine} after a re-run")


THEME_QUERIES = {
    "nps": lambda s, t: metrics.nps_by(s, Scope(filters={"theme": t})),
    "nps_touchpoint_month": lambda s, t: metrics.nps_by(s, Scope(by=("touchpoint",), period="month", filters={"theme": t})),
    "nps_window": lambda s, t: metrics.nps_by(s, Scope(by=("segment",), filters={"theme": t}, since="2024-03-01", until="2024-08-31")),
    "csat": lambda s, t: metrics.csat_by(s, Scope(by=("touchpoint",), filters={"theme": t})),
    "outcomes": lambda s, t: outcomes_by(s, Scope(by=("touchpoint",), filters={"theme": t})),
}


def mentioned_themes(store: Store) -> list[str]:
    """Themes that at least 10 texts mention, most mentioned first."""
    counts = stored_analyses(store)["themes"].explode().dropna().value_counts()
    return counts[counts >= 10].index.tolist()


@pytest.mark.parametrize("query", list(THEME_QUERIES))
def test_theme_filter_gives_the_same_numbers_as_on_duckdb(pair, query):
    store, reference, *_ = pair
    themes = mentioned_themes(reference)
    assert len(themes) >= 3
    for theme in [themes[0], themes[-1], themes[:2]]:
        expected = THEME_QUERIES[query](reference, theme)
        assert len(expected) > 0
        assert_same_frame(THEME_QUERIES[query](store, theme), expected, f"{query} theme={theme} on {store.engine}")


@pytest.mark.parametrize("by", [None, "touchpoint", "segment"])
def test_theme_impact_from_stored_analyses_matches_duckdb(pair, by):
    store, reference, *_ = pair
    expected = store_theme_impact(reference, Scope(by=by))
    assert len(expected) > 0
    actual = store_theme_impact(store, Scope(by=by))
    assert_same_frame(actual, expected, f"theme impact by {by} on {store.engine}")
    assert actual.attrs["unanalysed_comments"] == expected.attrs["unanalysed_comments"]


def test_theme_mentions_count_the_same_texts_as_on_duckdb(pair):
    store, reference, *_ = pair
    ids = [t.id for t in ThemeSet.load().themes]
    expected = theme_mentions(reference, ids)
    truth = stored_analyses(reference)["themes"].explode().value_counts()
    assert expected.set_index("theme")["mentions"].to_dict() == {t: int(truth.get(t, 0)) for t in ids}
    assert_same_frame(theme_mentions(store, ids), expected, f"theme mentions on {store.engine}")


# ------------------------------------------------------------------------------------ changed sources

def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def delete_keys(store: Store, table: str, key: str, ids: list[str]) -> None:
    """Delete rows by key on any engine (as erasing a customer's texts would)."""
    nothing = store.to_pyarrow(store.table(table).limit(0))
    store.write_keyed(table, [key], nothing, pa.table({key: pa.array(ids, pa.string())}))


def test_changed_and_deleted_texts_update_their_analyses_as_on_duckdb(pair, demo_files, lexicon_model, tmp_path):
    store, reference, *_ = pair
    comment = next(r for r in csv_rows(demo_files.responses) if r["comment"])
    comment.update(comment="I was charged twice on my bill this month", language="en")
    ticket = next(r for r in csv_rows(demo_files.tickets) if r["description"])
    ticket.update(description="")  # the text is gone, the ticket stays
    note = csv_rows(demo_files.notes)[0]["note_id"]
    for s in (store, reference):
        load(s, write_csv(tmp_path / "response.csv", [comment]), "responses")
        load(s, write_csv(tmp_path / "ticket.csv", [ticket]), "tickets")
        delete_keys(s, "notes", "note_id", [note])

    report, expected = analyze_store(store, sentiment=lexicon_model), analyze_store(reference, sentiment=lexicon_model)
    assert report.counts == expected.counts
    assert (report.counts["survey"]["analysed"], report.counts["survey"]["removed"]) == (1, 0)
    assert (report.counts["ticket"]["analysed"], report.counts["ticket"]["removed"]) == (0, 1)
    assert (report.counts["note"]["analysed"], report.counts["note"]["removed"]) == (0, 1)
    assert_same_analyses(store, reference)
    rows = stored_analyses(store).set_index(["source", "source_id"])
    assert rows.loc[("survey", comment["response_id"]), "themes"] == ["billing_errors"]
    assert ("ticket", ticket["ticket_id"]) not in rows.index and ("note", note) not in rows.index
    assert analyze_store(store, sentiment=lexicon_model).analysed == 0


def test_a_failed_write_leaves_comment_analysis_as_it_was(pair, monkeypatch):
    store, *_ = pair
    before = analyses(store)
    changed = store.to_pyarrow(store.table(TABLE).limit(5))
    changed = changed.set_column(changed.column_names.index("themes"), "themes", pa.array(["x"] * changed.num_rows))
    gone = store.to_pyarrow(store.table(TABLE).select(*KEY).limit(8)).slice(5)

    def power_cut(*args, **kwargs):
        raise RuntimeError("power cut")

    # PostgreSQL: fail inside the transaction, after the old rows were deleted; Spark: after staging the
    # new table, before it is swapped in.
    from cxlens.store.backends import postgres, spark

    real_copy = postgres._copy_in
    monkeypatch.setattr(postgres, "_copy_in", lambda pg, table, *a: power_cut() if table == TABLE else real_copy(pg, table, *a))
    monkeypatch.setattr(spark, "_swap_folder", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        store.write_keyed(TABLE, KEY, changed, gone)
    monkeypatch.undo()
    assert_same_frame(analyses(store), before, f"comment_analysis on {store.engine} after a failed write")
    if store.engine == "spark":
        staging = Path(store.url.split("warehouse=")[1].split("&")[0]) / "_staging"
        assert not any(p.is_file() and p.suffix == ".parquet" for p in staging.rglob("*")), "staged files left behind"


def test_calibration_reads_the_same_labelled_comments_and_stored_languages_as_on_duckdb(pair, lexicon_model):
    from cxlens.text.calibrate import labelled_comments
    from cxlens.text.models import stored_current, stored_languages

    store, reference, *_ = pair
    got, want = (labelled_comments(s).sort_values("response_id", kind="stable").reset_index(drop=True)
                 for s in (store, reference))
    assert len(want) > 100 and set(want["label"]) == {"negative", "positive"}
    assert_same_frame(got, want, f"weakly labelled comments on {store.engine}")
    assert stored_languages(store) == stored_languages(reference)
    themes = ThemeSet.load()
    assert stored_current(store, lexicon_model, themes) == stored_current(reference, lexicon_model, themes)
    assert stored_current(store, lexicon_model, themes)[1] == store.count(TABLE)
