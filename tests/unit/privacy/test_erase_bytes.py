"""Why erasure rewrites a DuckDB file: DELETE + CHECKPOINT + VACUUM leaves the erased customer's id and comment
in the file's free blocks; `forget` (rewrite into a new file, swapped in) leaves none. Prints both counts."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

import privacy_fixtures as pf

from cxlens.privacy import forget
from cxlens.store import Store

ID_BYTES = re.compile(rb"(?<![0-9A-Za-z])C1(?![0-9])")


def found(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return len(ID_BYTES.findall(data)), data.count(pf.PHRASE.encode())


def test_delete_checkpoint_vacuum_leaves_bytes_that_forget_removes(tmp_path, capsys):
    copies = {}
    for name in ("plain", "forget"):
        path = tmp_path / name / "cx.duckdb"
        pf.build(f"duckdb:///{path}", tmp_path / name / "files").close()
        copies[name] = path
    before = found(copies["plain"])

    con = duckdb.connect(str(copies["plain"]))  # what a DELETE-only erasure does, made as thorough as DuckDB allows
    for table in ("comment_analysis", "quarantine", "events", "journey_steps", "responses", "tickets", "notes",
                  "outcomes", "customers"):
        column = {"comment_analysis": "source_id", "quarantine": "raw"}.get(table, "customer_id")
        value = {"comment_analysis": "('R1', 'T1', 'N1')", "quarantine": "(SELECT raw FROM quarantine WHERE raw LIKE '%\"C1\"%')"}
        con.execute(f"DELETE FROM {table} WHERE {column} IN {value.get(table, '(' + repr('C1') + ')')}")
    con.execute("CHECKPOINT")
    con.execute("VACUUM")
    con.execute("CHECKPOINT")
    assert con.execute("SELECT count(*) FROM customers WHERE customer_id = 'C1'").fetchone()[0] == 0
    con.close()
    after_delete = found(copies["plain"])

    with Store.open(f"duckdb:///{copies['forget']}") as store:
        forget(store, ["C1"], "test")
    after_forget = found(copies["forget"])
    with capsys.disabled():
        print(f"\n(id C1, comment phrase) occurrences in the DuckDB file: loaded {before}, "
              f"DELETE+CHECKPOINT+VACUUM {after_delete}, forget {after_forget}")
    assert before[0] > 0 and before[1] > 0
    assert after_delete[0] + after_delete[1] > 0  # the reason for the rewrite: if DuckDB ever scrubs, simplify
    assert after_forget == (0, 0)


def test_the_rewritten_file_stays_locked_until_the_store_closes(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "cx.duckdb"
    store = pf.build(f"duckdb:///{path}", tmp_path / "files")
    probe = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"]
    try:
        forget(store, ["C1"], "test")
        held = subprocess.run(probe, capture_output=True, text=True, timeout=120)
        assert held.returncode != 0 and "lock" in held.stderr.lower(), held.stderr
        assert store.count("customers") == 2  # the store goes on working on the new file
        assert Path(f"{path}.cxlens-lock").exists()  # still this process's: it is the writer
    finally:
        store.close()
    assert subprocess.run(probe, capture_output=True, timeout=120).returncode == 0
    assert not Path(f"{path}.cxlens-lock").exists()
