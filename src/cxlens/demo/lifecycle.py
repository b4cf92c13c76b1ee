"""Relationship NPS latent, churn and monthly outcomes: where experience turns into value.

The chain is persona -> experiences -> quarterly NPS latent (plus comment themes) -> NPS group ->
monthly churn hazard (with the moments-of-truth tickets and the year drift) and monthly value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxlens.demo import params as P
from cxlens.demo.journey_spec import MU, TP_INDEX
from cxlens.demo.journeys import HOUR, _grid
from cxlens.demo.population import DAY, MONTH_START, Population
from cxlens.demo.tickets import Tickets
from cxlens.stats import is_detractor, is_promoter

GROUPS = ("detractor", "passive", "promoter")


@dataclass
class Lifecycle:
    """Quarterly NPS latent and themes, churn month/time, and monthly outcome columns."""

    nps_latent: np.ndarray     # (n, QUARTERS) incl. theme shifts
    themes: np.ndarray         # (n, QUARTERS, len(THEMES)) bool: themes of the quarter's comment
    commented: np.ndarray      # (n, QUARTERS) bool: the customer would write a comment that quarter
    churn_month: np.ndarray    # month index of churn, MONTHS if still active at the end
    churn_ts: np.ndarray       # seconds since EPOCH, a large value if never
    outcomes: dict[str, np.ndarray]


def nps_group(score: np.ndarray) -> np.ndarray:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10)."""
    return np.where(is_detractor(score), 0, np.where(is_promoter(score), 2, 1))


def nps_score(latent: np.ndarray) -> np.ndarray:
    """The 0-10 answer a customer gives for a latent value."""
    return np.clip(np.rint(latent), 0, 10)


def _themes(rng: np.random.Generator, pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Per customer-quarter: whether a comment is written and which 1-2 themes it mentions."""
    n, nq, nt = pop.n, P.QUARTERS, len(P.THEMES)
    weights = np.array([[1.0 + p["themes"].get(t, 0) for t in P.THEMES] for p in P.PERSONAS])[pop.persona]
    commented = rng.random((n, nq)) < P.NPS_COMMENT_SHARE
    themes = np.zeros((n, nq, nt), dtype=bool)
    w = np.repeat(weights[:, None, :], nq, axis=1)
    for second in (False, True):
        cum = np.cumsum(w, axis=2)
        pick = (rng.random((n, nq, 1)) * cum[..., -1:] >= cum).sum(axis=2)
        take = commented & ((rng.random((n, nq)) < 0.3) if second else True)
        ci, qi = np.nonzero(take)
        themes[ci, qi, pick[ci, qi]] = True
        w = np.where(themes, 0.0, w)  # the second theme differs from the first
    return commented, themes


def nps_latent(rng: np.random.Generator, pop: Population) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quarterly NPS latent: weighted touchpoint experiences + personal and quarterly noise + themes."""
    drivers = sum(w * (pop.q[:, TP_INDEX[tp]] - MU[tp]) for tp, w in P.NPS_WEIGHTS.items())
    latent = (P.NPS_INTERCEPT + drivers + pop.nps_u)[:, None] + rng.normal(0, P.NPS_QUARTER_SD, (pop.n, P.QUARTERS))
    commented, themes = _themes(rng, pop)
    effect = np.array([P.THEME_NPS_EFFECT[t] for t in P.THEMES])
    return latent + (themes * effect).sum(axis=2), commented, themes


def _mot_factor(pop: Population, t: Tickets) -> np.ndarray:
    """(n, MONTHS) hazard multiplier from the latest moment-of-truth ticket of the last MOT_WINDOW months.

    It uses the ticket's surprise (experience minus the customer's usual level at the touchpoint), so
    the churn effect of a bad moment does not leak into the NPS-group multiplier through q.
    """
    factor = np.ones((pop.n, P.MONTHS))
    month = np.searchsorted(MONTH_START, t.opened, side="right") - 1
    for tp, beta in P.CHURN_MOT_BETA.items():
        sel = np.flatnonzero(t.tp == tp)
        order = sel[np.argsort(t.opened[sel], kind="stable")]
        last = np.full((pop.n, P.MONTHS), np.nan)
        surprise = t.x[order] - pop.q[t.cust[order], TP_INDEX[tp]]
        last[t.cust[order], month[order]] = surprise  # later tickets overwrite earlier ones
        recent = last.copy()
        for lag in range(1, P.MOT_WINDOW):
            shifted = np.full_like(last, np.nan)
            shifted[:, lag:] = last[:, :-lag]
            recent = np.where(np.isnan(recent), shifted, recent)
        factor *= np.where(np.isnan(recent), 1.0, np.exp(-beta * recent))
    return factor


def simulate(rng: np.random.Generator, pop: Population, t: Tickets, ready: np.ndarray, abandon_ts: np.ndarray) -> Lifecycle:
    """Draw churn from the monthly hazard, then the monthly outcome rows up to the churn month."""
    latent, commented, themes = nps_latent(rng, pop)
    group_q = nps_group(nps_score(latent))                       # (n, QUARTERS)
    cust, month = _grid(pop)
    group = group_q[cust, month // 3]
    year = np.where(month < 12, "2024", "2025")
    mult = np.select(
        [(year == y) & (group == g) for y in P.CHURN_MULTIPLIER for g in range(3)],
        [P.CHURN_MULTIPLIER[y][GROUPS[g]] for y in P.CHURN_MULTIPLIER for g in range(3)],
    )
    base = np.array([P.BASE_HAZARD[s] for s in P.SEGMENTS])[pop.segment[cust]]
    hazard = np.minimum(base * mult * _mot_factor(pop, t)[cust, month], P.HAZARD_CAP)
    hazard[month == pop.start_month[cust]] = 0.0  # nobody leaves in the month they join ...
    churns = rng.random(len(cust)) < hazard
    churn_month = np.full(pop.n, P.MONTHS)
    np.minimum.at(churn_month, cust[churns], month[churns])
    gave_up = abandon_ts >= 0                                     # ... except at the breakpoint
    churn_month[gave_up] = np.searchsorted(MONTH_START, abandon_ts[gave_up], side="right") - 1

    churned = churn_month < P.MONTHS
    cm = np.minimum(churn_month, P.MONTHS - 1)
    span = MONTH_START[cm + 1] - MONTH_START[cm]
    churn_ts = np.where(churned, MONTH_START[cm] + (rng.random(pop.n) * span).astype(np.int64), np.iinfo(np.int64).max // 2)
    churn_ts = np.where(churned, np.clip(churn_ts, ready + DAY, MONTH_START[cm + 1] - HOUR), churn_ts)
    churn_ts[gave_up] = abandon_ts[gave_up]

    rows = month <= churn_month[cust]
    return Lifecycle(latent, themes, commented, churn_month, churn_ts,
                     _outcomes(rng, pop, cust[rows], month[rows], group[rows], churn_month))


def _outcomes(rng: np.random.Generator, pop: Population, cust: np.ndarray, month: np.ndarray, group: np.ndarray, churn_month: np.ndarray) -> dict[str, np.ndarray]:
    """Monthly value per customer: segment baseline x NPS-group multiplier x noise; zero once churned."""
    seg = pop.segment[cust]
    active = month < churn_month[cust]
    out: dict[str, np.ndarray] = {"cust": cust, "month": month, "active": active}
    for metric, sd in (("revenue", 0.12), ("cost_to_serve", 0.25)):
        link = np.array([[P.VALUE_LINK[s][metric][g] for g in GROUPS] for s in P.SEGMENTS])
        level = np.array([P.SEGMENT_VALUE[s][metric] for s in P.SEGMENTS])
        noise = rng.lognormal(-sd * sd / 2, sd, len(cust))  # mean-one noise
        out[metric] = np.where(active, np.round(level[seg] * link[seg, group] * noise, 2), 0.0)
    for metric in ("upgrades", "referrals"):
        link = np.array([[P.VALUE_LINK[s][metric][g] for g in GROUPS] for s in P.SEGMENTS])
        level = np.array([P.SEGMENT_VALUE[s][metric] for s in P.SEGMENTS])
        out[metric] = np.where(active, rng.poisson(level[seg] * link[seg, group]), 0)
    return out
