"""Self-calibration (`cxlens.text.calibrate`) on workspaces whose comments carry a planted polarity
(calibration_fixtures: negative answers' comments use other phrases than positive answers', in en and de)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from calibration_fixtures import PHRASES, bag_of_words, planted_workspace

from cxlens.text import calibrate as cal
from cxlens.text.head import SentimentHead
from cxlens.text.sentiment import SentimentModel


class Oracle(SentimentModel):
    """A current model that already knows the planted polarity (the phrase sets): nothing can beat it."""

    def predict(self, texts, languages):
        positive = {p.lower() for lang in PHRASES for p in PHRASES[lang]["positive"]}
        scores = [0.9 if any(p in t.lower() for p in positive) else -0.9 for t in texts]
        return ["positive" if s > 0 else "negative" for s in scores], scores


def coin() -> SentimentModel:
    """A current model with no idea: a head whose weights are random (about half right)."""
    rng = np.random.default_rng(0)
    head = SentimentHead(weights=rng.normal(size=(512, 3)).astype(np.float32) * 0.01,
                         bias=np.array([0.0, -np.inf, 0.0], dtype=np.float32), trained_classes=("negative", "positive"))
    model = SentimentModel()
    for lang in ("en", "de"):
        model.use_head(lang, head, "encoder", "random head")
    return model


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return planted_workspace(tmp_path_factory.mktemp("planted") / "ws")


def test_weak_labels_follow_the_nps_and_csat_bands():
    metric = ["nps"] * 11 + ["csat"] * 5 + ["ces", "expectation"]
    score = list(range(11)) + [1, 2, 3, 4, 5] + [1, 5]
    labels = cal.weak_labels(metric, score).tolist()
    assert labels[:7] == ["negative"] * 7 and labels[7:9] == [None, None] and labels[9:11] == ["positive"] * 2
    assert labels[11:16] == ["negative", "negative", None, "positive", "positive"]
    assert labels[16:] == [None, None]


def test_labelled_comments_leave_out_passives_and_keep_each_answers_language(planted):
    from cxlens.workspace import Workspace

    root, truth = planted
    with Workspace.open(root).store() as store:
        frame = cal.labelled_comments(store)
    assert set(frame["response_id"]) == set(truth.loc[~truth["passive"], "response_id"])
    assert set(frame["language"]) == {"en", "de"}
    merged = frame.merge(truth, on="response_id")
    assert (merged["label"] == merged["polarity"]).all()


def test_calibration_recovers_planted_labels_in_two_languages_and_is_used_over_a_coin(planted, tmp_path):
    from cxlens.workspace import Workspace

    root, truth = planted
    with Workspace.open(root).store() as store:
        report = cal.calibrate(store, tmp_path / "models", coin(), embed=bag_of_words, seed=3)
    by_lang = {r.language: r for r in report.languages}
    assert set(by_lang) == {"en", "de"}
    for lang, r in by_lang.items():
        assert r.train + r.heldout == r.labelled and abs(r.heldout / r.labelled - cal.TEST_SHARE) < 0.02
        assert not set(r.train_ids) & set(r.heldout_ids)
        assert r.calibrated_accuracy >= 0.97 and r.calibrated_low > 0.9
        assert r.current_accuracy < 0.75  # the random head
        assert r.used and r.difference_low > 0 and Path(r.path).is_file()
        # the saved head labels fresh comments of the planted polarity in its language
        head = cal.calibrated_heads(tmp_path / "models")[lang]
        fresh = {pol: [f"{a}, {b}." for a, b in zip(PHRASES[lang][pol], PHRASES[lang][pol][1:])] for pol in PHRASES[lang]}
        for pol, texts in fresh.items():
            labels, scores = head.labels_and_scores(bag_of_words(texts))
            assert all((s > 0) == (pol == "positive") for s in scores)
        assert head.info["heldout"]["n"] == r.heldout and head.info["id"]


def test_calibration_split_is_stratified_and_seeded(planted, tmp_path):
    from cxlens.workspace import Workspace

    root, _ = planted
    with Workspace.open(root).store() as store:
        a = cal.calibrate(store, tmp_path / "a", coin(), embed=bag_of_words, seed=5, save=False)
        b = cal.calibrate(store, tmp_path / "b", coin(), embed=bag_of_words, seed=5, save=False)
        c = cal.calibrate(store, tmp_path / "c", coin(), embed=bag_of_words, seed=6, save=False)
        labels = cal.labelled_comments(store).set_index("response_id")["label"]
    for x, y, z in zip(a.languages, b.languages, c.languages):
        assert x.heldout_ids == y.heldout_ids and x.heldout_ids != z.heldout_ids
        share = (labels.loc[x.heldout_ids] == "negative").mean()
        overall = (labels.loc[x.heldout_ids + x.train_ids] == "negative").mean()
        assert abs(share - overall) < 0.01
    assert not any((tmp_path / d).exists() for d in "abc")  # save=False writes nothing


def test_a_head_not_clearly_better_than_the_current_model_is_not_used_and_replaces_no_earlier_choice(planted, tmp_path):
    from cxlens.workspace import Workspace

    root, _ = planted
    folder = tmp_path / "models"
    with Workspace.open(root).store() as store:
        first = cal.calibrate(store, folder, coin(), embed=bag_of_words)
        assert sorted(first.used) == ["de", "en"]
        # against a current model that already gets every comment right, the new head is not better: not used,
        # and the earlier calibrated heads are removed, so the folder reflects the last decision
        second = cal.calibrate(store, folder, Oracle(), embed=bag_of_words)
    assert second.used == []
    for r in second.languages:
        assert r.current_accuracy == 1.0 and r.calibrated_accuracy >= 0.97 and r.difference_low <= 0
        assert "not clearly better than the current model" in r.decision and "removed" in r.decision
    assert not list(folder.glob("calibrated-*.npz"))


def test_weak_labels_unrelated_to_the_text_give_a_head_no_better_than_a_coin(tmp_path):
    from cxlens.workspace import Workspace

    root, _ = planted_workspace(tmp_path / "ws", random_labels=True, seed=4)
    with Workspace.open(root).store() as store:
        report = cal.calibrate(store, tmp_path / "models", SentimentModel(), embed=bag_of_words)
    for r in report.languages:
        assert 0.3 < r.calibrated_accuracy < 0.7 and not r.used
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").glob("*.npz"))


def test_a_language_with_too_few_labelled_answers_is_not_fitted(planted, tmp_path):
    from cxlens.workspace import Workspace

    root, _ = planted
    with Workspace.open(root).store() as store:
        frame = cal.labelled_comments(store)
        result = cal.calibrate_language(frame[frame["language"] == "de"].head(40), "de", coin(), bag_of_words)
    assert not result.used and result.heldout == 0 and "at least 30 of each" in result.decision


def test_with_calibrated_puts_saved_heads_in_front_without_changing_the_default(planted, tmp_path):
    from cxlens.workspace import Workspace

    root, _ = planted
    with Workspace.open(root).store() as store:
        cal.calibrate(store, tmp_path / "models", coin(), embed=bag_of_words, languages=["de"])
    default = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", encoder=False)
    before = dict(default.model_names)
    model = cal.with_calibrated(default, tmp_path / "models")
    assert model.model_names["de"] == cal.CALIBRATED_NAME and model.sources["de"] == "calibrated"
    assert model.model_names["en"] == before["en"] and default.model_names == before and "de" not in default.heads
    assert cal.with_calibrated(default, tmp_path / "nothing-here") is default


def test_an_unreadable_calibrated_head_is_an_error_naming_the_file(tmp_path):
    from cxlens.errors import InputFileError

    (tmp_path / "calibrated-de.npz").write_bytes(b"not a head")
    with pytest.raises(InputFileError, match="calibrated-de.npz.*cxlens text calibrate"):
        cal.calibrated_heads(tmp_path)


def test_calibrated_heads_on_the_real_encoder_are_used_by_the_workspaces_text_analysis(tmp_path, monkeypatch):
    """End to end with the shipped encoder: calibrate, then `analyze_texts` scores with the calibrated heads."""
    from cxlens.text import pipeline
    from cxlens.text.encoder import encoder_available
    from cxlens.text.stored import stored_analyses
    from cxlens.workspace import Workspace

    if not encoder_available():
        pytest.skip("the multilingual encoder is not installed")
    lexicon_only = SentimentModel.load(train_missing=False, cache="/nonexistent-cxlens-cache", encoder=False,
                                       languages=["de"])
    monkeypatch.setattr(pipeline, "default_sentiment_model", lambda: lexicon_only)
    root, truth = planted_workspace(tmp_path / "ws", n=260, seed=8)
    ws = Workspace.open(root)
    report = ws.calibrate_text(seed=1)
    de = {r.language: r for r in report.languages}["de"]
    assert de.calibrated_accuracy >= 0.9 and de.used, de
    assert ws.sentiment_model().model_names["de"] == cal.CALIBRATED_NAME
    ws.analyze_texts("survey")
    with ws.store() as store:
        stored = stored_analyses(store, "survey").merge(truth, left_on="source_id", right_on="response_id")
    german = stored[stored["language"] == "de"]
    assert ((german["sentiment_score"] > 0) == (german["polarity"] == "positive")).mean() >= 0.9
