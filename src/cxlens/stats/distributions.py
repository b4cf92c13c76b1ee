"""The few distribution functions cxlens needs, from `scipy.special`'s compiled kernels, imported on first use.

Why not `scipy.stats`: importing it costs about 0.6 s (it loads every distribution), paid by every CLI command
that computes an interval; `scipy.special` holds the same kernels `scipy.stats` calls underneath (ndtr, ndtri,
stdtr, stdtrit, chdtrc), so the figures are identical (tests/unit/stats/test_distributions.py).
Why on first use: `scipy.special` itself costs 0.2-0.3 s to import (it clones NumPy's namespace for the array API),
and `cxlens nps` needs none of it: its only quantile is a normal critical value of a usual level, kept as a
constant (`NORMAL_CRITICAL`); see architecture D37.
"""

from __future__ import annotations

import numpy as np

# Two-sided standard normal critical values z = ndtri(0.5 + level/2) of the usual confidence levels, as
# scipy.special.ndtri computes them, bit for bit (tests/unit/stats/test_distributions.py checks each).
NORMAL_CRITICAL = {
    0.8: 1.2815515655446004,
    0.9: 1.6448536269514722,
    0.95: 1.959963984540054,
    0.98: 2.3263478740408408,
    0.99: 2.5758293035489004,
    0.999: 3.2905267314919255,
}


def _special():
    from scipy import special

    return special


def normal_quantile(p):
    """Inverse of the standard normal CDF (scipy.stats.norm.ppf)."""
    return _special().ndtri(p)


def normal_critical(level: float) -> float:
    """Two-sided critical value for a confidence level in (0, 1): 1.959963984540054 for 0.95 (ndtri(0.5 + level/2))."""
    z = NORMAL_CRITICAL.get(level)
    return z if z is not None else float(normal_quantile(0.5 + level / 2))


def normal_sf(x):
    """P(Z > x) for a standard normal Z (scipy.stats.norm.sf)."""
    return _special().ndtr(-np.asarray(x, dtype=float))


def t_quantile(p, df):
    """Inverse of Student's t CDF with `df` degrees of freedom (scipy.stats.t.ppf)."""
    return _special().stdtrit(df, p)


def t_sf(x, df):
    """P(T > x) for Student's t with `df` degrees of freedom (scipy.stats.t.sf)."""
    return _special().stdtr(df, -np.asarray(x, dtype=float))


def chi2_sf(x, df):
    """P(X > x) for a chi-square with `df` degrees of freedom (scipy.stats.chi2.sf)."""
    return _special().chdtrc(df, x)
