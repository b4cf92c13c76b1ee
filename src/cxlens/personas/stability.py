"""Are the personas stable? Adjusted Rand index between the fit and refits with other seeds and on resamples.

The adjusted Rand index (Hubert & Arabie 1985) is 1 for the same partition, about 0 for chance agreement; a
persona set that changes with the random start or with which customers happen to be in the data cannot be
trusted. Bootstrap refits (resampled customers, with replacement) are applied to every customer and compared
with the fit's labels (the approach of Hennig 2007, with ARI as the similarity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from cxlens.personas.fit import PersonaFit, fit_classes, one_thread


def adjusted_rand(a, b) -> float:
    """Adjusted Rand index of two labelings (scikit-learn's, Hubert & Arabie 1985)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(np.asarray(a), np.asarray(b)))


@dataclass(frozen=True)
class Stability:
    """ARI of the fit with each seed refit and each bootstrap refit."""

    seeds: tuple[float, ...]
    bootstrap: tuple[float, ...]

    @staticmethod
    def _summary(values: tuple[float, ...]) -> dict:
        return {"n": len(values), "mean": float(np.mean(values)) if values else None,
                "min": float(np.min(values)) if values else None}

    def as_dict(self) -> dict:
        return {"seeds": {**self._summary(self.seeds), "ari": list(self.seeds)},
                "bootstrap": {**self._summary(self.bootstrap), "ari": list(self.bootstrap)}}


@one_thread
def stability(fit: PersonaFit, *, seeds: int = 3, resamples: int = 3,
              progress: Callable[[str], None] | None = None) -> Stability:
    """Refit the chosen k with `seeds` other seeds and on `resamples` bootstrap resamples; ARI with the fit."""
    d, k, base = fit.design, fit.k, fit.classes.labels
    by_seed = []
    for i in range(seeds):
        if progress:
            progress(f"seed {i + 1}/{seeds}")
        by_seed.append(adjusted_rand(base, fit_classes(d, k, fit.seed + 1 + i).labels))
    rng = np.random.default_rng(fit.seed + 1000)
    by_boot = []
    for i in range(resamples):
        if progress:
            progress(f"resample {i + 1}/{resamples}")
        rows = rng.integers(0, len(base), len(base))
        refit = fit_classes(d, k, fit.seed + 2000 + i, rows=rows)
        by_boot.append(adjusted_rand(base, refit.predict(d.matrix)))
    return Stability(tuple(by_seed), tuple(by_boot))
