"""Text analysis of the store: incremental `analyze_store`, the theme filter, and the demo's planted themes.

The demo test is the honest one: a generated company (3,500 customers) with theme effects planted
on the 0-10 NPS answer (truth.json); the pipeline (language, lexicon themes) must find every planted
theme and estimate its cost with the right sign and roughly the right size.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import build_tiny_store
from cxlens import metrics
from cxlens.ingest import load
from cxlens.metrics.outcomes import outcomes_by
from cxlens.text import SentimentModel, ThemeSet
from cxlens.text.store_impact import store_theme_impact
from cxlens.text.stored import analyze_store, stored_analyses
from cxlens.query import Scope


@pytest.fixture(scope="module")
def lexicon_model() -> SentimentModel:
    # Shipped English model + word lists: fast and independent of the cached corpora models.
    return SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache")


COMMENTS = {  # response id of the tiny store's NPS answers -> comment
    "N0": "Great service, the staff was friendly and helpful",
    "N7": "I was charged twice on my bill this month",
    "N8": "تم خصم المبلغ مرتين في فاتورتي",
    "N9": "Die Rechnung war falsch, zu viel berechnet",
    "N12": "Kein Netz zu Hause, ständig Funklöcher",
}


def _write_comments(folder: Path, comments: dict[str, str]) -> Path:
    """The tiny NPS answers again, now with comments (a reload upserts them)."""
    from conftest import tiny_responses_csv

    lines = tiny_responses_csv().strip().split("\n")
    out = [lines[0] + ",comment"]
    for line in lines[1:]:
        rid = line.split(",")[0]
        text = comments.get(rid, "")
        if text and rid != "N8":  # N8 keeps the file's wrong `en` on an Arabic comment: the script check must catch it
            line = line.rsplit(",", 1)[0] + ","
        out.append(line + "," + (f'"{text}"' if text else ""))
    path = folder / "responses_comments.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def text_store(tmp_path: Path):
    """Tiny store + NPS comments, ticket descriptions and notes."""
    store = build_tiny_store(f"duckdb:///{tmp_path / 'text.duckdb'}", tmp_path / "tiny")
    load(store, _write_comments(tmp_path, COMMENTS), "responses")
    tickets = tmp_path / "tickets_desc.csv"
    tickets.write_text("ticket_id,customer_id,touchpoint_id,category,opened_at,description\n"
                       "T1,C5,call,billing,2024-03-01 09:00:00,Customer was overcharged on the invoice\n"
                       "T2,C6,call,billing,2024-03-02 09:00:00,\n"
                       "T3,C7,call,network,2024-03-03 09:00:00,لا توجد تغطية في المنزل\n", encoding="utf-8")
    load(store, tickets, "tickets")
    notes = tmp_path / "notes.csv"
    notes.write_text("note_id,customer_id,ts,source,touchpoint_id,text,language\n"
                     "NOTE1,C3,2024-02-10 10:00:00,call,call,Kunde ärgert sich über die Rechnung,de\n"
                     "NOTE2,C4,2024-01-15 10:00:00,interview,,Signal drops every evening at home,\n", encoding="utf-8")
    load(store, notes, "notes")
    yield store, tmp_path
    store.close()


def test_analyze_store_records_every_source_with_its_themes(text_store, lexicon_model):
    store, _ = text_store
    report = analyze_store(store, sentiment=lexicon_model)
    assert {s: c["analysed"] for s, c in report.counts.items()} == {"survey": 5, "ticket": 2, "note": 2}
    rows = stored_analyses(store).set_index(["source", "source_id"])
    assert len(rows) == 9
    assert rows.loc[("survey", "N7"), "themes"] == ["billing_errors"]
    assert rows.loc[("survey", "N8"), "themes"] == ["billing_errors"] and rows.loc[("survey", "N8"), "language"] == "ar"
    assert rows.loc[("ticket", "T1"), "themes"] == ["billing_errors"]
    assert rows.loc[("ticket", "T3"), "themes"] == ["network_coverage"] and rows.loc[("ticket", "T3"), "language"] == "ar"
    assert rows.loc[("note", "NOTE1"), "themes"] == ["billing_errors"] and rows.loc[("note", "NOTE1"), "language"] == "de"
    assert rows.loc[("note", "NOTE2"), "themes"] == ["network_coverage"]
    assert rows.loc[("survey", "N0"), "sentiment"] == "positive"
    assert rows.loc[("survey", "N7"), "sentiment_score"] < 0
    assert rows["model"].nunique() == 1 and rows["text_sha1"].str.len().eq(40).all()


def test_the_models_that_scored_the_stored_comments_are_recorded_and_named_by_the_report(text_store, lexicon_model):
    from cxlens.report.sections import _sentiment_models
    from cxlens.text.models import analysed_models

    store, _ = text_store
    assert analysed_models(store) is None and "were not recorded" in _sentiment_models(store)
    analyze_store(store, sentiment=lexicon_model)
    assert analysed_models(store) == lexicon_model.model_names
    # the survey comments' languages, most comments first, each with the model that scored it
    en, ar, de = (lexicon_model.model_names[lang] for lang in ("en", "ar", "de"))
    assert _sentiment_models(store) == f" Sentiment: en {en}, ar {ar}, de {de}."


def test_analyze_store_is_incremental(text_store, lexicon_model):
    store, folder = text_store
    analyze_store(store, sentiment=lexicon_model)
    again = analyze_store(store, sentiment=lexicon_model)
    assert again.analysed == 0 and sum(c["skipped"] for c in again.counts.values()) == 9

    edited = dict(COMMENTS, N7="Waited an hour on hold, nobody answered")  # one comment changes
    load(store, _write_comments(folder, edited), "responses")
    third = analyze_store(store, sentiment=lexicon_model)
    assert third.analysed == 1 and third.counts["survey"]["analysed"] == 1
    assert stored_analyses(store, "survey").set_index("source_id").loc["N7", "themes"] == ["waiting_time"]

    store.duckdb.execute("DELETE FROM notes WHERE note_id = 'NOTE2'")  # e.g. an erased customer's note
    fourth = analyze_store(store, sentiment=lexicon_model)
    assert fourth.analysed == 0 and fourth.counts["note"]["removed"] == 1
    assert sorted(stored_analyses(store, "note")["source_id"]) == ["NOTE1"]

    full = analyze_store(store, "ticket", full=True, sentiment=lexicon_model)
    assert full.counts == {"ticket": {"texts": 2, "analysed": 2, "skipped": 0, "removed": 0}}


def test_changed_themes_re_analyse_everything(text_store, lexicon_model):
    store, _ = text_store
    analyze_store(store, sentiment=lexicon_model)
    renamed = ThemeSet.load().rename("billing_errors", "Invoice problems")
    assert analyze_store(store, themes=renamed, sentiment=lexicon_model).analysed == 9


def test_theme_filter_keeps_customers_who_mentioned_the_theme_in_any_source(text_store, lexicon_model):
    store, _ = text_store
    analyze_store(store, sentiment=lexicon_model)
    # billing_errors: C8 (N7), C1 (N8), C2 (N9) in comments, C5 in ticket T1, C3 in note NOTE1.
    billing = {"C8", "C1", "C2", "C5", "C3"}
    answers = store.execute(store.table("responses").filter(lambda r: r.metric == "nps"))
    mine = answers[answers["customer_id"].isin(billing)]["score"]
    expected = 100 * ((mine >= 9).mean() - (mine <= 6).mean())
    got = metrics.nps_by(store, Scope(filters={"theme": "billing_errors"}))
    assert int(got["n"].iloc[0]) == len(mine)
    assert got["nps"].iloc[0] == pytest.approx(expected)
    # The window applies to the mentions too: before February only N7/N8/N9 (January) count.
    early = metrics.nps_by(store, Scope(filters={"theme": "billing_errors"}, until="2024-01-31"))
    jan = answers[(answers["ts"] < "2024-02-01") & answers["customer_id"].isin({"C8", "C1", "C2"})]
    assert int(early["n"].iloc[0]) == len(jan)
    tickets = outcomes_by(store, Scope(by=("touchpoint",), filters={"theme": "network_coverage"}))
    # C7's ticket T3, and C5's T1: C5's German comment N12 ("Kein Netz zu Hause") is analysed as English (C5's
    # language), where no keyword hits, and is found by its similarity to the theme's examples. C4's note: no ticket.
    assert int(tickets["tickets"].sum()) == 2


def test_theme_filter_without_analysis_says_what_to_run(tiny_store):
    from cxlens.errors import AnalysisError

    with pytest.raises(AnalysisError, match="cxlens text analyze"):
        metrics.nps_by(tiny_store, Scope(filters={"theme": "billing_errors"}))


# ---------------------------------------------------------------------------------- the demo company

@pytest.fixture(scope="module")
def demo_store(demo_store_copy):
    """The demo (3,500 customers, seed 11; conftest) loaded and analysed once per run; a private copy."""
    store, files, report = demo_store_copy()
    yield store, files, report
    store.close()


def test_demo_planted_themes_are_found_and_their_nps_cost_recovered(demo_store):
    store, files, report = demo_store
    truth = json.loads(files.truth.read_text())["themes"]
    planted: dict[str, float] = truth["nps_effect_points"]
    assert report.counts["survey"]["analysed"] > 2000 and report.counts["note"]["analysed"] > 100

    # Each planted theme is found: recall against comments_truth.csv.
    found = stored_analyses(store, "survey").set_index("source_id")["themes"]
    true = pd.read_csv(files.comments_truth).set_index("response_id")["themes"].fillna("").str.split(";")
    for theme in planted:
        has = true.map(lambda ts, t=theme: t in ts)
        ids = has[has].index
        recall = found.reindex(ids).map(lambda ts, t=theme: isinstance(ts, list) and t in ts).mean()
        assert recall >= 0.8, f"{theme}: only {recall:.0%} of the comments about it were assigned it"

    # Cost in points of the 0-10 answer (truth.json's unit): OLS over all NPS answers on the planted themes.
    impact = store_theme_impact(store, theme_ids=list(planted)).set_index("theme")
    rows = []
    for theme, effect in planted.items():
        est, low, high = impact.loc[theme, ["score_effect", "score_effect_low", "score_effect_high"]]
        rows.append((theme, effect, est, low, high))
        assert np.sign(est) == np.sign(effect) and (high < 0 if effect < 0 else low > 0), (theme, est, low, high)
        # Keyword themes are attenuated: a comment that names the bill without an error counts too
        # (precision 0.7-0.9), which dilutes the effect, and a false billing hit inside an app comment
        # ("I tried to pay my bill but the app...") pulls app_experience towards zero. At least 45% of the truth
        # (app_experience, the smallest effect, was 49% on this 3,500-customer store after D58's theme fixes and 64%
        # on the 20,000-customer demo), never inflated beyond its CI, and the truth at most 0.5 points outside the
        # 95% CI.
        assert 0.45 <= est / effect <= 1.0 + (high - low) / abs(effect), (theme, est, effect)
        assert low - 0.5 <= effect <= high + 0.5, (theme, effect, low, high)
    # The ranking of the costs follows the truth at the extremes.
    assert impact.loc[list(planted), "score_effect"].idxmin() == "billing_errors"
    assert impact.loc[list(planted), "score_effect"].idxmax() == "fast_resolution"


def test_demo_notes_and_ticket_descriptions_get_their_planted_themes(demo_store):
    store, files, _ = demo_store
    notes = stored_analyses(store, "note").set_index("source_id")["themes"]
    truth = pd.read_csv(files.notes_truth).set_index("note_id")["themes"].str.split("|")
    hit = [any(t in notes.get(nid, []) for t in themes) for nid, themes in truth.items()]
    assert np.mean(hit) >= 0.8
    tickets = stored_analyses(store, "ticket")
    assert len(tickets) > 0 and tickets["themes"].map(len).gt(0).mean() >= 0.5


def test_keyword_match_finds_the_labels_count_finds():
    texts = ["I was charged twice on my bill", "Die App stürzt ständig ab", "Дома нет сигнала уже неделю",
             "客服态度很好", "تم خصم المبلغ مرتين", "preis-leistung stimmt nicht", "log in fails", "billing"]
    langs = ["en", "de", "ru", "zh", "ar", "de", "en", "en"]
    matcher = ThemeSet.load().matcher()
    for text, lang in zip(texts, langs):
        counted = matcher.count(text, lang)
        assert matcher.match(text, lang) == [label for label in matcher.lexicon if label in counted], text
