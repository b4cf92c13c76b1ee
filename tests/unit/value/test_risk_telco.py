"""Churn risk and churn by satisfaction on the IBM Telco churn sample (v11.1.3+, 7,043 customers; cross-sectional,
so a random stratified split). Its satisfaction score is near-deterministic of churn by construction (SOURCE.txt:
scores 1-2 all churned, 4-5 none), which pins the figures the code must find."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.value.risk_cross_section import churn_by_score, cross_sectional_risk

NUMERIC = ["Tenure in Months", "Monthly Charge", "Number of Referrals", "Avg Monthly GB Download"]
CATEGORICAL = ["Contract", "Internet Type", "Payment Method", "Offer", "Premium Tech Support", "Online Security"]


@pytest.fixture
def telco(shared_data) -> pd.DataFrame:
    status = pd.read_csv(shared_data("telco_churn_ibm_v11_1_3/Telco_customer_churn_status.csv"))
    services = pd.read_csv(shared_data("telco_churn_ibm_v11_1_3/Telco_customer_churn_services.csv"))
    return status.merge(services.drop(columns=["Count", "Quarter"]), on="Customer ID", validate="one_to_one")


def test_churn_by_satisfaction_matches_the_published_crosstab(telco):
    t = churn_by_score(telco, "Satisfaction Score", "Churn Value").set_index("Satisfaction Score")
    # SOURCE.txt crosstab: churned 922, 518, 429, 0, 0 of 922, 518, 2665, 1789, 1149
    assert t.churned.tolist() == [922, 518, 429, 0, 0] and t.customers.tolist() == [922, 518, 2665, 1789, 1149]
    assert t.loc[3, "churn_rate"] == pytest.approx(429 / 2665) and t.loc[3, "ci_low"] < 0.161 < t.loc[3, "ci_high"]


def test_risk_with_satisfaction_is_near_perfect_and_calibrated(telco):
    m = cross_sectional_risk(telco, "Churn Value", NUMERIC + ["Satisfaction Score"], CATEGORICAL,
                             experience=["Satisfaction Score"], id_column="Customer ID", models=("logistic",), n_boot=100)
    got = m.metrics.iloc[0]
    assert got.auc > 0.98 and got.ci_low > 0.97  # measured 0.991 (0.988-0.994)
    assert 0.8 < got.calibration_slope < 1.25 and got.brier_skill > 0.75
    top = m.factors.iloc[0]
    assert (top.factor, top.effect, top.kind) == ("Satisfaction Score", "lowers risk", "experience")


def test_risk_without_satisfaction_still_discriminates(telco):
    m = cross_sectional_risk(telco, "Churn Value", NUMERIC, CATEGORICAL, id_column="Customer ID",
                             models=("logistic",), n_boot=100)
    got = m.metrics.iloc[0]
    assert 0.82 < got.auc < 0.92 and 0.8 < got.calibration_slope < 1.2  # measured 0.868, slope 0.92
    rel = m.reliability
    assert rel.observed.iloc[-1] > 0.7 > 0.05 > rel.observed.iloc[0]
    f = m.factors.set_index("factor")
    assert f.loc["Contract=Two Year", "effect"] == "lowers risk" and f.loc["Monthly Charge", "effect"] == "raises risk"
