"""`cxlens journey ...`: the map as a picture, observed paths, Sankey, funnels, breakpoints, moments of truth.

The sub-app lives here; each capability registers its command(s) on `journey_app` from its own module
(`journey_*_cmds.py`), imported when the command runs (cxlens.cli._lazy). Scope options (--by/--since/--until/--filter) are the
metrics commands' ones, so a filter means the same everywhere.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Sequence

import typer

from cxlens.cli._app import app
from cxlens.cli._lazy import lazy_typer
from cxlens.errors import UsageError

journey_app = lazy_typer(
    "journey", __name__,
    help="How customers really move through the journey map: paths, funnels, breakpoints, "
         "moments of truth, and the map as a picture.", no_args_is_help=True)
app.add_typer(journey_app, name="journey")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(parameter: str, text: str | None) -> timedelta | None:
    """'90s', '30m', '2h', '30d', '2w' -> timedelta; None or '' stays None. Used by every journey option that
    takes a duration (--session-gap, --window, --active-within), so they read the same way."""
    if not text:
        return None
    match = _DURATION.match(text.lower())
    if not match or float(match.group(1)) <= 0:
        raise UsageError(parameter, text, message=f"{parameter}={text!r} is not a duration; write a number and a unit, "
                                                  "e.g. 30m, 12h, 30d or 2w")
    return timedelta(seconds=float(match.group(1)) * _SECONDS[match.group(2)])


def duration(seconds: float | None) -> str:
    """Seconds as a short reading: 45 s, 12 min, 5.2 h, 3.1 d; empty when unknown."""
    if seconds is None or seconds != seconds:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def percents(values: Sequence[float]) -> list[str]:
    """Shares as percentages for a terminal table; empty where unknown."""
    return ["" if v is None or v != v else f"{v:.1%}" for v in values]


def intervals(low: Sequence[float], high: Sequence[float]) -> list[str]:
    """95% intervals of shares as '12.1%-14.0%' for a terminal table; empty where unknown."""
    return ["" if lo is None or lo != lo else f"{lo:.1%}-{hi:.1%}" for lo, hi in zip(low, high)]


def shares_with_intervals(value: Sequence[float], low: Sequence[float], high: Sequence[float]) -> list[str]:
    """Shares with their 95% interval in one narrow cell, '64.2% (63.1-65.3)'; empty where unknown."""
    return ["" if v is None or v != v else f"{v:.1%} ({100 * lo:.1f}-{100 * hi:.1f})" for v, lo, hi in zip(value, low, high)]
