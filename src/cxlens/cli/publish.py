"""Publishing a result frame: small groups suppressed (cxlens.privacy.suppress) before any command renders it.

Every analysis command passes its frame through `publish` with the columns naming a cell, so the table,
JSON and CSV outputs carry the same suppressed figures and the same note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Sequence

import typer

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.workspace import Workspace

MinGroupOpt = Annotated[int | None, typer.Option("--min-group", help="Suppress groups of fewer customers than this; only above the workspace's [privacy] min_group (default 5).")]


def publish(frame: pd.DataFrame, ws: Workspace, groups: Sequence[str], min_group: int | None = None,
            notes: list[str] | None = None, previous: Sequence[str] = (), keep: Sequence[str] = (),
            along: str = "period", customers: str = "customers") -> tuple[pd.DataFrame, list[str]]:
    """`frame` with small-group cells (and their complements) emptied, and `notes` with the reason added.

    `previous`: comparison columns to empty too in the cell that follows a suppressed one along `along` (in
    time with `--compare previous`, whose change would give the suppressed score away; the next funnel step,
    whose step rate would). `keep`: columns that say nothing about the customers (a touchpoint's name).
    `customers`: the column counting each cell's distinct customers.
    """
    from cxlens.privacy.suppress import min_group_for, suppress

    out, note = suppress(frame, groups=groups, min_group=min_group_for(ws.min_group, min_group), keep=keep,
                         customers=customers, previous=previous, along=along)
    return out, [*(notes or []), *([note] if note else [])]


def smallest_group(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """cxlens.privacy.suppress.smallest_group (imported when used: the CLI starts without pandas)."""
    from cxlens.privacy.suppress import smallest_group as smallest

    return smallest(frame, columns)


def publish_rows(frame: pd.DataFrame, ws: Workspace, customers: str, keep: Sequence[str],
                 min_group: int | None = None, notes: list[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """`frame` with every row of fewer than min_group `customers` emptied (all but `keep`), primary only
    (cxlens.privacy.suppress.suppress_rows: figures that add up to no published total)."""
    from cxlens.privacy.suppress import min_group_for, suppress_rows

    out, note = suppress_rows(frame, customers=customers, min_group=min_group_for(ws.min_group, min_group), keep=keep)
    return out, [*(notes or []), *([note] if note else [])]
