"""What a report shows, as plain data: sections made of tables, interval charts, cards and text.

Section builders (`cxlens.report.sections`) return these; the Jinja macros in `templates/components.html`
render them. Nothing here is HTML, so the same data can feed the HTML report, a web dashboard or JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence, Union

import pandas as pd

# Columns whose figures are probabilities: shown as "< 0.001" or with three decimals.
P_COLUMNS = ("p_value", "q_value")


@dataclass(frozen=True)
class Sparkline:
    """A tiny trend line of `values` in time order; None or NaN is a gap, not a zero."""

    values: tuple[float | None, ...] = ()
    kind: ClassVar[str] = "sparkline"


@dataclass(frozen=True)
class Column:
    """One table column: `key` in the data, `label` shown in the header, `kind` how its cells read.

    kind: "value" (numbers right-aligned, text as text), "p" (probabilities), "status" (target status,
    coloured), "spark" (cells are `Sparkline`s).
    """

    key: str
    label: str
    kind: str = "value"


Cell = Union[None, bool, int, float, str, Sparkline]


@dataclass(frozen=True)
class TableBlock:
    """A table: `rows` hold one value per column (None when the figure is missing); `weak[i]` marks row i
    as imprecise (too few answers), so it is shown greyed."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    weak: tuple[bool, ...] = ()
    kind: ClassVar[str] = "table"

    def is_weak(self, i: int) -> bool:
        """Whether row `i` is imprecise."""
        return i < len(self.weak) and self.weak[i]


@dataclass(frozen=True)
class IntervalChart:
    """Estimates with their confidence intervals, one row per label, on the scale [lo, hi] (a forest plot).

    `weak[i]` marks estimates with too few answers (drawn hollow and grey). NaN bounds draw no bar.
    """

    labels: tuple[str, ...]
    estimates: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    weak: tuple[bool, ...] = ()
    lo: float = -100
    hi: float = 100
    kind: ClassVar[str] = "interval_chart"


@dataclass(frozen=True)
class Card:
    """One headline figure with its label (a KPI tile)."""

    value: int | float
    label: str


@dataclass(frozen=True)
class Cards:
    """A row of headline figures."""

    cards: tuple[Card, ...]
    kind: ClassVar[str] = "cards"


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section."""

    text: str
    kind: ClassVar[str] = "heading"


@dataclass(frozen=True)
class Paragraph:
    """A sentence of explanation inside a section."""

    text: str
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class Figure:
    """A picture drawn as SVG markup by a report module (the journey map): inserted as is, so it must be built from
    escaped text only. `wide`: may use the window's width beyond the text column (a map of many columns)."""

    svg: str
    caption: str = ""
    wide: bool = False
    kind: ClassVar[str] = "figure"


Block = Union[TableBlock, IntervalChart, Cards, Heading, Paragraph, Figure]


@dataclass(frozen=True)
class Section:
    """One titled block of the report: `blocks` in reading order, `intro` above, `note` below."""

    id: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    intro: str = ""
    note: str = ""


def _cell(value: Any) -> Cell:
    """A frame value as table data: every kind of missing (None, pd.NA, NaN) becomes None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _spark(value: Any) -> Sparkline:
    values = [] if value is None else list(value)
    return Sparkline(tuple(None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values))


def table(frame: pd.DataFrame, columns: Sequence[str], weak_column: str | None = None,
          spark_column: str | None = None, labels: dict[str, str] | None = None) -> TableBlock:
    """The table data of `columns` of `frame`, in its row order; call it to show a frame in a report.

    Rows where `weak_column` is true are marked weak; cells of `spark_column` (sequences) become sparklines.
    `labels` renames column headers (key -> label). Columns absent from `frame` show as empty cells.
    """
    labels = labels or {}
    cols = tuple(Column(c, labels.get(c, c), "spark" if c == spark_column else
                        "p" if c in P_COLUMNS else "status" if c == "status" else "value") for c in columns)
    rows, weak = [], []
    for _, r in frame.iterrows():
        rows.append(tuple(_spark(r.get(c)) if c == spark_column else _cell(r.get(c)) for c in columns))
        flag = _cell(r.get(weak_column)) if weak_column else None
        weak.append(bool(flag) if flag is not None else False)
    return TableBlock(cols, tuple(rows), tuple(weak))


def interval_chart(labels: Sequence[Any], estimates: Sequence[float], lows: Sequence[float], highs: Sequence[float],
                   weak: Sequence[bool] | None = None, lo: float = -100, hi: float = 100) -> IntervalChart:
    """An `IntervalChart` from columns of a frame (lists or Series), labels as text; call it for a forest plot."""
    return IntervalChart(tuple(str(x) for x in labels), tuple(float(v) for v in estimates), tuple(float(v) for v in lows),
                         tuple(float(v) for v in highs), tuple(bool(w) for w in weak) if weak is not None else (),
                         lo=lo, hi=hi)
