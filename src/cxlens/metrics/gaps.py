"""Gaps: what customers expected vs what they got, what owners believe vs what customers say, and
whether a touchpoint delivers the same experience everywhere.

- Expectation gap (the SERVQUAL idea, Parasuraman, Zeithaml & Berry 1988): perceived CSAT minus
  stated expectation, both on the 1-5 scale, per touchpoint, with a Welch interval, ranked.
- Delivery gap: the owner's self-rating (journey.yaml `self_rating`) against the measured figure
  and its interval: over-rated when the self-rating lies above the whole interval.
- Consistency: does the score vary across regions, channels, accounts or weeks more than sampling
  noise explains? Cochran's Q test with DerSimonian-Laird tau² (the between-group SD on the metric's
  own scale) and I²; p-values adjusted with Benjamini-Hochberg across all touchpoints and dimensions.
"""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.metrics.experience import cells, csat_by, ces_by, nps_by
from cxlens.stats import benjamini_hochberg, heterogeneity, nps_variance, welch_test
from cxlens.query import Scope
from cxlens.query.dimensions import RESPONSE_DIMENSIONS, UNKNOWN, check_dimensions, group_keys, label_periods


def expectation_gap(store, scope: Scope = Scope(by=("touchpoint",)), *, min_n: int = 30,
                    level: float = 0.95) -> pd.DataFrame:
    """Per cell of `scope.by` (default: per touchpoint): mean expectation, mean perceived CSAT,
    gap = csat - expectation with a Welch CI.

    Negative gaps are shortfalls; rows are ranked from the largest shortfall. `significant` means
    the interval excludes 0.
    """
    by, period = check_dimensions(scope.by, RESPONSE_DIMENSIONS), scope.period
    if not by:
        raise UsageError("by", scope.by, RESPONSE_DIMENSIONS,
                         message="the gap model needs at least one by= dimension (usually touchpoint)")
    keys = group_keys(by, period)
    exp = cells(store, "expectation", scope)
    per = cells(store, "csat", scope)
    both = exp.merge(per, on=keys, suffixes=("_exp", "_csat"))
    if both.empty:
        raise AnalysisError("no cell has both expectation and csat answers; ask an expectation question")
    test = welch_test(both["mean_csat"], both["sd_csat"], both["n_eff_csat"],
                      both["mean_exp"], both["sd_exp"], both["n_eff_exp"], level)
    out = both[keys].copy()
    out["n_expectation"], out["expectation"] = both["n_exp"], both["mean_exp"]
    out["n_csat"], out["csat"] = both["n_csat"], both["mean_csat"]
    # the gap describes both groups of answerers: the smaller decides whether it may be published (cxlens.privacy)
    out["customers"] = np.minimum(both["customers_exp"], both["customers_csat"]).to_numpy()
    out["gap"], out["ci_low"], out["ci_high"], out["p_value"] = test.difference, test.low, test.high, test.p_value
    out["significant"] = (out["ci_high"] < 0) | (out["ci_low"] > 0)
    out["low_n"] = np.minimum(both["n_eff_exp"], both["n_eff_csat"]).to_numpy() < min_n
    out = out.sort_values(["period_start", "gap"] if period else "gap", kind="stable").reset_index(drop=True)
    return label_periods(out, period, len(by))


_OBSERVED = {"nps": (nps_by, "nps"), "csat": (csat_by, "csat"), "ces": (ces_by, "ces"),
             "csat_top2": (csat_by, "top2_pct"), "ces_low_effort": (ces_by, "low_effort_pct")}


def journey_json(store, column: str) -> pd.DataFrame:
    """touchpoint, stage, owner and the parsed JSON column (targets or self_rating) of every touchpoint."""
    t = store.table("touchpoints")
    frame = t.select("touchpoint_id", "name", "stage", "stage_order", "owner", column).execute()
    frame[column] = [json.loads(v) if isinstance(v, str) and v else {} for v in frame[column]]
    return frame.rename(columns={"touchpoint_id": "touchpoint"})


def delivery_gap(store, scope: Scope = Scope(), *, min_n: int = 30) -> pd.DataFrame:
    """Owners' self-rating per touchpoint and metric vs the measured value and its 95% interval,
    over the answers in `scope` (always per touchpoint: `scope.by` is empty or touchpoint, no period).

    status: "over-rated" (self-rating above the interval), "under-rated" (below it) or "consistent".
    Metrics compared: nps, csat, ces, csat_top2 and ces_low_effort (percent).
    """
    if scope.by not in ((), ("touchpoint",)):
        raise UsageError("by", scope.by, ["touchpoint"], message=f"by={scope.by!r}: the delivery gap is per touchpoint")
    scope.require_empty("period", analysis="delivery_gap")
    per_touchpoint = scope.replace(by=("touchpoint",))
    tps = journey_json(store, "self_rating")
    rows = []
    for metric, (fn, column) in _OBSERVED.items():
        rated = {tp: sr[metric] for tp, sr in zip(tps["touchpoint"], tps["self_rating"]) if metric in sr}
        if not rated:
            continue
        obs = fn(store, per_touchpoint, min_n=min_n)
        obs = obs[obs["touchpoint"].isin(rated)]
        lo, hi = ("ci_low", "ci_high") if column in ("nps", "csat", "ces") else (
            column.replace("_pct", "_ci_low"), column.replace("_pct", "_ci_high"))
        for r in obs.to_dict("records"):
            self_rating = float(rated[r["touchpoint"]])
            status = "over-rated" if self_rating > r[hi] else "under-rated" if self_rating < r[lo] else "consistent"
            rows.append({"touchpoint": r["touchpoint"], "metric": metric, "self_rating": self_rating,
                         "observed": r[column], "ci_low": r[lo], "ci_high": r[hi], "n": r["n"],
                         "customers": r["customers"],
                         "gap": r[column] - self_rating, "status": status, "low_n": r["low_n"]})
    out = pd.DataFrame(rows, columns=["touchpoint", "metric", "self_rating", "observed", "ci_low", "ci_high", "n",
                                      "customers", "gap", "status", "low_n"])
    out = out.merge(tps[["touchpoint", "owner"]], on="touchpoint", how="left")
    out.insert(1, "owner", out.pop("owner"))
    return out.sort_values(["metric", "gap"], kind="stable").reset_index(drop=True)


CONSISTENCY_ACROSS = ("region", "channel", "account", "week")
CONSISTENCY_METRICS = ("csat", "nps", "ces")


def consistency(store, scope: Scope = Scope(), *, metric: str = "csat", across: Sequence[str] = CONSISTENCY_ACROSS,
                min_group_n: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Per touchpoint and dimension of `across`: is the score the same in every group, up to sampling noise?

    Uses the answers in `scope` (dates, filters); the grouping is the test's own, so `scope.by` and
    `scope.period` stay empty.

    Groups with fewer than `min_group_n` answers are left out (their noise would swamp the test);
    rows with fewer than two groups are dropped, and so is the "(unknown)" group. `tau` is the between-group SD on the metric's scale
    (NPS points, CSAT/CES points). `inconsistent` = BH-adjusted p < alpha.
    Note: a response's channel is its touchpoint's channel, so `channel` separates groups only when
    a touchpoint id spans channels; it is kept for stores where it does.
    """
    if metric not in CONSISTENCY_METRICS:
        raise UsageError("metric", metric, CONSISTENCY_METRICS)
    scope.require_empty("by", "period", analysis="consistency (use across=)")
    rows = []
    for dim in across:
        if dim == "week":
            c = cells(store, metric, scope.replace(by=("touchpoint",), period="week"))
        else:
            check_dimensions([dim], list(RESPONSE_DIMENSIONS) + ["week"], parameter="across")
            c = cells(store, metric, scope.replace(by=("touchpoint", dim)))
        c = c[c["n"] >= min_group_n]
        if dim != "week":  # "(unknown)" lumps unlike customers together (e.g. every non-B2B customer)
            c = c[c[dim] != UNKNOWN]
        for tp, g in c.groupby("touchpoint", sort=True):
            if metric == "nps":
                y, v = nps_variance(g["n_eff"], g["high"], g["low"])
                y, v = 100 * y, 10000 * v
            else:
                y, v = g["mean"].to_numpy(), g["sd"].to_numpy() ** 2 / g["n_eff"].to_numpy()
            h = heterogeneity(y, v)
            if h.df < 1:
                continue
            rows.append({"touchpoint": tp, "across": dim, "groups": h.df + 1, "n": int(g["n"].sum()),
                         "customers": int(g["customers"].min()),  # the smallest group compared (cxlens.privacy)
                         "q_stat": h.q, "df": h.df, "p_value": h.p_value, "tau": float(np.sqrt(h.tau2)),
                         "i2_pct": 100 * h.i2})
    out = pd.DataFrame(rows, columns=["touchpoint", "across", "groups", "n", "customers", "q_stat", "df", "p_value", "tau", "i2_pct"])
    out["q_value"] = benjamini_hochberg(out["p_value"].to_numpy(float)) if len(out) else []
    out["inconsistent"] = out["q_value"] < alpha
    return out.sort_values(["inconsistent", "i2_pct"], ascending=[False, False], kind="stable").reset_index(drop=True)
