"""Breakpoints: the touchpoints where the experience fails, ranked, with the evidence for each.

Four lines of evidence, each per touchpoint against all other touchpoints together:

- exits: customers whose journey ends there, among customers who reached it (`exit_rates`);
- low scores: mean CSAT there vs elsewhere (Welch), and the % bottom-box (CSAT 1-2);
- negative comments: share of the touchpoint's analysed survey comments that are negative (z-test), with
  the most frequent theme among them; "not analysed" until `cxlens text analyze` has run;
- the expectation gap: perceived CSAT minus stated expectation there (Welch), where both were asked.

What counts as an exit. A journey that ends because the data ends is not an exit: journeys whose last event
falls within `active_within` (default 30 days) of the last event in scope are still going. Nor is the end of a
journey at a touchpoint of the map's final stage (advocacy, say), which is where journeys are meant to end:
those touchpoints are shown but carry no exit evidence. On the demo company the planted breakpoint
(`port_in`, where 40% of porters give up) only stands out once both are applied: monthly bill payments are
the last event of most customers still active at the end of the data.

The rank (stated in `RANK_RULE`): touchpoints with significantly more exits than elsewhere first, then by the
number of significant lines of evidence, then by the mean of their evidence ranks. Tests are
Benjamini-Hochberg corrected within each line of evidence; `evidence` names the lines that put the
touchpoint where it is.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import UsageError
from cxlens.journey.steps import steps
from cxlens.query import Scope, events, responses
from cxlens.query.rows import within
from cxlens.stats import benjamini_hochberg, mean_sd, welch_test, wilson, z_test

RANK_RULE = ("significant excess exits first; then the number of significant lines of evidence (exits, low CSAT, "
             "negative comments, expectation gap); then the mean of the evidence ranks")
BOTTOM_BOX = 2  # CSAT 1-2 of 5
ACTIVE_WITHIN = timedelta(days=30)
NOT_ANALYSED = "not analysed"


def exit_counts(store, scope: Scope = Scope(), *, active_within: timedelta = ACTIVE_WITHIN) -> ir.Table:
    """Per touchpoint: `reached` (customers with an event there) and `exits` (customers whose journey ends
    there more than `active_within` before the last event in scope). An Ibis expression; one scalar query
    (the data's last event) runs first."""
    end = events(store, scope, dimensions=()).ts.epoch_seconds().max().execute()  # the data's end, without numbering steps
    s = steps(store, scope, dimensions=())
    cutoff = (int(end) if end is not None and end == end else 0) - int(active_within.total_seconds())
    is_exit = s.last & (s.ts.epoch_seconds() < cutoff)
    # one pass: a customer reaches a touchpoint once (their first visit) and ends their journey once (D50)
    return s.group_by(touchpoint=s.node).aggregate(reached=ibis.ifelse(s.first_visit, 1, 0).sum().cast("int64"),
                                                   exits=ibis.ifelse(is_exit, 1, 0).sum().cast("int64"))


def exit_rates(store, scope: Scope = Scope(), *, active_within: timedelta = ACTIVE_WITHIN) -> pd.DataFrame:
    """Exit rate per touchpoint with a Wilson 95% interval, against the pooled rate of all other touchpoints of
    non-final stages (two-proportion z-test, Benjamini-Hochberg q). Final-stage touchpoints are listed with
    `natural_end` True and no test."""
    if scope.by:
        raise UsageError("by", scope.by, message="by: exit rates rank touchpoints overall; keep a segment with a filter (--filter segment=...)")
    counts = exit_counts(store, scope, active_within=active_within).execute()
    tps = _touchpoints(store)
    frame = tps.merge(counts, on="touchpoint", how="left").fillna({"reached": 0, "exits": 0})
    frame[["reached", "exits"]] = frame[["reached", "exits"]].astype("int64")
    frame = frame[frame.reached > 0].reset_index(drop=True)
    low, high = wilson(frame.exits, frame.reached)
    frame["exit_rate"] = np.where(frame.reached > 0, frame.exits / frame.reached.where(frame.reached > 0), np.nan)
    frame["exit_low"], frame["exit_high"] = low, high
    eligible = ~frame.natural_end
    k_all, n_all = frame.exits[eligible].sum(), frame.reached[eligible].sum()
    k_rest = np.where(eligible, k_all - frame.exits, np.nan)
    n_rest = np.where(eligible, n_all - frame.reached, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = frame.exit_rate.to_numpy(), k_rest / n_rest
        se = np.sqrt(p1 * (1 - p1) / frame.reached + p2 * (1 - p2) / n_rest)
    test = z_test(p1 - p2, se)
    frame["exit_rate_elsewhere"] = p2
    frame["exit_difference"] = test.difference
    frame["exit_p"] = np.where(eligible & (se > 0), test.p_value, np.nan)
    frame["exit_q"] = benjamini_hochberg(frame.exit_p)
    return frame


def breakpoints(store, scope: Scope = Scope(), *, min_customers: int = 30,
                active_within: timedelta = ACTIVE_WITHIN) -> pd.DataFrame:
    """One ranked row per touchpoint reached by customers: rank, touchpoint, evidence (the significant lines),
    the exit rate vs elsewhere with its interval and q, CSAT mean and % bottom-box vs elsewhere, negative
    comment share and top negative theme, the expectation gap. Evidence from fewer than `min_customers`
    customers (or answers) is shown but never flagged. See `RANK_RULE`. Distinct customers behind each family
    of figures (small groups, cxlens.privacy): reached (exits), csat_customers, comment_customers,
    expectation_customers."""
    frame = exit_rates(store, scope, active_within=active_within)
    frame = frame.merge(_scores(store, scope), on="touchpoint", how="left")
    comments = _comments(store, scope)
    frame = frame.merge(comments, on="touchpoint", how="left")
    frame = frame.merge(_expectation_gap(store, scope), on="touchpoint", how="left")
    frame["comments"] = frame["comments"].fillna("none here") if "comments" in comments else NOT_ANALYSED
    return _rank(frame, min_customers)


def _touchpoints(store) -> pd.DataFrame:
    t = store.table("touchpoints")
    frame = t.select(touchpoint=t.touchpoint_id, stage=t.stage, stage_order=t.stage_order).execute()
    frame["natural_end"] = frame.stage_order == frame.stage_order.max()
    return frame.drop(columns="stage_order")


def _scores(store, scope: Scope) -> pd.DataFrame:
    """CSAT per touchpoint: n, mean, % bottom-box, and the Welch difference of the mean against elsewhere."""
    r = responses(store, "csat", scope.replace(by=()))
    agg = r.group_by(touchpoint=r.touchpoint_id).aggregate(
        csat_n=r.score.count(), csat_customers=r.customer_id.nunique(), _sum=r.score.sum(),
        _sq=(r.score * r.score).sum(),
        _bottom=ibis.ifelse(r.score <= BOTTOM_BOX, 1, 0).sum()).execute()
    cols = ["touchpoint", "csat_n", "csat_customers", "csat", "csat_elsewhere", "csat_difference", "csat_q", "bottom_box_pct"]
    if agg.empty:
        return pd.DataFrame(columns=cols)
    mean, sd = mean_sd(agg.csat_n, agg._sum, agg._sq)
    n, s, q = agg.csat_n.sum(), agg._sum.sum(), agg._sq.sum()
    rest_mean, rest_sd = mean_sd(n - agg.csat_n, s - agg._sum, q - agg._sq)
    test = welch_test(mean, sd, agg.csat_n, rest_mean, rest_sd, n - agg.csat_n)
    agg["csat"], agg["csat_elsewhere"], agg["csat_difference"] = mean, rest_mean, test.difference
    agg["csat_q"] = benjamini_hochberg(test.p_value)
    agg["bottom_box_pct"] = 100 * agg._bottom / agg.csat_n
    return agg[cols]


def _comments(store, scope: Scope) -> pd.DataFrame:
    """Analysed survey comments per touchpoint: share negative vs elsewhere (z-test), top negative theme.

    Survey comments reach their touchpoint through `responses` (response_id); the scope's dates apply to the
    answer's date. Empty when nothing has been analysed."""
    ca = store.table("comment_analysis")
    ca = ca.filter(ca.source == "survey")
    if int(ca.count().execute()) == 0:
        return pd.DataFrame(columns=["touchpoint"])
    r = within(store.table("responses"), "ts", scope.since, scope.until)
    r = r.select(_id=r.response_id.cast("string"), touchpoint=r.touchpoint_id, customer_id=r.customer_id)
    who = steps(store, scope).select("customer_id").distinct()  # the scope's customer filters, as for exits
    r = r.semi_join(who, r.customer_id == who.customer_id)
    j = ca.join(r, ca.source_id == r._id)
    neg = (j.sentiment == "negative")
    counts = j.group_by(["touchpoint", j.themes.fill_null("").name("themes")]).aggregate(
        analysed=j.source_id.count(), negative=ibis.ifelse(neg, 1, 0).sum()).execute()
    per = counts.groupby("touchpoint", as_index=False)[["analysed", "negative"]].sum()
    who_commented = j.group_by("touchpoint").aggregate(comment_customers=j.customer_id.nunique()).execute()
    per = per.merge(who_commented, on="touchpoint", how="left")
    k, n = per.negative.to_numpy(float), per.analysed.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = k / n, (k.sum() - k) / (n.sum() - n)
        se = np.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / (n.sum() - n))
    test = z_test(p1 - p2, se)
    per["negative_pct"], per["negative_pct_elsewhere"] = 100 * p1, 100 * p2
    per["negative_q"] = benjamini_hochberg(np.where(se > 0, test.p_value, np.nan))
    per["top_negative_theme"] = [_top_theme(counts[counts.touchpoint == tp]) for tp in per.touchpoint]
    per["comments"] = "analysed"
    return per.rename(columns={"analysed": "comments_analysed"}).drop(columns="negative")


def _top_theme(rows: pd.DataFrame) -> str:
    tally: Counter[str] = Counter()
    for themes, n in zip(rows.themes, rows.negative):
        for theme in filter(None, str(themes).split(";")):
            tally[theme] += int(n)
    return tally.most_common(1)[0][0] if tally and tally.most_common(1)[0][1] > 0 else ""


def _expectation_gap(store, scope: Scope) -> pd.DataFrame:
    """Perceived CSAT minus stated expectation at the touchpoint (overall answers), with a Welch q-value."""
    r = responses(store, ["csat", "expectation"], scope.replace(by=()))
    agg = r.group_by(touchpoint=r.touchpoint_id, metric=r.metric).aggregate(
        n=r.score.count(), customers=r.customer_id.nunique(), _sum=r.score.sum(),
        _sq=(r.score * r.score).sum()).execute()
    exp, per = agg[agg.metric == "expectation"], agg[agg.metric == "csat"]
    both = exp.merge(per, on="touchpoint", suffixes=("_e", "_c"))
    if both.empty:
        return pd.DataFrame(columns=["touchpoint", "expectation_n", "expectation_customers", "expectation_gap", "gap_q"])
    me, se_ = mean_sd(both.n_e, both._sum_e, both._sq_e)
    mc, sc = mean_sd(both.n_c, both._sum_c, both._sq_c)
    test = welch_test(mc, sc, both.n_c, me, se_, both.n_e)
    return pd.DataFrame({"touchpoint": both.touchpoint, "expectation_n": both.n_e.to_numpy(),
                         "expectation_customers": np.minimum(both.customers_e, both.customers_c).to_numpy(),
                         "expectation_gap": test.difference, "gap_q": benjamini_hochberg(test.p_value)})


def _rank(frame: pd.DataFrame, min_customers: int) -> pd.DataFrame:
    def col(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series(np.nan, index=frame.index)

    enough = frame.reached >= min_customers
    answers = col("csat_n").fillna(0) >= min_customers
    flags = {
        "exits": enough & ~frame.natural_end & (col("exit_q") < 0.05) & (col("exit_difference") > 0),
        "low CSAT": answers & (col("csat_q") < 0.05) & (col("csat_difference") < 0),
        "negative comments": (col("comments_analysed").fillna(0) >= min_customers) & (col("negative_q") < 0.05)
                             & (col("negative_pct") > col("negative_pct_elsewhere")),
        "expectation gap": (col("expectation_n").fillna(0) >= min_customers) & (col("gap_q") < 0.05)
                           & (col("expectation_gap") < 0),
    }
    ranks = pd.concat([
        col("exit_difference").where(~frame.natural_end).rank(ascending=False),
        col("csat_difference").rank(ascending=True),
        col("negative_pct").sub(col("negative_pct_elsewhere")).rank(ascending=False),
        col("expectation_gap").rank(ascending=True),
    ], axis=1)
    frame = frame.assign(
        evidence=[", ".join(k for k, f in flags.items() if f.iloc[i]) or "none significant" for i in range(len(frame))],
        _exit=flags["exits"].astype(int), _flags=sum(f.astype(int) for f in flags.values()),
        mean_evidence_rank=ranks.mean(axis=1))
    frame = frame.sort_values(["_exit", "_flags", "mean_evidence_rank", "touchpoint"],
                              ascending=[False, False, True, True], kind="stable", na_position="last")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame = frame.drop(columns=["_exit", "_flags"]).reset_index(drop=True)
    order = ["rank", "touchpoint", "evidence", "stage", "reached", "exits", "exit_rate", "exit_low", "exit_high",
             "exit_rate_elsewhere", "exit_q", "csat_n", "csat", "csat_elsewhere", "csat_q", "bottom_box_pct",
             "comments", "comments_analysed", "negative_pct", "negative_pct_elsewhere", "negative_q",
             "top_negative_theme", "expectation_n", "expectation_gap", "gap_q", "natural_end", "mean_evidence_rank"]
    frame.attrs["rank_rule"] = RANK_RULE
    return frame[[c for c in order if c in frame] + [c for c in frame if c not in order and c != "exit_difference"
                                                     and c != "csat_difference" and c != "exit_p"]]
