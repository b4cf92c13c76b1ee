"""Outcomes by satisfaction group: retention, revenue, cost to serve, upgrades and referrals after an answer, per
NPS group (or CSAT band) and optionally segment, with customer-level intervals and the gap to the top group.

The CX leaders' first exhibit: the wider the spread between detractors and promoters, the stronger the link from
experience to value. Each relationship-NPS answer (see `cxlens.value.dataset`) is followed for `horizon` months:

- retention: share of answers whose customer did not churn within the horizon, among answers with complete
  follow-up (the data reaches the horizon's last month, and the customer's follow-up reaches it or they
  churned): answers too recent for the horizon are left out, churned or not (keeping their churns but not
  their stays would bias retention down; counting their stays, up);
- revenue, cost_to_serve, upgrades, referrals: per active month over the horizon (the sum over the months
  observed, divided by the months the customer was active in them): fair to answers followed for fewer months
  (recent ones, churners), where a per-answer total would mix "worth less" with "watched less".

Each figure is a ratio of sums over answers (Σ outcome / Σ units). Its interval is customer-level: one customer's
repeated answers are one cluster, the variance is the cluster-robust (CR1) sandwich of the regression of the
outcome on group dummies (weighted by units), which for a ratio of sums is the linearisation
Σ_c (y_c − R·x_c)² / X² (Cochran 1977, Sampling Techniques §6.4) with Stata's small-sample factor
G/(G−1)·(N−1)/(N−K). The difference to the reference group (promoters; CSAT band 4-5) uses the covariance of the
two figures through customers who answered in both groups; the ratio's interval is the delta method on the log.

Computed in the engine down to one row per customer x group (x segment): answers, complete answers, churns,
active months and outcome sums; the estimates come from that small frame.
"""

from __future__ import annotations

from typing import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from cxlens.errors import AnalysisError, UsageError
from cxlens.query import Scope
from cxlens.stats.intervals import wilson
from cxlens.value.dataset import NPS_GROUPS, OUTCOMES, answers, history

BANDS = {"nps": NPS_GROUPS, "csat": ("1-2", "3", "4-5")}
REFERENCE = {"nps": "promoter", "csat": "4-5"}
GROUP_DIMENSIONS = ("segment", "region", "plan")
METRICS = ("retention", *OUTCOMES)
UNITS = {"retention": "complete answer", **{n: "active month" for n in OUTCOMES}}
SUMS = ("answers", "complete", "churned", "active_months", *OUTCOMES)
COLUMNS = ("group", "metric", "per", "value", "ci_low", "ci_high", "customers", "answers", "units", "difference",
           "difference_ci_low", "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high")


def _check(horizon: int, by: Sequence[str], band: str) -> list[str]:
    if band not in BANDS:
        raise UsageError("band", band, list(BANDS))
    if int(horizon) < 1:
        raise UsageError("horizon", horizon, message=f"horizon={horizon}: give the months of follow-up, at least 1")
    by = [by] if isinstance(by, str) else list(by)
    unknown = [d for d in by if d not in GROUP_DIMENSIONS]
    if unknown or len(set(by)) != len(by):
        raise UsageError("by", by, list(GROUP_DIMENSIONS),
                         message=f"by={by}: outcomes by group cut by any of {', '.join(GROUP_DIMENSIONS)} (each once)")
    return by


def _band_expr(band: str, score: ir.NumericValue) -> ir.StringValue:
    """CSAT band of a score: '1-2', '3', '4-5' (an answer rounded to the nearest point)."""
    s = score.round(0)
    return ibis.cases((score.isnull(), ibis.null("string")), (s <= 2, "1-2"), (s <= 3, "3"), else_="4-5")


def group_cells(store, scope: Scope = Scope(), *, horizon: int = 12, by: Sequence[str] = (), band: str = "nps",
                touchpoint: str | None = None) -> ir.Table:
    """One row per customer x group (x `by`) with the sums the estimates need, as an Ibis expression: customer_id,
    group, *by, answers, complete (answers with complete follow-up), churned (of them, churned within the horizon),
    active_months, revenue, cost_to_serve, upgrades, referrals (sums over the horizon). The group is the answer's NPS
    group, or (band='csat') the CSAT band of the customer's latest CSAT answer at or before it (answers without one
    are left out)."""
    by = _check(horizon, by, band)
    a = answers(store, scope, horizons=(horizon,), touchpoint=touchpoint)
    if band == "csat":
        h = history(store, scope, touchpoint=touchpoint).select(_rid="response_id", _csat="csat_latest")
        a = a.inner_join(h, a.response_id == h._rid)
        a = a.mutate(group=_band_expr(band, a._csat))
    a = a.filter(a.group.notnull())
    h = horizon
    complete = a[f"complete_{h}"]
    sums = {"answers": a.count(), "complete": complete.sum(), "churned": (a[f"churned_{h}"] * complete).sum(),
            "active_months": (a[f"months_{h}"] - a[f"churned_{h}"]).sum(),
            **{n: a[f"{n}_{h}"].sum() for n in OUTCOMES}}
    return a.group_by(["customer_id", "group", *by]).aggregate(**sums)


def cells_from_frame(frame: pd.DataFrame, *, horizon: int = 12, by: Sequence[str] = (), band: str = "nps") -> pd.DataFrame:
    """`group_cells` computed from a `dataset` / `answers_frame` frame in pandas (band='csat' needs `csat_latest`)."""
    by = _check(horizon, by, band)
    h = horizon
    need = ["customer_id", "group", *by, f"months_{h}", f"churned_{h}", f"complete_{h}", *(f"{n}_{h}" for n in OUTCOMES)]
    if band == "csat":
        need.append("csat_latest")
    missing = [c for c in need if c not in frame]
    if missing:
        raise UsageError("frame", list(frame.columns), message=f"the frame lacks {', '.join(missing)}: pass `dataset(...)` "
                                                                f"built with horizons including {h}")
    f = frame
    if band == "csat":
        s = f["csat_latest"].round(0)
        f = f.assign(group=np.select([s <= 2, s <= 3, s > 3], BANDS["csat"], default=None))
    f = f[f["group"].notna()]
    complete = f[f"complete_{h}"]
    f = f.assign(answers=1, complete=complete, churned=f[f"churned_{h}"] * complete,
                 active_months=f[f"months_{h}"] - f[f"churned_{h}"], **{n: f[f"{n}_{h}"] for n in OUTCOMES})
    return f.groupby(["customer_id", "group", *by], as_index=False)[list(SUMS)].sum()


def outcomes_by_group(source, scope: Scope = Scope(), *, horizon: int = 12, by: Sequence[str] = (), band: str = "nps",
                      level: float = 0.95, touchpoint: str | None = None) -> pd.DataFrame:
    """Retention, revenue, cost to serve, upgrades and referrals over `horizon` months after an answer, per NPS
    group (band='nps') or CSAT band (band='csat') and the `by` dimensions (segment, region, plan).

    `source`: a Store (everything up to the per customer x group sums runs in the engine; `scope` applies) or a
    `dataset` frame. One row per (*by, group, metric). Columns: *by, group, metric, per ('complete answer' for
    retention, 'active month' for the others), value, ci_low, ci_high (customer-level CR1, t with customers − 1
    degrees of freedom), customers, answers (all the group's answers), units (complete answers or active months
    the figure is over), difference and ratio to the reference group (promoters; CSAT 4-5) with their intervals
    (NaN on the reference rows). attrs: horizon, band, reference, customers, answers.
    """
    if isinstance(source, pd.DataFrame):
        cells = cells_from_frame(source, horizon=horizon, by=by, band=band)
    else:
        cells = group_cells(source, scope, horizon=horizon, by=by, band=band, touchpoint=touchpoint).to_pandas()
    return estimates(cells, by=_check(horizon, by, band), band=band, level=level, horizon=horizon)


def estimates(cells: pd.DataFrame, *, by: Sequence[str] = (), band: str = "nps", level: float = 0.95,
              horizon: int | None = None) -> pd.DataFrame:
    """The group figures from per customer x group sums (`group_cells`' columns)."""
    by = list(by)
    if cells.empty:
        raise AnalysisError("no relationship-NPS answers with a group in this scope: nothing to compare"
                            + (" (band csat: no CSAT answer at or before any NPS answer)" if band == "csat" else ""))
    cells = cells.astype({c: "float64" for c in SUMS})
    rows = []
    for key, cell in (cells.groupby(by, sort=True) if by else [((), cells)]):
        key = key if isinstance(key, tuple) else (key,)
        rows.extend({**dict(zip(by, key)), **r} for r in _cell_estimates(cell, band, level))
    out = pd.DataFrame(rows, columns=[*by, *COLUMNS])
    order = {g: i for i, g in enumerate(BANDS[band])}
    out = out.assign(_g=out.group.map(order), _m=out.metric.map({m: i for i, m in enumerate(METRICS)}))
    out = out.sort_values([*by, "_g", "_m"], kind="stable").drop(columns=["_g", "_m"]).reset_index(drop=True)
    out.attrs.update(horizon=horizon, band=band, reference=REFERENCE[band], customers=int(cells.customer_id.nunique()),
                     answers=int(cells.answers.sum()))
    return out


def _cell_estimates(cell: pd.DataFrame, band: str, level: float) -> list[dict]:
    """Estimates of every group and metric within one cell of the `by` dimensions (customers are the clusters)."""
    groups = [g for g in BANDS[band] if (cell.group == g).any()]
    ref = REFERENCE[band]
    _, c_idx = np.unique(cell.customer_id.to_numpy(), return_inverse=True)
    g_idx = np.array([groups.index(g) for g in cell.group])
    K = len(groups)
    customers = np.bincount(g_idx, minlength=K)  # one row per customer x group
    answers = np.bincount(g_idx, weights=cell.answers.to_numpy(), minlength=K)
    rows = []
    for metric in METRICS:
        y = (cell.churned if metric == "retention" else cell[metric]).to_numpy()
        x = (cell.complete if metric == "retention" else cell.active_months).to_numpy()
        Y, X = (np.bincount(g_idx, weights=v, minlength=K) for v in (y, x))
        G = len(np.unique(c_idx[x > 0]))  # clusters: customers with a unit (a complete answer, an active month)
        t = stats.t.ppf(0.5 + level / 2, G - 1) if G > 1 else np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            R = Y / X
            # Per-customer scores of the ratio R_g = ΣY/ΣX: u_cg = (y_cg − R_g·x_cg) / X_g (Cochran 1977, §6.4).
            u = np.zeros((c_idx.max() + 1, K))
            np.add.at(u, (c_idx, g_idx), (y - R[g_idx] * x) / X[g_idx])
        N, Kf = X.sum(), int((X > 0).sum())
        # CR1 small-sample factor G/(G−1)·(N−1)/(N−K) (Stata; Cameron & Miller 2015, eq. 12).
        factor = G / (G - 1) * (N - 1) / (N - Kf) if G > 1 and N > Kf else np.nan
        V = factor * np.nan_to_num(u).T @ np.nan_to_num(u)
        value = 1 - R if metric == "retention" else R
        r = groups.index(ref) if ref in groups else None
        for k, g in enumerate(groups):
            se = np.sqrt(V[k, k]) if X[k] > 0 else np.nan
            low, high = value[k] - t * se, value[k] + t * se
            if metric == "retention" and se == 0 and X[k] > 0:  # nobody (or everybody) churned: no spread to sandwich
                low, high = _boundary_interval(value[k], int(len(np.unique(c_idx[(g_idx == k) & (x > 0)]))), level)
            row = {"group": g, "metric": metric, "per": UNITS[metric], "value": value[k], "ci_low": low,
                   "ci_high": high, "customers": int(customers[k]), "answers": int(answers[k]), "units": X[k],
                   **dict.fromkeys(COLUMNS[9:], np.nan)}
            if r is not None and k != r and X[k] > 0 and X[r] > 0:
                d = value[k] - value[r]
                d_se = np.sqrt(max(V[k, k] + V[r, r] - 2 * V[k, r], 0.0))
                row.update(difference=d, difference_ci_low=d - t * d_se, difference_ci_high=d + t * d_se)
                vk, vr = value[k], value[r]
                if vk > 0 and vr > 0:
                    # Delta method on log(value_k / value_r); retention = 1 − R has the same (co)variances as R.
                    l_se = np.sqrt(max(V[k, k] / vk**2 + V[r, r] / vr**2 - 2 * V[k, r] / (vk * vr), 0.0))
                    ratio = vk / vr
                    row.update(ratio=ratio, ratio_ci_low=ratio * np.exp(-t * l_se), ratio_ci_high=ratio * np.exp(t * l_se))
            rows.append(row)
    return rows


def _boundary_interval(value: float, customers: int, level: float) -> tuple[float, float]:
    """Retention of 0 or 1 in a group: the Wilson interval with one trial per customer (conservative: a customer's
    several answers count once), where the cluster-robust interval would have zero width."""
    interval = wilson(round(value * customers), customers, level)
    return float(interval.low.item()), float(interval.high.item())
