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
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import UsageError
from cxlens.metrics.plan import FACTS, RAW, SOME_CELLS, plan_tickets
from cxlens.metrics.ticket_facts import fact_rows, recorded_most
from cxlens.query import Scope
from cxlens.query.dimensions import check_dimensions, group_keys, label_periods, sort_cells
from cxlens.query.frames import result_frame, with_columns
from cxlens.query.rows import with_period, within
from cxlens.query.tickets import TICKET_DIMENSIONS, tickets
from cxlens.stats import wilson
from cxlens.store.functions import hours_between, quantile, quantiles

__all__ = ["TICKET_DIMENSIONS", "latest_ticket_time", "most_tickets", "outcomes_by", "tickets"]

def latest_ticket_time(store) -> datetime | None:
    """The newest timestamp in `tickets`: the default "now" for backlog ages, so results are reproducible."""
    k = store.table("tickets")
    value = k.aggregate(a=k.opened_at.max(), b=k.resolved_at.max(), c=k.first_response_at.max()).execute()
    stamps = [v for v in value.iloc[0].tolist() if v is not None and not pd.isna(v)]
    return pd.Timestamp(max(stamps)).to_pydatetime() if stamps else None


def outcomes_by(store, scope: Scope = Scope(by=("touchpoint",)), *, min_n: int = 30, as_of: Any = None,
                level: float = 0.95, customers_cap: int | None = None, source: str | None = None) -> pd.DataFrame:
    """Ticket outcome metrics per cell of `scope.by` (touchpoint, category, channel, ...) and period.

    Rates are percentages with Wilson intervals; times are hours (ages days). `low_n` flags cells
    with fewer than `min_n` tickets; `customers` counts the cell's distinct customers (small groups,
    cxlens.privacy). Tickets are not survey answers: `scope.weighting` stays unset. `customers_cap`:
    `customers` is min(distinct customers, cap), all the small-group rule needs (architecture D48, D51): a
    cell with at least cap x the most tickets one customer opened is `cap` without a count.

    One query over the scope's ticket rows (only the joins its dimensions need) gives every cell's counts
    and, in one aggregate per timing, both percentiles (exact, linearly interpolated, read from raw rows:
    sums cannot give them). The rows come from the narrow `ticket_facts` (no customers join, hours stored) while
    it is current, else from the raw tickets (`cxlens.metrics.plan.plan_tickets` decides; the cells are the same
    either way); `source` "ticket_facts" or "raw" forces one (tests, benchmarks).
    """
    by, period = check_dimensions(scope.by, TICKET_DIMENSIONS), scope.period
    scope.require_empty("weighting", analysis="outcomes_by (tickets are not survey answers)")
    as_of = as_of or latest_ticket_time(store) or datetime.now()
    if source not in (None, FACTS, RAW):
        raise UsageError("source", source, (FACTS, RAW))
    chosen = source or plan_tickets(store, scope).source
    read = fact_rows if chosen == FACTS else tickets
    rows = with_period(read(store, scope, dimensions=tuple(by)), period, ts="opened_at")
    age_d = hours_between(rows.opened_at, ibis.literal(pd.Timestamp(as_of).to_pydatetime())) / 24.0
    open_age = ibis.ifelse(rows.resolved, ibis.null("float64"), age_d)
    aggs = dict(
        tickets=rows.count(),
        resolved_n=rows.resolved.ifelse(1, 0).sum(), fcr_n=rows.fcr.ifelse(1, 0).sum(),
        reopened_n=(rows.resolved & rows.reopened).ifelse(1, 0).sum(),
        frt_h=quantiles(rows.first_response_h, _PERCENTILES), resolution_h=quantiles(rows.resolution_h, _PERCENTILES),
        open_tickets=(~rows.resolved).ifelse(1, 0).sum(),
        backlog_age_p50_d=quantile(open_age, 0.5), backlog_age_max_d=open_age.max(),
    )
    if customers_cap is None:
        aggs["customers"] = rows.customer_id.nunique()
    else:  # tickets with a customer: the bound's n (count distinct in the same scan cost 0.4 s of 1.0 s at 2M tickets)
        aggs["known"] = rows.customer_id.count()
    keys = group_keys(by, period)
    raw = result_frame(store, rows.group_by(keys).aggregate(**aggs) if keys else rows.aggregate(**aggs))
    raw = sort_cells(raw[raw["tickets"] > 0], keys).reset_index(drop=True)
    if customers_cap is not None:
        # the bound: from the table's record when it answers (over all dates: it bounds any scope's), else counted
        most = recorded_most(store) if chosen == FACTS else most_tickets(store, scope)
        raw["customers"] = _capped_customers(rows, raw, keys, customers_cap, most)
    figures = {}
    for name, k, n in (("resolution_rate", "resolved_n", "tickets"), ("fcr_rate", "fcr_n", "resolved_n"),
                       ("reopen_rate", "reopened_n", "resolved_n")):
        kk, nn = raw[k].to_numpy(float), raw[n].to_numpy(float)
        low, high = wilson(kk, nn, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            figures[name] = 100 * kk / nn
        short = name.removesuffix("_rate")
        figures[f"{short}_ci_low"], figures[f"{short}_ci_high"] = 100 * low, 100 * high
    for col, short in (("frt_h", "frt"), ("resolution_h", "resolution")):
        for q, values in zip(_PERCENTILES, _unpacked(raw[col], len(_PERCENTILES))):
            figures[f"{short}_p{round(q * 100)}_h"] = values
    for col in ("open_tickets", "backlog_age_p50_d", "backlog_age_max_d"):
        figures[col] = raw[col].to_numpy()
    figures["low_n"] = raw["tickets"].to_numpy() < min_n
    return label_periods(with_columns(raw[keys + ["tickets", "customers"]], figures), period, len(by))


_PERCENTILES = (0.5, 0.9)


def _unpacked(arrays: pd.Series, size: int) -> list[np.ndarray]:
    """Columns of the per-cell arrays `quantiles` returns (NaN where a cell had no value: NULL or an empty array)."""
    out = np.full((len(arrays), size), np.nan)
    for i, value in enumerate(arrays.to_numpy()):
        if value is not None and len(value) == size:
            out[i] = np.asarray(value, dtype=float)
    return list(out.T)


def most_tickets(store, scope: Scope) -> int | None:
    """The most tickets one customer opened within `scope`'s dates (None: no ticket has a customer): every cell of
    the scope holds at least (its tickets with a customer) / this many distinct customers."""
    k = within(store.table("tickets"), "opened_at", scope.since, scope.until)
    k = k.filter(k.customer_id.notnull())
    per = k.group_by("customer_id").aggregate(n=k.count())
    value = per.aggregate(most=per.n.max()).execute()["most"].iloc[0]
    return None if value is None or pd.isna(value) else int(value)


def _capped_customers(rows: ir.Table, raw: pd.DataFrame, keys: list[str], cap: int, most: int | None) -> np.ndarray:
    """min(distinct customers, cap) per cell of `raw`: `cap` where its tickets with a customer reach cap x `most`
    (the most tickets one customer opened: C >= n / M >= cap), otherwise counted exactly from the cell's ticket rows
    (only those cells while they are at most half: restricting costs more than counting all beyond that, as for
    answers, D48)."""
    known = raw["known"].to_numpy("int64")
    customers = np.full(len(raw), cap, dtype="int64")
    small = np.ones(len(raw), bool) if most is None else known < cap * most
    if not small.any():
        return customers
    cells = raw.loc[small, keys].reset_index(drop=True)
    if keys and small.sum() <= SOME_CELLS * len(raw):
        for k in keys:
            if k != "period_start":
                rows = rows.filter(rows[k].isin(sorted(set(cells[k].astype(str)))))
        wanted = ibis.memtable(cells)
        rows = rows.semi_join(wanted, [rows[k] == wanted[k] for k in keys])
    agg = dict(counted=rows.customer_id.nunique())
    counted = (rows.group_by(keys).aggregate(**agg) if keys else rows.aggregate(**agg)).execute()
    found = cells.merge(counted, on=keys, how="left") if keys else counted
    customers[small] = np.minimum(found["counted"].fillna(0).astype("int64").to_numpy(), cap)
    return customers
