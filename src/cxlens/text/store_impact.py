"""Theme impact on NPS from the store: every NPS answer, with its comment's stored analysis.

The frame holds all NPS answers, commented or not (an answer without a comment mentions no theme),
so "without the theme" includes the silent majority and the regression's intercept is the NPS of
answers that mention nothing; this is also how the demo plants theme effects (truth.json).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.query import UNKNOWN, Scope, within
from cxlens.text.impact import theme_impact, theme_trend
from cxlens.text.stored import TABLE, split_ids

BY = {"touchpoint": "touchpoint_id", "segment": "segment"}


def nps_answers_with_themes(store, scope: Scope = Scope()) -> pd.DataFrame:
    """One row per NPS answer within `scope`'s dates: response_id, customer_id, ts, touchpoint_id, segment,
    score, commented, analysed, sentiment_score and themes (a list; empty without a comment or an analysis)."""
    r = store.table("responses")
    r = within(r.filter(r.metric == "nps"), "ts", scope.since, scope.until)
    c = store.table("customers")
    ca = store.table(TABLE)
    ca = ca.filter(ca.source == "survey").select(ca.source_id, ca.sentiment_score, ca.themes)
    commented = r.comment.notnull() & (r.comment.strip() != "")
    j = r.left_join(c.select(c.customer_id, c.segment), r.customer_id == c.customer_id)
    j = j.left_join(ca, j.response_id == ca.source_id)
    frame = store.execute(j.select(
        response_id=j.response_id, customer_id=j.customer_id, ts=j.ts, touchpoint_id=j.touchpoint_id,
        segment=j.segment.fill_null(UNKNOWN), score=j.score.cast("float64"), commented=commented,
        analysed=j.source_id.notnull(), sentiment_score=j.sentiment_score, themes=j.themes))
    frame["themes"] = frame["themes"].map(split_ids)
    return frame.sort_values("response_id", kind="stable").reset_index(drop=True)


def store_theme_impact(store, scope: Scope = Scope(), *, theme_ids: Sequence[str] | None = None,
                       min_mentions: int = 1) -> pd.DataFrame:
    """Per theme (and per touchpoint or segment: `scope.by`, at most one): mentions, share of commented NPS
    answers, mean sentiment, monthly share trend, NPS with vs without (adjusted-Wald CI) and OLS effects
    (HC1 CIs), over the NPS answers within `scope`'s dates.

    Reads `comment_analysis`; raises when NPS comments are not analysed yet (run `analyze_store`).
    """
    if len(scope.by) > 1 or (scope.by and scope.by[0] not in BY):
        raise UsageError("by", scope.by, list(BY),
                         message=f"by={scope.by!r}: theme impact is per {' or per '.join(BY)} (one of them) or overall")
    scope.require_empty("period", "filters", "weighting", analysis="theme impact")
    by = scope.by[0] if scope.by else None
    frame = nps_answers_with_themes(store, scope)
    if frame.empty:
        raise AnalysisError("no NPS answers in the store (or in the date window); load responses first")
    missing = int((frame["commented"] & ~frame["analysed"]).sum())
    if frame["commented"].any() and missing == int(frame["commented"].sum()):
        raise AnalysisError("the NPS comments are not analysed yet: run `cxlens text analyze` (or analyze_store) first")
    key = BY[by] if by else None
    out = theme_impact(frame, by=key, theme_ids=theme_ids, min_mentions=min_mentions)
    if out.empty:
        return out
    commented = frame[frame["commented"]]
    if key:
        totals = commented.groupby(key).size()
        out["share"] = out["mentions"] / out[key].map(totals).replace(0, np.nan)
    else:
        out["share"] = out["mentions"] / len(commented) if len(commented) else np.nan
    trend = theme_trend(commented[["themes", "ts", "sentiment_score", "customer_id"]])
    months = sorted(trend["month"].unique()) if len(trend) else []
    series = {t: g.set_index("month")["share"].reindex(months).fillna(0.0).round(4).tolist()
              for t, g in trend.groupby("theme")}
    out["months"] = [months] * len(out)
    out["trend"] = out["theme"].map(lambda t: series.get(t, [0.0] * len(months)))
    who = {t: g.set_index("month")["customers"].reindex(months).fillna(0).astype(int).tolist()
           for t, g in trend.groupby("theme")}
    out["trend_customers"] = out["theme"].map(lambda t: who.get(t, [0] * len(months)))  # cxlens.privacy
    out.attrs["unanalysed_comments"] = missing
    return out.sort_values(([key] if key else []) + ["nps_effect"], kind="stable").reset_index(drop=True)
