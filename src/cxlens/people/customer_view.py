"""The customer view: one row per customer with who they are, what they do, what they experienced, what they
are worth, what they talk about and which persona they belong to.

Built in the engine with Ibis (DuckDB, Spark, PostgreSQL alike): each part is an aggregate per customer left-joined
to `customers`, and only the finished rows come to Python (`customer_view_frame`). Columns, in order:

- who: customer_id, segment, region, language, plan, account_id (as stored; null when missing), age (the `age`
  key of the customer's `attributes`, NaN when absent), tenure_months (months from the signup month to the data's
  last month: the latest outcome month, else the latest event, answer or ticket; capped at `until`).
- behaviour (`events`, with the event's channel, else its touchpoint's): events, events_<stage> for every stage of
  the journey map (in stage order), channels_used (distinct channels), top_channel (the most used; ties: the
  first by name), digital_share (share of the events with a channel that used app, web, chat, email, sms or
  social), plan_changes (events at the map's `plan_change` touchpoint; the column is left out when the map has
  no such touchpoint: the data cannot tell).
- experience (overall answers: aspect answers are parts of one survey): responses (answers of any metric),
  nps_latest and nps_group (the latest relationship-NPS answer, the same relationship answers as value
  linkage: at the map's `relationship` touchpoint when it has one, else every overall NPS answer),
  nps_trend (latest minus earliest relationship answer, NaN with fewer than two), csat_mean, ces_mean (every
  overall CSAT/CES answer), tickets, tickets_unresolved (no resolved_at), tickets_per_month (tickets over the
  customer's outcome months, else over tenure_months + 1).
- value (`outcomes`): revenue_month, cost_to_serve_month (means over the customer's active months),
  active (a row with active = true in the data's last outcome month; null when there are no outcomes).
- needs (`comment_analysis` of the customer's comments, ticket descriptions and notes): themes (the themes
  by the number of texts that mention them, then by name, comma-separated; null when none), top_theme (the first),
  relationship_comments (analysed comments on the customer's relationship answers, those of nps_latest) and
  relationship_themes (their themes as `theme:comments`, most first: what the customer says matters when asked
  about the relationship, not the incident a ticket or a touchpoint survey reports; the persona model's needs,
  architecture D58).
- persona: persona_id, persona from the table `personas` (cxlens.personas writes it); null without it.

Scope: since/until keep events, answers, tickets, texts and outcome months dated within them; filters keep
customers by segment, region, language, plan, account and theme. `by`, period and weighting do not apply.
"""

from __future__ import annotations

import re
import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.query import UNKNOWN, Scope, within
from cxlens.query.rows import THEME_TABLES, filtered, overall_answers

WHO = ("customer_id", "segment", "region", "language", "plan", "account_id", "age", "tenure_months")
BEHAVIOUR_HEAD = ("events",)
BEHAVIOUR_TAIL = ("channels_used", "top_channel", "digital_share")
EXPERIENCE = ("responses", "nps_latest", "nps_group", "nps_trend", "csat_mean", "ces_mean", "tickets",
              "tickets_unresolved", "tickets_per_month")
VALUE = ("revenue_month", "cost_to_serve_month", "active")
NEEDS = ("top_theme", "themes", "relationship_comments", "relationship_themes")
PERSONA = ("persona_id", "persona")
DIGITAL_CHANNELS = ("app", "web", "chat", "email", "sms", "social")
RELATIONSHIP = "relationship"  # the journey-wide touchpoint relationship surveys use (as value linkage)
PLAN_CHANGE = "plan_change"    # the map's touchpoint of plan changes; without it plan_changes is left out
FILTER_DIMENSIONS = {"segment": "segment", "region": "region", "language": "language", "plan": "plan", "account": "account_id"}
PERSONA_TABLE = "personas"
_SEP = ";"  # how comment_analysis stores themes
_TEXT_COLUMNS = {"survey": "comment", "ticket": "description", "note": "text"}  # what text analysis reads


def stage_column(stage: str) -> str:
    """`events_<stage>` with the stage name lowercased and anything but letters, digits and _ made `_`."""
    return "events_" + re.sub(r"[^0-9a-z_]+", "_", str(stage).strip().lower()).strip("_")


def journey_stages(store) -> list[str]:
    """The journey map's stages in stage order (then by name)."""
    t = store.table("touchpoints")
    g = store.execute(t.group_by(stage=t.stage.cast("string")).aggregate(o=t.stage_order.min()))
    g = g[g.stage.notna()]
    return [s for s, _ in sorted(zip(g.stage, g.o), key=lambda x: (pd.isna(x[1]), x[1] if pd.notna(x[1]) else 0, x[0]))]


def view_columns(store) -> list[str]:
    """The view's columns in order for this store's journey map."""
    behaviour = [*BEHAVIOUR_HEAD, *(stage_column(s) for s in journey_stages(store)), *BEHAVIOUR_TAIL]
    if _has_plan_change(store):
        behaviour.append("plan_changes")
    return [*WHO, *behaviour, *EXPERIENCE, *VALUE, *NEEDS, *PERSONA]


def _has_plan_change(store) -> bool:
    t = store.table("touchpoints")
    return int(store.execute(t.filter(t.touchpoint_id == PLAN_CHANGE).count())) > 0


def _month(ts: ir.TimestampValue) -> ir.IntegerValue:
    return ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1


def _outcome_month(o: ir.Table) -> ir.IntegerValue:
    return o.month.substr(0, 4).cast("int64") * 12 + o.month.substr(5, 2).cast("int64") - 1


def _scoped_outcomes(store, scope: Scope) -> ir.Table:
    o = store.table("outcomes")
    o = o.mutate(_m=_outcome_month(o))
    if scope.since is not None:
        o = o.filter(o._m >= scope.since.year * 12 + scope.since.month - 1)
    if scope.until is not None:
        o = o.filter(o._m <= scope.until.year * 12 + scope.until.month - 1)
    return o


def last_month(store, scope: Scope = Scope()) -> int | None:
    """The data's last month (year*12 + month - 1): the latest outcome month within the scope, else the latest
    event, answer or ticket within it; None for a store without any."""
    o = _scoped_outcomes(store, scope)
    m = store.execute(o._m.max())
    if m is not None and not pd.isna(m):
        return int(m)
    found = []
    for name, col in (("events", "ts"), ("responses", "ts"), ("tickets", "opened_at")):
        t = within(store.table(name), col, scope.since, scope.until)
        v = store.execute(t[col].max())
        if v is not None and not pd.isna(v):
            found.append(pd.Timestamp(v).year * 12 + pd.Timestamp(v).month - 1)
    return max(found) if found else None


def _customers(store, scope: Scope) -> ir.Table:
    """`customers` kept to the scope's filters: who columns (age from attributes) and _start (signup month)."""
    c = store.table("customers")
    # the filters read missing values as "(unknown)"; the view shows them as missing
    raw = {f"_raw_{d}": c[col].cast("string") for d, col in FILTER_DIMENSIONS.items()}
    rows = c.select(customer_id=c.customer_id, attributes=c.attributes.cast("string"), signup_date=c.signup_date,
                    **raw, **{d: c[col].cast("string").fill_null(UNKNOWN) for d, col in FILTER_DIMENSIONS.items()})
    c = filtered(store, rows, scope, FILTER_DIMENSIONS)
    # `age` of the attributes JSON, read with a regular expression: the one JSON access all three engines share
    text = c.attributes.re_extract(r'"age"\s*:\s*"?\s*(-?[0-9]+(?:\.[0-9]+)?)', 1)
    age = ibis.ifelse(text.isnull() | (text == ""), ibis.null("string"), text).cast("float64")
    return c.select(customer_id=c.customer_id, **{col: c[f"_raw_{d}"] for d, col in FILTER_DIMENSIONS.items()},
                    age=age, _start=_month(c.signup_date.cast("timestamp")))


def _channel(column: ir.Value) -> ir.StringValue:
    """A channel name trimmed and lowercased ('APP' and 'app' are one channel); empty text is no channel."""
    return column.cast("string").strip().lower().nullif("")


def _events(store, scope: Scope, stages: list[str], plan_change: bool) -> ir.Table:
    """Per customer: events, events_<stage>, channels_used, digital_share (+ plan_changes)."""
    e = within(store.table("events"), "ts", scope.since, scope.until)
    t = store.table("touchpoints")
    j = e.left_join(t, e.touchpoint_id == t.touchpoint_id)
    rows = j.select(cid=e.customer_id, tp=e.touchpoint_id.cast("string"), stage=t.stage.cast("string"),
                    channel=ibis.coalesce(_channel(e.channel), _channel(t.channel)))
    aggs = {"events": rows.count(),
            **{stage_column(s): ibis.ifelse(rows.stage == s, 1, 0).sum() for s in stages},
            "channels_used": rows.channel.nunique(),
            "_with_channel": ibis.ifelse(rows.channel.notnull(), 1, 0).sum(),
            "_digital": ibis.ifelse(rows.channel.isin(list(DIGITAL_CHANNELS)), 1, 0).sum()}
    if plan_change:
        aggs["plan_changes"] = ibis.ifelse(rows.tp == PLAN_CHANGE, 1, 0).sum()
    g = rows.group_by("cid").aggregate(**aggs)
    g = g.mutate(digital_share=ibis.ifelse(g._with_channel > 0, g._digital.cast("float64") / g._with_channel.cast("float64"),
                                           ibis.null("float64")))
    known = rows.filter(rows.channel.notnull())
    per = known.group_by(["cid", "channel"]).aggregate(n=known.count())
    w = ibis.window(group_by=per.cid, order_by=[ibis.desc(per.n), per.channel])
    per = per.mutate(_rn=ibis.row_number().over(w))
    top = per.filter(per._rn == 0).select(_tcid=per.cid, top_channel=per.channel)
    g = g.left_join(top, g.cid == top._tcid).drop("_tcid", "_with_channel", "_digital")
    return g


def _relationship(store) -> str | None:
    t = store.table("touchpoints")
    return RELATIONSHIP if int(store.execute(t.filter(t.touchpoint_id == RELATIONSHIP).count())) else None


def _answers(store, scope: Scope) -> ir.Table:
    """Per customer: responses, csat_mean, ces_mean, nps_latest, nps_trend."""
    r = within(overall_answers(store.table("responses")), "ts", scope.since, scope.until)
    s = r.score.cast("float64")
    g = r.group_by(cid=r.customer_id).aggregate(
        responses=r.count(),
        csat_mean=ibis.ifelse(r.metric == "csat", s, ibis.null("float64")).mean(),
        ces_mean=ibis.ifelse(r.metric == "ces", s, ibis.null("float64")).mean())
    n = r.filter(r.metric == "nps")
    tp = _relationship(store)
    if tp is not None:
        n = n.filter(n.touchpoint_id == tp)
    n = n.select(cid=n.customer_id, ts=n.ts, rid=n.response_id.cast("string"), score=n.score.cast("float64"))
    last = ibis.window(group_by=n.cid, order_by=[ibis.desc(n.ts), ibis.desc(n.rid)])
    first = ibis.window(group_by=n.cid, order_by=[n.ts, n.rid])
    n = n.mutate(_last=ibis.row_number().over(last), _first=ibis.row_number().over(first))
    k = n.group_by(_ncid=n.cid).aggregate(
        _n=n.count(), nps_latest=ibis.ifelse(n._last == 0, n.score, ibis.null("float64")).max(),
        _earliest=ibis.ifelse(n._first == 0, n.score, ibis.null("float64")).max())
    k = k.mutate(nps_trend=ibis.ifelse(k._n >= 2, k.nps_latest - k._earliest, ibis.null("float64"))).drop("_n", "_earliest")
    out = g.outer_join(k, g.cid == k._ncid)
    return out.select(cid=ibis.coalesce(out.cid, out._ncid), responses=out.responses.fill_null(0), csat_mean=out.csat_mean,
                      ces_mean=out.ces_mean, nps_latest=out.nps_latest, nps_trend=out.nps_trend)


def _tickets(store, scope: Scope) -> ir.Table:
    t = within(store.table("tickets"), "opened_at", scope.since, scope.until)
    return t.group_by(cid=t.customer_id).aggregate(tickets=t.count(),
                                                   tickets_unresolved=ibis.ifelse(t.resolved_at.isnull(), 1, 0).sum())


def _outcomes(store, scope: Scope, last: int | None) -> ir.Table:
    """Per customer: outcome months, mean revenue and cost to serve of the active months, active in the last month."""
    o = _scoped_outcomes(store, scope)
    on = o.active.cast("boolean")
    return o.group_by(cid=o.customer_id).aggregate(
        _months=o.count(),
        revenue_month=ibis.ifelse(on, o.revenue.cast("float64"), ibis.null("float64")).mean(),
        cost_to_serve_month=ibis.ifelse(on, o.cost_to_serve.cast("float64"), ibis.null("float64")).mean(),
        _active=ibis.ifelse(on & (o._m == (-1 if last is None else last)), 1, 0).max())


def _known_themes(store) -> list[str]:
    ca = store.table("comment_analysis")
    combos = store.execute(ca.select(t=ca.themes).distinct()).t
    return sorted({x for v in combos if isinstance(v, str) for x in v.split(_SEP) if x})


def _themes(store, scope: Scope) -> ir.Table | None:
    """Per customer: themes (by number of texts, then name; comma-separated), top_theme, relationship_comments and
    relationship_themes (`theme:texts` pairs); None without analyses."""
    names = _known_themes(store)
    if not names:
        return None
    ca = store.table("comment_analysis")
    parts = []
    for source, (table, id_col, ts_col) in THEME_TABLES.items():
        t = within(store.table(table), ts_col, scope.since, scope.until)
        t = t.filter(t[_TEXT_COLUMNS[source]].notnull())  # only texts are analysed: the rest need not be joined
        parts.append(t.select(source=ibis.literal(source), source_id=t[id_col].cast("string"), cid=t.customer_id))
    every = _ordered_themes(_mentions(parts[0].union(parts[1]).union(parts[2]), ca), len(names))
    said = _relationship_texts(store, scope)
    heard = said.inner_join(ca, (said.source == ca.source) & (said.source_id == ca.source_id))
    texts = heard.group_by(_rcid=heard.cid).aggregate(relationship_comments=heard.source_id.nunique())
    voiced = _ordered_themes(_mentions(said, ca), len(names), counted=True)
    voiced = voiced.select(_vcid=voiced._hcid, relationship_themes=voiced.themes)
    rel = texts.left_join(voiced, [("_rcid", "_vcid")])
    rel = rel.select(_rcid=rel._rcid, relationship_comments=rel.relationship_comments,
                     relationship_themes=rel.relationship_themes)
    both = every.outer_join(rel, [("_hcid", "_rcid")])
    return both.select(_hcid=ibis.coalesce(both._hcid, both._rcid), top_theme=both._t0, themes=both.themes,
                       relationship_comments=both.relationship_comments, relationship_themes=both.relationship_themes)


def _relationship_texts(store, scope: Scope) -> ir.Table:
    """The comments (source, source_id, cid) on the customer's relationship answers: the overall NPS answers at the
    map's relationship touchpoint (every overall NPS answer without one), the answers of nps_latest."""
    r = within(overall_answers(store.table("responses")), "ts", scope.since, scope.until)
    r = r.filter((r.metric == "nps") & r.comment.notnull())
    tp = _relationship(store)
    if tp is not None:
        r = r.filter(r.touchpoint_id == tp)
    return r.select(source=ibis.literal("survey"), source_id=r.response_id.cast("string"), cid=r.customer_id)


def _mentions(texts: ir.Table, ca: ir.Table) -> ir.Table:
    """One row (cid, source, source_id, theme) per text of `texts` and theme its analysis found."""
    j = texts.inner_join(ca, (texts.source == ca.source) & (texts.source_id == ca.source_id))
    # unnest: UNNEST on DuckDB and PostgreSQL, EXPLODE on Spark
    long = j.select(cid=texts.cid, source=texts.source, source_id=texts.source_id, theme=j.themes.split(_SEP).unnest())
    return long.filter(long.theme.notnull() & (long.theme != "")).distinct()


def _ordered_themes(long: ir.Table, slots: int, counted: bool = False) -> ir.Table:
    """Per customer (`_hcid`): `_t0`, the theme most texts of `long` mention, and `themes`, all of them by number
    of texts, then name, comma-separated (`theme:texts` when `counted`)."""
    counts = long.group_by(["cid", "theme"]).aggregate(n=long.count())
    counts = counts.mutate(_rank=ibis.row_number().over(
        ibis.window(group_by=counts.cid, order_by=[ibis.desc(counts.n), counts.theme])))
    label = counts.theme + ":" + counts.n.cast("string") if counted else counts.theme
    # positional pick then concatenation: ordered string aggregation is not portable (Spark has none)
    picked = counts.group_by(_hcid=counts.cid).aggregate(
        **{f"_t{k}": ibis.ifelse(counts._rank == k, label, ibis.null("string")).max() for k in range(slots)})
    joined = picked._t0
    for k in range(1, slots):  # "," + NULL is NULL on every engine: an empty slot adds nothing
        joined = joined + (ibis.literal(",") + picked[f"_t{k}"]).fill_null("")
    return picked.select(_hcid=picked._hcid, _t0=picked._t0, themes=joined)


def _personas(store) -> ir.Table | None:
    if not store.backend.has_table(PERSONA_TABLE):
        return None
    p = store.table(PERSONA_TABLE)
    return p.select(_pcid=p.customer_id, persona_id=p.persona_id.cast("string"), persona=p.persona.cast("string"))


def customer_view(store, scope: Scope = Scope()) -> ir.Table:
    """One row per customer (within `scope`'s filters) with the columns of `view_columns`, as an Ibis expression
    evaluated in the store's engine. Call `customer_view_frame` for a typed pandas frame."""
    scope.require_empty("by", "period", "weighting", analysis="the customer view")
    stages = journey_stages(store)
    plan_change = _has_plan_change(store)
    last = last_month(store, scope)
    c = _customers(store, scope)
    ev = _events(store, scope, stages, plan_change).rename(_ecid="cid")
    an = _answers(store, scope).rename(_acid="cid")
    tk = _tickets(store, scope).rename(_kcid="cid")
    oc = _outcomes(store, scope, last).rename(_ocid="cid")
    j = (c.left_join(ev, [("customer_id", "_ecid")]).left_join(an, [("customer_id", "_acid")])
         .left_join(tk, [("customer_id", "_kcid")]).left_join(oc, [("customer_id", "_ocid")]))
    th = _themes(store, scope)
    if th is not None:
        j = j.left_join(th, [("customer_id", "_hcid")])
    pe = _personas(store)
    if pe is not None:
        j = j.left_join(pe, [("customer_id", "_pcid")])

    tenure = (ibis.literal(last, "int64") - j._start) if last is not None else ibis.null("int64")
    tickets = j.tickets.fill_null(0).cast("int64")
    has_outcomes = last is not None and int(store.execute(_scoped_outcomes(store, scope).count())) > 0
    months = ibis.coalesce(j._months.nullif(0), tenure + 1).cast("float64")
    nps = j.nps_latest
    cols = {"customer_id": j.customer_id, "segment": j.segment, "region": j.region, "language": j.language,
            "plan": j.plan, "account_id": j.account_id, "age": j.age, "tenure_months": tenure.cast("int64"),
            "events": j.events.fill_null(0).cast("int64"),
            **{stage_column(s): j[stage_column(s)].fill_null(0).cast("int64") for s in stages},
            "channels_used": j.channels_used.fill_null(0).cast("int64"), "top_channel": j.top_channel.cast("string"),
            "digital_share": j.digital_share.cast("float64")}
    if plan_change:
        cols["plan_changes"] = j.plan_changes.fill_null(0).cast("int64")
    cols.update({
        "responses": j.responses.fill_null(0).cast("int64"), "nps_latest": nps.cast("float64"),
        "nps_group": ibis.cases((nps.isnull(), ibis.null("string")), (nps <= 6, "detractor"), (nps <= 8, "passive"),
                                else_="promoter"),
        "nps_trend": j.nps_trend.cast("float64"), "csat_mean": j.csat_mean.cast("float64"), "ces_mean": j.ces_mean.cast("float64"),
        "tickets": tickets, "tickets_unresolved": j.tickets_unresolved.fill_null(0).cast("int64"),
        "tickets_per_month": ibis.ifelse(months > 0, tickets.cast("float64") / months, ibis.null("float64")),
        "revenue_month": j.revenue_month.cast("float64"), "cost_to_serve_month": j.cost_to_serve_month.cast("float64"),
        "active": (j._active.fill_null(0) == 1) if has_outcomes else ibis.null("boolean"),
        "top_theme": j.top_theme.cast("string") if th is not None else ibis.null("string"),
        "themes": j.themes.cast("string") if th is not None else ibis.null("string"),
        "relationship_comments": j.relationship_comments.fill_null(0).cast("int64") if th is not None
        else ibis.literal(0, "int64"),
        "relationship_themes": j.relationship_themes.cast("string") if th is not None else ibis.null("string"),
        "persona_id": j.persona_id if pe is not None else ibis.null("string"),
        "persona": j.persona if pe is not None else ibis.null("string"),
    })
    return j.select(**cols)


INT_COLUMNS = ("events", "channels_used", "plan_changes", "responses", "tickets", "tickets_unresolved",
               "relationship_comments")
FLOAT_COLUMNS = ("age", "digital_share", "nps_latest", "nps_trend", "csat_mean", "ces_mean", "tickets_per_month",
                 "revenue_month", "cost_to_serve_month")
STRING_COLUMNS = ("customer_id", "segment", "region", "language", "plan", "account_id", "top_channel", "nps_group",
                  "top_theme", "themes", "relationship_themes", "persona_id", "persona")


def customer_view_frame(store, scope: Scope = Scope()) -> pd.DataFrame:
    """`customer_view` as a pandas frame sorted by customer_id: counts int64, tenure_months Int64 (nullable), measures
    float64 (NaN when unknown), active the nullable boolean dtype, text columns pandas' str dtype (NaN when missing)."""
    expr = customer_view(store, scope)
    return typed_view(store.execute(expr), list(expr.columns))


def typed_view(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The view's rows with its dtypes and column order (engines return ints, nulls and booleans differently)."""
    df = df.copy()
    for col in df.columns:
        if col in INT_COLUMNS or col.startswith("events_"):
            df[col] = pd.to_numeric(df[col]).fillna(0).astype("int64")
        elif col in FLOAT_COLUMNS:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        elif col == "tenure_months":
            df[col] = pd.to_numeric(df[col]).astype("Int64")
        elif col == "active":
            df[col] = df[col].astype("boolean")
        elif col in STRING_COLUMNS:
            df[col] = df[col].astype("str")  # pandas' string dtype: missing values read NaN
    df = df.sort_values("customer_id", kind="stable").reset_index(drop=True)
    return df[columns]
