"""Each experience metric's published figures from its cells' sums, on plain arrays.

`cxlens.metrics.experience` (pandas frames, every engine) and `cxlens.metrics.quick` (DuckDB rows, no pandas:
architecture D61) both turn the same sums into the same figures here, so a cell reads alike whichever path
answered it. A "column" is anything NumPy reads as a 1-d array (a pandas Series, a list, an array); every function
returns plain NumPy arrays in the order the published frame shows them.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from cxlens.model import METRIC_SCALES
from cxlens.stats import kish_effective_n, nps_interval, t_interval, wilson

Columns = Mapping[str, Any]
SHARES = {"csat": "top2", "ces": "low_effort"}  # the share each scale metric publishes beside its mean


def sufficient(raw: Columns, weighted: bool) -> dict[str, np.ndarray]:
    """n, customers, n_eff, high, low (effective counts), mean and sd from the summed columns of `raw`: n (answers),
    customers, w and w2 (sums of weights and squared weights), wh and wl (weights of high and low answers), ws and
    wss (weighted sums of scores and squared scores)."""
    n = np.asarray(raw["n"], dtype=float)
    w, w2 = np.asarray(raw["w"], dtype=float), np.asarray(raw["w2"], dtype=float)
    n_eff = kish_effective_n(w, w2) if weighted else n
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(raw["ws"], dtype=float) / w
        # weighted variance about the mean, scaled to the unbiased form with the effective n
        var = (np.asarray(raw["wss"], dtype=float) / w - mean**2) * np.where(n_eff > 1, n_eff / (n_eff - 1), np.nan)
        return {"n": np.asarray(raw["n"], dtype="int64"), "customers": np.asarray(raw["customers"], dtype="int64"),
                "n_eff": n_eff, "high": np.asarray(raw["wh"], dtype=float) / w * n_eff,
                "low": np.asarray(raw["wl"], dtype=float) / w * n_eff, "mean": mean, "sd": np.sqrt(np.clip(var, 0, None))}


def nps_figures(c: Columns, weighted: bool, min_n: int, ci: str, level: float) -> dict[str, np.ndarray]:
    """`nps_by`'s figures from the NPS cells `c` (`sufficient`'s columns): n, customers, n_eff (weighted only), nps,
    promoters_pct, passives_pct, detractors_pct, ci_low, ci_high, low_n."""
    n_eff, high, low = (np.asarray(c[k], dtype=float) for k in ("n_eff", "high", "low"))
    with np.errstate(divide="ignore", invalid="ignore"):
        prom, det = high / n_eff, low / n_eff
        nps = 100 * (high - low) / n_eff
    ci_low, ci_high = nps_interval(n_eff, high, low, method=ci, level=level)
    out = {"n": np.asarray(c["n"]), "customers": np.asarray(c["customers"])}
    if weighted:
        out["n_eff"] = np.round(n_eff, 1)
    out.update(nps=nps, promoters_pct=100 * prom, passives_pct=100 * (1 - prom - det), detractors_pct=100 * det,
               ci_low=ci_low, ci_high=ci_high, low_n=n_eff < min_n)
    return out


def scale_figures(c: Columns, metric: str, weighted: bool, min_n: int, level: float) -> dict[str, np.ndarray]:
    """`csat_by`'s or `ces_by`'s figures from that metric's cells `c`: n, customers, n_eff (weighted only), the mean
    with a t interval clipped to the answer scale, the share (SHARES) with a Wilson interval, low_n."""
    share = SHARES[metric]
    n_eff, high = np.asarray(c["n_eff"], dtype=float), np.asarray(c["high"], dtype=float)
    mean = np.asarray(c["mean"], dtype=float)
    mean_low, mean_high = t_interval(mean, np.asarray(c["sd"], dtype=float), n_eff, level)
    share_low, share_high = wilson(high, n_eff, level)
    out = {"n": np.asarray(c["n"]), "customers": np.asarray(c["customers"])}
    if weighted:
        out["n_eff"] = np.round(n_eff, 1)
    lo, hi = METRIC_SCALES[metric]  # an interval beyond the answer scale says nothing more
    out.update({metric: mean, "ci_low": np.clip(mean_low, lo, hi), "ci_high": np.clip(mean_high, lo, hi)})
    with np.errstate(divide="ignore", invalid="ignore"):
        out[f"{share}_pct"] = 100 * high / n_eff
    out[f"{share}_ci_low"], out[f"{share}_ci_high"] = 100 * np.asarray(share_low), 100 * np.asarray(share_high)
    out["low_n"] = n_eff < min_n
    return out


__all__ = ["SHARES", "nps_figures", "scale_figures", "sufficient"]
