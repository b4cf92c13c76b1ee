"""A customer-view frame built from the demo's files with the column names of the contract of
`cxlens.people.customer_view_frame` (issue 20), so persona tests need neither a store nor the view's engine code."""

from __future__ import annotations

import pandas as pd

DIGITAL = ("app", "web", "chat", "email", "sms", "social")  # the customer view's digital channels


def demo_view_frame(files) -> pd.DataFrame:
    """One row per demo customer: who, behaviour, experience and value columns as the customer view names them."""
    tables = files.tables()
    customers = pd.read_csv(tables["customers"], dtype={"account_id": "string"})
    events = pd.read_parquet(tables["events"], columns=["customer_id", "channel"])
    tickets = pd.read_csv(tables["tickets"], usecols=["customer_id", "resolved_at"])
    responses = pd.read_csv(tables["responses"], usecols=["customer_id", "ts", "metric", "score"])
    outcomes = pd.read_csv(tables["outcomes"], usecols=["customer_id", "month", "active", "revenue", "cost_to_serve"])
    last = outcomes.month.max()
    view = customers[["customer_id", "segment", "region", "language", "plan", "account_id"]].copy()
    view["age"] = customers.age.astype(float)
    signup = pd.to_datetime(customers.signup_date)
    last_ts = pd.Timestamp(last + "-01")
    view["tenure_months"] = ((last_ts.year - signup.dt.year) * 12 + last_ts.month - signup.dt.month).clip(lower=0)
    by = events.groupby("customer_id")
    view["events"] = view.customer_id.map(by.size()).fillna(0).astype(int)
    view["channels_used"] = view.customer_id.map(by.channel.nunique()).fillna(0).astype(int)
    pairs = events.groupby(["customer_id", "channel"]).size().rename("n").reset_index()
    top = pairs.sort_values(["customer_id", "n", "channel"], ascending=[True, False, True]).drop_duplicates("customer_id")
    view["top_channel"] = view.customer_id.map(top.set_index("customer_id").channel)  # most used; ties: first by name
    view["digital_share"] = view.customer_id.map(events.channel.isin(DIGITAL).groupby(events.customer_id).mean())
    t = tickets.groupby("customer_id")
    view["tickets"] = view.customer_id.map(t.size()).fillna(0).astype(int)
    view["tickets_unresolved"] = view.customer_id.map(tickets.resolved_at.isna().groupby(tickets.customer_id).sum()).fillna(0).astype(int)
    months = view.customer_id.map(outcomes.groupby("customer_id").size()).fillna(1).clip(lower=1)
    view["tickets_per_month"] = view.tickets / months
    nps = responses[responses.metric == "nps"].sort_values("ts").groupby("customer_id").score
    view["responses"] = view.customer_id.map(responses.groupby("customer_id").size()).fillna(0).astype(int)
    view["nps_latest"] = view.customer_id.map(nps.last()).astype(float)
    view["csat_mean"] = view.customer_id.map(responses[responses.metric == "csat"].groupby("customer_id").score.mean())
    o = outcomes[outcomes.active.astype(str).str.lower() == "true"].groupby("customer_id")
    view["revenue_month"] = view.customer_id.map(o.revenue.mean())
    view["cost_to_serve_month"] = view.customer_id.map(o.cost_to_serve.mean())
    view["active"] = view.customer_id.map(outcomes[outcomes.month == last].set_index("customer_id").active
                                          .astype(str).str.lower() == "true").fillna(False).astype(bool)
    # Needs: the planted themes of each customer's survey comments (comments_truth.csv), standing in for what
    # `cxlens text analyze` stores (the view reads comment_analysis), by frequency as the view orders them.
    truth = pd.read_csv(files.comments_truth, usecols=["response_id", "themes"]).merge(
        pd.read_csv(tables["responses"], usecols=["response_id", "customer_id"]), on="response_id")
    mentions = truth.assign(theme=truth.themes.str.split(";")).explode("theme").dropna(subset=["theme"])
    ordered = (mentions.groupby(["customer_id", "theme"]).size().rename("n").reset_index()
               .sort_values(["customer_id", "n", "theme"], ascending=[True, False, True]))
    themes = ordered.groupby("customer_id").theme.agg(",".join)
    view["themes"] = view.customer_id.map(themes)
    view["top_theme"] = view.themes.str.split(",").str[0]
    # The relationship comments' planted themes as the view writes them (`theme:comments`) and their number.
    said = truth.merge(pd.read_csv(tables["responses"], usecols=["response_id", "touchpoint_id"]), on="response_id")
    said = said[said.touchpoint_id == "relationship"]
    view["relationship_comments"] = view.customer_id.map(said.groupby("customer_id").size()).fillna(0).astype(int)
    voiced = mentions[mentions.response_id.isin(said.response_id)]
    counted = (voiced.groupby(["customer_id", "theme"]).size().rename("n").reset_index()
               .sort_values(["customer_id", "n", "theme"], ascending=[True, False, True]))
    counted["item"] = counted.theme + ":" + counted.n.astype(str)
    view["relationship_themes"] = view.customer_id.map(counted.groupby("customer_id").item.agg(",".join))
    view["persona_id"] = None
    view["persona"] = None
    return view


def planted(files) -> pd.Series:
    """The demo's planted persona name per customer_id."""
    return pd.read_csv(files.personas_truth).set_index("customer_id").persona
