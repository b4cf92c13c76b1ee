"""Which columns of the customer view a persona model sees, and the matrix StepMix fits.

Defaults, chosen by measurement on the 5,000-customer demo against its planted personas (adjusted Rand index,
ARI, at k = 6; docs/people.md "Personas"):

- categorical `segment`: the strongest persona signal. `plan` is left out because it is nested in the segment
  (a latent class model assumes the indicators independent within a class; segment + plan split classes by
  plan), `top_channel` because nearly everyone's is the app (it only adds noise).
- `age` in standard bands (BANDS: up to 24, 25-34, ..., 65 and over) as a category: an age range is not a bell
  curve, and bands fit any shape (ARI 0.68 with age as a Gaussian, 0.82 banded).
- the needs: one yes/no indicator per frequent comment theme (`themes`), missing for customers without a
  comment (the model skips missing values: full-information likelihood); ARI 0.48 -> 0.68 with age Gaussian.
- no numeric column by default: `digital_share` lowered ARI (0.82 -> 0.68 with age banded); `tickets_per_month`
  is 0 for most customers and a point mass makes a class of its own; revenue and cost follow the plan. They all
  stay in the descriptions (cxlens.personas.stored DESCRIBE_*) and the profiles.

Skewed counts and amounts are log1p-transformed before standardising (SKEWED). Every column may be chosen
with `Features(categorical=..., numeric=..., banded=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlens.errors import UsageError

DEFAULT_CATEGORICAL = ("segment",)
DEFAULT_NUMERIC: tuple[str, ...] = ()
DEFAULT_BANDED = ("age",)
# Banded columns: a number modelled as a category of standard bands, so any shape within a persona fits (an age
# range is not a bell curve); the description still uses the number ("older (73)").
BANDS: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
    "age": ((-np.inf, 24, 34, 44, 54, 64, np.inf), ("up to 24", "25-34", "35-44", "45-54", "55-64", "65 and over")),
}
SKEWED = ("tickets", "tickets_per_month", "revenue_month", "cost_to_serve_month", "events", "responses")
THEMES_COLUMN = "themes"
MAX_LEVELS = 12  # a categorical column keeps its most frequent levels; the rest become "other"
MAX_THEMES = 8   # themes used as indicators: the most frequent


@dataclass(frozen=True)
class Features:
    """The view's columns a persona model uses: categorical, numeric, and whether the comment themes count."""

    categorical: tuple[str, ...] = DEFAULT_CATEGORICAL
    numeric: tuple[str, ...] = DEFAULT_NUMERIC
    banded: tuple[str, ...] = DEFAULT_BANDED
    themes: bool = True


@dataclass
class Design:
    """The matrix a latent class model fits and what each of its columns means."""

    matrix: np.ndarray                      # categorical codes, then standardised numerics, then 0/1 themes; NaN missing
    descriptor: dict                        # StepMix nested measurement descriptor
    categorical: list[str]
    levels: dict[str, list[str]]            # categorical column -> its levels (code i = levels[i])
    numeric: list[str]
    banded: list[str]                       # numeric columns modelled by bands (their categorical name: band_name())
    logged: list[str]                       # numeric columns log1p-transformed
    themes: list[str]                       # theme indicator columns, in order
    notes: list[str] = field(default_factory=list)  # columns left out and why (the app prints them as warnings)


def _categories(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    text = values.astype("string")
    counts = text.value_counts()
    keep = list(counts.index[:MAX_LEVELS])
    if len(counts) > MAX_LEVELS:
        text = text.where(text.isin(keep) | text.isna(), "other")
        keep.append("other")
    codes = pd.Categorical(text, categories=keep).codes.astype(float)
    codes[codes < 0] = np.nan
    return codes, [str(k) for k in keep]


def theme_lists(frame: pd.DataFrame) -> pd.Series:
    """Each customer's themes as a list ([] when none); the view's `themes` is comma-separated."""
    if THEMES_COLUMN not in frame:
        return pd.Series([[]] * len(frame), index=frame.index)
    # Built as plain lists (object dtype): pandas 3.1 infers an Arrow list dtype for a string column's map, whose
    # elements then come back as numpy arrays (no truth value), which broke `map(bool)` and `t in ts` downstream.
    texts = frame[THEMES_COLUMN].astype("string").fillna("")
    return pd.Series([[t for t in s.split(",") if t] for s in texts], index=frame.index, dtype=object)


def design(frame: pd.DataFrame, features: Features = Features()) -> Design:
    """The model matrix of `frame` (one row per customer, the customer view's columns) for `features`.

    Raises UsageError for a column the frame lacks; a column without any value is left out with a note."""
    missing = [c for c in (*features.categorical, *features.numeric, *features.banded) if c not in frame.columns]
    if missing:
        raise UsageError("features", ", ".join(missing), message=f"the customer view has no column {', '.join(missing)}; "
                         f"columns are: {', '.join(frame.columns)}")
    notes: list[str] = []
    blocks, descriptor = [], {}
    cats, levels, banded = [], {}, []
    frame = with_bands(frame, features)
    for column in (*features.categorical, *(band_name(c) for c in features.banded)):
        if frame[column].isna().all():
            notes.append(f"{column}: no values in the data; left out of the persona model")
            continue
        codes, lv = _categories(frame[column])
        if len(lv) < 2:
            notes.append(f"{column}: one value only ({lv[0]}); left out of the persona model")
            continue
        blocks.append(codes[:, None])
        cats.append(column)
        levels[column] = lv
        banded += [c for c in features.banded if band_name(c) == column]
    nums, logged = [], []
    for column in features.numeric:
        x = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, copy=True)
        if np.isnan(x).all() or np.nanstd(x) == 0:
            notes.append(f"{column}: no values or all equal in the data; left out of the persona model")
            continue
        if column in SKEWED and np.nanmin(x) >= 0:
            x = np.log1p(x)
            logged.append(column)
        blocks.append(((x - np.nanmean(x)) / np.nanstd(x))[:, None])
        nums.append(column)
    themes: list[str] = []
    if features.themes:
        lists = theme_lists(frame)
        counts = pd.Series([t for ts in lists for t in ts], dtype="string").value_counts()
        themes = [str(t) for t in counts.index[:MAX_THEMES]]
        if themes:
            has = lists.map(bool).to_numpy()
            for theme in themes:
                x = lists.map(lambda ts, t=theme: t in ts).to_numpy(dtype=float, copy=True)
                x[~has] = np.nan
                blocks.append(x[:, None])
        else:
            notes.append("themes: no comment themes stored (run `cxlens text analyze`); needs left out of the persona model")
    if cats:
        descriptor["categorical"] = {"model": "categorical_nan", "n_columns": len(cats)}
    if nums:
        descriptor["numeric"] = {"model": FLOORED_GAUSSIAN, "n_columns": len(nums)}
    if themes:
        descriptor["themes"] = {"model": "bernoulli_nan", "n_columns": len(themes)}
    if not blocks:
        raise UsageError("features", "", message="no usable column for a persona model: " + "; ".join(notes))
    return Design(np.hstack(blocks), descriptor, cats, levels, nums, banded, logged, themes, notes)


def band_name(column: str) -> str:
    """The categorical column a banded number becomes: age -> age_band."""
    return f"{column}_band"


def with_bands(frame: pd.DataFrame, features: Features) -> pd.DataFrame:
    """`frame` with a `<column>_band` column (standard bands, BANDS; missing stays missing) per banded column."""
    if not features.banded:
        return frame
    out = frame.copy()
    for column in features.banded:
        if column not in BANDS:
            raise UsageError("banded", column, sorted(BANDS), message=f"no bands defined for {column}; banded columns: "
                             f"{', '.join(sorted(BANDS))}")
        edges, labels = BANDS[column]
        x = pd.to_numeric(out[column], errors="coerce")
        out[band_name(column)] = pd.cut(x, list(edges), labels=list(labels)).astype("string")
    return out


FLOORED_GAUSSIAN = "gaussian_diag_floor_nan"  # registered in cxlens.personas.fit
