"""Relative importance of correlated drivers: how much of R² each one accounts for.

Two decompositions of the R² of y ~ x_1..x_K, both from the correlation matrix alone:
- Johnson's relative weights (Johnson 2000, Multivariate Behavioral Research 35:1): regress y on the
  orthogonal matrix closest to X and share each orthogonal component's R² back to the drivers by
  their squared loadings. Cheap (one eigendecomposition), so it is what a bootstrap repeats.
- The Shapley value of R² (LMG: Lindeman, Merenda & Gold 1980; Lipovetsky & Conklin 2001; Groemping
  2006, JSS 17(1), R package relaimpo): each driver's gain in R² averaged over every order of entry,
  exact over all 2^K subsets, so K is limited to MAX_SHAPLEY_DRIVERS.
Both are non-negative and sum to the full R²; on real data they agree closely, so the second checks
the first. Correlations may be pairwise-complete (`pairwise_correlation`), with frequency weights
(a bootstrap resample drawn as counts per row).
"""

from __future__ import annotations

from itertools import combinations
from math import comb
from typing import Sequence

import numpy as np

MAX_SHAPLEY_DRIVERS = 15  # 2^15 = 32,768 subset regressions; beyond that use relative weights alone
_EIG_TOL = 1e-10  # an eigenvalue of the driver correlation matrix below this counts as zero (collinear)


def pairwise_correlation(X, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlations of the columns of X over the rows where both are present (NaN = missing).

    weights: a frequency weight per row (e.g. bootstrap counts), default 1. Returns (corr, n) where
    n[a, b] is the weighted number of rows with both a and b present. A pair without two such rows,
    or where one column does not vary on them, gets NaN."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (rows x columns), got shape {X.shape}")
    w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(X),):
        raise ValueError(f"weights has shape {w.shape}; need one weight per row ({len(X)})")
    present = ~np.isnan(X)
    O = present * 1.0
    Z = np.where(present, X, 0.0)
    Ow, Zw = O * w[:, None], Z * w[:, None]
    # Pairwise sums: n_ab = Σw·o_a·o_b, s_ab = Σw·x_a·o_b, q_ab = Σw·x_a²·o_b, p_ab = Σw·x_a·x_b.
    n = Ow.T @ O
    s = Zw.T @ O
    q = (Zw * Z).T @ O
    p = Zw.T @ Z
    with np.errstate(divide="ignore", invalid="ignore"):
        # r = (nΣxy − ΣxΣy) / sqrt((nΣx² − (Σx)²)(nΣy² − (Σy)²)), each sum over the pair's rows.
        cov = n * p - s * s.T
        va, vb = n * q - s**2, (n * q - s**2).T
        r = cov / np.sqrt(va * vb)
        r[(n < 2) | (va <= 1e-12 * np.maximum(n * q, 1)) | (vb <= 1e-12 * np.maximum(n * q, 1).T)] = np.nan
    np.fill_diagonal(r, np.where(np.isnan(np.diag(r)), np.nan, 1.0))
    return np.clip(r, -1.0, 1.0), n


def split_correlation(corr) -> tuple[np.ndarray, np.ndarray]:
    """(Rxx, rxy) from a correlation matrix of [x_1..x_K, y] (the outcome last)."""
    R = np.asarray(corr, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] < 2:
        raise ValueError(f"need a square correlation matrix of drivers and outcome, got shape {R.shape}")
    return R[:-1, :-1], R[:-1, -1]


def check_correlation(rxx, rxy, names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a driver correlation matrix and driver-outcome correlations; ValueError naming the
    driver(s) that make them unusable (missing correlations, or drivers that are collinear)."""
    rxx, rxy = np.atleast_2d(np.asarray(rxx, dtype=float)), np.atleast_1d(np.asarray(rxy, dtype=float))
    k = len(rxy)
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(k)]
    if rxx.shape != (k, k) or len(names) != k:
        raise ValueError(f"rxx is {rxx.shape}, rxy has {k} entries and {len(names)} names: they must agree")
    constant = [names[i] for i in range(k) if np.isnan(rxx[i, i])]
    if constant:
        raise ValueError(f"no correlation for {', '.join(constant)}: it does not vary")
    bad = [names[i] for i in range(k) if np.isnan(rxy[i])]
    bad += [f"{names[a]} with {names[b]}" for a in range(k) for b in range(a + 1, k) if np.isnan(rxx[a, b])]
    if bad:
        raise ValueError(f"no correlation for {', '.join(bad)}: too few rows where both are present, or one "
                         "does not vary on them")
    values, vectors = np.linalg.eigh((rxx + rxx.T) / 2)
    if values[0] < _EIG_TOL:
        v = np.abs(vectors[:, 0])
        involved = [names[i] for i in np.flatnonzero(v > 0.2)]
        kind = "collinear (one is a linear combination of the others)" if values[0] > -1e-6 else (
            "inconsistent (pairwise-complete correlations that no single data set could produce)")
        raise ValueError(f"the correlations of {', '.join(involved)} are {kind}; "
                         "drop or merge one of these drivers")
    return rxx, rxy


def r_squared(rxx, rxy) -> float:
    """R² of y on all drivers from correlations: rxy' Rxx⁻¹ rxy."""
    rxx, rxy = np.asarray(rxx, float), np.asarray(rxy, float)
    return float(rxy @ np.linalg.solve(rxx, rxy))


def relative_weights(rxx, rxy, names: Sequence[str] | None = None) -> np.ndarray:
    """Johnson's (2000) raw relative weights, one per driver; they sum to the model's R².

    Rxx = V Λ V'; Λ* = V Λ^½ V' relates X to its closest orthogonal Z; β = Λ*⁻¹ rxy regresses y on Z;
    ε_j = Σ_k λ*²_jk β_k² (Johnson 2000, eqs. 4-6)."""
    rxx, rxy = check_correlation(rxx, rxy, names)
    values, vectors = np.linalg.eigh((rxx + rxx.T) / 2)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def subset_r_squared(rxx, rxy) -> np.ndarray:
    """R² of every subset of drivers, indexed by bitmask (bit j set = driver j in the model); [0] = 0."""
    rxx, rxy = np.asarray(rxx, float), np.asarray(rxy, float)
    k = len(rxy)
    out = np.zeros(2**k)
    for size in range(1, k + 1):
        subsets = np.array(list(combinations(range(k), size)))
        A = rxx[subsets[:, :, None], subsets[:, None, :]]
        b = rxy[subsets]
        out[(1 << subsets).sum(axis=1)] = np.einsum("ij,ij->i", b, np.linalg.solve(A, b[:, :, None])[:, :, 0])
    return out


def shapley_r_squared(rxx, rxy, names: Sequence[str] | None = None) -> np.ndarray:
    """Shapley value of R² per driver (LMG, Groemping 2006 eq. 5): sum over subsets S without j of
    |S|!(K-|S|-1)!/K! · (R²(S ∪ j) − R²(S)). Exact; at most MAX_SHAPLEY_DRIVERS drivers."""
    rxx, rxy = check_correlation(rxx, rxy, names)
    k = len(rxy)
    if k > MAX_SHAPLEY_DRIVERS:
        raise ValueError(f"the exact Shapley decomposition evaluates all 2^K subsets; {k} drivers is more than "
                         f"{MAX_SHAPLEY_DRIVERS}: use relative weights alone, or group drivers")
    r2 = subset_r_squared(rxx, rxy)
    masks = np.arange(2**k)
    sizes = np.array([bin(m).count("1") for m in masks])
    out = np.zeros(k)
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        s = sizes[without]
        weight = 1.0 / (k * np.array([comb(k - 1, int(x)) for x in s]))  # |S|!(K-|S|-1)!/K!
        out[j] = float(np.sum(weight * (r2[without | (1 << j)] - r2[without])))
    return out
