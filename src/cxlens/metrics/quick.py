"""NPS, CSAT and CES cells answered from the rollup with DuckDB alone: no pandas, no Ibis.

Why: a command that prints one metric must feel instant, and importing pandas and Ibis alone takes about 0.6 s of
Python start-up (issue 23: `cxlens nps --format json` under 0.5 s end to end; architecture D61). On a DuckDB store
the rollup's sums are one SQL statement away, so for the scopes the rollup answers this module reads them with the
`duckdb` module, applies the planner's own rules (`plan_rules`, the rollup's fingerprint from `rollup_record`) and
computes the figures with the library's own arithmetic (`figures`). Not its size rule: that rule weighs the library's
cost of reading the rollup (Ibis, pandas, counting customers) against one pass over the answers; here the rollup is
one short statement at any size, and the figures are the same from either source.

It answers only where it gives exactly what `nps_by`/`csat_by`/`ces_by` followed by the small-group rule give
(tests compare the two on random scopes): a DuckDB file of the workspace's own tables at the current schema, a
current rollup that covers the scope, customers capped at the small-group minimum (the apps' rule, D48), and every
cell with at least cap x M answers (M: the most answers one customer gave), so no cell needs its distinct customers
counted and none is suppressed. Anything else (`None`) is answered by the library: the caller falls back, and the
reason is the library's (a stale rollup's warning, a locked store's wait, a small group's suppression).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlens.metrics.figures import nps_figures, scale_figures, sufficient
from cxlens.metrics.plan_rules import TOUCHPOINT_DIMENSIONS, Plan, reads_months, rollup_plan, scope_refusal
from cxlens.metrics.rollup_record import META_KEY, MONTH_TABLE, MOST, TABLE, WORDS, fingerprint_of
from cxlens.model import SCHEMA_VERSION
from cxlens.query.dimensions import ASPECT, OVERALL, RESPONSE_DIMENSIONS, UNKNOWN, period_label
from cxlens.query.scope import Scope
from cxlens.store.records import staleness
from cxlens.store.sql import ident

# The Ibis truncation the planner's path compiles to on DuckDB (cxlens.store.functions.period_start).
_TRUNCATE = {"week": "WEEK", "month": "MONTH", "quarter": "QUARTER", "year": "YEAR"}
_INTERVALS = ("adjusted-wald", "wald")  # NPS intervals from counts alone (bootstrap and unknown names: the library)
# The state the planner reads, in one statement: the schema version, the rollup's record, and the answers' row of
# its fingerprint (the statement `cxlens.metrics.rollup` compiles through Ibis, written out).
_STATE = """
SELECT (SELECT value FROM cxlens_meta WHERE key = 'schema_version') AS version,
       (SELECT value FROM cxlens_meta WHERE key = ?) AS record, r.n, r.lo, r.hi, l.responses, l.customers
FROM (SELECT count(*) AS n, min(ts) AS lo, max(ts) AS hi FROM responses) AS r
CROSS JOIN (SELECT first(load_id ORDER BY started_at DESC) FILTER (WHERE kind = 'responses') AS responses,
                   first(load_id ORDER BY started_at DESC) FILTER (WHERE kind = 'customers') AS customers
            FROM loads) AS l
"""


@dataclass(frozen=True)
class Answer:
    """What the command prints: `rows` (dicts of `columns`, as the library's published frame without its capped
    `customers`), and the `plan` that `--explain` states."""

    rows: list[dict[str, Any]]
    columns: list[str]
    plan: Plan


def answer(store_url: str, metric: str, scope: Scope, *, min_n: int, customers_cap: int, ci: str = "adjusted-wald",
           level: float = 0.95, external: bool = False) -> Answer | None:
    """The published cells of `metric` ("nps", "csat" or "ces") for `scope`, from the rollup with DuckDB alone; None
    where this path cannot give exactly the library's answer (see the module docstring). `customers_cap`: the
    small-group minimum the command publishes with; `external`: the workspace reads tables in place (not here)."""
    if (external or scope_refusal(metric, scope) is not None or ci not in _INTERVALS
            or not store_url.startswith("duckdb:///")):
        return None
    path = store_url[len("duckdb:///"):]
    if not Path(path).is_file():
        return None
    import duckdb

    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error:  # locked by a writer, or not a DuckDB file: the library waits, or says what is wrong
        return None
    try:
        return _answer(con, metric, scope, min_n, customers_cap, ci, level)
    except duckdb.Error:  # a table missing from an old store: the library names the fix
        return None
    finally:
        con.close()


def _answer(con: Any, metric: str, scope: Scope, min_n: int, cap: int, ci: str, level: float) -> Answer | None:
    built = _current_record(con)
    most = None if built is None else (built.get(MOST) or {}).get(metric)
    if most is None:  # stale, never built, or no bound recorded: the library decides and counts
        return None
    cur = con.execute(*_cells_sql(metric, scope))
    rows = cur.fetchall()
    if not rows:  # nothing in the scope: the library says so in its own way
        return None
    names = [d[0] for d in cur.description]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    if any(n < cap * most for n in columns["n"]):  # its distinct customers need counting: the library does
        return None
    sums = {"customers": [cap] * len(rows), "w": columns["n"], "w2": columns["n"], **columns}
    cells = sufficient(sums, weighted=False)
    figures = (nps_figures(cells, False, min_n, ci, level) if metric == "nps" else
               scale_figures(cells, metric, False, min_n, level))
    figures.pop("customers")  # the capped count: the rule's input, never published
    published = {k: columns[k] for k in scope.by}
    if scope.period:
        published["period"] = [period_label(start, scope.period) for start in columns["period_start"]]
    published.update({k: v.tolist() for k, v in figures.items()})
    order = list(published)
    return Answer([dict(zip(order, values)) for values in zip(*published.values())], order, rollup_plan(cap, scope))


def _current_record(con: Any) -> dict | None:
    """The rollup's record when the store is at this schema and the rollup is current, else None."""
    cur = con.execute(_STATE, [META_KEY])
    state = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    if state["version"] is None or int(state["version"]) != SCHEMA_VERSION or state["record"] is None:
        return None
    built = json.loads(state["record"])
    return built if staleness(TABLE, built, fingerprint_of(state, None), WORDS, "") is None else None


def _cells_sql(metric: str, scope: Scope) -> tuple[str, list]:
    """The rollup's sums per cell of `scope` as one DuckDB statement and its parameters: the rows
    `cxlens.metrics.plan.rollup_rows` selects (the month rows where they answer), each dimension read as
    `query.rows` reads it, summed and ordered as `rollup_cells_of` and `sort_cells` order them."""
    wanted = {*scope.by, *scope.filters}
    table, day = (MONTH_TABLE, "ro.month") if reads_months(scope) else (TABLE, "ro.day")
    where, params = ["ro.metric = ?"], [metric]
    if scope.since is not None:
        where.append(f"{day} >= ?")
        params.append(scope.since)
    if scope.until is not None:
        where.append(f"{day} <= ?")
        params.append(scope.until)
    if ASPECT not in wanted:
        where.append("ro.aspect IS NULL")  # overall answers only, as query.rows does
    dims = {d: _dimension(d) for d in wanted}
    for dim, values in scope.filters.items():
        where.append(f"{dims[dim]} IN ({', '.join('?' for _ in values)})")
        params.extend(str(v) for v in values)
    keys = {d: dims[d] for d in scope.by}
    if scope.period:
        keys["period_start"] = f"date_trunc('{_TRUNCATE[scope.period]}', CAST({day} AS TIMESTAMP))"
    join = " LEFT JOIN touchpoints AS t ON ro.touchpoint_id = t.touchpoint_id" if wanted & set(TOUCHPOINT_DIMENSIONS) else ""
    selected = [f"{sql} AS {ident(k)}" for k, sql in keys.items()]
    sums = ["sum(ro.n) AS n", "sum(ro.high) AS wh", "sum(ro.low) AS wl", "sum(ro.total) AS ws", "sum(ro.total_sq) AS wss"]
    grouped = f" GROUP BY {', '.join(map(ident, keys))}" if keys else ""
    ordered = f" ORDER BY {', '.join(map(ident, keys))}" if keys else ""
    sql = (f"SELECT {', '.join([*selected, *sums])} FROM {ident(table)} AS ro{join} WHERE {' AND '.join(where)}"
           f"{grouped} HAVING sum(ro.n) > 0{ordered}")
    return sql, params


def _dimension(dim: str) -> str:
    """How a dimension reads in the rollup's query: the map's touchpoint, stage or channel (a touchpoint the map
    lacks reads "(unknown)"), the customer's attributes as the rollup keeps them, "overall" for no aspect."""
    if dim == ASPECT:
        return f"coalesce(CAST(ro.aspect AS VARCHAR), '{OVERALL}')"
    source = "t" if dim in TOUCHPOINT_DIMENSIONS else "ro"
    return f"coalesce(CAST({source}.{ident(RESPONSE_DIMENSIONS[dim][1])} AS VARCHAR), '{UNKNOWN}')"


__all__ = ["Answer", "answer"]

