"""Inline SVG charts, so the report needs no JavaScript and no network to show a picture.

Arabic and other right-to-left labels are drawn with `direction="rtl"` where the text asks for it.
"""

from __future__ import annotations

import html
import math
from typing import Sequence

_RTL = ("\u0590", "\u08ff")  # Hebrew..Arabic Extended blocks


def _is_rtl(text: str) -> bool:
    return any(_RTL[0] <= ch <= _RTL[1] for ch in text)


def forest(labels: Sequence[str], values: Sequence[float], lows: Sequence[float], highs: Sequence[float],
           flags: Sequence[bool] | None = None, lo: float = -100, hi: float = 100, width: int = 640) -> str:
    """Points with confidence bars, one row per label: how sure we are, at a glance.

    Flagged rows (too few answers) are drawn hollow and grey.
    """
    row_h, left, right = 22, 190, 20
    height = row_h * len(labels) + 30
    scale = (width - left - right) / (hi - lo)

    def x(v: float) -> float:
        return left + (min(max(v, lo), hi) - lo) * scale

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    step = 25 if hi - lo > 50 else (10 if hi - lo > 10 else 1)
    for tick in range(int(lo), int(hi) + 1, step):
        parts.append(f'<line x1="{x(tick):.1f}" y1="0" x2="{x(tick):.1f}" y2="{height - 20}" class="grid{" zero" if tick == 0 else ""}"/>'
                     f'<text x="{x(tick):.1f}" y="{height - 5}" class="tick">{tick}</text>')
    for i, (label, v, l, h) in enumerate(zip(labels, values, lows, highs)):
        y = 15 + i * row_h
        weak = bool(flags[i]) if flags is not None else False
        cls = "weak" if weak else "pt"
        parts.append(f'<text x="{left - 8}" y="{y + 4}" class="lbl">{html.escape(str(label))}</text>')
        if not (math.isnan(l) or math.isnan(h)):
            parts.append(f'<line x1="{x(l):.1f}" y1="{y}" x2="{x(h):.1f}" y2="{y}" class="bar {cls}"/>')
        if not math.isnan(v):
            parts.append(f'<circle cx="{x(v):.1f}" cy="{y}" r="4.5" class="{cls}"><title>{html.escape(str(label))}: '
                         f'{v:.1f} [{l:.1f}, {h:.1f}]{" — too few answers" if weak else ""}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[float], width: int = 110, height: int = 24) -> str:
    """A tiny trend line; gaps (NaN) break the line instead of pretending to be zero."""
    points = [(i, v) for i, v in enumerate(values) if v is not None and not math.isnan(v)]
    if len(points) < 2:
        return ""
    vmin, vmax = min(v for _, v in points), max(v for _, v in points)
    span = (vmax - vmin) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    coords = " ".join(f"{2 + i * step:.1f},{height - 2 - (v - vmin) / span * (height - 4):.1f}" for i, v in points)
    last_x, last_y = coords.split(" ")[-1].split(",")
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
            f'<polyline points="{coords}"/><circle cx="{last_x}" cy="{last_y}" r="2"/></svg>')


def text_cell(value: object) -> str:
    """Escape a value for a table cell, marking right-to-left text so it renders correctly."""
    text = "" if value is None else str(value)
    direction = ' dir="rtl"' if _is_rtl(text) else ""
    return f"<span{direction}>{html.escape(text)}</span>"
