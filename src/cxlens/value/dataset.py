"""The customer-level dataset of value linkage: survey answers joined to the months of behaviour around them.

Two frames, built in the engine with Ibis (DuckDB, Spark, PostgreSQL alike); only the finished rows come
to Python:

- `customer_months`: one row per customer x outcome month at risk (the `outcomes` table), with what the
  customer had said before that month: the latest relationship-NPS answer of the `answer_months` months
  before it (`nps_*`), the latest whatever its age (`last_nps_*`), mean CSAT and CES and tickets of the 3
  months before. Answers count only when dated before the month at risk: outcomes are monthly and an
  answer dated in the churn month may come after the churn.
- `answers`: one row per relationship-NPS answer with the outcomes of the 12 and 24 months after its month
  (months observed, churn, complete follow-up, revenue, cost to serve, upgrades, referrals).
- `dataset`: `answers` plus the customer's survey history (CSAT/CES latest at the answer, the customer's
  latest NPS group and NPS trend), the table `cxlens value dataset --out` exports.

Relationship answers: overall NPS answers (metric 'nps', aspect empty) at the journey-wide touchpoint that
relationship surveys use. It is the touchpoint `relationship` (the demo's and the data model's name for
it: "relationship surveys use a journey-wide touchpoint") when the journey map has one; a map without it
counts every overall NPS answer as a relationship answer. `touchpoint=` names another one. NPS groups:
0-6 detractor, 7-8 passive, 9-10 promoter.

Churn: a customer-month with active = false ends the relationship; rows after a customer's first such
month are dropped (the data model's convention is that none follow it). Tenure: months since the signup
month (since the first outcome month when the signup date is missing or later).

Scope: since/until keep the outcome months (customer_months) or the answers' months (answers, whose
follow-up reads every later outcome month); filters keep customers by segment, region, language and plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import UsageError
from cxlens.model import table
from cxlens.query import UNKNOWN, Scope
from cxlens.query.frames import to_frame
from cxlens.query.rows import filtered, overall_answers
from cxlens.value import stored
from cxlens.value.frames import sorted_by

RELATIONSHIP = "relationship"
NPS_GROUPS = ("detractor", "passive", "promoter")
CUSTOMER_DIMENSIONS = ("segment", "region", "language", "plan")
HORIZONS = (12, 24)
HISTORY_MONTHS = 3  # csat_3m, ces_3m, tickets_3m: the months before the month at risk
OUTCOMES = ("revenue", "cost_to_serve", "upgrades", "referrals")
MONTH_COLUMNS = ("customer_id", "month", "m", "year", "tenure", "segment", "plan", "region", "churned", *OUTCOMES,
                 "nps_score", "nps_group", "nps_age", "last_nps_score", "last_nps_group", "last_nps_age",
                 "csat_3m", "ces_3m", "tickets_3m", "unresolved_3m")
HISTORY_COLUMNS = ("csat_latest", "ces_latest", "customer_answers", "customer_latest_group", "nps_trend_per_year")
ANSWER_COLUMNS = ("customer_id", "response_id", "ts", "m", "year", "score", "group", "segment", "plan", "region", "tenure")


def answer_columns(horizons: Sequence[int] = HORIZONS) -> tuple[str, ...]:
    """The columns of `answers_frame` for these horizons, in order."""
    per = [f"{name}_{h}" for h in horizons for name in ("months", "churned", "complete", *OUTCOMES)]
    return (*ANSWER_COLUMNS, *per)


def month_index(year: ir.IntegerValue, month: ir.IntegerValue) -> ir.IntegerValue:
    """year*12 + month - 1: consecutive months differ by one."""
    return year.cast("int64") * 12 + month.cast("int64") - 1


def nps_group(score: ir.NumericValue) -> ir.StringValue:
    """'detractor' (0-6), 'passive' (7-8), 'promoter' (9-10); null for no score."""
    return ibis.cases((score.isnull(), ibis.null("string")), (score <= 6, "detractor"), (score <= 8, "passive"),
                      else_="promoter")


def relationship_touchpoint(store, touchpoint: str | None = None) -> str | None:
    """The touchpoint whose NPS answers are relationship answers: `touchpoint` when given (it must be in the
    map), else 'relationship' when the map has it, else None (every overall NPS answer)."""
    known = set(store.table("touchpoints").select("touchpoint_id").to_pandas().touchpoint_id)
    if touchpoint is not None:
        if touchpoint not in known:
            raise UsageError("touchpoint", touchpoint, sorted(known),
                             message=f"touchpoint={touchpoint!r} is not in the journey map; use one of {', '.join(sorted(known))}")
        return touchpoint
    return RELATIONSHIP if RELATIONSHIP in known else None


def relationship_answers(store, touchpoint: str | None = None) -> ir.Table:
    """Overall relationship-NPS answers: customer_id, response_id, ts, am (the answer's month index), score."""
    r = overall_answers(store.table("responses"))
    r = r.filter(r.metric == "nps")
    tp = relationship_touchpoint(store, touchpoint)
    if tp is not None:
        r = r.filter(r.touchpoint_id == tp)
    return r.select(customer_id=r.customer_id, response_id=r.response_id.cast("string"), ts=r.ts,
                    am=month_index(r.ts.year(), r.ts.month()), score=r.score.cast("float64"))


def outcome_months(store) -> ir.Table:
    """`outcomes` with m (month index), year and churned (0/1), without rows after a customer's first churn month."""
    o = store.table("outcomes")
    year = o.month.substr(0, 4).cast("int64")
    o = o.mutate(m=month_index(year, o.month.substr(5, 2).cast("int64")), year=year,
                 churned=ibis.ifelse(o.active.cast("boolean"), 0, 1).cast("int64"))
    end = ibis.ifelse(o.churned == 1, o.m, ibis.null("int64")).min().over(ibis.window(group_by=o.customer_id))
    o = o.mutate(_end=end)
    return o.filter(o._end.isnull() | (o.m <= o._end)).drop("_end")


def customer_profile(store) -> ir.Table:
    """One row per customer: customer_id, start (the month index tenure counts from) and the dimensions."""
    c = store.table("customers")
    o = outcome_months(store)
    first = o.group_by("customer_id").aggregate(_first=o.m.min())
    j = c.left_join(first, c.customer_id == first.customer_id)
    signup = month_index(c.signup_date.year(), c.signup_date.month())
    cols = {"customer_id": c.customer_id, "start": ibis.coalesce(ibis.least(signup, first._first), signup, first._first)}
    for dim in CUSTOMER_DIMENSIONS:
        cols[dim] = c[dim].cast("string").fill_null(UNKNOWN)
    return j.select(**cols)


def _month_bounds(scope: Scope) -> tuple[int | None, int | None]:
    lo = None if scope.since is None else scope.since.year * 12 + scope.since.month - 1
    hi = None if scope.until is None else scope.until.year * 12 + scope.until.month - 1
    return lo, hi


def _within_months(t: ir.Table, column: str, scope: Scope) -> ir.Table:
    lo, hi = _month_bounds(scope)
    if lo is not None:
        t = t.filter(t[column] >= lo)
    if hi is not None:
        t = t.filter(t[column] <= hi)
    return t


def _latest_per_month(a: ir.Table) -> ir.Table:
    """Each customer's latest answer of each month, with `_next`: the month of their next answer."""
    w = ibis.window(group_by=[a.customer_id, a.am], order_by=[ibis.desc(a.ts), ibis.desc(a.response_id)])
    a = a.mutate(_rn=ibis.row_number().over(w))
    a = a.filter(a._rn == 0).drop("_rn")
    return a.mutate(_next=a.am.lead().over(ibis.window(group_by=a.customer_id, order_by=a.am)))


def _shifted(t: ir.Table, months: int) -> ir.Table:
    """Rows of `t` (with `am`) repeated for the `months` months after: `m` = am+1 .. am+months."""
    parts = [t.mutate(m=t.am + k) for k in range(1, months + 1)]
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out


def _history(store) -> tuple[ir.Table, ir.Table]:
    """Per customer x month at risk m: CSAT and CES sums and counts, tickets opened and unresolved at the start
    of m, over the HISTORY_MONTHS months before m (equi-joinable on customer_id, m)."""
    r = overall_answers(store.table("responses"))
    r = r.filter(r.metric.isin(["csat", "ces"]))
    r = r.mutate(am=month_index(r.ts.year(), r.ts.month()), s=r.score.cast("float64"))
    monthly = r.group_by(["customer_id", "am"]).aggregate(
        csat_sum=ibis.ifelse(r.metric == "csat", r.s, 0.0).sum(), csat_n=ibis.ifelse(r.metric == "csat", 1, 0).sum(),
        ces_sum=ibis.ifelse(r.metric == "ces", r.s, 0.0).sum(), ces_n=ibis.ifelse(r.metric == "ces", 1, 0).sum())
    s = _shifted(monthly, HISTORY_MONTHS)
    surveys = s.group_by(["customer_id", "m"]).aggregate(
        _csat_sum=s.csat_sum.sum(), _csat_n=s.csat_n.sum(), _ces_sum=s.ces_sum.sum(), _ces_n=s.ces_n.sum())
    t = store.table("tickets")
    t = t.select(customer_id=t.customer_id, am=month_index(t.opened_at.year(), t.opened_at.month()),
                 rm=month_index(t.resolved_at.year(), t.resolved_at.month()))
    s = _shifted(t, HISTORY_MONTHS)
    tickets = s.group_by(["customer_id", "m"]).aggregate(
        _tickets=s.count(), _unresolved=ibis.ifelse(s.rm.isnull() | (s.rm >= s.m), 1, 0).sum())
    return surveys, tickets


def _month_rows(store, touchpoint: str | None = None) -> ir.Table:
    """Every customer-month at risk with the stored columns of `value_months` (an Ibis expression): the outcome
    months, the customer's dimensions, the latest relationship-NPS answer before the month whatever its age and
    the 3 months' history."""
    o = outcome_months(store)
    c = customer_profile(store)
    j = o.left_join(c, o.customer_id == c.customer_id)
    cols = {"customer_id": o.customer_id, "month": o.month.cast("string"), "m": o.m, "year": o.year,
            "tenure": (o.m - c.start).cast("int64"),
            **{dim: ibis.coalesce(c[dim], ibis.literal(UNKNOWN)) for dim in CUSTOMER_DIMENSIONS},
            "churned": o.churned}
    cols.update({name: o[name].cast("float64") for name in OUTCOMES})
    cm = j.select(**cols)

    a = _latest_per_month(relationship_answers(store, touchpoint))
    a = a.select(_cid=a.customer_id, _am=a.am, _next=a._next, _score=a.score)
    cm = cm.left_join(a, [cm.customer_id == a._cid, a._am < cm.m, a._next.isnull() | (cm.m <= a._next)])
    cm = cm.mutate(last_nps_score=cm._score, last_nps_age=(cm.m - cm._am).cast("int64"))
    cm = cm.drop("_cid", "_am", "_next", "_score")

    surveys, tickets = _history(store)
    s = surveys.rename(_scid="customer_id", _sm="m")
    cm = cm.left_join(s, [cm.customer_id == s._scid, cm.m == s._sm])
    t = tickets.rename(_tcid="customer_id", _tm="m")
    cm = cm.left_join(t, [cm.customer_id == t._tcid, cm.m == t._tm])
    cm = cm.mutate(csat_3m=cm._csat_sum / cm._csat_n.nullif(0).cast("float64"),
                   ces_3m=cm._ces_sum / cm._ces_n.nullif(0).cast("float64"),
                   tickets_3m=cm._tickets.fill_null(0).cast("int64"), unresolved_3m=cm._unresolved.fill_null(0).cast("int64"))
    return cm.select(*table(stored.MONTHS).names)


def built_months(store) -> ir.Table:
    """What `value_months` holds: `_month_rows` for the map's relationship touchpoint (cxlens.value.stored)."""
    return _month_rows(store)


def reads_stored(store, touchpoint: str | None) -> bool:
    """Whether the stored frames are current and were built for this touchpoint (the map's relationship touchpoint,
    which the map's touchpoints in their record decide): then they hold the rows asked for."""
    return (relationship_touchpoint(store, touchpoint) == relationship_touchpoint(store)) and stored.is_current(store)


def customer_months(store, scope: Scope = Scope(), *, answer_months: int = 2, touchpoint: str | None = None) -> ir.Table:
    """One row per customer x outcome month at risk, with the customer's answers before it (an Ibis expression;
    see `customer_month_frame` for the columns). `answer_months`: how many months an NPS answer describes the
    customer (nps_score is the latest answer dated in months m-answer_months .. m-1). Read from the stored
    `value_months` when it is current (cxlens.value.stored), else computed: the same rows."""
    if answer_months < 1:
        raise UsageError("answer_months", answer_months, message="answer_months must be at least 1")
    cm = store.table(stored.MONTHS) if reads_stored(store, touchpoint) else _month_rows(store, touchpoint)
    cm = filtered(store, _within_months(cm, "m", scope), scope, CUSTOMER_DIMENSIONS)
    recent = cm.last_nps_score.notnull() & (cm.last_nps_age <= answer_months)
    score = ibis.ifelse(recent, cm.last_nps_score, ibis.null("float64"))
    cm = cm.mutate(nps_score=score, nps_group=nps_group(score), nps_age=ibis.ifelse(recent, cm.last_nps_age, ibis.null("int64")),
                   last_nps_group=nps_group(cm.last_nps_score))
    return cm.select(*MONTH_COLUMNS)


def customer_month_frame(store, scope: Scope = Scope(), *, answer_months: int = 2, touchpoint: str | None = None) -> pd.DataFrame:
    """`customer_months` as a pandas frame sorted by customer_id, m: the frame survival and risk models read.

    Columns: customer_id, month ('YYYY-MM'), m (year*12+month-1), year, tenure, segment, plan, region
    ('(unknown)' when missing), churned (0/1: the month that ends the relationship), revenue, cost_to_serve,
    upgrades, referrals (float), nps_score, nps_group, nps_age (the latest relationship-NPS answer dated in
    m-answer_months .. m-1; NaN/NaN/<NA> when none), last_nps_score, last_nps_group, last_nps_age (the latest
    before m whatever its age), csat_3m, ces_3m (mean answers of the 3 months before m, NaN when none),
    tickets_3m, unresolved_3m (tickets opened in those months, and of them those not resolved by the start of m).
    Text columns are pandas' str type (missing: NaN), ages pandas nullable Int64.
    """
    df = to_frame(customer_months(store, scope, answer_months=answer_months, touchpoint=touchpoint))
    return _typed_months(df)


def _typed_months(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype({"customer_id": str, "month": str, "m": "int64", "year": "int64", "tenure": "int64", "churned": "int64",
                    **{n: "float64" for n in (*OUTCOMES, "nps_score", "last_nps_score", "csat_3m", "ces_3m")},
                    "nps_age": "Int64", "last_nps_age": "Int64", "tickets_3m": "int64", "unresolved_3m": "int64"})
    return sorted_by(df, ["customer_id", "m"])[list(MONTH_COLUMNS)]


def _check_horizons(horizons: Sequence[int]) -> tuple[int, ...]:
    hs = tuple(int(h) for h in horizons)
    if not hs or any(h < 1 for h in hs) or len(set(hs)) != len(hs):
        raise UsageError("horizons", horizons, message=f"horizons={horizons!r}: give distinct month counts of at least 1")
    return hs


def _answer_rows(store, scope: Scope = Scope(), *, touchpoint: str | None = None) -> ir.Table:
    """Relationship-NPS answers within the scope, with m, year, group, the customer's dimensions and tenure."""
    a = _within_months(relationship_answers(store, touchpoint), "am", scope)
    c = customer_profile(store)
    j = a.left_join(c, a.customer_id == c.customer_id)
    cols = {"customer_id": a.customer_id, "response_id": a.response_id, "ts": a.ts, "m": a.am,
            "year": (a.ts.year()).cast("int64"), "score": a.score, "group": nps_group(a.score),
            **{dim: ibis.coalesce(c[dim], ibis.literal(UNKNOWN)) for dim in CUSTOMER_DIMENSIONS},
            "tenure": (a.am - c.start).cast("int64")}
    return filtered(store, j.select(**cols), scope, CUSTOMER_DIMENSIONS)


def _followed(store, a: ir.Table, hs: Sequence[int]) -> ir.Table:
    """Answers `a` (`_answer_rows`) with their follow-up outcomes per horizon, `a`'s own columns first."""
    o = outcome_months(store)
    o = o.select(_cid=o.customer_id, _m=o.m, _churned=o.churned, **{f"_{n}": o[n].cast("float64") for n in OUTCOMES})
    keys = a.select("response_id", "customer_id", am="m")
    j = keys.inner_join(o, [keys.customer_id == o._cid, o._m > keys.am, o._m <= keys.am + max(hs)])
    aggs = {}
    for h in hs:
        inside = j._m <= j.am + h
        aggs[f"_months_{h}"] = ibis.ifelse(inside, 1, 0).sum()
        aggs[f"_churned_{h}"] = ibis.ifelse(inside & (j._churned == 1), 1, 0).max()
        aggs[f"_reach_{h}"] = ibis.ifelse(j._m == j.am + h, 1, 0).max()
        for n in OUTCOMES:
            aggs[f"_{n}_{h}"] = ibis.ifelse(inside, j[f"_{n}"], 0.0).sum()
    follow = j.group_by(j.response_id.name("_rid")).aggregate(**aggs)
    last = outcome_months(store).aggregate(_last=lambda t: t.m.max())  # the data's last month (one row)
    out = a.left_join(follow, a.response_id == follow._rid).cross_join(last)
    cols = {c: out[c] for c in a.columns}
    for h in hs:
        churned = out[f"_churned_{h}"].fill_null(0).cast("int64")
        cols[f"months_{h}"] = out[f"_months_{h}"].fill_null(0).cast("int64")
        cols[f"churned_{h}"] = churned
        # Complete only when the data reaches m+h: answers too recent for the horizon are incomplete, churned or not
        # (counting their churns but not their stays would bias retention down).
        known = ibis.greatest(out[f"_reach_{h}"].fill_null(0), churned)
        cols[f"complete_{h}"] = ibis.ifelse(out._last >= out.m + h, known, 0).cast("int64")
        for n in OUTCOMES:
            cols[f"{n}_{h}"] = out[f"_{n}_{h}"].fill_null(0.0).cast("float64")
    return out.select(**cols)


def built_answers(store) -> ir.Table:
    """What `value_answers` holds: every relationship answer of the map's touchpoint followed for 12 and 24 months."""
    return _followed(store, _answer_rows(store), stored.STORED_HORIZONS).select(*table(stored.ANSWERS).names)


def answers(store, scope: Scope = Scope(), *, horizons: Sequence[int] = HORIZONS, touchpoint: str | None = None) -> ir.Table:
    """One row per relationship-NPS answer with its follow-up outcomes per horizon (an Ibis expression; see
    `answers_frame` for the columns). Read from the stored `value_answers` when it is current and holds these
    horizons (cxlens.value.stored), else computed: the same rows."""
    hs = _check_horizons(horizons)
    columns = answer_columns(hs)
    if set(hs) <= set(stored.STORED_HORIZONS) and reads_stored(store, touchpoint):
        a = store.table(stored.ANSWERS)
        return filtered(store, _within_months(a, "m", scope), scope, CUSTOMER_DIMENSIONS).select(*columns)
    return _followed(store, _answer_rows(store, scope, touchpoint=touchpoint), hs).select(*columns)


def answers_frame(store, scope: Scope = Scope(), *, horizons: Sequence[int] = HORIZONS, touchpoint: str | None = None) -> pd.DataFrame:
    """`answers` as a pandas frame sorted by customer_id, ts, response_id.

    Columns: customer_id, response_id, ts, m, year, score, group, segment, plan, region, tenure (months since
    the signup month at the answer's month), and per horizon h: months_h (outcome months observed in m+1..m+h),
    churned_h (0/1: churned within them), complete_h (1 when the data's last outcome month is m+h or later and
    the customer's follow-up reaches month m+h or they churned: the outcome over the whole horizon is known, and
    answers too recent for the horizon are incomplete whether or not the customer churned), revenue_h, cost_to_serve_h, upgrades_h, referrals_h (sums over the observed months).
    Active months are months_h - churned_h (the churn month is observed but inactive).
    """
    hs = _check_horizons(horizons)
    df = to_frame(answers(store, scope, horizons=hs, touchpoint=touchpoint))
    return _typed_answers(df, hs)


def _typed_answers(df: pd.DataFrame, hs: Sequence[int]) -> pd.DataFrame:
    ints = ["m", "year"] + [f"{n}_{h}" for h in hs for n in ("months", "churned", "complete")]
    df = df.astype({"customer_id": str, "response_id": str, "score": "float64", "tenure": "Int64",
                    **{c: "int64" for c in ints}, **{f"{n}_{h}": "float64" for h in hs for n in OUTCOMES}})
    df["ts"] = pd.to_datetime(df["ts"])
    return sorted_by(df, ["customer_id", "ts", "response_id"])[list(answer_columns(hs))]


def _latest_before(store, metric: str, a: ir.Table) -> ir.Table:
    """`a` (answers with response_id, customer_id, ts) with `_v`: the customer's latest overall `metric` answer
    dated at or before the answer's ts (null when none)."""
    r = overall_answers(store.table("responses"))
    r = r.filter(r.metric == metric)
    w = ibis.window(group_by=[r.customer_id, r.ts], order_by=[ibis.desc(r.response_id)])
    r = r.mutate(_rn=ibis.row_number().over(w))
    r = r.filter(r._rn == 0)
    r = r.select(_cid=r.customer_id, _ts=r.ts, _v=r.score.cast("float64"),
                 _next=r.ts.lead().over(ibis.window(group_by=r.customer_id, order_by=r.ts)))
    j = a.left_join(r, [a.customer_id == r._cid, r._ts <= a.ts, r._next.isnull() | (a.ts < r._next)])
    return j.select(response_id=a.response_id, _v=r._v)


def history(store, scope: Scope = Scope(), *, touchpoint: str | None = None) -> ir.Table:
    """Per relationship answer in scope (response_id): csat_latest, ces_latest (the customer's latest CSAT and CES
    answers at or before it: what was known then), customer_answers (the customer's relationship answers in
    scope), customer_latest_group (the group of their latest one) and nps_trend_per_year (the least-squares
    slope of their scores on time in years, null with answers in fewer than two months)."""
    a = _answer_rows(store, scope, touchpoint=touchpoint).select("response_id", "customer_id", "ts", "m", "score")
    csat = _latest_before(store, "csat", a).rename(_csat_rid="response_id", _csat="_v")
    ces = _latest_before(store, "ces", a).rename(_ces_rid="response_id", _ces="_v")
    last = ibis.window(group_by=a.customer_id, order_by=[ibis.desc(a.ts), ibis.desc(a.response_id)])
    a = a.mutate(_rn=ibis.row_number().over(last), _m0=a.m.min().over(ibis.window(group_by=a.customer_id)))
    x = (a.m - a._m0).cast("float64") / 12.0  # years since the customer's first answer (month resolution)
    per = a.group_by(a.customer_id.name("_cid")).aggregate(
        _n=a.count(), _sx=x.sum(), _sy=a.score.sum(), _sxy=(x * a.score).sum(), _sxx=(x * x).sum(),
        _latest=ibis.ifelse(a._rn == 0, a.score, ibis.null("float64")).max())
    # Least-squares slope from sums: (nΣxy − ΣxΣy) / (nΣx² − (Σx)²) (e.g. Draper & Smith 1998, eq. 1.2.9).
    den = per._n * per._sxx - per._sx * per._sx
    per = per.mutate(_slope=ibis.ifelse(den > 1e-9, (per._n * per._sxy - per._sx * per._sy) / den, ibis.null("float64")))
    j = a.left_join(per, a.customer_id == per._cid)
    j = j.left_join(csat, a.response_id == csat._csat_rid).left_join(ces, a.response_id == ces._ces_rid)
    return j.select(response_id=a.response_id, csat_latest=csat._csat, ces_latest=ces._ces, customer_answers=per._n.cast("int64"),
                    customer_latest_group=nps_group(per._latest), nps_trend_per_year=per._slope)


def dataset(store, scope: Scope = Scope(), *, horizons: Sequence[int] = HORIZONS, touchpoint: str | None = None) -> pd.DataFrame:
    """The customer-level dataset: one row per relationship-NPS answer, `answers_frame`'s columns followed by the
    customer's survey history (see `history`): the table to export (`write_dataset`) or to model on."""
    hs = _check_horizons(horizons)
    a = answers(store, scope, horizons=hs, touchpoint=touchpoint)
    h = history(store, scope, touchpoint=touchpoint)
    h = h.rename(_rid="response_id")
    j = a.left_join(h, a.response_id == h._rid).drop("_rid")
    df = to_frame(j)
    out = _typed_answers(df, hs).join(
        df.set_index("response_id")[list(HISTORY_COLUMNS)], on="response_id")
    out = out.astype({"csat_latest": "float64", "ces_latest": "float64", "customer_answers": "int64",
                      "nps_trend_per_year": "float64"})
    return out


def write_dataset(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` (from `dataset`) to a Parquet file at `path` (parent folders created); returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".parquet":
        raise UsageError("out", str(path), message=f"{path}: the dataset is written as Parquet; name the file *.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path
