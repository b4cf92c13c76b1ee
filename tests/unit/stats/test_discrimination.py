"""AUC, DeLong interval, Brier score and calibration line against brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from cxlens.stats.discrimination import auc, brier, calibration_line, delong_interval, reliability_bins


def _brute(y, s):
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])  # DeLong et al. 1988 kernel
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    return psi.mean(), var


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_and_delong_variance_match_the_pairwise_definition(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(y * 0.7, 1), 1)  # rounded: ties between classes
    theta, var = _brute(y, s)
    assert auc(y, s) == pytest.approx(theta, abs=1e-12)
    got = delong_interval(y, s)
    assert got.auc == pytest.approx(theta, abs=1e-12)
    assert (got.high - got.low) / 2 == pytest.approx(1.959964 * np.sqrt(var), rel=1e-5)


def test_delong_interval_covers_like_a_95_percent_interval():
    rng = np.random.default_rng(5)
    true = norm.cdf(1 / np.sqrt(2))  # binormal, unit shift: AUC = Phi(d / sqrt(2)) (Hanley 1988)
    hits = 0
    for _ in range(300):
        y = rng.integers(0, 2, 200)
        s = rng.normal(y * 1.0, 1)
        ci = delong_interval(y, s)
        hits += ci.low < true < ci.high
    assert 0.91 < hits / 300 < 0.99


def test_brier_and_calibration_line():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.6, 20000)
    y = rng.random(20000) < p
    assert brier([1, 0], [0.8, 0.3]) == pytest.approx((0.04 + 0.09) / 2)
    cal = calibration_line(y, p)
    assert abs(cal.slope - 1) < 0.08 and abs(cal.intercept) < 0.08
    logit = np.log(p / (1 - p))
    too_extreme = 1 / (1 + np.exp(-2 * logit))  # overconfident probabilities: slope about 1/2
    assert calibration_line(y, too_extreme).slope == pytest.approx(0.5, abs=0.05)


def test_reliability_bins_are_deciles():
    b = reliability_bins(np.arange(100) / 100)
    assert np.bincount(b).tolist() == [10] * 10 and b[0] == 0 and b[-1] == 9
