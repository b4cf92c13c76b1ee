"""A load into an empty table writes the checked rows straight into it, without a staged copy (architecture D63).

Its outcome must be exactly the staged path's: the same stored rows, the same quarantine (row, field, value, reason,
raw row) and the same report, on random files with planted faults, CSV and Parquet. A file repeating a key goes
back to the staged path, which leaves the earlier rows out in file order; a table holding rows is always staged.
Each test also checks which path ran, so a path silently not taken fails it.
"""

from __future__ import annotations

import importlib
import random
from pathlib import Path

import pandas as pd
import pytest

from cxlens.ingest import Mapping, load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store
from cxlens.store.backends.duckdb import DuckDBLoad

LOADER = importlib.import_module("cxlens.ingest.load")  # the module (cxlens.ingest.load is also the function's name)
JOURNEY = ("stages: [support]\ntouchpoints:\n  - {id: call, name: Support call, stage: support}\n"
           "  - {id: shop, name: Shop visit, stage: support}\n")
COLUMNS = ["response_id", "customer_id", "ts", "touchpoint_id", "metric", "score", "comment"]
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
FAULTS = {  # column -> values that must be quarantined (or, for padding, loaded trimmed)
    "response_id": [""],
    "customer_id": ["", "C99"],
    "ts": ["yesterday", "0001-01-01 00:00:00", "2024-03-01 10:00:00 Mars/Olympus", "3/1/2024 10:00 PM", ""],
    "touchpoint_id": ["", "nowhere"],
    "metric": ["happiness", ""],
    "score": ["nine", "42", ""],
}


def _random_rows(seed: int, n: int, fault_rate: float, repeat: bool, prefix: str = "R") -> list[tuple]:
    """`n` answers, each faulty with probability `fault_rate` (one to three faults), some padded with spaces;
    with `repeat`, a few keys come back later in the file."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        metric = rng.choice(list(SCALES))
        low, high = SCALES[metric]
        row = {"response_id": f"{prefix}{i}", "customer_id": f"C{rng.randint(1, 5)}",
               "ts": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00:00",
               "touchpoint_id": rng.choice(["call", "shop"]), "metric": metric, "score": str(rng.randint(low, high)),
               "comment": rng.choice(["", "fine", "slow to answer"])}
        if rng.random() < fault_rate:
            for column in rng.sample(list(FAULTS), rng.randint(1, 3)):
                row[column] = rng.choice(FAULTS[column])
        if rng.random() < 0.05:
            row["touchpoint_id"] = f" {row['touchpoint_id']} "
        rows.append(tuple(row[c] for c in COLUMNS))
    if repeat:
        for i in rng.sample(range(n // 2), 3):
            later = rng.randrange(n // 2, n)
            rows[later] = (rows[i][0], *rows[later][1:])
    return rows


def _write(rows: list[tuple], path: Path) -> Path:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path, index=False, row_group_size=97)
    return path


def _outcome(tmp_path: Path, name: str, files: list[Path], monkeypatch, staged: bool, mapping: Mapping | None = None):
    """Load `files` one after the other into a fresh store; (stored rows, quarantine, reports, staged loads)."""
    home = tmp_path / name
    home.mkdir()
    (home / "journey.yaml").write_text(JOURNEY)
    customers = "".join(f"C{i},2024-01-01\n" for i in range(1, 6))
    (home / "customers.csv").write_text("customer_id,signup_date\n" + customers)
    store = Store.open(f"duckdb:///{home / 'cx.duckdb'}")
    staged_loads = []
    real = LOADER._stage_and_upsert
    with monkeypatch.context() as m:
        sync_journey(store, read_journey(home / "journey.yaml"))
        load(store, home / "customers.csv", "customers")
        if staged:
            m.setattr(DuckDBLoad, "writes_in_place_into_empty", lambda self, con: False)
        m.setattr(LOADER, "_stage_and_upsert", lambda *a, **k: staged_loads.append(1) or real(*a, **k))
        reports = []
        for f in files:
            report = load(store, f, "responses", mapping).as_dict()
            reports.append({k: v for k, v in report.items() if k not in ("load_id", "file")})
    con = store.duckdb
    stored = con.execute("SELECT * FROM responses ORDER BY response_id").fetchall()
    quarantine = con.execute("SELECT regexp_extract(file, '[^/]+$'), row_number, field, value, reason, raw "
                             "FROM quarantine WHERE kind = 'responses' ORDER BY ALL").fetchall()
    loads = con.execute("SELECT rows_read, inserted, updated, unchanged, quarantined, skipped FROM loads "
                        "WHERE kind = 'responses' ORDER BY started_at").fetchall()
    store.close()
    return stored, quarantine, reports, loads, len(staged_loads)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("seed,fault_rate", [(1, 0.0), (2, 0.05), (3, 0.3), (4, 0.9)])
def test_an_empty_table_is_loaded_unstaged_with_exactly_the_staged_outcome(tmp_path, monkeypatch, fmt, seed,
                                                                            fault_rate):
    path = _write(_random_rows(seed, 700, fault_rate, repeat=False), tmp_path / f"answers.{fmt}")
    *unstaged, staged_count = _outcome(tmp_path, "unstaged", [path], monkeypatch, staged=False)
    *staged, staged_count_ref = _outcome(tmp_path, "staged", [path], monkeypatch, staged=True)
    assert (staged_count, staged_count_ref) == (0, 1)
    assert unstaged == staged
    stored, quarantine, reports, _ = unstaged
    assert reports[0]["inserted"] == len(stored) > 0
    assert (reports[0]["quarantined"] > 0) == (fault_rate > 0) and len(quarantine) >= reports[0]["quarantined"]
    assert {r[0] for r in quarantine} <= {path.name}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("duplicates", ["quarantine", "last"])
def test_a_file_repeating_a_key_goes_back_to_the_staged_path_and_nothing_of_the_attempt_is_kept(
        tmp_path, monkeypatch, fmt, duplicates):
    path = _write(_random_rows(5, 600, 0.1, repeat=True), tmp_path / f"answers.{fmt}")
    mapping = Mapping(duplicates=duplicates)
    *unstaged, staged_count = _outcome(tmp_path, "unstaged", [path], monkeypatch, staged=False, mapping=mapping)
    *staged, _ = _outcome(tmp_path, "staged", [path], monkeypatch, staged=True, mapping=mapping)
    assert staged_count == 1  # tried unstaged, found the repeated keys, rolled back and staged
    assert unstaged == staged
    reports = unstaged[2]
    repeated = reports[0]["skipped"] if duplicates == "last" else sum(r[2] == "response_id" and "duplicate" in r[4]
                                                                       for r in unstaged[1])
    assert repeated == 3
    assert unstaged[3] == [tuple(reports[0][k] for k in ("rows_read", "inserted", "updated", "unchanged",
                                                          "quarantined", "skipped"))]  # one load recorded, not two


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_where_selection_is_loaded_unstaged_with_the_staged_outcome(tmp_path, monkeypatch, fmt):
    # Rows the selection leaves out are neither read, counted nor quarantined; the rest keep the file's row numbers.
    rows = _random_rows(8, 500, 0.3, repeat=False)
    path = tmp_path / f"waves.{fmt}"
    frame = pd.DataFrame(rows, columns=COLUMNS).assign(wave=[("a", "b", "c")[i % 3] for i in range(len(rows))])
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path, index=False, row_group_size=97)
    mapping = Mapping(where={"wave": ["a", "c"]})
    *unstaged, staged_count = _outcome(tmp_path, "unstaged", [path], monkeypatch, staged=False, mapping=mapping)
    *staged, _ = _outcome(tmp_path, "staged", [path], monkeypatch, staged=True, mapping=mapping)
    assert staged_count == 0 and unstaged == staged
    report = unstaged[2][0]
    assert (report["rows_read"], report["not_selected"]) == (333, 167)
    assert report["quarantined"] > 50 and all(row % 3 != 2 for _, row, *_ in unstaged[1])  # rows 2, 5, ...: wave b


def test_a_table_holding_rows_is_staged_and_a_reload_changes_nothing(tmp_path, monkeypatch):
    first = _write(_random_rows(6, 400, 0.2, repeat=False), tmp_path / "first.parquet")
    second = _write(_random_rows(7, 400, 0.2, repeat=False, prefix="S"), tmp_path / "second.csv")
    *unstaged, staged_count = _outcome(tmp_path, "unstaged", [first, second, first], monkeypatch, staged=False)
    *staged, _ = _outcome(tmp_path, "staged", [first, second, first], monkeypatch, staged=True)
    assert staged_count == 2  # the first file unstaged into the empty table; the others staged
    assert unstaged == staged
    reports = unstaged[2]
    assert reports[1]["inserted"] > 0 and reports[1]["updated"] == 0
    assert reports[2]["inserted"] == reports[2]["updated"] == 0 and reports[2]["unchanged"] == reports[0]["inserted"]


def test_an_unstaged_load_failing_before_commit_leaves_the_store_as_it_was(tmp_path):
    (tmp_path / "journey.yaml").write_text(JOURNEY)
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nC1,2024-01-01\n")
    store = Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}")
    sync_journey(store, read_journey(tmp_path / "journey.yaml"))
    load(store, tmp_path / "customers.csv", "customers")
    path = _write([("R1", "C1", "2024-01-01", "call", "nps", "9", ""), ("R2", "C1", "someday", "call", "nps", "9", "")],
                  tmp_path / "answers.csv")

    def fail() -> None:
        assert store.duckdb.execute("SELECT count(*) FROM responses").fetchone()[0] == 1  # written, not committed
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        load(store, path, "responses", _before_commit=fail)
    counts = store.duckdb.execute("SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM quarantine), "
                                  "(SELECT count(*) FROM loads WHERE kind = 'responses')").fetchone()
    assert counts == (0, 0, 0)
    store.close()
