"""`cxlens text score` round trip on a small CSV: one record per row, in input order."""

import json

import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.text import SentimentModel, pipeline


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    # Shipped English model + word lists for the others: fast and independent of the corpora.
    model = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache")
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
