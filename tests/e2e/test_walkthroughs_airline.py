"""The airline walkthroughs of docs/examples/ run as written, and show what they say.

Each test runs every ```sh block of a README on the public data set (skipped where it is absent) and
checks the figures the README states against the output and against the CSV read with DuckDB.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from walkthrough import run_walkthrough


def _table_rows(output: str) -> list[list[str]]:
    """The cells of each body row of a printed table."""
    return [[c.strip() for c in line.strip().strip("│").split("│")] for line in output.splitlines() if line.strip().startswith("│")]


def test_oddjob_walkthrough_shows_a_negative_nps_and_negative_gaps_on_every_item(shared_data, tmp_path: Path) -> None:
    csv = shared_data("oddjob_airways_survey/airlinesat.csv")
    done = run_walkthrough("oddjob_airways", csv.parents[1], tmp_path)

    answers, promoters, detractors = duckdb.sql(f"""
        SELECT (SELECT count(*) FROM (UNPIVOT (SELECT COLUMNS('^[es]\\d+$|^nps$') FROM read_csv('{csv}'))
                                      ON COLUMNS(*) INTO NAME q VALUE v)),
               count(*) FILTER (WHERE nps >= 10), count(*) FILTER (WHERE nps <= 7)
        FROM read_csv('{csv}')""").fetchall()[0]
    assert "1065 rows read = 1065 inserted" in done.outputs[0]
    assert (answers, promoters, detractors) == (48323, 238, 431)
    assert (f"{answers} answers (from 1065 respondent rows) read = {answers} inserted + 0 updated + 0 unchanged "
            "+ 0 quarantined") in done.outputs[0]

    nps = round(100 * (promoters - detractors) / 1065, 2)
    assert nps == -18.12
    assert re.search(r"1065\s*│\s*-18\.12\s*│\s*22\.35\s*│\s*40\.47", done.outputs[1]), done.outputs[1]

    gaps = {cells[0]: float(cells[5]) for cells in _table_rows(done.outputs[2]) if cells[0].startswith("item")}
    assert len(gaps) == 23 and all(g < 0 for g in gaps.values()), done.outputs[2]
    # Item 4 independently: paired answers, both rescaled 1-100 -> 1-5 (a 4/99 slope), mean difference.
    gap4 = duckdb.sql(f"SELECT avg((s4 - e4) * 4 / 99) FROM read_csv('{csv}') WHERE s4 IS NOT NULL AND e4 IS NOT NULL").fetchall()[0][0]
    assert round(gap4, 2) == gaps["item04"] == -1.22
    assert min(gaps, key=gaps.get) == "item04" and max(gaps, key=gaps.get) == "item12"
