"""Experience metrics (NPS, CSAT, CES) for any grouping and period, each with n and a 95% interval.

Each metric is one engine-side aggregation (counts, sums and sums of squares per cell) followed by
NumPy on the few resulting rows. All answers to the same question count together, whichever
survey asked it: the "true NPS" combines relationship and transactional NPS questions.

Scales and conventions (docs/metrics.md):
- NPS: 0-10 likelihood to recommend; promoters 9-10, detractors 0-6; NPS = %promoters - %detractors.
- CSAT: 1-5 satisfaction; mean and % top-2-box (4 or 5).
- CES: 1-7 "the company made it easy for me" (Gartner CES 2.0), higher = easier; mean and
  % low effort (5, 6 or 7: agreeing that it was easy).
"""

from __future__ import annotations

from typing import Sequence

import ibis
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.metrics.compare import COMPARE_COLUMNS, compare_cells
from cxlens.metrics.scales import THRESHOLDS
from cxlens.query import Scope
from cxlens.query.dimensions import RESPONSE_DIMENSIONS, check_dimensions, group_keys, label_periods, sort_cells
from cxlens.query.frames import result_frame, with_columns
from cxlens.query.rows import responses, with_period
from cxlens.metrics.weighting import add_weights
from cxlens.metrics.plan import RAW, ROLLUP, plan, rollup_cells_of
from cxlens.metrics.figures import nps_figures, scale_figures, sufficient
from cxlens.stats.nps import NPS_METHODS


def cells(store, metric: str, scope: Scope = Scope(), *, source: str | None = None,
          customers_cap: int | None = None) -> pd.DataFrame:
    """Per cell of `scope.by` (and period): the sufficient statistics of one metric.

    Columns: keys (+ period_start), n (answers), customers (distinct customers: what small-group suppression
    counts, cxlens.privacy), n_eff (Kish effective n; = n unweighted),
    high, low (effective counts of high/low answers), mean, sd. Everything an interval needs.
    `source`: None lets the planner choose (cxlens.metrics.plan: the rollup when it covers the scope and is
    current, else the raw answers; the same cells either way); "raw" forces the raw answers; "rollup" raises
    AnalysisError, with the planner's reason, when the rollup cannot answer.
    `customers_cap`: None counts distinct customers exactly; an int k gives min(customers, k), the small-group
    rule's verdict and all it needs (D48): the rollup path then counts only the cells it cannot bound, and both
    paths give the same frame. The apps pass their min_group and do not publish the capped column.
    """
    return cells_of(store, [metric], scope, source=source, customers_cap=customers_cap)[metric]


def cells_of(store, metrics: Sequence[str], scope: Scope = Scope(), *, source: str | None = None,
             customers_cap: int | None = None) -> dict[str, pd.DataFrame]:
    """`cells` of several metrics at once: metric -> the frame `cells(store, metric, scope,
    customers_cap=customers_cap)` gives. The planner decides once (it decides the same for every metric of the
    rollup) and, when the rollup answers, one query sums all the metrics' cells (D52: the scorecard's NPS, CSAT and
    CES in one pass over the rollup, one staleness check instead of three); the raw answers are read per metric.
    `source`: as for `cells`."""
    check_dimensions(scope.by, RESPONSE_DIMENSIONS)
    unknown = [m for m in metrics if m not in THRESHOLDS]
    if unknown:
        raise AnalysisError(f"unknown metric '{unknown[0]}'; use one of {', '.join(THRESHOLDS)}")
    if source not in (None, ROLLUP, RAW):
        raise UsageError("source", source, (ROLLUP, RAW))
    if customers_cap is not None and customers_cap < 1:
        raise UsageError("customers_cap", customers_cap, message=f"customers_cap={customers_cap}: use None or a count >= 1")
    metrics = list(dict.fromkeys(metrics))
    if not metrics:
        return {}
    # forced onto the rollup: whenever it can answer (no size rule)
    chosen = plan(store, metrics[0], scope, size_rule=source != ROLLUP, customers_cap=customers_cap) \
        if source != RAW else None
    if source == ROLLUP and chosen.source != ROLLUP:
        raise AnalysisError(f"the rollup cannot answer {', '.join(metrics)} for {scope!r}: {chosen.reason}")
    if chosen is not None and chosen.source == ROLLUP:
        keys = group_keys(scope.by, scope.period)
        return {m: _sufficient(c, keys, False)
                for m, c in rollup_cells_of(store, metrics, scope, customers_cap).items()}
    return {m: _raw_cells(store, m, scope, customers_cap) for m in metrics}


def _raw_cells(store, metric: str, scope: Scope, customers_cap: int | None) -> pd.DataFrame:
    """`cells` from the raw answers (weighted when the scope says so)."""
    by, period, weighted = list(scope.by), scope.period, scope.weighting is not None
    hi, lo = THRESHOLDS[metric]
    # only the joins the cells read (weights read segment x region: all of them)
    rows = responses(store, metric, scope, dimensions=None if weighted else by)
    rows = add_weights(store, rows, scope.weighting) if weighted else rows.mutate(weight=ibis.literal(1.0))
    rows = with_period(rows, period)
    w, s = rows.weight, rows.score
    aggs = dict(
        n=rows.count(), customers=rows.customer_id.nunique(), w=w.sum(), w2=(w * w).sum(),
        wh=(s >= hi).ifelse(w, 0.0).sum(), wl=(s <= lo).ifelse(w, 0.0).sum(),
        ws=(w * s).sum(), wss=(w * s * s).sum(),
    )
    keys = group_keys(by, period)
    expr = rows.group_by(keys).aggregate(**aggs) if keys else rows.aggregate(**aggs)
    raw = result_frame(store, expr)
    raw = raw[raw["n"] > 0].copy()
    if customers_cap is not None:
        raw["customers"] = raw["customers"].clip(upper=customers_cap)
    return _sufficient(raw, keys, weighted)


def _sufficient(raw: pd.DataFrame, keys: list[str], weighted: bool) -> pd.DataFrame:
    """The cells' keys and `figures.sufficient`'s columns, sorted (`sort_cells`)."""
    return sort_cells(with_columns(raw[keys], sufficient(raw, weighted)), keys)


def nps_by(store, scope: Scope = Scope(), *, min_n: int = 30, ci: str = "adjusted-wald", level: float = 0.95,
           compare: str | None = None, customers_cap: int | None = None) -> pd.DataFrame:
    """NPS (-100..100) per cell of `scope.by` dimensions and optional period, with n and an interval.

    Columns: the dims, `period` (when asked), n, nps, promoters_pct, passives_pct, detractors_pct,
    ci_low, ci_high, low_n; plus n_eff when `scope.weighting` is set. `ci`: adjusted-wald (default),
    wald or bootstrap. `low_n` marks cells with fewer than `min_n` answers (effective answers when
    weighted). `compare` ("previous" or "rest") adds the change columns of
    :func:`cxlens.metrics.compare.compare_cells`. `customers_cap`: see `cells` (None: exact customers).
    """
    if ci not in NPS_METHODS:  # checked before the query runs, naming the parameter
        raise UsageError("ci", ci, NPS_METHODS)
    return _nps_frame(cells(store, "nps", scope, customers_cap=customers_cap), scope, min_n, ci, level, compare)


def _nps_frame(c: pd.DataFrame, scope: Scope, min_n: int, ci: str, level: float, compare: str | None) -> pd.DataFrame:
    """`nps_by`'s frame from the NPS cells `c`."""
    return _frame(c, nps_figures(c, scope.weighting is not None, min_n, ci, level), "nps", scope, compare, level)


def _frame(c: pd.DataFrame, figures: dict, metric: str, scope: Scope, compare: str | None, level: float) -> pd.DataFrame:
    """The cells' keys and their `figures` (cxlens.metrics.figures), finished by `_finish`."""
    out = with_columns(c[group_keys(scope.by, scope.period)], figures)
    return _finish(out, c, metric, scope, compare, level)


def _finish(out: pd.DataFrame, c: pd.DataFrame, metric: str, scope: Scope, compare: str | None,
            level: float) -> pd.DataFrame:
    """Add comparison columns when asked, then turn period starts into labels."""
    if compare:
        compared = compare_cells(c, metric, scope, compare, level=level)
        for col in COMPARE_COLUMNS:
            out[col] = compared[col].to_numpy()
    return label_periods(out, scope.period, len(scope.by))


def csat_by(store, scope: Scope = Scope(), *, min_n: int = 30, level: float = 0.95,
            compare: str | None = None, customers_cap: int | None = None) -> pd.DataFrame:
    """CSAT (1-5) per cell: mean with a t interval, and % top-2-box (4-5) with a Wilson interval.

    Columns: dims, period, n, csat, ci_low, ci_high, top2_pct, top2_ci_low, top2_ci_high, low_n.
    """
    return _scale_metric(store, "csat", scope, min_n, level, compare, customers_cap)


def ces_by(store, scope: Scope = Scope(), *, min_n: int = 30, level: float = 0.95,
           compare: str | None = None, customers_cap: int | None = None) -> pd.DataFrame:
    """CES (1-7, higher = easier) per cell: mean with a t interval, and % low effort (5-7), Wilson.

    Columns: dims, period, n, ces, ci_low, ci_high, low_effort_pct, low_effort_ci_low,
    low_effort_ci_high, low_n.
    """
    return _scale_metric(store, "ces", scope, min_n, level, compare, customers_cap)


def _scale_metric(store, metric: str, scope: Scope, min_n: int, level: float,
                  compare: str | None, customers_cap: int | None = None) -> pd.DataFrame:
    return _scale_frame(cells(store, metric, scope, customers_cap=customers_cap), metric, scope, min_n, level, compare)


def _scale_frame(c: pd.DataFrame, metric: str, scope: Scope, min_n: int, level: float,
                 compare: str | None) -> pd.DataFrame:
    """`csat_by`'s or `ces_by`'s frame from that metric's cells `c`."""
    return _frame(c, scale_figures(c, metric, scope.weighting is not None, min_n, level), metric, scope, compare, level)


def experience_by(store, scope: Scope = Scope(), metrics: Sequence[str] = ("nps", "csat", "ces"), *, min_n: int = 30,
                  level: float = 0.95, customers_cap: int | None = None) -> dict[str, pd.DataFrame]:
    """NPS, CSAT and CES (those of `metrics`) for one scope at once: metric -> the frame `nps_by`, `csat_by` or
    `ces_by` gives with the same arguments (NPS with its default adjusted-Wald interval), from one pass over the
    rollup when it answers (`cells_of`). What the scorecard reads; call the single functions for `ci=`/`compare=`."""
    frames = {}
    for metric, c in cells_of(store, metrics, scope, customers_cap=customers_cap).items():
        frames[metric] = (_nps_frame(c, scope, min_n, "adjusted-wald", level, None) if metric == "nps" else
                          _scale_frame(c, metric, scope, min_n, level, None))
    return frames


METRIC_FUNCTIONS = {"nps": nps_by, "csat": csat_by, "ces": ces_by}
