"""Key drivers: which touchpoints' experience drives overall NPS (or churn), and what moves ticket CSAT.

`nps_drivers` works on one row per customer, built in the engine: the outcome (the mean of the
customer's relationship NPS answers in the scope's dates, or whether the customer churned) and, per
driver touchpoint, the mean of the customer's CSAT answers there over the same dates. Why the whole
period and not the months before each answer: a customer's experience level at a touchpoint is a
lasting trait (the demo plants it as q[i,t], constant per customer), and customers answer a touchpoint
survey rarely (2.3 touchpoints per NPS respondent over two years on the demo), so a window before each
answer leaves most pairs empty and its means noisier. Customers who never answered at a touchpoint are
left out of that touchpoint's correlations only (pairwise-complete correlations), not imputed: on the
3,500-customer demo, mean imputation shrinks each correlation by the touchpoint's reach and ranks
data_topup (planted weight 0, 24% reach) above support_call (0.5, 10% reach); pairwise keeps the
planted order. Two touchpoints that fewer than `min_pairs` (100) customers share get correlation 0
(said in the note): with 30, the driver correlation matrix of 11 of 100 resamples of the 3,500-customer
demo was not positive definite and support_chat's interval was five times wider; with 100, none. Importance: Johnson's relative weights, cross-checked by the Shapley value of R² (both in
cxlens.stats.importance); intervals resample customers (bootstrap, percentile); a driver counts as
distinguishable from noise when the interval of its weight minus that of an added random variable
excludes zero (Tonidandel, LeBreton & Johnson 2009, Psychological Methods 14:4).

`csat_drivers` (moved here from metrics.outcomes): which ticket outcomes move the post-ticket CSAT.
"""

from __future__ import annotations

from typing import Any, Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.query import Scope
from cxlens.query.rows import overall_answers, responses
from cxlens.query.tickets import tickets
from cxlens.stats import ols_from_moments
from cxlens.stats.importance import (
    MAX_SHAPLEY_DRIVERS, check_correlation, pairwise_correlation, relative_weights, shapley_r_squared,
    split_correlation,
)
from cxlens.value.dataset import relationship_touchpoint

OUTCOMES = ("nps", "churn")
QUADRANTS = {  # (importance high, performance high) -> label (Martilla & James 1977, importance-performance analysis)
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}
MIN_PAIRS = 100  # two touchpoints shared by fewer customers get correlation 0 (see the module docstring)
MIN_CUSTOMERS = 30


def nps_drivers(store, scope: Scope = Scope(), *, touchpoints: Sequence[str] | None = None, metric: str = "csat",
                outcome: str = "nps", n_boot: int = 200, seed: int = 0, level: float = 0.95,
                min_coverage: float = 0.10, min_pairs: int = MIN_PAIRS, nps_touchpoint: str | None = None) -> pd.DataFrame:
    """Which touchpoints' experience drives overall NPS (outcome="nps") or churn (outcome="churn").

    One row per driver touchpoint, ranked by relative weight. Columns: rank, driver, weight (Johnson's
    raw relative weight: the share of the outcome's variance it accounts for), weight_ci_low/high
    (bootstrap percentile over customers), shapley (Shapley value of R², the cross-check), share (weight
    / R², in %), sign (+1 when better experience goes with a higher outcome), significant (the weight's
    excess over a random variable's has an interval above zero), performance (mean of the customers'
    mean `metric` there), quadrant (importance vs performance, split at the drivers' means), customers
    (with both an answer there and the outcome), coverage (their share), r_squared, n (customers in the
    model), note. `nps_touchpoint`: where relationship NPS is asked (see cxlens.value.dataset). `touchpoints`: the drivers (default: every touchpoint with `metric` answers from at
    least `min_coverage` of the outcome's customers, at most MAX_SHAPLEY_DRIVERS, the most answered).
    `scope`: dates and filters (no grouping, period or weighting).
    """
    scope.require_empty("by", "period", "weighting", analysis="nps_drivers")
    if outcome not in OUTCOMES:
        raise UsageError("outcome", outcome, OUTCOMES)
    if n_boot < 0:
        raise UsageError("n_boot", n_boot, message=f"n_boot={n_boot} must be 0 (no intervals) or more")
    frame = driver_frame(store, scope, touchpoints=touchpoints, metric=metric, outcome=outcome,
                         nps_touchpoint=nps_touchpoint)
    names, dropped = _choose_drivers(frame, touchpoints, min_coverage)
    return importance_table(frame[names + ["y"]].rename(columns={"y": outcome}), names, outcome,
                            n_boot=n_boot, seed=seed, level=level, min_pairs=min_pairs, dropped=dropped)


def driver_frame(store, scope: Scope = Scope(), *, touchpoints: Sequence[str] | None = None, metric: str = "csat",
                 outcome: str = "nps", nps_touchpoint: str | None = None) -> pd.DataFrame:
    """One row per customer with the outcome: `y` (mean relationship NPS answer, or churned 0/1) and one
    column per touchpoint with the customer's mean `metric` answer there (NaN where none); index customer_id.

    Relationship NPS answers as in cxlens.value.dataset: the overall `nps` answers at `nps_touchpoint`, else at
    'relationship' when the map has it, else every overall NPS answer. Built in the engine: only per-customer
    means leave it."""
    answers = responses(store, metric, scope)
    answers = answers.filter(answers.touchpoint_id != (relationship_touchpoint(store, nps_touchpoint) or ""))
    if touchpoints:
        answers = answers.filter(answers.touchpoint_id.isin(list(touchpoints)))
    per_tp = (answers.group_by(["customer_id", "touchpoint_id"])
              .aggregate(score=answers.score.mean()))
    if outcome == "nps":
        nps = responses(store, "nps", scope)
        tp = relationship_touchpoint(store, nps_touchpoint)
        if tp is not None:
            nps = nps.filter(nps.touchpoint_id == tp)
        y = nps.group_by("customer_id").aggregate(y=nps.score.mean())
    else:
        y = _churned(store, scope)
    joined = per_tp.join(y, "customer_id")
    long = joined.select(per_tp.customer_id, per_tp.touchpoint_id, per_tp.score).execute()
    ys = y.execute().set_index("customer_id")["y"].astype(float)
    wide = long.pivot_table(index="customer_id", columns="touchpoint_id", values="score", aggfunc="first")
    wide = wide.reindex(ys.index)
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    wide["y"] = ys
    return wide.sort_index()


def _churned(store, scope: Scope) -> ir.Table:
    """Per customer with outcome months (of customers kept by scope's filters): y = 1 when a month is not active."""
    o = store.table("outcomes")
    if scope.since is not None:
        o = o.filter(o.month >= scope.since.strftime("%Y-%m"))
    if scope.until is not None:
        o = o.filter(o.month <= scope.until.strftime("%Y-%m"))
    y = o.group_by("customer_id").aggregate(y=(~o.active.fill_null(True)).ifelse(1.0, 0.0).max())
    if scope.filters:
        kept = responses(store, ["csat", "ces", "nps"], scope).select("customer_id").distinct()
        y = y.filter(y.customer_id.isin(kept.customer_id))
    return y


def _choose_drivers(frame: pd.DataFrame, touchpoints: Sequence[str] | None,
                    min_coverage: float) -> tuple[list[str], list[str]]:
    """Driver columns: the asked touchpoints, or those answered by min_coverage of customers (most answered first)."""
    present = [c for c in frame.columns if c != "y"]
    if touchpoints:
        missing = [t for t in touchpoints if t not in present]
        if missing:
            raise AnalysisError(f"no answers at {', '.join(missing)} from customers with the outcome in this scope")
        return list(touchpoints), []
    coverage = frame[present].notna().mean().sort_values(ascending=False, kind="stable")
    chosen = list(coverage[coverage >= min_coverage].index)
    return chosen[:MAX_SHAPLEY_DRIVERS], chosen[MAX_SHAPLEY_DRIVERS:]


def importance_table(frame: pd.DataFrame, names: Sequence[str], outcome: str, *, n_boot: int = 200,
                     seed: int = 0, level: float = 0.95, min_pairs: int = MIN_PAIRS,
                     dropped: Sequence[str] = ()) -> pd.DataFrame:
    """The key-driver table of `nps_drivers` from a customer-level frame: driver columns `names` (NaN =
    no answer) and the outcome column `outcome`, one row per customer (the unit the bootstrap resamples)."""
    names = list(names)
    if len(names) < 1:
        raise AnalysisError("no driver touchpoint has enough answers from the customers with the outcome; "
                            "lower min_coverage or name touchpoints")
    if len(names) > MAX_SHAPLEY_DRIVERS:
        raise UsageError("touchpoints", len(names), message=(
            f"{len(names)} drivers; the exact Shapley cross-check handles at most {MAX_SHAPLEY_DRIVERS}: name fewer touchpoints"))
    data = frame[names + [outcome]].to_numpy(float)
    data = data[~np.isnan(data[:, -1])]
    if len(data) < MIN_CUSTOMERS:
        raise AnalysisError(f"only {len(data)} customers have the outcome; need at least {MIN_CUSTOMERS}")
    corr, pairs = pairwise_correlation(data)
    zeroed = _zero_thin_pairs(corr, pairs, min_pairs)
    constant = [names[i] for i in range(len(names)) if np.isnan(corr[i, i])]
    if constant or np.isnan(corr[-1, -1]):
        what = constant or [outcome]
        raise AnalysisError(f"{', '.join(what)} does not vary among the customers analysed; leave it out")
    rxx, rxy = split_correlation(corr)
    try:
        check_correlation(rxx, rxy, names)
    except ValueError as e:
        raise AnalysisError(str(e)) from None
    weight = relative_weights(rxx, rxy, names)
    shapley = shapley_r_squared(rxx, rxy, names)
    r2 = float(weight.sum())
    low, high, sig, used = _bootstrap(data, names, n_boot, seed, level, min_pairs)
    beta = np.linalg.solve(rxx, rxy)
    present = ~np.isnan(data[:, :-1])
    with np.errstate(invalid="ignore"):
        performance = np.nanmean(np.where(present, data[:, :-1], np.nan), axis=0)
    out = pd.DataFrame({
        "driver": names, "weight": weight, "weight_ci_low": low, "weight_ci_high": high, "shapley": shapley,
        "share": 100 * weight / r2 if r2 > 0 else np.nan, "sign": np.sign(beta).astype(int),
        "significant": sig, "performance": performance, "customers": present.sum(axis=0).astype(int),
        "coverage": present.mean(axis=0),
    })
    out["quadrant"] = quadrants(out["share"].to_numpy(), out["performance"].to_numpy())
    out["r_squared"], out["n"], out["outcome"] = r2, len(data), outcome
    notes = []
    for i, name in enumerate(names):
        parts = []
        if n_boot and not sig[i]:
            parts.append("not distinguishable from noise: the interval of its excess over a random driver includes zero")
        thin = len(zeroed.get(i, ()))
        if thin:
            parts.append(f"shares fewer than {min_pairs} customers with {thin} other driver(s): correlation taken as 0")
        if n_boot and used < n_boot:
            parts.append(f"{n_boot - used} of {n_boot} resamples gave unusable correlations and were skipped")
        notes.append("; ".join(parts) or None)
    out["note"] = notes
    if dropped:
        out.attrs["dropped"] = list(dropped)
    out = out.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def quadrants(importance: np.ndarray, performance: np.ndarray) -> list[str]:
    """Importance-performance quadrant per driver, split at the drivers' mean importance and mean performance."""
    imp_cut, perf_cut = np.nanmean(importance), np.nanmean(performance)
    return [QUADRANTS[(bool(i >= imp_cut), bool(p >= perf_cut))] for i, p in zip(importance, performance)]


def _zero_thin_pairs(corr: np.ndarray, pairs: np.ndarray, min_pairs: int) -> dict[int, list[int]]:
    """Set driver-driver correlations of pairs shared by fewer than min_pairs customers to 0, in place."""
    k = corr.shape[0] - 1
    zeroed: dict[int, list[int]] = {}
    for a in range(k):
        for b in range(a + 1, k):
            if pairs[a, b] < min_pairs or np.isnan(corr[a, b]):
                corr[a, b] = corr[b, a] = 0.0
                zeroed.setdefault(a, []).append(b)
                zeroed.setdefault(b, []).append(a)
    return zeroed


def _bootstrap(data: np.ndarray, names: list[str], n_boot: int, seed: int, level: float,
               min_pairs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Percentile intervals of the relative weights over customer resamples (drawn as multinomial counts),
    and whether each weight's excess over a random N(0,1) driver stays above zero (Tonidandel, LeBreton &
    Johnson 2009). Each driver gets its own random twin, missing where the driver is missing, so the
    twin's chance R² is that of a driver answered by as few customers. Returns (low, high, significant,
    usable resamples)."""
    k = len(names)
    if n_boot == 0:
        nan = np.full(k, np.nan)
        return nan, nan, np.ones(k, dtype=bool), 0
    rng = np.random.default_rng(seed)
    drivers = data[:, :-1]
    twins = np.where(np.isnan(drivers), np.nan, rng.standard_normal(drivers.shape))
    with_twins = np.c_[drivers, twins, data[:, -1]]
    plain_cols = list(range(k)) + [2 * k]
    weights, excess = [], []
    for _ in range(n_boot):
        counts = rng.multinomial(len(data), np.full(len(data), 1.0 / len(data))).astype(float)
        corr, pairs = pairwise_correlation(with_twins, counts)
        _zero_thin_pairs(corr, pairs, min_pairs)
        try:
            full = relative_weights(*split_correlation(corr))
            weights.append(relative_weights(*split_correlation(corr[np.ix_(plain_cols, plain_cols)])))
        except ValueError:
            continue
        excess.append(full[:k] - full[k:])
    if not weights:
        raise AnalysisError("no bootstrap resample gave usable correlations; too few customers per touchpoint")
    alpha = (1 - level) / 2
    w, e = np.array(weights), np.array(excess)
    low, high = np.quantile(w, alpha, axis=0), np.quantile(w, 1 - alpha, axis=0)
    return low, high, np.quantile(e, alpha, axis=0) > 0, len(weights)


# ----------------------------------------------------------------------------------------------------
# What moves post-ticket CSAT (moved from metrics.outcomes)

# driver -> unit shown to people
DRIVERS = {
    "resolution_days": "days to resolve",
    "first_response_hours": "hours to first response",
    "contacts": "contacts",
    "reopened": "reopened (yes = 1)",
    "first_contact_resolution": "resolved at first contact (yes = 1)",
}


def csat_drivers(store, scope: Scope = Scope(), *, window_days: int = 14, level: float = 0.95) -> pd.DataFrame:
    """Which ticket outcomes move CSAT most: a multiple regression of post-ticket CSAT on them.

    Each resolved ticket is paired with the same customer's overall CSAT answers (not the per-aspect
    ones) at the ticket's touchpoint given between opening and `window_days` after resolution. The
    engine returns only the sums of products (n, Σx, Σxxᵀ, Σxy, Σy²) per customer; the shared
    regression (cxlens.stats.regression) solves least squares from those, so millions of tickets never
    leave the engine. Standard errors are cluster-robust by customer (CR1): one customer's repeated
    tickets are not independent answers. Columns: driver, unit, effect (CSAT points per unit), ci_low,
    ci_high, p_value, std_effect (SDs of CSAT per SD of the driver), correlation, n (tickets),
    customers, note; ranked by |std_effect|. A driver that never varies (or is a linear combination of
    others) keeps its row, with NaN figures and a `note` saying why. `scope`: the tickets' dates and
    filters (no grouping, no weighting).
    """
    scope.require_empty("by", "period", "weighting", analysis="csat_drivers")
    k = tickets(store, scope)
    k = k.filter(k.resolved)
    r = overall_answers(store.table("responses"))
    r = r.filter(r.metric == "csat")
    limit = k.resolved_at + ibis.interval(days=window_days)
    j = k.join(r, (k.customer_id == r.customer_id) & (k.touchpoint_id == r.touchpoint_id)
               & (r.ts >= k.opened_at) & (r.ts <= limit))
    x = {
        "resolution_days": k.resolution_h / 24.0,
        "first_response_hours": k.first_response_h,
        "contacts": k.contacts.fill_null(1).cast("float64"),
        "reopened": k.reopened.ifelse(1.0, 0.0),
        "first_contact_resolution": k.fcr.ifelse(1.0, 0.0),
    }
    rows = j.select(customer=k.customer_id, y=r.score.cast("float64"), **x).drop_null()
    names = list(x)
    moments = _customer_moments(rows, names)
    n, p = float(moments[:, 0, 0].sum()), len(names)
    if n < p + 3 or len(moments) < 2:
        raise AnalysisError(f"only {int(n)} tickets of {len(moments)} customers have a CSAT answer after them; "
                            f"need at least {p + 3} tickets of 2 customers to rank drivers")
    fit = ols_from_moments(moments, names, cov="CR1")  # cluster-robust (CR1) by customer
    low, high = fit.conf_int(level)
    out = pd.DataFrame({
        "driver": list(names), "unit": [DRIVERS[a] for a in names],
        "effect": fit.coef, "ci_low": low, "ci_high": high, "p_value": fit.p_values, "std_effect": fit.std_coef,
        "correlation": fit.correlation, "n": fit.n, "customers": fit.clusters, "note": list(fit.notes),
    })
    return out.reindex(out["std_effect"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _customer_moments(rows: ir.Table, names: list[str]) -> np.ndarray:
    """Per customer, the sums of products Z'Z of Z = [1, drivers, y] (engine-side), as a (G, K+2, K+2) array."""
    terms = [None] + [rows[a] for a in names] + [rows.y]
    size = len(terms)
    aggs: dict[str, Any] = {}
    for i in range(size):
        for j in range(i, size):
            a, b = terms[i], terms[j]
            aggs[f"m_{i}_{j}"] = (rows.count() if a is None and b is None
                                  else (b if a is None else a if b is None else a * b).sum())
    sums = rows.group_by("customer").aggregate(**aggs).execute().sort_values("customer")
    moments = np.zeros((len(sums), size, size))
    for i in range(size):
        for j in range(i, size):
            moments[:, i, j] = moments[:, j, i] = sums[f"m_{i}_{j}"].to_numpy(float)
    return moments
