"""Risk ratios of two proportions with intervals and a test (cohort comparisons: churners vs stayers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxlens.stats.distributions import normal_sf
from cxlens.stats.intervals import z_value


@dataclass(frozen=True)
class RiskRatio:
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_value: np.ndarray


def risk_ratio(a, n1, b, n0, level: float = 0.95) -> RiskRatio:
    """(a/n1) / (b/n0) with the Katz log interval and a pooled two-proportion z test.

    Katz et al. 1978 (Biometrics 34:469); a zero cell gets 0.5 added to a and b for the interval only
    (Haldane-Anscombe). The p value is the pooled z test of p1 = p0 (Agresti 2013, 3.1).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    n1, n0 = np.broadcast_to(np.asarray(n1, float), a.shape), np.broadcast_to(np.asarray(n0, float), a.shape)
    if np.any(n1 <= 0) or np.any(n0 <= 0) or np.any(a > n1) or np.any(b > n0) or np.any(a < 0) or np.any(b < 0):
        raise ValueError("need 0 <= a <= n1, 0 <= b <= n0 and positive totals")
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = (a / n1) / (b / n0)
        zero = (a == 0) | (b == 0)
        ac, bc = np.where(zero, a + 0.5, a), np.where(zero, b + 0.5, b)
        se = np.sqrt(1 / ac - 1 / n1 + 1 / bc - 1 / n0)
        log_rr = np.log((ac / n1) / (bc / n0))
        z = z_value(level)
        pooled = (a + b) / (n1 + n0)
        z_stat = (a / n1 - b / n0) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    p = np.where(np.isfinite(z_stat), 2 * normal_sf(np.abs(z_stat)), 1.0)
    return RiskRatio(estimate, np.exp(log_rr - z * se), np.exp(log_rr + z * se), p)
