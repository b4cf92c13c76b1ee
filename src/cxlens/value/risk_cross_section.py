"""Churn risk on a cross-sectional table (one row per customer, churned or not at a snapshot), e.g. public data
sets without monthly history: the same models, validation figures and factors as `cxlens.value.risk`, with a
random split stratified by the label instead of a time split (there is no time to split on: say so when
reporting), and churn rate by a satisfaction score with Wilson intervals."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError
from cxlens.stats.discrimination import auc
from cxlens.stats.intervals import wilson
from cxlens.value.risk import MODELS, RiskModel, _choose, _estimator, _factors, _reliability, _validation_metrics, one_thread


@one_thread
def cross_sectional_risk(frame: pd.DataFrame, label: str, numeric: Sequence[str], categorical: Sequence[str] = (), *,
                         experience: Sequence[str] = (), id_column: str | None = None, test_share: float = 0.3, seed: int = 0,
                         models: tuple[str, ...] = MODELS, n_boot: int = 200, cv_folds: int = 3) -> RiskModel:
    """Fit on a random (label-stratified) `1 - test_share` of the rows, validate on the rest.

    Model choice: mean AUC of a stratified `cv_folds`-fold CV on the training rows (the logistic model unless
    the trees gain at least CHOICE_MARGIN). `experience`: the columns that are experience measures (factors'
    kind). scores: the validation rows' predicted probabilities.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = frame[label].astype(int).to_numpy()
    if len(np.unique(y)) < 2:
        raise AnalysisError(f"churn risk: '{label}' has one value only: a risk model cannot be fitted")
    x = frame[list(numeric)].apply(pd.to_numeric, errors="coerce").astype(float)
    for c in categorical:
        col = frame[c].astype(str)
        for v in col.value_counts().index[1:]:  # the most frequent level is the reference
            x[f"{c}={v}"] = (col == v).astype(float)
    constant = [c for c in x if x[c].nunique() <= 1]
    x = x.drop(columns=constant)
    ids = frame[id_column].astype(str).to_numpy() if id_column else np.arange(len(frame)).astype(str)
    tr, va = train_test_split(np.arange(len(frame)), test_size=test_share, stratify=y, random_state=seed)
    x_tr, x_va, y_tr, y_va = x.iloc[tr], x.iloc[va], y[tr], y[va]
    rows, fitted = [], {}
    for name in models:
        folds = StratifiedKFold(cv_folds, shuffle=True, random_state=seed).split(x_tr, y_tr)
        cv = float(np.mean([auc(y_tr[b], _estimator(name, seed).fit(x_tr.iloc[a], y_tr[a]).predict_proba(x_tr.iloc[b])[:, 1])
                            for a, b in folds]))
        est = _estimator(name, seed).fit(x_tr, y_tr)
        p = est.predict_proba(x_va)[:, 1]
        fitted[name] = (est, p)
        rows.append(_validation_metrics(name, cv, y_va, p, ids[va], y_tr.mean(), n_boot, seed))
    metrics = pd.DataFrame(rows)
    chosen = _choose(metrics)
    metrics["chosen"] = metrics["model"] == chosen
    est, p = fitted[chosen]
    logistic = fitted["logistic"][0] if "logistic" in fitted else _estimator("logistic", seed).fit(x_tr, y_tr)
    factors = _factors(logistic, est, x_va, y_va, seed, experience)
    scores = pd.DataFrame({"id": ids[va], "churn_probability": p, "churned": y_va}).sort_values(
        "churn_probability", ascending=False, kind="stable").reset_index(drop=True)
    scores.insert(0, "rank", np.arange(1, len(scores) + 1))
    split = {"split": f"random, stratified by {label}", "train_rows": len(tr), "validation_rows": len(va),
             "train_churn_rate": float(y_tr.mean()), "validation_churn_rate": float(y_va.mean())}
    notes = ["left out (constant): " + ", ".join(constant)] if constant else []
    return RiskModel(metrics, _reliability(y_va, p), factors, scores, chosen, 0, split, notes)


def churn_by_score(frame: pd.DataFrame, score: str, label: str) -> pd.DataFrame:
    """score, customers, churned, churn_rate with its Wilson 95% interval, per value of `score`."""
    t = frame.groupby(score)[label].agg(customers="size", churned="sum").reset_index()
    ci = wilson(t["churned"].to_numpy(), t["customers"].to_numpy())
    return t.assign(churn_rate=t["churned"] / t["customers"], ci_low=ci.low, ci_high=ci.high)
