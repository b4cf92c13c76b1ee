"""Theme impact against brute-force computations on data with a planted effect."""

import numpy as np
import pandas as pd
import pytest

from cxlens.text import nps_gap, theme_impact, theme_trend


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(7)
    n = 4000
    billing = rng.random(n) < 0.3
    staff = rng.random(n) < 0.2
    # Planted: billing pushes scores down by 3 points, friendly staff up by 1.
    score = np.clip(np.round(rng.normal(8, 1.5, n) - 3 * billing + 1 * staff), 0, 10)
    themes = [[t for t, on in (("billing_errors", b), ("friendly_staff", s)) if on] for b, s in zip(billing, staff)]
    return pd.DataFrame({"themes": themes, "score": score, "sentiment_score": np.where(billing, -0.5, 0.3),
                         "ts": pd.date_range("2024-01-01", periods=n, freq="2h"),
                         "segment": rng.choice(["family", "business"], n)})


def _nps(s):
    s = np.asarray(s)
    return 100 * ((s >= 9).mean() - (s <= 6).mean())


def test_nps_gap_matches_brute_force_and_shows_the_planted_cost(planted):
    out = theme_impact(planted).set_index("theme")
    mask = planted.themes.apply(lambda t: "billing_errors" in t)
    brute = _nps(planted.score[mask]) - _nps(planted.score[~mask])
    assert out.loc["billing_errors", "nps_gap"] == pytest.approx(brute)
    assert out.loc["billing_errors", "nps_gap_high"] < -30  # a large cost, CI far from zero
    assert out.loc["billing_errors", "mentions"] == mask.sum()
    assert out.loc["billing_errors", "mean_sentiment"] == pytest.approx(-0.5)


def test_regression_effect_matches_numpy_least_squares(planted):
    out = theme_impact(planted).set_index("theme")
    y = np.where(planted.score >= 9, 100, np.where(planted.score <= 6, -100, 0))
    X = np.column_stack([np.ones(len(planted))] + [planted.themes.apply(lambda t, k=k: k in t).astype(float)
                                                     for k in ("billing_errors", "friendly_staff")])
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    assert out.loc["billing_errors", "nps_effect"] == pytest.approx(beta[1])
    assert out.loc["friendly_staff", "nps_effect"] == pytest.approx(beta[2])
    assert out.loc["friendly_staff", "nps_effect_low"] > 0


def test_adjusted_wald_interval_covers_like_a_bootstrap():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 11, 300), rng.integers(3, 11, 200)
    got = nps_gap(a, b)
    boots = [_nps(rng.choice(a, len(a))) - _nps(rng.choice(b, len(b))) for _ in range(2000)]
    lo, hi = np.percentile(boots, [2.5, 97.5])
    assert got["nps_gap_low"] == pytest.approx(lo, abs=4) and got["nps_gap_high"] == pytest.approx(hi, abs=4)


def test_impact_per_segment_and_monthly_trend(planted):
    by = theme_impact(planted, by="segment")
    assert set(by.segment) == {"family", "business"} and len(by) == 4
    trend = theme_trend(planted)
    assert trend.groupby("theme").mentions.sum()["billing_errors"] == planted.themes.apply(lambda t: "billing_errors" in t).sum()
