"""Outcome models for g-computation: monthly churn, revenue, cost to serve, upgrades and referrals by NPS group.

Each model is a log-link rate model (cxlens.stats.poisson) on the customer-months with a recent NPS answer
(nps_group not null) of the customer-month frame (cxlens.value.dataset), with covariates group, calendar
year, group x year (the link may drift: predictions use the latest year), segment, plan, tenure band and
group x each reporting column (`by`: each segment gets its own link). Churn is fitted on every such month
(the rate of months that end the relationship), the money and count outcomes on active months only (the
churn month has no revenue). Rows are reduced to cells of identical covariates, with per-customer cell
totals kept as sparse matrices so that a customer bootstrap only re-weights them (no re-scan of rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from cxlens.errors import AnalysisError, UsageError
from cxlens.stats.poisson import RateModel, aliased, fit_rate

GROUPS = ("detractor", "passive", "promoter")
VALUE_OUTCOMES = ("revenue", "cost_to_serve", "upgrades", "referrals")
OUTCOMES = ("churned",) + VALUE_OUTCOMES
TENURE_EDGES = (0, 6, 12, 24, 48)  # tenure bands in months: 0-5, 6-11, 12-23, 24-47, 48+
REQUIRED = ("customer_id", "month", "year", "tenure", "segment", "plan", "churned", "nps_group", "last_nps_group") + VALUE_OUTCOMES


def tenure_band(tenure) -> np.ndarray:
    """Index of the tenure band (TENURE_EDGES) of each tenure in months."""
    return np.searchsorted(np.asarray(TENURE_EDGES), np.asarray(tenure), side="right") - 1


def check_frame(frame: pd.DataFrame, by: tuple[str, ...]) -> None:
    """Refuse a frame without the contract's columns, or a `by` column it lacks, naming them."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise AnalysisError(f"the customer-month frame lacks {', '.join(missing)} (build it with "
                            "cxlens.value.dataset.customer_month_frame)")
    for col in by:
        if col not in frame.columns:
            raise UsageError("by", col, [c for c in ("segment", "plan", "region") if c in frame.columns])


@dataclass
class Design:
    """Levels of each covariate and the dummy coding shared by the fit and the predictions."""

    by: tuple[str, ...]
    years: list
    levels: dict[str, list]                    # segment, plan and every by column
    names: list[str] = field(default_factory=list)

    @property
    def latest_year(self):
        return self.years[-1]

    def matrix(self, codes: dict[str, np.ndarray]) -> np.ndarray:
        """Dummy-coded covariates (no intercept) for cells given as integer codes: group (index in GROUPS),
        year (index in years), band, and one per column of `levels`."""
        cols, names = [], []
        g = codes["group"]
        gd = {k: (g == GROUPS.index(k)).astype(float) for k in ("detractor", "passive")}  # promoter: reference
        for k, d in gd.items():
            cols.append(d); names.append(k)
        for yi, y in enumerate(self.years[1:], start=1):
            yd = (codes["year"] == yi).astype(float)
            cols.append(yd); names.append(f"year={y}")
            for k, d in gd.items():
                cols.append(d * yd); names.append(f"{k} x year={y}")
        for b in range(1, len(TENURE_EDGES)):
            cols.append((codes["band"] == b).astype(float)); names.append(f"tenure>={TENURE_EDGES[b]}")
        for col, levels in self.levels.items():
            for li, level in enumerate(levels[1:], start=1):
                ld = (codes[col] == li).astype(float)
                cols.append(ld); names.append(f"{col}={level}")
                if col in self.by:
                    for k, d in gd.items():
                        cols.append(d * ld); names.append(f"{k} x {col}={level}")
        self.names = names
        n = len(g)
        return np.column_stack(cols) if cols else np.zeros((n, 0))


@dataclass
class CellData:
    """Per-customer cell totals of the modelling rows: what a customer bootstrap re-weights."""

    design: Design
    customers: np.ndarray                      # sorted ids of every customer in the frame: rows of each (G, C) matrix
    X: np.ndarray                              # (C, K) covariates per cell
    rows: sparse.csr_matrix                    # (G, C) customer-months per cell (churn exposure)
    active: sparse.csr_matrix                  # (G, C) active months per cell (value exposure)
    totals: dict[str, sparse.csr_matrix]       # outcome -> (G, C) totals
    notes: dict[str, list]                     # outcome -> aliasing notes of its design


def build_cells(frame: pd.DataFrame, by: tuple[str, ...]) -> CellData:
    """Reduce the frame's customer-months with a recent answer to cells with per-customer totals."""
    check_frame(frame, by)
    rows = frame[frame["nps_group"].isin(GROUPS)]
    if rows.empty:
        raise AnalysisError("no customer-month has a recent NPS answer (nps_group), so no outcome model can be fitted")
    years = sorted(rows["year"].unique().tolist())
    cols = ["segment", "plan"] + [c for c in by if c not in ("segment", "plan")]
    design = Design(tuple(by), years, {c: sorted(rows[c].astype(str).unique().tolist()) for c in cols})
    codes = pd.DataFrame({
        "group": rows["nps_group"].map({g: i for i, g in enumerate(GROUPS)}).to_numpy(),
        "year": rows["year"].map({y: i for i, y in enumerate(years)}).to_numpy(),
        "band": tenure_band(rows["tenure"].to_numpy()),
        **{c: pd.Categorical(rows[c].astype(str), categories=design.levels[c]).codes for c in cols},
    })
    cell = codes.groupby(list(codes.columns), sort=True).ngroup().to_numpy()
    first = codes.groupby(cell).first()
    X = design.matrix({c: first[c].to_numpy() for c in first.columns})
    customers = np.unique(frame["customer_id"].astype(str).to_numpy())  # every customer: the bootstrap's units
    cust = np.searchsorted(customers, rows["customer_id"].astype(str).to_numpy())
    shape = (len(customers), len(first))
    active = (rows["churned"].to_numpy() == 0).astype(float)

    def totals(values) -> sparse.csr_matrix:
        return sparse.csr_matrix((np.asarray(values, dtype=float), (cust, cell)), shape=shape)

    out = {"churned": totals(rows["churned"])}
    for metric in VALUE_OUTCOMES:
        v = pd.to_numeric(rows[metric], errors="coerce").fillna(0.0).to_numpy() * active
        out[metric] = totals(v)
    n_rows, n_active = totals(np.ones(len(rows))), totals(active)
    names = design.names
    exp_rows, exp_active = np.asarray(n_rows.sum(axis=0)).ravel(), np.asarray(n_active.sum(axis=0)).ravel()
    notes = {o: aliased(X, exp_rows if o == "churned" else exp_active, names) for o in ("churned", "revenue")}
    for o in VALUE_OUTCOMES[1:]:
        notes[o] = notes["revenue"]
    for k in ("detractor", "passive"):
        if notes["churned"][names.index(k)] is not None:
            raise AnalysisError(f"no customer-month with a recent NPS answer is in the {k} or the promoter group "
                                "(every answer falls in one group), so the groups cannot be compared")
    return CellData(design, customers, X, n_rows, n_active, out, notes)


def fit_models(cells: CellData, weights: np.ndarray | None = None) -> dict[str, RateModel]:
    """The five outcome models, on customer weights (a bootstrap draw; None: every customer once)."""
    models = {}
    for outcome in OUTCOMES:
        exposure = cells.rows if outcome == "churned" else cells.active
        if weights is None:
            y, n = np.asarray(cells.totals[outcome].sum(axis=0)).ravel(), np.asarray(exposure.sum(axis=0)).ravel()
        else:
            y, n = cells.totals[outcome].T @ weights, exposure.T @ weights
        try:
            models[outcome] = fit_rate(cells.X, y, n, cells.design.names, notes=cells.notes[outcome])
        except ValueError as exc:
            raise AnalysisError(f"the {outcome} model cannot be fitted: {exc}") from exc
    return models


def predict_months(models: dict[str, RateModel], design: Design, codes: dict[str, np.ndarray], group: str,
                   horizon: int) -> dict[str, np.ndarray]:
    """Per target cell (codes: segment, plan, by columns and `tenure` now) and month 1..horizon ahead, under
    `group` in the latest year: survival S(t), and each outcome's expected value per active month."""
    k = len(codes["tenure"])
    t = np.arange(1, horizon + 1)
    grid = {c: np.repeat(v, horizon) for c, v in codes.items() if c != "tenure"}
    grid["band"] = tenure_band(np.repeat(codes["tenure"], horizon) + np.tile(t, k))
    grid["group"] = np.full(k * horizon, GROUPS.index(group))
    grid["year"] = np.full(k * horizon, len(design.years) - 1)
    X = design.matrix(grid)
    hazard = np.minimum(models["churned"].predict(X), 1.0).reshape(k, horizon)
    out = {"survival": np.cumprod(1 - hazard, axis=1)}  # S(t): active through month t
    for metric in VALUE_OUTCOMES:
        out[metric] = models[metric].predict(X).reshape(k, horizon)
    return out
