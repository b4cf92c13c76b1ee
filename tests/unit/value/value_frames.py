"""Synthetic customer-month frames (the cxlens.value.dataset contract) with a planted link from NPS group to
churn and value, and the brute-force value of a move computed from the planted equations."""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUPS = ("detractor", "passive", "promoter")
SEGMENTS = {"consumer": {"hazard": 0.02, "revenue": 30.0, "cost": 5.0, "upgrades": 0.02, "referrals": 0.03},
            "business": {"hazard": 0.01, "revenue": 80.0, "cost": 9.0, "upgrades": 0.03, "referrals": 0.02}}
# multipliers of the promoter level by group (churn per year: the link drifts; value: per segment)
CHURN = {2024: {"detractor": 2.0, "passive": 1.4, "promoter": 1.0},
         2025: {"detractor": 4.0, "passive": 1.8, "promoter": 1.0}}
LINK = {"consumer": {"revenue": {"detractor": 0.9, "passive": 0.96, "promoter": 1.0},
                     "cost": {"detractor": 1.5, "passive": 1.2, "promoter": 1.0},
                     "upgrades": {"detractor": 0.4, "passive": 0.7, "promoter": 1.0},
                     "referrals": {"detractor": 0.1, "passive": 0.35, "promoter": 1.0}},
        "business": {"revenue": {"detractor": 0.8, "passive": 0.92, "promoter": 1.0},
                     "cost": {"detractor": 1.8, "passive": 1.3, "promoter": 1.0},
                     "upgrades": {"detractor": 0.3, "passive": 0.6, "promoter": 1.0},
                     "referrals": {"detractor": 0.05, "passive": 0.3, "promoter": 1.0}}}
PLAN_HAZARD = {"monthly": 1.3, "annual": 0.8}


def planted_frame(n: int = 4000, seed: int = 1, churn=CHURN, answer_share: float = 1.0) -> pd.DataFrame:
    """24 months (2024-01..2025-12); each customer's group is redrawn each quarter (a persistent tendency plus
    noise) and answered in the quarter's first month with probability answer_share; the answer describes the
    next two months (nps_group), as in the demo company. Hazard = base[segment] x plan factor x churn[year][group]."""
    rng = np.random.default_rng(seed)
    seg = rng.choice(list(SEGMENTS), n, p=[0.7, 0.3])
    plan = rng.choice(list(PLAN_HAZARD), n)
    tenure0 = rng.integers(0, 60, n)
    tend = rng.normal(0, 1, n)
    rows = []
    for i in range(n):
        s, p = SEGMENTS[seg[i]], PLAN_HAZARD[plan[i]]
        last_group, last_m, group = None, None, None
        for k in range(24):
            year = 2024 + k // 12
            if k % 3 == 0:
                z = tend[i] + rng.normal(0, 0.8)
                group = GROUPS[0] if z < -0.5 else GROUPS[2] if z > 0.7 else GROUPS[1]
                answered = rng.random() < answer_share
            recent = group if (answered and k % 3 != 0) else None
            h = s["hazard"] * p * churn[year][group]
            churned = int(k > 0 and rng.random() < h)
            lk = LINK[seg[i]]
            active = 1 - churned
            rows.append((f"c{i}", f"{year}-{k % 12 + 1:02d}", 2024 * 12 + k, year, int(tenure0[i] + k), seg[i], plan[i],
                         "north", churned,
                         active * s["revenue"] * lk["revenue"][group] * rng.lognormal(-0.0072, 0.12),
                         active * s["cost"] * lk["cost"][group] * rng.lognormal(-0.03125, 0.25),
                         float(active * rng.poisson(s["upgrades"] * lk["upgrades"][group])),
                         float(active * rng.poisson(s["referrals"] * lk["referrals"][group])),
                         recent, last_group))
            if answered and k % 3 == 0:
                last_group = group
            if churned:
                break
    cols = ["customer_id", "month", "m", "year", "tenure", "segment", "plan", "region", "churned", "revenue",
            "cost_to_serve", "upgrades", "referrals", "nps_group", "last_nps_group"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["last_nps_group"] = frame["last_nps_group"].astype(object)
    return frame


def planted_value(frame: pd.DataFrame, source: str, target: str, share: float, *, year: int = 2025,
                  upgrade_value: float = 0.0, referral_value: float = 0.0, by_segment: bool = False):
    """Brute force from the planted equations: for every customer active at the last month whose latest answer
    is `source`, 12 months of S(t) x (revenue - cost + upgrades x u + referrals x r) under target minus under
    source; share x the sum over them (per segment when by_segment)."""
    last = frame[(frame["m"] == frame["m"].max()) & (frame["churned"] == 0) & (frame["last_nps_group"] == source)]
    out: dict[str, float] = {}
    for _, row in last.iterrows():
        s, lk, p = SEGMENTS[row["segment"]], LINK[row["segment"]], PLAN_HAZARD[row["plan"]]
        total = 0.0
        for g, sign in ((target, 1), (source, -1)):
            h = s["hazard"] * p * CHURN[year][g]
            monthly = (s["revenue"] * lk["revenue"][g] - s["cost"] * lk["cost"][g]
                       + upgrade_value * s["upgrades"] * lk["upgrades"][g] + referral_value * s["referrals"] * lk["referrals"][g])
            survival = (1 - h) ** np.arange(1, 13)
            total += sign * (survival * monthly).sum()
        key = row["segment"] if by_segment else "(all)"
        out[key] = out.get(key, 0.0) + share * total
    return out


def demo_frame(store, files) -> pd.DataFrame:
    """The customer-month frame of a loaded demo store (`demo_store_copy`), after loading its outcomes."""
    from cxlens.ingest import load
    from cxlens.value.dataset import customer_month_frame

    load(store, files.tables()["outcomes"], "outcomes")
    return customer_month_frame(store)
