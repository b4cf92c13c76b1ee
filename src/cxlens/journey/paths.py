"""Observed paths: the most common sequences of the first N steps, each with its share of all journeys.

A path is a journey's first `steps` nodes joined with " > " ("shop > call > relationship"). The table
ranks the `top` most common paths and adds an explicit "other paths" row, so the shares add up to 100%
of every journey in scope: the same denominator as every other journey figure (tools that fetch only
the top paths report counts that disagree with their other charts). With `start_at`/`end_at` a path
starts at a journey's first visit of a touchpoint (or stage) and/or ends at its first visit after that;
journeys that never get there are one more explicit row, still inside the 100%.

Each row also says how long customers took between consecutive steps of that path (median and 90th
percentile of the seconds between steps, pooled over the path's steps), computed with the engines' exact
quantiles (`cxlens.store.functions.quantile`).

Everything is computed in the engine from `cxlens.journey.steps`: the path string per journey is a pivot
of its first N nodes, grouped and counted there; only the top rows come back.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import UsageError
from cxlens.journey.steps import UNITS, steps as numbered_steps
from cxlens.query import Scope
from cxlens.query.dimensions import check_dimensions
from cxlens.stats import wilson
from cxlens.store.functions import quantile

SEPARATOR = " > "
OTHER = "other paths"
JOURNEY = ["customer_id", "session"]
# A journey belongs to one customer, so only the customer's own dimensions group journeys (the channel or
# touchpoint of a journey changes from step to step).
PATH_DIMENSIONS = ("segment", "region", "language", "plan", "account")
MAX_STEPS = 20


def unit_word(session_gap: timedelta | None) -> str:
    """What one path counts: a customer (one journey each) or, with sessions, a journey."""
    return "customers" if session_gap is None else "journeys"


def no_path_label(start_at: str | None, end_at: str | None) -> str:
    """The row of journeys that never reach `start_at` (then `end_at`)."""
    return "(no path" + (f" from {start_at}" if start_at else "") + (f" to {end_at}" if end_at else "") + ")"


def check_options(store, steps: int, start_at: str | None, end_at: str | None, min_share: float | None) -> None:
    """UsageError for a bad number of steps, share threshold, or an unknown start/end node."""
    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise UsageError("steps", steps, message=f"steps={steps!r}: use a whole number from 1 to {MAX_STEPS}")
    if min_share is not None and not 0 <= min_share < 1:
        raise UsageError("min_share", min_share, message=f"min_share={min_share!r}: use a share from 0 to below 1 (0.01 = 1%)")
    wanted = [(p, v) for p, v in (("start_at", start_at), ("end_at", end_at)) if v is not None]
    if not wanted:
        return
    t = store.table("touchpoints").select("touchpoint_id", "stage").execute()
    known = set(t.touchpoint_id.astype(str)) | set(t.stage.dropna().astype(str))
    for parameter, value in wanted:
        if value not in known:
            raise UsageError(parameter, value, sorted(known),
                             message=f"{parameter}={value!r} is neither a touchpoint id nor a stage of the journey map")


def positions(s: ir.Table, steps: int, start_at: str | None = None, end_at: str | None = None) -> ir.Table:
    """`s` (from `journey.steps`) with `k`: the step's position on the journey's path (1..steps), NULL for a
    step outside it, and `gap`: seconds since the path's previous step (NULL on its first step).

    The path is the first `steps` steps from the journey's first visit of `start_at` (default: its first
    step); with `end_at` it is the `steps` steps up to and including the first visit of `end_at` from there.
    A journey that never visits `start_at` (then `end_at`) has no path: every k is NULL. Start and end
    match a step's touchpoint or its stage.
    """
    journey = ibis.window(group_by=[s[c] for c in JOURNEY])

    def first(condition: ir.BooleanColumn) -> ir.IntegerColumn:
        return ibis.ifelse(condition, s.step, ibis.null("int64")).min().over(journey)

    def at(node: str) -> ir.BooleanColumn:
        return (s.touchpoint == node) | (s.stage == node)

    s = s.mutate(_lo=first(at(start_at)) if start_at else ibis.literal(1, "int64"))
    if end_at:
        s = s.mutate(_hi=first(at(end_at) & (s.step >= s._lo)))
        s = s.mutate(_lo=ibis.greatest(s._lo, s._hi - (steps - 1)))
    else:
        s = s.mutate(_hi=s._lo + (steps - 1))
    inside = s._lo.notnull() & s._hi.notnull() & (s.step >= s._lo) & (s.step <= s._hi)
    k = ibis.ifelse(inside, s.step - s._lo + 1, ibis.null("int64"))
    s = s.mutate(k=k, gap=ibis.ifelse(k > 1, s.seconds_since_previous, ibis.null("float64")))
    return s.drop("_lo", "_hi")


def journey_paths(s: ir.Table, steps: int, by: list[str]) -> ir.Table:
    """One row per journey: its `by` dimensions, `path` (NULL without one), `length`, and gap_2..gap_N."""
    parts = {f"_p{i}": ibis.ifelse(s.k == i, s.node, ibis.null("string")).max() for i in range(1, steps + 1)}
    gaps = {f"gap_{i}": ibis.ifelse(s.k == i, s.gap, ibis.null("float64")).max() for i in range(2, steps + 1)}
    j = s.group_by([*JOURNEY, *by]).aggregate(length=s.k.max(), **parts, **gaps)
    path = j._p1
    for i in range(2, steps + 1):
        path = path + (ibis.literal(SEPARATOR) + j[f"_p{i}"]).fill_null("")
    return j.mutate(path=path).drop(*parts)


def paths(store, scope: Scope = Scope(), *, steps: int = 5, top: int = 10, unit: str = "touchpoint",
          collapse_repeats: bool = False, session_gap: timedelta | None = None, start_at: str | None = None,
          end_at: str | None = None, min_share: float | None = None, times: bool = True) -> pd.DataFrame:
    """The `top` most common paths of the first `steps` steps, ranked, with their share of all journeys.

    Columns: [scope.by dimensions,] rank, path, length (steps on the path), customers (or journeys, with
    `session_gap`), share with share_low/share_high (95% Wilson), median_seconds and p90_seconds between
    consecutive steps. After the ranked rows: "other paths" (rank empty) and, with start_at/end_at, the
    journeys without such a path, so shares add up to 1 per group. A path below `min_share` joins "other
    paths". `scope.by` (customer dimensions only) ranks paths within each group, as shares of its journeys.
    `times=False` skips the times (NaN); they come from the same query as the counts. With `session_gap` a
    `customers` column counts each row's distinct customers beside its journeys (small groups, cxlens.privacy).
    """
    if top < 1:
        raise UsageError("top", top, message=f"top={top!r}: show at least one path")
    by = check_dimensions(scope.by, PATH_DIMENSIONS)
    if scope.period:
        raise UsageError("period", scope.period, message="paths have no period: use since/until to pick the dates")
    check_options(store, steps, start_at, end_at, min_share)
    s = numbered_steps(store, scope.replace(by=()), unit=unit, collapse_repeats=collapse_repeats, session_gap=session_gap,
                       dimensions=[*by, "touchpoint", "stage"])
    if not start_at and not end_at:
        s = s.filter(s.step <= steps)  # the path is the first steps: the engine reads a quarter of 20M steps (D50)
    j = journey_paths(positions(s, steps, start_at, end_at), steps, by)
    found = _counted(_labelled(j, by, top, min_share), steps if times else 1, by, session_gap is not None).execute()
    ranked = found.rename(columns={"label": "path"})
    ranked.loc[ranked.path == OTHER, "rank"] = np.nan  # counted from the totals in `_table`
    return _table(ranked, found, by, top, min_share, unit_word(session_gap),
                  no_path_label(start_at, end_at) if start_at or end_at else None)


def _labelled(j: ir.Table, by: list[str], top: int, min_share: float | None) -> ir.Table:
    """Journeys labelled with their path when it is shown (among the group's `top` and at least `min_share` of
    its journeys), else OTHER; NULL without a path. Ranks and counts come from windows over the journeys, so
    the labels need no second pass over the steps."""
    j = j.mutate(n=j.customer_id.count().over(group_by=[*by, "path"]), total=j.customer_id.count().over(group_by=by))
    j = j.mutate(rank=ibis.dense_rank().over(group_by=by, order_by=[j.path.isnull(), j.n.desc(), j.path]) + 1,
                 no_path=ibis.ifelse(j.path.isnull(), 1, 0).sum().over(group_by=by))
    shown = j["rank"] <= top
    if min_share is not None:
        shown &= j.n / j.total >= min_share
    return j.mutate(label=ibis.ifelse(j.path.isnull(), ibis.null("string"), ibis.ifelse(shown, j.path, ibis.literal(OTHER))))


# Each journey puts this marker before its gaps when they are unnested, so one pass counts the journeys (the
# markers) and takes the quantiles of the gaps (seconds between steps are never negative).
_JOURNEY = -1.0


def _counted(labelled: ir.Table, steps: int, by: list[str], distinct: bool = False) -> ir.Table:
    """Per group and label: journeys, path length and rank, the group's totals, and the median and p90 seconds
    between consecutive steps pooled over the label's journeys and steps (NULL with `steps` 1); with `distinct`
    (sessions: a customer may have several journeys) the label's distinct customers too (cxlens.privacy)."""
    gaps = [labelled[f"gap_{i}"] for i in range(2, steps + 1)]
    long = labelled.select(*by, "label", "length", "rank", "total", "no_path", *(["customer_id"] if distinct else []),
                           gap=ibis.array([ibis.literal(_JOURNEY, "float64"), *gaps]).unnest())
    gap = ibis.ifelse(long.gap >= 0, long.gap, ibis.null("float64"))
    return long.group_by([*by, "label"]).aggregate(
        n=ibis.ifelse(long.gap == _JOURNEY, 1, 0).sum(), length=long.length.max(), rank=long["rank"].min(),
        total=long.total.max(), no_path=long.no_path.max(),
        median_seconds=quantile(gap, 0.5), p90_seconds=quantile(gap, 0.9),
        **({"customers": long.customer_id.nunique()} if distinct else {}))


def _shown(ranked: pd.DataFrame, top: int, min_share: float | None) -> pd.DataFrame:
    rows = ranked[ranked.path.notna() & (ranked["rank"] <= top)]
    if min_share is not None:
        rows = rows[rows.n / rows.total >= min_share]
    return rows


def _table(ranked: pd.DataFrame, times: pd.DataFrame, by: list[str], top: int, min_share: float | None,
           count: str, no_path: str | None) -> pd.DataFrame:
    """The ranked rows, OTHER and the no-path row per group, with shares, intervals and times."""
    timed = {tuple(str(v) for v in (key if isinstance(key, tuple) else (key,))): r
             for key, r in times.set_index([*by, "label"]).iterrows()}
    rows = []
    distinct = "customers" in ranked and count != "customers"  # sessions: customers beside their journeys

    def who(rows: pd.DataFrame) -> dict:
        return {"customers": int(rows["customers"].sum())} if distinct else {}

    for key, g in (ranked.groupby(by, sort=True) if by else [((), ranked)] if len(ranked) else []):
        key = key if isinstance(key, tuple) else (key,)
        dims, total, without = dict(zip(by, key)), int(g.total.iloc[0]), int(g.no_path.iloc[0])
        shown = _shown(g, top, min_share).sort_values("rank")
        group = [{"rank": rank, "path": r.path, "length": int(r.length), count: int(r.n),
                  **who(shown[shown.path == r.path]), **_time(timed, key, r.path)}
                 for rank, r in enumerate(shown.itertuples(), start=1)]
        group.append({"rank": None, "path": OTHER, "length": None, count: total - without - int(shown.n.sum()),
                      **who(g[g.path == OTHER]), **_time(timed, key, OTHER)})
        if no_path is not None:
            group.append({"rank": None, "path": no_path, "length": None, count: without, **who(g[g.path.isna()]),
                          "median_seconds": np.nan, "p90_seconds": np.nan})
        rows += [{**dims, **row, "_total": total} for row in group]
    frame = pd.DataFrame(rows, columns=[*by, "rank", "path", "length", count, *(["customers"] if distinct else []),
                                        "median_seconds", "p90_seconds", "_total"])
    ci = wilson(frame[count].to_numpy(float), frame._total.to_numpy(float))
    at = len(by) + 4
    frame.insert(at, "share", frame[count] / frame._total)
    frame.insert(at + 1, "share_low", ci.low)
    frame.insert(at + 2, "share_high", ci.high)
    frame["rank"] = frame["rank"].astype("Int64")
    frame["length"] = frame["length"].astype("Int64")
    return frame.drop(columns="_total")


def _time(timed: dict, key: tuple, label: str) -> dict:
    r = timed.get((*[str(v) for v in key], label))
    if r is None:
        return {"median_seconds": np.nan, "p90_seconds": np.nan}
    return {"median_seconds": float(r.median_seconds) if r.median_seconds is not None else np.nan,
            "p90_seconds": float(r.p90_seconds) if r.p90_seconds is not None else np.nan}


__all__ = ["OTHER", "PATH_DIMENSIONS", "SEPARATOR", "UNITS", "no_path_label", "paths", "positions", "unit_word"]
