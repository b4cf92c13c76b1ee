"""Which columns of the customer view a persona model sees, and the matrix StepMix fits.

Defaults, chosen by measurement on the 5,000-customer demo against its planted personas (adjusted Rand index,
ARI, at k = 6; docs/people.md "Personas"):

- categorical `segment`: the strongest persona signal. `plan` is left out because it is nested in the segment
  (a latent class model assumes the indicators independent within a class; segment + plan split classes by
  plan), `top_channel` because nearly everyone's is the app (it only adds noise).
- `age` in standard bands (BANDS: up to 24, 25-34, ..., 65 and over) as a category: an age range is not a bell
  curve, and bands fit any shape (ARI 0.68 with age as a Gaussian, 0.82 banded).
- the needs: how many of the customer's relationship comments mention each frequent theme, out of how many such
  comments they wrote (`relationship_themes` as `theme:comments`, `relationship_comments`), a binomial per theme
  (architecture D58). Relationship comments only: a ticket reports the incident at one touchpoint, a touchpoint
  survey's comment that interaction, a note what staff wrote down; asked about the relationship, customers say
  what matters to them. Counts, not yes/no: a customer with five comments mentions more themes than one with one
  comment without being a different kind of customer, and a comment that mentions no theme says so. On the
  20,000-customer demo at k = 6: every text's themes as yes/no ARI 0.54, survey comments' 0.79 (vocabulary
  before D58), relationship comments' yes/no 0.71, counts 0.81, and counts of the themes in at least 1 comment in
  10 (MIN_THEME_SHARE) 0.83.
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
THEMES_COLUMN = "themes"                           # the view's themes of all the customer's texts
RELATIONSHIP_THEMES_COLUMN = "relationship_themes"  # ... of their relationship comments, `theme:comments`
RELATIONSHIP_TEXTS_COLUMN = "relationship_comments"  # how many relationship comments were analysed
MAX_LEVELS = 12  # a categorical column keeps its most frequent levels; the rest become "other"
MAX_THEMES = 8   # themes the model counts: the most frequent ...
MIN_THEME_SHARE = 0.10  # ... of those mentioned in at least 1 text in 10: rarer ones added classes (architecture D58)


@dataclass(frozen=True)
class Features:
    """The view's columns a persona model uses: categorical, numeric, banded, and the comment themes: `themes`, a
    column of comma-separated `theme` or `theme:texts` (None: no themes), out of `texts` texts per customer (None:
    one text for a customer with any theme, none otherwise, i.e. yes/no)."""

    categorical: tuple[str, ...] = DEFAULT_CATEGORICAL
    numeric: tuple[str, ...] = DEFAULT_NUMERIC
    banded: tuple[str, ...] = DEFAULT_BANDED
    themes: str | None = RELATIONSHIP_THEMES_COLUMN
    texts: str | None = RELATIONSHIP_TEXTS_COLUMN


@dataclass
class Design:
    """The matrix a latent class model fits and what each of its columns means."""

    matrix: np.ndarray                      # categorical codes, standardised numerics (NaN missing), theme counts, texts
    descriptor: dict                        # StepMix nested measurement descriptor
    categorical: list[str]
    levels: dict[str, list[str]]            # categorical column -> its levels (code i = levels[i])
    numeric: list[str]
    banded: list[str]                       # numeric columns modelled by bands (their categorical name: band_name())
    logged: list[str]                       # numeric columns log1p-transformed
    themes: list[str]                       # theme indicator columns, in order
    themes_column: str | None               # the view's column they come from
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


def theme_counts(frame: pd.DataFrame, column: str = THEMES_COLUMN) -> pd.Series:
    """Each customer's themes in `column` as {theme: texts} ({} when none); the view writes them comma-separated,
    `theme` (one text) or `theme:texts`."""
    if column not in frame:
        return pd.Series([{}] * len(frame), index=frame.index, dtype=object)
    # Built as plain dicts (object dtype): pandas 3.1 infers Arrow nested dtypes for a string column's map, whose
    # elements then come back as numpy arrays (no truth value), which broke `map(bool)` and `t in ts` downstream.
    texts = frame[column].astype("string").fillna("")
    return pd.Series([dict(_count(x) for x in s.split(",") if x) for s in texts], index=frame.index, dtype=object)


def _count(item: str) -> tuple[str, int]:
    theme, _, n = item.partition(":")
    return theme, int(n) if n else 1


def theme_lists(frame: pd.DataFrame, column: str = THEMES_COLUMN) -> pd.Series:
    """Each customer's themes in `column` as a list, most texts first ([] when none)."""
    return pd.Series([list(c) for c in theme_counts(frame, column)], index=frame.index, dtype=object)


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
        themes = _theme_block(frame, features, blocks, notes)
    if cats:
        descriptor["categorical"] = {"model": "categorical_nan", "n_columns": len(cats)}
    if nums:
        descriptor["numeric"] = {"model": FLOORED_GAUSSIAN, "n_columns": len(nums)}
    if themes:
        descriptor["themes"] = {"model": BINOMIAL, "n_columns": len(themes) + 1}
    if not blocks:
        raise UsageError("features", "", message="no usable column for a persona model: " + "; ".join(notes))
    return Design(np.hstack(blocks), descriptor, cats, levels, nums, banded, logged, themes, features.themes, notes)


def _theme_block(frame: pd.DataFrame, features: Features, blocks: list, notes: list[str]) -> list[str]:
    """Append the counts of the common themes (the MAX_THEMES most frequent of those at least MIN_THEME_SHARE of the
    texts mention) and the number of texts (the binomial's trials) to `blocks`; the themes, or [] with a note."""
    counts = theme_counts(frame, features.themes)
    names = sorted({t for c in counts for t in c})
    mentions = np.array([[c.get(t, 0) for t in names] for c in counts], dtype=float).reshape(len(frame), len(names))
    if features.texts is not None and features.texts in frame:
        texts = pd.to_numeric(frame[features.texts], errors="coerce").fillna(0).to_numpy(dtype=float)
        if (mentions > texts[:, None]).any():
            raise UsageError("texts", features.texts, message=f"{features.texts} is below a theme's count in "
                             f"{features.themes}: it must count the texts the themes were counted in")
    else:
        mentions = np.minimum(mentions, 1.0)
        texts = (mentions.sum(axis=1) > 0).astype(float)
    share = mentions.sum(axis=0) / max(texts.sum(), 1.0)
    order = [i for i in np.argsort(-share, kind="stable") if share[i] >= MIN_THEME_SHARE][:MAX_THEMES]
    if not order:
        notes.append(f"{features.themes}: no theme in {MIN_THEME_SHARE:.0%} of the texts (or none stored: run `cxlens "
                     "text analyze`); needs left out of the persona model")
        return []
    blocks.append(np.hstack([mentions[:, order], texts[:, None]]))
    return [names[i] for i in order]


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
BINOMIAL = "binomial_theme_counts"             # registered in cxlens.personas.fit
