"""Sharing one DuckDB store file between processes: wait for the holder instead of failing on its lock.

DuckDB lets one process open a file read-write, or many processes open it read-only, never both: any
open that conflicts with another process's fails at once with ``Could not set lock on file``. cxlens
opens a store read-write only to write (load, text analysis, migrate, journey sync) and read-only for
analyses, each for one command (the web server: one request), so conflicts are short. On a conflict
:func:`open_waiting` retries with backoff until a timeout (``CXLENS_LOCK_TIMEOUT`` seconds, default
60), says once who holds the store, and on timeout raises a StoreError naming the holder.

Who holds it: DuckDB's message gives the holder's pid; a writer also leaves a small lock-info file next
to the store (``<store>.cxlens-lock``: pid, command, start time), removed when it closes. Info whose
pid is dead, or not the pid DuckDB names, is ignored. See docs/architecture.md D18.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, TypeVar

from cxlens.errors import ConfigError, StoreError

TIMEOUT_ENV = "CXLENS_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0
INFO_SUFFIX = ".cxlens-lock"
_FIRST_DELAY_S, _MAX_DELAY_S = 0.05, 1.0
_PID = re.compile(r"\(PID (\d+)\)")

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Holder:
    """The process holding a store file: pid, and when it is a cxlens writer, its command and start time."""

    pid: int | None
    command: str | None = None
    since: str | None = None
    writing: bool = False

    def describe(self) -> str:
        """`written by 1234 (cxlens load x.csv) since 21:05:03` or `in use by process 1234 (...)`."""
        who = f"process {self.pid}" if self.pid else "another process"
        what = f" ({self.command})" if self.command else ""
        if self.writing:
            return f"being written by {who}{what}" + (f" since {self.since}" if self.since else "")
        return f"in use by {who}{what}"


def lock_timeout() -> float:
    """Seconds to wait for a store another process holds: ``CXLENS_LOCK_TIMEOUT`` (0: do not wait), default 60."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or raw.strip() == "":
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds; use e.g. {TIMEOUT_ENV}=120 (0: do not wait)")
    return value


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether an open failed because another process holds the DuckDB file."""
    text = str(exc)
    return "Could not set lock on file" in text or "Conflicting lock is held" in text


def info_path(store_file: str | Path) -> Path:
    """The lock-info file a writer keeps next to `store_file`."""
    return Path(str(store_file) + INFO_SUFFIX)


def write_info(store_file: str | Path) -> None:
    """Record this process as the store's writer (pid, command, start time); best effort."""
    info = {"pid": os.getpid(), "command": _command(sys.argv), "since": datetime.now().isoformat(timespec="seconds")}
    try:
        info_path(store_file).write_text(json.dumps(info), encoding="utf-8")
    except OSError:
        pass  # a read-only folder: the store itself would have failed to open read-write


def remove_info(store_file: str | Path) -> None:
    """Remove this process's lock info (someone else's is left alone)."""
    path = info_path(store_file)
    info = _read_info(path)
    if info is not None and info.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def holder(store_file: str | Path, exc: BaseException) -> Holder:
    """Who holds `store_file`, from DuckDB's error message and the writer's lock info when it matches."""
    match = _PID.search(str(exc))
    pid = int(match.group(1)) if match else None
    info = _read_info(info_path(store_file))
    if info is not None and _alive(info.get("pid")) and (pid is None or info.get("pid") == pid):
        return Holder(int(info["pid"]), info.get("command"), _clock(info.get("since")), writing=True)
    return Holder(pid, _proc_command(pid))


def open_waiting(store_file: str | Path, open_fn: Callable[[], T], timeout: float | None = None,
                 on_wait: Callable[[Holder, float], None] | None = None) -> T:
    """`open_fn()`, retried with backoff while another process holds `store_file`, for up to `timeout` seconds.

    `on_wait(holder, timeout)` is called once, at the first conflict (default: a warning on the
    ``cxlens.store.locking`` logger, which reaches stderr when the app configures no logging).
    On timeout: StoreError naming the holder and what to do.
    """
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    delay, told = _FIRST_DELAY_S, False
    while True:
        try:
            return open_fn()
        except Exception as exc:
            if not is_lock_conflict(exc):
                raise
            who = holder(store_file, exc)
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(_timeout_message(store_file, who, timeout)) from None
            if not told:
                (on_wait or _log_wait)(who, timeout)
                told = True
            time.sleep(min(delay, left))
            delay = min(delay * 2, _MAX_DELAY_S)


def _log_wait(who: Holder, timeout: float) -> None:
    log.warning("the store is %s; waiting up to %g s (%s sets how long) ...", who.describe(), timeout, TIMEOUT_ENV)


def _timeout_message(store_file: str | Path, who: Holder, timeout: float) -> str:
    waited = f"gave up after {timeout:g} s" if timeout else f"not waiting ({TIMEOUT_ENV}=0)"
    stop = f"; if it hangs, stop it (kill {who.pid})" if who.pid else ""
    return (f"the store {store_file} is {who.describe()}; {waited}. "
            f"Run the command again when it has finished, or set {TIMEOUT_ENV} to more seconds to wait longer{stop}.")


def _read_info(path: Path) -> dict | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


def _command(argv: list[str]) -> str:
    """`cxlens load x.csv ...` from sys.argv (the program's path shortened to its name), at most 120 characters."""
    if not argv:
        return "python"
    program = Path(argv[0])
    if argv[0] == "-c":
        head = "python -c"
    elif program.name == "__main__.py":  # python -m cxlens
        head = f"python -m {program.parent.name}"
    else:
        head = program.name or "python"
    text = " ".join(" ".join([head, *argv[1:]]).split())  # one line, whatever the arguments hold
    return text if len(text) <= 120 else text[:117] + "..."


def _proc_command(pid: int | None) -> str | None:
    """The command line of `pid` where /proc shows it (Linux), else None."""
    if not pid:
        return None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return _command(argv) if argv else None


def _clock(since: object) -> str | None:
    """`2026-11-29 21:05:03` from the ISO time a writer recorded."""
    return str(since).replace("T", " ") if since else None
