"""Ordinary least squares with classical, heteroskedasticity-robust (HC1) or cluster-robust (CR1)
standard errors, from raw arrays or from sufficient sums that an engine aggregates.

Why sums: the engine reduces millions of rows to the moment matrix Z'Z of Z = [1, x_1..x_K, y]
(per cluster, when rows of one customer are not independent); everything here works on those small
matrices. Every model has an intercept. A driver that never varies, or that is a linear combination
of earlier drivers, is kept in the result with NaN and a note saying why; it is never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cxlens.stats.distributions import t_quantile, t_sf
from cxlens.stats.intervals import Interval, check_level

COV_TYPES = ("classical", "HC1", "CR1")
NOT_VARYING = "does not vary in the data, so its effect cannot be estimated"
_TOL = 1e-10  # relative: a centred sum of squares below this share of the raw one counts as zero


@dataclass(frozen=True)
class OLSResult:
    """Slopes of y ~ 1 + x_1..x_K with standard errors; NaN (and a note) for drivers not estimable.

    df is the degrees of freedom of the reference t distribution: n - k (classical, HC1) or
    clusters - 1 (CR1, as Stata's `vce(cluster)`), k counting the intercept and estimable slopes.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    intercept: float
    n: int
    df: float
    cov_type: str
    clusters: int | None
    notes: tuple[str | None, ...]
    x_sd: np.ndarray
    y_sd: float
    correlation: np.ndarray

    @property
    def t(self) -> np.ndarray:
        """coef / se per driver."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.coef / self.se

    @property
    def p_values(self) -> np.ndarray:
        """Two-sided p-values of coef = 0 against t(df)."""
        return 2 * t_sf(np.abs(self.t), self.df)

    @property
    def std_coef(self) -> np.ndarray:
        """Standardised slopes: SDs of y per SD of the driver, to rank drivers on different units."""
        return self.coef * self.x_sd / self.y_sd

    def conf_int(self, level: float = 0.95) -> Interval:
        """coef ± t(level, df)·se per driver."""
        check_level(level)
        half = t_quantile(0.5 + level / 2, self.df) * self.se
        return Interval(self.coef - half, self.coef + half)


def moment_matrix(X, y) -> np.ndarray:
    """Z'Z for Z = [1, X, y]: the (K+2)x(K+2) sufficient sums of a regression (entry [0, 0] is n)."""
    Z = _design(X, y)
    return Z.T @ Z


def cluster_moments(X, y, clusters) -> np.ndarray:
    """Z_g'Z_g per cluster g, shape (G, K+2, K+2), clusters in sorted order of their labels."""
    Z = _design(X, y)
    _, g = np.unique(np.asarray(clusters), return_inverse=True)
    out = np.zeros((g.max() + 1, Z.shape[1], Z.shape[1]))
    np.add.at(out, g, Z[:, :, None] * Z[:, None, :])
    return out


def ols(X, y, names: Sequence[str] | None = None, cov: str = "HC1", clusters=None) -> OLSResult:
    """Fit y ~ 1 + X on raw arrays (X without the intercept column).

    cov: "HC1" (White 1980 with MacKinnon & White 1985's n/(n-k)), "CR1" (needs `clusters`, one label
    per row: rows of one cluster may be correlated), or "classical" (i.i.d. errors)."""
    Z = _design(X, y)
    names = _names(names, Z.shape[1] - 2)
    if cov not in COV_TYPES:
        raise ValueError(f"unknown covariance type '{cov}'; use one of {', '.join(COV_TYPES)}")
    if (cov == "CR1") != (clusters is not None):
        raise ValueError("pass clusters exactly when cov='CR1'")
    fit = _Fit(Z.T @ Z, names)
    if cov == "classical":
        return fit.result(*fit.classical())
    cols = fit.columns()
    e = Z[:, -1] - Z[:, cols] @ fit.b
    scores = Z[:, cols] * e[:, None]
    if cov == "CR1":
        _, g = np.unique(np.asarray(clusters), return_inverse=True)
        if len(g) != len(Z):
            raise ValueError(f"clusters has {len(g)} labels for {len(Z)} rows")
        summed = np.zeros((g.max() + 1, len(cols)))
        np.add.at(summed, g, scores)
        scores = summed
    return fit.result(*fit.sandwich(scores, cov))


def ols_from_moments(moments, names: Sequence[str] | None = None, cov: str | None = None) -> OLSResult:
    """Fit y ~ 1 + x from moment matrices Z'Z of Z = [1, x_1..x_K, y] (see :func:`moment_matrix`).

    One (K+2)x(K+2) matrix: classical standard errors. A stack (G, K+2, K+2), one per cluster (e.g.
    per customer): cluster-robust CR1 standard errors by default (Liang & Zeger 1986, with Stata's
    small-sample factor G/(G-1)·(N-1)/(N-K)); cov="classical" ignores the clustering.
    """
    m = np.asarray(moments, dtype=float)
    if m.ndim not in (2, 3) or m.shape[-1] != m.shape[-2] or m.shape[-1] < 2:
        raise ValueError(f"moments must be (K+2, K+2) or (G, K+2, K+2) matrices, got shape {m.shape}")
    cov = cov or ("CR1" if m.ndim == 3 else "classical")
    if cov not in ("classical", "CR1") or (cov == "CR1" and m.ndim != 3):
        raise ValueError("from moments, cov is 'classical' or, with per-cluster moments, 'CR1'")
    fit = _Fit(m.sum(axis=0) if m.ndim == 3 else m, _names(names, m.shape[-1] - 2))
    if cov == "classical":
        return fit.result(*fit.classical())
    cols = fit.columns()
    # Per-cluster score X_g'e_g = X_g'y_g − X_g'X_g·b, from the cluster's own sums.
    scores = m[:, cols, -1] - m[:, cols][:, :, cols] @ fit.b
    return fit.result(*fit.sandwich(scores, "CR1"))


def _design(X, y) -> np.ndarray:
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"X must be (n, K) and y (n,), got {X.shape} and {y.shape}")
    if np.isnan(X).any() or np.isnan(y).any():
        raise ValueError("X and y must not contain NaN; drop incomplete rows first")
    return np.column_stack([np.ones(len(y)), X, y])


def _names(names, k: int) -> tuple[str, ...]:
    names = tuple(names) if names is not None else tuple(f"x{i + 1}" for i in range(k))
    if len(names) != k:
        raise ValueError(f"{len(names)} names for {k} drivers")
    return names


class _Fit:
    """Slopes from the total moment matrix, with the drivers that cannot be estimated set aside."""

    def __init__(self, m: np.ndarray, names: tuple[str, ...]):
        k = len(names)
        self.m, self.names, self.k = m, names, k
        self.n = n = float(m[0, 0])
        mx, my = m[0, 1:k + 1] / n, m[0, -1] / n
        # Centred cross-products: Sxx = Σxx' − n·x̄x̄', Sxy = Σxy − n·x̄ȳ (numerically safer than raw).
        self.sxx = m[1:k + 1, 1:k + 1] - n * np.outer(mx, mx)
        self.sxy = m[1:k + 1, -1] - n * mx * my
        self.syy = float(m[-1, -1] - n * my**2)
        self.notes: list[str | None] = [None] * k
        self.idx = self._estimable()
        if n - len(self.idx) - 1 <= 0:
            raise ValueError(f"need more observations ({int(n)}) than parameters ({len(self.idx) + 1})")
        self.inv = np.linalg.inv(self.sxx[np.ix_(self.idx, self.idx)]) if len(self.idx) else np.zeros((0, 0))
        self.beta = self.inv @ self.sxy[self.idx]
        self.b = np.r_[my - mx[self.idx] @ self.beta, self.beta]  # intercept, then estimable slopes

    def _estimable(self) -> list[int]:
        keep: list[int] = []
        raw = np.diag(self.m)[1:self.k + 1]
        for j in range(self.k):
            ss = self.sxx[j, j]
            if ss <= _TOL * max(raw[j], 1e-300):
                self.notes[j] = NOT_VARYING
                continue
            if keep:
                a = np.linalg.solve(self.sxx[np.ix_(keep, keep)], self.sxx[keep, j])
                if ss - self.sxx[j, keep] @ a <= _TOL * ss:  # R² of x_j on the earlier drivers is 1
                    partners = [self.names[i] for i, c in zip(keep, a) if abs(c) > 1e-8]
                    self.notes[j] = (f"is a linear combination of {', '.join(partners)}, so its effect cannot "
                                     "be told apart from theirs")
                    continue
            keep.append(j)
        return keep

    def columns(self) -> list[int]:
        """Columns of Z in the fitted model: the intercept and the estimable drivers."""
        return [0] + [i + 1 for i in self.idx]

    def classical(self) -> tuple[np.ndarray, float, str, None]:
        df = self.n - len(self.idx) - 1
        sigma2 = max(self.syy - self.beta @ self.sxy[self.idx], 0.0) / df  # s² = RSS / (n − k)
        return np.sqrt(np.clip(np.diag(self.inv) * sigma2, 0, None)), df, "classical", None

    def sandwich(self, scores: np.ndarray, cov: str) -> tuple[np.ndarray, float, str, int | None]:
        cols = self.columns()
        bread = np.linalg.inv(self.m[np.ix_(cols, cols)])
        meat = scores.T @ scores
        g, n, k = len(scores), self.n, len(cols)
        if g < 2:
            raise ValueError("cluster-robust standard errors need at least 2 clusters")
        # HC1: n/(n−k) (MacKinnon & White 1985); CR1: G/(G−1)·(N−1)/(N−k) (Stata; Cameron & Miller 2015, eq. 12).
        factor = n / (n - k) if cov == "HC1" else g / (g - 1) * (n - 1) / (n - k)
        v = factor * bread @ meat @ bread
        df = n - k if cov == "HC1" else g - 1
        return np.sqrt(np.clip(np.diag(v)[1:], 0, None)), df, cov, (g if cov == "CR1" else None)

    def result(self, se_kept, df, cov, clusters) -> OLSResult:
        coef, se = np.full(self.k, np.nan), np.full(self.k, np.nan)
        coef[self.idx], se[self.idx] = self.beta, se_kept
        n = self.n
        d = np.diag(self.sxx)
        varying = np.array([note != NOT_VARYING for note in self.notes])
        with np.errstate(divide="ignore", invalid="ignore"):
            x_sd = np.where(varying, np.sqrt(np.clip(d, 0, None) / (n - 1)), np.nan)
            corr = np.where(varying, self.sxy / np.sqrt(d * self.syy), np.nan)
        return OLSResult(self.names, coef, se, float(self.b[0]), int(round(n)), float(df), cov, clusters,
                         tuple(self.notes), x_sd, float(np.sqrt(max(self.syy, 0.0) / (n - 1))), corr)
