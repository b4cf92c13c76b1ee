"""Change that is real: period-over-period and group-vs-rest comparisons with multiple-testing control.

A dashboard of 40 touchpoints x 12 months shows dozens of "moves" that are sampling noise. Each
comparison gets a test (NPS: z-test on the difference with the multinomial variance; means: Welch
t-test), and the p-values of all cells compared together are adjusted with Benjamini-Hochberg, so
"significant" means at most 5% of the flagged changes are expected to be false discoveries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.errors import UsageError
from cxlens.query import Scope
from cxlens.query.dimensions import period_label
from cxlens.stats import Difference, benjamini_hochberg, mean_sd, nps_difference_test, welch_test

COMPARISONS = ("previous", "rest")
_PERIOD_STEP = {
    "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1),
}
COMPARE_COLUMNS = ("vs", "change", "change_ci_low", "change_ci_high", "p_value", "q_value", "significant", "direction")


def compare_cells(cells: pd.DataFrame, metric: str, scope: Scope, against: str, *,
                  alpha: float = 0.05, level: float = 0.95) -> pd.DataFrame:
    """Comparison columns for each row of `cells` (output of :func:`cxlens.metrics.experience.cells`
    for the same `scope`, whose `by` and `period` say how the cells are keyed).

    against="previous": each cell vs the same cell one calendar period earlier (needs a period).
    against="rest": each cell vs all other groups of `scope.by` together, within the same period.
    Returns `cells` with COMPARE_COLUMNS added; `direction` is "rise"/"fall" only when the
    Benjamini-Hochberg adjusted p-value (q_value) is below `alpha`.
    """
    if against not in COMPARISONS:
        raise UsageError("compare", against, COMPARISONS)
    by, period = list(scope.by), scope.period
    if against == "previous":
        if not period:
            raise UsageError("period", period, message="compare='previous' needs period= (week, month, quarter or year)")
        ref = _previous(cells, by, period)
    else:
        if not by:
            raise UsageError("by", scope.by, message="compare='rest' needs at least one by= dimension to compare groups")
        ref = _rest(cells, by, period)
    out = cells.copy()
    out["vs"] = ref["vs"].to_numpy()
    test = _test(metric, cells, ref, level)
    out["change"], out["change_ci_low"], out["change_ci_high"] = test.difference, test.low, test.high
    out["p_value"] = test.p_value
    out["q_value"] = benjamini_hochberg(test.p_value)
    out["significant"] = np.nan_to_num(out["q_value"].to_numpy(float), nan=1.0) < alpha
    out["direction"] = np.where(out["significant"], np.where(out["change"] > 0, "rise", "fall"), None)
    return out


def _test(metric: str, a: pd.DataFrame, b: pd.DataFrame, level: float) -> Difference:
    if metric == "nps":
        return nps_difference_test(a["n_eff"], a["high"], a["low"], b["n_eff"], b["high"], b["low"], level)
    return welch_test(a["mean"], a["sd"], a["n_eff"], b["mean"], b["sd"], b["n_eff"], level)


def _previous(cells: pd.DataFrame, by: list[str], period: str) -> pd.DataFrame:
    """The row of the preceding calendar period for every cell (NaN where it had no answers)."""
    starts = pd.to_datetime(cells["period_start"])
    key = cells[by].copy()
    key["period_start"] = starts - _PERIOD_STEP[period]
    indexed = cells.assign(period_start=starts).set_index(by + ["period_start"])
    ref = indexed.reindex(pd.MultiIndex.from_frame(key)).reset_index(drop=True)
    ref["vs"] = [period_label(s, period) if found else None
                 for s, found in zip(key["period_start"], ref["n_eff"].notna())]
    return ref


def _rest(cells: pd.DataFrame, by: list[str], period: str | None) -> pd.DataFrame:
    """All other groups pooled (within the same period): counts, sums and sums of squares add up."""
    c = cells.copy()
    c["s1"] = c["mean"] * c["n_eff"]
    c["s2"] = c["sd"].fillna(0) ** 2 * (c["n_eff"] - 1) + c["n_eff"] * c["mean"] ** 2
    cols = ["n_eff", "high", "low", "s1", "s2"]
    if period:
        totals = c.groupby("period_start")[cols].transform("sum")
    else:
        totals = pd.DataFrame({k: np.full(len(c), c[k].sum()) for k in cols}, index=c.index)
    ref = totals - c[cols]
    n = ref["n_eff"].to_numpy(float)
    mean, sd = mean_sd(n, ref["s1"], ref["s2"])
    ref = ref.assign(mean=mean, sd=sd)
    ref["vs"] = "rest"
    return ref.reset_index(drop=True)
