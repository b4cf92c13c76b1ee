"""Churn risk: each active customer's probability of leaving in the next months, and what raises it.

Rows are the customer-month frame of `cxlens.value.dataset` (one row per customer x month at risk; its
experience columns describe the months *before* the row's month). A row m is used when the customer is
still a customer at the end of month m (churned == 0): its label is 1 when the customer churns in months
m+1 .. m+horizon. Censoring: a row whose label window runs past the end of follow-up is left out, where
follow-up ends at the last month of the data for a churner and at the last observed month for anyone else (a
row near the end of the data is not kept just because it churned: that would inflate the churn rate there).

Time split, no leakage: the validation rows are those of the last `validation_months` labelled months
(V0 .. Mlab, Mlab = last month whose window is observed); the model is trained only on rows whose label
window ends by V0 (m + horizon <= V0), so no outcome of a month after V0 (where validation labels start)
reaches training. The features are a fixed list built from the contract's columns (never "every other
column"), so a column that happens to hold the future cannot become one.

Models: logistic regression on standardised features (scikit-learn), and gradient-boosted trees
(HistGradientBoosting); the one with the higher mean AUC in a time-ordered cross-validation on the training
months is chosen (the logistic one unless the trees gain at least 0.01 of AUC: on the demo company the trees
won the training CV by 0.007 and lost the validation by 0.035, calibration slope 0.58); both are reported on
the validation months. The chosen model is then refitted on every
labelled row to score the customers active at the latest month.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.stats.discrimination import auc, brier, calibration_line, delong_interval, reliability_bins
from cxlens.stats.intervals import wilson

MODELS = ("logistic", "gradient_boosting")
CHOICE_MARGIN = 0.01  # CV AUC the boosted trees must gain over the logistic model to be chosen

# Experience features (the factors a CX programme can act on) and profile features (context).
_NPS_GROUPS = ("detractor", "passive")  # promoter is the reference level
EXPERIENCE = ("nps_detractor", "nps_passive", "nps_score", "nps_age", "no_nps_answer", "csat_3m", "no_csat_3m",
              "ces_3m", "no_ces_3m", "tickets_3m", "unresolved_3m")
REQUIRED = ("customer_id", "m", "month", "churned", "tenure", "segment", "plan", "last_nps_score", "last_nps_group",
            "last_nps_age", "csat_3m", "ces_3m", "tickets_3m", "unresolved_3m")


@dataclass
class RiskModel:
    """A fitted churn-risk model and its validation.

    metrics: one row per model (logistic, gradient_boosting): cv_auc (training months, time-ordered folds),
    auc with a customer-bootstrap 95% interval and the DeLong interval (rows taken as independent), brier,
    brier_reference (the training base rate predicted for every validation row), brier_skill,
    calibration_intercept/slope, chosen. reliability: deciles of the chosen model's validation predictions
    (n, mean_predicted, observed, Wilson interval). factors: per feature its standardised logistic coefficient
    (log-odds per SD), odds ratio per SD, effect (raises or lowers risk), and the drop of validation AUC when it
    is permuted (permutation importance of the chosen model).
    scores: customers active at the latest month, their probability of churning in the next `horizon` months
    and their top risk factors, ranked.
    """

    metrics: pd.DataFrame
    reliability: pd.DataFrame
    factors: pd.DataFrame
    scores: pd.DataFrame
    chosen: str
    horizon_months: int
    split: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def label_rows(frame: pd.DataFrame, horizon_months: int = 3) -> pd.DataFrame:
    """The rows of customers still active at the end of their month, with `label` (churn in m+1 .. m+h) and
    `observed` (the label window is observed: a churn inside it, or follow-up through m+h)."""
    _check(frame)
    f = frame.copy()
    g = f.groupby("customer_id", sort=False)
    last = g["m"].transform("max")
    churn_m = f["m"].where(f["churned"].astype(int) == 1).groupby(f["customer_id"], sort=False).transform("max")
    active = f["churned"].astype(int) == 0
    label = (churn_m > f["m"]) & (churn_m <= f["m"] + horizon_months)
    f["label"] = label.astype(int)
    # a window counts when follow-up would have covered it whatever happened: churners were followed to the end of
    # the data, others to their last month; so rows near the end are not kept only when they churn (that would bias)
    follow_up = last.where(churn_m.isna(), int(f["m"].max()))
    f["observed"] = follow_up >= f["m"] + horizon_months
    return f[active].reset_index(drop=True)


def features(frame: pd.DataFrame, levels: dict[str, list[str]] | None = None) -> tuple[pd.DataFrame, dict]:
    """The model's feature matrix (a fixed list: experience, tenure, segment and plan one-hot) and the category
    levels used (from the training rows; pass them back to build the same columns on other rows)."""
    x = pd.DataFrame(index=frame.index)
    group = frame["last_nps_group"].astype(object)
    answered = group.notna()
    for g in _NPS_GROUPS:
        x[f"nps_{g}"] = (group == g).astype(float)
    x["no_nps_answer"] = (~answered).astype(float)
    # score and age only mean something with an answer: 0 otherwise, the indicator carries the difference
    x["nps_score"] = pd.to_numeric(frame["last_nps_score"], errors="coerce").where(answered).fillna(0.0).astype(float)
    x["nps_age"] = pd.to_numeric(frame["last_nps_age"], errors="coerce").where(answered).fillna(0.0).astype(float)
    for col in ("csat_3m", "ces_3m"):
        v = pd.to_numeric(frame[col], errors="coerce").astype(float)
        x[f"no_{col}"] = v.isna().astype(float)
        x[col] = v
    for col in ("tickets_3m", "unresolved_3m", "tenure"):
        x[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0.0).astype(float)
    if levels is None:
        levels = {c: frame[c].astype(str).value_counts().index.tolist() for c in ("segment", "plan")}
    for c, values in levels.items():
        col = frame[c].astype(str)
        for v in values[1:]:  # the most frequent level is the reference
            x[f"{c}={v}"] = (col == v).astype(float)
    return x, levels


def one_thread(fit: Callable) -> Callable:
    """Run `fit` with scikit-learn's OpenMP and BLAS pools at one thread. Measured on the 2-core build machine under
    load (load average 5): a gradient-boosting fit of 150,000 rows x 30 features took 19.1 s with the default
    threads (spinning workers fight the other processes) and 1.07 s with one; `value risk` on the 20,000-customer
    demo took 282 s before."""
    @functools.wraps(fit)
    def single(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return fit(*args, **kwargs)
    return single


@one_thread
def churn_risk(frame: pd.DataFrame, *, horizon_months: int = 3, validation_months: int = 6, seed: int = 0,
               models: tuple[str, ...] = MODELS, n_boot: int = 200, cv_folds: int = 3, top_factors: int = 3) -> RiskModel:
    """Fit, validate and apply a churn-risk model on the customer-month `frame` (the dataset contract).

    Returns a RiskModel (metrics, reliability table, factors, scores of the active customers at the latest
    month). Raises AnalysisError when the data cannot support a time split or a model (no churn in training,
    too few months), UsageError for a bad parameter.
    """
    if horizon_months < 1:
        raise UsageError("horizon_months", horizon_months, message="horizon_months must be >= 1")
    if validation_months < 1:
        raise UsageError("validation_months", validation_months, message="validation_months must be >= 1")
    bad = [m for m in models if m not in MODELS]
    if bad or not models:
        raise UsageError("models", models, list(MODELS))
    rows = label_rows(frame, horizon_months)
    if rows.empty:
        raise AnalysisError("churn risk: no customer-month rows")
    latest = int(frame["m"].max())
    labelled = rows[rows["observed"]]
    if labelled.empty:
        raise AnalysisError(f"churn risk: no month has {horizon_months} months of follow-up")
    m_lab = int(labelled["m"].max())
    v0 = m_lab - validation_months + 1
    train = labelled[labelled["m"] + horizon_months <= v0]
    valid = labelled[labelled["m"] >= v0]
    if train.empty or train["m"].nunique() < cv_folds + 1:
        raise AnalysisError(f"churn risk: too few months to train before the validation months (training months: "
                            f"{train['m'].nunique()}; the data need > {validation_months + 2 * horizon_months + cv_folds} "
                            "months, or lower validation_months)")
    for name, part in (("training", train), ("validation", valid)):
        if part["label"].nunique() < 2:
            raise AnalysisError(f"churn risk: the {name} rows have {'no' if part['label'].sum() == 0 else 'only'} "
                                f"churn within {horizon_months} months: a risk model cannot be fitted")
    x_train, levels = features(train)
    x_valid, _ = features(valid, levels)
    constant = [c for c in x_train if x_train[c].nunique(dropna=True) <= 1]
    notes = []
    if constant:
        notes.append("left out (constant in the training rows): " + ", ".join(constant))
    twins = _identical_columns(x_train.drop(columns=constant))
    if twins:  # collinear one-hots (a plan sold to one segment only): the later copy goes
        notes.append("left out (identical to another column in the training rows): "
                     + ", ".join(f"{c} (= {o})" for c, o in twins.items()))
        constant = constant + list(twins)
    x_train, x_valid = x_train.drop(columns=constant), x_valid.drop(columns=constant)
    if x_train.shape[1] == 0:
        raise AnalysisError("churn risk: every feature is constant in the training rows")
    y_train, y_valid = train["label"].to_numpy(), valid["label"].to_numpy()

    results, fitted = [], {}
    for name in models:
        cv = _time_cv(name, train, x_train, horizon_months, cv_folds, seed)
        est = _estimator(name, seed).fit(x_train, y_train)
        p = est.predict_proba(x_valid)[:, 1]
        fitted[name] = (est, p)
        results.append(_validation_metrics(name, cv, y_valid, p, valid["customer_id"].to_numpy(), y_train.mean(),
                                           n_boot, seed))
    metrics = pd.DataFrame(results)
    chosen = _choose(metrics)
    metrics["chosen"] = metrics["model"] == chosen
    est, p_valid = fitted[chosen]
    reliability = _reliability(y_valid, p_valid)
    logistic = fitted["logistic"][0] if "logistic" in fitted else _estimator("logistic", seed).fit(x_train, y_train)
    factors = _factors(logistic, est, x_valid, y_valid, seed)

    # scoring: the chosen model refitted on every labelled row, applied to the active customers' latest rows
    x_all, _ = features(labelled, levels)
    x_all = x_all.drop(columns=constant)
    final = _estimator(chosen, seed).fit(x_all, labelled["label"].to_numpy())
    explain = final if chosen == "logistic" else _estimator("logistic", seed).fit(x_all, labelled["label"].to_numpy())
    now = rows[rows["m"] == latest]
    scores = _scores(now, final, explain, levels, constant, top_factors, horizon_months)
    split = {"train_months": (_month(train["m"].min()), _month(train["m"].max())),
             "validation_months": (_month(v0), _month(m_lab)), "latest_month": _month(latest),
             "train_rows": len(train), "validation_rows": len(valid), "train_churn_rate": float(y_train.mean()),
             "validation_churn_rate": float(y_valid.mean()), "scored_customers": len(scores),
             "censored_rows": int((~rows["observed"]).sum())}
    return RiskModel(metrics, reliability, factors, scores, chosen, horizon_months, split, notes)


def store_churn_risk(store, scope=None, *, horizon_months: int = 3, validation_months: int = 6,
                     answer_months: int = 2, seed: int = 0, **options) -> RiskModel:
    """`churn_risk` on the store's customer-month frame (`cxlens.value.dataset.customer_month_frame`, built in the
    engine) within `scope`."""
    from cxlens.query import Scope
    from cxlens.value.dataset import customer_month_frame

    frame = customer_month_frame(store, scope if scope is not None else Scope(), answer_months=answer_months)
    if frame.empty:
        raise AnalysisError("churn risk: no customer-month rows in scope (load outcomes: cxlens load FILE --kind outcomes)")
    return churn_risk(frame, horizon_months=horizon_months, validation_months=validation_months, seed=seed, **options)


def _identical_columns(x: pd.DataFrame) -> dict[str, str]:
    """Each column equal to an earlier one -> that earlier column. Columns are compared by a digest of their values
    and then checked, not by transposing the rows (`x.T.duplicated()` took 3 of 9 s on 40,000 customer-months)."""
    first: dict[bytes, list[str]] = {}
    twins: dict[str, str] = {}
    for c in x.columns:
        values = x[c].to_numpy(dtype=float, na_value=np.nan)
        key = hashlib.blake2b(values.tobytes(), digest_size=16).digest()
        same = next((o for o in first.get(key, []) if np.array_equal(values, x[o].to_numpy(dtype=float, na_value=np.nan),
                                                                     equal_nan=True)), None)
        if same is None:
            first.setdefault(key, []).append(c)
        else:
            twins[c] = same
    return twins


def _choose(metrics: pd.DataFrame) -> str:
    """The model with the best time-ordered CV AUC on the training months, the simpler one (logistic: readable
    factors, steadier calibration) unless the other beats it by at least CHOICE_MARGIN."""
    cv = metrics.set_index("model")["cv_auc"]
    if "logistic" in cv and not np.isnan(cv["logistic"]) and (cv.drop("logistic") < cv["logistic"] + CHOICE_MARGIN).all():
        return "logistic"
    return str(cv.idxmax()) if cv.notna().any() else str(cv.index[0])


def _check(frame: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise AnalysisError(f"churn risk: the customer-month frame lacks {', '.join(missing)}")


def _month(m: int) -> str:
    return f"{int(m) // 12:04d}-{int(m) % 12 + 1:02d}"


def _estimator(name: str, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic":  # NaN (missing CSAT/CES) -> training mean; its indicator column carries the difference
        return make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=200,
                                          l2_regularization=1.0, random_state=seed)


def _time_cv(name: str, train: pd.DataFrame, x: pd.DataFrame, horizon: int, folds: int, seed: int) -> float:
    """Mean AUC over time-ordered folds of the training months: each fold validates a block of later months on a
    model trained on rows whose label window ends by the block's first month (the same gap as the main split)."""
    months = np.sort(train["m"].unique())
    blocks = np.array_split(months, folds + 1)[1:]
    aucs = []
    y = train["label"].to_numpy()
    for block in blocks:
        fit_rows = (train["m"] + horizon <= block[0]).to_numpy()
        test_rows = train["m"].isin(block).to_numpy()
        if len(np.unique(y[fit_rows])) < 2 or len(np.unique(y[test_rows])) < 2:
            continue
        est = _estimator(name, seed).fit(x[fit_rows], y[fit_rows])
        aucs.append(auc(y[test_rows], est.predict_proba(x[test_rows])[:, 1]))
    return float(np.mean(aucs)) if aucs else float("nan")


def _validation_metrics(name, cv_auc, y, p, customers, base_rate, n_boot, seed) -> dict:
    a = auc(y, p)
    low, high = _customer_bootstrap_auc(y, p, customers, n_boot, seed)
    dl = delong_interval(y, p)
    b = brier(y, p)
    b_ref = brier(y, np.full(len(y), base_rate))
    cal = calibration_line(y, p)
    return {"model": name, "cv_auc": cv_auc, "auc": a, "ci_low": low, "ci_high": high,
            "delong_ci_low": dl.low, "delong_ci_high": dl.high, "brier": b, "brier_reference": b_ref,
            "brier_skill": 1 - b / b_ref if b_ref > 0 else float("nan"),
            "calibration_intercept": cal.intercept, "calibration_slope": cal.slope,
            "n": len(y), "churned": int(np.sum(y))}


def _customer_bootstrap_auc(y, p, customers, n_boot: int, seed: int) -> tuple[float, float]:
    """Percentile 95% interval of the AUC resampling customers (all their rows together), since a customer's
    months are not independent (cluster bootstrap, Davison & Hinkley 1997 sec. 3.8)."""
    if n_boot <= 0:
        return float("nan"), float("nan")
    codes, uniq = pd.factorize(customers)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(uniq)))
    sizes = np.bincount(codes, minlength=len(uniq))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = order[np.repeat(starts[pick], sizes[pick]) + _ranges(sizes[pick])]
        values.append(auc(y[idx], p[idx]))
    values = np.asarray(values)
    values = values[~np.isnan(values)]
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def _ranges(sizes: np.ndarray) -> np.ndarray:
    """0..s-1 for each size s, concatenated."""
    ends = np.cumsum(sizes)
    return np.arange(ends[-1]) - np.repeat(ends - sizes, sizes)


def _reliability(y, p, n_bins: int = 10) -> pd.DataFrame:
    bins = reliability_bins(p, n_bins)
    t = pd.DataFrame({"bin": bins, "y": y, "p": p}).groupby("bin").agg(n=("y", "size"), churned=("y", "sum"),
                                                                       mean_predicted=("p", "mean"),
                                                                       p_low=("p", "min"), p_high=("p", "max"))
    ci = wilson(t["churned"].to_numpy(), t["n"].to_numpy())
    t["observed"] = t["churned"] / t["n"]
    t["ci_low"], t["ci_high"] = ci.low, ci.high
    t = t.reset_index()
    t["decile"] = t["bin"] + 1
    return t[["decile", "n", "churned", "mean_predicted", "observed", "ci_low", "ci_high", "p_low", "p_high"]]


def _factors(logistic, chosen, x_valid: pd.DataFrame, y_valid, seed: int, experience=EXPERIENCE) -> pd.DataFrame:
    from sklearn.inspection import permutation_importance

    lr = logistic[-1]
    coef = lr.coef_[0]  # per SD of the feature: the pipeline standardises before the regression
    drop = permutation_importance(chosen, x_valid, y_valid, scoring="roc_auc", n_repeats=3, random_state=seed)
    out = pd.DataFrame({"factor": x_valid.columns, "coef_per_sd": coef, "odds_ratio_per_sd": np.exp(coef),
                        "auc_drop": drop.importances_mean, "auc_drop_sd": drop.importances_std})
    out["effect"] = np.where(coef > 0, "raises risk", "lowers risk")
    out["kind"] = np.where(out["factor"].isin(list(experience)), "experience", "profile")
    out = out.sort_values("auc_drop", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _scores(now: pd.DataFrame, final, explain, levels, constant, top: int, horizon: int) -> pd.DataFrame:
    cols = ["rank", "customer_id", "segment", "plan", "tenure", f"churn_probability_{horizon}m", "top_factors"]
    if now.empty:
        return pd.DataFrame(columns=cols)
    x, _ = features(now, levels)
    x = x.drop(columns=constant)
    p = final.predict_proba(x)[:, 1]
    # each factor's contribution to the customer's log-odds vs the average customer: coefficient x standardised value
    imputer, scaler, lr = explain[0], explain[1], explain[2]
    z = scaler.transform(imputer.transform(x))
    contrib = z * lr.coef_[0]
    names = np.asarray(x.columns)
    values = x.to_numpy()
    binary = [set(np.unique(x[c].dropna())) <= {0.0, 1.0} for c in x.columns]
    tops = []
    for row, value in zip(contrib, values):
        order = [i for i in np.argsort(-row)[:top] if row[i] > 0]
        tops.append("; ".join(f"{_say(names[i], value[i], binary[i])} (+{row[i]:.2f})" for i in order))
    out = pd.DataFrame({"customer_id": now["customer_id"].astype(str).to_numpy(), "segment": now["segment"].to_numpy(),
                        "plan": now["plan"].to_numpy(), "tenure": now["tenure"].to_numpy(),
                        f"churn_probability_{horizon}m": p, "top_factors": tops})
    out = out.sort_values(f"churn_probability_{horizon}m", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[cols]


def _say(name: str, value: float, binary: bool) -> str:
    """A factor as a customer has it: `nps_detractor`, `not segment=business`, `csat_3m 2.1`."""
    if binary:
        return name if value == 1 else f"not {name}"
    return f"{name} {value + 0.0:g}" if not np.isnan(value) else f"{name} missing"  # + 0.0: no "-0"
