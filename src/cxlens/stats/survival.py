"""Cox proportional hazards on counting-process rows (start, stop], with strata and tied event times.

Rows are intervals during which a subject's covariates are constant, so time-varying covariates and
late entry (left truncation) are expressed by splitting a subject's follow-up into rows. Ties are
handled with Efron's approximation (lifelines' and R survival's default), which matters when time is
counted in whole months. Written here rather than depending on lifelines, whose pin to pandas < 3
conflicts with this project's pandas (measured: installing lifelines 0.30.3 downgraded pandas 3.0.6).

Speed (docs/architecture.md D56): the risk sets are built once from one sort (`RiskSets`); every sum over a risk
set is a difference of reverse cumulative sums per stratum, the Hessian's weighted second moments are one
X' diag(c) X rather than one per event time, and with 0/1 covariates Newton runs on the distinct rows with counts.
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
    groups = _risk_groups(start, stop, event, np.zeros(n, int) if strata is None else np.asarray(strata))
    Xn, gn = _collapsed(X, groups) or (X, groups)  # Newton on identical rows merged (0/1 covariates): same sums
    beta = np.zeros(k)
    loglik, grad, hess = _efron(beta, Xn, gn)
    iteration = 0  # max_iter=0 evaluates the null model (beta = 0)
    for iteration in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            raise ValueError(f"covariates {names} are collinear or constant within the risk sets") from None
        new = beta + step
        new_ll, new_grad, new_hess = _efron(new, Xn, gn)
        # step halving keeps the ascent; a fall within rounding of a large log-likelihood (1e-12 of it) is no fall
        while new_ll < loglik - 1e-12 * max(1.0, abs(loglik)) and np.max(np.abs(step)) > 1e-12:
            step /= 2
            new = beta + step
            new_ll, new_grad, new_hess = _efron(new, Xn, gn)
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
        resid = score_residuals(beta, X, groups)
        U = np.column_stack([np.bincount(codes, resid[:, j], minlength=n_clusters) for j in range(k)])
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
    sd = X.std(axis=0)
    constant = [m for m, s in zip(names, sd) if s == 0]
    if constant:
        raise ValueError(f"covariate {constant} is constant: it has no effect to estimate; drop it")
    Z = (X - X.mean(axis=0)) / sd
    _, sv, vt = np.linalg.svd(np.linalg.qr(Z, mode="r"))  # Z = QR: R has Z's singular values and vectors, and is k x k
    if sv[-1] < 1e-8 * sv[0]:
        involved = [m for m, w in zip(names, vt[-1]) if abs(w) > 1e-6]
        raise ValueError(f"covariates {involved} are collinear (one is a combination of the others): drop one of them")


def _codes(labels, n: int) -> tuple[np.ndarray, int]:
    labels = np.asarray(labels)
    if len(labels) != n:
        raise ValueError("clusters must have one label per row")
    return _dense_codes(labels)


def _dense_codes(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes 0..m-1 of the labels in sorted order, and m. Integer labels within a small range are counted instead
    of sorted (np.unique's argsort took a second for 2M customer-months)."""
    if labels.dtype.kind in "iub" and len(labels):
        lo = int(labels.min())
        span = int(labels.max()) - lo
        if span < 4 * len(labels) + 1024:
            present = np.bincount(labels.astype(np.int64) - lo, minlength=span + 1) > 0
            return (np.cumsum(present) - 1)[labels.astype(np.int64) - lo], int(present.sum())
    uniq, codes = np.unique(labels, return_inverse=True)
    return codes.reshape(-1), len(uniq)


@dataclass(frozen=True)
class RiskSets:
    """The risk sets of counting-process rows, built once (one sort) and reused by every Newton step.

    Groups are the distinct (stratum, event time) pairs, ordered by stratum then time. Row i is at risk in the
    consecutive groups first[i] .. last[i] of its stratum (start < t <= stop); `prev` is first - 1, or G (a slot
    that is always zero) when first is its stratum's first group or the row is in no risk set (last = G then).
    `dead` are the event rows ordered by group then row, `dead_group` their group; Efron's d steps of every group
    are the D = number of events `steps` (their group) with fractions `frac` = j / d. `count`: how many identical
    rows each row stands for (None: one each), see `_collapsed`.
    """

    time: np.ndarray
    bounds: np.ndarray  # groups of stratum s are bounds[s] .. bounds[s + 1] - 1
    last: np.ndarray
    prev: np.ndarray
    dead: np.ndarray
    dead_group: np.ndarray
    deaths: np.ndarray
    steps: np.ndarray
    frac: np.ndarray
    count: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.time)

    def totals(self, values: np.ndarray) -> np.ndarray:
        """Per group, the sum of `values` (one per row) over the rows at risk: differences of reverse cumulative sums."""
        G = self.size
        out = np.bincount(self.last, values, minlength=G + 1)[:G] - np.bincount(self.prev, values, minlength=G + 1)[:G]
        for lo, hi in zip(self.bounds[:-1], self.bounds[1:]):
            out[lo:hi] = np.cumsum(out[lo:hi][::-1])[::-1]
        return out

    def accumulate(self, per_group: np.ndarray) -> np.ndarray:
        """Per row, the sum of `per_group` (G or G x k) over the groups the row is at risk in."""
        cum = np.zeros((self.size + 1, *per_group.shape[1:]))
        for lo, hi in zip(self.bounds[:-1], self.bounds[1:]):
            cum[lo:hi] = np.cumsum(per_group[lo:hi], axis=0)
        return cum[self.last] - cum[self.prev]


def _risk_groups(start, stop, event, strata) -> RiskSets:
    """Per stratum and distinct event time t: the rows at risk (start < t <= stop) and the rows with an event at t."""
    start, stop, event = np.asarray(start, float), np.asarray(stop, float), np.asarray(event, bool)
    code, n_strata = _dense_codes(np.asarray(strata))
    if len(code) != len(stop):
        raise ValueError("strata must have one label per row")
    code = code.astype(np.int64)
    times = np.unique(stop[event])
    T = len(times)
    dead = np.flatnonzero(event)
    key = code[dead] * T + np.searchsorted(times, stop[dead])  # (stratum, time) as one sortable integer
    gkey = np.unique(key)
    G = len(gkey)
    dead_group = np.searchsorted(gkey, key)
    order = np.argsort(dead_group, kind="stable")  # by group, then row
    dead, dead_group = dead[order], dead_group[order]
    locate = _locator(gkey, n_strata * T + T + 1, len(stop))  # how many groups have a key below
    bounds = locate(np.arange(n_strata + 1) * T)
    first = locate(code * T + np.searchsorted(times, start, side="right"))
    last = locate(code * T + np.searchsorted(times, stop, side="right")) - 1  # groups with key <= code * T + rank - 1
    empty = first > last
    prev = np.where((first > bounds[code]) & ~empty, first - 1, G)
    last = np.where(empty, G, last)
    deaths = np.bincount(dead_group, minlength=G)
    steps = np.repeat(np.arange(G), deaths)
    frac = (np.arange(len(steps)) - np.repeat(np.cumsum(deaths) - deaths, deaths)) / deaths[steps]
    return RiskSets(times[gkey % T] if T else np.zeros(0), bounds, last, prev, dead, dead_group, deaths, steps, frac)


def _locator(keys: np.ndarray, size: int, rows: int):
    """searchsorted(keys, q) for integer q in [0, size): a lookup table when it is not much larger than the rows."""
    if size <= 4 * rows + 1_000_000:
        table = np.searchsorted(keys, np.arange(size))
        return lambda q: table[q]
    return lambda q: np.searchsorted(keys, q)


def _collapsed(X: np.ndarray, rs: RiskSets) -> tuple[np.ndarray, RiskSets] | None:
    """The rows merged where they are interchangeable in the likelihood: same 0/1 covariates, same risk sets, same
    event status. Efron's sums over n rows equal the count-weighted sums over the distinct ones (the d steps of a
    group still run over all its deaths), so each Newton step costs a few thousand rows instead of millions.
    None when a covariate is not 0/1, or when merging would not at least halve the rows."""
    n, k = X.shape
    G1 = rs.size + 1
    # the pattern is exact in a double for k <= 50; the key must fit an int64
    if n < 64 or k > 50 or float(2 ** k) * G1 * G1 * 2 >= 2.0 ** 62 or not np.all((X == 0) | (X == 1)):
        return None
    dead = np.zeros(n, np.int64)
    dead[rs.dead] = 1
    pattern = (X @ (2.0 ** np.arange(k))).astype(np.int64)
    key = ((pattern * G1 + rs.last) * G1 + rs.prev) * 2 + dead
    uniq, count = np.unique(key, return_counts=True)
    if len(uniq) > n // 2:
        return None
    is_dead, rest = uniq % 2 == 1, uniq // 2
    prev, rest = rest % G1, rest // G1
    last, pattern = rest % G1, rest // G1
    Xc = ((pattern[:, None] >> np.arange(k)) & 1).astype(float)
    dead_rows = np.flatnonzero(is_dead)
    dead_group = last[dead_rows]  # a row that dies is last at risk at its own event time
    order = np.argsort(dead_group, kind="stable")
    dead_rows, dead_group = dead_rows[order], dead_group[order]
    merged = RiskSets(rs.time, rs.bounds, last, prev, dead_rows, dead_group, rs.deaths, rs.steps, rs.frac, count.astype(float))
    return Xc, merged


def _weights(beta, X) -> tuple[np.ndarray, np.ndarray, float]:
    eta = X @ beta
    shift = float(eta.max())
    return eta, np.exp(eta - shift), shift  # a common factor cancels in every ratio; the log-likelihood adds it back


def _steps(w, X, rs: RiskSets) -> tuple[np.ndarray, np.ndarray]:
    """Efron's denominators s0 (D) and numerators s1 (D x k) at each of the d steps of every group:
    risk-set sums minus the fraction j / d of the dying rows' sums. `w` already multiplied by the rows' counts."""
    k = X.shape[1]
    wd, xd, g = w[rs.dead], X[rs.dead], rs.dead_group
    G = rs.size
    s0r, s0d = rs.totals(w), np.bincount(g, wd, minlength=G)
    s1r = np.column_stack([rs.totals(w * X[:, j]) for j in range(k)]) if k else np.zeros((G, 0))
    s1d = np.column_stack([np.bincount(g, wd * xd[:, j], minlength=G) for j in range(k)]) if k else np.zeros((G, 0))
    f = rs.frac
    s0 = s0r[rs.steps] - f * s0d[rs.steps]
    s1 = s1r[rs.steps] - f[:, None] * s1d[rs.steps]
    return s0, s1


def score_residuals(beta, X, groups: RiskSets) -> np.ndarray:
    """Per-row score residuals with Efron's ties (Therneau & Grambsch 2000, sec. 4.4; R's residuals(type='score')).

    Row i's share of the score: for each event time t, dN_i(t) (x_i - mean_j xbar_j) minus its expected
    share w_i sum_j c_ij (x_i - xbar_j) / S0_j, where j runs over Efron's d steps and c_ij = 1, or
    1 - j/d for the rows that die at t. Rows sum to the score (zero at the maximum).
    """
    rs, G = groups, groups.size
    X = np.asarray(X, float)
    _, w, _ = _weights(beta, X)
    s0, s1 = _steps(w, X, rs)
    xbar = s1 / s0[:, None]
    f, st = rs.frac, rs.steps
    a = np.bincount(st, 1 / s0, minlength=G)  # sum_j 1 / s0_j
    b = _group_sums(st, xbar / s0[:, None], G)  # sum_j xbar_j / s0_j
    resid = -w[:, None] * (X * rs.accumulate(a)[:, None] - rs.accumulate(b))
    g, d = rs.dead_group, rs.dead
    fa = np.bincount(st, f / s0, minlength=G)  # sum_j (j/d) / s0_j: the dying rows' weights are 1 - j/d
    fb = _group_sums(st, xbar * (f / s0)[:, None], G)
    mean = _group_sums(st, xbar, G) / rs.deaths[:, None]
    xd, wd = X[d], w[d]
    resid[d] += wd[:, None] * (xd * fa[g][:, None] - fb[g]) + xd - mean[g]
    return resid


def _group_sums(steps, values, G) -> np.ndarray:
    return np.column_stack([np.bincount(steps, values[:, j], minlength=G) for j in range(values.shape[1])]) \
        if values.shape[1] else np.zeros((G, 0))


def schoenfeld_residuals(beta, X, groups: RiskSets) -> tuple[np.ndarray, np.ndarray]:
    """One row per event: x_i minus the Efron-averaged risk-set mean at its time; and the group index of each."""
    rs = groups
    X = np.asarray(X, float)
    _, w, _ = _weights(beta, X)
    s0, s1 = _steps(w, X, rs)
    mean = _group_sums(rs.steps, s1 / s0[:, None], rs.size) / rs.deaths[:, None]
    return X[rs.dead] - mean[rs.dead_group], rs.dead_group


def _efron(beta, X, groups: RiskSets) -> tuple[float, np.ndarray, np.ndarray]:
    """Efron log partial likelihood, its gradient and Hessian at beta.

    Sum over groups g and steps j of log s0_j, s1_j / s0_j and s2_j / s0_j - s1_j s1_j' / s0_j^2 (Therneau &
    Grambsch 2000, sec. 3.3), with s2 never formed per group: sum_g (S2r_g A_g - S2d_g B_g) = X' diag(c) X where
    c_i = w_i (sum of A_g over the groups row i is at risk in - B_g of the group it dies in), A_g = sum_j 1 / s0_j,
    B_g = sum_j (j/d) / s0_j; likewise for s1 in the gradient.
    """
    rs, G = groups, groups.size
    eta, w, shift = _weights(beta, X)
    st, d = rs.steps, rs.dead
    if rs.count is None:
        dead_eta, dead_x = eta[d].sum(), X[d].sum(axis=0)
    else:
        w = w * rs.count
        dead_eta, dead_x = rs.count[d] @ eta[d], rs.count[d] @ X[d]
    s0, s1 = _steps(w, X, rs)
    ll = float(dead_eta - np.log(s0).sum() - len(s0) * shift)
    c = w * rs.accumulate(np.bincount(st, 1 / s0, minlength=G))
    c[d] -= w[d] * np.bincount(st, rs.frac / s0, minlength=G)[rs.dead_group]
    grad = dead_x - X.T @ c
    r = s1 / s0[:, None]
    hess = r.T @ r - (X * c[:, None]).T @ X
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
    groups = _risk_groups(start, stop, event, np.zeros(len(stop), int) if strata is None else np.asarray(strata))
    resid, which = schoenfeld_residuals(fit.coef, X, groups)
    times = groups.time[which]
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
    # at risk at t: start < t <= stop, i.e. #{start < t} - #{stop < t} (stop < t implies start < t)
    at_risk = np.searchsorted(np.sort(start), ev, side="left") - np.searchsorted(np.sort(stop), ev, side="left")
    deaths = np.bincount(np.searchsorted(ev, stop[event]), minlength=len(ev))
    surv = np.cumprod(1 - deaths / at_risk)
    before = np.concatenate([[1.0], surv])
    return before[np.searchsorted(ev, times, side="left")]
