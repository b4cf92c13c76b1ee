"""Johnson's relative weights and the Shapley value of R² against published figures and brute force."""

from __future__ import annotations

from itertools import permutations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.stats.importance import (
    MAX_SHAPLEY_DRIVERS, check_correlation, pairwise_correlation, r_squared, relative_weights, shapley_r_squared,
    split_correlation, subset_r_squared,
)

MTCARS = pd.read_csv(Path(__file__).parent / "data" / "mtcars_subset.csv")


def _corr(frame: pd.DataFrame, drivers: list[str], outcome: str):
    return split_correlation(np.corrcoef(frame[drivers + [outcome]].to_numpy(float).T))


def test_relative_weights_match_the_rwa_package_on_mtcars():
    # martinctc/rwa README: rwa(mtcars, outcome = "mpg", predictors = c("cyl", "disp", "hp", "gear"))
    rxx, rxy = _corr(MTCARS, ["cyl", "disp", "hp", "gear"], "mpg")
    assert r_squared(rxx, rxy) == pytest.approx(0.7791896, abs=1e-7)
    assert relative_weights(rxx, rxy) == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=1e-7)


def test_shapley_matches_relaimpo_lmg_on_mtcars():
    # relaimpo::calc.relimp(mpg ~ am + vs + cyl, data = mtcars, type = "lmg"), as printed in the domir vignette
    rxx, rxy = _corr(MTCARS, ["am", "vs", "cyl"], "mpg")
    assert r_squared(rxx, rxy) == pytest.approx(0.762, abs=5e-4)
    assert shapley_r_squared(rxx, rxy) == pytest.approx([0.1774892, 0.2027032, 0.3817849], abs=1e-7)


def _shapley_by_permutations(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Brute force: every order of entry, R² from least squares on the raw data, gains averaged."""
    k = X.shape[1]

    def r2(cols: tuple[int, ...]) -> float:
        if not cols:
            return 0.0
        A = np.c_[np.ones(len(y)), X[:, cols]]
        resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
        return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))

    out = np.zeros(k)
    orders = list(permutations(range(k)))
    for order in orders:
        for pos, j in enumerate(order):
            out[j] += r2(tuple(sorted(order[:pos + 1]))) - r2(tuple(sorted(order[:pos])))
    return out / len(orders)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shapley_equals_permutation_averages_and_both_decompositions_sum_to_r_squared(seed):
    rng = np.random.default_rng(seed)
    n, k = 300, 5
    X = rng.standard_normal((n, k)) @ rng.standard_normal((k, k)) * 0.5 + rng.standard_normal((n, k))
    y = X @ rng.normal(0, 1, k) + rng.standard_normal(n) * 2
    rxx, rxy = split_correlation(np.corrcoef(np.c_[X, y].T))
    full = r_squared(rxx, rxy)
    shapley = shapley_r_squared(rxx, rxy)
    assert shapley == pytest.approx(_shapley_by_permutations(X, y), abs=1e-10)
    assert shapley.sum() == pytest.approx(full, abs=1e-12)
    weights = relative_weights(rxx, rxy)
    assert weights.sum() == pytest.approx(full, abs=1e-12)
    assert (weights >= 0).all()


def test_relative_weights_equal_squared_correlations_when_drivers_are_uncorrelated():
    rxx, rxy = np.eye(3), np.array([0.5, -0.3, 0.1])
    assert relative_weights(rxx, rxy) == pytest.approx(rxy**2)
    assert shapley_r_squared(rxx, rxy) == pytest.approx(rxy**2)


def test_subset_r_squared_is_indexed_by_bitmask():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((100, 3)), rng.standard_normal(100)
    rxx, rxy = split_correlation(np.corrcoef(np.c_[X, y].T))
    table = subset_r_squared(rxx, rxy)
    assert table[0] == 0 and table[0b001] == pytest.approx(rxy[0] ** 2) and table[0b111] == pytest.approx(r_squared(rxx, rxy))
    assert table[0b101] == pytest.approx(r_squared(rxx[np.ix_([0, 2], [0, 2])], rxy[[0, 2]]))


def test_pairwise_correlation_uses_the_rows_where_both_are_present_and_frequency_weights():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 3))
    X[:50, 0] = np.nan
    X[100:130, 1] = np.nan
    corr, n = pairwise_correlation(X)
    both = ~np.isnan(X[:, 0]) & ~np.isnan(X[:, 1])
    assert corr[0, 1] == pytest.approx(np.corrcoef(X[both, 0], X[both, 1])[0, 1])
    assert n[0, 1] == both.sum() and n[2, 2] == 200
    counts = rng.integers(0, 3, 200).astype(float)
    wc, _ = pairwise_correlation(X, counts)
    repeated = np.repeat(X, counts.astype(int), axis=0)
    keep = ~np.isnan(repeated[:, 0]) & ~np.isnan(repeated[:, 2])
    assert wc[0, 2] == pytest.approx(np.corrcoef(repeated[keep, 0], repeated[keep, 2])[0, 1])


def test_a_constant_or_collinear_driver_is_named():
    X = np.c_[np.arange(10.0), np.ones(10), np.arange(10.0) ** 2]
    corr, _ = pairwise_correlation(np.c_[X, np.arange(10.0) % 3])
    rxx, rxy = split_correlation(corr)
    with pytest.raises(ValueError, match="no correlation for b"):
        check_correlation(rxx, rxy, ["a", "b", "c"])
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal(50), rng.standard_normal(50)
    rxx, rxy = split_correlation(np.corrcoef(np.c_[a, b, a + b, rng.standard_normal(50)].T))
    with pytest.raises(ValueError, match="the correlations of a, b, a_plus_b are collinear"):
        relative_weights(rxx, rxy, ["a", "b", "a_plus_b"])


def test_more_drivers_than_the_exact_shapley_handles_are_refused():
    k = MAX_SHAPLEY_DRIVERS + 1
    with pytest.raises(ValueError, match=f"{k} drivers is more than {MAX_SHAPLEY_DRIVERS}"):
        shapley_r_squared(np.eye(k), np.full(k, 0.1))
    assert relative_weights(np.eye(k), np.full(k, 0.1)).sum() == pytest.approx(k * 0.01)
