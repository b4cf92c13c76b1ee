"""Log-link rate models on aggregated cells, and the E-value for unmeasured confounding.

A Poisson model E[y] = n * exp(b0 + x'b) with n the exposure (rows) of a cell is fitted from cell totals:
the totals of y and n per covariate pattern are its sufficient statistics, so millions of customer-months
reduce to a few hundred cells. Used for monthly churn (a rate model: exp(b) is a rate ratio, close to a
hazard ratio when the monthly hazard is small) and, as Poisson pseudo-likelihood (Gourieroux, Monfort &
Trognon 1984; Santos Silva & Tenreyro 2006), for non-negative outcomes such as revenue per month, where
exp(b) is a ratio of means. Cluster-robust variance needs the per-cluster cell totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

RIDGE = 1e-8  # relative to the largest information: keeps a cell with no events finite (its rate then ~0)


@dataclass(frozen=True)
class RateModel:
    """Intercept and slopes of log E[y/n] = b0 + x'b; aliased columns have coef 0 and a note."""

    names: tuple[str, ...]
    intercept: float
    coef: np.ndarray
    cov: np.ndarray | None      # (K+1, K+1) over [intercept, slopes], None unless asked for
    notes: tuple[str | None, ...]
    iterations: int

    def predict(self, X) -> np.ndarray:
        """Expected y per unit of exposure for each row of X."""
        return np.exp(self.intercept + np.asarray(X, dtype=float) @ self.coef)

    def se(self) -> np.ndarray:
        """Standard errors of the slopes (NaN for aliased columns or without a covariance)."""
        if self.cov is None:
            return np.full(len(self.coef), np.nan)
        se = np.sqrt(np.clip(np.diag(self.cov)[1:], 0, None))
        return np.where([n is None for n in self.notes], se, np.nan)


def aliased(X, exposure, names: Sequence[str]) -> list[str | None]:
    """Per column: None when estimable, else why not (constant, or a linear combination of earlier columns)."""
    X = np.asarray(X, dtype=float)
    w = np.asarray(exposure, dtype=float)
    Z = np.column_stack([np.ones(len(X)), X]) * np.sqrt(w)[:, None]
    notes: list[str | None] = []
    keep = [0]
    for j in range(X.shape[1]):
        col = Z[:, j + 1]
        q, *_ = np.linalg.lstsq(Z[:, keep], col, rcond=None)
        resid = col - Z[:, keep] @ q
        if resid @ resid <= 1e-10 * max(col @ col, 1e-300):
            partners = [names[k - 1] for k, c in zip(keep, q) if k > 0 and abs(c) > 1e-8]
            notes.append("does not vary in the data" if not partners else
                         f"is a linear combination of {', '.join(partners)}")
        else:
            notes.append(None)
            keep.append(j + 1)
    return notes


def fit_rate(X, y, exposure, names: Sequence[str] | None = None, *, notes: Sequence[str | None] | None = None,
             cluster_y=None, cluster_n=None, max_iter: int = 60, tol: float = 1e-9) -> RateModel:
    """Poisson (pseudo-)maximum likelihood of y ~ exposure * exp(b0 + X b) on cells (Newton-Raphson).

    X: (C, K) cell covariates; y: (C,) totals; exposure: (C,) rows per cell. `notes` (from :func:`aliased`)
    may be passed to skip the collinearity check (the bootstrap refits the same design). With
    cluster_y / cluster_n, (G, C) per-cluster cell totals (dense or scipy sparse), the covariance is
    cluster-robust: H^-1 (sum_g s_g s_g') H^-1 * G/(G-1), s_g = sum_c (y_gc - n_gc mu_c) z_c (Liang & Zeger 1986).
    """
    X, y, n = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.asarray(exposure, dtype=float)
    if X.ndim != 2 or len(X) != len(y) or len(y) != len(n):
        raise ValueError(f"X must be (C, K) with y and exposure (C,), got {X.shape}, {y.shape}, {n.shape}")
    names = tuple(names) if names is not None else tuple(f"x{i + 1}" for i in range(X.shape[1]))
    if np.any(n < 0) or np.any(y < 0) or not np.all(np.isfinite(y)):
        raise ValueError("y and exposure must be finite and non-negative")
    if y.sum() <= 0:
        raise ValueError("the outcome is zero in every row, so no rate can be estimated")
    notes = list(notes) if notes is not None else aliased(X, n, names)
    idx = [j for j, note in enumerate(notes) if note is None]
    Z = np.column_stack([np.ones(len(X)), X[:, idx]])
    b = np.zeros(Z.shape[1])
    b[0] = np.log(y.sum() / n.sum())
    penalty = None
    it = 0
    for it in range(1, max_iter + 1):
        mu = n * np.exp(np.clip(Z @ b, -700, 700))
        H = (Z * mu[:, None]).T @ Z
        if penalty is None:
            penalty = np.full(len(b), RIDGE * max(np.diag(H).max(), 1e-12))
            penalty[0] = 0.0
        grad = Z.T @ (y - mu) - penalty * b
        step = np.linalg.solve(H + np.diag(penalty), grad)
        b = b + step
        if np.max(np.abs(step)) < tol:
            break
    coef = np.zeros(X.shape[1])
    coef[idx] = b[1:]
    cov = None
    if cluster_y is not None:
        mu_rate = np.exp(Z @ b)
        resid = _dense(cluster_y) - _dense(cluster_n) * mu_rate[None, :]
        scores = resid @ Z
        g = len(scores)
        bread = np.linalg.inv(H + np.diag(penalty))
        kept = g / (g - 1) * bread @ (scores.T @ scores) @ bread  # CR1-style factor G/(G-1) (Cameron & Miller 2015)
        cov = np.zeros((X.shape[1] + 1, X.shape[1] + 1))
        full = [0] + [j + 1 for j in idx]
        cov[np.ix_(full, full)] = kept
    return RateModel(names, float(b[0]), coef, cov, tuple(notes), it)


def _dense(a) -> np.ndarray:
    return np.asarray(a.toarray() if hasattr(a, "toarray") else a, dtype=float)


def e_value(rr) -> np.ndarray:
    """E-value of a risk ratio (VanderWeele & Ding 2017, Ann Intern Med 167:268): RR + sqrt(RR (RR - 1)),
    after taking 1/RR when RR < 1. The minimum strength of association, on the risk-ratio scale, that an
    unmeasured confounder would need with both exposure and outcome to explain the estimate away."""
    rr = np.asarray(rr, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(rr < 1, 1 / rr, rr)
        return r + np.sqrt(r * (r - 1))


def e_value_bound(low, high) -> np.ndarray:
    """E-value of the interval bound nearer 1 (VanderWeele & Ding 2017): 1 when the interval includes 1, NaN
    without an interval."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    nearer = np.where(np.isnan(low) | np.isnan(high), np.nan, np.where(low > 1, low, np.where(high < 1, high, 1.0)))
    return e_value(nearer)
