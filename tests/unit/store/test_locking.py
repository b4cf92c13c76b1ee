"""Who holds a store file, how long to wait for it, and what a writer leaves behind (store/locking.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow as pa
import pytest

from cxlens.errors import ConfigError, StoreError
from cxlens.store import Store, locking

DUCKDB_CONFLICT = 'IO Error: Could not set lock on file "{f}": Conflicting lock is held in /usr/bin/python3 (PID {pid}). See also ...'


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_writer_leaves_its_pid_command_and_start_time_next_to_the_store_and_removes_them_on_close(tmp_path):
    store_file = tmp_path / "cx.duckdb"
    with Store.open(f"duckdb:///{store_file}"):
        info = json.loads(locking.info_path(store_file).read_text())
        assert info["pid"] == os.getpid() and info["command"] and info["since"]
    assert not locking.info_path(store_file).exists()
    with Store.open(f"duckdb:///{store_file}", read_only=True):  # a reader leaves nothing
        assert not locking.info_path(store_file).exists()


def test_the_holder_is_the_writer_of_the_lock_info_when_duckdb_names_its_pid(tmp_path):
    store_file = tmp_path / "cx.duckdb"
    locking.info_path(store_file).write_text(json.dumps({"pid": os.getpid(), "command": "cxlens load x.csv",
                                                         "since": "2026-01-02T03:04:05"}))
    who = locking.holder(store_file, Exception(DUCKDB_CONFLICT.format(f=store_file, pid=os.getpid())))
    assert who.describe() == f"being written by process {os.getpid()} (cxlens load x.csv) since 2026-01-02 03:04:05"


def test_lock_info_of_a_dead_process_or_another_pid_is_ignored(tmp_path):
    store_file = tmp_path / "cx.duckdb"
    gone = dead_pid()
    locking.info_path(store_file).write_text(json.dumps({"pid": gone, "command": "cxlens load old.csv", "since": "x"}))
    who = locking.holder(store_file, Exception(DUCKDB_CONFLICT.format(f=store_file, pid=os.getpid())))
    assert not who.writing and who.pid == os.getpid() and "old.csv" not in who.describe()
    assert who.describe().startswith(f"in use by process {os.getpid()} (")  # its command line, from /proc
    # and a store whose writer died opens for writing and reading as usual
    with Store.open(f"duckdb:///{store_file}"):
        pass
    with Store.open(f"duckdb:///{store_file}", read_only=True) as store:
        assert store.count("customers") == 0


def test_open_waiting_retries_until_the_holder_goes_and_tells_once(tmp_path):
    calls, told = [], []

    def opener():
        calls.append(1)
        if len(calls) < 4:
            raise Exception(DUCKDB_CONFLICT.format(f=tmp_path / "cx.duckdb", pid=12345))
        return "opened"

    assert locking.open_waiting(tmp_path / "cx.duckdb", opener, timeout=10, on_wait=lambda h, t: told.append(h)) == "opened"
    assert len(calls) == 4 and len(told) == 1 and told[0].pid == 12345


def test_open_waiting_gives_up_after_the_timeout_with_a_store_error_and_lets_other_errors_through(tmp_path):
    def locked():
        raise Exception(DUCKDB_CONFLICT.format(f=tmp_path / "cx.duckdb", pid=12345))

    with pytest.raises(StoreError, match=r"in use by process 12345.*gave up after 0.2 s.*CXLENS_LOCK_TIMEOUT.*kill 12345"):
        locking.open_waiting(tmp_path / "cx.duckdb", locked, timeout=0.2, on_wait=lambda h, t: None)

    def corrupt():
        raise ValueError("not a DuckDB file")

    with pytest.raises(ValueError):
        locking.open_waiting(tmp_path / "cx.duckdb", corrupt, timeout=5)


@pytest.mark.parametrize("raw, seconds", [(None, 60.0), ("", 60.0), ("0", 0.0), ("2.5", 2.5)])
def test_the_wait_comes_from_cxlens_lock_timeout(monkeypatch, raw, seconds):
    if raw is None:
        monkeypatch.delenv("CXLENS_LOCK_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("CXLENS_LOCK_TIMEOUT", raw)
    assert locking.lock_timeout() == seconds


@pytest.mark.parametrize("raw", ["soon", "-1"])
def test_a_wrong_cxlens_lock_timeout_is_a_config_error_that_shows_an_example(monkeypatch, raw):
    monkeypatch.setenv("CXLENS_LOCK_TIMEOUT", raw)
    with pytest.raises(ConfigError, match="CXLENS_LOCK_TIMEOUT=120"):
        locking.lock_timeout()


def test_a_store_opened_read_only_refuses_writes_with_a_store_error(tmp_path):
    url = f"duckdb:///{tmp_path / 'cx.duckdb'}"
    Store.open(url).close()

    with Store.open(url, read_only=True) as store, pytest.raises(StoreError, match="opened read-only"):
        store.replace_rows("touchpoints", pa.table({}))
