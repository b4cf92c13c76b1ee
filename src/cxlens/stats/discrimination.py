"""How well a score separates two classes, and whether its probabilities can be taken at their word.

AUC (Mann-Whitney), its DeLong variance, the Brier score and the calibration table: pure numpy on arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.stats import rankdata

from cxlens.stats.intervals import z_value


def auc(y, score) -> float:
    """Area under the ROC curve: P(score of a random positive > that of a random negative), ties count 1/2.

    NaN when either class is empty.
    """
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)  # Mann-Whitney U from mid-ranks (Hanley & McNeil 1982, eq. 1)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


class AUCInterval(NamedTuple):
    auc: float
    low: float
    high: float


def delong_interval(y, score, level: float = 0.95) -> AUCInterval:
    """AUC with the DeLong, DeLong & Clarke-Pearson (1988) variance and a Wald interval (clipped to 0..1).

    Assumes independent rows; for repeated rows of one customer use a customer bootstrap instead.
    """
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    if m < 2 or n < 2:
        return AUCInterval(float("nan"), float("nan"), float("nan"))
    # placement values V10 (each positive) and V01 (each negative), DeLong et al. 1988 eq. 4-5, by mid-ranks
    # (Sun & Xu 2014, fast DeLong): V10_i = (rank of pos_i among all - rank among positives) / n
    all_ranks = rankdata(np.concatenate([pos, neg]))
    v10 = (all_ranks[:m] - rankdata(pos)) / n
    v01 = 1.0 - (all_ranks[m:] - rankdata(neg)) / m
    theta = float(v10.mean())
    var = v10.var(ddof=1) / m + v01.var(ddof=1) / n  # DeLong et al. 1988, S10/m + S01/n
    half = z_value(level) * np.sqrt(var)
    return AUCInterval(theta, max(0.0, theta - half), min(1.0, theta + half))


def brier(y, p) -> float:
    """Mean squared difference between predicted probability and outcome (Brier 1950)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return float(np.mean((p - y) ** 2))


class Calibration(NamedTuple):
    intercept: float
    slope: float


def calibration_line(y, p, max_iter: int = 50) -> Calibration:
    """Logistic recalibration y ~ a + b logit(p) by Newton-Raphson (Cox 1958): slope 1 and intercept 0 when
    the probabilities are right; slope < 1: too extreme (overfit), > 1: too timid."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    X = np.column_stack([np.ones_like(p), np.log(p / (1 - p))])
    beta = np.zeros(2)
    for _ in range(max_iter):
        mu = 1 / (1 + np.exp(-(X @ beta)))
        w = mu * (1 - mu)
        step = np.linalg.solve((X * w[:, None]).T @ X + 1e-12 * np.eye(2), X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return Calibration(float(beta[0]), float(beta[1]))


def reliability_bins(p, n_bins: int = 10) -> np.ndarray:
    """Bin (0..n_bins-1) of each probability by its quantile (deciles by default); ties stay in one bin."""
    p = np.asarray(p, dtype=float)
    ranks = rankdata(p, method="min") - 1
    return np.minimum((ranks * n_bins) // max(len(p), 1), n_bins - 1).astype(int)
