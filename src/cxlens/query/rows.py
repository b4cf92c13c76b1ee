"""The joined, filtered rows every analysis starts from, as Ibis expressions over the store.

`responses(store, metric, scope)` is the one place that joins answers to their touchpoint and
customer and applies a Scope's dates and filters, so NPS, gaps, text impact and journeys all count
the same answers. The helpers (`within`, `apply_filters`, `apply_theme_filter`, `with_period`) serve
analyses that start from another table (tickets, texts).

Aspect answers (a question about the functional, emotional or experiential side of a touchpoint)
count only where the analysis asks for them: `aspect` among the `by` dimensions or in the filters.
Everywhere else the analyses use the overall answers (aspect empty), as before aspects existed: one
respondent who answers the overall CSAT question and three aspect questions would otherwise count
four times in the touchpoint's CSAT, narrowing its interval with answers that are not independent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Sequence

import ibis
import ibis.expr.types as ir

from cxlens.errors import AnalysisError, UsageError
from cxlens.query.dimensions import ASPECT, EVENT_DIMENSIONS, OVERALL, PERIODS, RESPONSE_DIMENSIONS, THEME, UNKNOWN, check_dimensions
from cxlens.query.scope import Scope
from cxlens.store.functions import period_start

THEME_TABLES = {"survey": ("responses", "response_id", "ts"), "ticket": ("tickets", "ticket_id", "opened_at"),
                "note": ("notes", "note_id", "ts")}


def responses(store, metric: str | Sequence[str], scope: Scope = Scope(), *,
              dimensions: Sequence[str] | None = None) -> ir.Table:
    """Answers to `metric` within `scope`'s dates and filters, joined to their touchpoint and customer.

    One row per answer. Columns: customer_id, ts, touchpoint_id, metric, score and every dimension
    name. Dimension values that are missing read as "(unknown)", a missing aspect as "overall".
    Aspect answers count only when `scope.by` or `scope.filters` names `aspect`. Not grouped: the
    caller groups by `scope.by` (and period, see `with_period`). `dimensions`: only these dimensions
    (and the filtered ones; None: all), so the engine skips a join nobody reads (see `events`).
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    r = store.table("responses")
    r = r.filter(r.metric.isin(metrics))
    r = within(r, "ts", scope.since, scope.until)
    if ASPECT not in scope.by and ASPECT not in scope.filters:
        r = overall_answers(r)  # on the raw column, before the joins: a plain IS NULL the engine pushes down
    wanted = set(RESPONSE_DIMENSIONS if dimensions is None else [*dimensions, *scope.filters])
    joined, tables = r, {}
    for name, key in (("touchpoints", "touchpoint_id"), ("customers", "customer_id")):
        if any(RESPONSE_DIMENSIONS[d][0] == name for d in wanted if d in RESPONSE_DIMENSIONS):
            other = tables[name] = store.table(name)
            joined = joined.left_join(other, r[key] == other[key])
    cols = {
        "customer_id": r.customer_id, "ts": r.ts, "touchpoint_id": r.touchpoint_id,
        "metric": r.metric, "score": r.score.cast("float64"),
    }
    for dim, (table, column) in RESPONSE_DIMENSIONS.items():
        if dim != ASPECT and table in tables and dim in wanted:
            cols[dim] = tables[table][column].cast("string").fill_null(UNKNOWN)
    cols[ASPECT] = _aspect(r)
    rows = joined.select(**cols)
    return filtered(store, rows, scope, RESPONSE_DIMENSIONS)


def events(store, scope: Scope = Scope(), *, source: ir.Table | None = None, keep: Sequence[str] = (),
           dimensions: Sequence[str] | None = None) -> ir.Table:
    """Journey events within `scope`'s dates and filters, joined to their touchpoint and customer.

    One row per event. Columns: event_id, customer_id, ts, touchpoint_id, stage_order (the map's position of
    the touchpoint's stage: it orders events at the same instant) and every event dimension
    (touchpoint, stage, channel, segment, ...; missing values read "(unknown)"). `channel` is the
    event's own channel, else the touchpoint's. Not ordered: `cxlens.journey` numbers the steps.
    `source`: a table with the events' columns to read instead of `events` (the stored numbering,
    `journey_steps`), whose `keep` columns are carried through after the dimensions. `dimensions`: only
    these dimensions (and the filtered ones; None: all), so the engine skips a customer join nobody reads
    (engines keep an unread left join: 20M events joined to 1M customers for nothing).
    """
    e = within(store.table("events") if source is None else source, "ts", scope.since, scope.until)
    wanted = set(EVENT_DIMENSIONS if dimensions is None else [*dimensions, *scope.filters])
    t = store.table("touchpoints")
    joined = e.left_join(t, e.touchpoint_id == t.touchpoint_id)
    tables = {"touchpoints": t}
    if any(EVENT_DIMENSIONS[d][0] == "customers" for d in wanted if d in EVENT_DIMENSIONS):
        c = tables["customers"] = store.table("customers")
        joined = joined.left_join(c, e.customer_id == c.customer_id)
    cols = {"event_id": e.event_id.cast("string"), "customer_id": e.customer_id, "ts": e.ts, "touchpoint_id": e.touchpoint_id,
            "stage_order": t.stage_order.cast("int64")}
    for dim, (table, column) in EVENT_DIMENSIONS.items():
        if table != "events" and dim in wanted:
            cols[dim] = tables[table][column].cast("string").fill_null(UNKNOWN)
    if "channel" in wanted:
        cols["channel"] = ibis.coalesce(e.channel.cast("string"), t.channel.cast("string")).fill_null(UNKNOWN)
    cols.update({c: e[c] for c in keep})
    return filtered(store, joined.select(**cols), scope, EVENT_DIMENSIONS)


def filtered(store, rows: ir.Table, scope: Scope, allowed: Iterable[str]) -> ir.Table:
    """`rows` (with a customer_id and a column per dimension) kept to `scope.filters`, theme included.

    `allowed`: the dimensions `rows` has; a filter on another raises UsageError("filters", ...).
    """
    rows = apply_theme_filter(store, rows, scope)
    return apply_filters(rows, scope.filters, allowed)


def _aspect(r: ir.Table) -> ir.Column:
    """The answer's aspect, "overall" when empty; an external responses table without the column has only overall answers."""
    if ASPECT not in r.columns:
        return ibis.literal(OVERALL)
    return r[ASPECT].cast("string").fill_null(OVERALL)


def overall_answers(r: ir.Table) -> ir.Table:
    """Rows of the raw `responses` table that answer the overall question (for analyses that read it directly)."""
    return r.filter(r[ASPECT].isnull()) if ASPECT in r.columns else r


def mentioned_theme(store, themes: Sequence[str], since: date | None = None, until: date | None = None) -> ir.Table:
    """Customers (one column, `customer_id`) who mentioned any of `themes` in a survey comment, ticket
    description or note dated within [since, until], according to `comment_analysis`.

    Why customers and not only the answer's own comment: a customer who raised billing errors in a
    ticket and then answers an NPS survey without a comment is still a customer with billing errors;
    the answer's own comment is one of the sources, so commented answers are covered too.
    """
    ca = store.table("comment_analysis")
    tagged = ibis.literal(";") + ca.themes.fill_null("") + ibis.literal(";")
    hit = None
    for theme in themes:
        cond = tagged.contains(f";{theme};")
        hit = cond if hit is None else hit | cond
    ca = ca.filter(hit)
    parts = []
    for source, (table, id_col, ts_col) in THEME_TABLES.items():
        t = within(store.table(table), ts_col, since, until)
        parts.append(t.select(source=ibis.literal(source), source_id=t[id_col].cast("string"), customer_id=t.customer_id))
    texts = parts[0].union(parts[1]).union(parts[2])
    joined = texts.join(ca, (texts.source == ca.source) & (texts.source_id == ca.source_id))
    return joined.select(customer_id=texts.customer_id).distinct()


def apply_theme_filter(store, rows: ir.Table, scope: Scope) -> ir.Table:
    """Keep rows of customers who mentioned the `theme` filter's theme(s) within the scope's dates."""
    themes = scope.filters.get(THEME)
    if themes is None:
        return rows
    if int(store.table("comment_analysis").count().execute()) == 0:
        raise AnalysisError("filter theme=...: no text analysis in the store yet; run `cxlens text analyze` first")
    who = mentioned_theme(store, list(themes), scope.since, scope.until)
    return rows.semi_join(who, rows.customer_id == who.customer_id)


def apply_filters(rows: ir.Table, filters: Mapping[str, Sequence[str]], allowed: Iterable[str]) -> ir.Table:
    """Keep rows whose dimension is one of the filter's values (`theme` is left to `apply_theme_filter`)."""
    filters = {d: v for d, v in filters.items() if d != THEME}
    if not filters:
        return rows
    check_dimensions(list(filters), list(allowed) + [THEME], parameter="filters")
    for dim, values in filters.items():
        rows = rows.filter(rows[dim].isin([str(v) for v in values]))
    return rows


def within(rows: ir.Table, column: str, since: date | None = None, until: date | None = None) -> ir.Table:
    """Rows with since <= rows[column] < until + 1 day (both dates inclusive; None = open)."""
    ts = rows[column]
    if since is not None:
        rows = rows.filter(ts >= ibis.literal(_start_of(since)))
    if until is not None:
        rows = rows.filter(ts < ibis.literal(_start_of(until) + timedelta(days=1)))
    return rows


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def with_period(rows: ir.Table, period: str | None, ts: str = "ts") -> ir.Table:
    """Add `period_start` (start of the week/month/quarter/year) when a period is asked for."""
    if period is None:
        return rows
    if period not in PERIODS:
        raise UsageError("period", period, PERIODS)
    return rows.mutate(period_start=period_start(rows[ts], period))
