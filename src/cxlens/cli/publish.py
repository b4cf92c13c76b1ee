"""Publishing a result frame: small groups suppressed (cxlens.privacy.suppress) before any command renders it.

Every analysis command passes its frame through `publish` with the columns naming a cell, so the table,
JSON and CSV outputs carry the same suppressed figures and the same note.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Sequence

import typer

if TYPE_CHECKING:
    import pandas as pd

    from cxlens.workspace import Workspace

MinGroupOpt = Annotated[int | None, typer.Option("--min-group", help="Suppress groups of fewer customers than this; only above the workspace's [privacy] min_group (default 5).")]


def publish(frame: pd.DataFrame, ws: Workspace, groups: Sequence[str], min_group: int | None = None,
            notes: list[str] | None = None, previous: Sequence[str] = ()) -> tuple[pd.DataFrame, list[str]]:
    """`frame` with small-group cells (and their complements) emptied, and `notes` with the reason added.

    `previous`: comparison columns to empty too in the cell that follows a suppressed one in time (with
    `--compare previous`, its change would give the suppressed score away).
    """
    from cxlens.privacy.suppress import min_group_for, suppress, suppressed_cells

    least = min_group_for(ws.min_group, min_group)
    notes = list(notes or [])
    if "customers" not in frame:
        return frame, notes
    hidden = suppressed_cells(frame, groups, least) if least > 1 and len(frame) else None
    out, note = suppress(frame, groups=groups, min_group=least)
    if note is None:
        return out, notes
    if previous and "period" in frame:
        by = [g for g in groups if g != "period"]
        before = (frame.assign(_h=hidden).groupby(by, sort=False)["_h"].shift(1) if by
                  else frame.assign(_h=hidden)["_h"].shift(1))
        after = before.fillna(False).astype(bool).to_numpy()
        for col in previous:
            if col in out:
                out[col] = out[col].astype(object)
                out.loc[after, col] = None
    return out, [*notes, note]
