"""The importance-vs-performance quadrant of key drivers as a static SVG (Martilla & James 1977).

x is a driver's performance (its mean CSAT), y its importance (share of the outcome's explained variance,
%); the cross hairs sit at the drivers' means, as `cxlens.value.drivers.quadrants` splits them, so the
upper left is "concentrate here": important and below the others' performance. No library, no network:
the geometry is numbers (tested without parsing markup), the SVG a few lines around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

WIDTH, HEIGHT = 640, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 20, 20, 45  # plot margins (pixels)


@dataclass(frozen=True)
class QuadrantPoint:
    """One driver at (x, y) in SVG units, with its figures for the tooltip and its quadrant."""

    label: str
    x: float
    y: float
    performance: float
    importance: float
    quadrant: str
    weak: bool


@dataclass(frozen=True)
class QuadrantGeometry:
    """Points, the cross hairs (x_cut, y_cut) and the axis ranges, in SVG user units."""

    width: int
    height: int
    points: tuple[QuadrantPoint, ...]
    x_cut: float
    y_cut: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def quadrant_geometry(drivers: pd.DataFrame, *, importance: str = "share", performance: str = "performance",
                      label: str = "driver") -> QuadrantGeometry:
    """Coordinates of the quadrant chart of a key-driver table (one row per driver)."""
    imp = drivers[importance].to_numpy(float)
    perf = drivers[performance].to_numpy(float)
    ok = ~(np.isnan(imp) | np.isnan(perf))
    if not ok.any():
        raise ValueError("no driver has both an importance and a performance figure to draw")
    x_lo, x_hi = _padded(perf[ok])
    y_lo, y_hi = 0.0, float(max(imp[ok].max(), 0)) * 1.1 or 1.0
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def sx(v: float) -> float:
        return round(_LEFT + (v - x_lo) / (x_hi - x_lo) * plot_w, 1)

    def sy(v: float) -> float:
        return round(_TOP + (1 - (v - y_lo) / (y_hi - y_lo)) * plot_h, 1)

    sig = drivers["significant"].to_numpy(bool) if "significant" in drivers else np.ones(len(drivers), bool)
    quadrant = drivers["quadrant"].astype(str).to_numpy() if "quadrant" in drivers else np.full(len(drivers), "")
    points = tuple(QuadrantPoint(str(n), sx(p), sy(i), float(p), float(i), str(q), not bool(s))
                   for n, p, i, q, s, keep in zip(drivers[label], perf, imp, quadrant, sig, ok) if keep)
    return QuadrantGeometry(WIDTH, HEIGHT, points, sx(float(np.mean(perf[ok]))), sy(float(np.mean(imp[ok]))),
                            (x_lo, x_hi), (y_lo, y_hi))


def _padded(values: np.ndarray) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    pad = (hi - lo) * 0.1 or 0.5
    return lo - pad, hi + pad


def quadrant_svg(drivers: pd.DataFrame, *, title: str = "Importance vs performance", x_label: str = "performance (mean CSAT)",
                 y_label: str = "importance (% of explained variance)", standalone: bool = True) -> str:
    """The chart as one <svg> element; a hollow dot marks a driver not distinguishable from noise.
    `standalone`: with the SVG namespace, as a .svg file needs it (inline in HTML it is implied)."""
    g = quadrant_geometry(drivers)
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    bottom, right = g.height - _BOTTOM, g.width - _RIGHT
    parts = [f'<svg{namespace} viewBox="0 0 {g.width} {g.height}" width="{g.width}" height="{g.height}" '
             f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>",
             f'<rect x="{_LEFT}" y="{_TOP}" width="{right - _LEFT}" height="{bottom - _TOP}" fill="none" stroke="#999"/>',
             f'<line x1="{g.x_cut}" y1="{_TOP}" x2="{g.x_cut}" y2="{bottom}" stroke="#bbb" stroke-dasharray="4 3"/>',
             f'<line x1="{_LEFT}" y1="{g.y_cut}" x2="{right}" y2="{g.y_cut}" stroke="#bbb" stroke-dasharray="4 3"/>',
             f'<text x="{_LEFT + 6}" y="{_TOP + 14}" fill="#b03030">concentrate here</text>',
             f'<text x="{right - 6}" y="{_TOP + 14}" text-anchor="end" fill="#2f7a3a">keep up the good work</text>',
             f'<text x="{_LEFT + 6}" y="{bottom - 6}" fill="#777">low priority</text>',
             f'<text x="{right - 6}" y="{bottom - 6}" text-anchor="end" fill="#777">possible overkill</text>',
             f'<text x="{(_LEFT + right) / 2}" y="{g.height - 10}" text-anchor="middle">{escape(x_label)}</text>',
             f'<text transform="translate(14 {(_TOP + bottom) / 2}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>',
             f'<text x="{_LEFT}" y="{bottom + 14}" text-anchor="middle">{g.x_range[0]:.2f}</text>',
             f'<text x="{right}" y="{bottom + 14}" text-anchor="middle">{g.x_range[1]:.2f}</text>',
             f'<text x="{_LEFT - 4}" y="{bottom}" text-anchor="end">0</text>',
             f'<text x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{g.y_range[1]:.0f}</text>']
    for p in g.points:
        fill = "none" if p.weak else "#3060a0"
        tip = f"{p.label}: importance {p.importance:.1f}%, performance {p.performance:.2f} ({p.quadrant})"
        parts.append(f'<g><title>{escape(tip)}</title><circle cx="{p.x}" cy="{p.y}" r="5" fill="{fill}" '
                     f'stroke="#3060a0"/><text x="{p.x + 7}" y="{p.y + 4}">{escape(p.label)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["QuadrantGeometry", "QuadrantPoint", "quadrant_geometry", "quadrant_svg"]
