"""How figures and text read in the report: number formats and text direction (Jinja filters and tests)."""

from __future__ import annotations

import math

_RTL = ("\u0590", "\u08ff")  # Hebrew..Arabic Extended blocks


def is_rtl(text: object) -> bool:
    """Whether `text` contains right-to-left script (Hebrew, Arabic), so its cell needs dir="rtl"."""
    return any(_RTL[0] <= ch <= _RTL[1] for ch in ("" if text is None else str(text)))


def number(v: float | int | None) -> str:
    """Two decimals on small scales (CSAT 3.71), one on percentages and NPS, thousands separators on counts."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v:,}"


def p_value(v: float) -> str:
    """A p- or q-value: three decimals, or "< 0.001" below that."""
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def fixed(v: float, digits: int = 1) -> str:
    """`v` with `digits` decimals (SVG coordinates, chart tooltips)."""
    return f"{v:.{digits}f}"
