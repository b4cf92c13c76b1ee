"""Customers and their latent traits: persona -> segment, attitude -> touchpoint experience levels.

Everything downstream (events, scores, churn, value) is drawn from these latent arrays, so the
planted effects have one causal source and the persona of each customer is known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxlens.demo import params as P
from cxlens.demo.journey_spec import MU, TOUCHPOINT_IDS

EPOCH = np.datetime64("2024-01-01T00:00:00", "s")
DAY = 86_400
# Start of month k of the window (k = 0..MONTHS), in seconds since EPOCH.
MONTH_START = np.array(
    [(np.datetime64(f"{P.START_YEAR + k // 12}-{k % 12 + 1:02d}-01T00:00:00", "s") - EPOCH).astype(np.int64)
     for k in range(P.MONTHS + 1)],
    dtype=np.int64,
)
WINDOW_END = int(MONTH_START[-1])


@dataclass
class Population:
    """Per-customer arrays (length n) and the n x touchpoints experience matrix `q`."""

    n: int
    persona: np.ndarray        # index into params.PERSONAS
    segment: np.ndarray        # index into params.SEGMENTS
    region: np.ndarray         # index into params.REGIONS
    language: np.ndarray       # index into params.LANGUAGES
    plan: np.ndarray           # plan name (str)
    prepaid: np.ndarray        # bool
    account_id: np.ndarray     # str, "" for consumers
    signup: np.ndarray         # seconds since EPOCH (negative for the existing base)
    start_month: np.ndarray    # first month of the window the customer is a customer in
    is_new: np.ndarray         # signed up inside the window (has onboarding events)
    age: np.ndarray
    handset: np.ndarray
    attitude: np.ndarray
    digital: np.ndarray        # probability of choosing a digital channel
    ticket_rate: np.ndarray    # support tickets per month
    expects: np.ndarray        # expectation level on the CSAT scale
    q: np.ndarray              # experience level per touchpoint (CSAT latent scale)
    nps_u: np.ndarray          # persistent personal NPS offset


def month_of(seconds: np.ndarray) -> np.ndarray:
    """Month index (0-based from 2024-01) of timestamps given in seconds since EPOCH."""
    return np.searchsorted(MONTH_START, seconds, side="right") - 1


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from an (n, k) matrix of probabilities."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return (u >= cum).sum(axis=1)


def _accounts(rng: np.random.Generator, idx: np.ndarray, low: int, high: int, prefix: str, start: int) -> tuple[np.ndarray, int]:
    """Group the given customers into accounts of low..high contacts; returns ids and next number."""
    sizes = rng.integers(low, high + 1, size=max(1, len(idx)))
    which = np.searchsorted(np.cumsum(sizes), np.arange(len(idx)), side="right")
    numbers = which + start
    ids = np.char.add(prefix, np.char.zfill(numbers.astype(str), 4))
    return ids, start + (int(which.max()) + 1 if len(idx) else 0)


def build_population(rng: np.random.Generator, n: int) -> Population:
    """Draw n customers: persona first, then everything the persona shapes."""
    personas = P.PERSONAS
    persona = rng.choice(len(personas), size=n, p=np.array([p["share"] for p in personas]))
    seg_probs = np.array([[p["segment"].get(s, 0.0) for s in P.SEGMENTS] for p in personas])
    segment = _choice(rng, seg_probs[persona])
    region = rng.choice(len(P.REGIONS), size=n, p=np.array(P.REGION_SHARE))

    # B2B contacts are grouped into client companies; a company sits in one region.
    account_id = np.full(n, "", dtype=object)
    nxt = 1
    for seg, (low, high) in (("business_sme", (1, 4)), ("business_corporate", (4, 30))):
        idx = np.flatnonzero(segment == P.SEGMENTS.index(seg))
        ids, nxt = _accounts(rng, idx, low, high, "A", nxt)
        account_id[idx] = ids
        first = {}
        for j, a in zip(idx, ids):  # a few hundred accounts: cheap
            first.setdefault(a, region[j])
        region[idx] = np.array([first[a] for a in ids], dtype=region.dtype)
    lang_probs = np.array([P.REGION_LANGUAGE[r] for r in P.REGIONS])
    language = _choice(rng, lang_probs[region])

    plan = np.empty(n, dtype=object)
    for s_i, seg in enumerate(P.SEGMENTS):
        idx = np.flatnonzero(segment == s_i)
        names, probs = zip(*P.SEGMENT_PLANS[seg])
        plan[idx] = np.array(names, dtype=object)[rng.choice(len(names), size=len(idx), p=np.array(probs))]
    prepaid = np.isin(plan, P.PREPAID_PLANS)

    is_new = rng.random(n) < P.NEW_CUSTOMER_SHARE
    old_start = (np.datetime64("2016-01-01T00:00:00", "s") - EPOCH).astype(np.int64)
    signup = np.where(
        is_new,
        rng.integers(0, WINDOW_END - 12 * DAY, size=n),
        rng.integers(old_start, -DAY, size=n),
    )
    start_month = np.where(is_new, month_of(signup), 0)

    ages = np.array([p["age"] for p in personas])
    age = rng.integers(ages[persona, 0], ages[persona, 1] + 1)
    handset = rng.choice(len(P.HANDSETS), size=n, p=np.array([0.34, 0.30, 0.16, 0.10, 0.10]))

    attitude = rng.normal(np.array([p["attitude"] for p in personas])[persona], 1.0)
    digital = np.clip(np.array([p["digital"] for p in personas])[persona] + rng.normal(0, 0.1, n), 0.02, 0.98)
    ticket_rate = np.array([p["tickets"] for p in personas])[persona] * rng.gamma(4.0, 0.25, n)
    expects = np.array([p["expects"] for p in personas])[persona] + rng.normal(0, 0.3, n)

    mu = np.array([MU[t] for t in TOUCHPOINT_IDS])
    shift = np.array([[p["tp_shift"].get(t, 0.0) for t in TOUCHPOINT_IDS] for p in personas])
    q = (mu[None, :] + shift[persona] + P.ATTITUDE_LOADING * attitude[:, None]
         + rng.normal(0.0, P.Q_SD, (n, len(TOUCHPOINT_IDS))))
    nps_u = rng.normal(0.0, P.NPS_CUSTOMER_SD, n)

    return Population(
        n=n, persona=persona, segment=segment, region=region, language=language, plan=plan,
        prepaid=prepaid, account_id=account_id, signup=signup, start_month=start_month, is_new=is_new,
        age=age, handset=np.array(P.HANDSETS, dtype=object)[handset], attitude=attitude, digital=digital,
        ticket_rate=ticket_rate, expects=expects, q=q, nps_u=nps_u,
    )
