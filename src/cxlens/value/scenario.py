"""What experience is worth: the money per year of moving X% of one NPS group's customers to a better group.

G-computation (Robins 1986, Math Model 7:1393; Hernan & Robins, Causal Inference: What If, ch. 13): fit
outcome models (cxlens.value.outcome_models: monthly churn, revenue, cost to serve, upgrades, referrals,
adjusted for segment, plan and tenure), then for the customers whose latest answer puts them in the `from`
group predict 12 months of expected value under their own group and under the `to` group:
sum over months t of S(t) x (revenue - cost + upgrades x upgrade_value + referrals x referral_value), S(t)
the predicted survival through month t. Value per year = share x customers x mean difference. The interval
re-draws customers with replacement, refits every model and recomputes (percentile bootstrap); the E-value
(VanderWeele & Ding 2017) says how strong an unmeasured confounder would have to be to explain the
12-month churn risk ratio away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.model.config import ValueConfig
from cxlens.stats.poisson import e_value, e_value_bound
from cxlens.value.outcome_models import GROUPS, CellData, build_cells, fit_models, predict_months

HORIZON = 12  # months: the value is per year
ALL = "(all)"
COMPONENTS = ("revenue_value", "retained_revenue", "cost_value", "upgrades_value", "referrals_value",
              "extra_active_months", "churn_risk_from", "churn_risk_to")


@dataclass(frozen=True)
class Move:
    """Move `share` (0-1) of the customers in group `source` to the better group `target`."""

    source: str
    target: str
    share: float

    @property
    def label(self) -> str:
        return f"{self.source}->{self.target}"


def parse_move(text: str) -> Move:
    """'detractor:passive:5%' (or a share as a fraction, 'detractor:passive:0.05') -> Move."""
    parts = [p.strip() for p in str(text).split(":")]
    if len(parts) != 3:
        raise UsageError("move", text, message=f"move={text!r}: write FROM:TO:SHARE, e.g. detractor:passive:5%")
    share = parts[2]
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(%?)", share)
    if not m:
        raise UsageError("move", text, message=f"move={text!r}: the share '{share}' is not a number (e.g. 5% or 0.05)")
    value = float(m.group(1)) / (100 if m.group(2) else 1)
    return check_move(Move(parts[0], parts[1], value), text)


def check_move(move: Move | tuple, text: object = None) -> Move:
    """Validate group names, their order (detractor < passive < promoter) and 0 < share <= 1."""
    move = move if isinstance(move, Move) else Move(*move)
    text = text if text is not None else f"{move.source}:{move.target}:{move.share}"
    for name in (move.source, move.target):
        if name not in GROUPS:
            raise UsageError("move", text, GROUPS, message=f"move={text!r}: unknown group '{name}'; use detractor, passive or promoter")
    if GROUPS.index(move.source) >= GROUPS.index(move.target):
        raise UsageError("move", text, message=f"move={text!r}: a move goes to a better group (detractor < passive < promoter)")
    if not 0 < move.share <= 1:
        raise UsageError("move", text, message=f"move={text!r}: the share must lie in (0, 100%]")
    return move


def _targets(frame: pd.DataFrame, cells: CellData, by: tuple[str, ...]) -> pd.DataFrame:
    """Customers active at the frame's last month, with their latest group and covariate codes."""
    last = frame[frame["m"] == frame["m"].max()] if "m" in frame.columns else frame[frame["month"] == frame["month"].max()]
    last = last[(last["churned"] == 0) & last["last_nps_group"].isin(GROUPS)]
    design = cells.design
    out = pd.DataFrame({"cust": np.searchsorted(cells.customers, last["customer_id"].astype(str).to_numpy()),
                        "group": last["last_nps_group"].to_numpy(), "tenure": last["tenure"].to_numpy()})
    for col, levels in design.levels.items():
        codes = pd.Categorical(last[col].astype(str), categories=levels).codes
        out[col] = codes
    # a customer whose segment or plan never appears among the modelled months has no prediction
    known = (out[list(design.levels)] >= 0).all(axis=1)
    out = out[known.to_numpy()]
    return out


class _Plan:
    """Target cells of one move: who is in the source group, by covariate pattern, and their report level."""

    def __init__(self, targets: pd.DataFrame, move: Move, cells: CellData, by: tuple[str, ...]):
        t = targets[targets["group"] == move.source]
        if t.empty:
            raise AnalysisError(f"no active customer's latest NPS answer is in the {move.source} group, so there is "
                                "no one to move")
        keys = ["tenure"] + list(cells.design.levels)
        cell = t.groupby(keys, sort=True).ngroup().to_numpy()
        first = t.groupby(cell).first()
        self.codes = {c: first[c].to_numpy() for c in keys}
        self.n_cells = len(first)
        from scipy import sparse
        self.matrix = sparse.csr_matrix((np.ones(len(t)), (t["cust"].to_numpy(), cell)),
                                        shape=(len(cells.customers), self.n_cells))  # (G, K): customer's target cell
        levels = [tuple(cells.design.levels[c][i] for c, i in zip(by, vals)) for vals in zip(*(self.codes[c] for c in by))] \
            if by else [()] * self.n_cells
        self.levels = sorted(set(levels))
        self.level_of = np.array([self.levels.index(x) for x in levels]) if by else np.zeros(self.n_cells, dtype=int)


def _per_cell(models, design, plan: _Plan, move: Move, config: ValueConfig) -> dict[str, np.ndarray]:
    """Per target cell: 12-month totals per customer moved (the components and their sum)."""
    a = predict_months(models, design, plan.codes, move.source, HORIZON)
    b = predict_months(models, design, plan.codes, move.target, HORIZON)
    sa, sb = a["survival"], b["survival"]

    def delta(metric):
        return (sb * b[metric] - sa * a[metric]).sum(axis=1)

    out = {"revenue_value": delta("revenue"),
           "retained_revenue": ((sb - sa) * a["revenue"]).sum(axis=1),
           "cost_value": -delta("cost_to_serve"),
           "upgrades_value": config.upgrade_value * delta("upgrades"),
           "referrals_value": config.referral_value * delta("referrals"),
           "extra_active_months": (sb - sa).sum(axis=1),
           "churn_risk_from": 1 - sa[:, -1], "churn_risk_to": 1 - sb[:, -1]}
    out["value"] = out["revenue_value"] + out["cost_value"] + out["upgrades_value"] + out["referrals_value"]
    return out


def _summarise(per_cell: dict[str, np.ndarray], counts: np.ndarray, plan: _Plan, share: float) -> np.ndarray:
    """(levels + 1, 2 + len(COMPONENTS) + 1): customers, value per year, components per customer moved, risk
    ratio; the last row is every level together."""
    rows = []
    groups = [plan.level_of == i for i in range(len(plan.levels))] + [np.ones(plan.n_cells, dtype=bool)]
    for sel in groups:
        n = counts[sel].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = {k: (v[sel] * counts[sel]).sum() / n for k, v in per_cell.items()}
            rr = mean["churn_risk_from"] / mean["churn_risk_to"]
        rows.append([n, share * n * mean["value"]] + [mean[c] for c in COMPONENTS] + [rr])
    return np.array(rows, dtype=float)


def scenario(frame: pd.DataFrame, moves, *, config: ValueConfig | None = None, by: tuple[str, ...] = ("segment",),
             n_boot: int = 200, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Value per year of each move, overall and per level of `by`, with a percentile bootstrap interval.

    frame: the customer-month frame (cxlens.value.dataset.customer_month_frame). moves: Move objects,
    (source, target, share) tuples or 'detractor:passive:5%' strings. Returns one row per (move, level),
    the overall row (level '(all)') first per move, with customers_in_group, customers_moved,
    value_per_year, ci_low, ci_high, currency, value_per_customer, the components per customer moved
    (revenue_value = retained_revenue + change in revenue per active month; cost_value: cost saved;
    upgrades_value, referrals_value; extra_active_months; churn_risk_from/to over 12 months),
    risk_ratio (12-month churn risk, from / to), rr_ci_low, rr_ci_high, e_value, e_value_ci.
    attrs: notes (method, interval, E-value sentence), n_boot, failed_boot.
    """
    config = config or ValueConfig()
    by = tuple(by)
    moves = [parse_move(m) if isinstance(m, str) else check_move(m) for m in moves]
    if not moves:
        raise UsageError("moves", moves, message="give at least one move, e.g. detractor:passive:5%")
    if n_boot < 0:
        raise UsageError("n_boot", n_boot, message="n_boot must be 0 (no interval) or more")
    cells = build_cells(frame, by)
    targets = _targets(frame, cells, by)
    plans = [_Plan(targets, m, cells, by) for m in moves]
    design = cells.design

    def evaluate(models, weights):
        out = []
        for move, plan in zip(moves, plans):
            counts = plan.matrix.T @ weights
            out.append(_summarise(_per_cell(models, design, plan, move, config), counts, plan, move.share))
        return out

    ones = np.ones(len(cells.customers))
    point = evaluate(fit_models(cells), ones)
    rng = np.random.default_rng(seed)
    draws, failed = [], 0
    g = len(cells.customers)
    for _ in range(n_boot):
        w = rng.multinomial(g, np.full(g, 1 / g)).astype(float)
        try:
            draws.append(evaluate(fit_models(cells, w), w))
        except (AnalysisError, np.linalg.LinAlgError):
            failed += 1
    if n_boot and failed > 0.05 * n_boot:
        raise AnalysisError(f"{failed} of {n_boot} bootstrap refits failed; the groups are too small for an interval")
    alpha = (1 - level) / 2
    records = []
    for mi, (move, plan) in enumerate(zip(moves, plans)):
        est = point[mi]
        boot = np.array([d[mi] for d in draws]) if draws else np.full((1,) + est.shape, np.nan)
        lo, hi = (np.nanquantile(boot, [alpha, 1 - alpha], axis=0) if draws else (boot[0], boot[0]))
        labels = list(plan.levels) + [None]
        order = [len(labels) - 1] + (list(range(len(labels) - 1)) if by else [])  # overall first
        for i in order:
            row = {"move": move.label, "share": move.share}
            for j, col in enumerate(by):
                row[col] = ALL if labels[i] is None else labels[i][j]
            n = est[i, 0]
            row.update({"customers_in_group": int(round(n)), "customers_moved": move.share * n,
                        "value_per_year": est[i, 1], "ci_low": lo[i, 1], "ci_high": hi[i, 1],
                        "currency": config.currency,
                        "value_per_customer": est[i, 1] / (move.share * n) if n else np.nan})
            row.update({c: est[i, 2 + k] for k, c in enumerate(COMPONENTS)})
            rr, rr_lo, rr_hi = est[i, -1], lo[i, -1], hi[i, -1]
            row.update({"risk_ratio": rr, "rr_ci_low": rr_lo, "rr_ci_high": rr_hi,
                        "e_value": float(e_value(rr)), "e_value_ci": float(e_value_bound(rr_lo, rr_hi))})
            records.append(row)
    out = pd.DataFrame.from_records(records)
    out.attrs.update({"n_boot": n_boot, "failed_boot": failed, "latest_year": design.latest_year,
                      "notes": _notes(out, config, n_boot, failed, level, design.latest_year, by)})
    return out


def e_value_sentence(row) -> str:
    """The E-value of a scenario row, said in words (VanderWeele & Ding 2017)."""
    return (f"{row['move']}: the 12-month churn risk ratio is {row['risk_ratio']:.2f} (interval "
            f"{row['rr_ci_low']:.2f}-{row['rr_ci_high']:.2f}); an unmeasured confounder would need a risk ratio of "
            f"at least {row['e_value']:.2f} with both the NPS group and churn, beyond segment, plan and tenure, to "
            f"explain it away, and {row['e_value_ci']:.2f} to move the interval to include 1 (E-value, VanderWeele "
            "& Ding 2017).")


def _notes(out: pd.DataFrame, config: ValueConfig, n_boot: int, failed: int, level: float, year, by) -> list[str]:
    notes = [f"G-computation: log-link models of monthly churn, revenue, cost to serve, upgrades and referrals on "
             f"customer-months with a recent NPS answer (group, segment, plan, tenure band, calendar year, group x year"
             f"{''.join(f', group x {c}' for c in by)}); 12 months ahead under each group with the {year} link; value = "
             f"share x customers x mean difference of survival-weighted monthly value (revenue - cost + upgrades x "
             f"{config.upgrade_value:g} + referrals x {config.referral_value:g} {config.currency}).",
             f"Customers: active in the last month, in the group of their latest answer. Interval: {level:.0%} percentile "
             f"bootstrap over customers ({n_boot} refits" + (f", {failed} failed" if failed else "") + ")."]
    for _, row in out[out[by[0]] == ALL].iterrows() if by else out.iterrows():
        notes.append(e_value_sentence(row))
    return notes
