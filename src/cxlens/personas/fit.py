"""Fit personas: a latent class model (StepMix) of the customer view, the number of classes chosen by BIC.

A latent class model (Lazarsfeld & Henry 1968; StepMix: Morin et al. 2025, JSS) treats each persona as a
class in which the chosen columns are independent: a categorical distribution per categorical column, a
Gaussian per numeric column, a binomial per theme (how many of the customer's texts mention it; McLachlan &
Peel 2000, Finite Mixture Models, for mixtures of binomials). Missing values are skipped in the likelihood
(full-information maximum likelihood), so a customer without an age or without a comment is still placed.
The number of personas k is the one with the lowest BIC over 3..8 (Schwarz 1978), the criterion the
latent class literature recommends (Nylund, Asparouhov & Muthén 2007).

StepMix's Gaussian with missing values has no variance floor: a class whose members share one value (many
customers have exactly 0 tickets or a digital share of 1) gets zero variance and an infinite likelihood.
The floored variant below keeps every within-class variance >= VARIANCE_FLOOR on the standardised scale
(the role of scikit-learn's `reg_covar`).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from cxlens.errors import AnalysisError, UsageError
from cxlens.personas.features import BINOMIAL, FLOORED_GAUSSIAN, Design, Features, design

K_RANGE = (3, 8)
VARIANCE_FLOOR = 0.01  # within-class variance on the standardised scale (sd >= 0.1 of the whole base)
PROBABILITY_FLOOR = 1e-6  # a theme's share of texts in a class stays within [floor, 1 - floor]: log 0 is -inf
N_INIT = 3             # EM starts per fit; the best likelihood wins
MAX_ITER = 300

Progress = Callable[[str], None]


def one_thread(fit: Callable) -> Callable:
    """Run `fit` with OpenMP/BLAS pools at one thread (value.risk measured spinning workers 18x slower on a
    loaded 2-core machine)."""
    @functools.wraps(fit)
    def single(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return fit(*args, **kwargs)
    return single


@functools.cache
def _register_emissions() -> None:
    """Add the floored Gaussian and the binomial theme counts to StepMix's emission models."""
    from stepmix.emission.build_emission import EMISSION_DICT
    from stepmix.emission.emission import Emission
    from stepmix.emission.gaussian import GaussianDiagNan

    class FlooredGaussianDiagNan(GaussianDiagNan):
        """Diagonal Gaussian with missing values whose variances never fall below VARIANCE_FLOOR."""

        def _compute_cov(self, X, resp, resp_sums):
            return np.maximum(super()._compute_cov(X, resp, resp_sums), VARIANCE_FLOOR)

    class ThemeCounts(Emission):
        """Columns c_1..c_T then n: c_t of a customer's n texts mention theme t, binomial(n, p_kt) in class k.

        Log-likelihood without the binomial coefficient (the same in every class and every k, so neither the
        posterior nor BIC's comparison changes); M-step p_kt = sum_i r_ik c_it / sum_i r_ik n_i (the binomial
        MLE with weights). A customer with n = 0 adds nothing."""

        def m_step(self, X, resp):
            counts, texts = X[:, :-1], X[:, -1:]
            p = (counts.T @ resp) / np.maximum(texts.T @ resp, 1e-12)
            self.parameters["pis"] = np.clip(p.T, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)

        def log_likelihood(self, X):
            counts, texts = X[:, :-1], X[:, -1:]
            p = self.parameters["pis"].T
            return counts @ np.log(p) + (texts - counts) @ np.log1p(-p)

        def sample(self, class_no, n_samples):
            raise NotImplementedError("theme counts are not sampled")

        @property
        def n_parameters(self):
            return self.parameters["pis"].size

    EMISSION_DICT[FLOORED_GAUSSIAN] = FlooredGaussianDiagNan
    EMISSION_DICT[BINOMIAL] = ThemeCounts


@functools.cache
def _model_class(started: bool) -> type:
    """StepMix, or StepMix whose EM starts from given responsibilities (`start_`): warm starts."""
    from stepmix.stepmix import StepMix

    if not started:
        return StepMix

    class StartedStepMix(StepMix):
        def _initialize_parameters(self, X, random_state):
            self.log_resp_ = np.log(np.clip(self.start_, 1e-15, 1 - 1e-15))
            self.weights_ = self.start_.mean(axis=0)
            self._initialize_parameters_measurement(X, random_state)

    return StartedStepMix


@dataclass
class LatentClasses:
    """One fitted model: labels 0..k-1 ordered by class size (0 the largest), posterior of the label, BIC."""

    k: int
    labels: np.ndarray
    probability: np.ndarray
    bic: float
    model: object  # the StepMix estimator (predict on other rows)

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Labels (same numbering) of other rows, e.g. every customer after a fit on a resample."""
        return self._order[self.model.predict(matrix)]


def fit_classes(d: Design, k: int, seed: int = 0, rows: np.ndarray | None = None, n_init: int = N_INIT,
                start: np.ndarray | None = None) -> LatentClasses:
    """Fit a k-class model on `d` (on `rows` of it when given) and label every row of `d`. `start`: EM's first
    responsibilities (one row per row fitted, k columns), one start from them instead of `n_init` random ones."""
    _register_emissions()
    x = d.matrix if rows is None else d.matrix[rows]
    model = _model_class(start is not None)(n_components=k, measurement=d.descriptor, n_init=1 if start is not None else n_init,
                                            max_iter=MAX_ITER, abs_tol=1e-6, random_state=seed, progress_bar=0, verbose=0)
    model.start_ = start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StepMix warns per start that did not converge in MAX_ITER; the best start wins
        model.fit(x)
        posterior = model.predict_proba(d.matrix)
        bic = float(model.bic(x))
    raw = posterior.argmax(axis=1)
    sizes = np.bincount(raw, minlength=k)
    order = np.empty(k, dtype=int)
    order[np.argsort(-sizes, kind="stable")] = np.arange(k)
    out = LatentClasses(k, order[raw], posterior.max(axis=1), bic, model)
    out._order = order
    return out


@dataclass
class PersonaFit:
    """The chosen model and how it was chosen."""

    classes: LatentClasses
    design: Design
    bic: dict[int, float]  # k -> BIC (lower is better)
    seed: int

    @property
    def k(self) -> int:
        return self.classes.k


@one_thread
def fit_personas(frame: pd.DataFrame, *, k: int | None = None, k_range: tuple[int, int] = K_RANGE, seed: int = 0,
                 features: Features = Features(), n_init: int = N_INIT, sample: int | None = None,
                 progress: Progress | None = None) -> PersonaFit:
    """Fit personas on `frame` (the customer view): every k of `k_range` (or just `k`), the lowest BIC kept.

    `sample`: choose k by BIC on that many customers drawn at random (seeded), then fit the chosen k on every
    customer: the search over k no longer grows with the base (the demo: 5,000 of 20,000), and the personas are
    estimated from everyone (architecture D58).
    Raises UsageError for a bad k or sample, AnalysisError when there are too few customers for the model."""
    low, high = (k, k) if k is not None else k_range
    if low < 2 or high < low:
        raise UsageError("k", k if k is not None else k_range, message="the number of personas must be 2 or more")
    d = design(frame, features)
    if len(frame) < 10 * high:
        raise AnalysisError(f"{len(frame)} customers are too few for {high} personas: the model needs at least "
                            f"{10 * high}; lower --k")
    rows = None
    if sample is not None:
        if sample < 10 * high:
            raise UsageError("sample", sample, message=f"a sample of {sample} customers is too small for {high} "
                             f"personas: use at least {10 * high}")
        if sample < len(frame):
            rows = np.sort(np.random.default_rng(seed).choice(len(frame), sample, replace=False))
    fits: dict[int, LatentClasses] = {}
    for kk in range(low, high + 1):
        if progress:
            progress(f"k={kk}")
        fits[kk] = fit_classes(d, kk, seed, rows=rows, n_init=n_init)
    bic = {kk: f.bic for kk, f in fits.items()}  # on the sample when there is one
    best = min(bic, key=lambda kk: (bic[kk], kk))
    if rows is not None:
        if progress:
            progress(f"k={best} on every customer")
        # EM on everyone from the sample model's posterior: random starts on 20,000 customers fell into a worse
        # optimum (3 starts, seed 2 of the demo: ARI 0.67 against 0.81) that the sample's fit had escaped
        fits[best] = fit_classes(d, best, seed, start=fits[best].model.predict_proba(d.matrix))
    return PersonaFit(fits[best], d, bic, seed)
