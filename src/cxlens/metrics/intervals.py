"""Confidence intervals and tests, computed from per-cell aggregates (counts, sums, sums of squares).

Every function takes NumPy arrays (one element per cell) so a whole table of cells is handled at
once, after the engine has reduced millions of answers to a few numbers per cell. Sample sizes may
be fractional: weighted cells pass their effective sample size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

NPS_METHODS = ("adjusted-wald", "wald", "bootstrap")


class Interval(NamedTuple):
    low: np.ndarray
    high: np.ndarray


def z_value(level: float = 0.95) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def nps_interval(n, promoters, detractors, method: str = "adjusted-wald", level: float = 0.95,
                 n_boot: int = 2000, seed: int = 0) -> Interval:
    """Interval for NPS on the -100..100 scale from counts of answers, promoters and detractors.

    adjusted-Wald is the default because it keeps ~95% coverage at small n and at extreme scores,
    where the plain Wald interval collapses to zero width (Rocks 2016; Lewis & Sauro 2021).
    """
    n, p, d = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (n, promoters, detractors))
    if method == "adjusted-wald":
        # Lewis & Sauro (2021), "Confidence intervals for NPS": n+3, promoters+3/4, detractors+3/4, multinomial variance.
        low, high = _wald(n + 3, p + 0.75, d + 0.75, level)
    elif method == "wald":
        low, high = _wald(n, p, d, level)
    elif method == "bootstrap":
        low, high = _bootstrap(n, p, d, level, n_boot, seed)
    else:
        raise ValueError(f"unknown NPS interval method '{method}'; use one of {', '.join(NPS_METHODS)}")
    return Interval(100 * np.clip(low, -1, 1), 100 * np.clip(high, -1, 1))


def nps_variance(n, promoters, detractors, adjusted: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(NPS as a proportion difference, its variance): var = (pP + pD - (pP - pD)^2) / n."""
    n, p, d = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (n, promoters, detractors))
    if adjusted:
        n, p, d = n + 3, p + 0.75, d + 0.75
    with np.errstate(divide="ignore", invalid="ignore"):
        pp, pd_ = p / n, d / n
        return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / n


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


def wilson(k, n, level: float = 0.95) -> Interval:
    """Wilson (1927) score interval for a proportion k/n; well behaved near 0 and 1, unlike Wald."""
    k, n = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (k, n))
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        # Wilson (1927); Newcombe (1998) method 3: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
        denom = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return Interval(np.clip(center - half, 0, 1), np.clip(center + half, 0, 1))


def mean_sd(n, total, total_sq) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample standard deviation from n, sum and sum of squares (what engines aggregate)."""
    n, s, ss = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (n, total, total_sq))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        var = np.clip((ss - n * mean**2) / (n - 1), 0, None)
    return mean, np.sqrt(var)


def t_interval(mean, sd, n, level: float = 0.95) -> Interval:
    """Student t interval for a mean: mean ± t(n-1)·sd/sqrt(n); undefined below n = 2."""
    mean, sd, n = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (mean, sd, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        half = stats.t.ppf(0.5 + level / 2, df) * sd / np.sqrt(n)
    return Interval(mean - half, mean + half)


class TestResult(NamedTuple):
    difference: np.ndarray
    low: np.ndarray
    high: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray


def nps_difference_test(n1, p1, d1, n2, p2, d2, level: float = 0.95) -> TestResult:
    """Two-sided z-test of NPS1 - NPS2 (independent samples), on the -100..100 scale.

    Both groups use the adjusted-Wald estimates and the multinomial variance; the variance of the
    difference is the sum of the two (Lewis & Sauro 2021, "Comparing Net Promoter Scores").
    """
    e1, v1 = nps_variance(n1, p1, d1)
    e2, v2 = nps_variance(n2, p2, d2)
    diff, se = e1 - e2, np.sqrt(v1 + v2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / se
        a = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (n1, p1, d1, n2, p2, d2)]
        raw = (a[1] - a[2]) / a[0] - (a[4] - a[5]) / a[3]
    half = z_value(level) * se
    # The reported difference is the plain one; interval and test use the adjusted estimates.
    return TestResult(100 * raw, 100 * np.clip(diff - half, -2, 2), 100 * np.clip(diff + half, -2, 2), z,
                      2 * stats.norm.sf(np.abs(z)))


def welch_test(mean1, sd1, n1, mean2, sd2, n2, level: float = 0.95) -> TestResult:
    """Welch (1947) t-test and interval for mean1 - mean2 with unequal variances."""
    m1, s1, k1, m2, s2, k2 = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (mean1, sd1, n1, mean2, sd2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = s1**2 / k1, s2**2 / k2
        se = np.sqrt(a + b)
        # Welch–Satterthwaite degrees of freedom.
        df = (a + b) ** 2 / (a**2 / (k1 - 1) + b**2 / (k2 - 1))
        diff = m1 - m2
        t = diff / se
        half = stats.t.ppf(0.5 + level / 2, df) * se
        p = 2 * stats.t.sf(np.abs(t), df)
    return TestResult(diff, diff - half, diff + half, t, p)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini & Hochberg (1995) adjusted p-values (q-values); NaN p-values stay NaN and don't count."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok])
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.clip(q, 0, 1)
    out[ok] = adjusted
    return out


class Heterogeneity(NamedTuple):
    q: float
    df: int
    p_value: float
    tau2: float
    i2: float


def heterogeneity(estimates, variances) -> Heterogeneity:
    """Cochran's Q test that groups share one true value, with the DerSimonian–Laird (1986)
    between-group variance tau² and Higgins' I² (share of variation beyond sampling noise)."""
    y, v = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    ok = ~np.isnan(y) & (v > 0)
    y, v = y[ok], v[ok]
    k = len(y)
    if k < 2:
        return Heterogeneity(np.nan, 0, np.nan, np.nan, np.nan)
    w = 1 / v
    pooled = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - pooled) ** 2))
    df = k - 1
    tau2 = max(0.0, (q - df) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return Heterogeneity(q, df, float(stats.chi2.sf(q, df)), float(tau2), float(i2))
