"""Roadmap: the initiatives a user proposes (initiatives.yaml), valued and ordered so early wins fund the rest.

Each initiative names a touchpoint and the improvement it should bring there (CSAT points, or NPS points of
overall NPS directly). Its expected NPS gain = improvement x the touchpoint's slope (overall NPS points per
CSAT point there, from the key-driver regression); its value per year = NPS gain x the money one NPS point is
worth (from the scenario's value of moving detractors to passive); net of its running cost per year. Payback
(months from its start) = delivery months + one-off cost / monthly net value.

Order, as a month-by-month cash-flow simulation: cash starts at the budget (by default the cost of the
initiative with the shortest payback: the seed). An initiative's one-off cost is paid at its start; it earns its
net value / 12 each month from the end of its delivery. Rule "strict" (default): initiatives start in payback
order, each in the first month the cash covers its cost, so each early win's returns fund the next; a cheaper
one goes ahead of the next in order only while nothing has started (else a budget below the first cost could
start nothing). Rule "affordable": each month the shortest-payback initiative the cash covers starts, which lets
a cheap slow one jump ahead: on the 20,000-customer demo it started loyalty-perks (payback 55 months) in month 9
and delayed clear-bills (payback 22) to month 26; strict starts clear-bills first. An initiative whose net value is not positive never pays back:
it is listed last and not scheduled. The simulation stops when everything has started, or when nothing can
be afforded and nothing running earns, or after `max_months`.

`roadmap` is the pure calculation (frames in, frame out: testable with planted inputs); `build_roadmap`
obtains slopes, performance and targets from the store (cxlens.value.drivers, the touchpoints' journey.yaml
targets) and the value of an NPS point from cxlens.value.scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxlens.errors import AnalysisError, ConfigError, UsageError
from cxlens.model.config import read_config, validation_message

INITIATIVES_FILE = "initiatives.yaml"
MAX_MONTHS = 240
RULES = ("strict", "affordable")


class Initiative(BaseModel):
    """One entry of initiatives.yaml."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="a short unique identifier")
    name: str = Field(min_length=1, description="a readable name")
    touchpoint: str = Field(min_length=1, description="the touchpoint id it improves (journey.yaml)")
    expected_improvement: float = Field(gt=0, description="a number > 0: CSAT points at the touchpoint (unit csat) "
                                                          "or overall NPS points (unit nps)")
    unit: Literal["csat", "nps"] = Field(default="csat", description="csat or nps")
    cost: float = Field(ge=0, description="one-off cost in money, >= 0")
    running_cost: float = Field(default=0.0, ge=0, description="running cost per year in money, >= 0")
    months: int = Field(ge=0, le=120, description="months to deliver, a whole number 0..120")
    owner: str | None = Field(default=None, description="who delivers it")


class _InitiativesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    initiatives: list[dict[str, Any]] = Field(min_length=1, description="a list of initiatives")


def read_initiatives(path: str | Path) -> list[Initiative]:
    """The initiatives of `path` (YAML: `initiatives: [{id, name, touchpoint, expected_improvement, unit, cost,
    running_cost, months, owner}, ...]`). ConfigError names the file, the initiative and the field."""
    raw = read_config(path, _InitiativesFile)
    out, seen = [], set()
    for i, entry in enumerate(raw.initiatives, start=1):
        label = f"initiative {i}" + (f" ('{entry['id']}')" if isinstance(entry, dict) and entry.get("id") else "")
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {label}: expected a mapping of fields (id, name, touchpoint, ...)")
        try:
            item = Initiative.model_validate(entry)
        except ValidationError as exc:
            raise ConfigError(f"{path}: {label}: {validation_message(exc, Initiative)}") from None
        if item.id in seen:
            raise ConfigError(f"{path}: {label}: id: '{item.id}' is used by an earlier initiative; ids must be unique")
        seen.add(item.id)
        out.append(item)
    return out


@dataclass
class Roadmap:
    """plan: one row per initiative, in the order they start (rank); cash_flow: month, cash at the start of
    the month, started (ids), earned that month, cash at its end."""

    plan: pd.DataFrame
    cash_flow: pd.DataFrame
    budget: float
    value_per_nps_point: float
    notes: list[str] = field(default_factory=list)


def roadmap(initiatives: list[Initiative] | pd.DataFrame, drivers: pd.DataFrame, value_per_nps_point: float, *,
            targets: pd.DataFrame | None = None, budget: float | None = None, rule: str = "strict",
            max_months: int = MAX_MONTHS) -> Roadmap:
    """Value, payback and start order of `initiatives`.

    drivers: touchpoint, slope (overall NPS points per CSAT point there) and optionally performance (current
    mean CSAT). targets: touchpoint, target (CSAT target), optional. value_per_nps_point: money per year of one
    overall NPS point. budget: cash at month 0 (None: the cost of the shortest-payback initiative). rule: "strict"
    (payback order; the next waits for the cash) or "affordable" (the shortest payback the cash covers now).
    """
    if rule not in RULES:
        raise UsageError("rule", rule, list(RULES))
    items = _frame(initiatives)
    if budget is not None and budget < 0:
        raise UsageError("budget", budget, message="budget must be >= 0")
    if not np.isfinite(value_per_nps_point):
        raise UsageError("value_per_nps_point", value_per_nps_point, message="value_per_nps_point must be a number")
    d = drivers.set_index("touchpoint")
    csat = items["unit"] == "csat"
    unknown = sorted(set(items.loc[csat, "touchpoint"]) - set(d.index))
    if unknown:
        raise AnalysisError(f"no driver slope for touchpoint(s) {', '.join(unknown)} (initiative(s) "
                            f"{', '.join(items.loc[csat & items.touchpoint.isin(unknown), 'id'])}): the key-driver "
                            f"model covers {', '.join(map(str, d.index)) or 'no touchpoint'}; state the improvement in "
                            "NPS points (unit: nps) or name a covered touchpoint")
    items["slope"] = np.where(csat, items["touchpoint"].map(d["slope"]), np.nan)
    items["nps_gain"] = np.where(csat, items["expected_improvement"] * items["slope"], items["expected_improvement"])
    items["value_per_year"] = items["nps_gain"] * value_per_nps_point
    items["net_value_per_year"] = items["value_per_year"] - items["running_cost"]
    monthly = items["net_value_per_year"] / 12
    items["payback_months"] = np.where(monthly > 0, items["months"] + items["cost"] / monthly.where(monthly > 0),
                                       np.inf)
    items["current"] = items["touchpoint"].map(d["performance"]) if "performance" in d else np.nan
    items["target"] = (items["touchpoint"].map(targets.set_index("touchpoint")["target"])
                       if targets is not None and len(targets) else np.nan)
    items["gap_to_target"] = items["target"] - items["current"]
    items["beyond_target"] = csat & (items["expected_improvement"] > items["gap_to_target"])
    plan, flow, seed_budget = _simulate(items, budget, max_months, rule)
    how = ("initiatives start in payback order, each as soon as the cash covers its cost (a cheaper one goes first "
           "only while nothing has started)" if rule == "strict" else
           "each month the affordable initiative with the shortest payback starts")
    notes = [f"Cash at month 0: {seed_budget:,.0f} ({'given' if budget is not None else 'the cost of the shortest-payback initiative'}); "
             f"{how}; the cost is paid at the start, the net value earned / 12 a month from the end of delivery."]
    if (~np.isfinite(items["payback_months"])).any():
        notes.append("Not scheduled (net value per year <= 0, never pays back): "
                     + ", ".join(items.loc[~np.isfinite(items["payback_months"]), "id"]))
    return Roadmap(plan, flow, seed_budget, float(value_per_nps_point), notes)


_FIELDS = list(Initiative.model_fields)


def _frame(initiatives) -> pd.DataFrame:
    if isinstance(initiatives, pd.DataFrame):
        rows = [Initiative.model_validate({k: v for k, v in r.items() if not (k != "owner" and pd.isna(v))})
                for r in initiatives.to_dict("records")]
    else:
        rows = list(initiatives)
    if not rows:
        raise UsageError("initiatives", rows, message="give at least one initiative")
    ids = [r.id for r in rows]
    if len(set(ids)) < len(ids):
        raise UsageError("initiatives", ids, message="initiative ids must be unique")
    return pd.DataFrame([r.model_dump() for r in rows], columns=_FIELDS)


def _simulate(items: pd.DataFrame, budget: float | None, max_months: int, rule: str) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    payback = items["payback_months"].to_numpy(float)
    cost = items["cost"].to_numpy(float)
    monthly = items["net_value_per_year"].to_numpy(float) / 12
    schedulable = np.isfinite(payback)
    pending = [i for i in np.argsort(payback, kind="stable") if schedulable[i]]
    cash = float(cost[pending[0]]) if budget is None and pending else float(budget or 0.0)
    seed = cash
    start = np.full(len(items), np.nan)
    cash_before = np.full(len(items), np.nan)
    funded_by = np.full(len(items), "", dtype=object)
    budget_left = cash  # what is left of the initial cash, the rest of the cash being earned
    order, flow = [], []
    for t in range(max_months + 1):
        opening, started = cash, []
        while pending:
            affordable = [i for i in pending if cost[i] <= cash + 1e-9]
            if rule == "strict" and order and pending[0] not in affordable:
                break  # the next in payback order waits for the cash the running ones earn
            if not affordable:
                break
            i = affordable[0]
            pending.remove(i)
            start[i], cash_before[i] = t, cash
            funded_by[i] = ("budget" if cost[i] <= budget_left + 1e-9 else
                            "earlier initiatives" if budget_left <= 1e-9 else "budget and earlier initiatives")
            budget_left = max(0.0, budget_left - cost[i])
            cash -= cost[i]
            order.append(i)
            started.append(str(items.at[i, "id"]))
        live = ~np.isnan(start) & (start + items["months"].to_numpy() <= t)
        earned = float(monthly[live].sum())
        cash += earned
        flow.append({"month": t, "cash_start": opening, "started": ", ".join(started), "earned": earned, "cash_end": cash})
        if not pending or (earned <= 0 and not (~np.isnan(start) & ~live).any() and
                           not any(cost[i] <= cash + 1e-9 for i in pending)):
            break
    rest = [i for i in np.argsort(payback, kind="stable") if i not in order]
    plan = items.iloc[order + rest].copy()
    plan["start_month"] = start[order + rest]
    plan["live_month"] = plan["start_month"] + plan["months"]
    plan["cash_before"] = cash_before[order + rest]
    plan["funded_by"] = funded_by[order + rest]
    plan["status"] = np.where(~np.isnan(plan["start_month"]), "scheduled",
                              np.where(np.isfinite(plan["payback_months"]), "not funded", "never pays back"))
    plan.insert(0, "rank", np.arange(1, len(plan) + 1))
    return plan.reset_index(drop=True), pd.DataFrame(flow), seed


def touchpoint_targets(store, metric: str = "csat") -> pd.DataFrame:
    """touchpoint, target: each touchpoint's `metric` target from journey.yaml (the touchpoints table)."""
    import json

    t = store.table("touchpoints").select("touchpoint_id", "targets").execute()
    rows = [(tp, json.loads(v).get(metric)) for tp, v in zip(t["touchpoint_id"], t["targets"]) if isinstance(v, str) and v]
    return pd.DataFrame([(tp, float(v)) for tp, v in rows if v is not None], columns=["touchpoint", "target"])


def driver_slopes(store, scope=None, *, touchpoints=None, n_boot: int = 0) -> pd.DataFrame:
    """touchpoint, slope (overall NPS points per CSAT point), performance, weight: the key drivers
    (cxlens.value.drivers.nps_drivers, its default choice plus `touchpoints`) turned into a regression slope.

    Slope: the multiple regression of the customer's mean NPS answer on their mean CSAT per touchpoint, from the
    same pairwise-complete correlations the drivers use (beta_std = Rxx^-1 rxy; slope = beta_std sd_y / sd_x),
    in NPS score points per CSAT point; times 100 (p6 + p8), the overall NPS points one score point is worth when
    every score moves up one point (the 6s leave the detractors, the 8s join the promoters; first order), with
    p6, p8 the shares of scores 6 and 8 among the customers' relationship answers; times the touchpoint's
    coverage (share of NPS respondents who answered there), since only its users feel an improvement there."""
    from cxlens.query import Scope
    from cxlens.stats.importance import pairwise_correlation
    from cxlens.value.drivers import driver_frame, nps_drivers

    scope = scope if scope is not None else Scope()
    table = nps_drivers(store, scope, n_boot=n_boot)  # the drivers chosen by coverage, then the ones asked for
    names = table["driver"].astype(str).tolist()
    missing = [t for t in (touchpoints or ()) if t not in names]
    if missing:
        table = nps_drivers(store, scope, touchpoints=names + missing, n_boot=n_boot)
        names = table["driver"].astype(str).tolist()
    frame = driver_frame(store, scope, touchpoints=names)
    data = frame[names + ["y"]].to_numpy(float)
    corr, _ = pairwise_correlation(data)
    corr = np.nan_to_num(corr)
    beta = np.linalg.solve(corr[:-1, :-1] + 1e-9 * np.eye(len(names)), corr[:-1, -1])  # Johnson 2000: rxx^-1 rxy
    sd = np.nanstd(data, axis=0, ddof=1)
    score_slope = beta * sd[-1] / sd[:-1]
    scores = np.round(frame["y"].dropna().to_numpy())  # mean answers rounded: most customers answered once
    per_point = 100 * (np.mean(scores == 6) + np.mean(scores == 8))
    coverage = table["coverage"].to_numpy(float)  # only the customers who use the touchpoint feel the improvement
    return pd.DataFrame({"touchpoint": names, "slope": score_slope * per_point * coverage, "score_slope": score_slope,
                         "coverage": coverage, "performance": table["performance"].to_numpy(),
                         "weight": table["weight"].to_numpy()})


def value_per_nps_point(frame: pd.DataFrame, config=None, *, share: float = 0.10, seed: int = 0) -> float:
    """Money per year of one overall NPS point: the scenario value of moving `share` of detractors to passive
    (cxlens.value.scenario, no interval) divided by the NPS points that move is worth (100 x customers moved /
    customers with an NPS group among those active at the latest month)."""
    from cxlens.value.scenario import scenario

    out = scenario(frame, [("detractor", "passive", share)], config=config, by=(), n_boot=0, seed=seed)
    row = out.iloc[0]
    last = frame[(frame["m"] == frame["m"].max()) & (frame["churned"] == 0)]
    base = int(last["last_nps_group"].isin(["detractor", "passive", "promoter"]).sum())
    if base == 0 or row["customers_moved"] <= 0:
        raise AnalysisError("no active customer with an NPS answer at the latest month: no value per NPS point")
    return float(row["value_per_year"] / (100 * row["customers_moved"] / base))


def build_roadmap(store, scope=None, initiatives: list[Initiative] | None = None, config=None, *,
                  budget: float | None = None, rule: str = "strict", answer_months: int = 2) -> Roadmap:
    """`roadmap` with its inputs from the store: driver slopes and performance (key drivers), CSAT targets
    (journey.yaml) and the value of an NPS point (scenario on the customer-month frame)."""
    from cxlens.query import Scope
    from cxlens.value.dataset import customer_month_frame

    scope = scope if scope is not None else Scope()
    if not initiatives:
        raise UsageError("initiatives", initiatives, message="give at least one initiative")
    touchpoints = sorted({i.touchpoint for i in initiatives if i.unit == "csat"})
    drivers = driver_slopes(store, scope, touchpoints=touchpoints or None)
    frame = customer_month_frame(store, scope, answer_months=answer_months)
    per_point = value_per_nps_point(frame, config)
    result = roadmap(initiatives, drivers, per_point, targets=touchpoint_targets(store), budget=budget, rule=rule)
    result.notes.append(f"One overall NPS point is worth {per_point:,.0f} a year (scenario: 10% of detractors moved "
                        "to passive, per NPS point it adds); slopes: key-driver regression of NPS on touchpoint CSAT.")
    return result
