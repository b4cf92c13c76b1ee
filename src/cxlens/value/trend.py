"""Where the link is heading: the year-over-year change of the gaps between NPS groups.

Per calendar year, on customer-months with a recent NPS answer (the customer-month frame of
cxlens.value.dataset): the differences detractor - promoter and passive - promoter of monthly churn,
revenue and cost to serve per active month (OLS on group dummies within each segment, cluster-robust CR1
by customer: Liang & Zeger 1986; combined over segments with the pooled mix of every year, so a shift of
the segment mix is not read as a change of the link), and the detractor-vs-promoter churn hazard ratio
(the Cox model of cxlens.value.survival.churn_hazards, by year). Between consecutive years: the difference of
differences (a group x year interaction in one model over both years, so a customer seen in both years
counts as one cluster); between the first and the last year the ratio of hazard ratios (log scale); each
with a z test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError
from cxlens.stats.intervals import z_value
from cxlens.stats.regression import ols
from cxlens.stats.tests import z_test
from cxlens.value.outcome_models import GROUPS
from cxlens.value.survival import churn_hazards

MEASURES = {"churn": "churned", "revenue": "revenue", "cost_to_serve": "cost_to_serve"}
SCALE = {"churn": 100.0}  # churn gaps in percentage points per month
COMPARISONS = ("detractor", "passive")  # each against promoter
HAZARD_RATIO = "churn_hazard_ratio"


def trend(frame: pd.DataFrame, *, level: float = 0.95, alpha: float = 0.05, adjust: tuple[str, ...] = ("segment",)) -> pd.DataFrame:
    """Group gaps per year and their change between consecutive years.

    Returns rows of kind 'year' (measure, comparison, year, estimate, ci_low, ci_high, customers, months) and
    of kind 'change' (year 'Y1->Y2', estimate: difference of differences, or ratio of hazard ratios; ci_low,
    ci_high, z, p_value, link: strengthening / weakening / stable at `alpha`). measure: churn (percentage
    points per month), revenue, cost_to_serve (per active month; differences 'detractor-promoter', 'passive-promoter', within `adjust` strata) and
    churn_hazard_ratio ('detractor/promoter', Cox). attrs: sentence (where the link is heading), notes.
    """
    for col in ("customer_id", "year", "churned", "nps_group", "revenue", "cost_to_serve") + tuple(adjust):
        if col not in frame.columns:
            raise AnalysisError(f"the customer-month frame lacks '{col}' (build it with cxlens.value.dataset)")
    rows = frame[frame["nps_group"].isin(GROUPS)].copy()
    years = sorted(rows["year"].unique().tolist())
    if not years:
        raise AnalysisError("no customer-month has a recent NPS answer (nps_group), so there is no link to follow")
    for y in years:
        present = set(rows.loc[rows["year"] == y, "nps_group"])
        if "promoter" not in present or "detractor" not in present:
            raise AnalysisError(f"{y} has no customer-month of the {'promoter' if 'promoter' not in present else 'detractor'} "
                                "group, so its gap cannot be measured")
    records = []
    for measure, column in MEASURES.items():
        data = rows if measure == "churn" else rows[rows["churned"] == 0]
        records += _differences(data, measure, column, years, level, alpha, tuple(adjust))
    records += _hazard_ratios(frame, years, level, alpha)
    out = pd.DataFrame.from_records(records)
    out.attrs["sentence"] = _sentence(out)
    out.attrs["notes"] = [
        f"Differences per month (churn in percentage points) on customer-months with a recent NPS answer, within {' x '.join(adjust) or 'the whole frame'} and "
        "standardised to the pooled mix of every year; "
        f"{level:.0%} intervals cluster-robust by customer (CR1); the change between years is the group x year interaction of one model over both years (z test).",
        "churn_hazard_ratio: Cox model of churn per year (cxlens.value.survival.churn_hazards: strata segment x plan x "
        "year, time scale tenure, cluster-robust by customer); the change is the ratio of the last to the first "
        "year's hazard ratio (log scale, z test).",
        out.attrs["sentence"],
    ]
    return out


def _dummies(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    g = data["nps_group"].to_numpy()
    return (g == "detractor").astype(float), (g == "passive").astype(float)


def _strata(data: pd.DataFrame, adjust: tuple[str, ...]) -> np.ndarray:
    """Stratum label per row: the combination of the `adjust` columns (one stratum without them)."""
    if not adjust:
        return np.zeros(len(data), dtype=int)
    return data.groupby([data[c].astype(str) for c in adjust], sort=True).ngroup().to_numpy()


def _gap(data, y, sel, later=None) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS on group dummies (and the later-year interactions) in the rows `sel`, CR1 by customer:
    coefficients and standard errors of (detractor, passive) or of their x later interactions."""
    d, p = _dummies(data[sel])
    if later is None:
        X, pick = np.column_stack([d, p]), [0, 1]
    else:
        t = later[sel]
        X, pick = np.column_stack([d, p, t, d * t, p * t]), [3, 4]
    fit = ols(X, y[sel], cov="CR1", clusters=data["customer_id"].to_numpy()[sel])
    return fit.coef[pick], fit.se[pick], fit.clusters or 0


def _standardised(data, y, strata, weights, rows_of, later=None) -> tuple[np.ndarray, np.ndarray, int]:
    """Gaps per stratum combined with fixed weights (direct standardisation to the pooled mix, so a change of
    the segment mix between years is not read as a change of the link); variance sum w^2 se^2 (strata hold
    different customers). A stratum whose gap cannot be estimated leaves the mix and the weights renormalise."""
    est, var, wts, customers = [], [], [], 0
    for s, w in enumerate(weights):
        sel = rows_of(s)
        try:
            b, se, g = _gap(data, y, sel, later)
        except ValueError:
            continue
        if np.all(np.isfinite(b)) and np.all(np.isfinite(se)):
            est.append(b); var.append(se**2); wts.append(w); customers += g
    if not wts:
        raise AnalysisError("no segment has customer-months of every NPS group in these years, so no gap can be measured")
    w = np.array(wts) / sum(wts)
    return w @ np.array(est), np.sqrt(w**2 @ np.array(var)), customers


def _differences(data, measure, column, years, level, alpha, adjust) -> list[dict]:
    out = []
    y = pd.to_numeric(data[column], errors="coerce").fillna(0.0).to_numpy(dtype=float) * SCALE.get(measure, 1.0)
    strata = _strata(data, adjust)
    weights = np.bincount(strata) / len(strata)  # the pooled mix of customer-months over every year
    year = data["year"].to_numpy()
    z = z_value(level)
    by_year = {}
    for yv in years:
        b, se, g = _standardised(data, y, strata, weights, lambda s: (strata == s) & (year == yv))
        by_year[yv] = b
        for j, comp in enumerate(COMPARISONS):
            out.append({"kind": "year", "measure": measure, "comparison": f"{comp}-promoter", "year": str(yv),
                        "estimate": b[j], "ci_low": b[j] - z * se[j], "ci_high": b[j] + z * se[j],
                        "customers": g, "months": int((year == yv).sum())})
    for a, b_ in zip(years, years[1:]):
        later = (year == b_).astype(float)
        d, se, g = _standardised(data, y, strata, weights, lambda s: (strata == s) & np.isin(year, [a, b_]), later)
        for j, comp in enumerate(COMPARISONS):
            test = z_test(d[j], se[j], level)
            p = float(test.p_value[0])
            out.append({"kind": "change", "measure": measure, "comparison": f"{comp}-promoter", "year": f"{a}->{b_}",
                        "estimate": float(d[j]), "ci_low": float(test.low[0]), "ci_high": float(test.high[0]),
                        "z": float(test.statistic[0]), "p_value": p,
                        "link": _direction(by_year[a][j], by_year[b_][j], p, alpha),
                        "customers": g, "months": int(np.isin(year, [a, b_]).sum())})
    return out


def _hazard_ratios(frame: pd.DataFrame, years, level, alpha) -> list[dict]:
    """Detractor-vs-promoter Cox hazard ratio per year and their ratio from the first to the last year
    (cxlens.value.survival.churn_hazards with by_year: strata segment x plan x year, clustered by customer)."""
    hz = churn_hazards(frame, by_year=True, level=level)
    det = hz[hz["group"] == "detractor"].set_index("year")
    out, log_hr = [], {}
    for year in years:
        if year not in det.index:
            continue
        row = det.loc[year]
        log_hr[year] = float(np.log(row["hazard_ratio"]))
        out.append({"kind": "year", "measure": HAZARD_RATIO, "comparison": "detractor/promoter", "year": str(year),
                    "estimate": row["hazard_ratio"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                    "customers": int(row["customers"]), "months": np.nan})
    change = hz.attrs.get("change") or {}
    if change:
        a, b = change["from"], change["to"]
        z = np.log(change["ratio"]) / ((np.log(change["ci_high"]) - np.log(change["ci_low"])) / (2 * z_value(level)))
        out.append({"kind": "change", "measure": HAZARD_RATIO, "comparison": "detractor/promoter", "year": f"{a}->{b}",
                    "estimate": change["ratio"], "ci_low": change["ci_low"], "ci_high": change["ci_high"],
                    "z": float(z), "p_value": change["p_value"],
                    "link": _direction(log_hr.get(a, np.nan), log_hr.get(b, np.nan), change["p_value"], alpha),
                    "customers": int(frame.loc[frame["nps_group"].notna(), "customer_id"].nunique()), "months": np.nan})
    return out


def _direction(earlier: float, later: float, p: float, alpha: float) -> str:
    """strengthening when the gap moved away from none (0 difference, log ratio 0) significantly, weakening
    when towards it, else stable."""
    if not np.isfinite(p) or p >= alpha:
        return "stable"
    return "strengthening" if abs(later) > abs(earlier) else "weakening"


def _sentence(out: pd.DataFrame) -> str:
    ch = out[(out["kind"] == "change") & (out["measure"] == HAZARD_RATIO)]
    if ch.empty:
        years = out.loc[out["measure"] == HAZARD_RATIO, "year"].tolist()
        return f"Only {', '.join(years)} has answers with outcomes: no change between years to test."
    row = ch.iloc[-1]
    a, b = row["year"].split("->")
    rr = out[(out["kind"] == "year") & (out["measure"] == HAZARD_RATIO)].set_index("year")["estimate"]
    return (f"From {a} to {b} the link is {row['link']}: the detractor-vs-promoter churn hazard ratio went from "
            f"{rr[a]:.2f} to {rr[b]:.2f} (ratio of hazard ratios {row['estimate']:.2f}, {row['ci_low']:.2f}-{row['ci_high']:.2f}, "
            f"p = {row['p_value']:.3g}).")
