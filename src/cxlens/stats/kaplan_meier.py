"""Kaplan-Meier survival with late entry (left truncation), Greenwood variance and log-log intervals.

Rows are (entry, exit] intervals: a subject is at risk at time t when entry < t <= exit, so a customer
first seen at tenure 7 counts only from month 8 on. The curve is given at every distinct exit time, like
R's survfit. Intervals are Kalbfleisch & Prentice's log-log ones (conf.type='log-log'; R's default is
'log', which can exceed 1), so they stay inside (0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxlens.stats.intervals import z_value


@dataclass(frozen=True)
class KaplanMeier:
    """The curve at each distinct exit time: rows at risk, events, censored, S(t), Greenwood SE and interval."""

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def kaplan_meier(exit, event, entry=None, level: float = 0.95) -> KaplanMeier:
    """Kaplan-Meier estimate S(t) = prod_{s <= t} (1 - d_s / n_s) with late entry.

    Greenwood (1926): Var S = S^2 sum d / (n (n - d)); log-log interval (Kalbfleisch & Prentice 1980,
    sec. 1.3): S^exp(+-z sigma / log S) with sigma^2 = sum d / (n (n - d)). Where S is 1 or 0 the bounds
    are S itself. An empty risk set before the last time (late entry with a gap) raises ValueError.
    """
    exit = np.asarray(exit, float)
    event = np.asarray(event, bool)
    entry = np.full(len(exit), -np.inf) if entry is None else np.asarray(entry, float)
    if not (len(exit) == len(event) == len(entry)):
        raise ValueError("exit, event and entry must have the same length")
    if np.any(exit <= entry):
        raise ValueError("every row needs exit > entry")
    exits = np.sort(exit)  # two sorts in all (exits, entries): the distinct times and the counts come from them
    first = np.flatnonzero(np.concatenate([[True], exits[1:] != exits[:-1]])) if len(exits) else np.zeros(0, int)
    time = exits[first]
    entries = np.sort(entry)
    # n(t) = #{entry < t} - #{exit < t}; the first sorted exit at t has #{exit < t} before it
    at_risk = np.searchsorted(entries, time, side="left") - first
    leaving = np.diff(np.append(first, len(exits)))
    events = np.bincount(np.searchsorted(time, exit[event]), minlength=len(time)).astype(int)
    if np.any(at_risk <= 0):
        raise ValueError("a time with nobody at risk: late entries leave a gap in follow-up")
    hazard = events / at_risk
    surv = np.cumprod(1 - hazard)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), np.inf)
        gw = np.cumsum(np.where(events > 0, terms, 0.0))
        se = surv * np.sqrt(gw)
        sigma = np.sqrt(gw) / np.abs(np.log(surv))
        z = z_value(level)
        lower = surv ** np.exp(z * sigma)
        upper = surv ** np.exp(-z * sigma)
    flat = (surv >= 1) | (surv <= 0)
    lower = np.where(flat, surv, lower)
    upper = np.where(flat, surv, upper)
    se = np.where(surv <= 0, 0.0, se)
    return KaplanMeier(time, at_risk.astype(int), events, (leaving - events).astype(int), surv, se, lower, upper)
