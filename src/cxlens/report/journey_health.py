"""Each touchpoint's health for the journey map: its measured figures against its targets, one colour per card.

The figures are the scorecard's (`cxlens.metrics.scorecard`): the same NPS, CSAT and CES with the same
intervals, the same targets from journey.yaml and the same expectation gap, so the map never disagrees with
the scorecard table. The map adds only the reading of those figures as one health state per touchpoint:

- "below target significantly": for some target, the whole 95% interval lies below it;
- "below target": an estimate misses a target but its interval still reaches it (may be noise);
- "meets target": every estimate reaches its target, not all beyond noise;
- "above target significantly": every target is beaten by the whole interval;
- "no target": measured, but journey.yaml sets no target the scorecard measures;
- "no data": fewer than `min_n` answers on every metric with a target (or on NPS and CSAT without one), or
  figures from fewer than `min_group` customers, which are not published (`too_few`: the card says so).

The worst state over a touchpoint's targets wins, as in the scorecard's status.
"""

from __future__ import annotations

import math

import pandas as pd

from cxlens.metrics.scorecard import TARGET_COLUMNS, scorecard
from cxlens.query import Scope
from cxlens.query.needs import missing
from cxlens.report.published import published_scorecard

ABOVE_SIG, MEETS, BELOW, BELOW_SIG = ("above target significantly", "meets target", "below target",
                                      "below target significantly")
NO_TARGET, NO_DATA = "no target", "no data"
HEALTH_STATES = (BELOW_SIG, BELOW, MEETS, ABOVE_SIG, NO_TARGET, NO_DATA)  # legend order
_SEVERITY = {ABOVE_SIG: 0, MEETS: 1, BELOW: 2, BELOW_SIG: 3}
# target metric -> the scorecard column counting its answers
_N_COLUMN = {"nps": "n_nps", "csat": "n_csat", "csat_top2": "n_csat", "ces": "n_ces", "ces_low_effort": "n_ces",
             "resolution_rate": "tickets", "fcr": "tickets"}
_TOUCHPOINT_COLUMNS = ["touchpoint", "name", "stage", "stage_order", "channel", "owner", "moment_of_truth"]
_FIGURES = ["n_nps", "nps", "nps_ci_low", "nps_ci_high", "n_csat", "csat", "csat_ci_low", "csat_ci_high",
            "expectation_gap", "expectation_gap_ci_low", "expectation_gap_ci_high", "targets"]


def metric_health(value: float | None, low: float | None, high: float | None, target: float) -> str:
    """One metric against its target: above/below significantly when the whole interval [low, high] lies beyond it,
    else meets (estimate reaches it) or below (estimate misses it, within noise)."""
    if _present(low) and low > target:
        return ABOVE_SIG
    if _present(high) and high < target:
        return BELOW_SIG
    return MEETS if value >= target else BELOW


def touchpoint_health(store, scope: Scope = Scope(), *, min_n: int = 30, min_group: int = 5) -> pd.DataFrame:
    """One row per touchpoint of the journey map, in stage order: what the map card shows.

    Columns: touchpoint, name, stage, stage_order, channel, owner, moment_of_truth, the scorecard's NPS and CSAT
    (n, estimate, 95% interval), expectation_gap with its interval, targets, health (one of HEALTH_STATES),
    health_detail (each target's reading) and gap_shortfall (the expectation gap's interval lies below 0).
    `scope`: dates and filters of the answers (no by/period: the map is per touchpoint). Figures of fewer than
    `min_group` customers (and their complements) are suppressed as in the scorecard; `too_few` marks the cards
    that lost a figure to it.
    """
    t = store.table("touchpoints")
    tps = t.select(touchpoint=t.touchpoint_id, name=t.name, stage=t.stage, stage_order=t.stage_order,
                   channel=t.channel, owner=t.owner, moment_of_truth=t.moment_of_truth).execute()
    tps["moment_of_truth"] = tps["moment_of_truth"].fillna(False).astype(bool)
    if missing(store, "responses") is None or missing(store, "tickets") is None:
        measured = scorecard(store, scope, min_n=min_n)
        card, _ = published_scorecard(measured, "touchpoint", min_group)
        lost = pd.Series(False, index=card.index)
        for n in ("n_nps", "n_csat", "n_ces", "expectation_gap"):
            if n in card:
                lost |= measured[n].notna() & card[n].isna()
        card = card.assign(too_few=lost.to_numpy())
        out = tps.merge(card.drop(columns=[c for c in _TOUCHPOINT_COLUMNS if c != "touchpoint" and c in card]),
                        on="touchpoint", how="left")
    else:  # nothing measured yet: every card is "no data"
        out = tps.assign(**{c: math.nan for c in _FIGURES})
        out["targets"] = [{} for _ in range(len(out))]
    out["targets"] = out["targets"].map(lambda v: v if isinstance(v, dict) else {})
    out["too_few"] = out["too_few"].fillna(False).astype(bool) if "too_few" in out else False
    readings = [_reading(r, min_n) for r in out.to_dict("records")]
    out["health"] = [h for h, _ in readings]
    out["health_detail"] = [d for _, d in readings]
    high = out.get("expectation_gap_ci_high", pd.Series(math.nan, index=out.index))
    out["gap_shortfall"] = high.astype(float).lt(0).fillna(False).astype(bool)
    return out.sort_values(["stage_order", "touchpoint"], kind="stable").reset_index(drop=True)


def _reading(row: dict, min_n: int) -> tuple[str, str]:
    """(health, detail) of one touchpoint's scorecard row."""
    targets = {m: float(v) for m, v in row["targets"].items() if m in TARGET_COLUMNS}
    judged = {m: v for m, v in targets.items() if _n(row, _N_COLUMN[m]) >= min_n and _present(row.get(TARGET_COLUMNS[m][0]))}
    if not judged:
        measured = max(_n(row, "n_nps"), _n(row, "n_csat")) >= min_n
        if row.get("too_few") and (targets or not measured):
            return NO_DATA, "too few customers to publish its figures"
        if targets or not measured:
            return NO_DATA, f"fewer than {min_n} answers" + (" on its targets' metrics" if targets else "")
        return NO_TARGET, "journey.yaml sets no target"
    worst, details = ABOVE_SIG, []
    for metric, target in judged.items():
        col, low, high = TARGET_COLUMNS[metric]
        state = metric_health(row[col], row.get(low), row.get(high), target)
        details.append(f"{metric} {row[col]:.2f} vs {target:g}: {state}")
        worst = state if _SEVERITY[state] > _SEVERITY[worst] else worst
    return worst, "; ".join(details)


def _n(row: dict, column: str) -> int:
    value = row.get(column)
    return int(value) if _present(value) else 0


def _present(value) -> bool:
    return value is not None and value is not pd.NA and not (isinstance(value, float) and math.isnan(value))
