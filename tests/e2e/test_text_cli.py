"""`cxlens text score` round trip on a small CSV: one record per row, in input order."""

import json

import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.text import SentimentModel, pipeline


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    # Shipped English model + word lists for the others: fast and independent of the corpora. (The default,
    # the encoder head, calls the Chinese comment below neutral: score .22 under the 0.4 band, docs/text.md.)
    model = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", encoder=False)
    monkeypatch.setattr(pipeline, "default_sentiment_model", lambda: model)


def test_text_score_returns_rows_in_input_order(tmp_path):
    rows = ["I was charged twice on my bill", "تم خصم المبلغ مرتين في فاتورتي", "", "客服态度很好，很快解决了",
            "Дома нет сигнала", "Die App stürzt ständig ab, furchtbar"]
    path = tmp_path / "comments.csv"
    path.write_text("id,comment\n" + "\n".join(f'{i},"{t}"' for i, t in enumerate(rows)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["text", "score", str(path), "--text-column", "comment", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [r["row"] for r in out] == list(range(len(rows)))
    assert [r["language"] for r in out] == ["en", "ar", "und", "zh", "ru", "de"]
    assert out[0]["themes"] == out[1]["themes"] == "billing_errors"
    assert out[0]["sentiment"] == "negative" and -1 <= out[0]["sentiment_score"] < 0
    assert out[3]["sentiment"] == "positive"


def test_text_score_missing_column_is_one_readable_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["text", "score", str(path), "--text-column", "comment"])
    assert result.exit_code == 1
    assert "comment" in result.output + getattr(result, "stderr", "")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_text_themes_shows_how_many_analysed_texts_mention_each_theme(tmp_path):
    from conftest import build_tiny_store

    from cxlens.ingest import load
    from cxlens.workspace import init

    ws = init(tmp_path / "ws")
    store = build_tiny_store(f"duckdb:///{ws / 'cx.duckdb'}", tmp_path / "files")
    notes = tmp_path / "notes.csv"
    notes.write_text("note_id,customer_id,ts,source,text,language\n"
                     "NOTE1,C1,2024-02-10 10:00:00,call,I was charged twice on my bill,en\n"
                     "NOTE2,C2,2024-02-11 10:00:00,call,تم خصم المبلغ مرتين في فاتورتي,ar\n"
                     "NOTE3,C3,2024-02-12 10:00:00,call,Signal drops every evening at home,en\n", encoding="utf-8")
    load(store, notes, "notes")
    store.close()

    def themes() -> dict[str, dict]:
        result = CliRunner().invoke(app, ["text", "themes", "--workspace", str(ws), "--format", "json"])
        assert result.exit_code == 0, result.output
        return {r["theme"]: r for r in json.loads(result.stdout)}

    assert "mentions" not in themes()["billing_errors"]  # nothing analysed yet: nothing to count
    analysed = CliRunner().invoke(app, ["text", "analyze", "--workspace", str(ws), "--format", "json"])
    assert analysed.exit_code == 0, analysed.output
    listed = themes()
    assert listed["billing_errors"]["mentions"] == 2 and listed["network_coverage"]["mentions"] == 1
    assert sum(r["mentions"] for r in listed.values()) == 3


def test_text_themes_outside_a_workspace_lists_the_default_themes_without_mentions(tmp_path):
    result = CliRunner().invoke(app, ["text", "themes", "--workspace", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert "billing_errors" in {r["theme"] for r in rows} and all("mentions" not in r for r in rows)
