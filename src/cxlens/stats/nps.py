"""Net Promoter Score: who is a promoter, the score from counts, its intervals and a difference test.

The classification lives here and nowhere else (Reichheld 2003): answers 9-10 to "how likely are you
to recommend" are promoters, 0-6 detractors, 7-8 passives; NPS = %promoters − %detractors.
"""

from __future__ import annotations

import numpy as np

from cxlens.stats.intervals import Interval, as_arrays, check_level, z_value
from cxlens.stats.tests import Difference, z_test

PROMOTER_MIN = 9    # Reichheld (2003): 9 and 10 are promoters
DETRACTOR_MAX = 6   # 0 to 6 are detractors; 7 and 8 passives
NPS_METHODS = ("adjusted-wald", "wald", "bootstrap")


def is_promoter(scores) -> np.ndarray:
    """True where a 0-10 answer is a promoter (9-10); NaN is neither."""
    return np.asarray(scores, dtype=float) >= PROMOTER_MIN


def is_detractor(scores) -> np.ndarray:
    """True where a 0-10 answer is a detractor (0-6); NaN is neither."""
    return np.asarray(scores, dtype=float) <= DETRACTOR_MAX


def nps_contribution(scores) -> np.ndarray:
    """Each answer's share of NPS: +100 promoter, 0 passive, -100 detractor; NaN stays NaN.

    The mean of the contributions is the NPS, so they serve as a regression outcome."""
    s = np.asarray(scores, dtype=float)
    return np.where(np.isnan(s), np.nan, np.where(is_promoter(s), 100.0, np.where(is_detractor(s), -100.0, 0.0)))


def nps_counts(scores) -> tuple[int, int, int]:
    """(answers, promoters, detractors) among the non-missing 0-10 answers."""
    s = np.asarray(scores, dtype=float).ravel()
    s = s[~np.isnan(s)]
    return len(s), int(is_promoter(s).sum()), int(is_detractor(s).sum())


def nps_from_counts(n, promoters, detractors) -> np.ndarray:
    """NPS on the -100..100 scale from counts: 100·(promoters − detractors)/n; NaN where n = 0."""
    n, p, d = as_arrays(n, promoters, detractors)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, 100 * (p - d) / n, np.nan)


def nps_variance(n, promoters, detractors, adjusted: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(NPS as a proportion difference, its variance) per cell; adjusted-Wald counts by default.

    Why: the variance feeds difference tests and heterogeneity tests across groups."""
    n, p, d = as_arrays(n, promoters, detractors)
    if adjusted:
        # Lewis & Sauro (2021), "Confidence intervals for NPS": n + 3, promoters + 3/4, detractors + 3/4.
        n, p, d = n + 3, p + 0.75, d + 0.75
    with np.errstate(divide="ignore", invalid="ignore"):
        pp, pd_ = p / n, d / n
        # Multinomial: var(p̂P − p̂D) = (pP + pD − (pP − pD)²) / n (Rocks 2016).
        return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / n


def nps_interval(n, promoters, detractors, method: str = "adjusted-wald", level: float = 0.95,
                 n_boot: int = 2000, seed: int = 0) -> Interval:
    """Interval for NPS on the -100..100 scale from counts of answers, promoters and detractors.

    adjusted-Wald is the default because it keeps ~95% coverage at small n and at extreme scores,
    where the plain Wald interval collapses to zero width (Rocks 2016; Lewis & Sauro 2021).
    """
    n, p, d = as_arrays(n, promoters, detractors)
    check_level(level)
    if method == "adjusted-wald":
        low, high = _wald(n + 3, p + 0.75, d + 0.75, level)  # Lewis & Sauro (2021) adjustment
    elif method == "wald":
        low, high = _wald(n, p, d, level)
    elif method == "bootstrap":
        low, high = _bootstrap(n, p, d, level, n_boot, seed)
    else:
        raise ValueError(f"unknown NPS interval method '{method}'; use one of {', '.join(NPS_METHODS)}")
    return Interval(100 * np.clip(low, -1, 1), 100 * np.clip(high, -1, 1))


def _wald(n, p, d, level):
    center, var = nps_variance(n, p, d, adjusted=False)
    half = z_value(level) * np.sqrt(var)
    return center - half, center + half


def _bootstrap(n, p, d, level, n_boot, seed):
    """Percentile bootstrap. Resampling answers with replacement only changes the three category
    counts, so drawing them from Multinomial(n, observed shares) is the same bootstrap, but cheap."""
    rng = np.random.default_rng(seed)
    low, high = np.full(n.shape, np.nan), np.full(n.shape, np.nan)
    alpha = (1 - level) / 2
    for i, (ni, pi, di) in enumerate(zip(n, p, d)):
        m = int(round(ni))
        if m <= 0:
            continue
        shares = np.clip([pi / ni, 1 - (pi + di) / ni, di / ni], 0, 1)
        draws = rng.multinomial(m, shares / shares.sum(), size=n_boot)
        scores = (draws[:, 0] - draws[:, 2]) / m
        low[i], high[i] = np.quantile(scores, [alpha, 1 - alpha])
    return low, high


def nps_difference_test(n1, p1, d1, n2, p2, d2, level: float = 0.95) -> Difference:
    """Two-sided z-test of NPS1 - NPS2 (independent samples), on the -100..100 scale.

    Both groups use the adjusted-Wald estimates and the multinomial variance; the variance of the
    difference is the sum of the two (Lewis & Sauro 2021, "Comparing Net Promoter Scores"). The
    reported difference is the plain one; interval and test use the adjusted estimates.
    """
    e1, v1 = nps_variance(n1, p1, d1)
    e2, v2 = nps_variance(n2, p2, d2)
    test = z_test(e1 - e2, np.sqrt(v1 + v2), level)
    raw = (nps_from_counts(n1, p1, d1) - nps_from_counts(n2, p2, d2)) / 100
    return Difference(100 * raw, 100 * np.clip(test.low, -2, 2), 100 * np.clip(test.high, -2, 2), test.statistic,
                      test.p_value)
