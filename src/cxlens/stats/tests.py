"""Tests of a difference (Welch t, z), multiple-comparison control and heterogeneity across groups.

Vectorised over cells like :mod:`cxlens.stats.intervals`: one comparison per element.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cxlens.stats.distributions import chi2_sf, normal_sf, t_quantile, t_sf
from cxlens.stats.intervals import as_arrays, check_level, z_value


class Difference(NamedTuple):
    """A two-sided test of a difference: estimate, interval, test statistic and p-value per cell."""

    difference: np.ndarray
    low: np.ndarray
    high: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray


def z_test(difference, se, level: float = 0.95) -> Difference:
    """Two-sided z-test and Wald interval for a difference with a known (large-sample) standard error."""
    d, se = as_arrays(difference, se)
    half = z_value(level) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        z = d / se
    return Difference(d, d - half, d + half, z, 2 * normal_sf(np.abs(z)))


def welch_test(mean1, sd1, n1, mean2, sd2, n2, level: float = 0.95) -> Difference:
    """Welch (1947) t-test and interval for mean1 - mean2 when the two groups' variances differ."""
    m1, s1, k1, m2, s2, k2 = as_arrays(mean1, sd1, n1, mean2, sd2, n2)
    check_level(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = s1**2 / k1, s2**2 / k2
        se = np.sqrt(a + b)
        # Welch (1947) / Satterthwaite (1946) degrees of freedom: (a + b)² / (a²/(n1-1) + b²/(n2-1)).
        df = (a + b) ** 2 / (a**2 / (k1 - 1) + b**2 / (k2 - 1))
        diff = m1 - m2
        t = diff / se
        half = t_quantile(0.5 + level / 2, df) * se
        p = 2 * t_sf(np.abs(t), df)
    return Difference(diff, diff - half, diff + half, t, p)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini & Hochberg (1995) adjusted p-values (q-values): flag q < alpha to keep the expected
    share of false discoveries below alpha. NaN p-values stay NaN and do not count towards m."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p-values must lie between 0 and 1")
    order = np.argsort(p[ok])
    # Benjamini & Hochberg (1995): q_(i) = min over j >= i of p_(j)·m/j.
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.clip(q, 0, 1)
    out[ok] = adjusted
    return out


class Heterogeneity(NamedTuple):
    """Cochran's Q, its degrees of freedom and p-value, DerSimonian-Laird tau² and Higgins' I²."""

    q: float
    df: int
    p_value: float
    tau2: float
    i2: float


def heterogeneity(estimates, variances) -> Heterogeneity:
    """Do groups share one true value? Cochran's (1954) Q test, with the DerSimonian & Laird (1986)
    between-group variance tau² and Higgins & Thompson's (2002) I² (share of variation beyond noise).
    Groups with a NaN estimate or a variance <= 0 are left out; fewer than two groups give NaN."""
    y, v = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    if y.shape != v.shape:
        raise ValueError(f"estimates ({y.shape}) and variances ({v.shape}) must have the same shape")
    ok = ~np.isnan(y) & (v > 0)
    y, v = y[ok], v[ok]
    k = len(y)
    if k < 2:
        return Heterogeneity(np.nan, 0, np.nan, np.nan, np.nan)
    w = 1 / v
    pooled = np.sum(w * y) / np.sum(w)
    # Cochran (1954): Q = Σ w_i (y_i − ȳ_w)², chi² with k − 1 df under homogeneity.
    q = float(np.sum(w * (y - pooled) ** 2))
    df = k - 1
    # DerSimonian & Laird (1986), eq. 8: tau² = max(0, (Q − df) / (Σw − Σw²/Σw)).
    tau2 = max(0.0, (q - df) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    # Higgins & Thompson (2002): I² = max(0, (Q − df) / Q).
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return Heterogeneity(q, df, float(chi2_sf(q, df)), float(tau2), float(i2))
