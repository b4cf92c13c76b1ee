"""Analysis functions whose SQL differs between engines, each in one place.

Analyses call these instead of reaching for engine-specific SQL. Today every function here compiles
to the right thing through Ibis on DuckDB, PySpark and PostgreSQL (checked with ``ibis.to_sql``):
the wrappers exist so that when an engine needs a replacement it is written once, here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.errors import AnalysisError

if TYPE_CHECKING:  # annotations only: PERIOD_UNITS is read without Ibis (D61)
    import ibis.expr.types as ir

# Ibis truncation units of the calendar periods analyses group by. ISO weeks start on Monday,
# which is what DATE_TRUNC('week') gives on all three engines.
PERIOD_UNITS = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}


def quantile(column: ir.NumericColumn, q: float) -> ir.NumericScalar:
    """Exact, linearly interpolated quantile of `column` (type 7, as NumPy's default).

    DuckDB compiles it to QUANTILE_CONT, PostgreSQL to PERCENTILE_CONT ... WITHIN GROUP and Spark
    to PERCENTILE: all three interpolate between order statistics, so results agree across engines.
    Approximate variants (approx_median) are avoided because they differ between engines.
    """
    return column.quantile(q)


def quantiles(column: ir.NumericColumn, qs: tuple[float, ...]) -> ir.ArrayScalar:
    """The `quantile` of `column` at each of `qs`, as one array in one aggregate: the group's values are gathered
    once for all of them (DuckDB QUANTILE_CONT(x, [..]), PostgreSQL PERCENTILE_CONT(ARRAY[..]), Spark PERCENTILE
    with an array). Same interpolation as `quantile`."""
    return column.quantile(list(qs))


def period_start(ts: ir.TimestampColumn, period: str) -> ir.TimestampColumn:
    """The start of the calendar `period` (week, month, quarter, year) containing `ts`."""
    try:
        unit = PERIOD_UNITS[period]
    except KeyError:
        raise AnalysisError(f"unknown period '{period}'; use one of {', '.join(PERIOD_UNITS)}") from None
    return ts.truncate(unit)


def hours_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Hours from `start` to `end` (NULL when either is NULL).

    Differences of epoch seconds: EPOCH on DuckDB, EXTRACT(epoch) on PostgreSQL, UNIX_TIMESTAMP on
    Spark (whole seconds there, which is far below the resolution any CX timing needs).
    """
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 3600.0
