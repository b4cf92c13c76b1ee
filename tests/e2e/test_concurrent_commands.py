"""Two processes on one workspace: a command waits for the store another process writes, readers share it.

Real processes: a small Python script holds the store (read-write like a load, or read-only like an
analysis) while `python -m cxlens nps` runs in a second process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import TINY_CUSTOMERS, TINY_JOURNEY, tiny_responses_csv
from cxlens.errors import StoreError
from cxlens.store import Store
from cxlens.workspace import Workspace

CLI = [sys.executable, "-m", "cxlens"]

HOLD = """
import sys, time
from cxlens.store import Store
store = Store.open(sys.argv[1], migrate=sys.argv[2] == "write", read_only=sys.argv[2] == "read")
print("held", flush=True)
sys.stdin.readline()  # until the test says `release` (or kills it)
store.close()
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("concurrent") / "ws"
    ws = Workspace.create(root)
    ws.journey_path.write_text(textwrap.dedent(TINY_JOURNEY).lstrip(), encoding="utf-8")
    for kind, text in (("customers", TINY_CUSTOMERS), ("responses", tiny_responses_csv())):
        (root / f"{kind}.csv").write_text(text, encoding="utf-8")
        ws.load(root / f"{kind}.csv", kind)
    return ws


def hold(ws: Workspace, mode: str) -> subprocess.Popen:
    """A process holding `ws`'s store (`write` or `read`) once it prints `held`, until a line on its stdin."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, ws.store_url, mode],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held", proc.stderr.read()
    return proc


def nps(ws: Workspace, timeout: str) -> subprocess.Popen:
    env = {**os.environ, "CXLENS_LOCK_TIMEOUT": timeout, "COLUMNS": "200"}
    return subprocess.Popen([*CLI, "nps", "-w", str(ws.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_an_analysis_waits_for_a_writer_says_who_it_is_and_succeeds_when_it_finishes(workspace):
    writer = hold(workspace, "write")
    try:
        waiting = nps(workspace, "60")
        said = waiting.stderr.readline()  # the analysis is blocked: it says so, then keeps waiting
        assert f"the store is being written by process {writer.pid} (python -c" in said
        assert "since" in said and "waiting up to 60 s" in said
        time.sleep(0.5)
        assert waiting.poll() is None
    finally:
        writer.communicate("release\n", timeout=30)
    done = finish(waiting)
    assert done.returncode == 0, done.stderr
    assert "NPS" in done.stdout
    assert "waiting up to" not in done.stderr  # said once, not at every retry


def test_an_analysis_that_times_out_names_the_writer_and_what_to_do_without_a_traceback(workspace):
    writer = hold(workspace, "write")
    try:
        refused = finish(nps(workspace, "0.5"))
    finally:
        writer.kill()
        writer.wait(30)
    assert refused.returncode == 1
    assert f"is being written by process {writer.pid}" in refused.stderr
    assert "gave up after 0.5 s" in refused.stderr and "CXLENS_LOCK_TIMEOUT" in refused.stderr
    assert f"kill {writer.pid}" in refused.stderr
    assert "Traceback" not in refused.stderr and "Conflicting lock" not in refused.stderr


def test_two_readers_share_the_store_without_waiting(workspace):
    reader = hold(workspace, "read")
    try:
        done = finish(nps(workspace, "0"))  # 0: a conflict would fail at once
    finally:
        reader.kill()
        reader.wait(30)
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr


def test_a_writer_waits_for_readers_and_names_them_on_timeout(workspace, monkeypatch):
    reader = hold(workspace, "read")
    monkeypatch.setenv("CXLENS_LOCK_TIMEOUT", "0.3")
    try:
        with pytest.raises(StoreError, match=rf"is in use by process {reader.pid} \(python -c.*gave up after 0.3 s"):
            Store.open(workspace.store_url)
    finally:
        reader.kill()
        reader.wait(30)
    with Store.open(workspace.store_url) as store:  # the reader is gone: the writer gets it
        assert store.count("customers") == 8
