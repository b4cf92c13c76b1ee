"""Support tickets and the contact events they cause (repeat contacts, channel switching, escalation).

A ticket's experience latent `x` falls with every day it takes to resolve (planted effect 7); the
post-resolution CSAT survey reads that latent, and for the moment-of-truth touchpoints it also
raises the churn hazard, so slow resolution costs customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxlens.demo import params as P
from cxlens.demo.journey_spec import TP_INDEX
from cxlens.demo.journeys import HOUR, EventLog, _grid, _in_month
from cxlens.demo.population import DAY, WINDOW_END, Population

# category, P(category), mean days to resolve, touchpoint when handled digitally / in person.
CATEGORIES = (
    ("billing_error", 0.24, 3.0, "billing_inquiry", "billing_inquiry"),
    ("network_coverage", 0.18, 3.5, "support_chat", "support_call"),
    ("slow_data", 0.12, 2.5, "support_chat", "support_call"),
    ("device_fault", 0.12, 2.5, "store_repair", "store_repair"),
    ("app_issue", 0.14, 1.5, "support_chat", "support_call"),
    ("plan_change_request", 0.12, 0.8, "support_chat", "support_call"),
    ("roaming_charges", 0.08, 3.0, "billing_inquiry", "billing_inquiry"),
)
CATEGORY_NAMES = tuple(c[0] for c in CATEGORIES)
TYPICAL_DAYS = 2.5  # resolution time at which the slope term is zero
_TICKET_CHANNEL = {"support_chat": "chat", "support_call": "call_center", "store_repair": "store",
                   "billing_inquiry": "call_center"}
_SWITCH = np.array(["support_chat", "support_call", "store_repair"], dtype=object)


@dataclass
class Tickets:
    """Column arrays of tickets; times in seconds since EPOCH, `resolved` -1 while open."""

    cust: np.ndarray
    category: np.ndarray
    tp: np.ndarray          # touchpoint id (str) of the first contact
    channel: np.ndarray
    opened: np.ndarray
    first_response: np.ndarray
    resolved: np.ndarray
    days: np.ndarray        # days to resolve (as drawn, also for tickets still open at the end)
    reopened: np.ndarray
    contacts: np.ndarray
    x: np.ndarray           # experience latent of the ticket (CSAT scale)


def draw_tickets(rng: np.random.Generator, pop: Population, ready: np.ndarray) -> Tickets:
    """Draw every ticket a customer would raise in their potential life in the window."""
    cust, month = _grid(pop)
    k = rng.poisson(pop.ticket_rate[cust])
    rep = np.repeat(np.arange(len(cust)), k)
    c, opened = cust[rep], _in_month(rng, month[rep])
    keep = opened > ready[c] + HOUR
    c, opened = c[keep], opened[keep]
    n = len(c)

    cat = rng.choice(len(CATEGORIES), size=n, p=np.array([x[1] for x in CATEGORIES]))
    digital = rng.random(n) < pop.digital[c] * 0.8
    tp = np.where(digital, np.array([x[3] for x in CATEGORIES], dtype=object)[cat],
                  np.array([x[4] for x in CATEGORIES], dtype=object)[cat])
    channel = np.array([_TICKET_CHANNEL[t] for t in tp], dtype=object)
    bill = tp == "billing_inquiry"
    channel[bill] = np.where(digital[bill], "chat", "call_center")

    mean_days = np.array([x[2] for x in CATEGORIES])[cat]
    days = rng.gamma(1.5, mean_days / 1.5) + rng.random(n) * 0.1
    reopened = rng.random(n) < 0.08
    days = days + np.where(reopened, rng.gamma(2.0, 1.5, n), 0.0)
    wait_min = np.where(channel == "chat", rng.lognormal(1.3, 0.8, n), rng.lognormal(1.8, 0.9, n))  # minutes
    wait_min = np.where(channel == "store", rng.uniform(2, 25, n), wait_min)
    first_response = opened + (wait_min * 60).astype(np.int64)
    resolved = opened + (days * DAY).astype(np.int64)
    resolved = np.maximum(resolved, first_response + 60)
    stuck = rng.random(n) < 0.01
    resolved[(resolved >= WINDOW_END) | stuck] = -1
    contacts = 1 + np.minimum(rng.poisson(0.2 + 0.25 * days), 7)

    tp_idx = np.array([TP_INDEX[t] for t in tp])
    x = (pop.q[c, tp_idx] + rng.normal(0.0, P.EVENT_SD, n) + P.RESOLUTION_CSAT_SLOPE * (days - TYPICAL_DAYS))
    return Tickets(c, np.array(CATEGORY_NAMES, dtype=object)[cat], tp, channel, opened, first_response,
                   resolved, days, reopened, contacts, x)


def contact_events(rng: np.random.Generator, t: Tickets, log: EventLog) -> None:
    """Every contact of a ticket becomes a support event; repeat contacts may switch channel."""
    for tp in np.unique(t.tp):
        i = np.flatnonzero(t.tp == tp)
        log.add(t.cust[i], t.opened[i], tp, t.x[i], t.channel[i])

    extra = t.contacts - 1
    rep = np.repeat(np.arange(len(t.cust)), extra)
    end = np.where(t.resolved > 0, t.resolved, t.opened + (t.days * DAY).astype(np.int64))
    ts = t.opened[rep] + (rng.random(len(rep)) * (end[rep] - t.opened[rep])).astype(np.int64) + 60
    switch = rng.random(len(rep)) < 0.4
    tp_rep = np.where(switch, _SWITCH[rng.integers(0, 3, len(rep))], t.tp[rep])
    for tp in np.unique(tp_rep):
        sel = tp_rep == tp
        log.add(t.cust[rep][sel], ts[sel], tp, t.x[rep][sel])

    # Long or reopened problems turn into formal complaints (and field visits for coverage).
    esc = ((t.days > 7) | t.reopened) & (rng.random(len(t.cust)) < 0.4)
    log.add(t.cust[esc], t.opened[esc] + (0.6 * t.days[esc] * DAY).astype(np.int64), "complaint_escalation", t.x[esc] - 0.5)
    t.contacts[esc] += 1
    visit = np.isin(t.category, ["network_coverage", "slow_data"]) & (rng.random(len(t.cust)) < 0.15)
    log.add(t.cust[visit], t.opened[visit] + (0.5 * t.days[visit] * DAY).astype(np.int64), "tech_visit", t.x[visit])
    t.contacts[visit] += 1


def keep_tickets(t: Tickets, mask: np.ndarray) -> Tickets:
    """The tickets selected by mask (used to drop tickets opened after churn)."""
    return Tickets(*(getattr(t, f)[mask] for f in Tickets.__dataclass_fields__))
