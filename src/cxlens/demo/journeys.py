"""Journey events: onboarding with loops, skips and the planted breakpoint, then monthly usage.

Events are drawn for a customer's whole *potential* life in the window and cut at churn later, so
churn can depend on experiences (a cycle otherwise). Each event carries its experience latent `x`
(CSAT scale), from which touchpoint surveys are sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cxlens.demo import params as P
from cxlens.demo.journey_spec import EVENT_CHANNELS, MAIN_CHANNEL, TP_INDEX
from cxlens.demo.population import DAY, MONTH_START, WINDOW_END, Population

HOUR = 3_600
NEVER = np.iinfo(np.int64).max // 4


@dataclass
class EventLog:
    """Column arrays of events; `add` appends a vectorised batch."""

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(self, cust: np.ndarray, ts: np.ndarray, tp: str, x: np.ndarray, channel: np.ndarray | None = None) -> None:
        n = len(cust)
        if n == 0:
            return
        if channel is None:
            channel = np.full(n, MAIN_CHANNEL[tp], dtype=object)
        self.parts.append((cust.astype(np.int64), ts.astype(np.int64), np.full(n, TP_INDEX[tp], np.int16), x, channel))

    def arrays(self) -> dict[str, np.ndarray]:
        cols = ("cust", "ts", "tp", "x", "channel")
        return {c: np.concatenate([p[i] for p in self.parts]) for i, c in enumerate(cols)}


def experience(rng: np.random.Generator, pop: Population, cust: np.ndarray, tp: str, shift: float | np.ndarray = 0.0) -> np.ndarray:
    """Experience latent of single events: the customer's level at the touchpoint plus event noise."""
    return pop.q[cust, TP_INDEX[tp]] + shift + rng.normal(0.0, P.EVENT_SD, len(cust))


def channels(rng: np.random.Generator, tp: str, n: int) -> np.ndarray | None:
    """Channel actually used for n events at tp (None: the touchpoint's main channel)."""
    if tp not in EVENT_CHANNELS:
        return None
    names, probs = zip(*EVENT_CHANNELS[tp])
    return np.array(names, dtype=object)[rng.choice(len(names), size=n, p=np.array(probs))]


def _emit(log: EventLog, rng: np.random.Generator, pop: Population, cust: np.ndarray, ts: np.ndarray, tp: str, shift: float | np.ndarray = 0.0) -> None:
    log.add(cust, ts, tp, experience(rng, pop, cust, tp, shift), channels(rng, tp, len(cust)))


def onboarding(rng: np.random.Generator, pop: Population, log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Awareness -> purchase -> onboarding for customers who join in the window.

    Returns (ready, abandon_ts): when each customer's line went live (seconds; -inf-like for the
    existing base) and, for those who give up at the breakpoint, when they leave (else -1).
    """
    n = pop.n
    ready = np.full(n, np.iinfo(np.int64).min // 2, dtype=np.int64)
    abandon_ts = np.full(n, -1, dtype=np.int64)
    new = np.flatnonzero(pop.is_new)
    d0 = pop.signup[new]
    dig = pop.digital[new]
    online = rng.random(len(new)) < dig

    # Awareness: some browse several times, some walk into a store, some skip straight to buying.
    k = rng.poisson(0.2 + 1.6 * dig)
    rep = np.repeat(np.arange(len(new)), k)
    _emit(log, rng, pop, new[rep], d0[rep] - rng.integers(HOUR, 21 * DAY, len(rep)), "website_browse")
    visit = rng.random(len(new)) < (1 - dig) * 0.6 + (~online) * 0.2
    _emit(log, rng, pop, new[visit], d0[visit] - rng.integers(HOUR, 7 * DAY, visit.sum()), "store_visit")

    post = ~pop.prepaid[new]
    _emit(log, rng, pop, new[post], d0[post] - rng.integers(600, 2 * HOUR, post.sum()), "credit_check")
    _emit(log, rng, pop, new[online], d0[online], "online_checkout")
    _emit(log, rng, pop, new[~online], d0[~online], "store_purchase")

    # Physical SIM by courier for online orders without eSIM; 6% need a second delivery (loop).
    courier = online & (rng.random(len(new)) < 0.7)
    t = d0 + rng.integers(HOUR, 3 * HOUR, len(new))
    t[courier] = d0[courier] + rng.integers(DAY, 4 * DAY, courier.sum())
    _emit(log, rng, pop, new[courier], t[courier], "sim_delivery")
    again = courier & (rng.random(len(new)) < 0.06)
    t[again] += rng.integers(DAY, 3 * DAY, again.sum())
    _emit(log, rng, pop, new[again], t[again], "sim_delivery", -0.8)

    # Port-in: the breakpoint. Failed attempts loop back to port_in; abandoners never activate.
    porter = rng.random(len(new)) < P.PORT_IN_SHARE
    gives_up = porter & (rng.random(len(new)) < P.PORT_IN_ABANDON)
    attempts = np.where(gives_up, rng.integers(1, 4, len(new)), 1 + (rng.random(len(new)) < 0.25))
    attempts[~porter] = 0
    rep = np.repeat(np.arange(len(new)), attempts)
    nth = np.arange(len(rep)) - np.repeat(np.cumsum(attempts) - attempts, attempts)
    t_att = t[rep] + HOUR + nth * rng.integers(DAY, 3 * DAY, len(rep))
    last = nth == attempts[rep] - 1
    failed = ~last | gives_up[rep]
    _emit(log, rng, pop, new[rep], t_att, "port_in", np.where(failed, -1.0, 0.0))
    t[rep[last]] = t_att[last]
    ab = np.flatnonzero(gives_up)
    abandon_ts[new[ab]] = np.minimum(t[ab] + rng.integers(HOUR, 5 * DAY, len(ab)), WINDOW_END - 60)
    ready[new[ab]] = NEVER  # their line never goes live: no usage, tickets or NPS surveys

    # Activation (12% need a second try), then the line is live.
    act = np.flatnonzero(~gives_up)
    k = 1 + (rng.random(len(act)) < 0.12)
    rep = np.repeat(act, k)
    nth = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
    t_act = t[rep] + HOUR + nth * rng.integers(HOUR, DAY, len(rep))
    _emit(log, rng, pop, new[rep], t_act, "activation", np.where(nth < k[np.searchsorted(act, rep)] - 1, -0.8, 0.0))
    ready[new[act]] = t[act] + HOUR + (k - 1) * DAY
    return ready, abandon_ts


def _grid(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """All (customer, month) pairs a customer could be active in."""
    months = P.MONTHS - pop.start_month
    cust = np.repeat(np.arange(pop.n), months)
    month = np.arange(len(cust)) - np.repeat(np.cumsum(months) - months, months) + pop.start_month[cust]
    return cust, month


def _in_month(rng: np.random.Generator, month: np.ndarray) -> np.ndarray:
    return MONTH_START[month] + (rng.random(len(month)) * (MONTH_START[month + 1] - MONTH_START[month])).astype(np.int64)


def monthly_usage(rng: np.random.Generator, pop: Population, log: EventLog, ready: np.ndarray) -> None:
    """Recurring interactions: app, top-ups, plan changes, roaming, bills, store visits, renewals."""
    cust, month = _grid(pop)
    dig = pop.digital[cust]
    prepaid = pop.prepaid[cust]
    business = np.isin(pop.segment[cust], [P.SEGMENTS.index(s) for s in P.BUSINESS_SEGMENTS])
    rates = {
        "app_login": 0.05 + 0.8 * dig,
        "data_topup": np.where(prepaid, 0.9, 0.06),
        "plan_change": np.full(len(cust), 0.03),
        "roaming_abroad": np.where(business, 0.15, 0.03),
        "store_visit": 0.03 + 0.08 * (1 - dig),
        "loyalty_reward": np.full(len(cust), 0.03),
        "retention_offer": np.full(len(cust), 0.004),
    }
    for tp, rate in rates.items():
        k = rng.poisson(rate)
        rep = np.repeat(np.arange(len(cust)), k)
        c, ts = cust[rep], _in_month(rng, month[rep])
        keep = ts > ready[c]
        _emit(log, rng, pop, c[keep], ts[keep], tp)

    # Postpaid bills: the first one after joining is the `first_bill` moment, then monthly payments.
    first = pop.is_new[cust] & (month == np.minimum(pop.start_month[cust] + 1, P.MONTHS))
    bill = ~prepaid & (month > pop.start_month[cust] - (~pop.is_new[cust]))
    ts = MONTH_START[month] + rng.integers(2 * DAY, 10 * DAY, len(cust))
    sel = bill & first
    _emit(log, rng, pop, cust[sel], ts[sel], "first_bill")
    sel = bill & ~first & (rng.random(len(cust)) < 0.6)  # the rest pay by direct debit: no interaction
    _emit(log, rng, pop, cust[sel], ts[sel] + rng.integers(DAY, 12 * DAY, len(cust))[sel], "bill_payment")

    # Contract renewal every 24 months of tenure for postpaid lines, often preceded by an offer.
    tenure = month - (pop.signup[cust] - MONTH_START[0]) // (30 * DAY)
    renew = ~prepaid & (tenure > 0) & (tenure % 24 == 0)
    ts = _in_month(rng, month[renew])
    _emit(log, rng, pop, cust[renew], ts, "contract_renewal")
    offer = rng.random(len(ts)) < 0.35
    _emit(log, rng, pop, cust[renew][offer], ts[offer] - rng.integers(DAY, 10 * DAY, offer.sum()), "retention_offer")
