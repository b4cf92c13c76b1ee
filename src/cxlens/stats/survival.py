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
    naive_se: np.ndarray | None = None  # model-based SE; `se` is the cluster-robust one when clusters were given
    variance: np.ndarray | None = None  # the variance matrix behind `se`
    naive_variance: np.ndarray | None = None  # inverse information
    clusters: int | None = None


def cox_time_varying(start, stop, event, X, strata=None, names=None, level: float = 0.95,
                     max_iter: int = 50, tol: float = 1e-9, clusters=None) -> CoxResult:
    """Cox model on rows (start, stop] with `event` at `stop`; a separate baseline hazard per stratum.

    Newton-Raphson on Efron's partial likelihood (Efron 1977, JASA 72:557; Therneau & Grambsch 2000,
    ch. 3). Wald intervals exp(b +- z se). With `clusters` (one label per row, e.g. the customer of each
    customer-month) `se`, intervals and p values use the cluster-robust sandwich variance, as R's
    coxph(..., cluster=id); `naive_se` keeps the model-based one. A constant or collinear covariate, one
    constant within every risk set, or a separation where the likelihood has no maximum raises
    ValueError naming the covariates.
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
    check_design(X, names)
    groups = _risk_groups(start, stop, event, np.zeros(n) if strata is None else np.asarray(strata))
    beta = np.zeros(k)
    loglik, grad, hess = _efron(beta, X, groups)
    iteration = 0  # max_iter=0 evaluates the null model (beta = 0)
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
    naive = np.linalg.inv(-hess)
    variance, n_clusters = naive, None
    if clusters is not None:
        codes, labels = _codes(clusters, n)
        n_clusters = int(labels)
        U = np.zeros((n_clusters, k))
        np.add.at(U, codes, score_residuals(beta, X, groups))
        variance = naive @ (U.T @ U) @ naive  # Lin & Wei 1989, JASA 84:1074: V (sum_c U_c U_c') V, no small-sample factor (as R)
    naive_se, se = np.sqrt(np.diag(naive)), np.sqrt(np.diag(variance))
    z = z_value(level)
    p = 2 * sps.norm.sf(np.abs(beta / se))
    return CoxResult(names, beta, se, np.exp(beta), np.exp(beta - z * se), np.exp(beta + z * se), p, float(loglik),
                     iteration, naive_se, variance, naive, n_clusters)


def check_design(X, names) -> None:
    """Refuse a covariate that is constant, or a set that is collinear, with a message naming them."""
    X = np.asarray(X, float)
    if not np.all(np.isfinite(X)):
        bad = [m for m, ok in zip(names, np.isfinite(X).all(axis=0)) if not ok]
        raise ValueError(f"covariates {bad} have missing or infinite values: fill or drop those rows")
    constant = [m for m, sd in zip(names, X.std(axis=0)) if sd == 0]
    if constant:
        raise ValueError(f"covariate {constant} is constant: it has no effect to estimate; drop it")
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    _, sv, vt = np.linalg.svd(Z, full_matrices=False)
    if sv[-1] < 1e-8 * sv[0]:
        involved = [m for m, w in zip(names, vt[-1]) if abs(w) > 1e-6]
        raise ValueError(f"covariates {involved} are collinear (one is a combination of the others): drop one of them")


def _codes(labels, n: int) -> tuple[np.ndarray, int]:
    labels = np.asarray(labels)
    if len(labels) != n:
        raise ValueError("clusters must have one label per row")
    uniq, codes = np.unique(labels, return_inverse=True)
    return codes, len(uniq)


def score_residuals(beta, X, groups) -> np.ndarray:
    """Per-row score residuals with Efron's ties (Therneau & Grambsch 2000, sec. 4.4; R's residuals(type='score')).

    Row i's share of the score: for each event time t, dN_i(t) (x_i - mean_j xbar_j) minus its expected
    share w_i sum_j c_ij (x_i - xbar_j) / S0_j, where j runs over Efron's d steps and c_ij = 1, or
    1 - j/d for the rows that die at t. Rows sum to the score (zero at the maximum).
    """
    n, k = X.shape
    eta = X @ beta
    w = np.exp(eta - eta.max())
    resid = np.zeros((n, k))
    for at_risk, dead in groups:
        d = len(dead)
        wr, xr = w[at_risk], X[at_risk]
        wd, xd = w[dead], X[dead]
        s0r, s1r, s0d, s1d = wr.sum(), wr @ xr, wd.sum(), wd @ xd
        f = np.arange(d) / d
        s0 = s0r - f * s0d
        xbar = (s1r[None, :] - f[:, None] * s1d[None, :]) / s0[:, None]  # d x k
        a, b = (1 / s0).sum(), (xbar / s0[:, None]).sum(axis=0)
        resid[at_risk] -= wr[:, None] * (xr * a - b)
        ad, bd = ((1 - f) / s0).sum(), (xbar * ((1 - f) / s0)[:, None]).sum(axis=0)
        resid[dead] += wd[:, None] * (xd * a - b) - wd[:, None] * (xd * ad - bd)  # the dying rows' own weights
        resid[dead] += xd - xbar.mean(axis=0)
    return resid


def schoenfeld_residuals(beta, X, groups) -> tuple[np.ndarray, np.ndarray]:
    """One row per event: x_i minus the Efron-averaged risk-set mean at its time; and the group index of each."""
    eta = X @ beta
    w = np.exp(eta - eta.max())
    rows, which = [], []
    for g, (at_risk, dead) in enumerate(groups):
        d = len(dead)
        wr, xr = w[at_risk], X[at_risk]
        wd, xd = w[dead], X[dead]
        f = np.arange(d) / d
        s0 = wr.sum() - f * wd.sum()
        xbar = ((wr @ xr)[None, :] - f[:, None] * (wd @ xd)[None, :]) / s0[:, None]
        rows.append(xd - xbar.mean(axis=0))
        which.extend([g] * d)
    return np.vstack(rows), np.asarray(which)


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


@dataclass(frozen=True)
class PHTest:
    """Proportional-hazards test per covariate (rho: correlation of scaled Schoenfeld residuals with g(t)) and global."""

    names: tuple[str, ...]
    rho: np.ndarray
    chisq: np.ndarray
    p_value: np.ndarray
    global_chisq: float
    global_df: int
    global_p: float
    transform: str


def proportional_hazards_test(start, stop, event, X, fit: CoxResult, strata=None, transform: str = "km") -> PHTest:
    """Grambsch & Therneau (1994, Biometrika 81:515) test of proportional hazards, as R survival 2.x cox.zph.

    Regresses the scaled Schoenfeld residuals on g(t): `transform` 'km' (1 - Kaplan-Meier just before t,
    R's default), 'rank' or 'identity'. Uses the model-based variance (not a cluster-robust one). R >= 3.0
    replaced this approximation by an exact score test, whose figures differ slightly.
    """
    start, stop = np.asarray(start, float), np.asarray(stop, float)
    event = np.asarray(event, bool)
    X = np.atleast_2d(np.asarray(X, float).T).T if np.ndim(X) == 1 else np.asarray(X, float)
    groups = _risk_groups(start, stop, event, np.zeros(len(stop)) if strata is None else np.asarray(strata))
    resid, which = schoenfeld_residuals(fit.coef, X, groups)
    times = np.array([stop[dead[0]] for _, dead in groups])[which]
    if transform == "km":
        g = 1 - _km_before(start, stop, event, times)
    elif transform == "rank":
        g = sps.rankdata(times)
    elif transform == "identity":
        g = times
    else:
        raise ValueError(f"transform must be 'km', 'rank' or 'identity', got {transform!r}")
    V, d = fit.naive_variance if fit.naive_variance is not None else np.diag(fit.se ** 2), len(times)
    xx = g - g.mean()
    u = xx @ resid
    uv = u @ V
    chisq = d * uv ** 2 / (np.diag(V) * (xx @ xx))  # G&T 1994 eq. (7), per covariate
    scaled = resid @ V * d
    rho = np.array([np.corrcoef(xx, scaled[:, j])[0, 1] for j in range(X.shape[1])])
    total = float(d * u @ V @ u / (xx @ xx))
    k = X.shape[1]
    return PHTest(fit.names, rho, chisq, sps.chi2.sf(chisq, 1), total, k, float(sps.chi2.sf(total, k)), transform)


def _km_before(start, stop, event, times) -> np.ndarray:
    """Kaplan-Meier of all rows (late entry allowed) just before each of `times` (left-continuous)."""
    ev = np.unique(stop[event])
    at_risk = np.array([np.sum((start < t) & (stop >= t)) for t in ev])
    deaths = np.array([np.sum(event & (stop == t)) for t in ev])
    surv = np.cumprod(1 - deaths / at_risk)
    before = np.concatenate([[1.0], surv])
    return before[np.searchsorted(ev, times, side="left")]
