"""Personas on the IBM Telco customer churn sample (7,043 customers; docs/people.md "Personas").

Fits on a frame built from the files with the customer view's column names (the data set has no events,
answers or outcomes to load, so the view would be mostly empty): segment = Contract, plan = Internet Type,
age (in bands), tenure_months = Tenure in Months, revenue_month = Monthly Charge, csat_mean = Satisfaction Score (1-5),
active = not churned, themes = Churn Category (lowercased; only churned customers have one).
Run: .venv/bin/python docs/examples/telco_churn_ibm_v11_1_3/personas.py [DATA_FOLDER]
"""

import json
import sys
from pathlib import Path

import pandas as pd

from cxlens.personas import Features, fit_personas, profiles, stability, summarise

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/telco_churn_ibm_v11_1_3")
demo = pd.read_csv(folder / "Telco_customer_churn_demographics.csv")
services = pd.read_csv(folder / "Telco_customer_churn_services.csv")
status = pd.read_csv(folder / "Telco_customer_churn_status.csv")
df = demo.merge(services, on="Customer ID").merge(status, on="Customer ID")
frame = pd.DataFrame({
    "customer_id": df["Customer ID"], "segment": df["Contract"], "plan": df["Internet Type"].fillna("no internet"),
    "age": df["Age"].astype(float), "tenure_months": df["Tenure in Months"].astype(float),
    "revenue_month": df["Monthly Charge"].astype(float), "csat_mean": df["Satisfaction Score"].astype(float),
    "active": df["Customer Status"] != "Churned",
    "themes": df["Churn Category"].str.lower().str.replace(" ", "_"),
})
features = Features(categorical=("segment", "plan"), numeric=("tenure_months", "revenue_month", "csat_mean"), banded=("age",),
                    themes="themes")
fit = fit_personas(frame, features=features, seed=0)
stable = stability(fit, seeds=3, resamples=3)
summary = summarise(frame, fit, stable)
frame["persona_id"] = [f"P{label + 1}" for label in fit.classes.labels]
cards, hidden = profiles(frame, summary, None, min_group=5)
out = {"bic": summary["bic"], "k": summary["k"], "stability": summary["stability"], "features": summary["features"],
       "personas": [{**c.as_dict(), "churned": float((~frame.active[frame.persona_id == c.persona_id]).mean()),
                     "satisfaction": float(frame.csat_mean[frame.persona_id == c.persona_id].mean())} for c in cards],
       "hidden": hidden}
print(json.dumps(out, indent=1))
