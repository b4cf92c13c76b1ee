"""Small groups: no published figure describes fewer than `min_group` customers (docs/privacy.md, "Small groups").

`suppress(frame, groups=..., min_group=...)` takes a result frame (one row per cell, the `groups` columns
naming the cell, a `customers` column counting distinct customers in it) and returns the frame with every
figure of a suppressed cell emptied, plus a note saying why, for the app to print under the table.

Two rules, after Hundepool et al., *Statistical Disclosure Control* (Wiley, 2012), section 5.3 (threshold
rule) and 5.5 (secondary cell suppression):

- primary: a cell with fewer than `min_group` distinct customers is suppressed;
- secondary (complementary): the margin totals of a table are published elsewhere (the same command without
  `--by`, or the other cells of a row or column), so a margin with exactly one suppressed cell gives it away
  by subtraction (total minus the published cells). In every margin line (the cells that share all keys but
  one) that holds a suppressed cell, the smallest published cells are suppressed too until the line holds at
  least two suppressed cells and these together count at least `min_group` customers (so their sum, which
  subtraction still recovers, does not describe a small group either). Repeated until nothing changes, since a
  cell suppressed in one line may leave another line with a single suppressed cell.

A suppressed cell keeps its keys (the row still says which group) and its figures become empty, exactly like
a cell with no data: no marker says "suppressed here". Pure: no store, no I/O.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cxlens.errors import UsageError

__all__ = ["min_group_for", "suppress", "suppressed_cells", "small_groups_note"]


def min_group_for(configured: int, asked: int | None = None) -> int:
    """The smallest group a publication may describe: the workspace's `[privacy] min_group`, or a larger `asked`.

    Only upward: whoever runs a command may publish more cautiously than the workspace's owner decided, never
    less, so a smaller `asked` is a UsageError naming the configured minimum (change cxlens.toml to lower it).
    """
    if asked is None:
        return configured
    if asked < configured:
        raise UsageError("min_group", asked, message=(
            f"min_group={asked} is below this workspace's minimum of {configured} customers; "
            "only a larger value may be asked (lower [privacy] min_group in cxlens.toml to publish smaller groups)"))
    return asked


def suppressed_cells(frame: pd.DataFrame, groups: Sequence[str], min_group: int,
                     customers: str = "customers") -> np.ndarray:
    """Boolean mask over `frame`'s rows: the cells to suppress (primary and complementary), by the rules above.

    Called directly when an app needs the mask itself (to blank figures derived from a cell elsewhere)."""
    n = len(frame)
    counts = pd.to_numeric(frame[customers], errors="coerce").fillna(0).to_numpy(float) if n else np.zeros(0)
    hidden = counts < min_group
    if not hidden.any():
        return hidden
    keys = [g for g in groups if g in frame.columns]
    lines = _margin_lines(frame, keys) if keys else [np.arange(n)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if len(line) < 2 or not hidden[line].any():
                continue
            while True:
                inside = line[hidden[line]]
                if len(inside) >= 2 and counts[inside].sum() >= min_group:
                    break
                open_ = line[~hidden[line]]
                if not len(open_):
                    break
                # the next smallest published cell: the least information lost (ties: the first in order)
                hidden[open_[np.argmin(counts[open_])]] = True
                changed = True
    return hidden


def _margin_lines(frame: pd.DataFrame, keys: list[str]) -> list[np.ndarray]:
    """Row positions of every margin line: for each key, the cells that share all the other keys."""
    lines = []
    for key in keys:
        rest = [k for k in keys if k != key]
        if not rest:
            lines.append(np.arange(len(frame)))
            continue
        labels = frame[rest].astype("string").fillna("\0").agg("\x1f".join, axis=1)
        for _, positions in pd.Series(np.arange(len(frame))).groupby(labels.to_numpy()):
            lines.append(positions.to_numpy())
    return lines


def small_groups_note(min_group: int) -> str:
    """The sentence printed under a table with suppressed cells."""
    return (f"Empty cells include groups of fewer than {min_group} customers, left out to protect them, and as many "
            "other cells as keep them from being worked out from the totals ([privacy] min_group).")


def suppress(frame: pd.DataFrame, *, groups: Sequence[str], min_group: int, customers: str = "customers",
             keep: Sequence[str] = ()) -> tuple[pd.DataFrame, str | None]:
    """Empty the figures of every small-group cell and its complements; returns (frame, note or None).

    `groups`: the key columns naming a cell (dimensions and period); they stay. `keep`: other columns that say
    nothing about the customers (a touchpoint's name, a target) and stay too. Every other column, the
    `customers` count included, becomes empty (NaN / None) in a suppressed row. The note is None when nothing
    was suppressed, so an app prints it only when it explains something on screen.
    """
    if min_group <= 1 or frame.empty or customers not in frame.columns:
        return frame, None
    hidden = suppressed_cells(frame, groups, min_group, customers)
    if not hidden.any():
        return frame, None
    out = frame.copy()
    kept = set(groups) | set(keep)
    for col in out.columns:
        if col in kept:
            continue
        if out[col].dtype.kind in "fc":
            out.loc[hidden, col] = np.nan
        else:
            out[col] = out[col].astype(object)
            out.loc[hidden, col] = None
    return out, small_groups_note(min_group)
