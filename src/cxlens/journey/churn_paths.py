"""Churners vs stayers: which transitions (A -> B) and short paths (A -> B -> C) come before churn.

A churner's window is the `months` calendar months up to and including the churn month (the month
whose `outcomes` row has active = false); a stayer (a customer with outcome rows and no churn month)
is compared over the same number of months up to and including their last observed month, so each
group contributes one window per customer. A path counts once per customer when it starts at a step
inside the window (steps from `journey.steps`, so the numbering agrees with every other journey
figure). For each path: the share of churners and of stayers who took it, the risk ratio with its
log (Katz) interval, a two-proportion z test and Benjamini-Hochberg correction over the paths shown.
Counted in the engine; only one row per path comes to Python.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import UsageError
from cxlens.query import Scope
from cxlens.journey.moments import CUSTOMER_DIMENSIONS
from cxlens.journey.steps import steps
from cxlens.query.rows import filtered
from cxlens.stats import benjamini_hochberg
from cxlens.stats.ratios import risk_ratio

ARROW = " -> "


def windows(store, scope: Scope = Scope(), *, months: int = 3) -> ir.Table:
    """One row per customer with outcomes: customer_id, churner (0/1), first and last month index of the window."""
    o = store.table("outcomes")
    m = o.month.substr(0, 4).cast("int64") * 12 + o.month.substr(5, 2).cast("int64") - 1
    o = o.mutate(_m=m, _churn=ibis.ifelse(o.active.cast("boolean"), 0, 1))
    w = o.group_by(o.customer_id).aggregate(
        churner=o._churn.max(), _end=ibis.ifelse(o._churn == 1, o._m, None).min(), _last=o._m.max())
    end = ibis.coalesce(w._end, w._last)
    return w.select(customer_id=w.customer_id, churner=w.churner.cast("int64"), last_m=end, first_m=end - (months - 1))


def _customers(store, scope: Scope) -> ir.Table:
    """Customer ids kept by `scope.filters` (segment, region, language, plan, account)."""
    c = store.table("customers")
    cols = {"customer_id": c.customer_id}
    for dim, column in zip(CUSTOMER_DIMENSIONS, ("segment", "region", "language", "plan", "account_id")):
        cols[dim] = c[column].cast("string").fill_null("(unknown)")
    return filtered(store, c.select(**cols), scope, CUSTOMER_DIMENSIONS).select("customer_id")


def path_counts(store, scope: Scope = Scope(), *, months: int = 3, length: int = 2, unit: str = "touchpoint",
                collapse_repeats: bool = False) -> tuple[pd.DataFrame, int, int]:
    """(per path: path, churners, stayers (customers who took it in their window), churners total,
    stayers total). Computed in the engine."""
    if months < 1:
        raise UsageError("months", months, message="months must be at least 1")
    if length < 2:
        raise UsageError("length", length, message="length must be at least 2 (a transition A -> B)")
    s = steps(store, scope, unit=unit, collapse_repeats=collapse_repeats)
    journey = ibis.window(group_by=[s.customer_id, s.session], order_by=s.step)
    nodes = [s.node] + [s.node.lead(k).over(journey) for k in range(1, length)]
    path = nodes[0]
    for n in nodes[1:]:
        path = path + ibis.literal(ARROW) + n
    s = s.mutate(path=path, _full=nodes[-1].notnull(), _m=s.ts.year().cast("int64") * 12 + s.ts.month().cast("int64") - 1)
    s = s.filter(s._full)
    w = windows(store, scope, months=months)
    if scope.filters:
        w = w.inner_join(_customers(store, scope), "customer_id")
    j = s.inner_join(w, [s.customer_id == w.customer_id, s._m >= w.first_m, s._m <= w.last_m])
    per = j.select("path", j.customer_id, "churner").distinct()
    counts = per.group_by("path").aggregate(churners=per.churner.sum(), stayers=(1 - per.churner).sum())
    totals = w.aggregate(churners=w.churner.sum(), customers=w.count()).to_pandas().iloc[0]
    churners = int(totals.churners or 0)
    return counts.to_pandas(), churners, int(totals.customers) - churners


def churn_paths(store, scope: Scope = Scope(), *, months: int = 3, length: int = 2, min_customers: int = 10,
                unit: str = "touchpoint", collapse_repeats: bool = False, level: float = 0.95) -> pd.DataFrame:
    """Paths ranked by how over-represented they are among churners before churn.

    Columns: rank, path, touchpoint (the path's last node), churners, churner_share, stayers,
    stayer_share, share_difference, risk_ratio, ci_lower, ci_upper, p_value, p_adjusted, correction.
    Paths taken by fewer than `min_customers` customers in all are left out. Ranked by the interval's
    lower bound (the over-representation the data is sure of), then risk ratio.
    """
    counts, n1, n0 = path_counts(store, scope, months=months, length=length, unit=unit, collapse_repeats=collapse_repeats)
    counts = counts[(counts.churners + counts.stayers) >= min_customers].copy()
    if counts.empty or n1 == 0 or n0 == 0:
        return pd.DataFrame(columns=["rank", "path", "touchpoint", "churners", "churner_share", "stayers", "stayer_share",
                                     "share_difference", "risk_ratio", "ci_lower", "ci_upper", "p_value", "p_adjusted", "correction"])
    a, b = counts.churners.to_numpy(float), counts.stayers.to_numpy(float)
    rr = risk_ratio(a, n1, b, n0, level)
    counts = counts.assign(
        touchpoint=counts.path.str.split(ARROW).str[-1], churner_share=a / n1, stayer_share=b / n0,
        share_difference=a / n1 - b / n0, risk_ratio=rr.estimate, ci_lower=rr.lower, ci_upper=rr.upper,
        p_value=rr.p_value, correction="benjamini-hochberg")
    counts["p_adjusted"] = benjamini_hochberg(counts.p_value.to_numpy())
    counts = counts.sort_values(["ci_lower", "risk_ratio", "path"], ascending=[False, False, True], kind="stable")
    counts.insert(0, "rank", np.arange(1, len(counts) + 1))
    counts[["churners", "stayers"]] = counts[["churners", "stayers"]].astype("int64")
    counts.attrs.update(churners=n1, stayers=n0, months=months)
    return counts[["rank", "path", "touchpoint", "churners", "churner_share", "stayers", "stayer_share", "share_difference",
                   "risk_ratio", "ci_lower", "ci_upper", "p_value", "p_adjusted", "correction"]].reset_index(drop=True)
