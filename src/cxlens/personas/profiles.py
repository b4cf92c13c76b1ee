"""Persona profiles: size, NPS, value, needs, channels and the touchpoints where each persona is least satisfied.

Computed from the customer view (its `persona_id` column comes from table `personas`) when shown, so a profile
always reflects the data as it is now (after new loads or an erasure). Personas with fewer than `min_group`
customers are not shown (privacy.suppress's threshold rule); the count of hidden ones is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from cxlens.personas.features import theme_lists
from cxlens.query.rows import overall_answers
from cxlens.stats import nps_counts, nps_from_counts, nps_interval, wilson

TOP = 3  # themes, channels and touchpoints listed per persona


@dataclass
class Profile:
    """What a persona card shows."""

    persona_id: str
    name: str
    description: str
    customers: int
    share: float
    share_low: float
    share_high: float
    nps: float | None
    nps_low: float | None
    nps_high: float | None
    nps_answers: int
    revenue_month: float | None
    cost_to_serve_month: float | None
    needs: list[tuple[str, float]] = field(default_factory=list)      # theme, share of the persona's commenters
    channels: list[tuple[str, float]] = field(default_factory=list)   # top channel, share of the persona
    least_satisfied: list[tuple[str, float, int]] = field(default_factory=list)  # touchpoint, mean CSAT, answers

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["needs"] = [{"theme": t, "share": s} for t, s in self.needs]
        out["channels"] = [{"channel": c, "share": s} for c, s in self.channels]
        out["least_satisfied"] = [{"touchpoint": t, "csat": m, "answers": n} for t, m, n in self.least_satisfied]
        return out


def _mean(x: pd.Series) -> float | None:
    x = pd.to_numeric(x, errors="coerce")
    return None if x.isna().all() else float(x.mean())


def touchpoint_csat(store, min_group: int) -> pd.DataFrame:
    """Mean overall CSAT per persona and touchpoint (answers joined to table `personas` in the engine), cells
    answered by at least `min_group` customers: persona_id, touchpoint_id, csat, answers, customers."""
    r = overall_answers(store.table("responses"))
    r = r.filter(r.metric == "csat")
    p = store.table("personas").select("customer_id", "persona_id")
    j = r.join(p, "customer_id")
    cells = j.group_by(["persona_id", "touchpoint_id"]).aggregate(
        csat=j.score.cast("float64").mean(), answers=j.count(), customers=j.customer_id.nunique())
    return store.execute(cells.filter(cells.customers >= ibis.literal(min_group)))


def profiles(frame: pd.DataFrame, summary: dict, csat: pd.DataFrame | None, min_group: int,
             level: float = 0.95) -> tuple[list[Profile], int]:
    """The profile of each persona of `summary` with at least `min_group` customers in `frame`, and how many were
    hidden for being smaller. `frame` is the customer view (with persona_id); `csat` from touchpoint_csat."""
    frame = frame[frame["persona_id"].notna()]
    total = len(frame)
    out, hidden = [], 0
    for p in summary["personas"]:
        mine = frame[frame["persona_id"] == p["persona_id"]]
        n = len(mine)
        if n < min_group:
            hidden += 1
            continue
        low, high = wilson(n, total, level)
        scores = pd.to_numeric(mine.get("nps_latest", pd.Series(dtype=float)), errors="coerce").dropna().to_numpy()
        answers, promoters, detractors = nps_counts(scores) if len(scores) else (0, 0, 0)
        if answers >= min_group:
            nps = float(nps_from_counts(answers, promoters, detractors)[0])
            ci = nps_interval(answers, promoters, detractors, level=level)
            nps_low, nps_high = float(ci.low[0]), float(ci.high[0])
        else:
            nps = nps_low = nps_high = None
        lists = theme_lists(mine)
        commenters = int(lists.map(bool).sum())
        needs = []
        if commenters >= min_group:
            counts = pd.Series([t for ts in lists for t in ts], dtype="string").value_counts()
            needs = [(str(t), float(c) / commenters) for t, c in counts.head(TOP).items() if c >= min_group]
        channels = []
        if "top_channel" in mine:
            counts = mine["top_channel"].dropna().astype(str).value_counts()
            channels = [(c, float(k) / n) for c, k in counts.head(TOP).items() if k >= min_group]
        worst = []
        if csat is not None and len(csat):
            cells = csat[csat.persona_id == p["persona_id"]].sort_values(["csat", "touchpoint_id"]).head(TOP)
            worst = [(str(r.touchpoint_id), float(r.csat), int(r.answers)) for r in cells.itertuples()]
        out.append(Profile(p["persona_id"], p["name"], p["description"], n, n / total if total else np.nan,
                           float(low[0]), float(high[0]), nps, nps_low, nps_high, int(answers),
                           _mean(mine.get("revenue_month", pd.Series(dtype=float))),
                           _mean(mine.get("cost_to_serve_month", pd.Series(dtype=float))), needs, channels, worst))
    return out, hidden
