"""The airline walkthroughs of docs/examples/ run as written, and show what they say.

Each test runs every ```sh block of a README on the public data set (skipped where it is absent) and
checks the figures the README states against the output and against the CSV read with DuckDB.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from walkthrough import run_walkthrough


def _table_rows(output: str) -> list[list[str]]:
    """The cells of each body row of a printed table."""
    return [[c.strip() for c in line.strip().strip("│").split("│")] for line in output.splitlines() if line.strip().startswith("│")]


def _column(output: str, name: str) -> int:
    """Position of the column headed `name` in a printed table (a header may wrap over several lines)."""
    lines = [[c.strip() for c in line.strip().strip("┃").split("┃")] for line in output.splitlines() if line.strip().startswith("┃")]
    headers = [" ".join(part for part in parts if part) for parts in zip(*lines)]
    return headers.index(name)


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

    gap = _column(done.outputs[2], "gap")
    gaps = {cells[0]: float(cells[gap]) for cells in _table_rows(done.outputs[2]) if cells[0].startswith("item")}
    assert len(gaps) == 23 and all(g < 0 for g in gaps.values()), done.outputs[2]
    # Item 4 independently: paired answers, both rescaled 1-100 -> 1-5 (a 4/99 slope), mean difference.
    gap4 = duckdb.sql(f"SELECT avg((s4 - e4) * 4 / 99) FROM read_csv('{csv}') WHERE s4 IS NOT NULL AND e4 IS NOT NULL").fetchall()[0][0]
    assert round(gap4, 2) == gaps["item04"] == -1.22
    assert min(gaps, key=gaps.get) == "item04" and max(gaps, key=gaps.get) == "item12"


@pytest.mark.slow  # about 25 s on 2 cores: 1.4 million answers loaded and compared
def test_passenger_satisfaction_walkthrough_scores_touchpoints_without_the_not_rated_zeros(shared_data, tmp_path: Path) -> None:
    csv = shared_data("airline_passenger_satisfaction/train.csv")
    done = run_walkthrough("airline_passenger_satisfaction", csv.parents[1], tmp_path)

    services = {"wifi": "Inflight wifi service", "online_booking": "Ease of Online booking", "gate": "Gate location",
                "inflight_service": "Inflight service", "baggage": "Baggage handling", "online_boarding": "Online boarding",
                "entertainment": "Inflight entertainment", "schedule": "Departure/Arrival time convenient"}
    source = f"read_csv('{csv}')"
    rated = duckdb.sql(f"""SELECT count(*) FILTER (WHERE v <> 0), count(*) FILTER (WHERE v = 0) FROM
        (UNPIVOT (SELECT COLUMNS(* EXCLUDE ("column00", id, Gender, "Customer Type", Age, "Type of Travel", Class,
                  "Flight Distance", "Departure Delay in Minutes", "Arrival Delay in Minutes", satisfaction)) FROM {source})
         ON COLUMNS(*) INTO NAME q VALUE v)""").fetchall()[0]
    assert rated == (1438724, 15932)
    assert "103904 rows read = 103904 inserted" in done.outputs[0]
    assert ("1438724 answers (from 103904 respondent rows) read = 1438724 inserted + 0 updated + 0 unchanged "
            "+ 0 quarantined") in done.outputs[0]

    def means(where: str = "") -> dict[str, float]:
        return {tp: round(duckdb.sql(f'SELECT avg("{col}") FROM {source} WHERE "{col}" <> 0 {where}').fetchall()[0][0], 2)
                for tp, col in services.items()}

    overall = means()
    shown = {cells[0]: float(cells[2]) for cells in _table_rows(done.outputs[1]) if cells[0] in services}
    assert shown == overall
    assert (overall["wifi"], overall["online_booking"], overall["gate"]) == (2.81, 2.88, 2.98)
    assert (overall["inflight_service"], overall["baggage"]) == (3.64, 3.63)

    satisfied, other = means("AND satisfaction = 'satisfied'"), means("AND satisfaction <> 'satisfied'")
    by_segment = {(cells[0], cells[1]): float(cells[3]) for cells in _table_rows(done.outputs[2]) if cells[0] in services}
    assert by_segment == {**{(tp, "satisfied"): v for tp, v in satisfied.items()},
                          **{(tp, "dissatisfied"): v for tp, v in other.items()}}
    assert (satisfied["online_boarding"], other["online_boarding"]) == (4.15, 2.71)
    assert satisfied["gate"] == other["gate"] == 2.98 and satisfied["schedule"] < other["schedule"]


@pytest.mark.slow  # about 60 s on 2 cores: 14,485 tweets analysed and 14,640 scored
def test_twitter_walkthrough_loads_tweets_in_utc_and_compares_sentiment_with_the_crowd_labels(shared_data, tmp_path: Path) -> None:
    csv = shared_data("twitter_airline_sentiment/Tweets.csv")
    done = run_walkthrough("twitter_airline_sentiment", csv.parents[1], tmp_path)

    rows, authors, tweets = duckdb.sql(f"SELECT count(*), count(DISTINCT name), count(DISTINCT tweet_id) "
                                       f"FROM read_csv('{csv}', all_varchar=true)").fetchall()[0]
    assert (rows, authors, tweets) == (14640, 7701, 14485)
    assert f"{rows} rows read = {authors} inserted + 0 updated + 0 unchanged + {rows - authors} quarantined" in done.outputs[0]
    assert f"{rows} rows read = {tweets} inserted + 0 updated + 0 unchanged + {rows - tweets} quarantined" in done.outputs[0]
    con = duckdb.connect(str(done.folder / "ws" / "cx.duckdb"), read_only=True)
    assert str(con.execute("SELECT ts FROM notes WHERE note_id = '570306133677760513'").fetchall()[0][0]) == "2015-02-24 19:35:52"
    con.close()

    analysed = {cells[0]: cells[2] for cells in _table_rows(done.outputs[1])}
    assert analysed["note"] == str(tweets)
    mentions = {cells[0]: int(cells[-1]) for cells in _table_rows(done.outputs[1]) if cells[-1].isdigit() and cells[0]}
    # keywords + example similarity (text D42); D58: friendly staff +2 from the added wordings, waiting time -1 (the
    # tweet "wjere is our luggage #so slow at lax" is detected as German, and a German text no longer reads the English
    # keywords of a theme that has German ones)
    assert (mentions["waiting_time"], mentions["price_value"], mentions["friendly_staff"]) == (2122, 1230, 885)

    # The agreement table recomputed from the scored file and the labels read straight from the CSV.
    labels = [r[0] for r in duckdb.sql(f"SELECT airline_sentiment FROM read_csv('{csv}', all_varchar=true)").fetchall()]
    scored = [line.split(",")[2] for line in (done.folder / "scored.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert len(scored) == len(labels) == rows
    agree = sum(a == b for a, b in zip(labels, scored)) / rows
    assert f"agree {agree:.1%}" in done.outputs[2] and f"{agree:.1%}" == "55.8%"
    assert sum(a == "negative" and b == "negative" for a, b in zip(labels, scored)) == 6199
    assert scored.count("neutral") == 60 and labels.count("neutral") == 3099
    printed = {" ".join(line.split()) for line in done.outputs[2].splitlines()}
    assert {"negative 6199 21 2958", "neutral 1364 26 1709", "positive 401 13 1949"} <= printed
