"""Confidence intervals from per-cell aggregates: a proportion (Wilson) and a mean (Student t).

Every function takes NumPy arrays (one element per cell), so a whole table of cells is handled at
once after the engine has reduced millions of answers to a few numbers per cell. Sample sizes may be
fractional: weighted cells pass their effective sample size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cxlens.stats.distributions import normal_critical, t_quantile


class Interval(NamedTuple):
    """Lower and upper bounds, one element per cell."""

    low: np.ndarray
    high: np.ndarray


def as_arrays(*values) -> tuple[np.ndarray, ...]:
    """Each argument as a float array of at least one dimension (scalars, lists and Series alike)."""
    return tuple(np.atleast_1d(np.asarray(v, dtype=float)) for v in values)


def check_level(level: float) -> None:
    """Refuse a confidence level outside (0, 1) with a message naming it."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must lie strictly between 0 and 1, got {level!r}")


def z_value(level: float = 0.95) -> float:
    """Two-sided standard normal critical value: 1.96 for level 0.95."""
    check_level(level)
    return normal_critical(level)


def wilson(k, n, level: float = 0.95) -> Interval:
    """Wilson (1927) score interval for a proportion k/n; well behaved near 0 and 1, unlike Wald."""
    k, n = as_arrays(k, n)
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
    n, s, ss = as_arrays(n, total, total_sq)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        # s² = (Σx² − n·x̄²) / (n − 1), the unbiased sample variance.
        var = np.clip((ss - n * mean**2) / (n - 1), 0, None)
    return mean, np.sqrt(var)


def t_interval(mean, sd, n, level: float = 0.95) -> Interval:
    """Student t interval for a mean: mean ± t(n-1)·sd/sqrt(n); undefined (NaN) below n = 2."""
    mean, sd, n = as_arrays(mean, sd, n)
    check_level(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        half = t_quantile(0.5 + level / 2, df) * sd / np.sqrt(n)
    return Interval(mean - half, mean + half)


def paired_difference(both, only_first, only_second, neither, level: float = 0.95) -> Interval:
    """Interval for p1 - p2 of two proportions measured on the same items (e.g. two models' accuracy on the
    same held-out rows): `both` items count for both, `only_first` / `only_second` for one, `neither` for none.

    Why not two separate intervals: the items are shared, so the two accuracies are correlated and two
    overlapping Wilson intervals say little about which is higher; this interval accounts for it.
    """
    a, b, c, d = as_arrays(both, only_first, only_second, neither)
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = (a + b) / n, (a + c) / n
        l1, u1 = wilson(a + b, n, level)
        l2, u2 = wilson(a + c, n, level)
        # Newcombe (1998b) method 10, Stat Med 17:2635-2650: Wilson limits squared and added, with the phi correlation
        # corrected for continuity: phi = (AD - BC - n/2)/sqrt(...) when AD - BC > n/2, 0 up to n/2, (AD - BC)/sqrt(...) below 0.
        cross, margins = a * d - b * c, (a + b) * (c + d) * (a + c) * (b + d)
        phi = np.where(margins > 0, np.where(cross > n / 2, cross - n / 2, np.minimum(cross, 0)) / np.sqrt(margins), 0.0)
        delta = p1 - p2
        low = delta - np.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
        high = delta + np.sqrt((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    return Interval(np.clip(low, -1, 1), np.clip(high, -1, 1))
