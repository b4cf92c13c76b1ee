"""Outcome metrics from support tickets, and which of them move CSAT most.

What customers say (CSAT) is partly what happened to them: was the problem solved, first time,
how fast. These are the operational levers; `csat_drivers` estimates how much each moves the
post-ticket CSAT, so a team knows whether to work on speed, first-contact resolution or reopens.

Definitions (per ticket, by the period it was opened in):
- resolution rate: resolved tickets / tickets.
- first-contact resolution (FCR): resolved with contacts = 1 and not reopened, / resolved tickets.
- reopen rate: reopened / resolved tickets.
- time to first response and to resolution: median and 90th percentile, in hours.
- open backlog: tickets still open at `as_of`, and their median and oldest age in days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError
from cxlens.query import Scope
from cxlens.query.dimensions import UNKNOWN, check_dimensions, group_keys, label_periods, sort_cells
from cxlens.query.rows import filtered, overall_answers, within, with_period
from cxlens.stats import ols_from_moments, wilson
from cxlens.store.functions import hours_between, quantile

TICKET_DIMENSIONS = ("touchpoint", "stage", "category", "channel", "segment", "region", "language", "plan", "account")


def tickets(store, scope: Scope = Scope()) -> ir.Table:
    """Tickets opened within `scope`'s dates and kept to its filters, with every dimension (channel is
    the ticket's own channel) and timing columns in hours. Not grouped: `scope.by` is the caller's."""
    k = store.table("tickets")
    k = within(k, "opened_at", scope.since, scope.until)
    t, c = store.table("touchpoints"), store.table("customers")
    j = k.left_join(t, k.touchpoint_id == t.touchpoint_id).left_join(c, k.customer_id == c.customer_id)
    dims = {
        "touchpoint": k.touchpoint_id, "stage": t.stage, "category": k.category, "channel": k.channel,
        "segment": c.segment, "region": c.region, "language": c.language, "plan": c.plan, "account": c.account_id,
    }
    cols = {d: v.cast("string").fill_null(UNKNOWN) for d, v in dims.items()}
    resolved = k.resolved_at.notnull()
    reopened = k.reopened.fill_null(False)
    rows = j.select(
        ticket_id=k.ticket_id, customer_id=k.customer_id, touchpoint_id=k.touchpoint_id,
        opened_at=k.opened_at, resolved_at=k.resolved_at, **cols,
        resolved=resolved, reopened=reopened, contacts=k.contacts,
        fcr=resolved & (k.contacts.fill_null(1) == 1) & ~reopened,
        first_response_h=hours_between(k.opened_at, k.first_response_at),
        resolution_h=hours_between(k.opened_at, k.resolved_at),
    )
    return filtered(store, rows, scope, TICKET_DIMENSIONS)


def latest_ticket_time(store) -> datetime | None:
    """The newest timestamp in `tickets`: the default "now" for backlog ages, so results are reproducible."""
    k = store.table("tickets")
    value = k.aggregate(a=k.opened_at.max(), b=k.resolved_at.max(), c=k.first_response_at.max()).execute()
    stamps = [v for v in value.iloc[0].tolist() if v is not None and not pd.isna(v)]
    return pd.Timestamp(max(stamps)).to_pydatetime() if stamps else None


def outcomes_by(store, scope: Scope = Scope(by=("touchpoint",)), *, min_n: int = 30, as_of: Any = None,
                level: float = 0.95) -> pd.DataFrame:
    """Ticket outcome metrics per cell of `scope.by` (touchpoint, category, channel, ...) and period.

    Rates are percentages with Wilson intervals; times are hours (ages days). `low_n` flags cells
    with fewer than `min_n` tickets; `customers` counts the cell's distinct customers (small groups,
    cxlens.privacy). Tickets are not survey answers: `scope.weighting` stays unset.
    """
    by, period = check_dimensions(scope.by, TICKET_DIMENSIONS), scope.period
    scope.require_empty("weighting", analysis="outcomes_by (tickets are not survey answers)")
    as_of = as_of or latest_ticket_time(store) or datetime.now()
    rows = with_period(tickets(store, scope), period, ts="opened_at")
    age_d = hours_between(rows.opened_at, ibis.literal(pd.Timestamp(as_of).to_pydatetime())) / 24.0
    open_age = ibis.ifelse(rows.resolved, ibis.null("float64"), age_d)
    aggs = dict(
        tickets=rows.count(), customers=rows.customer_id.nunique(),
        resolved_n=rows.resolved.ifelse(1, 0).sum(), fcr_n=rows.fcr.ifelse(1, 0).sum(),
        reopened_n=(rows.resolved & rows.reopened).ifelse(1, 0).sum(),
        frt_p50_h=quantile(rows.first_response_h, 0.5), frt_p90_h=quantile(rows.first_response_h, 0.9),
        resolution_p50_h=quantile(rows.resolution_h, 0.5), resolution_p90_h=quantile(rows.resolution_h, 0.9),
        open_tickets=(~rows.resolved).ifelse(1, 0).sum(),
        backlog_age_p50_d=quantile(open_age, 0.5), backlog_age_max_d=open_age.max(),
    )
    keys = group_keys(by, period)
    raw = (rows.group_by(keys).aggregate(**aggs) if keys else rows.aggregate(**aggs)).execute()
    raw = sort_cells(raw[raw["tickets"] > 0], keys)
    out = raw[keys + ["tickets", "customers"]].copy()
    for name, k, n in (("resolution_rate", "resolved_n", "tickets"), ("fcr_rate", "fcr_n", "resolved_n"),
                       ("reopen_rate", "reopened_n", "resolved_n")):
        kk, nn = raw[k].to_numpy(float), raw[n].to_numpy(float)
        low, high = wilson(kk, nn, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = 100 * kk / nn
        out[f"{name.removesuffix('_rate')}_ci_low"], out[f"{name.removesuffix('_rate')}_ci_high"] = 100 * low, 100 * high
    for col in ("frt_p50_h", "frt_p90_h", "resolution_p50_h", "resolution_p90_h", "open_tickets",
                "backlog_age_p50_d", "backlog_age_max_d"):
        out[col] = raw[col].to_numpy()
    out["low_n"] = out["tickets"].to_numpy() < min_n
    return label_periods(out, period, len(by))


# driver -> (ticket column expression name, unit shown to people)
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
    engine returns only the sums of products (n, Σx, Σxxᵀ, Σxy, Σy²) per customer; ordinary least
    squares is solved from those, so millions of tickets never leave the engine. Standard errors are
    cluster-robust by customer (CR1): one customer's repeated tickets are not independent answers.
    Columns: driver, unit, effect (CSAT points per unit), ci_low, ci_high, p_value, std_effect (SDs
    of CSAT per SD of the driver), correlation, n (tickets), customers, note; ranked by |std_effect|.
    A driver that never varies (or is a linear combination of others) keeps its row, with NaN
    figures and a `note` saying why. `scope`: the tickets' dates and filters (no grouping, no weighting).
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
    fit = ols_from_moments(moments, names)  # cluster-robust (CR1) by customer
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
