"""The few distribution functions cxlens needs, from `scipy.special`'s compiled kernels.

Why not `scipy.stats`: importing it costs about 0.6 s (it loads every distribution), paid by every CLI command
that computes an interval; `scipy.special` holds the same kernels `scipy.stats` calls underneath (ndtr, ndtri,
stdtr, stdtrit, chdtrc), so the figures are identical (tests/unit/stats/test_distributions.py).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def normal_quantile(p):
    """Inverse of the standard normal CDF (scipy.stats.norm.ppf)."""
    return special.ndtri(p)


def normal_sf(x):
    """P(Z > x) for a standard normal Z (scipy.stats.norm.sf)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def t_quantile(p, df):
    """Inverse of Student's t CDF with `df` degrees of freedom (scipy.stats.t.ppf)."""
    return special.stdtrit(df, p)


def t_sf(x, df):
    """P(T > x) for Student's t with `df` degrees of freedom (scipy.stats.t.sf)."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def chi2_sf(x, df):
    """P(X > x) for a chi-square with `df` degrees of freedom (scipy.stats.chi2.sf)."""
    return special.chdtrc(df, x)
