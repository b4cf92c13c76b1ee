"""The planner: answer a metric's cells from the rollup of sufficient statistics or from the raw answers.

`plan(store, metric, scope)` decides, in words, which source answers a Scope. The rollup (`response_rollup`,
cxlens.metrics.rollup: one row per day x metric x touchpoint x segment x region x language x plan x aspect)
answers every unweighted Scope whose dimensions, filters and dates it covers, while it is current; anything
else (weighting, a theme filter, `account`, a stale or missing rollup) reads the raw answers. Either way the
cells are the same (tests compare both paths on random scopes on every engine).

What sums cannot give: the number of distinct customers behind a cell (the small-group rule, D24) is not
additive over days or groups, so `rollup_cells` counts it exactly with a narrow COUNT DISTINCT over the raw
answers of the same cells (only the joins the Scope's dimensions need). `--explain` says so. Measured, that count
is most of a cell's cost: the rollup path is 0.98-1.55x as fast as the raw one at 10M answers and slower on small
stores (architecture D46, docs/scale.md).
"""

from __future__ import annotations

import logging
from typing import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError
from cxlens.metrics.plan_rules import (CUSTOMER_DIMENSIONS, FACTS, RAW, ROLLUP, ROLLUP_DIMENSIONS, TOUCHPOINT_DIMENSIONS,
                                       Plan, reads_months, rollup_plan, scope_refusal, size_refusal)
from cxlens.metrics.rollup import MONTH_TABLE, MOST, REBUILD_HINT, ROWS, TABLE, recorded, rollup_staleness
from cxlens.metrics.ticket_facts import TABLE as FACTS_TABLE, facts_staleness
from cxlens.query import Scope
from cxlens.query.dimensions import ASPECT, OVERALL, RESPONSE_DIMENSIONS, UNKNOWN, group_keys
from cxlens.query.frames import result_frame
from cxlens.query.rows import apply_filters, overall_answers, within
from cxlens.store.functions import period_start

log = logging.getLogger(__name__)

# Capped customers: the count is restricted to the cells the bound leaves open while they are at most this share.
SOME_CELLS = 0.5


def plan(store, metric: str, scope: Scope = Scope(), *, size_rule: bool = True,
         customers_cap: int | None = None) -> Plan:
    """Whether `response_rollup` can answer `metric`'s cells for `scope` (Plan.source "rollup") or the raw answers
    must ("raw"), with the reason. The checks that need no query come first; a stale rollup is never read (a warning
    names `cxlens rollup rebuild`). `size_rule`: also read the answers when the rollup is not SHRINK times smaller
    than them (False: whenever it can answer, as `cells(source="rollup")` forces). `customers_cap`: what the
    caller needs of distinct customers (None: exact), for the reason's words."""
    refused = scope_refusal(metric, scope)
    if refused is not None:
        return refused
    current, why = _current(store)
    if not current:
        return Plan(RAW, why)
    if size_rule:
        built = recorded(store) or {}
        rows = built.get(ROWS)
        refused = size_refusal(store.count(TABLE) if rows is None else rows, built.get("answers") or 0)
        if refused is not None:
            return refused
    return rollup_plan(customers_cap, scope)


def _current(store) -> tuple[bool, str]:
    """(whether the rollup is current, why not in words naming the fix). A rollup that would have answered but is
    stale is never read: the raw answers do, and a warning (once per store and reason) names the fix."""
    why = rollup_staleness(store)
    if why is None:
        return True, ""
    key = (store.backend.url, why)
    if key not in _WARNED and store.backend.has_table("responses") and store.count("responses") > 0:
        _WARNED.add(key)
        log.warning("metrics read every answer instead of the rollup: %s", why)
    return False, why


_WARNED: set[tuple[str, str]] = set()


def plan_tickets(store, scope: Scope = Scope()) -> Plan:
    """Whether `ticket_facts` answers `outcomes_by` for `scope` (Plan.source "ticket_facts") or the raw tickets must
    ("raw"), with the reason. The table holds every ticket dimension (the stage through its touchpoint) and each
    ticket's customer (theme filters), so only a stale or missing table sends outcomes to the raw tickets (a warning,
    once per store and reason, names `cxlens rollup rebuild`). Percentiles stay exact either way: both read rows."""
    why = facts_staleness(store)
    if why is None:
        return Plan(FACTS, f"{FACTS_TABLE} covers every ticket dimension, filter and date of the scope (one row per "
                           "ticket, the customer's attributes copied on, hours computed); percentiles exact from its rows")
    key = (store.backend.url, why)
    if key not in _WARNED and store.backend.has_table("tickets") and store.count("tickets") > 0:
        _WARNED.add(key)
        log.warning("ticket outcomes read every ticket joined to its customer instead of %s: %s", FACTS_TABLE, why)
    return Plan(RAW, why)


def rollup_cells_of(store, metrics: Sequence[str], scope: Scope,
                    customers_cap: int | None = None) -> dict[str, pd.DataFrame]:
    """`rollup_cells` of several metrics from one rollup query (grouped by metric and the scope's keys), metric ->
    the same frame `rollup_cells(store, metric, scope, customers_cap)` gives. The scorecard reads NPS, CSAT and CES
    this way: one pass over the rollup instead of three (measured at 10M answers, D52). Only call it when
    `plan(...)` says "rollup"."""
    keys = group_keys(scope.by, scope.period)
    rows = rollup_rows(store, tuple(metrics), scope)
    aggs = dict(n=rows.n.sum(), wh=rows.high.sum(), wl=rows.low.sum(), ws=rows.total.sum(), wss=rows.total_sq.sum())
    sums = result_frame(store, rows.group_by(["metric", *keys]).aggregate(**aggs))
    sums = sums[sums["n"].notna() & (sums["n"] > 0)]
    by_metric = dict(tuple(sums.groupby("metric", sort=False))) if len(sums) else {}
    return {m: _rollup_cells(store, m, scope, by_metric.get(m, sums.iloc[:0]).drop(columns="metric")
                             .reset_index(drop=True), keys, customers_cap) for m in metrics}


def rollup_cells(store, metric: str, scope: Scope, customers_cap: int | None = None) -> pd.DataFrame:
    """The raw aggregates `cells` needs (keys, n, customers, w, w2, wh, wl, ws, wss) for `scope`, read from the
    rollup: sums of its statistics per cell (unweighted: w = w2 = n), and the exact distinct customers from the
    raw answers of the same cells. Only call it when `plan(...)` says "rollup".

    `customers_cap`: `customers` is min(distinct customers, cap), all the small-group rule needs (D48). A cell of n
    answers holds at least n / M distinct customers, M being the most answers one customer gave to the metric (the
    rollup's record, `rollup.most_answers`), so a cell with n >= cap x M is `cap` without a count; only the others
    are counted from the raw answers, restricted to those cells."""
    return rollup_cells_of(store, (metric,), scope, customers_cap)[metric]


def _rollup_cells(store, metric: str, scope: Scope, sums: pd.DataFrame, keys: list[str],
                  customers_cap: int | None) -> pd.DataFrame:
    """`rollup_cells` from the rollup's sums per cell (`sums`: keys, n, wh, wl, ws, wss): customers added."""
    if customers_cap is not None:
        return _capped(store, metric, scope, sums, keys, customers_cap)
    counted = distinct_customers(store, metric, scope).execute()
    counted = counted[counted["customers"] > 0]
    if not keys:  # one cell (or none, when no answer is in the scope)
        sums, counted = sums.assign(_all=0), counted.assign(_all=0)
    if sums.empty or counted.empty:  # (pandas cannot merge empty Arrow-typed keys)
        merged = sums.assign(customers=counted["customers"].iloc[:0], _merge="both") if sums.empty and counted.empty \
            else pd.DataFrame({"_merge": ["left_only"]})
    else:
        merged = sums.merge(counted, on=keys or ["_all"], how="outer", indicator=True)
    if (merged["_merge"] != "both").any():  # the fingerprint said current: the two sources must agree cell for cell
        raise AnalysisError(f"{TABLE} and the raw answers disagree on the cells of {scope!r}; {REBUILD_HINT}")
    n = merged["n"].astype("int64")
    out = merged[keys].copy()
    out["n"] = n.to_numpy()
    out["customers"] = merged["customers"].astype("int64").to_numpy()
    out["w"] = out["w2"] = n.to_numpy(float)
    for col in ("wh", "wl", "ws", "wss"):
        out[col] = merged[col].astype(float).to_numpy()
    return out


def _capped(store, metric: str, scope: Scope, sums: pd.DataFrame, keys: list[str], cap: int) -> pd.DataFrame:
    """`rollup_cells` with customers = min(distinct customers, cap): counted only where n < cap x M."""
    most = ((recorded(store) or {}).get(MOST) or {}).get(metric)
    n = sums["n"].astype("int64").to_numpy()
    customers = np.full(len(sums), cap, dtype="int64")
    # n >= cap * M gives distinct >= n / M >= cap (no customer gave more than M answers); no bound recorded: count all
    small = np.ones(len(sums), bool) if most is None else n < cap * most
    if small.any():
        cells = sums.loc[small, keys].reset_index(drop=True) if keys else None
        # most cells small: counting them all costs less than restricting the count to them (measured at 10M: 105k
        # cells, all small: 2.8 s whole against 3.2 s restricted)
        restrict = cells if keys and small.sum() <= SOME_CELLS * len(sums) else None
        counted = distinct_customers(store, metric, scope, cells=restrict).execute()
        counted = counted[counted["customers"] > 0]
        if keys:
            found = cells.merge(counted, on=keys, how="left")
        else:
            found = counted
        if len(found) != int(small.sum()) or found["customers"].isna().any():
            raise AnalysisError(f"{TABLE} and the raw answers disagree on the cells of {scope!r}; {REBUILD_HINT}")
        customers[small] = np.minimum(found["customers"].astype("int64").to_numpy(), cap)
    out = sums[keys].reset_index(drop=True)
    out["n"] = n
    out["customers"] = customers
    out["w"] = out["w2"] = n.astype(float)
    for col in ("wh", "wl", "ws", "wss"):
        out[col] = sums[col].astype(float).to_numpy()
    return out


def rollup_rows(store, metric: str | tuple[str, ...], scope: Scope) -> ir.Table:
    """The rollup's rows for `metric` (a tuple: for each of these metrics, with their `metric` column) within
    `scope`'s days, aspect rule and filters, with one column per dimension read as `query.rows.responses` reads it
    ("(unknown)" for a missing value, "overall" for no aspect) and `period_start` when a period is asked for.
    Columns n, high, low, total, total_sq are the statistics; `day` is the month's first day where the month rows
    answer (`reads_months`: whole months, 30x fewer rows, D64)."""
    monthly = reads_months(scope)
    ro = store.table(MONTH_TABLE if monthly else TABLE)
    day = ro.month if monthly else ro.day
    ro = ro.filter(ro.metric.isin(metric) if isinstance(metric, tuple) else ro.metric == metric)
    if scope.since is not None:
        ro = ro.filter(day >= ibis.literal(scope.since))
    if scope.until is not None:
        ro = ro.filter(day <= ibis.literal(scope.until))
    wanted = {*scope.by, *scope.filters}
    if ASPECT not in wanted:
        ro = ro.filter(ro.aspect.isnull())  # overall answers only, as query.rows does
    joined, cols = _dimensions(store, ro, wanted, attributes=ro)
    stats = {c: ro[c] for c in ("n", "high", "low", "total", "total_sq")}
    which = {"metric": ro.metric} if isinstance(metric, tuple) else {}
    rows = apply_filters(joined.select(day=day, **which, **stats, **cols), scope.filters, RESPONSE_DIMENSIONS)
    if scope.period:
        rows = rows.mutate(period_start=period_start(rows.day.cast("timestamp"), scope.period))
    return rows


def distinct_customers(store, metric: str, scope: Scope, cells: pd.DataFrame | None = None) -> ir.Table:
    """Distinct customers per cell of `scope` (column `customers`), counted exactly from the raw answers: no sum of
    the rollup gives them, and the small-group rule (D24) needs the exact count. `cells`: only these cells (a frame
    of the scope's keys): their answers are narrowed by each key's values (and the periods' time range), then
    semi-joined to the cells' keys.

    Narrow: only the columns and joins the cells need; when only the customer (and aspect) decide the cell, the
    distinct customers come first and the customers join sees that short list. Exact, because every dimension is a
    function of the customer, the touchpoint, the aspect or the time."""
    r = store.table("responses")
    r = within(r.filter(r.metric == metric), "ts", scope.since, scope.until)
    wanted = {*scope.by, *scope.filters}
    if ASPECT not in wanted:
        r = overall_answers(r)
    if scope.period and cells is not None and len(cells):  # only the listed periods' time range
        starts = pd.to_datetime(cells["period_start"])
        r = r.filter(r.ts >= starts.min().to_pydatetime(),
                     r.ts < (starts.max() + _LENGTH[scope.period]).to_pydatetime())
    first = {"customer_id": r.customer_id}
    if wanted & set(TOUCHPOINT_DIMENSIONS):
        first["touchpoint_id"] = r.touchpoint_id
    if ASPECT in wanted:
        first[ASPECT] = r[ASPECT] if ASPECT in r.columns else ibis.null("string")
    if scope.period:
        first["period_start"] = period_start(r.ts, scope.period)
    d = r.select(**first)
    customers = store.table("customers") if wanted & set(CUSTOMER_DIMENSIONS) else None
    if customers is not None and len(first) == 1 + (ASPECT in first):
        # only the customer (and aspect) decide the cell: join the few distinct customers, not every answer
        d = d.distinct()  # measured at 1M answers: 262 -> 163 ms by segment; with touchpoint or period it cost more
    joined, cols = _dimensions(store, d, wanted, attributes=customers)
    if scope.period:
        cols["period_start"] = d.period_start
    rows = apply_filters(joined.select(customer_id=d.customer_id, **cols), scope.filters, RESPONSE_DIMENSIONS)
    keys = group_keys(scope.by, scope.period)
    if cells is not None and keys:
        for k in keys:
            if k != "period_start":
                rows = rows.filter(rows[k].isin(sorted(set(cells[k].astype(str)))))
        if len(keys) > 1 or scope.period:
            wanted_cells = ibis.memtable(cells[keys].drop_duplicates().reset_index(drop=True))
            rows = rows.semi_join(wanted_cells, [rows[k] == wanted_cells[k] for k in keys])
    agg = dict(customers=rows.customer_id.nunique())
    return rows.group_by(keys).aggregate(**agg) if keys else rows.aggregate(**agg)


_LENGTH = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3),
           "year": pd.DateOffset(years=1)}


def _dimensions(store, base: ir.Table, wanted: set[str], attributes: ir.Table | None) -> tuple[ir.Table, dict]:
    """`base` (with touchpoint_id, aspect when wanted) joined to what the `wanted` dimensions need, and those
    dimensions' columns read as `query.rows.responses` reads them: the map's touchpoint, stage and channel (an
    answer at a touchpoint the map lacks reads "(unknown)"), the customer's segment, region, language and plan from
    `attributes` (`base` itself, or the customers table, joined on customer_id), "overall" for no aspect."""
    joined, cols = base, {}
    if wanted & set(TOUCHPOINT_DIMENSIONS):
        t = store.table("touchpoints")
        joined = joined.left_join(t, base.touchpoint_id == t.touchpoint_id)
        for dim in TOUCHPOINT_DIMENSIONS:
            if dim in wanted:
                cols[dim] = t[RESPONSE_DIMENSIONS[dim][1]].cast("string").fill_null(UNKNOWN)
    if wanted & set(CUSTOMER_DIMENSIONS):
        if attributes is not base:
            joined = joined.left_join(attributes, base.customer_id == attributes.customer_id)
        for dim in CUSTOMER_DIMENSIONS:
            if dim in wanted:
                cols[dim] = attributes[RESPONSE_DIMENSIONS[dim][1]].cast("string").fill_null(UNKNOWN)
    if ASPECT in wanted:
        cols[ASPECT] = base[ASPECT].cast("string").fill_null(OVERALL)
    return joined, cols


def explain(store, metrics: Sequence[str], scope: Scope, customers_cap: int | None = None) -> list[str]:
    """One line per metric: which source answers its cells for `scope` and why (for `--explain`)."""
    return [f"{m}: {plan(store, m, scope, customers_cap=customers_cap)}" for m in metrics]


__all__ = ["FACTS", "Plan", "ROLLUP", "RAW", "ROLLUP_DIMENSIONS", "distinct_customers", "explain", "plan", "plan_tickets", "rollup_cells",
           "rollup_cells_of", "rollup_rows"]
