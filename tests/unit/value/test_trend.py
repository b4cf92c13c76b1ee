"""Where the link is heading: year-over-year change of the gaps, against frames with a planted drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from value_frames import CHURN, planted_frame

from cxlens.errors import AnalysisError
from cxlens.stats.regression import ols
from cxlens.value.trend import trend

STEADY = {2024: CHURN[2024], 2025: CHURN[2024]}


@pytest.fixture(scope="module")
def drifting() -> pd.DataFrame:
    return trend(planted_frame(4000, seed=1))


def _row(out, kind, measure, comparison, year):
    sel = (out["kind"] == kind) & (out["measure"] == measure) & (out["comparison"] == comparison) & (out["year"] == year)
    assert sel.sum() == 1
    return out[sel].iloc[0]


def test_planted_rate_ratios_per_year_are_within_their_intervals(drifting):
    for year, planted in (("2024", 2.0), ("2025", 4.0)):
        row = _row(drifting, "year", "churn_hazard_ratio", "detractor/promoter", year)
        assert row["ci_low"] <= planted <= row["ci_high"], (year, row["estimate"])
    change = _row(drifting, "change", "churn_hazard_ratio", "detractor/promoter", "2024->2025")
    assert change["ci_low"] <= 2.0 <= change["ci_high"] and change["p_value"] < 0.05
    assert change["link"] == "strengthening"
    assert "strengthening" in drifting.attrs["sentence"]


def test_planted_steady_link_is_stable_and_drift_of_churn_gap_is_detected(drifting):
    churn = _row(drifting, "change", "churn", "detractor-promoter", "2024->2025")
    assert churn["link"] == "strengthening" and churn["estimate"] > 0
    # revenue and cost multipliers do not drift: their gaps are stable
    for measure in ("revenue", "cost_to_serve"):
        for comp in ("detractor-promoter", "passive-promoter"):
            assert _row(drifting, "change", measure, comp, "2024->2025")["link"] == "stable"


@pytest.mark.parametrize("seed", [2, 3])
def test_no_planted_change_reads_stable(seed):
    out = trend(planted_frame(3000, seed=seed, churn=STEADY))
    change = _row(out, "change", "churn_hazard_ratio", "detractor/promoter", "2024->2025")
    assert change["link"] == "stable" and change["ci_low"] <= 1.0 <= change["ci_high"]
    assert "stable" in out.attrs["sentence"]


def test_year_gap_with_one_segment_is_the_cluster_robust_ols_difference():
    frame = planted_frame(1500, seed=5)
    one = frame[frame["segment"] == "consumer"]
    out = trend(one)
    rows = one[one["nps_group"].notna() & (one["year"] == 2024) & (one["churned"] == 0)]
    d = (rows["nps_group"] == "detractor").to_numpy(float)
    p = (rows["nps_group"] == "passive").to_numpy(float)
    fit = ols(np.column_stack([d, p]), rows["revenue"].to_numpy(), cov="CR1", clusters=rows["customer_id"].to_numpy())
    row = _row(out, "year", "revenue", "detractor-promoter", "2024")
    assert row["estimate"] == pytest.approx(fit.coef[0])
    # brute force: mean difference of the raw groups
    raw = rows.groupby("nps_group")["revenue"].mean()
    assert row["estimate"] == pytest.approx(raw["detractor"] - raw["promoter"])
    assert (row["ci_high"] - row["estimate"]) == pytest.approx(1.959964 * fit.se[0], rel=1e-4)


def test_a_year_without_detractors_is_a_clear_error():
    frame = planted_frame(800, seed=6)
    frame.loc[(frame["year"] == 2025) & (frame["nps_group"] == "detractor"), "nps_group"] = "passive"
    with pytest.raises(AnalysisError, match="2025 has no customer-month of the detractor group"):
        trend(frame)
