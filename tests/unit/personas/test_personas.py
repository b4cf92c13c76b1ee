"""Personas: the latent class fit, BIC, stability, descriptions and profiles, against brute force and planted truth."""

from __future__ import annotations

import itertools
import sys
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import UsageError
from cxlens.personas import (
    Features, Stability, adjusted_rand, design, fit_personas, profiles, stability, summarise, traits,
)
from cxlens.personas.features import with_bands
from cxlens.personas.fit import fit_classes
from cxlens.stats import nps_interval, wilson

sys.path.insert(0, str(Path(__file__).parent))
from demo_view import demo_view_frame, planted  # noqa: E402

DEMO_SEED = 11
# Recovery of the demo's planted personas (docs/people.md "Personas", architecture D58). Through the product (store,
# `text analyze`, customer view, the relationship comments' theme counts, k by BIC): 0.805 at 20,000 customers (seed
# 11, k on 5,000, the demo's options; the 0.8) and 0.83 on the demo itself (seed 7); on the 3,500-customer
# test store BIC over everyone picks k = 5 (0.67; 0.79 at k = 6). From the files with the planted themes (the
# model's ceiling) 0.82. The product test on the small store holds what is reached there.
PLANTED_ARI = 0.8
PRODUCT_ARI = 0.6


def brute_force_ari(a, b) -> float:
    """Hubert & Arabie (1985) adjusted Rand index by counting every pair of items."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = list(itertools.combinations(range(len(a)), 2))
    same_a = np.array([a[i] == a[j] for i, j in pairs])
    same_b = np.array([b[i] == b[j] for i, j in pairs])
    index = (same_a & same_b).sum()
    expected = same_a.sum() * same_b.sum() / len(pairs)
    maximum = (same_a.sum() + same_b.sum()) / 2
    return float((index - expected) / (maximum - expected))


def test_adjusted_rand_matches_brute_force_pair_counting():
    rng = np.random.default_rng(3)
    for _ in range(5):
        a, b = rng.integers(0, 4, 60), rng.integers(0, 3, 60)
        b[:30] = a[:30]
        assert adjusted_rand(a, b) == pytest.approx(brute_force_ari(a, b), abs=1e-12)
    assert adjusted_rand([0, 0, 1, 1], [5, 5, 7, 7]) == 1.0


# the Gaussian path, and the themes of every text as yes/no (no count of texts)
GAUSSIAN = Features(categorical=("segment",), numeric=("age", "digital_share"), banded=(), themes="themes", texts=None)


def mixture(n: int = 1500, k: int = 4, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A planted mixture: each class its own category mix, mean age and digital share, and themes."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    segs = np.array(["a", "b", "c", "d", "e"])
    main = rng.random(n) < 0.8
    segment = np.where(main, segs[truth], segs[rng.integers(0, 5, n)])
    age = np.array([25, 40, 55, 70, 33, 62])[truth] + rng.normal(0, 4, n)
    digital = np.array([0.8, 0.5, 0.3, 0.65, 0.2, 0.7])[truth] + rng.normal(0, 0.05, n)  # inside (0, 1): no point mass
    age[rng.random(n) < 0.1] = np.nan  # missing values are part of the model
    themes = np.array(["price", "staff", "app", "coverage", "billing", "waiting"])
    mentions = rng.random((n, 6)) < np.where(np.arange(6)[None, :] == truth[:, None], 0.7, 0.1)  # independent in a class
    t = np.array([",".join(themes[m]) or None for m in mentions], dtype=object)
    t[rng.random(n) < 0.4] = None  # customers without a comment
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "segment": segment, "age": age,
                          "digital_share": digital, "themes": t})
    return frame, truth


def test_bic_picks_the_planted_number_of_classes_on_a_synthetic_mixture():
    frame, truth = mixture(k=4)
    fit = fit_personas(frame, k_range=(3, 6), seed=1, features=GAUSSIAN)
    assert fit.k == 4, fit.bic
    assert min(fit.bic, key=fit.bic.get) == 4 and set(fit.bic) == {3, 4, 5, 6}
    assert adjusted_rand(truth, fit.classes.labels) > 0.9
    # labels are ordered by size: persona 0 the largest
    sizes = np.bincount(fit.classes.labels)
    assert list(sizes) == sorted(sizes, reverse=True)
    assert ((fit.classes.probability > 0) & (fit.classes.probability <= 1)).all()


def counted_mixture(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Three classes that differ only in how often their texts mention each of four themes; 2-9 texts per
    customer (none for 1 in 10), each text mentioning each theme independently: (view frame, classes, planted
    probabilities)."""
    rng = np.random.default_rng(seed)
    p = np.array([[0.6, 0.1, 0.1, 0.3], [0.1, 0.6, 0.1, 0.3], [0.1, 0.1, 0.6, 0.3]])
    truth = rng.integers(0, 3, n)
    texts = np.where(rng.random(n) < 0.1, 0, rng.integers(2, 10, n))
    counts = rng.binomial(texts[:, None], p[truth])
    names = np.array(["price", "staff", "app", "coverage"])
    said = [",".join(f"{names[j]}:{c[j]}" for j in np.argsort(-c, kind="stable") if c[j]) or None for c in counts]
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "segment": "one",
                          "relationship_themes": said, "relationship_comments": texts})
    return frame, truth, p


def test_theme_counts_are_a_binomial_per_theme_with_the_planted_shares():
    frame, truth, p = counted_mixture()
    fit = fit_personas(frame, k=3, seed=0, features=Features(categorical=(), banded=()))
    assert set(fit.design.themes) == {"price", "staff", "app", "coverage"}
    assert adjusted_rand(truth, fit.classes.labels) > 0.6  # customers without texts are a guess
    # each fitted class's shares: the planted row of the planted class most of it came from
    themes = fit.classes.model._mm.models["themes"]  # StepMix's block of the theme counts (the only block here)
    shares = themes.parameters["pis"]
    order = [fit.design.themes.index(t) for t in ("price", "staff", "app", "coverage")]
    for k in range(3):
        planted_class = np.bincount(truth[fit.classes.labels == fit.classes._order[k]], minlength=3).argmax()
        assert shares[k][order] == pytest.approx(p[planted_class], abs=0.03)
    # the log-likelihood is the binomial's without its coefficient (brute force with scipy)
    from scipy.stats import binom
    x = fit.design.matrix[:50]
    got = themes.log_likelihood(x)
    c, n = x[:, :-1], x[:, -1]
    want = np.array([[sum(binom.logpmf(c[i, j], n[i], shares[k][j]) - np.log(comb(int(n[i]), int(c[i, j])))
                          for j in range(c.shape[1])) for k in range(3)] for i in range(50)])
    assert got == pytest.approx(want, abs=1e-9)


def test_rare_themes_are_not_counted_and_counts_above_the_texts_are_refused():
    frame, _, _ = counted_mixture(n=400)
    some = frame.index[frame.relationship_comments > 0][:20]
    frame.loc[some, "relationship_themes"] = frame.relationship_themes[some].fillna("").map(
        lambda s: ",".join(x for x in (s, "roaming:1") if x))
    d = design(frame, Features(categorical=(), banded=()))
    assert "roaming" not in d.themes and len(d.themes) == 4  # 20 of ~2,000 texts: under 1 in 10
    assert d.matrix.shape[1] == 5  # four counts and the number of texts
    bad = frame.assign(relationship_comments=0)
    with pytest.raises(UsageError, match="relationship_comments"):
        design(bad, Features(categorical=(), banded=()))


def test_a_fit_started_from_a_posterior_keeps_its_classes():
    frame, truth = mixture(k=3, n=900)
    d = design(frame, GAUSSIAN)
    first = fit_classes(d, 3, seed=0)
    again = fit_classes(d, 3, seed=5, start=first.model.predict_proba(d.matrix))
    assert adjusted_rand(first.labels, again.labels) == 1.0 and again.bic == pytest.approx(first.bic, rel=1e-6)


def test_stability_figures_are_the_ari_of_each_refit_with_the_fit():
    frame, _ = mixture(k=3, n=900)
    fit = fit_personas(frame, k=3, seed=0, features=GAUSSIAN)
    stable = stability(fit, seeds=2, resamples=2)
    assert len(stable.seeds) == 2 and len(stable.bootstrap) == 2
    assert min(stable.seeds + stable.bootstrap) > 0.9  # a well separated mixture is stable
    summary = stable.as_dict()
    assert summary["seeds"]["mean"] == pytest.approx(np.mean(stable.seeds))
    assert summary["bootstrap"]["min"] == pytest.approx(min(stable.bootstrap))
    assert Stability((0.5, 1.0), ()).as_dict()["seeds"] == {"n": 2, "mean": 0.75, "min": 0.5, "ari": [0.5, 1.0]}


def test_design_refuses_an_unknown_column_and_notes_an_empty_one():
    frame, _ = mixture(n=100)
    with pytest.raises(UsageError, match="no column plan"):
        design(frame, Features(categorical=("plan",)))
    d = design(frame, Features())
    assert d.categorical == ["segment", "age_band"] and d.banded == ["age"] and d.numeric == []
    bands = with_bands(pd.DataFrame({"age": [24, 25, 64.5, 70, np.nan]}), Features()).age_band.tolist()
    assert bands[:4] == ["up to 24", "25-34", "65 and over", "65 and over"] and pd.isna(bands[4])
    band = d.matrix[:, 1]
    assert np.isnan(band[frame.age.isna().to_numpy()]).all() and not np.isnan(band[frame.age.notna().to_numpy()]).any()
    frame["age"] = np.nan
    d = design(frame, GAUSSIAN)
    assert d.numeric == ["digital_share"] and any(n.startswith("age: no values") for n in d.notes)
    assert any(n.startswith("age_band: no values") for n in design(frame, Features()).notes)


def test_descriptions_name_what_distinguishes_a_persona():
    frame, truth = mixture(k=4)
    fit = fit_personas(frame, k=4, seed=1, features=GAUSSIAN)
    summary = summarise(frame, fit, None)
    oldest = int(np.argmax([np.nanmean(frame.age[fit.classes.labels == c]) for c in range(4)]))
    text = summary["personas"][oldest]["description"]
    assert "older" in text.lower() and "mostly d" in text  # class 3: age 70, segment d
    assert all(p["name"] for p in summary["personas"]) and len({p["name"] for p in summary["personas"]}) == 4


def test_small_personas_are_not_shown_and_figures_match_direct_computation():
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(23)],
                          "persona_id": ["P1"] * 20 + ["P2"] * 3,
                          "nps_latest": [10, 9, 9, 8, 7, 3, 2, 10, 9, 6] * 2 + [10, 10, 0],
                          "revenue_month": [10.0] * 20 + [99.0] * 3,
                          "top_channel": ["app"] * 15 + ["store"] * 5 + ["app"] * 3,
                          "themes": ["price_value,app_experience"] * 12 + [None] * 11})
    summary = {"personas": [{"persona_id": "P1", "name": "one", "description": "d1"},
                            {"persona_id": "P2", "name": "two", "description": "d2"}]}
    shown, hidden = profiles(frame, summary, None, min_group=5)
    assert hidden == 1 and [p.persona_id for p in shown] == ["P1"]
    p = shown[0]
    low, high = wilson(20, 23)
    assert (p.customers, p.share_low, p.share_high) == (20, pytest.approx(low[0]), pytest.approx(high[0]))
    # 20 answers: promoters 10,9,9,10,9 twice = 10, detractors 3,2,6 twice = 6 -> NPS 20
    assert p.nps == pytest.approx(20.0) and p.nps_answers == 20
    assert p.nps_low == pytest.approx(nps_interval(20, 10, 6).low[0])
    assert p.revenue_month == 10.0 and p.channels == [("app", 0.75), ("store", 0.25)]
    assert p.needs[0] == ("app_experience", 1.0) or p.needs[0] == ("price_value", 1.0)


def test_a_fit_on_a_sample_labels_every_customer():
    frame, truth = mixture(n=2000, k=4)
    fit = fit_personas(frame, k=4, seed=1, features=GAUSSIAN, sample=600)
    assert len(fit.classes.labels) == 2000 and adjusted_rand(truth, fit.classes.labels) > 0.9
    whole = fit_personas(frame, k=4, seed=1, features=GAUSSIAN)
    assert fit.bic[4] < whole.bic[4] / 2  # BIC of the 600 fitted rows, not of all 2,000
    with pytest.raises(UsageError, match="too small"):
        fit_personas(frame, k=4, features=GAUSSIAN, sample=30)


@pytest.fixture(scope="module")
def demo_product_view(demo_store_copy):
    """The customer view of the loaded, text-analysed 3,500-customer demo store (seed 11): the product's own path."""
    from cxlens.people import customer_view_frame

    store, files, _ = demo_store_copy()
    try:
        frame = customer_view_frame(store)
    finally:
        store.close()
    return frame, planted(files)


def test_planted_demo_personas_through_the_product_pipeline(demo_product_view):
    frame, truth = demo_product_view
    fit = fit_personas(frame, seed=0)  # k = 3..8 by BIC, the defaults `cxlens personas fit` uses
    labels, planted_labels = fit.classes.labels, truth.loc[frame.customer_id].to_numpy()
    assert 5 <= fit.k <= 6, fit.bic
    assert adjusted_rand(planted_labels, labels) >= PRODUCT_ARI
    summary = summarise(frame, fit, None)
    # the personas planted with their own segment and age are found and described by them
    for name, words in {"traditional_seniors": ("older", "senior"), "digital_natives": ("younger",)}.items():
        home = pd.Series(labels[planted_labels == name]).value_counts()
        assert home.iloc[0] >= 0.8 * home.sum(), (name, home)
        text = summary["personas"][int(home.index[0])]["description"].lower()
        assert all(w in text for w in words), (name, text)


@pytest.fixture(scope="module")
def demo_5000(shared_demo):
    files = shared_demo(5000, DEMO_SEED)
    return demo_view_frame(files), planted(files)


def test_planted_demo_personas_are_recovered_from_the_planted_themes(demo_5000):
    frame, truth = demo_5000
    fit = fit_personas(frame, k=6, seed=0)
    labels = fit.classes.labels
    assert adjusted_rand(truth.loc[frame.customer_id], labels) >= PLANTED_ARI
    summary = summarise(frame, fit, None)
    # the fitted persona where most of a planted one lands is described by that persona's planted features
    expected = {"traditional_seniors": ("older", "senior"), "digital_natives": ("younger", "student"),
                "connected_families": ("family",), "busy_professionals": ("business",),
                "bargain_hunters": ("value",)}
    planted_labels = truth.loc[frame.customer_id].to_numpy()
    for name, words in expected.items():
        home = int(pd.Series(labels[planted_labels == name]).mode()[0])
        text = summary["personas"][home]["description"].lower()
        assert all(w in text for w in words), (name, text)


@pytest.mark.slow
def test_planted_demo_personas_at_20000_customers_by_bic(shared_demo):
    files = shared_demo(20_000, DEMO_SEED)
    frame, truth = demo_view_frame(files), planted(files)
    fit = fit_personas(frame, k_range=(5, 7), seed=0, n_init=1)  # 3..8 with 3 starts: k = 6, ARI 0.83 in 108 s
    assert fit.k == 6, fit.bic  # 6 planted
    assert adjusted_rand(truth.loc[frame.customer_id], fit.classes.labels) >= PLANTED_ARI
    found = traits(frame, fit.classes.labels, int(pd.Series(fit.classes.labels[
        truth.loc[frame.customer_id].to_numpy() == "traditional_seniors"]).mode()[0]), ["segment"], ["age"])
    assert {(t.column, t.value) for t in found} >= {("segment", "senior"), ("age", "high")}


@pytest.mark.slow
def test_planted_demo_personas_through_the_product_at_20000_customers(value_demo_store):
    """The issue's goal through the product: the 20,000-customer demo (seed 11) loaded, its survey comments analysed
    by `text analyze`, the customer view, k by BIC on 5,000 customers and fitted on everyone (the demo's options)."""
    from cxlens.people import customer_view_frame
    from cxlens.text.stored import analyze_store

    store, files = value_demo_store()
    try:
        analyze_store(store, "survey")
        frame = customer_view_frame(store)
    finally:
        store.close()
    fit = fit_personas(frame, seed=0, sample=5000)
    truth = planted(files).loc[frame.customer_id].to_numpy()
    assert fit.k == 6, fit.bic  # 6 planted
    assert adjusted_rand(truth, fit.classes.labels) >= PLANTED_ARI
