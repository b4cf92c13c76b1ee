"""Loading: validation, quarantine, idempotence, upsert, transactions, formats and wide surveys."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cxlens.errors import InputFileError
from cxlens.ingest import Mapping, load, quarantined_rows, read_mapping, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store
from conftest import PLAIN_JOURNEY as JOURNEY

CUSTOMERS = """customer_id,signup_date,segment,region,language,plan,age
C1,2024-01-01,family,north,en,basic,41
C2,2024-02-01,value,south,ar,pro,33
C3,2024-02-03,value,south,de,pro,50
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding=encoding)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}")
    sync_journey(s, read_journey(write(tmp_path / "journey.yaml", JOURNEY)))
    load(s, write(tmp_path / "customers.csv", CUSTOMERS), "customers")
    yield s
    s.close()


def snapshot(store: Store) -> dict[str, list]:
    """Every canonical table's rows, sorted: what 'the store is unchanged' compares."""
    con = store.duckdb
    return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall()))
            for t in ("customers", "events", "responses", "tickets", "outcomes")}


def quarantine_reasons(store: Store) -> set[tuple[int, str, str]]:
    return {(r["row_number"], r["field"], r["reason"]) for r in quarantined_rows(store, limit=None)}


def test_bad_rows_are_quarantined_with_row_field_and_reason_and_good_rows_load(store, tmp_path):
    f = write(tmp_path / "responses.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score,comment
        R1,C1,2024-03-01 10:00:00,relationship,nps,9,great
        R2,C2,2024-03-01,relationship,nps,11,
        R3,C9,2024-03-01,relationship,nps,5,
        R4,C1,2024-03-01,nowhere,csat,4,
        R5,C2,yesterday,call,csat,2,slow
        ,C2,2024-03-02,call,csat,2,slow
        R7,C3,2024-03-02,call,happiness,2,
        R8,C3,2024-03-02,call,ces,7,easy
    """)
    report = load(store, f, "responses")
    assert (report.rows_read, report.inserted, report.quarantined) == (8, 2, 6)
    assert report.inserted + report.updated + report.unchanged + report.quarantined == report.rows_read
    reasons = quarantine_reasons(store)
    assert (2, "score", "score outside the nps scale (0 to 10)") in reasons
    assert (3, "customer_id", "unknown customer (load customers first, or add it)") in reasons
    assert (4, "touchpoint_id", "unknown touchpoint (add it to journey.yaml)") in reasons
    assert (5, "ts", "cannot parse as a date-time") in reasons
    assert (6, "response_id", "missing key") in reasons
    assert any(r[0] == 7 and r[1] == "metric" for r in reasons)
    loaded = store.duckdb.execute("SELECT response_id FROM responses ORDER BY 1").fetchall()
    assert loaded == [("R1",), ("R8",)]
    raw = store.duckdb.execute("SELECT raw FROM quarantine WHERE row_number = 5").fetchone()[0]
    assert json.loads(raw)["ts"] == "yesterday"  # the whole source row is kept, nothing lost


def test_loading_the_same_file_twice_changes_nothing(store, tmp_path):
    f = write(tmp_path / "r.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score
        R1,C1,2024-03-01,relationship,nps,9
        R2,C2,2024-03-01,relationship,nps,99
    """)
    load(store, f, "responses")
    before, q_before = snapshot(store), quarantine_reasons(store)
    again = load(store, f, "responses")
    assert (again.inserted, again.updated, again.unchanged, again.quarantined) == (0, 0, 1, 1)
    assert snapshot(store) == before
    assert quarantine_reasons(store) == q_before


def test_a_row_whose_key_exists_is_updated(store, tmp_path):
    load(store, write(tmp_path / "a.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nR1,C1,2024-03-01,relationship,nps,3\n"), "responses")
    r = load(store, write(tmp_path / "b.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nR1,C1,2024-03-01,relationship,nps,10\nR2,C1,2024-03-02,relationship,nps,8\n"), "responses")
    assert (r.inserted, r.updated, r.unchanged) == (1, 1, 0)
    assert store.duckdb.execute("SELECT response_id, score FROM responses ORDER BY 1").fetchall() == [("R1", 10.0), ("R2", 8.0)]


def test_duplicate_keys_in_one_file_keep_the_last_and_quarantine_the_rest(store, tmp_path):
    f = write(tmp_path / "d.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nR1,C1,2024-03-01,call,csat,1\nR1,C1,2024-03-01,call,csat,5\n")
    r = load(store, f, "responses")
    assert (r.inserted, r.quarantined) == (1, 1)
    assert store.duckdb.execute("SELECT score FROM responses").fetchall() == [(5.0,)]
    assert (1, "response_id", "duplicate key in this file; a later row with the same key was loaded") in quarantine_reasons(store)


@pytest.mark.parametrize("content, column", [
    ("customer_id,ts,touchpoint_id,metric,score\nC1,2024-01-01,call,csat,4\n", "response_id"),
    ("response_id,customer_id,ts,touchpoint_id,metric\nR1,C1,2024-01-01,call,csat\n", "score"),
])
def test_a_missing_required_column_fails_naming_file_and_column_and_loads_nothing(store, tmp_path, content, column):
    f = write(tmp_path / "bad.csv", content)
    before = snapshot(store)
    with pytest.raises(InputFileError) as err:
        load(store, f, "responses")
    assert "bad.csv" in str(err.value) and f"'{column}'" in str(err.value)
    assert snapshot(store) == before


def test_a_wrong_encoding_fails_clearly_and_loads_nothing(store, tmp_path):
    f = tmp_path / "latin1.csv"
    f.write_bytes("response_id,customer_id,ts,touchpoint_id,metric,score,comment\nR1,C1,2024-01-01,call,csat,4,tr\xe8s bien\n".encode("latin-1"))
    before = snapshot(store)
    with pytest.raises(InputFileError, match=r"latin1\.csv.*not UTF-8.*line 2"):
        load(store, f, "responses")
    assert snapshot(store) == before
    report = load(store, f, "responses", encoding="latin-1")  # and the suggested fix works
    assert report.inserted == 1
    assert store.duckdb.execute("SELECT comment FROM responses").fetchone()[0] == "très bien"


@pytest.mark.parametrize("name, payload", [("missing.csv", None), ("broken.parquet", b"not a parquet file"), ("notes.docx", b"x")])
def test_an_unreadable_file_fails_naming_the_file(store, tmp_path, name, payload):
    f = tmp_path / name
    if payload is not None:
        f.write_bytes(payload)
    with pytest.raises(InputFileError, match=name.replace(".", r"\.")):
        load(store, f, "responses")


def test_a_load_interrupted_before_commit_leaves_the_store_unchanged(store, tmp_path):
    load(store, write(tmp_path / "a.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nR1,C1,2024-03-01,relationship,nps,3\n"), "responses")
    before = snapshot(store)
    loads_before = store.count("loads")
    f = write(tmp_path / "b.csv", "response_id,customer_id,ts,touchpoint_id,metric,score\nR1,C1,2024-03-01,relationship,nps,10\nR2,C1,2024-03-02,relationship,nps,8\nR3,C1,2024-03-02,relationship,nps,80\n")

    def crash() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load(store, f, "responses", _before_commit=crash)
    assert snapshot(store) == before
    assert store.count("loads") == loads_before
    assert not any(r["file"].endswith("b.csv") for r in quarantined_rows(store, limit=None))


@pytest.mark.slow
def test_ctrl_c_in_the_middle_of_a_large_load_leaves_the_store_unchanged(store, tmp_path):
    big = tmp_path / "big.csv"
    store.duckdb.execute(f"""COPY (SELECT 'R' || i AS response_id, 'C' || (i % 3 + 1) AS customer_id,
        TIMESTAMP '2024-01-01' + INTERVAL (i % 100000) SECOND AS ts, 'call' AS touchpoint_id, 'csat' AS metric,
        (i % 5) + 1 AS score FROM range(3000000) t(i)) TO '{big}' (HEADER)""")
    db = store.url[len("duckdb:///"):]
    before = snapshot(store)
    store.close()
    script = textwrap.dedent(f"""
        import os, signal, sys
        from cxlens.store import Store
        from cxlens.ingest import load
        s = Store.open({("duckdb:///" + db)!r})
        fired = []
        def on_progress(fraction):
            if 0 < fraction < 1 and not fired:  # the load is running: press Ctrl-C now
                fired.append(fraction)
                os.kill(os.getpid(), signal.SIGINT)
        try:
            load(s, {str(big)!r}, "responses", on_progress=on_progress)
        except KeyboardInterrupt:
            print("interrupted at", fired); sys.exit(130)
        print("finished", fired)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    reopened = Store.open(f"duckdb:///{db}")
    assert snapshot(reopened) == before
    reopened.close()


def test_row_numbers_in_quarantine_match_the_file_on_a_large_file(store, tmp_path):
    rows = ["response_id,customer_id,ts,touchpoint_id,metric,score"]
    rows += [f"R{i},C1,2024-03-01,call,csat,{'9' if i in (54_321, 99_000) else '4'}" for i in range(1, 100_001)]
    f = tmp_path / "many.csv"
    f.write_text("\n".join(rows) + "\n")
    r = load(store, f, "responses")
    assert (r.inserted, r.quarantined) == (99_998, 2)
    assert {x["row_number"] for x in quarantined_rows(store, limit=None)} == {54_321, 99_000}


def test_extra_customer_columns_are_kept_as_attributes(store):
    attrs = store.duckdb.execute("SELECT attributes FROM customers WHERE customer_id = 'C1'").fetchone()[0]
    assert json.loads(attrs) == {"age": "41"}


def test_events_without_an_id_get_a_stable_derived_key(store, tmp_path):
    f = write(tmp_path / "events.csv", "customer_id,ts,touchpoint_id,channel\nC1,2024-03-01 10:00:00,shop,store\nC1,2024-03-02 10:00:00,call,phone\n")
    assert load(store, f, "events").inserted == 2
    assert load(store, f, "events").unchanged == 2
    assert store.count("events") == 2


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "xlsx"])
def test_parquet_json_lines_and_excel_load_like_csv(store, tmp_path, fmt):
    frame = pd.DataFrame({"ticket_id": ["T1", "T2", "T3"], "customer_id": ["C1", "C2", "C7"],
                          "touchpoint_id": ["call", "call", "call"], "category": ["billing", "network", "billing"],
                          "opened_at": ["2024-03-01 09:00:00", "2024-03-02 09:00:00", "2024-03-02 09:00:00"],
                          "resolved_at": ["2024-03-01 12:00:00", None, None], "reopened": ["false", "true", "no"],
                          "contacts": [1, 3, 1]})
    f = tmp_path / f"tickets.{fmt}"
    {"parquet": lambda: frame.to_parquet(f), "jsonl": lambda: frame.to_json(f, orient="records", lines=True),
     "xlsx": lambda: frame.to_excel(f, index=False)}[fmt]()
    r = load(store, f, "tickets")
    assert (r.inserted, r.quarantined) == (2, 1)  # C7 is not a customer
    got = store.duckdb.execute("SELECT ticket_id, reopened, contacts, resolved_at IS NULL FROM tickets ORDER BY 1").fetchall()
    assert got == [("T1", False, 1, False), ("T2", True, 3, True)]


def test_a_wide_survey_export_becomes_one_response_per_answered_question(store, tmp_path):
    f = write(tmp_path / "qualtrics.csv", """
        ResponseId,ExternalRef,EndDate,Q_Lang,Q1,Q1_TEXT,Q2
        S1,C1,01/03/2024 10:15,en,9,love it,Very satisfied
        S2,C2,02/03/2024 11:00,ar,3,سيء,
        S3,C3,02/03/2024 12:00,de,,,Unhappy
    """)
    m = write(tmp_path / "map.yaml", """
        dates: {ts: "%d/%m/%Y %H:%M"}
        wide:
          response_id: ResponseId
          customer_id: ExternalRef
          ts: EndDate
          language: Q_Lang
          questions:
            - {column: Q1, metric: nps, touchpoint: relationship, comment: Q1_TEXT}
            - {column: Q2, metric: csat, touchpoint: call, values: {"Very satisfied": 5, "Satisfied": 4, "Unhappy": 2}}
    """)
    r = load(store, f, "responses", read_mapping(m))
    assert (r.respondents, r.rows_read, r.inserted, r.quarantined) == (3, 4, 4, 0)
    got = store.duckdb.execute("SELECT response_id, metric, score, comment, language, ts FROM responses ORDER BY 1").fetchall()
    assert got[0][:5] == ("S1:Q1", "nps", 9.0, "love it", "en")
    assert str(got[0][5]) == "2024-03-01 10:15:00"
    assert [g[0] for g in got] == ["S1:Q1", "S1:Q2", "S2:Q1", "S3:Q2"]
    assert [g[2] for g in got] == [9.0, 5.0, 3.0, 2.0]


def test_a_mapping_renames_columns_maps_values_and_sets_constants(store, tmp_path):
    f = write(tmp_path / "csat.csv", "Id,Client,When,Rating\nA1,C1,2024-05-01,Very satisfied\nA2,C2,2024-05-02,Meh\n")
    m = Mapping(columns={"response_id": "Id", "customer_id": "Client", "ts": "When", "score": "Rating"},
                values={"score": {"Very satisfied": 5, "Satisfied": 4}}, constants={"touchpoint_id": "call", "metric": "csat"})
    r = load(store, f, "responses", m)
    assert (r.inserted, r.quarantined) == (1, 1)
    assert (2, "score", "cannot parse as a number") in quarantine_reasons(store)


def test_typed_parquet_columns_are_checked_without_a_text_round_trip(store, tmp_path):
    """Parquet timestamps and integer scores load as they are; missing and out-of-scale values are still caught."""
    frame = pd.DataFrame({
        "response_id": ["R1", "R2", "R3", "R4"], "customer_id": ["C1", "C2", "C1", "C2"],
        "ts": pd.to_datetime(["2024-03-01 10:00:00", None, "2024-03-03 08:30:00", "2024-03-04 09:00:00"]),
        "touchpoint_id": ["call", "call", "shop", "shop"], "metric": ["nps", "nps", "csat", "csat"],
        "score": pd.array([9, 7, 6, 5], dtype="Int64"),
    })
    f = tmp_path / "responses.parquet"
    frame.to_parquet(f)
    r = load(store, f, "responses")
    assert (r.inserted, r.quarantined) == (2, 2)
    assert quarantine_reasons(store) == {(2, "ts", "required value missing"),
                                         (3, "score", "score outside the csat scale (1 to 5)")}
    value, raw = store.duckdb.execute("SELECT value, raw FROM quarantine WHERE field = 'score'").fetchone()
    assert float(value) == 6 and json.loads(raw)["response_id"] == "R3"
    got = store.duckdb.execute("SELECT response_id, ts, score FROM responses ORDER BY 1").fetchall()
    assert got == [("R1", pd.Timestamp("2024-03-01 10:00:00").to_pydatetime(), 9.0),
                   ("R4", pd.Timestamp("2024-03-04 09:00:00").to_pydatetime(), 5.0)]


def test_an_aspect_column_loads_and_an_unknown_aspect_is_quarantined_naming_the_allowed_values(store, tmp_path):
    f = write(tmp_path / "aspects.csv", """
        response_id,customer_id,ts,touchpoint_id,metric,score,aspect
        A1,C1,2024-05-01 10:00:00,shop,csat,4,functional
        A2,C1,2024-05-01 10:00:00,shop,csat,2,emotional
        A3,C2,2024-05-02 10:00:00,shop,expectation,5,
        A4,C2,2024-05-02 10:00:00,shop,csat,3,Emotional
        A5,C3,2024-05-03 10:00:00,shop,csat,3,price
    """)
    r = load(store, f, "responses")
    assert (r.rows_read, r.inserted, r.quarantined) == (5, 3, 2)
    assert r.inserted + r.updated + r.unchanged + r.quarantined == r.rows_read
    reason = ("unknown aspect; use one of functional, emotional, experiential, or leave it empty for the overall "
              "question (a mapping's values: can translate other labels)")
    assert quarantine_reasons(store) == {(4, "aspect", reason), (5, "aspect", reason)}
    values = store.duckdb.execute("SELECT value FROM quarantine WHERE field = 'aspect' ORDER BY row_number").fetchall()
    assert values == [("Emotional",), ("price",)]
    got = store.duckdb.execute("SELECT response_id, aspect FROM responses ORDER BY 1").fetchall()
    assert got == [("A1", "functional"), ("A2", "emotional"), ("A3", None)]


def test_a_mapping_can_translate_aspect_labels(store, tmp_path):
    f = write(tmp_path / "aspects.csv", "response_id,customer_id,ts,touchpoint_id,metric,score,Dimension\n"
                                        "A1,C1,2024-05-01 10:00:00,shop,csat,4,Feelings\n")
    m = write(tmp_path / "map.yaml", "columns: {aspect: Dimension}\nvalues: {aspect: {Feelings: emotional}}\n")
    assert load(store, f, "responses", read_mapping(m)).inserted == 1
    assert store.duckdb.execute("SELECT aspect FROM responses").fetchone() == ("emotional",)


def test_a_wide_question_with_an_aspect_loads_per_aspect_answers(store, tmp_path):
    f = write(tmp_path / "qualtrics.csv", """
        ResponseId,ExternalRef,EndDate,bill_functional_expectation,bill_functional_csat,bill_emotional_csat,bill_csat
        S1,C1,2024-03-01 10:15:00,4,4,2,3
        S2,C2,2024-03-02 11:00:00,5,,1,
    """)
    m = write(tmp_path / "map.yaml", """
        wide:
          response_id: ResponseId
          customer_id: ExternalRef
          ts: EndDate
          questions:
            - {column: bill_functional_expectation, metric: expectation, touchpoint: shop, aspect: functional}
            - {column: bill_functional_csat, metric: csat, touchpoint: shop, aspect: functional}
            - {column: bill_emotional_csat, metric: csat, touchpoint: shop, aspect: emotional}
            - {column: bill_csat, metric: csat, touchpoint: shop}
    """)
    r = load(store, f, "responses", read_mapping(m))
    assert (r.respondents, r.rows_read, r.inserted, r.quarantined) == (2, 6, 6, 0)
    got = store.duckdb.execute("SELECT response_id, metric, score, aspect FROM responses ORDER BY 1").fetchall()
    assert got == [("S1:bill_csat", "csat", 3.0, None), ("S1:bill_emotional_csat", "csat", 2.0, "emotional"),
                   ("S1:bill_functional_csat", "csat", 4.0, "functional"),
                   ("S1:bill_functional_expectation", "expectation", 4.0, "functional"),
                   ("S2:bill_emotional_csat", "csat", 1.0, "emotional"),
                   ("S2:bill_functional_expectation", "expectation", 5.0, "functional")]


def test_a_wide_question_with_an_unknown_aspect_is_a_mapping_error(tmp_path):
    from cxlens.errors import ConfigError

    m = write(tmp_path / "map.yaml", """
        wide:
          response_id: ResponseId
          customer_id: ExternalRef
          ts: EndDate
          questions:
            - {column: Q1, metric: csat, touchpoint: shop, aspect: feelings}
    """)
    with pytest.raises(ConfigError, match="aspect 'feelings' is not one of"):
        read_mapping(m)


def test_a_wide_file_counts_answers_everywhere_so_the_equation_holds_and_the_loads_row_agrees(store, tmp_path):
    f = write(tmp_path / "wide.csv", """
        ResponseId,ExternalRef,EndDate,Q1,Q2
        S1,C1,2024-03-01 10:00:00,9,4
        S2,C2,yesterday,8,5
        S3,C3,2024-03-02 10:00:00,11,3
        S1,C1,2024-03-03 10:00:00,7,
    """)
    m = write(tmp_path / "map.yaml", """
        wide:
          response_id: ResponseId
          customer_id: ExternalRef
          ts: EndDate
          questions:
            - {column: Q1, metric: nps, touchpoint: relationship}
            - {column: Q2, metric: csat, touchpoint: call}
    """)
    r = load(store, f, "responses", read_mapping(m))
    # 7 answers from 4 respondent rows: S2's two (bad date), S3's nps 11 and row 1's S1:Q1 (repeated in row 4) are refused.
    assert (r.respondents, r.rows_read, r.inserted, r.updated, r.unchanged, r.quarantined) == (4, 7, 3, 0, 0, 4)
    assert r.inserted + r.updated + r.unchanged + r.quarantined == r.rows_read
    row = store.duckdb.execute("SELECT rows_read, inserted, updated, unchanged, quarantined FROM loads WHERE load_id = ?",
                               [r.load_id]).fetchone()
    assert row == (7, 3, 0, 0, 4)
    got = store.duckdb.execute("SELECT response_id, score FROM responses ORDER BY 1").fetchall()
    assert got == [("S1:Q1", 7.0), ("S1:Q2", 4.0), ("S3:Q2", 3.0)]  # row 1's other answer is not lost with its duplicate
    again = load(store, f, "responses", read_mapping(m))
    assert (again.rows_read, again.inserted, again.unchanged, again.quarantined) == (7, 0, 3, 4)


def test_load_progress_moves_before_the_end_of_a_long_statement():
    """DuckDB reports progress only with enable_progress_bar on; without it the bar sat at 0% until the end."""
    import duckdb

    from cxlens.ingest.load import _progress

    con = duckdb.connect()
    seen: list[float] = []
    with _progress(con, seen.append, interval=0.02):
        con.execute("SELECT count(DISTINCT md5(i::VARCHAR)) FROM range(6000000) t(i)").fetchall()
    assert seen[-1] == 1.0
    assert any(0 < f < 1 for f in seen), seen
    assert seen == sorted(seen)  # the bar never moves back
