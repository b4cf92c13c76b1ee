"""The personas a fit found, kept in the store: assignments in table `personas`, the summary in `cxlens_meta`.

The table holds one row per customer (customer_id, persona_id, persona, probability) and is replaced by every
fit; erasure removes a customer's row like any table with a customer key. The summary (features, BIC per k,
stability, each persona's name, description and traits) is JSON under the meta key `personas`: aggregates
only, no customer identifier.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa

from cxlens.errors import AnalysisError
from cxlens.personas.describe import describe, short_name, traits
from cxlens.personas.features import band_name
from cxlens.personas.fit import PersonaFit
from cxlens.personas.stability import Stability

TABLE = "personas"
# Columns of the customer view a description may name besides the model's (what sets a persona apart in behaviour
# and value, even where the model did not use it).
DESCRIBE_CATEGORICAL = ("plan", "top_channel")
DESCRIBE_NUMERIC = ("digital_share", "tenure_months", "revenue_month", "tickets_per_month")
META_KEY = "personas"


def persona_id(label: int) -> str:
    """P1 for the largest persona, P2 the next."""
    return f"P{label + 1}"


def summarise(frame: pd.DataFrame, fit: PersonaFit, stable: Stability | None) -> dict:
    """The fit's summary: features, BIC per k, stability, and per persona its name, description and traits."""
    d, labels = fit.design, fit.classes.labels
    taken: set[str] = set()
    plain = [c for c in d.categorical if c not in {band_name(b) for b in d.banded}]  # bands are described as numbers
    modelled = {*plain, *d.numeric, *d.banded, "themes"}
    personas = []
    for label in range(fit.k):
        found = traits(frame, labels, label, [*plain, *[c for c in DESCRIBE_CATEGORICAL if c in frame and c not in plain]],
                       [*d.numeric, *d.banded, *[c for c in DESCRIBE_NUMERIC if c in frame and c not in d.numeric]],
                       themes=d.themes_column if d.themes else None)
        found.sort(key=lambda t: t.column not in modelled)  # the model's own columns first (stable: strength within)
        personas.append({
            "persona_id": persona_id(label), "name": short_name(found, taken, persona_id(label)),
            "description": describe(found), "customers": int((labels == label).sum()),
            "traits": [{"column": t.column, "value": t.value, "strength": round(t.strength, 3),
                        "persona": round(t.persona, 4), "overall": round(t.overall, 4)} for t in found]})
    return {
        "fitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "customers": len(frame),
        "k": fit.k, "seed": fit.seed, "criterion": "BIC",
        "bic": {str(k): round(v, 1) for k, v in fit.bic.items()},
        "features": {"categorical": plain, "banded": d.banded, "numeric": d.numeric, "log1p": d.logged, "themes": d.themes},
        "notes": d.notes, "stability": stable.as_dict() if stable else None, "personas": personas,
    }


def assignments(frame: pd.DataFrame, fit: PersonaFit, summary: dict) -> pd.DataFrame:
    """Rows of table `personas`: each customer's persona id, name and posterior probability."""
    names = {p["persona_id"]: p["name"] for p in summary["personas"]}
    ids = [persona_id(int(label)) for label in fit.classes.labels]
    return pd.DataFrame({"customer_id": frame["customer_id"].astype(str).to_numpy(), "persona_id": ids,
                         "persona": [names[i] for i in ids],
                         "probability": np.round(fit.classes.probability.astype(float), 6)})


def save(store, rows: pd.DataFrame, summary: dict) -> None:
    """Replace table `personas` with `rows` and record `summary` in the store's meta."""
    store.replace_rows(TABLE, pa.Table.from_pandas(rows, preserve_index=False))
    store.set_meta(META_KEY, json.dumps(summary))


def load_summary(store) -> dict:
    """The last fit's summary; AnalysisError naming the command when no fit was stored."""
    raw = store.meta(META_KEY)
    if raw is None:
        raise AnalysisError("no personas were fitted in this store yet: run `cxlens personas fit`")
    return json.loads(raw)


def fit_summary(frame: pd.DataFrame, *, k: int | None = None, seed: int = 0, seeds: int = 3, resamples: int = 3,
                features=None, progress=None, **fit_options) -> tuple[dict, pd.DataFrame]:
    """Fit personas on `frame` (the customer view) and check their stability: (summary, rows of table `personas`),
    for `save`. Fitting needs no write access, so a store is held for writing only while saving. `fit_options`
    go to `fit_personas` (k_range, n_init, sample)."""
    from cxlens.personas.features import Features
    from cxlens.personas.fit import fit_personas
    from cxlens.personas.stability import stability

    fit = fit_personas(frame, k=k, seed=seed, features=features or Features(), progress=progress, **fit_options)
    stable = stability(fit, seeds=seeds, resamples=resamples, progress=progress) if seeds or resamples else None
    summary = summarise(frame, fit, stable)
    # the customers BIC compared the k on (D58); None when k was given
    summary["k_chosen_on"] = None if k is not None else min(fit_options.get("sample") or len(frame), len(frame))
    return summary, assignments(frame, fit, summary)


def shown(store, frame: pd.DataFrame, min_group: int) -> dict:
    """What `cxlens personas show/cards` and the report print: the stored summary and the profiles of the
    personas with at least `min_group` customers in `frame` (the customer view, persona column filled)."""
    from cxlens.personas.profiles import profiles, touchpoint_csat

    summary = load_summary(store)
    cards, hidden = profiles(frame, summary, touchpoint_csat(store, min_group), min_group)
    return {"summary": summary, "profiles": [c.as_dict() for c in cards], "hidden": hidden, "min_group": min_group}
