"""Churn risk on customer-month frames with a planted logistic truth, its time split and its leak guard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import AnalysisError, UsageError
from cxlens.stats.discrimination import auc
from cxlens.value.risk import churn_risk, features, label_rows

# planted monthly hazard: logit h = B0 + sum B[k] x_k (features constant per customer over time)
B0 = -4.0
B = {"detractor": 1.2, "passive": 0.5, "csat": -0.6, "tickets": 0.35, "business": -0.7}


def planted_frame(customers: int = 4000, months: int = 30, seed: int = 1) -> tuple[pd.DataFrame, dict]:
    """A customer-month frame in the dataset contract's columns; every customer starts at month 0 and stays until
    churn or the end. Returns the frame and each customer's true monthly hazard."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["detractor", "passive", "promoter"], customers, p=[0.25, 0.35, 0.40])
    csat = np.clip(rng.normal(3.6, 0.8, customers), 1, 5)
    tickets = rng.poisson(0.8, customers)
    segment = rng.choice(["consumer", "business"], customers, p=[0.7, 0.3])
    score = np.where(group == "detractor", rng.integers(0, 7, customers),
                     np.where(group == "passive", rng.integers(7, 9, customers), rng.integers(9, 11, customers)))
    eta = (B0 + B["detractor"] * (group == "detractor") + B["passive"] * (group == "passive")
           + B["csat"] * (csat - 3.6) + B["tickets"] * tickets + B["business"] * (segment == "business"))
    hazard = 1 / (1 + np.exp(-eta))
    start = 2024 * 12
    rows = []
    for i in range(customers):
        for t in range(months):
            churned = rng.random() < hazard[i]
            rows.append((f"C{i:05d}", start + t, t + 3, int(churned)))
            if churned:
                break
    f = pd.DataFrame(rows, columns=["customer_id", "m", "tenure", "churned"])
    idx = f["customer_id"].str[1:].astype(int).to_numpy()
    f["month"] = [f"{m // 12}-{m % 12 + 1:02d}" for m in f["m"]]
    f["segment"] = segment[idx]
    f["plan"] = "standard"
    f["last_nps_group"] = group[idx]
    f["last_nps_score"] = score[idx]
    f["last_nps_age"] = 1
    f["csat_3m"] = csat[idx]
    f["ces_3m"] = np.nan
    f["tickets_3m"] = tickets[idx]
    f["unresolved_3m"] = 0
    return f, dict(zip([f"C{i:05d}" for i in range(customers)], hazard))


@pytest.fixture(scope="module")
def planted():
    frame, hazard = planted_frame()
    return frame, hazard, churn_risk(frame, n_boot=100, models=("logistic", "gradient_boosting"))


def test_labels_are_churn_within_the_horizon_and_censored_windows_left_out():
    f = pd.DataFrame({"customer_id": ["a"] * 5 + ["b"] * 3, "m": [0, 1, 2, 3, 4, 0, 1, 2], "churned": [0, 0, 0, 0, 1, 0, 0, 0]})
    for c in ("month", "tenure", "segment", "plan", "last_nps_score", "last_nps_group", "last_nps_age", "csat_3m",
              "ces_3m", "tickets_3m", "unresolved_3m"):
        f[c] = 0
    rows = label_rows(f, horizon_months=2)
    a = rows[rows.customer_id == "a"].set_index("m")
    assert a["label"].to_dict() == {0: 0, 1: 0, 2: 1, 3: 1}  # churn at 4: rows 2 and 3 see it within 2 months
    assert 4 not in a.index  # the churn month is no longer 'active at month end'
    # the data end at 4: a's row 3 (window 4..5) would not be known had a not churned, so it does not count either
    assert a["observed"].to_dict() == {0: True, 1: True, 2: True, 3: False}
    b = rows[rows.customer_id == "b"].set_index("m")
    assert b["observed"].to_dict() == {0: True, 1: False, 2: False}  # b's follow-up ends at 2: later windows unknown
    f2 = f.copy()
    f2["m"] = f2["m"] + f2.customer_id.map({"a": 0, "b": 3})  # now the data run to 5: a's row 3 is observed
    a2 = label_rows(f2, horizon_months=2).query("customer_id == 'a'").set_index("m")
    assert a2["observed"].all()


def test_auc_is_near_the_planted_models(planted):
    frame, hazard, model = planted
    rows = label_rows(frame)
    v0, v1 = model.split["validation_months"]
    valid = rows[rows.observed & (rows.month >= v0) & (rows.month <= v1)]
    true_p = 1 - (1 - valid.customer_id.map(hazard)) ** 3
    planted_auc = auc(valid.label, true_p)
    got = model.metrics.set_index("model").loc["logistic"]
    assert abs(got.auc - planted_auc) < 0.02, (got.auc, planted_auc)
    assert got.ci_low < planted_auc < got.ci_high
    assert got.ci_low < got.auc < got.ci_high and got.delong_ci_low < got.auc < got.delong_ci_high


def test_probabilities_are_calibrated(planted):
    _, _, model = planted
    got = model.metrics.set_index("model").loc["logistic"]
    assert 0.8 < got.calibration_slope < 1.2, got.calibration_slope
    assert got.brier_skill > 0
    rel = model.reliability
    assert rel.n.sum() == model.split["validation_rows"] and len(rel) == 10
    assert (rel.mean_predicted.diff().dropna() > 0).all()  # deciles in order of predicted risk
    # observed churn of each decile within about 3 standard errors of its mean prediction
    se = np.sqrt(rel.mean_predicted * (1 - rel.mean_predicted) / rel.n)
    assert (abs(rel.observed - rel.mean_predicted) < 3.5 * se + 0.005).all(), rel


def test_factors_recover_the_planted_directions(planted):
    _, _, model = planted
    f = model.factors.set_index("factor")
    assert f.loc["nps_detractor", "effect"] == "raises risk" and f.loc["tickets_3m", "effect"] == "raises risk"
    assert f.loc["csat_3m", "effect"] == "lowers risk" and f.loc["segment=business", "effect"] == "lowers risk"
    assert f.loc["nps_detractor", "coef_per_sd"] > f.loc["nps_passive", "coef_per_sd"]
    # the four planted experience/profile factors are the top four by permutation importance
    assert set(model.factors.factor[:4]) >= {"nps_detractor", "tickets_3m", "csat_3m"}


def test_scores_every_active_customer_at_the_latest_month(planted):
    frame, hazard, model = planted
    latest = frame.m.max()
    active = set(frame[(frame.m == latest) & (frame.churned == 0)].customer_id)
    s = model.scores
    assert set(s.customer_id) == active and s["rank"].tolist() == list(range(1, len(s) + 1))
    p = s.set_index("customer_id")["churn_probability_3m"]
    true_p = 1 - (1 - pd.Series(hazard).loc[p.index]) ** 3
    assert np.corrcoef(p, true_p)[0, 1] > 0.9
    assert s.top_factors.iloc[0]  # the riskiest customer has named factors


def test_time_split_trains_only_on_windows_closed_before_validation(planted):
    frame, _, model = planted
    sp = model.split
    m_of = lambda s: int(s[:4]) * 12 + int(s[5:]) - 1  # noqa: E731
    v0, v1 = (m_of(s) for s in sp["validation_months"])
    assert v1 - v0 + 1 == 6 and v1 + 3 == frame.m.max()  # the last 6 months whose 3-month window is observed
    assert m_of(sp["train_months"][1]) + 3 <= v0


def test_outcomes_after_the_validation_start_do_not_change_the_trained_model():
    frame, _ = planted_frame(customers=1500, months=24, seed=3)
    base = churn_risk(frame, n_boot=0, models=("logistic",))
    v = base.split["validation_months"][0]
    v0 = int(v[:4]) * 12 + int(v[5:]) - 1
    # rewrite the future: every customer still there churns in month v0 + 1, except one who stays to the end
    survivor = frame[frame.m == frame.m.max()].customer_id.iloc[0]
    future = frame[(frame.m <= v0 + 1) | (frame.customer_id == survivor)].copy()
    future.loc[(future.m == v0 + 1) & (future.customer_id != survivor), "churned"] = 1
    changed = churn_risk(future, n_boot=0, models=("logistic",))
    assert changed.split["validation_months"] == base.split["validation_months"]
    assert changed.split["train_months"] == base.split["train_months"]
    assert changed.split["validation_churn_rate"] > 0.9 > base.split["validation_churn_rate"]  # the future did change
    pd.testing.assert_series_equal(changed.metrics.cv_auc, base.metrics.cv_auc)  # training folds identical
    a, b = changed.factors.set_index("factor").coef_per_sd, base.factors.set_index("factor").coef_per_sd
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index())  # the model trained before v0 is the same


def test_a_column_holding_the_future_label_is_never_a_feature():
    frame, _ = planted_frame(customers=1500, months=24, seed=4)
    rows = label_rows(frame)
    leak = frame.merge(rows[["customer_id", "m", "label"]].rename(columns={"label": "future_churn"}),
                       on=["customer_id", "m"], how="left")
    leak["nps_future"] = leak["future_churn"]  # a planted leak, named like a feature
    honest = churn_risk(frame, n_boot=0, models=("logistic",))
    leaky = churn_risk(leak, n_boot=0, models=("logistic",))
    assert "future_churn" not in leaky.factors.factor.tolist() and "nps_future" not in leaky.factors.factor.tolist()
    assert leaky.metrics.auc.iloc[0] == pytest.approx(honest.metrics.auc.iloc[0])
    assert leaky.metrics.auc.iloc[0] < 0.9
    x, _ = features(leak)
    assert not {"future_churn", "nps_future", "churned", "label"} & set(x.columns)


def test_clear_errors_when_no_model_can_be_fitted():
    frame, _ = planted_frame(customers=300, months=24, seed=5)
    with pytest.raises(AnalysisError, match="no churn"):
        churn_risk(frame.assign(churned=0), n_boot=0)
    with pytest.raises(AnalysisError, match="too few months"):
        churn_risk(frame[frame.m < frame.m.min() + 8], n_boot=0)
    with pytest.raises(AnalysisError, match="lacks csat_3m"):
        churn_risk(frame.drop(columns="csat_3m"))
    with pytest.raises(UsageError):
        churn_risk(frame, models=("forest",))


def test_constant_features_are_left_out_and_said():
    frame, _ = planted_frame(customers=1500, months=24, seed=6)
    model = churn_risk(frame, n_boot=0, models=("logistic",))
    assert any("unresolved_3m" in n for n in model.notes)
    assert "unresolved_3m" not in model.factors.factor.tolist()


@pytest.fixture(scope="module")
def demo_risk(demo_store_copy):
    from cxlens.ingest import load
    from cxlens.value.risk import store_churn_risk

    store, files, _ = demo_store_copy()
    try:
        load(store, files.tables()["outcomes"], "outcomes")
        return store_churn_risk(store, n_boot=100)
    finally:
        store.close()


def test_demo_company_risk_discriminates_and_names_detractors(demo_risk):
    m = demo_risk.metrics.set_index("model")
    chosen = m.loc[demo_risk.chosen]
    assert chosen.auc > 0.6 and chosen.ci_low > 0.5, m
    assert 0.7 < chosen.calibration_slope < 1.3
    f = demo_risk.factors.set_index("factor")
    # planted: detractors churn 2-4x promoters' hazard; tickets at moments of truth raise it
    assert f.loc["nps_detractor", "effect"] == "raises risk"
    experience = demo_risk.factors[demo_risk.factors.kind == "experience"]
    assert "nps_detractor" in experience.factor[:3].tolist() or "nps_score" in experience.factor[:3].tolist()
    assert f.loc["nps_detractor", "coef_per_sd"] > max(f.loc["nps_passive", "coef_per_sd"], 0.1)
    assert len(demo_risk.scores) > 1000 and demo_risk.scores.churn_probability_3m.between(0, 1).all()


def test_a_column_identical_to_another_is_left_out_and_said():
    frame, _ = planted_frame(customers=1500, months=24, seed=7)
    frame["plan"] = np.where(frame.segment == "business", "enterprise", "standard")  # plan = segment
    model = churn_risk(frame, n_boot=0, models=("logistic",))
    assert any("plan=enterprise (= segment=business)" in n for n in model.notes), model.notes
    assert "plan=enterprise" not in model.factors.factor.tolist()
