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

Computed in the engine down to a few sufficient statistics per cell of `by` (architecture D55): the answers are
pivoted to one row per customer with each group's sums, and the cross-products of those sums over customers give
the sandwich without a per-customer frame in Python. A pandas frame goes through the same statistics (in numpy)
and the same `figures`, so the two routes cannot drift.
"""

from __future__ import annotations

from typing import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from cxlens.errors import AnalysisError, UsageError
from cxlens.model import table
from cxlens.query import Scope
from cxlens.query.rows import filtered
from cxlens.stats.intervals import wilson
from cxlens.value import stored
from cxlens.value.dataset import CUSTOMER_DIMENSIONS, NPS_GROUPS, OUTCOMES, answers, history, reads_stored

BANDS = {"nps": NPS_GROUPS, "csat": ("1-2", "3", "4-5")}
REFERENCE = {"nps": "promoter", "csat": "4-5"}
GROUP_DIMENSIONS = ("segment", "region", "plan")
METRICS = ("retention", *OUTCOMES)
UNITS = {"retention": "complete answer", **{n: "active month" for n in OUTCOMES}}
SUMS = ("answers", "complete", "churned", "active_months", *OUTCOMES)
RATIO = {"retention": ("churned", "complete"), **{n: (n, "active_months") for n in OUTCOMES}}  # metric: Σ y / Σ x
_XS = ("complete", "active_months")  # the units x of the ratios
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
    a = _answer_units(store, scope, horizon=horizon, band=band, touchpoint=touchpoint)
    return a.group_by(["customer_id", "group", *by]).aggregate(**{s: a[s].sum() for s in SUMS})


def _answer_units(store, scope: Scope, *, horizon: int, band: str, touchpoint: str | None) -> ir.Table:
    """The answers with a group, each with its SUMS columns (answers = 1): what `group_cells` and
    `group_statistics` add up."""
    a = answers(store, scope, horizons=(horizon,), touchpoint=touchpoint)
    if band == "csat":
        h = history(store, scope, touchpoint=touchpoint).select(_rid="response_id", _csat="csat_latest")
        a = a.inner_join(h, a.response_id == h._rid)
        a = a.mutate(group=_band_expr(band, a._csat))
    return _units(a, horizon)


def _units(a: ir.Table, h: int) -> ir.Table:
    a = a.filter(a.group.notnull())
    return a.mutate(**_unit_values(a, h))


def _unit_values(a: ir.Table, h: int) -> dict[str, ir.NumericValue]:
    """Each answer's SUMS columns over horizon `h` (answers = 1), from `answers`' per-horizon columns."""
    complete = a[f"complete_{h}"].cast("float64")
    return {"answers": ibis.literal(1.0), "complete": complete, "churned": a[f"churned_{h}"] * complete,
            "active_months": (a[f"months_{h}"] - a[f"churned_{h}"]).cast("float64"),
            **{n: a[f"{n}_{h}"].cast("float64") for n in OUTCOMES}}


def built_customer_groups(store) -> ir.Table:
    """What `value_groups` holds (cxlens.value.stored): the stored answers summed per customer, NPS group and stored
    horizon, `<sum>_<group>_<horizon>`, with the customer's dimensions: `customer_sums` of every customer, ready."""
    a = store.table(stored.ANSWERS)
    a = a.filter(a.group.notnull())
    sums = {}
    for h in stored.STORED_HORIZONS:
        values = _unit_values(a, h)
        # answers counted as integers and cast: Ibis drops a cast of its literal 1.0's float sum, which Spark writes as INT64
        values["answers"] = ibis.literal(1)
        sums.update({f"{s}_{g}_{h}": ibis.ifelse(a.group == g, values[s], 0).sum().cast("float64")
                     for s in SUMS for g in NPS_GROUPS})
    return a.group_by(["customer_id", *CUSTOMER_DIMENSIONS]).aggregate(**sums).select(*table(stored.GROUPS).names)


def _stored_sums(store, scope: Scope, horizon: int, by: Sequence[str], band: str, touchpoint: str | None) -> ir.Table | None:
    """`customer_sums` read from `value_groups` when it holds them (NPS groups, a stored horizon, no dates in the
    scope, the stored frames current): one row per customer to add up instead of every answer to pivot; else None."""
    if band != "nps" or scope.since or scope.until or horizon not in stored.STORED_HORIZONS:
        return None
    if not reads_stored(store, touchpoint):
        return None
    per = filtered(store, store.table(stored.GROUPS), scope, CUSTOMER_DIMENSIONS)
    return per.select("customer_id", *by, **{f"{s}_{k}": per[f"{s}_{g}_{horizon}"]
                                             for s in SUMS for k, g in enumerate(NPS_GROUPS)})


def _products(K: int) -> dict[str, tuple[str, int, str, int]]:
    """The cross-products Σ_c a_ck·b_cl the CR1 variance needs, by statistic name: yy and xx (k <= l), yx (all k, l)."""
    out = {}
    for y, x in RATIO.values():
        for a, b, upper in ((y, y, True), (y, x, False), (x, x, True)):
            for k in range(K):
                for l in range(k if upper else 0, K):
                    out[f"{a}_{k}_{b}_{l}"] = (a, k, b, l)
    return out


def _statistic_names(K: int) -> list[str]:
    """The sufficient statistics of one cell of `by`, for the groups k = 0..K-1 (their positions in the band):
    customers (in the cell), the sums `<column>_<k>` of SUMS, the cross-products (`_products`), customers_<k>
    (customers with an answer in group k), <x>_customers (customers with a unit of x: the clusters G) and
    complete_customers_<k> (customers with a complete answer in group k: the Wilson interval's trials)."""
    sums = [f"{s}_{k}" for s in SUMS for k in range(K)]
    return ["customers", *sums, *_products(K), *(f"customers_{k}" for k in range(K)), *(f"{x}_customers" for x in _XS),
            *(f"complete_customers_{k}" for k in range(K))]


def group_statistics(store, scope: Scope = Scope(), *, horizon: int = 12, by: Sequence[str] = (), band: str = "nps",
                     touchpoint: str | None = None) -> ir.Table:
    """The sufficient statistics of the group figures as an Ibis expression, one row per cell of `by` (columns:
    *by and `_statistic_names`): what `outcomes_by_group` fetches from the engine, a few rows where `group_cells`
    has one per customer x group."""
    by = _check(horizon, by, band)
    per = _stored_sums(store, scope, horizon, by, band, touchpoint)
    if per is None:
        per = customer_sums(_answer_units(store, scope, horizon=horizon, band=band, touchpoint=touchpoint), by, band)
    return _statistics(per, by, band)


def customer_sums(units: ir.Table, by: Sequence[str], band: str) -> ir.Table:
    """The answers (with SUMS columns) pivoted to one row per customer x cell of `by`: customer_id, *by and
    `<column>_<k>`, the sum of each SUMS column over the customer's answers in group k (0 where none)."""
    groups = BANDS[band]
    return units.group_by(["customer_id", *by]).aggregate(**{
        f"{s}_{k}": ibis.ifelse(units.group == g, units[s], 0.0).sum() for s in SUMS for k, g in enumerate(groups)})


def _statistics(per: ir.Table, by: Sequence[str], band: str) -> ir.Table:
    """`customer_sums` aggregated over customers per cell of `by` into `_statistic_names`."""
    K = len(BANDS[band])
    stats = {"customers": per.count(), **{f"{s}_{k}": per[f"{s}_{k}"].sum() for s in SUMS for k in range(K)}}
    stats.update({name: (per[f"{a}_{k}"] * per[f"{b}_{l}"]).sum() for name, (a, k, b, l) in _products(K).items()})
    stats.update({f"customers_{k}": ibis.ifelse(per[f"answers_{k}"] > 0, 1, 0).sum() for k in range(K)})
    for x in _XS:
        total = sum((per[f"{x}_{k}"] for k in range(1, K)), per[f"{x}_0"])
        stats[f"{x}_customers"] = ibis.ifelse(total > 0, 1, 0).sum()
    stats.update({f"complete_customers_{k}": ibis.ifelse(per[f"complete_{k}"] > 0, 1, 0).sum() for k in range(K)})
    return per.group_by(list(by)).aggregate(**stats) if by else per.aggregate(**stats)


def _frame_statistics(units: pd.DataFrame, by: Sequence[str], band: str) -> pd.DataFrame:
    """`group_statistics` from rows with customer_id, group, *by and the SUMS columns (answers or per customer x
    group cells alike: they are summed per customer x cell first), in numpy."""
    groups = BANDS[band]
    K = len(groups)
    by = list(by)
    codes, names = pd.factorize(units["group"])  # rows without a group (code -1) are left out
    unknown = sorted(str(g) for g in names if g not in groups)
    if unknown:
        raise UsageError("group", unknown, list(groups), message=f"groups outside the {band} band: {', '.join(unknown)}")
    keep = codes >= 0
    if by:
        keep &= units[by].notna().all(axis=1).to_numpy()  # as a groupby would
    units, k_idx = units[keep], np.array([groups.index(g) for g in names], dtype=np.int64)[codes[keep]]
    if by:
        cell, keys = pd.MultiIndex.from_frame(units[by]).factorize(sort=True)
        keys = pd.DataFrame(list(keys), columns=by)
    else:
        cell, keys = np.zeros(len(units), dtype=np.int64), pd.DataFrame(index=[0])
    cid = pd.factorize(units["customer_id"])[0]
    pair = pd.factorize(cid.astype(np.int64) * len(keys) + cell)[0] if by else cid  # customer x cell
    n = int(pair.max()) + 1 if len(pair) else 0
    # per customer x cell, each column's sum per group: Z[:, col*K + k]
    Z = np.column_stack([np.bincount(pair * K + k_idx, weights=units[s].to_numpy(dtype="float64"), minlength=n * K)
                         .reshape(n, K) for s in SUMS])
    pair_cell = np.zeros(n, dtype=np.int64)
    pair_cell[pair] = cell
    col = {f"{s}_{k}": i * K + k for i, s in enumerate(SUMS) for k in range(K)}
    rows = []
    for c in range(len(keys)):
        z = Z[pair_cell == c]
        cross = z.T @ z
        totals = z.sum(axis=0)
        st = {"customers": len(z), **{name: totals[j] for name, j in col.items()}}
        st.update({name: cross[col[f"{a}_{k}"], col[f"{b}_{l}"]] for name, (a, k, b, l) in _products(K).items()})
        st.update({f"customers_{k}": (z[:, col[f"answers_{k}"]] > 0).sum() for k in range(K)})
        for x in _XS:
            st[f"{x}_customers"] = (z[:, [col[f"{x}_{k}"] for k in range(K)]].sum(axis=1) > 0).sum()
        st.update({f"complete_customers_{k}": (z[:, col[f"complete_{k}"]] > 0).sum() for k in range(K)})
        rows.append(st)
    return pd.concat([keys.reset_index(drop=True), pd.DataFrame(rows, columns=_statistic_names(K))], axis=1)


def cells_from_frame(frame: pd.DataFrame, *, horizon: int = 12, by: Sequence[str] = (), band: str = "nps") -> pd.DataFrame:
    """`group_cells` computed from a `dataset` / `answers_frame` frame in pandas (band='csat' needs `csat_latest`)."""
    by = _check(horizon, by, band)
    return _frame_units(frame, horizon, by, band).groupby(["customer_id", "group", *by], as_index=False)[list(SUMS)].sum()


def _frame_units(frame: pd.DataFrame, h: int, by: Sequence[str], band: str) -> pd.DataFrame:
    """The frame's answers with their group (None: no group) and SUMS columns."""
    need = ["customer_id", "group", *by, f"months_{h}", f"churned_{h}", f"complete_{h}", *(f"{n}_{h}" for n in OUTCOMES)]
    if band == "csat":
        need.append("csat_latest")
    missing = [c for c in need if c not in frame]
    if missing:
        raise UsageError("frame", list(frame.columns), message=f"the frame lacks {', '.join(missing)}: pass `dataset(...)` "
                                                                f"built with horizons including {h}")
    f = frame[need]
    if band == "csat":
        s = f["csat_latest"].round(0)
        f = f.assign(group=np.select([s <= 2, s <= 3, s > 3], BANDS["csat"], default=None))
    complete = f[f"complete_{h}"].astype("float64")
    return pd.DataFrame({"customer_id": f["customer_id"], "group": f["group"], **{d: f[d] for d in by},
                         "answers": 1.0, "complete": complete, "churned": f[f"churned_{h}"] * complete,
                         "active_months": (f[f"months_{h}"] - f[f"churned_{h}"]).astype("float64"),
                         **{n: f[f"{n}_{h}"].astype("float64") for n in OUTCOMES}})


def outcomes_by_group(source, scope: Scope = Scope(), *, horizon: int = 12, by: Sequence[str] = (), band: str = "nps",
                      level: float = 0.95, touchpoint: str | None = None) -> pd.DataFrame:
    """Retention, revenue, cost to serve, upgrades and referrals over `horizon` months after an answer, per NPS
    group (band='nps') or CSAT band (band='csat') and the `by` dimensions (segment, region, plan).

    `source`: a Store (everything up to a few sufficient statistics per cell of `by` runs in the engine; `scope`
    applies) or a `dataset` frame. One row per (*by, group, metric). Columns: *by, group, metric, per ('complete
    answer' for retention, 'active month' for the others), value, ci_low, ci_high (customer-level CR1, t with
    customers − 1 degrees of freedom), customers, answers (all the group's answers), units (complete answers or
    active months the figure is over), difference and ratio to the reference group (promoters; CSAT 4-5) with
    their intervals (NaN on the reference rows). attrs: horizon, band, reference, customers, answers.
    """
    by = _check(horizon, by, band)
    if isinstance(source, pd.DataFrame):
        stats = _frame_statistics(_frame_units(source, horizon, by, band), by, band)
    else:
        stats = group_statistics(source, scope, horizon=horizon, by=by, band=band, touchpoint=touchpoint).to_pandas()
    return figures(stats, by=by, band=band, level=level, horizon=horizon)


def estimates(cells: pd.DataFrame, *, by: Sequence[str] = (), band: str = "nps", level: float = 0.95,
              horizon: int | None = None) -> pd.DataFrame:
    """The group figures from per customer x group sums (`group_cells`' columns)."""
    return figures(_frame_statistics(cells, by, band), by=by, band=band, level=level, horizon=horizon)


def figures(stats: pd.DataFrame, *, by: Sequence[str] = (), band: str = "nps", level: float = 0.95,
            horizon: int | None = None) -> pd.DataFrame:
    """The group figures (`outcomes_by_group`'s frame) from the sufficient statistics of each cell of `by`
    (`group_statistics`' columns): the one place where statistics become figures, for the engine and pandas alike."""
    by = list(by)
    K = len(BANDS[band])
    stats = stats.astype({c: "float64" for c in _statistic_names(K)})
    stats = stats[stats.customers > 0]
    stats = stats.sort_values(by, kind="stable") if by else stats
    if stats.empty:
        raise AnalysisError("no relationship-NPS answers with a group in this scope: nothing to compare"
                            + (" (band csat: no CSAT answer at or before any NPS answer)" if band == "csat" else ""))
    rows = []
    for st in stats.to_dict("records"):
        rows.extend({**{d: st[d] for d in by}, **r} for r in _cell_figures(st, band, level))
    out = pd.DataFrame(rows, columns=[*by, *COLUMNS])
    order = {g: i for i, g in enumerate(BANDS[band])}
    out = out.assign(_g=out.group.map(order), _m=out.metric.map({m: i for i, m in enumerate(METRICS)}))
    out = out.sort_values([*by, "_g", "_m"], kind="stable").drop(columns=["_g", "_m"]).reset_index(drop=True)
    out.attrs.update(horizon=horizon, band=band, reference=REFERENCE[band], customers=int(stats.customers.sum()),
                     answers=int(stats[[f"answers_{k}" for k in range(K)]].to_numpy().sum()))
    return out


def _cross(st: dict, a: str, b: str, K: int) -> np.ndarray:
    """The K x K matrix Σ_c a_ck·b_cl from the statistics (stored once for symmetric products)."""
    names = _products(K)
    return np.array([[st[f"{a}_{k}_{b}_{l}"] if f"{a}_{k}_{b}_{l}" in names else st[f"{b}_{l}_{a}_{k}"]
                      for l in range(K)] for k in range(K)])


def _cell_figures(st: dict, band: str, level: float) -> list[dict]:
    """Estimates of every group and metric within one cell of the `by` dimensions (customers are the clusters)."""
    K = len(BANDS[band])
    present = [k for k in range(K) if st[f"customers_{k}"] > 0]
    r = BANDS[band].index(REFERENCE[band])
    r = r if r in present else None
    rows = []
    for metric in METRICS:
        y, x = RATIO[metric]
        Y, X = (np.array([st[f"{c}_{k}"] for k in range(K)]) for c in (y, x))
        G = st[f"{x}_customers"]  # clusters: customers with a unit (a complete answer, an active month)
        t = stats.t.ppf(0.5 + level / 2, G - 1) if G > 1 else np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            R = np.where(X > 0, Y / X, 0.0)
            # Σ_c u_ck·u_cl of the scores u_ck = (y_ck − R_k·x_ck) / X_k of R_k = Y_k/X_k (Cochran 1977, §6.4),
            # expanded into sums over customers: (S_yy − R_l·S_yx − R_k·S_xy + R_k·R_l·S_xx)[k,l] / (X_k·X_l).
            Syx = _cross(st, y, x, K)
            S = _cross(st, y, y, K) - R[None, :] * Syx - R[:, None] * Syx.T + np.outer(R, R) * _cross(st, x, x, K)
            S = np.where(np.outer(X > 0, X > 0), S / np.outer(X, X), 0.0)
        S[np.diag_indices(K)] = np.maximum(np.diag(S), 0.0)  # rounding in the expansion can go below 0 for a 0
        N, Kf = X.sum(), int((X > 0).sum())
        # CR1 small-sample factor G/(G−1)·(N−1)/(N−K) (Stata; Cameron & Miller 2015, eq. 12).
        factor = G / (G - 1) * (N - 1) / (N - Kf) if G > 1 and N > Kf else np.nan
        V = factor * S
        value = np.where(X > 0, 1 - R if metric == "retention" else R, np.nan)
        for k in present:
            se = np.sqrt(V[k, k]) if X[k] > 0 else np.nan
            low, high = value[k] - t * se, value[k] + t * se
            if metric == "retention" and se == 0 and X[k] > 0:  # nobody (or everybody) churned: no spread to sandwich
                low, high = _boundary_interval(value[k], int(st[f"complete_customers_{k}"]), level)
            row = {"group": BANDS[band][k], "metric": metric, "per": UNITS[metric], "value": value[k], "ci_low": low,
                   "ci_high": high, "customers": int(st[f"customers_{k}"]), "answers": int(st[f"answers_{k}"]),
                   "units": X[k], **dict.fromkeys(COLUMNS[9:], np.nan)}
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
