"""Plain-words descriptions and short names of personas, generated from what distinguishes each one.

A persona is described by what sets it apart from the whole base, never by what every customer shares:
- a category over-represented: its share in the persona at least OVER x its share overall and at least MIN_SHARE
  of the persona ("mostly senior");
- a number far from the overall mean: standardised difference (persona mean - overall mean) / overall sd
  (Cohen's d against the base) of at least FAR in absolute value ("older (about 72)");
- a theme of their comments over-represented the same way ("friendly staff matters most").
The name joins the strongest numeric trait and the strongest category ("older senior"), made unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.personas.features import THEMES_COLUMN, theme_lists

OVER = 1.5       # over-representation ratio of a category or theme
MIN_SHARE = 0.3  # a category must describe at least this share of the persona
FAR = 0.5        # |standardised difference| of a numeric column

# column -> (word when high, word when low) for the numeric columns of the customer view.
WORDS = {
    "age": ("older", "younger"),
    "digital_share": ("digital-first", "store and phone first"),
    "tenure_months": ("long-standing", "newer"),
    "tickets_per_month": ("contact support often", "rarely contact support"),
    "tickets": ("contact support often", "rarely contact support"),
    "revenue_month": ("high-spending", "low-spending"),
    "cost_to_serve_month": ("costly to serve", "cheap to serve"),
    "nps_latest": ("enthusiastic", "critical"),
    "csat_mean": ("satisfied", "dissatisfied"),
    "events": ("very active", "rarely active"),
    "channels_used": ("multichannel", "single-channel"),
}
UNITS = {"age": "{:.0f}", "digital_share": "{:.0%} digital", "tenure_months": "{:.0f} months",
         "revenue_month": "{:.0f}/month", "tickets_per_month": "{:.2f} tickets/month"}


@dataclass(frozen=True)
class Trait:
    """One distinguishing feature: the column, the value or direction, and how strongly it distinguishes."""

    column: str
    value: str       # a category / theme, or "high"/"low"
    strength: float  # ratio (categories, themes) or |d| (numbers)
    persona: float   # share in the persona, or its mean
    overall: float   # share overall, or the overall mean

    def words(self) -> str:
        if self.value in ("high", "low") and self.column in WORDS:
            word = WORDS[self.column][0 if self.value == "high" else 1]
            unit = UNITS.get(self.column)
            return f"{word} ({unit.format(self.persona)})" if unit else word
        if self.value in ("high", "low"):
            return f"{self.value} {self.column.replace('_', ' ')}"
        return humane(self.value)


def humane(value: str) -> str:
    """A stored code in words: youth_prepaid -> youth prepaid."""
    return str(value).replace("_", " ")


def traits(frame: pd.DataFrame, labels: np.ndarray, persona: int, categorical: list[str], numeric: list[str],
           themes: str | None = THEMES_COLUMN) -> list[Trait]:
    """What distinguishes persona `persona` (a label of `labels`) from the whole `frame`, strongest first; the
    themes are those of the view's column `themes` (None: none)."""
    inside = labels == persona
    out: list[Trait] = []
    for column in categorical:
        values = frame[column].astype("string")
        overall = values.value_counts(normalize=True)
        mine = values[inside].value_counts(normalize=True)
        for value, share in mine.items():
            ratio = share / overall[value]
            if share >= MIN_SHARE and ratio >= OVER:
                out.append(Trait(column, str(value), float(ratio), float(share), float(overall[value])))
    for column in numeric:
        x = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        sd = np.nanstd(x)
        if not sd or np.isnan(x[inside]).all():
            continue
        d = (np.nanmean(x[inside]) - np.nanmean(x)) / sd
        if abs(d) >= FAR:
            out.append(Trait(column, "high" if d > 0 else "low", float(abs(d)), float(np.nanmean(x[inside])),
                             float(np.nanmean(x))))
    if themes:
        lists = theme_lists(frame, themes)
        has = lists.map(bool).to_numpy()
        if has[inside].sum():
            flat = pd.Series([t for ts in lists[has] for t in ts], dtype="string")
            overall = flat.value_counts() / has.sum()
            mine = pd.Series([t for ts in lists[has & inside] for t in ts], dtype="string").value_counts() / (has & inside).sum()
            for theme, share in mine.items():
                ratio = share / overall[theme]
                if ratio >= OVER and share >= MIN_SHARE / 2:
                    out.append(Trait("themes", str(theme), float(ratio), float(share), float(overall[theme])))
    return sorted(out, key=lambda t: -t.strength)


def describe(found: list[Trait]) -> str:
    """One sentence from the traits: '<numbers> customers, mostly <categories>; <theme> matters most'."""
    numbers = [t for t in found if t.value in ("high", "low")]
    cats = [t for t in found if t.column != "themes" and t.value not in ("high", "low")]
    themes = [t for t in found if t.column == "themes"]
    adjectives = [t.words() for t in numbers if t.column in ("age", "tenure_months", "revenue_month", "digital_share")]
    habits = [t.words() for t in numbers if t not in [n for n in numbers if n.column in
                                                       ("age", "tenure_months", "revenue_month", "digital_share")]]
    text = " ".join([", ".join(adjectives[:3]), "customers"]).strip().capitalize() if adjectives else "Customers"
    if cats:
        text += ", mostly " + " and ".join(f"{humane(t.value)} ({t.persona:.0%} vs {t.overall:.0%})" for t in cats[:2])
    if habits:
        text += ", who " + " and ".join(habits[:2]) if any(h.startswith(("contact", "rarely")) for h in habits[:2]) \
            else ", " + " and ".join(habits[:2])
    if themes:
        text += "; " + " and ".join(humane(t.value) for t in themes[:2]) + (" matter most" if len(themes) > 1 else " matters most")
    if not found:
        text = "Customers close to the average of the base on every column used"
    return text + "."


def short_name(found: list[Trait], taken: set[str], fallback: str) -> str:
    """A memorable name: a numeric trait's word and a category ('older senior'); the strongest pair not yet taken
    by another persona, else the persona id appended."""
    words = [WORDS[t.column][0 if t.value == "high" else 1] for t in found
             if t.value in ("high", "low") and t.column in WORDS]
    words = [w for w in words if len(w) < 24] or [""]
    cats = [humane(t.value) for t in found if t.column != "themes" and t.value not in ("high", "low")]
    cats = cats or [humane(t.value) + " minded" for t in found if t.column == "themes"] or ["customers"]
    candidates = [" ".join(p for p in (w, c) if p) for c in cats for w in words]
    candidates += [f"{w} {c}".strip() for w in words for c in cats if len(cats) > 1]
    name = next((c for c in candidates if c and c not in taken), None)
    if name is None:
        name = f"{candidates[0] or fallback} ({fallback})"
    taken.add(name)
    return name
