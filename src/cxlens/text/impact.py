"""What each theme costs: volume, sentiment, monthly trend and NPS points, with honest intervals.

Pure functions over pandas frames: the store layer (or a test) passes one row per comment with a
list of theme ids, and, where known, the 0-10 recommend score, a timestamp and grouping columns
(touchpoint, segment). Nothing here opens a database.

Two views of "NPS points a theme costs", because they answer different questions:
- gap: NPS of customers mentioning the theme minus NPS of those who do not (adjusted-Wald CIs);
- regression: the theme's coefficient when every theme indicator is fitted at once on the NPS
  contribution (+100 / 0 / -100), so overlapping themes are not counted twice (HC1 robust CIs).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError
from cxlens.stats import nps_contribution, nps_counts, nps_difference_test, nps_from_counts, ols, z_value


def nps_gap(with_scores: np.ndarray, without_scores: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """NPS of the comments mentioning a theme and of the others, their difference (points) and its
    adjusted-Wald interval (:func:`cxlens.stats.nps_difference_test`); keys n_/nps_with, n_/nps_without,
    nps_gap, nps_gap_low, nps_gap_high."""
    out: dict[str, float] = {}
    counts = []
    for name, scores in (("with", with_scores), ("without", without_scores)):
        n, pro, det = nps_counts(scores)
        out[f"n_{name}"] = n
        out[f"nps_{name}"] = float(nps_from_counts(n, pro, det)[0])
        counts += [n, pro, det]
    test = nps_difference_test(*counts, level=confidence)
    out["nps_gap"] = out["nps_with"] - out["nps_without"]
    out["nps_gap_low"], out["nps_gap_high"] = float(test.low[0]), float(test.high[0])
    return out


def theme_indicators(themes: pd.Series, theme_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """0/1 frame, one column per theme id, from a column of theme-id lists."""
    lists = themes.apply(lambda v: list(v) if v is not None and not isinstance(v, float) else [])
    ids = list(theme_ids) if theme_ids is not None else sorted({t for row in lists for t in row})
    data = {t: lists.apply(lambda row, t=t: t in row).astype(float).to_numpy() for t in ids}
    return pd.DataFrame(data, index=themes.index, columns=ids)


def theme_impact(frame: pd.DataFrame, theme_col: str = "themes", score_col: str = "score",
                 sentiment_col: str = "sentiment_score", by: str | Sequence[str] | None = None,
                 theme_ids: Sequence[str] | None = None, confidence: float = 0.95,
                 min_mentions: int = 1, customer_col: str = "customer_id") -> pd.DataFrame:
    """One row per theme (and per group of `by`): volume, mean sentiment, NPS gap and regression cost.

    Columns: theme, mentions, share, mean_sentiment, nps_with, nps_without, nps_gap (+ _low/_high),
    nps_effect (+ _low/_high, OLS/HC1, points of NPS contribution), score_effect (+ _low/_high, the
    same regression on the 0-10 answer: points of score), and with a `customer_col` customers and
    customers_without (distinct customers with and without the theme: what small-group suppression counts,
    cxlens.privacy). Rows without a score still count
    for volume and sentiment. Call it with `by="touchpoint_id"` or `by="segment"` for breakdowns.
    """
    for col in (theme_col,):
        if col not in frame.columns:
            raise AnalysisError(f"theme impact: column '{col}' not in the data; columns are {list(frame.columns)}")
    if by is not None:
        keys = [by] if isinstance(by, str) else list(by)
        parts = []
        for key, group in frame.groupby(keys, dropna=False, sort=True):
            part = theme_impact(group, theme_col, score_col, sentiment_col, None, theme_ids, confidence, min_mentions,
                                customer_col)
            for k, v in zip(keys, key if isinstance(key, tuple) else (key,)):
                part.insert(0, k, v)
            parts.append(part)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    ind = theme_indicators(frame[theme_col], theme_ids)
    ind = ind.loc[:, ind.sum() >= min_mentions] if theme_ids is None else ind
    has_score = score_col in frame.columns
    scores = frame[score_col].astype(float).to_numpy() if has_score else np.full(len(frame), np.nan)
    rows = []
    z = z_value(confidence)
    effects = _regression(ind, nps_contribution(scores)) if has_score else {}
    score_effects = _regression(ind, scores) if has_score else {}
    for theme in ind.columns:
        mask = ind[theme].to_numpy() > 0
        row = {"theme": theme, "mentions": int(mask.sum()), "share": float(mask.mean()) if len(mask) else float("nan")}
        if customer_col in frame.columns:  # distinct customers with and without the theme (small groups, cxlens.privacy)
            who = frame[customer_col].to_numpy()
            row["customers"], row["customers_without"] = len(set(who[mask])), len(set(who[~mask]))
        row["mean_sentiment"] = (float(frame.loc[mask, sentiment_col].astype(float).mean())
                                 if sentiment_col in frame.columns and mask.any() else float("nan"))
        if has_score:
            row.update(nps_gap(scores[mask], scores[~mask], confidence))
            beta, se = effects.get(theme, (float("nan"), float("nan")))
            row.update({"nps_effect": beta, "nps_effect_low": beta - z * se, "nps_effect_high": beta + z * se})
            beta, se = score_effects.get(theme, (float("nan"), float("nan")))
            row.update({"score_effect": beta, "score_effect_low": beta - z * se, "score_effect_high": beta + z * se})
        rows.append(row)
    return pd.DataFrame(rows)


def _regression(ind: pd.DataFrame, y: np.ndarray) -> dict[str, tuple[float, float]]:
    """Theme -> (coefficient, HC1 se) from y ~ 1 + theme indicators (y: NPS contribution or the 0-10 score)."""
    ok = ~np.isnan(y)
    cols = [c for c in ind.columns if ind.loc[ok, c].sum() > 0]
    if not cols or ok.sum() <= len(cols) + 1:
        return {}
    fit = ols(ind.loc[ok, cols].to_numpy(), y[ok], cols, cov="HC1")
    # a theme that always comes with another cannot be told apart from it: NaN, as for unmentioned themes
    return {c: (float(b), float(se)) for c, b, se in zip(cols, fit.coef, fit.se)}


def theme_trend(frame: pd.DataFrame, theme_col: str = "themes", time_col: str = "ts",
                sentiment_col: str = "sentiment_score", freq: str = "M") -> pd.DataFrame:
    """Per theme and month: mentions, share of that month's comments, mean sentiment, and with a `customer_id`
    column the distinct customers mentioning it that month (small groups, cxlens.privacy)."""
    if time_col not in frame.columns:
        raise AnalysisError(f"theme trend: column '{time_col}' not in the data")
    period = pd.to_datetime(frame[time_col]).dt.to_period(freq).astype(str)
    ind = theme_indicators(frame[theme_col])
    totals = period.value_counts()
    rows = []
    for theme in ind.columns:
        mask = ind[theme] > 0
        for month, group in frame[mask].groupby(period[mask], sort=True):
            rows.append({"theme": theme, "month": month, "mentions": len(group),
                         "share": len(group) / totals[month],
                         "mean_sentiment": float(group[sentiment_col].astype(float).mean()) if sentiment_col in group else float("nan"),
                         **({"customers": group["customer_id"].nunique()} if "customer_id" in group else {})})
    return pd.DataFrame(rows, columns=["theme", "month", "mentions", "share", "mean_sentiment",
                                       *(["customers"] if "customer_id" in frame.columns else [])])
