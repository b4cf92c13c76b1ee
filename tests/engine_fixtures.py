"""Engine fixtures: the same test runs on DuckDB, PySpark (local mode) and PostgreSQL.

Use `engine_url` (a fresh, empty store URL per test) or `engine_store` (that store, opened) in a test,
and the test runs once per engine:

    from engine_fixtures import engine_store, engine_url  # noqa: F401  (pytest finds them by name)

    def test_counts(engine_store): ...

Spark tests carry the `spark` mark and PostgreSQL tests the `postgres` mark (`-m "not spark"` skips
them). One SparkSession (local[2], 2 shuffle partitions) and one PostgreSQL server serve the whole
run: the server is started by the fixture with `initdb` + `pg_ctl` on a free local port in a temporary
folder, as the `postgres` user when the tests run as root, and stopped at exit. A test is skipped
only when Java or the PostgreSQL binaries are absent, and says so.

Under pytest-xdist (`scripts/run-tests.sh` runs `-n auto --dist loadfile`) each worker is its own
process, so it starts its own SparkSession (2 GB driver) and its own PostgreSQL server on its own
free port and folder; database names carry the worker's pid. Nothing is shared between workers.
"""

from __future__ import annotations

import atexit
from contextlib import contextmanager
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("spark", id="spark", marks=pytest.mark.spark),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
ANALYSIS_ENGINES = ENGINES[:2]  # the analyses' contract: identical results on DuckDB and Spark
SPARK_PARTITIONS = 2


# ----------------------------------------------------------------------------------------- PostgreSQL

def postgres_bindir() -> str | None:
    """Folder holding initdb and pg_ctl: PG_BINDIR, Debian's /usr/lib/postgresql/N/bin, or PATH."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    which = shutil.which("initdb")
    candidates.append(os.path.dirname(which) if which else "")
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "initdb")) and os.path.exists(os.path.join(folder, "pg_ctl")):
            return folder
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<free port>, trust authentication, fsync off."""

    def __init__(self, bindir: str):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="cxlens-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = self._os_user()
        self._databases = 0
        self._lock = threading.Lock()

    @staticmethod
    def _os_user() -> str | None:
        """PostgreSQL refuses to run as root: use the `postgres` account (or create one)."""
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "cxlens-pg"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        subprocess.run(["useradd", "--system", "--no-create-home", "cxlens-pg"], check=True, capture_output=True)
        return "cxlens-pg"

    def _run(self, *args: str) -> None:
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr or done.stdout}\n{log}")

    def start(self) -> "PostgresServer":
        if self.user:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")
        atexit.register(self.stop)
        self._stop_on_sigterm()
        return self

    def _stop_on_sigterm(self) -> None:
        """`timeout` and CI cancel with SIGTERM, which skips atexit: stop the server then too."""
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            self.stop()
            if callable(previous):
                previous(signum, frame)
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, on_term)

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """URL of a new, empty database (one per test, so tests never see each other's rows)."""
        import psycopg

        with self._lock:
            self._databases += 1
            name = f"cx_{os.getpid()}_{self._databases}"
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        return self.url(name)


_POSTGRES: PostgresServer | None = None


def postgres_server() -> PostgresServer:
    """The run's PostgreSQL server, started on first use; skips the test when the binaries are absent."""
    global _POSTGRES
    if _POSTGRES is None:
        bindir = postgres_bindir()
        if bindir is None:
            pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql, or set PG_BINDIR")
        _POSTGRES = PostgresServer(bindir).start()
    return _POSTGRES


# ---------------------------------------------------------------------------------------------- Spark

def require_spark() -> None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java not found: the Spark engine needs a JRE (apt-get install openjdk-17-jre-headless)")
    pytest.importorskip("pyspark", reason="pyspark not installed: pip install 'cxlens[spark]'")


def spark_url(warehouse: Path) -> str:
    return (f"spark://local[2]?warehouse={warehouse}&partitions={SPARK_PARTITIONS}&memory=2g"
            "&spark.sql.codegen.wholeStage=false&spark.sql.adaptive.enabled=false")


# -------------------------------------------------------------------------------------------- fixtures

def make_url(engine: str, folder: Path) -> str:
    """A fresh, empty store URL for `engine` whose files (if any) live under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    if engine == "duckdb":
        return f"duckdb:///{folder / 'cx.duckdb'}"
    if engine == "spark":
        require_spark()
        return spark_url(folder / "warehouse")
    if engine == "postgres":
        return postgres_server().new_database()
    raise ValueError(engine)


@pytest.fixture(params=ENGINES)
def engine_url(request, tmp_path: Path) -> str:
    """URL of a new empty store, once per engine."""
    return make_url(request.param, tmp_path / request.param)


@pytest.fixture
def engine_store(engine_url: str):
    """A new store, opened (schema created), once per engine."""
    from cxlens.store import Store

    store = Store.open(engine_url)
    yield store
    store.close()


def loaded_store(engine: str, files: Path, kinds: tuple[str, ...], folder: Path):
    """A new store for `engine` (its files under `folder`) with `files`/journey.yaml synced and
    `files`/<kind>.csv loaded for each kind, in order: the module-scoped stores of the engine tests."""
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store

    store = Store.open(make_url(engine, folder))
    sync_journey(store, read_journey(files / "journey.yaml"))
    for kind in kinds:
        load(store, files / f"{kind}.csv", kind)
    return store


@contextmanager
def stores_per_engine(files: Path, kinds: tuple[str, ...], tmp_path_factory, name: str):
    """`get(engine)` -> the store of `files` loaded into that engine, opened once on first use and closed at the
    end: the module-scoped stores of engine tests that compare every engine with DuckDB."""
    opened: dict = {}

    def get(engine: str):
        if engine not in opened:
            opened[engine] = loaded_store(engine, files, kinds, tmp_path_factory.mktemp(f"{name}-{engine}"))
        return opened[engine]

    try:
        yield get
    finally:
        for store in opened.values():
            store.close()
