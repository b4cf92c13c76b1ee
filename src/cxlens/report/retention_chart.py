"""Kaplan-Meier retention curves by NPS group as a static SVG: the picture of how much longer promoters stay.

x is tenure in months, y the share still a customer; each group is a step line (survival stays flat until the
next churn month) over a shaded band of its 95% interval. The geometry is numbers (tested without parsing
markup); the SVG is a few lines around them. No library, no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

WIDTH, HEIGHT = 640, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 55, 110, 15, 40  # plot margins (pixels); the right one holds the legend
COLOURS = {"promoter": "#1a9850", "passive": "#fdae61", "detractor": "#d73027"}
_OTHER = "#4575b4"


@dataclass(frozen=True)
class Curve:
    """One group's steps as SVG points (x, y) and its interval band as a closed polygon."""

    label: str
    colour: str
    steps: tuple[tuple[float, float], ...]
    band: tuple[tuple[float, float], ...]
    last: float  # retention at the curve's last tenure month, for the legend


@dataclass(frozen=True)
class RetentionGeometry:
    width: int
    height: int
    curves: tuple[Curve, ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def retention_geometry(curves: pd.DataFrame, group: str = "nps_group") -> RetentionGeometry:
    """Map `cxlens.value.survival.retention_curves` rows (group, tenure, survival, ci_low, ci_high) to SVG units."""
    x_lo = float(curves["tenure"].min() - 1)
    x_hi = float(curves["tenure"].max())
    y_lo = float(np.floor(min(curves["ci_low"].min(), curves["survival"].min()) * 10) / 10)
    x = lambda t: _LEFT + (t - x_lo) / max(x_hi - x_lo, 1) * (WIDTH - _LEFT - _RIGHT)  # noqa: E731
    y = lambda s: _TOP + (1 - s) / max(1 - y_lo, 1e-9) * (HEIGHT - _TOP - _BOTTOM)  # noqa: E731
    out = []
    for label, part in curves.groupby(group, sort=False):
        part = part.sort_values("tenure")
        start = float(part["tenure"].iloc[0] - 1)  # the curve starts at 1 the month before its first churn month
        steps, upper, lower = [(x(start), y(1.0))], [(x(start), y(1.0))], [(x(start), y(1.0))]
        previous = (1.0, 1.0, 1.0)
        for r in part.itertuples():
            for points, before, now in ((steps, previous[0], r.survival), (upper, previous[1], r.ci_high),
                                        (lower, previous[2], r.ci_low)):
                points += [(x(r.tenure - 1), y(before)), (x(r.tenure - 1), y(now)), (x(r.tenure), y(now))]
            previous = (r.survival, r.ci_high, r.ci_low)
        out.append(Curve(str(label), COLOURS.get(str(label), _OTHER), tuple(steps), tuple(upper + lower[::-1]),
                         float(part["survival"].iloc[-1])))
    order = {g: i for i, g in enumerate(COLOURS)}
    out.sort(key=lambda c: order.get(c.label, len(order)))
    return RetentionGeometry(WIDTH, HEIGHT, tuple(out), (x_lo, x_hi), (y_lo, 1.0))


def retention_svg(curves: pd.DataFrame, *, title: str = "Retention by NPS group (Kaplan-Meier, 95% bands)",
                  standalone: bool = True) -> str:
    """The chart as one <svg> element; `standalone`: with the SVG namespace, as a .svg file needs it."""
    g = retention_geometry(curves)
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    plot_bottom, plot_right = g.height - _BOTTOM, g.width - _RIGHT
    parts = [f'<svg{namespace} viewBox="0 0 {g.width} {g.height}" width="{g.width}" height="{g.height}" role="img" '
             f'aria-label="{escape(title)}" font-family="sans-serif" font-size="11">', f"<title>{escape(title)}</title>",
             f'<line x1="{_LEFT}" y1="{plot_bottom}" x2="{plot_right}" y2="{plot_bottom}" stroke="#888"/>',
             f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{plot_bottom}" stroke="#888"/>']
    lo = g.y_range[0]
    for tick in np.arange(lo, 1.0001, 0.1 if 1 - lo > 0.3 else 0.05):
        ty = _TOP + (1 - tick) / max(1 - lo, 1e-9) * (plot_bottom - _TOP)
        parts.append(f'<text x="{_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick:.0%}</text>')
    for tick in range(12 * int(np.ceil(g.x_range[0] / 12)), int(g.x_range[1]) + 1, 12):  # whole years of tenure
        tx = _LEFT + (tick - g.x_range[0]) / max(g.x_range[1] - g.x_range[0], 1) * (plot_right - _LEFT)
        parts.append(f'<text x="{tx:.1f}" y="{plot_bottom + 15}" text-anchor="middle">{tick}</text>')
    parts.append(f'<text x="{(_LEFT + plot_right) / 2}" y="{g.height - 6}" text-anchor="middle">tenure (months)</text>')
    for i, c in enumerate(g.curves):
        band = " ".join(f"{px:.1f},{py:.1f}" for px, py in c.band)
        line = " ".join(f"{px:.1f},{py:.1f}" for px, py in c.steps)
        parts += [f'<polygon points="{band}" fill="{c.colour}" fill-opacity="0.15" stroke="none"/>',
                  f'<polyline points="{line}" fill="none" stroke="{c.colour}" stroke-width="2">'
                  f"<title>{escape(c.label)}: {c.last:.1%} at the last month shown</title></polyline>",
                  f'<rect x="{plot_right + 12}" y="{_TOP + 18 * i}" width="12" height="12" fill="{c.colour}"/>',
                  f'<text x="{plot_right + 30}" y="{_TOP + 18 * i + 10}">{escape(c.label)}</text>']
    parts.append("</svg>")
    return "\n".join(parts)
