"""Cox proportional hazards on counting-process rows (start, stop], with strata and tied event times.

Rows are intervals during which a subject's covariates are constant, so time-varying covariates and
late entry (left truncation) are expressed by splitting a subject's follow-up into rows. Ties are
handled with Efron's approximation (lifelines' and R survival's default), which matters when time is
counted in whole months. Written here rather than depending on lifelines, whose pin to pandas < 3
conflicts with this project's pandas (measured: installing lifelines 0.30.3 downgraded pandas 3.0.6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from cxlens.stats.intervals import z_value


@dataclass(frozen=True)
class CoxResult:
    """Fitted coefficients (log hazard ratios) with Wald standard errors, intervals and p values."""

    names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    hazard_ratio: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_value: np.ndarray
    log_likelihood: float
    iterations: int


def cox_time_varying(start, stop, event, X, strata=None, names=None, level: float = 0.95,
                     max_iter: int = 50, tol: float = 1e-9) -> CoxResult:
    """Cox model on rows (start, stop] with `event` at `stop`; a separate baseline hazard per stratum.

    Newton-Raphson on Efron's partial likelihood (Efron 1977, JASA 72:557; Therneau & Grambsch 2000,
    ch. 3). Wald intervals exp(b +- z se). A covariate constant within every risk set (or a separation
    where the likelihood has no maximum) raises ValueError naming it.
    """
    start, stop = np.asarray(start, float), np.asarray(stop, float)
    event = np.asarray(event, bool)
    X = np.atleast_2d(np.asarray(X, float).T).T if np.ndim(X) == 1 else np.asarray(X, float)
    n, k = X.shape
    if not (len(start) == len(stop) == len(event) == n):
        raise ValueError("start, stop, event and X must have the same number of rows")
    if np.any(stop <= start):
        raise ValueError("every row needs stop > start")
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(k))
    groups = _risk_groups(start, stop, event, np.zeros(n) if strata is None else np.asarray(strata))
    beta = np.zeros(k)
    loglik, grad, hess = _efron(beta, X, groups)
    for iteration in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            raise ValueError(f"covariates {names} are collinear or constant within the risk sets") from None
        new = beta + step
        new_ll, new_grad, new_hess = _efron(new, X, groups)
        while new_ll < loglik - 1e-12 and np.max(np.abs(step)) > 1e-12:  # step halving keeps the ascent
            step /= 2
            new = beta + step
            new_ll, new_grad, new_hess = _efron(new, X, groups)
        converged = abs(new_ll - loglik) < tol
        beta, loglik, grad, hess = new, new_ll, new_grad, new_hess
        if converged:
            break
    if np.any(np.abs(beta) > 15):
        raise ValueError(f"no finite estimate for {[m for m, b in zip(names, beta) if abs(b) > 15]}: "
                         "no events among the exposed, or all of them")
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    z = z_value(level)
    p = 2 * sps.norm.sf(np.abs(beta / se))
    return CoxResult(names, beta, se, np.exp(beta), np.exp(beta - z * se), np.exp(beta + z * se), p, float(loglik), iteration)


def _risk_groups(start, stop, event, strata) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per stratum and distinct event time t: (rows at risk: start < t <= stop, rows with an event at t)."""
    groups = []
    for s in np.unique(strata):
        rows = np.flatnonzero(strata == s)
        for t in np.unique(stop[rows][event[rows]]):
            at_risk = rows[(start[rows] < t) & (stop[rows] >= t)]
            dead = at_risk[event[at_risk] & (stop[at_risk] == t)]
            groups.append((at_risk, dead))
    return groups


def _efron(beta, X, groups) -> tuple[float, np.ndarray, np.ndarray]:
    """Efron log partial likelihood, its gradient and Hessian at beta."""
    k = X.shape[1]
    eta = X @ beta
    w = np.exp(eta - eta.max())  # a common factor cancels in every ratio; the log-likelihood adds it back
    shift = eta.max()
    ll, grad, hess = 0.0, np.zeros(k), np.zeros((k, k))
    for at_risk, dead in groups:
        d = len(dead)
        wr, xr = w[at_risk], X[at_risk]
        wd, xd = w[dead], X[dead]
        s0r, s1r, s2r = wr.sum(), wr @ xr, (xr * wr[:, None]).T @ xr
        s0d, s1d, s2d = wd.sum(), wd @ xd, (xd * wd[:, None]).T @ xd
        ll += eta[dead].sum()
        grad += xd.sum(axis=0)
        for j in range(d):
            f = j / d
            s0 = s0r - f * s0d
            s1 = s1r - f * s1d
            s2 = s2r - f * s2d
            ll -= np.log(s0) + shift
            grad -= s1 / s0
            hess -= s2 / s0 - np.outer(s1, s1) / s0 ** 2
    return ll, grad, hess
