"""Survival: retention curves by NPS group and a Cox model of churn on the group of the latest answer.

Both read the customer-month frame (`dataset.customer_month_frame`): one row per customer x month at risk,
the interval (tenure, tenure + 1] on the tenure time scale, so customers already on the books when the data
starts enter late (left truncation) instead of being counted from signup. The NPS group is time-varying:
`nps_group` is the group of the customer's latest relationship answer of the `answer_months` months before
the month; months without one are left out of the group's curve and of the model (and counted in a note).

- `retention_curves`: Kaplan-Meier by tenure month per group (and segment), Greenwood log-log intervals.
- `churn_hazards`: Cox hazard ratios of detractors and passives against promoters, strata segment x plan
  (a baseline hazard per combination rather than covariates: no shape is imposed on either), time scale
  tenure, cluster-robust (by customer) intervals; `by_year=True` gives one hazard ratio per calendar year
  (group x year, strata also by year). The proportional-hazards test (Grambsch & Therneau) is reported; when
  a group's effect changes with tenure the model is refitted with the effect split at the median tenure of
  the churn events, and a note says how to read the average.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxlens.errors import AnalysisError, UsageError
from cxlens.stats.intervals import z_value
from cxlens.stats.kaplan_meier import kaplan_meier
from cxlens.stats.survival import CoxResult, cox_time_varying, proportional_hazards_test

GROUPS = ("detractor", "passive", "promoter")
REFERENCE = "promoter"
COMPARED = ("detractor", "passive")
CURVE_BY = ("nps_group", "segment", "plan", "region")
CURVE_COLUMNS = ("tenure", "at_risk", "events", "survival", "ci_low", "ci_high", "customers", "from_tenure")
MIN_AT_RISK = 10  # customers at risk in a tenure month for a curve to cover it
HAZARD_COLUMNS = ("group", "hazard_ratio", "ci_low", "ci_high", "p_value", "customers", "events")
NEEDED = ("customer_id", "tenure", "churned", "nps_group", "segment", "plan", "year")
PH_ALPHA = 0.05


def _check(frame: pd.DataFrame, needed: Sequence[str] = NEEDED) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise UsageError("frame", sorted(missing), message=f"the customer-month frame lacks columns {missing}: "
                         "build it with cxlens.value.dataset.customer_month_frame")


def _answered(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, str, np.ndarray]:
    """`columns` of the rows with a recent answer, the note counting the ones left out, and their customers' codes."""
    has = frame.nps_group.notna().to_numpy()
    ids = pd.factorize(frame.customer_id)[0]  # integer codes: counting customers without hashing strings twice
    note = (f"{int((~has).sum()):,} customer-months ({_distinct(ids[~has]):,} customers) without a relationship-NPS answer "
            f"in the months before were left out; {int(has.sum()):,} customer-months of "
            f"{_distinct(ids[has]):,} customers used")
    return frame.loc[has, list(dict.fromkeys(columns))], note, ids[has]  # only the columns used: copying all of them took seconds


def _distinct(codes: np.ndarray) -> int:
    """Distinct values among non-negative integer codes (pd.factorize's; -1 is missing)."""
    codes = codes[codes >= 0]
    return int(np.count_nonzero(np.bincount(codes))) if len(codes) else 0


def retention_curves(frame: pd.DataFrame, by: Sequence[str] = ("nps_group",), level: float = 0.95,
                     min_at_risk: int = MIN_AT_RISK) -> pd.DataFrame:
    """Kaplan-Meier retention by tenure month for each combination of `by` (nps_group, segment, plan, region).

    Returns one row per group and tenure month t (the end of month t of the relationship): at_risk (customers
    in the group at risk in that month), events (churned in it), survival S(t) with its log-log interval
    (ci_low, ci_high), customers (distinct customers ever in the group) and from_tenure. A customer whose answer
    changes group moves between curves: each curve is the retention of customer-months spent in that group.
    With late entry a tenure month can have only a handful of customers at risk, and one churn among three
    would take a whole curve down for good; so each curve covers the longest run of consecutive tenure months
    with at least `min_at_risk` customers at risk, and S(t) is the retention from `from_tenure` on (conditional
    on being a customer then). Groups without such a run are left out (counted in a note).
    """
    by = tuple(by)
    bad = [b for b in by if b not in CURVE_BY]
    if not by or bad:
        raise UsageError("by", list(by), list(CURVE_BY), message=f"retention curves are split by some of {', '.join(CURVE_BY)}")
    _check(frame, ("customer_id", "tenure", "churned", *by))
    data, note, _ = _answered(frame, ("customer_id", "tenure", "churned", *by)) if "nps_group" in by else (frame, "", None)
    parts, short = [], 0
    for key, g in data.groupby(list(by), sort=True):
        counts = g.tenure.value_counts().sort_index()
        first, last = _longest_run(counts.index.to_numpy(), counts.to_numpy() >= min_at_risk)
        if first is None:
            short += 1
            continue
        g = g[g.tenure.between(first, last)]
        km = kaplan_meier(g.tenure.to_numpy(float) + 1, g.churned.to_numpy(bool), entry=g.tenure.to_numpy(float), level=level)
        part = pd.DataFrame({"tenure": km.time.astype(int), "at_risk": km.at_risk, "events": km.events,
                             "survival": km.survival, "ci_low": km.lower, "ci_high": km.upper,
                             "customers": g.customer_id.nunique(), "from_tenure": first})
        parts.append(part.assign(**dict(zip(by, key if isinstance(key, tuple) else (key,)))))
    cols = [*by, *CURVE_COLUMNS]
    out = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    if "nps_group" in by:
        out = out.sort_values([*by, "tenure"], key=_group_order, kind="stable").reset_index(drop=True)
    notes = [note, "Kaplan-Meier by tenure month with late entry; 95% log-log (Kalbfleisch & Prentice) intervals with "
             "Greenwood's variance (R's survfit default is 'log').",
             f"Each curve runs over its longest stretch of tenure months with at least {min_at_risk} customers at risk "
             "and starts at from_tenure: survival is retention from that tenure on."]
    if short:
        notes.append(f"{short} group(s) left out: no tenure month with {min_at_risk} customers at risk.")
    out.attrs["notes"] = [n for n in notes if n]
    return out


def _longest_run(tenures: np.ndarray, ok: np.ndarray) -> tuple[int | None, int | None]:
    """First and last tenure of the longest run of consecutive tenure months that are all `ok`."""
    best, start, length = (None, None), None, 0
    best_len = 0
    for i, (t, good) in enumerate(zip(tenures, ok)):
        if good and start is not None and t == tenures[i - 1] + 1 and ok[i - 1]:
            length += 1
        elif good:
            start, length = t, 1
        else:
            start, length = None, 0
        if good and length > best_len:
            best, best_len = (int(start), int(t)), length
    return best


def _group_order(col: pd.Series) -> pd.Series:
    return col.map({g: i for i, g in enumerate(GROUPS)}) if col.name == "nps_group" else col


def churn_hazards(frame: pd.DataFrame, *, by_year: bool = False, level: float = 0.95) -> pd.DataFrame:
    """Hazard ratios of churn for detractors and passives against promoters (the reference row has 1).

    Cox model on the customer-months with a recent answer: time scale tenure months (late entry), strata
    segment x plan (x calendar year with `by_year`), standard errors clustered by customer (Lin & Wei).
    `by_year=True`: one hazard ratio per group and calendar year (group x year columns). Columns: group,
    [year], hazard_ratio, ci_low, ci_high, p_value, customers, events. attrs: `notes` (plain sentences, the
    proportional-hazards verdict among them), `ph_test` (per covariate chi-square and p, global), `split`
    (hazard ratios before/after the median churn tenure, only when the PH test fails), `change` (by_year: the
    ratio of the last to the first year's detractor hazard ratio with its interval).
    """
    _check(frame)
    data, note, ids = _answered(frame, [c for c in NEEDED if c != "customer_id"])  # customers by their codes
    present = [g for g in GROUPS if (data.nps_group == g).any()]
    if REFERENCE not in present or len(present) < 2:
        raise AnalysisError(f"churn hazards need promoters and at least one other NPS group among the answered "
                            f"customer-months; found {present or 'none'}")
    data = data.reset_index(drop=True)
    years = sorted(data.year.unique()) if by_year else [None]
    # integer codes of segment x plan (x year), as the customers' from _answered: sorting string labels took seconds
    strata = data.groupby(["segment", "plan", *(["year"] if by_year else [])], sort=True, dropna=False).ngroup().to_numpy()
    churned = data.churned.to_numpy()
    columns, rows = [], []
    for year in years:
        in_year = np.ones(len(data), bool) if year is None else (data.year == year).to_numpy()
        for group in [g for g in COMPARED if g in present]:
            x = ((data.nps_group == group).to_numpy() & in_year).astype(float)
            if x.sum() == 0:
                continue
            columns.append((group, year, x))
    names = [f"{g}" if y is None else f"{g}:{y}" for g, y, _ in columns]
    X = np.column_stack([x for _, _, x in columns])
    start, stop, event = data.tenure.to_numpy(float), data.tenure.to_numpy(float) + 1, data.churned.to_numpy(bool)
    fit = _fit(start, stop, event, X, strata, names, ids, level)
    for i, (group, year, x) in enumerate(columns):
        rows.append(_row(group, year, fit.hazard_ratio[i], fit.lower[i], fit.upper[i], fit.p_value[i], ids, churned, x > 0))
    for year in years:
        in_year = np.ones(len(data), bool) if year is None else (data.year == year).to_numpy()
        rows.append(_row(REFERENCE, year, 1.0, np.nan, np.nan, np.nan, ids, churned,
                         in_year & (data.nps_group == REFERENCE).to_numpy()))
    out = pd.DataFrame(rows)
    out = out.sort_values(["year", "group"] if by_year else ["group"], key=_by_group, kind="stable").reset_index(drop=True)
    if not by_year:
        out = out.drop(columns="year")
    ph = proportional_hazards_test(start, stop, event, X, fit, strata=strata, transform="km")
    notes = [note, f"Cox model: time scale tenure months (late entry), strata segment x plan{' x year' if by_year else ''}, "
             f"reference promoters; 95% intervals cluster-robust by customer ({fit.clusters:,} customers, "
             f"{int(event.sum()):,} churn events)."]
    out.attrs["ph_test"] = {"transform": ph.transform, "covariates": dict(zip(names, map(float, ph.chisq))),
                            "p_values": dict(zip(names, map(float, ph.p_value))),
                            "global_chisq": ph.global_chisq, "global_df": ph.global_df, "global_p": ph.global_p}
    # the global test decides (one test, so no false alarm from testing each covariate); the note names the covariates
    failing = [(n, p) for n, p in zip(names, ph.p_value) if p < PH_ALPHA] if ph.global_p < PH_ALPHA else []
    if ph.global_p < PH_ALPHA and not failing:
        failing = [(names[int(np.argmin(ph.p_value))], float(np.min(ph.p_value)))]
    if failing:
        for name, p in failing:
            notes.append(f"the {name.replace(':', ' ')} effect changes with tenure (p={p:.3g}): read the HR as an average; "
                         "split by year/tenure (see the split by tenure)")
        out.attrs["split"] = _split_by_tenure(ids, churned, start, stop, event, columns, strata, level)
    else:
        notes.append(f"proportional hazards hold (Grambsch-Therneau global p={ph.global_p:.3g})")
    if by_year and len(years) > 1:
        out.attrs["change"] = _change(fit, names, years[0], years[-1], level)
    out.attrs["notes"] = notes
    return out[[c for c in ("group", "year", *HAZARD_COLUMNS[1:]) if c in out.columns]]


def _by_group(col: pd.Series) -> pd.Series:
    return col.map({g: i for i, g in enumerate(GROUPS)}) if col.name == "group" else col


def _fit(start, stop, event, X, strata, names, clusters, level) -> CoxResult:
    try:
        return cox_time_varying(start, stop, event, X, strata=strata, names=names, level=level, clusters=clusters)
    except ValueError as exc:
        raise AnalysisError(f"the churn model cannot be fitted: {exc}") from None


def _row(group, year, hr, lo, hi, p, ids, churned, mask) -> dict:
    return {"group": group, "year": year, "hazard_ratio": float(hr), "ci_low": float(lo), "ci_high": float(hi),
            "p_value": float(p), "customers": _distinct(ids[mask]), "events": int(churned[mask].sum())}


def _split_by_tenure(ids, churned, start, stop, event, columns, strata, level) -> pd.DataFrame:
    """Refit with each group effect split at the median tenure of the churn events: early and late hazard ratios."""
    cut = float(np.median(start[event]))
    late = start > cut
    cols, rows = [], []
    for group, year, x in columns:
        for band, mask in ((f"tenure <= {cut:g}", ~late), (f"tenure > {cut:g}", late)):
            if (x * mask).sum() > 0 and event[(x * mask) > 0].any():
                cols.append((group, year, band, x * mask))
    names = [f"{g}:{b}" if y is None else f"{g}:{y}:{b}" for g, y, b, _ in cols]
    fit = _fit(start, stop, event, np.column_stack([c[3] for c in cols]), strata, names, ids, level)
    for i, (group, year, band, x) in enumerate(cols):
        row = _row(group, year, fit.hazard_ratio[i], fit.lower[i], fit.upper[i], fit.p_value[i], ids, churned, x > 0)
        rows.append({"tenure_band": band, **row})
    out = pd.DataFrame(rows)
    return out.drop(columns="year") if out.year.isna().all() else out


def _change(fit: CoxResult, names: list[str], first, last, level: float) -> dict:
    """Ratio of the last to the first year's detractor hazard ratio, with its cluster-robust interval."""
    try:
        i, j = names.index(f"detractor:{first}"), names.index(f"detractor:{last}")
    except ValueError:
        return {}
    diff = fit.coef[j] - fit.coef[i]
    se = float(np.sqrt(fit.variance[i, i] + fit.variance[j, j] - 2 * fit.variance[i, j]))
    z = z_value(level)
    return {"from": int(first), "to": int(last), "ratio": float(np.exp(diff)), "ci_low": float(np.exp(diff - z * se)),
            "ci_high": float(np.exp(diff + z * se)), "p_value": float(2 * sps.norm.sf(abs(diff / se)))}
