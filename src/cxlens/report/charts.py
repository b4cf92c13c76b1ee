"""Chart geometry as numbers: where each mark of an inline SVG chart goes.

The report needs no JavaScript and no network to show a picture: the macros in `templates/components.html`
draw SVG from these coordinates. Keeping the arithmetic here (and out of the templates) lets tests check
that an estimate sits between its bounds without parsing markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from cxlens.report.components import IntervalChart

# Forest plot layout (pixels): row height, label gutter on the left, margin on the right.
_ROW_H, _LEFT, _RIGHT = 22, 190, 20


@dataclass(frozen=True)
class Tick:
    """A vertical grid line at `x` labelled `value`; `zero` marks the line at 0."""

    x: float
    value: int
    zero: bool


@dataclass(frozen=True)
class IntervalRow:
    """One estimate: its label at (label_x, y), its bar from x_low to x_high (None when a bound is NaN),
    its point at x (None when the estimate is NaN), and the figures for the tooltip."""

    label: str
    label_x: float
    y: float
    x_low: float | None
    x_high: float | None
    x: float | None
    weak: bool
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class IntervalGeometry:
    """Everything an interval chart draws, in SVG user units."""

    width: int
    height: int
    axis_bottom: float
    ticks: tuple[Tick, ...]
    rows: tuple[IntervalRow, ...]


def interval_geometry(chart: IntervalChart, width: int = 640) -> IntervalGeometry:
    """Coordinates of a forest plot: one row per label, values clipped to [chart.lo, chart.hi]."""
    lo, hi = chart.lo, chart.hi
    height = _ROW_H * len(chart.labels) + 30
    scale = (width - _LEFT - _RIGHT) / (hi - lo)

    def x(v: float) -> float:
        return _LEFT + (min(max(v, lo), hi) - lo) * scale

    step = 25 if hi - lo > 50 else (10 if hi - lo > 10 else 1)
    ticks = tuple(Tick(x(t), t, t == 0) for t in range(int(lo), int(hi) + 1, step))
    rows = []
    for i, (label, v, low, high) in enumerate(zip(chart.labels, chart.estimates, chart.lows, chart.highs)):
        has_bar = not (math.isnan(low) or math.isnan(high))
        rows.append(IntervalRow(
            label=label, label_x=_LEFT - 8, y=15 + i * _ROW_H,
            x_low=x(low) if has_bar else None, x_high=x(high) if has_bar else None,
            x=None if math.isnan(v) else x(v), weak=i < len(chart.weak) and chart.weak[i],
            estimate=v, low=low, high=high))
    return IntervalGeometry(width, height, height - 20, ticks, tuple(rows))


@dataclass(frozen=True)
class SparkGeometry:
    """A sparkline's polyline points and its last point, in SVG user units."""

    width: int
    height: int
    points: tuple[tuple[float, float], ...]

    @property
    def last(self) -> tuple[float, float]:
        """The most recent point (marked with a dot)."""
        return self.points[-1]


def sparkline_geometry(values: Sequence[float | None], width: int = 110, height: int = 24) -> SparkGeometry | None:
    """Points of a trend line; gaps (None/NaN) are skipped, not drawn as zero. None when under two points."""
    points = [(i, v) for i, v in enumerate(values) if v is not None and not math.isnan(v)]
    if len(points) < 2:
        return None
    vmin, vmax = min(v for _, v in points), max(v for _, v in points)
    span = (vmax - vmin) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    return SparkGeometry(width, height, tuple((2 + i * step, height - 2 - (v - vmin) / span * (height - 4))
                                              for i, v in points))
