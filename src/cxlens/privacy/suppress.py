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

from cxlens.privacy.min_group import min_group_for

__all__ = ["min_group_for", "published_mask", "smallest_group", "suppress", "suppress_families", "suppress_rows",
           "suppress_series", "suppressed_cells", "small_groups_note"]


def suppressed_cells(frame: pd.DataFrame, groups: Sequence[str], min_group: int,
                     customers: str = "customers", answers: str = "n") -> np.ndarray:
    """Boolean mask over `frame`'s rows: the cells to suppress (primary and complementary), by the rules above.

    Complements are the published cells of fewest customers, ties broken by fewest `answers` when the frame has that
    column, then by order. The verdict needs no count above `min_group`: `customers` may be min(count, min_group)
    (architecture D48), and then the complements are the cells of fewest answers.
    Called directly when an app needs the mask itself (to blank figures derived from a cell elsewhere)."""
    n = len(frame)
    counts = pd.to_numeric(frame[customers], errors="coerce").fillna(0).to_numpy(float) if n else np.zeros(0)
    sizes = (pd.to_numeric(frame[answers], errors="coerce").fillna(0).to_numpy(float) if n and answers in frame
             else np.zeros(n))
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
                # the next smallest published cell: the least information lost (ties: fewest answers, then order)
                hidden[open_[np.lexsort((sizes[open_], counts[open_]))[0]]] = True
                changed = True
    return hidden


def published_mask(frame: pd.DataFrame, groups: Sequence[str], min_group: int,
                   customers: str = "customers", answers: str = "n") -> np.ndarray:
    """`suppressed_cells` over the cells that describe somebody: a cell of no customers (an "other paths" row
    nobody took, a table row with no answers) describes no one, so it is neither suppressed nor taken as a
    complement (suppressing it would protect nothing). This is the mask `suppress` applies."""
    counts = pd.to_numeric(frame[customers], errors="coerce").to_numpy(float) if len(frame) else np.zeros(0)
    present = ~np.isnan(counts) & (counts > 0)
    hidden = np.zeros(len(frame), bool)
    if present.any():
        hidden[present] = suppressed_cells(frame[present], groups, min_group, customers, answers)
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
             keep: Sequence[str] = (), previous: Sequence[str] = (),
             along: str = "period") -> tuple[pd.DataFrame, str | None]:
    """Empty the figures of every small-group cell and its complements; returns (frame, note or None).

    `groups`: the key columns naming a cell (dimensions and period); they stay. `keep`: other columns that say
    nothing about the customers (a touchpoint's name, a target) and stay too. Every other column, the
    `customers` count included, becomes empty (NaN / None) in a suppressed row. The note is None when nothing
    was suppressed, so an app prints it only when it explains something on screen. `previous`: comparison
    columns emptied too in the cell that follows a suppressed one along `along` (a change against the previous
    period, a funnel's step rate from the step before: either would give the suppressed figure away).
    """
    if min_group <= 1 or frame.empty or customers not in frame.columns:
        return frame, None
    hidden = published_mask(frame, groups, min_group, customers)
    if not hidden.any():
        return frame, None
    kept = set(groups) | set(keep)
    out = _emptied(frame, hidden, [c for c in frame.columns if c not in kept])
    if previous and along in frame:
        by = [g for g in groups if g != along]
        marked = frame.assign(_h=hidden)
        before = marked.groupby(by, sort=False)["_h"].shift(1) if by else marked["_h"].shift(1)
        after = before.fillna(False).astype(bool).to_numpy()
        out = _emptied(out, after, [c for c in previous if c in out])
    return out, small_groups_note(min_group)


def suppress_families(frame: pd.DataFrame, *, key: str, families: dict[str, Sequence[str]],
                      min_group: int) -> tuple[pd.DataFrame, str | None]:
    """A wide frame (one row per `key`, several families of figures each with its own customers column, like the
    scorecard's NPS, CSAT, CES and tickets) suppressed family by family: `families` maps a customers column to
    the figures it counts; each family is a table of its own with `key` naming the cell (complements included),
    since each family's totals are published elsewhere. A row without a count (no answers) is left as it is."""
    out, hid = frame, False
    for customers, columns in families.items():
        if customers not in frame or min_group <= 1 or frame.empty:
            continue
        # ties among complements: fewest answers, the family's n_* count when it has one
        answers = next((c for c in columns if str(c).startswith("n_")), "n")
        hidden = published_mask(frame, [key], min_group, customers, answers)
        if hidden.any():
            out, hid = _emptied(out, hidden, [customers, *columns]), True
    return out, small_groups_note(min_group) if hid else None


def suppress_series(frame: pd.DataFrame, *, series: str, counts: str, periods: str = "periods",
                    min_group: int) -> tuple[pd.DataFrame, str | None]:
    """Rows holding a time series (`series`: a list per row, aligned on the row's `periods`, with `counts`: the
    distinct customers behind each point): every point of a small group emptied, with complements among the
    rows of one period and the periods of one row."""
    if min_group <= 1 or frame.empty or counts not in frame:
        return frame, None
    long = pd.DataFrame([(i, p, c) for i, (ps, cs) in enumerate(zip(frame[periods], frame[counts]))
                         for p, c in zip(ps, cs) if c is not None and c == c],
                        columns=["row", "period", "customers"])
    if long.empty:
        return frame, None
    gone = set(map(tuple, long.loc[published_mask(long, ["row", "period"], min_group), ["row", "period"]].to_numpy()))
    if not gone:
        return frame, None
    out = frame.copy()
    for col in (series, counts):
        out[col] = [[None if (i, p) in gone else v for p, v in zip(ps, vs)]
                    for i, (ps, vs) in enumerate(zip(out[periods], out[col]))]
    return out, small_groups_note(min_group)


def _emptied(frame: pd.DataFrame, hidden: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        if col not in out:
            continue
        if out[col].dtype.kind in "fc":
            out.loc[hidden, col] = np.nan
        else:
            out[col] = out[col].astype(object)
            out.loc[hidden, col] = None
    return out


def smallest_group(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Per row, the smallest of several groups' customer counts that describe somebody (a count of 0 describes no
    one: NPS without a theme nobody lacks), 0 when all are 0: the count a row with figures of several groups
    (churners and stayers, customers with and without a theme) is published by."""
    return frame[list(columns)].where(frame[list(columns)] > 0).min(axis=1).fillna(0)


def suppress_rows(frame: pd.DataFrame, *, customers: str, min_group: int,
                  keep: Sequence[str] = ()) -> tuple[pd.DataFrame, str | None]:
    """Every row of fewer than `min_group` `customers` emptied (all columns but `keep`), primary only.

    For figures that add up to no published total (hazard ratios, risk ratios, shares of overlapping groups),
    so no subtraction recovers a suppressed row and no complement is needed."""
    if min_group <= 1 or frame.empty or customers not in frame:
        return frame, None
    counts = pd.to_numeric(frame[customers], errors="coerce").fillna(0).to_numpy(float)
    hidden = (counts > 0) & (counts < min_group)
    if not hidden.any():
        return frame, None
    return _emptied(frame, hidden, [c for c in frame.columns if c not in keep]), small_groups_note(min_group)
