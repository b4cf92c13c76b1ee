"""Fault test: a load killed with SIGKILL at several moments leaves the store exactly as it was.

Each kill runs on its own copy of one base store (customers and 6,000 answers loaded). The killed load
brings 4,000 new answers, 1,000 changed ones and 50 bad ones (quarantined). After the kill the store
opens (read-only too, with the writer's stale lock info and DuckDB's WAL left behind) and every table,
`loads` and `quarantine` included, is what it was before, or, for a kill that came after COMMIT, what a
whole load makes it: never a part. The store, not the loader's output, says which (a kill can land between
COMMIT and the loader's "loaded"). A reload of the same file then gives the right counts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

from conftest import GENERATED_JOURNEY, generate_frames
from cxlens.ingest import load, sync_journey
from cxlens.model import stored_tables
from cxlens.model.journey import read_journey
from cxlens.store import Store

BASE, NEW, CHANGED, BAD = 6000, 4000, 1000, 50

# Loads `file` into `store` when told `go` (after printing `ready`), so the test can time a kill from
# outside; hook `before_commit` kills the process from inside the load's transaction, just before
# COMMIT, and `after_load` just after the load returned (committed, but "loaded" never printed). After the load it sleeps until the timed kill comes (not on stdin: the test closes stdin when it
# collects the output, which would let a load that finished early exit before its kill).
LOADER = """
import os, signal, sys, time
from cxlens.ingest import load
from cxlens.store import Store
url, file, hook = sys.argv[1:4]
die = lambda *_: os.kill(os.getpid(), signal.SIGKILL)
store = Store.open(url)
print("ready", flush=True)
sys.stdin.readline()
load(store, file, "responses", _before_commit=die if hook == "before_commit" else None)
if hook == "after_load":
    die()
print("loaded", flush=True)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    """(base store file, the file whose load gets killed)."""
    folder = tmp_path_factory.mktemp("killed")
    frames = generate_frames(seed=5, customers=300, answers=BASE + NEW)
    responses = frames["responses"]
    first = responses.iloc[:BASE]
    second = responses.iloc[BASE - CHANGED:].copy()  # CHANGED answers already stored, then NEW ones
    second.loc[second.index[:CHANGED], "score"] = second["score"].iloc[:CHANGED].map(lambda s: 1.0 if s != 1 else 2.0)
    bad = second.iloc[CHANGED:CHANGED + BAD].copy()
    bad["response_id"] = [f"BAD{i}" for i in range(BAD)]
    bad["score"] = 99.0  # out of every scale: quarantined
    second = pd.concat([second, bad])
    store_file = folder / "base.duckdb"
    with Store.open(f"duckdb:///{store_file}") as store:
        journey = folder / "journey.yaml"
        journey.write_text(textwrap.dedent(GENERATED_JOURNEY).lstrip(), encoding="utf-8")
        sync_journey(store, read_journey(journey))
        frames["customers"].to_csv(folder / "customers.csv", index=False)
        load(store, folder / "customers.csv", "customers")
        first.to_csv(folder / "first.csv", index=False)
        load(store, folder / "first.csv", "responses")
    second.to_csv(folder / "second.csv", index=False)
    return store_file, folder / "second.csv"


VOLATILE = {"load_id", "started_at", "finished_at", "quarantined_at"}  # differ between two runs of one load


def snapshot(store_file: Path, same_load: bool = False) -> dict[str, list[tuple]]:
    """Every row of every stored table, sorted, read through a read-only open (as an analysis would).

    `same_load`: without the load ids and times, to compare the outcome of two runs of one load."""
    with Store.open(f"duckdb:///{store_file}", read_only=True) as store:
        rows = {}
        for t in stored_tables():
            columns = ", ".join(f'"{c}"' for c in t.names if not (same_load and c in VOLATILE))
            rows[t.name] = store.duckdb.execute(f'SELECT {columns} FROM "{t.name}" ORDER BY ALL').fetchall()
        return rows


def killed_loads(store_files: list[Path], file: Path, kills: list[tuple[str, float | None]]) -> list[str]:
    """Load `file` into each store in its own process, all at once, and SIGKILL each as `kills` says:
    (hook, None) from inside at the hook, ("", s) s seconds after the load started.

    Returns how each ended: `killed`, or `loaded` (the load finished before the timed kill)."""
    procs = [subprocess.Popen([sys.executable, "-c", LOADER, f"duckdb:///{f}", str(file), hook],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f, (hook, _) in zip(store_files, kills)]
    for proc in procs:  # every process has started and opened its store
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    timers = [threading.Timer(after_s, proc.send_signal, [signal.SIGKILL]) if after_s is not None else None
              for proc, (_, after_s) in zip(procs, kills)]
    for proc, timer in zip(procs, timers):
        proc.stdin.write("go\n")
        proc.stdin.flush()
        if timer:
            timer.start()
    ended = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL, err
        ended.append("loaded" if "loaded" in out else "killed")
    return ended


def test_a_load_killed_at_any_moment_leaves_the_store_as_it_was_and_a_reload_succeeds(base, tmp_path):
    store_file, second = base
    before = snapshot(store_file)
    assert len(before["responses"]) == BASE and len(before["loads"]) == 2

    # the whole load, uninterrupted, on its own copy: what a kill after COMMIT may leave
    whole = tmp_path / "whole.duckdb"
    shutil.copy(store_file, whole)
    with Store.open(f"duckdb:///{whole}") as store:
        report = load(store, second, "responses")
    assert (report.inserted, report.updated, report.quarantined) == (NEW, CHANGED, BAD)
    after = snapshot(whole, same_load=True)
    assert len(after["responses"]) == BASE + NEW and len(after["loads"]) == 3

    kills = [("before_commit", None), ("after_load", None), ("", 0.05), ("", 0.2), ("", 0.5), ("", 1.0)]
    copies = [tmp_path / f"kill{n}.duckdb" for n in range(len(kills))]
    for copy in copies:
        shutil.copy(store_file, copy)
    outcomes = killed_loads(copies, second, kills)  # killed, or loaded: the timed kill came after the load
    committed_at = []
    for copy, (hook, after_s), ended in zip(copies, kills, outcomes):
        state = snapshot(copy)
        # A kill may land after COMMIT but before the loader prints "loaded": the store, not the output,
        # says whether the load took effect. Either way it is all or nothing.
        committed = state != before
        committed_at.append(committed)
        if committed:
            assert snapshot(copy, same_load=True) == after, f"kill {hook or after_s}: a part of the load, not all"
        else:
            assert ended == "killed", f"kill {after_s}: the load said it finished but the store is unchanged"
        with Store.open(f"duckdb:///{copy}") as store:  # a writer opens it too, despite the dead writer's lock info
            redo = load(store, second, "responses")
        assert (redo.inserted, redo.updated, redo.quarantined) == ((0, 0, BAD) if committed else (NEW, CHANGED, BAD))
        assert snapshot(copy, same_load=True)["responses"] == after["responses"]
    assert outcomes[0] == "killed" and not committed_at[0], "the kill just before COMMIT left the load in the store"
    assert outcomes[1] == "killed" and committed_at[1], "the kill after the load returned undid it"
