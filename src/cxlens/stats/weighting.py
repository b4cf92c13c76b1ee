"""Survey weights: post-stratification, raking (iterative proportional fitting) and Kish's effective n.

Pure arithmetic on per-stratum counts; which strata exist and where the population counts come from
is the caller's business. Weights are per stratum and average 1 over answers, so the weighted number
of answers equals the number of answers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def poststratify(sample, population) -> np.ndarray:
    """Weight per stratum w_h = (N_h/N)/(n_h/n), normalised to mean 1 over answers (Holt & Smith 1979).

    Why: weighted answers then have the population's mix of strata. `sample` are answers per stratum
    (all > 0), `population` the population count per stratum."""
    n, pop = _counts(sample, "sample"), _counts(population, "population")
    if n.shape != pop.shape:
        raise ValueError(f"sample ({n.shape}) and population ({pop.shape}) need one count per stratum each")
    if np.any(n <= 0) or pop.sum() <= 0:
        raise ValueError("every stratum needs answers, and the population at least one member")
    w = (pop / pop.sum()) / (n / n.sum())
    return _mean_one(w, n)


def rake(sample, codes: Sequence[np.ndarray], margins: Sequence[np.ndarray], max_iter: int = 200,
         tol: float = 1e-10) -> np.ndarray:
    """Raking weights per stratum: iterative proportional fitting (Deming & Stephan 1940) of the
    weighted sample to each dimension's population margin, for when joint strata are too sparse.

    sample: answers per stratum. codes[d]: each stratum's category (0..C_d-1) on dimension d.
    margins[d]: the population total per category of dimension d (only shares matter). Categories with
    no answers get weight 0 shares: pass margins over the categories the sample has.
    Returns weights averaging 1 over answers."""
    n = _counts(sample, "sample")
    if len(codes) != len(margins) or not codes:
        raise ValueError("give one array of category codes and one margin per dimension")
    codes = [np.asarray(c, dtype=int) for c in codes]
    targets = []
    for d, (c, margin) in enumerate(zip(codes, margins)):
        margin = _counts(margin, f"margin {d}")
        if c.shape != n.shape or c.min() < 0 or c.max() >= len(margin):
            raise ValueError(f"codes for dimension {d} must give each stratum a category 0..{len(margin) - 1}")
        targets.append(margin / margin.sum() * n.sum())
    w = np.ones(len(n))
    for _ in range(max_iter):
        previous = w.copy()
        for c, target in zip(codes, targets):
            current = np.bincount(c, weights=n * w, minlength=len(target))
            with np.errstate(divide="ignore", invalid="ignore"):
                # Deming & Stephan (1940): scale every cell of a category by target / current margin.
                factor = np.where(current > 0, target / current, 0.0)
            w = w * factor[c]
        if np.max(np.abs(w - previous)) < tol:
            break
    return _mean_one(w, n)


def kish_effective_n(weight_sum, weight_sq_sum) -> np.ndarray:
    """Kish (1965) effective sample size (Σw)²/Σw²: the simple random sample size as precise as a
    weighted one. 0 where there are no weights."""
    w, w2 = np.asarray(weight_sum, dtype=float), np.asarray(weight_sq_sum, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w2 > 0, w**2 / w2, 0.0)


def _counts(values, what: str) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim != 1 or np.isnan(a).any() or np.any(a < 0):
        raise ValueError(f"{what} must be a 1-d array of counts >= 0")
    return a


def _mean_one(w: np.ndarray, n: np.ndarray) -> np.ndarray:
    return w * n.sum() / np.sum(n * w)
