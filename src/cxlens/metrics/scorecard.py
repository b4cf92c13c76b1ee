"""Scorecard: one row per touchpoint (or stage) with every figure, its target and an honest status.

A target is met when the estimate reaches it; missed "significantly" only when the whole 95%
interval lies below it, so a team is not blamed for noise. Monthly NPS and CSAT series come with
each row for sparklines (the HTML report draws them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.metrics.experience import experience_by
from cxlens.metrics.gaps import expectation_gap, journey_json
from cxlens.metrics.outcomes import outcomes_by
from cxlens.query import PERIODS, Scope

LEVELS = ("touchpoint", "stage")
MEETS, BELOW, BELOW_SIG, NO_TARGET = "meets", "below target", "below target significantly", "no target"
_SEVERITY = {NO_TARGET: 0, MEETS: 1, BELOW: 2, BELOW_SIG: 3}
# target metric -> (scorecard column, interval low, interval high)
TARGET_COLUMNS = {
    "nps": ("nps", "nps_ci_low", "nps_ci_high"),
    "csat": ("csat", "csat_ci_low", "csat_ci_high"),
    "ces": ("ces", "ces_ci_low", "ces_ci_high"),
    "csat_top2": ("csat_top2_pct", "csat_top2_ci_low", "csat_top2_ci_high"),
    "ces_low_effort": ("ces_low_effort_pct", "ces_low_effort_ci_low", "ces_low_effort_ci_high"),
    "resolution_rate": ("resolution_rate", "resolution_ci_low", "resolution_ci_high"),
    "fcr": ("fcr_rate", "fcr_ci_low", "fcr_ci_high"),
}


def target_status(value: float, high: float, target: float | None) -> str:
    """meets (estimate reaches the target), below target, or below target significantly (the whole
    interval, up to `high`, lies below it); no target when there is nothing to compare."""
    if target is None or value is None or pd.isna(value):
        return NO_TARGET
    if value >= target:
        return MEETS
    return BELOW_SIG if (high is not None and not pd.isna(high) and high < target) else BELOW


def scorecard(store, scope: Scope = Scope(), *, level: str = "touchpoint", min_n: int = 30,
              trend_period: str = "month", customers_cap: int | None = None) -> pd.DataFrame:
    """The scorecard table, one row per touchpoint or stage in journey order, over the answers and
    tickets in `scope` (dates, filters; `scope.weighting` weights NPS, CSAT and CES only).

    Columns: stage, [touchpoint], NPS/CSAT/CES with n and intervals, % top-2 and % low effort,
    ticket outcomes (tickets, resolution_rate, fcr_rate, reopen_rate, resolution_p50_h), the
    expectation gap, targets (from journey.yaml, touchpoint level only), status (worst over the
    metrics with a target), status_detail, low_n, and the series periods/nps_trend/csat_trend
    (monthly unless `trend_period` says otherwise) for sparklines. Distinct customers behind each family of
    figures (small groups, cxlens.privacy): customers_nps, _csat, _ces, _tickets, _gap, and the series
    nps_trend_customers / csat_trend_customers. `customers_cap`: those of NPS, CSAT, CES (and their trends) and tickets
    are min(customers, cap) (`cxlens.metrics.experience.cells`, `outcomes_by`; None: exact).
    """
    if level not in LEVELS:
        raise UsageError("level", level, LEVELS)
    if trend_period not in PERIODS:
        raise UsageError("trend_period", trend_period, PERIODS)
    scope.require_empty("by", "period", analysis="the scorecard (use level= and trend_period=)")
    rows = scope.replace(by=(level,))
    unweighted = rows.replace(weighting=None)  # outcomes, gap and trends are unweighted, as they always were
    journey = journey_json(store, "targets")
    base = (journey[["stage", "stage_order", "touchpoint", "targets"]] if level == "touchpoint"
            else journey.groupby("stage", as_index=False)["stage_order"].min())
    out = base.sort_values(["stage_order"] + (["touchpoint"] if level == "touchpoint" else []), kind="stable")
    out = out.merge(_experience(store, rows, min_n, customers_cap), on=level, how="left")
    out = out.merge(_outcomes(store, unweighted, customers_cap), on=level, how="left")
    out = out.merge(_gap(store, unweighted, min_n), on=level, how="left")
    if level == "touchpoint":
        statuses = [_row_status(r) for r in out.to_dict("records")]
        out["status"] = [s for s, _ in statuses]
        out["status_detail"] = [d for _, d in statuses]
        out["targets"] = out["targets"].map(lambda t: t or {})
    else:
        out["status"], out["status_detail"] = NO_TARGET, ""
    for col in ("n_nps", "n_csat", "n_ces", "tickets", "open_tickets", "customers_nps", "customers_csat",
                "customers_ces", "customers_tickets", "customers_gap"):
        if col in out:
            out[col] = out[col].astype("Int64")
    n_cols = out[["n_nps", "n_csat", "n_ces"]].fillna(0).to_numpy()
    out["low_n"] = ((n_cols > 0) & (n_cols < min_n)).any(axis=1) | (n_cols.sum(axis=1) == 0)
    out = out.merge(_trends(store, unweighted.replace(period=trend_period), customers_cap), on=level, how="left")
    for col in ("periods", "nps_trend", "csat_trend", "nps_trend_customers", "csat_trend_customers"):
        out[col] = out[col].map(lambda v: v if isinstance(v, list) else [])
    return out.drop(columns=["stage_order"]).reset_index(drop=True)


def _experience(store, scope: Scope, min_n: int, cap: int | None = None) -> pd.DataFrame:
    level = scope.by[0]
    got = experience_by(store, scope, min_n=min_n, customers_cap=cap)  # one pass over the rollup for all three (D52)
    nps, csat, ces = got["nps"], got["csat"], got["ces"]
    frame = nps[[level, "n", "customers", "nps", "ci_low", "ci_high"]].rename(
        columns={"n": "n_nps", "customers": "customers_nps", "ci_low": "nps_ci_low", "ci_high": "nps_ci_high"})
    frame = frame.merge(csat[[level, "n", "customers", "csat", "ci_low", "ci_high", "top2_pct", "top2_ci_low",
                              "top2_ci_high"]].rename(
        columns={"n": "n_csat", "customers": "customers_csat", "ci_low": "csat_ci_low", "ci_high": "csat_ci_high", "top2_pct": "csat_top2_pct",
                 "top2_ci_low": "csat_top2_ci_low", "top2_ci_high": "csat_top2_ci_high"}), on=level, how="outer")
    frame = frame.merge(ces[[level, "n", "customers", "ces", "ci_low", "ci_high", "low_effort_pct", "low_effort_ci_low",
                             "low_effort_ci_high"]].rename(
        columns={"n": "n_ces", "customers": "customers_ces", "ci_low": "ces_ci_low", "ci_high": "ces_ci_high", "low_effort_pct": "ces_low_effort_pct",
                 "low_effort_ci_low": "ces_low_effort_ci_low", "low_effort_ci_high": "ces_low_effort_ci_high"}),
        on=level, how="outer")
    return frame


def _outcomes(store, scope: Scope, cap: int | None = None) -> pd.DataFrame:
    level = scope.by[0]
    cols = [level, "tickets", "customers_tickets", "resolution_rate", "resolution_ci_low", "resolution_ci_high", "fcr_rate",
            "fcr_ci_low", "fcr_ci_high", "reopen_rate", "resolution_p50_h"]
    try:
        frame = outcomes_by(store, scope, customers_cap=cap)
    except (AnalysisError, UsageError):  # e.g. no tickets, or a filter tickets do not have (aspect): no outcome columns
        return pd.DataFrame(columns=cols)
    return frame.rename(columns={"customers": "customers_tickets"})[cols]


def _gap(store, scope: Scope, min_n: int) -> pd.DataFrame:
    level = scope.by[0]
    try:
        gap = expectation_gap(store, scope, min_n=min_n)
    except AnalysisError:
        return pd.DataFrame(columns=[level, "customers_gap", "expectation_gap", "expectation_gap_ci_low",
                                     "expectation_gap_ci_high"])
    return gap[[level, "customers", "gap", "ci_low", "ci_high"]].rename(
        columns={"customers": "customers_gap", "gap": "expectation_gap", "ci_low": "expectation_gap_ci_low",
                 "ci_high": "expectation_gap_ci_high"})


def row_status(row: dict) -> tuple[str, str]:
    """(status, status_detail) of one scorecard row from its figures and targets (again after suppression)."""
    return _row_status(row)


def _row_status(row: dict) -> tuple[str, str]:
    worst, details = NO_TARGET, []
    for metric, target in (row.get("targets") or {}).items():
        if metric not in TARGET_COLUMNS:
            continue
        col, _, high = TARGET_COLUMNS[metric]
        status = target_status(row.get(col), row.get(high), float(target))
        if status == NO_TARGET:
            continue
        details.append(f"{metric} {row[col]:.2f} vs {float(target):g}: {status}")
        if _SEVERITY[status] > _SEVERITY[worst]:
            worst = status
    return worst, "; ".join(details)


def _trends(store, scope: Scope, cap: int | None = None) -> pd.DataFrame:
    """NPS and CSAT per `scope.period` for each row, aligned on one list of periods (None where no answers)."""
    level = scope.by[0]
    got = experience_by(store, scope, ("nps", "csat"), customers_cap=cap)
    nps, csat = got["nps"], got["csat"]
    months = sorted(set(nps["period"]) | set(csat["period"]))
    keys = sorted(set(nps[level]) | set(csat[level]))

    def series(frame: pd.DataFrame, col: str, key: str) -> list[float | None]:
        values = dict(zip(frame.loc[frame[level] == key, "period"], frame.loc[frame[level] == key, col]))
        return [None if pd.isna(values.get(m, np.nan)) else round(float(values[m]), 3) for m in months]

    return pd.DataFrame({level: keys, "periods": [months] * len(keys),
                         "nps_trend": [series(nps, "nps", k) for k in keys],
                         "csat_trend": [series(csat, "csat", k) for k in keys],
                         "nps_trend_customers": [series(nps, "customers", k) for k in keys],
                         "csat_trend_customers": [series(csat, "customers", k) for k in keys]})
