"""Outcome metrics from support tickets.

What customers say (CSAT) is partly what happened to them: was the problem solved, first time,
how fast. These are the operational levers; `cxlens.value.drivers.csat_drivers` estimates how much
each moves the post-ticket CSAT. The ticket rows themselves are `cxlens.query.tickets.tickets`.

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
import numpy as np
import pandas as pd

from cxlens.query import Scope
from cxlens.query.dimensions import check_dimensions, group_keys, label_periods, sort_cells
from cxlens.query.rows import with_period
from cxlens.query.tickets import TICKET_DIMENSIONS, tickets
from cxlens.stats import wilson
from cxlens.store.functions import hours_between, quantile

__all__ = ["TICKET_DIMENSIONS", "latest_ticket_time", "outcomes_by", "tickets"]

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
