"""The planner's rules that need no query: what the rollup can answer, its size rule and the words `--explain`
prints.

`cxlens.metrics.plan.plan` applies them with the store's state read through Ibis; `cxlens.metrics.quick` applies
the same rules with that state read by plain DuckDB SQL (architecture D61), so "which source answers" is decided by
one set of rules, written here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cxlens.metrics.scales import THRESHOLDS
from cxlens.query.dimensions import THEME
from cxlens.query.scope import Scope

ROLLUP, RAW, FACTS = "rollup", "raw", "ticket_facts"
# Dimensions the rollup can group and filter by: its own columns, and stage/channel through its touchpoint.
TOUCHPOINT_DIMENSIONS = ("touchpoint", "stage", "channel")
CUSTOMER_DIMENSIONS = ("segment", "region", "language", "plan")
ROLLUP_DIMENSIONS = (*TOUCHPOINT_DIMENSIONS, *CUSTOMER_DIMENSIONS, "aspect")
CUSTOMERS_NOTE = ("customers (distinct respondents, for the small-group rule) counted exactly from the raw answers: "
                  "sums cannot give them")
CAPPED_NOTE = ("customers capped at the small-group minimum (min(C, {cap})): cells with at least {cap} x the most answers "
               "one customer gave need no count, the others are counted exactly from their raw answers")
# The size rule: the rollup answers only when the answers are at least SHRINK times its rows (measured, D48: where it
# shrinks the data less, reading it and counting customers costs more than one pass over the answers).
SHRINK = 4.0
MONTHLY_PERIODS = (None, "month", "quarter", "year")  # periods made of whole months


@dataclass(frozen=True)
class Plan:
    """Which source answers a metric's cells: "rollup" or "raw", and why, in words (shown by `--explain`)."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


def scope_refusal(metric: str, scope: Scope) -> Plan | None:
    """The raw plan when `scope` or `metric` is outside what the rollup holds, whatever the store (None: it is
    inside)."""
    if scope.weighting is not None:
        return Plan(RAW, f"weighted ({scope.weighting}): weights belong to single answers, the rollup holds unweighted sums")
    if THEME in scope.filters:
        return Plan(RAW, "theme filter: who mentioned a theme is known per customer, not in the rollup")
    outside = [d for d in [*scope.by, *scope.filters] if d not in ROLLUP_DIMENSIONS]
    if outside:
        return Plan(RAW, f"{', '.join(dict.fromkeys(outside))} is not in the rollup (it has {', '.join(ROLLUP_DIMENSIONS)})")
    if metric not in THRESHOLDS:
        return Plan(RAW, f"the rollup holds no '{metric}' statistics")
    return None


def size_refusal(rows: int, answers: int) -> Plan | None:
    """The raw plan when the rollup (`rows`) is not SHRINK times smaller than the `answers` it sums (None: it is)."""
    if rows * SHRINK > answers:
        return Plan(RAW, f"the rollup ({rows:,} rows) is not {SHRINK:g}x smaller than the answers ({answers:,}): "
                         "one pass over the answers is faster here (architecture D48)")
    return None


def reads_months(scope: Scope) -> bool:
    """Whether the rollup's month rows (`response_rollup_month`) give the scope's cells exactly as its day rows do:
    no period or one made of whole months, and dates, if any, from a month's first day to a month's last."""
    return (scope.period in MONTHLY_PERIODS and (scope.since is None or scope.since.day == 1)
            and (scope.until is None or (scope.until + timedelta(days=1)).day == 1))


def rollup_plan(customers_cap: int | None, scope: Scope) -> Plan:
    """The rollup plan, its reason saying which rows are summed (day or month) and how distinct customers are
    counted (`customers_cap`: None, exactly)."""
    note = CUSTOMERS_NOTE if customers_cap is None else CAPPED_NOTE.format(cap=customers_cap)
    grain = "month rows: whole months" if reads_months(scope) else "day rows"
    return Plan(ROLLUP, "the rollup covers every dimension, filter and date of the scope (day x touchpoint x "
                        f"segment x region x language x plan x aspect; {grain}); {note}")


__all__ = ["CUSTOMER_DIMENSIONS", "FACTS", "Plan", "RAW", "ROLLUP", "ROLLUP_DIMENSIONS", "SHRINK",
           "TOUCHPOINT_DIMENSIONS", "reads_months", "rollup_plan", "scope_refusal", "size_refusal"]
