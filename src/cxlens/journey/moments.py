"""Moments of truth and moments of magic: touchpoints whose experience changes who churns afterwards.

For every touchpoint T, a Cox model of churn with two time-varying covariates per customer-month:
"the customer's latest answer at T in the `window_months` months before this one was bad"
(CSAT 1-2, CES 1-2 on 1-7, or an NPS detractor) and "... was great" (CSAT 5, CES 7, NPS promoter).
Time is tenure in months (months since the signup month, so the baseline hazard follows tenure and
the existing base enters late), with a separate baseline per segment x plan stratum: the adjustment
for segment, tenure and plan. A hazard ratio above 1 for "bad" makes T a moment of truth; below 1
for "great", a moment of magic. p values are Benjamini-Hochberg corrected over every estimate shown.

Churn is read from `outcomes`: a customer-month with active = false is the churn month (the demo
and the data model's convention: no rows follow it). Follow-up starts at the first month that begins at
least `onboarding_days` (30) after the signup date: leaving during onboarding is abandonment, which
breakpoints measure, not a later churn that an experience causes. "The month after the signup month"
is not enough: on the demo, 59 of 404 port_in abandoners (signed up late in a month) leave in the next
calendar month, and with their port_in answers they made port_in the top "moment" with HR 5.0. Exposure
counts only answers dated in the months before the month at risk: outcomes are monthly, and an answer
dated in the churn month may come after the churn (demo surveys arrive 1 hour to 3 days after the
event). Customer-months are built in the engine; only the modelling table (one row per customer-month,
two 0/1 columns per touchpoint) comes to Python.

Candidates are the journey map's touchpoints that customers pass (with events) and that have
answers: a journey-wide relationship survey is not a moment of the journey. Where the store holds
no events at all, every touchpoint with answers is a candidate.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import UsageError
from cxlens.query import Scope
from cxlens.query.rows import filtered
from cxlens.stats import benjamini_hochberg
from cxlens.stats.survival import cox_time_varying

CUSTOMER_DIMENSIONS = ("segment", "region", "language", "plan", "account")
MOMENTS = ("truth", "magic")
CORRECTION = "benjamini-hochberg"
ONBOARDING_DAYS = 30  # leaving within this many days of signing up is onboarding abandonment (breakpoints)
VERDICTS = {
    "flagged_effect": "moment of truth (flagged)",
    "unflagged_effect": "moment of truth, not flagged in the map",
    "flagged_none": "flagged but no measurable effect",
    "flagged_small": "flagged, too few exposed customers to measure",
    "magic": "moment of magic",
}


def _month_index(year: ir.IntegerValue, month: ir.IntegerValue) -> ir.IntegerValue:
    return year.cast("int64") * 12 + month.cast("int64") - 1


def customer_months(store, scope: Scope = Scope(), *, onboarding_days: int = ONBOARDING_DAYS) -> ir.Table:
    """One row per customer-month at risk: customer_id, m (month index), tenure (months since the
    signup month, else since the first outcome month), churned (the month ends the relationship),
    segment, plan and the customer dimensions filters read. A customer is at risk from the first month
    that starts at least `onboarding_days` after the signup date (and never in the signup month)."""
    o = store.table("outcomes")
    o = o.mutate(m=_month_index(o.month.substr(0, 4).cast("int64"), o.month.substr(5, 2).cast("int64")))
    if scope.since is not None:
        o = o.filter(o.m >= scope.since.year * 12 + scope.since.month - 1)
    if scope.until is not None:
        o = o.filter(o.m <= scope.until.year * 12 + scope.until.month - 1)
    first = o.m.min().over(ibis.window(group_by=o.customer_id))
    o = o.mutate(_first=first)
    c = store.table("customers")
    j = o.left_join(c, o.customer_id == c.customer_id)
    signup = _month_index(c.signup_date.year(), c.signup_date.month())
    cols = {"customer_id": o.customer_id, "m": o.m,
            "tenure": (o.m - ibis.coalesce(ibis.least(signup, o._first), o._first)).cast("int64"),
            "churned": ibis.ifelse(o.active.cast("boolean"), 0, 1).cast("int64")}
    for dim, column in zip(CUSTOMER_DIMENSIONS, ("segment", "region", "language", "plan", "account_id")):
        cols[dim] = c[column].cast("string").fill_null("(unknown)")
    settled = c.signup_date.cast("date") + ibis.interval(days=onboarding_days)
    cols["_from"] = _month_index(settled.year(), settled.month()) + ibis.ifelse(settled.day() > 1, 1, 0)
    rows = j.select(**cols)
    rows = rows.filter((rows.tenure >= 1) & (rows._from.isnull() | (rows.m >= rows._from))).drop("_from")
    return filtered(store, rows, scope, CUSTOMER_DIMENSIONS)


def experiences(store) -> ir.Table:
    """One row per customer, touchpoint and survey instant: bad (any answer bad) and great (an answer
    great and none bad), with the answer's month index `am`. Overall answers only."""
    r = store.table("responses")
    if "aspect" in r.columns:
        r = r.filter(r.aspect.isnull())
    r = r.filter(r.metric.isin(["csat", "ces", "nps"]))
    s = r.score.cast("float64")
    bad = ((r.metric == "csat") & (s <= 2)) | ((r.metric == "ces") & (s <= 2)) | ((r.metric == "nps") & (s <= 6))
    great = ((r.metric == "csat") & (s >= 5)) | ((r.metric == "ces") & (s >= 7)) | ((r.metric == "nps") & (s >= 9))
    r = r.mutate(_bad=ibis.ifelse(bad, 1, 0), _great=ibis.ifelse(great, 1, 0))  # PostgreSQL casts no boolean to bigint
    g = r.group_by([r.customer_id, r.touchpoint_id, r.ts]).aggregate(bad=r._bad.max(), great=r._great.max())
    return g.mutate(great=ibis.ifelse(g.bad == 1, 0, g.great), am=_month_index(g.ts.year(), g.ts.month()))


def candidates(store) -> list[str]:
    """Touchpoints that customers pass (have events) and that have CSAT, CES or NPS answers; sorted."""
    e = experiences(store)
    answered = set(e.select("touchpoint_id").distinct().to_pandas().touchpoint_id)
    passed = set(store.table("events").select("touchpoint_id").distinct().to_pandas().touchpoint_id)
    return sorted(answered & passed if passed else answered)


def modelling_table(store, scope: Scope = Scope(), *, window_months: int = 4, onboarding_days: int = ONBOARDING_DAYS,
                    touchpoints: list[str] | None = None) -> pd.DataFrame:
    """The Cox model's rows, computed in the engine: customer_id, m, tenure, churned, stratum and, per
    candidate touchpoint T, `bad:T` and `great:T` (the latest answer at T in months m-window..m-1: strictly
    before the month at risk, as outcomes are monthly and an answer dated in the churn month may follow the churn)."""
    if window_months < 1:
        raise UsageError("window_months", window_months, message="window_months must be at least 1")
    tps = candidates(store) if touchpoints is None else touchpoints
    cm = customer_months(store, scope, onboarding_days=onboarding_days)
    e = experiences(store)
    e = e.filter(e.touchpoint_id.isin(tps)) if tps else e.filter(ibis.literal(False))
    j = cm.select("customer_id", "m").inner_join(
        e, [cm.customer_id == e.customer_id, e.am < cm.m, e.am >= cm.m - window_months])
    latest = ibis.window(group_by=[j.customer_id, j.m, j.touchpoint_id], order_by=[ibis.desc(j.ts)])
    j = j.mutate(_rn=ibis.row_number().over(latest))
    j = j.filter(j._rn == 0)
    aggs = {}
    for tp in tps:
        aggs[f"bad:{tp}"] = ibis.ifelse((j.touchpoint_id == tp) & (j.bad == 1), 1, 0).max()
        aggs[f"great:{tp}"] = ibis.ifelse((j.touchpoint_id == tp) & (j.great == 1), 1, 0).max()
    base = cm.select("customer_id", "m", "tenure", "churned", "segment", "plan")
    if aggs:
        wide = j.group_by(["customer_id", "m"]).aggregate(**aggs)
        base = base.left_join(wide, [base.customer_id == wide.customer_id, base.m == wide.m]).drop("customer_id_right", "m_right")
    df = base.to_pandas()
    for col in aggs:
        df[col] = df[col].fillna(0).astype("int8")
    df["stratum"] = df.segment.astype(str) + "|" + df.plan.astype(str)
    return df.sort_values(["customer_id", "m"], kind="stable").reset_index(drop=True)


def moments(store, scope: Scope = Scope(), *, window_months: int = 4, onboarding_days: int = ONBOARDING_DAYS,
            min_exposed: int = 20, level: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Touchpoints ranked by how a bad (moment of truth) or great (moment of magic) experience there
    changes later churn, with the map's `moment_of_truth` flag compared.

    Columns: moment (truth|magic), rank, touchpoint, hazard_ratio, ci_lower, ci_upper, p_value,
    p_adjusted, correction, exposed_customers, exposed_churned, flagged, verdict, note. Ranked within
    each moment by the interval's bound nearest 1 (the effect the data is sure of). A covariate with
    fewer than `min_exposed` exposed customers gets no estimate (note says so).
    `df.attrs["modelling_rows"]` is the size of the modelling table brought to Python.
    """
    tps = candidates(store)
    data = modelling_table(store, scope, window_months=window_months, onboarding_days=onboarding_days, touchpoints=tps)
    flags = _flags(store)
    rows = [row for tp in tps for row in _fit_touchpoint(data, tp, min_exposed, level)]
    out = pd.DataFrame(rows, columns=["moment", "touchpoint", "hazard_ratio", "ci_lower", "ci_upper", "p_value",
                                      "exposed_customers", "exposed_churned", "note"])
    out["p_adjusted"] = np.nan
    ok = out.p_value.notna()
    if ok.any():
        out.loc[ok, "p_adjusted"] = benjamini_hochberg(out.loc[ok, "p_value"].to_numpy())
    out["correction"] = CORRECTION
    out["flagged"] = out.touchpoint.map(lambda t: bool(flags.get(t, False)))
    out["verdict"] = [_verdict(r, alpha) for r in out.itertuples()]
    out = _ranked(out)
    out.attrs["modelling_rows"] = len(data)
    out.attrs["customers"] = int(data.customer_id.nunique())
    out.attrs["churned"] = int(data.churned.sum())
    return out


def _flags(store) -> dict[str, bool]:
    t = store.table("touchpoints").select("touchpoint_id", "moment_of_truth").to_pandas()
    return {r.touchpoint_id: bool(r.moment_of_truth) if pd.notna(r.moment_of_truth) else False for r in t.itertuples()}


def _fit_touchpoint(data: pd.DataFrame, tp: str, min_exposed: int, level: float) -> list[tuple]:
    """Both covariates of `tp` in one Cox model (reference: no answer there in the window, or a middling one)."""
    stats, keep = {}, []
    for moment, col in zip(MOMENTS, (f"bad:{tp}", f"great:{tp}")):
        exposed = data[col] == 1
        stats[moment] = (int(data.customer_id[exposed].nunique()), int(data.churned[exposed].sum()))
        if stats[moment][0] >= min_exposed and stats[moment][1] > 0:
            keep.append((moment, col))
    fit, error = None, None
    if keep:
        try:
            fit = cox_time_varying(data.tenure, data.tenure + 1, data.churned, data[[c for _, c in keep]].to_numpy(float),
                                   strata=data.stratum.to_numpy(), names=[c for _, c in keep], level=level)
        except ValueError as exc:
            error = str(exc)
    rows = []
    for moment in MOMENTS:
        n, churned = stats[moment]
        idx = [m for m, _ in keep].index(moment) if moment in [m for m, _ in keep] else None
        if fit is not None and idx is not None:
            rows.append((moment, tp, fit.hazard_ratio[idx], fit.lower[idx], fit.upper[idx], fit.p_value[idx], n, churned, ""))
        else:
            note = error or (f"no estimate: {n} exposed customers (fewer than {min_exposed})" if n < min_exposed
                             else "no estimate: no churn among the exposed")
            rows.append((moment, tp, np.nan, np.nan, np.nan, np.nan, n, churned, note))
    return rows


def _verdict(r, alpha: float) -> str:
    measured = pd.notna(r.p_adjusted)
    if r.moment == "magic":
        return VERDICTS["magic"] if measured and r.p_adjusted < alpha and r.hazard_ratio < 1 else ""
    effect = measured and r.p_adjusted < alpha and r.hazard_ratio > 1
    if effect:
        return VERDICTS["flagged_effect"] if r.flagged else VERDICTS["unflagged_effect"]
    if r.flagged:
        return VERDICTS["flagged_none"] if measured else VERDICTS["flagged_small"]
    return ""


def _ranked(out: pd.DataFrame) -> pd.DataFrame:
    """Rank within each moment: by the interval bound nearest 1 (lower bound for truth, 1/upper for magic)."""
    key = np.where(out.moment == "truth", out.ci_lower, 1 / out.ci_upper)
    out = out.assign(_key=np.nan_to_num(key, nan=-np.inf), _order=out.moment.map({m: i for i, m in enumerate(MOMENTS)}))
    out = out.sort_values(["_order", "_key", "touchpoint"], ascending=[True, False, True], kind="stable")
    out["rank"] = out.groupby("moment").cumcount() + 1
    cols = ["moment", "rank", "touchpoint", "hazard_ratio", "ci_lower", "ci_upper", "p_value", "p_adjusted", "correction",
            "exposed_customers", "exposed_churned", "flagged", "verdict", "note"]
    return out[cols].reset_index(drop=True)
