"""The dimensions every metric can be cut by, and the joined, filtered rows they are cut from.

One place decides where a dimension comes from, so `nps --by region` means the same in every
analysis: touchpoint, stage and channel come from the journey map (`touchpoints`), segment,
region, language, plan and account from the customer (`customers`), aspect from the answer
itself (`responses.aspect`). `language` is the customer's preferred language, not the language a
comment happened to be written in, so a customer counts in one language group whichever survey
they answered.

Aspect answers (a question about the functional, emotional or experiential side of a touchpoint)
count only where the analysis asks for them: `aspect` among the `by` dimensions or in the filters.
Everywhere else the metrics use the overall answers (aspect empty), as before aspects existed: one
respondent who answers the overall CSAT question and three aspect questions would otherwise count
four times in the touchpoint's CSAT, narrowing its interval with answers that are not independent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import AnalysisError
from cxlens.store.functions import PERIOD_UNITS, period_start

# dimension -> (table, column). Responses and tickets both reach these through their ids.
RESPONSE_DIMENSIONS: dict[str, tuple[str, str]] = {
    "touchpoint": ("touchpoints", "touchpoint_id"),
    "stage": ("touchpoints", "stage"),
    "channel": ("touchpoints", "channel"),
    "segment": ("customers", "segment"),
    "region": ("customers", "region"),
    "language": ("customers", "language"),
    "plan": ("customers", "plan"),
    "account": ("customers", "account_id"),
    "aspect": ("responses", "aspect"),
}
ASPECT = "aspect"
OVERALL = "overall"  # the aspect of an answer to the overall question (`aspect` empty)
PERIODS = tuple(PERIOD_UNITS)
UNKNOWN = "(unknown)"  # shown for a missing dimension value, so such rows are counted, not dropped


def check_dimensions(by: Sequence[str], allowed: Iterable[str]) -> list[str]:
    """Validate `by` against `allowed`; the error lists what can be used instead."""
    allowed = list(allowed)
    by = [d.strip() for d in by if d and d.strip()]
    unknown = [d for d in by if d not in allowed]
    if unknown:
        raise AnalysisError(f"unknown dimension(s) {unknown}; use any of {', '.join(allowed)}")
    if len(set(by)) != len(by):
        raise AnalysisError(f"dimension listed twice in {by}")
    return by


def check_period(period: str | None) -> str | None:
    if period is not None and period not in PERIODS:
        raise AnalysisError(f"unknown period '{period}'; use one of {', '.join(PERIODS)}")
    return period


def responses(store, metric: str | Sequence[str], since: Any = None, until: Any = None,
              filters: Mapping[str, Any] | None = None, by: Sequence[str] = ()) -> ir.Table:
    """Answers to `metric` joined to their touchpoint and customer: one row per answer.

    Columns: customer_id, ts, touchpoint_id, metric, score and every dimension name. Dimension
    values that are missing read as "(unknown)", a missing aspect as "overall". `since`/`until` are
    inclusive dates; `filters` maps a dimension to a value or a list of values. `by` (the caller's
    grouping) decides whether aspect answers count: only when it or `filters` names `aspect`.
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    r = store.table("responses")
    r = r.filter(r.metric.isin(metrics))
    r = _within(r, r.ts, since, until)
    if ASPECT not in by and ASPECT not in (filters or {}):
        r = overall_answers(r)  # on the raw column, before the joins: a plain IS NULL the engine pushes down
    t = store.table("touchpoints")
    c = store.table("customers")
    joined = r.left_join(t, r.touchpoint_id == t.touchpoint_id).left_join(c, r.customer_id == c.customer_id)
    cols = {
        "customer_id": r.customer_id, "ts": r.ts, "touchpoint_id": r.touchpoint_id,
        "metric": r.metric, "score": r.score.cast("float64"),
    }
    tables = {"touchpoints": t, "customers": c}
    for dim, (table, column) in RESPONSE_DIMENSIONS.items():
        if dim != ASPECT:
            cols[dim] = tables[table][column].cast("string").fill_null(UNKNOWN)
    cols[ASPECT] = _aspect(r)
    rows = joined.select(**cols)
    rows, filters = apply_theme_filter(store, rows, filters, since, until)
    return apply_filters(rows, filters, RESPONSE_DIMENSIONS)


def _aspect(r: ir.Table) -> ir.Column:
    """The answer's aspect, "overall" when empty; an external responses table without the column has only overall answers."""
    if ASPECT not in r.columns:
        return ibis.literal(OVERALL)
    return r[ASPECT].cast("string").fill_null(OVERALL)


def overall_answers(r: ir.Table) -> ir.Table:
    """Rows of the raw `responses` table that answer the overall question (for analyses that read it directly)."""
    return r.filter(r[ASPECT].isnull()) if ASPECT in r.columns else r


THEME = "theme"  # filter-only dimension: customers who mentioned the theme (see mentioned_theme)
THEME_TABLES = {"survey": ("responses", "response_id", "ts"), "ticket": ("tickets", "ticket_id", "opened_at"),
                "note": ("notes", "note_id", "ts")}


def mentioned_theme(store, themes: Sequence[str], since: Any = None, until: Any = None) -> ir.Table:
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
        t = _within(store.table(table), store.table(table)[ts_col], since, until)
        parts.append(t.select(source=ibis.literal(source), source_id=t[id_col].cast("string"), customer_id=t.customer_id))
    texts = parts[0].union(parts[1]).union(parts[2])
    joined = texts.join(ca, (texts.source == ca.source) & (texts.source_id == ca.source_id))
    return joined.select(customer_id=texts.customer_id).distinct()


def apply_theme_filter(store, rows: ir.Table, filters: Mapping[str, Any] | None, since: Any = None,
                       until: Any = None) -> tuple[ir.Table, dict]:
    """Keep rows of customers who mentioned the `theme` filter's theme(s); returns (rows, other filters)."""
    filters = dict(filters or {})
    value = filters.pop(THEME, None)
    if value is None:
        return rows, filters
    themes = [value] if isinstance(value, str) or not isinstance(value, Iterable) else [str(v) for v in value]
    if int(store.table("comment_analysis").count().execute()) == 0:
        raise AnalysisError("filter theme=...: no text analysis in the store yet; run `cxlens text analyze` first")
    who = mentioned_theme(store, themes, since, until)
    return rows.semi_join(who, rows.customer_id == who.customer_id), filters


def apply_filters(rows: ir.Table, filters: Mapping[str, Any] | None, allowed: Iterable[str]) -> ir.Table:
    """Keep rows whose dimension equals the filter's value (or is one of its values)."""
    if not filters:
        return rows
    check_dimensions(list(filters), allowed)
    for dim, value in filters.items():
        values = [value] if isinstance(value, str) or not isinstance(value, Iterable) else list(value)
        rows = rows.filter(rows[dim].isin([str(v) for v in values]))
    return rows


def _within(rows: ir.Table, ts: ir.Column, since: Any, until: Any) -> ir.Table:
    """Rows with since <= ts < until + 1 day (both dates inclusive)."""
    if since is not None:
        rows = rows.filter(ts >= ibis.literal(_as_datetime(since)))
    if until is not None:
        rows = rows.filter(ts < ibis.literal(_as_datetime(until) + timedelta(days=1)))
    return rows


def within(rows: ir.Table, column: str, since: Any = None, until: Any = None) -> ir.Table:
    """Public form of the date window for other tables (tickets use `opened_at`)."""
    return _within(rows, rows[column], since, until)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        d = date.fromisoformat(str(value)[:10])
    except ValueError:
        raise AnalysisError(f"cannot read '{value}' as a date; use YYYY-MM-DD") from None
    return datetime(d.year, d.month, d.day)


def with_period(rows: ir.Table, period: str | None, ts: str = "ts") -> ir.Table:
    """Add `period_start` (start of the week/month/quarter/year) when a period is asked for."""
    if period is None:
        return rows
    return rows.mutate(period_start=period_start(rows[ts], check_period(period)))


def group_keys(by: Sequence[str], period: str | None) -> list[str]:
    return list(by) + (["period_start"] if period else [])


def label_periods(frame: pd.DataFrame, period: str | None, position: int) -> pd.DataFrame:
    """Replace `period_start` by a readable `period` label at column `position`.

    Labels: 2024-05 (month), 2024-Q2 (quarter), 2024-W07 (ISO week), 2024 (year). Sort before
    labelling: the start sorts in time order, the label may not (ISO week-years).
    """
    if period is None or "period_start" not in frame:
        return frame
    starts = pd.to_datetime(frame.pop("period_start"))
    frame.insert(position, "period", [period_label(s, period) for s in starts])
    return frame


def period_label(start: Any, period: str) -> str:
    """Label of the period starting at `start`."""
    ts = pd.Timestamp(start)
    if period == "month":
        return f"{ts.year:04d}-{ts.month:02d}"
    if period == "quarter":
        return f"{ts.year:04d}-Q{(ts.month - 1) // 3 + 1}"
    if period == "week":
        iso = ts.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    if period == "year":
        return f"{ts.year:04d}"
    raise AnalysisError(f"unknown period '{period}'; use one of {', '.join(PERIODS)}")


def sort_cells(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Stable, readable order: by every key, periods in time order."""
    keys = [k for k in keys if k in frame]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame.reset_index(drop=True)
