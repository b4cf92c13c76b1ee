"""A command imports only what it needs: `import cxlens.cli` and `cxlens --help` load no command module and none of
the library; every registered command still loads and shows its help (cxlens.cli._lazy, docs/architecture.md D37)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.cli._lazy import MODULES, all_commands, build_registry, command_modules

HEAVY = ("pandas", "numpy", "ibis", "duckdb", "scipy", "sklearn", "pydantic", "cxlens.demo", "cxlens.demo_app",
         "cxlens.workspace", "cxlens.metrics", "cxlens.store")


def _imported_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return {m for m in out if m.split(".")[0] in {h.split(".")[0] for h in HEAVY}}


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY) or m.endswith("_cmds")}


def test_import_cli_imports_no_command_module_nor_the_library():
    loaded = _imported_after("import cxlens.cli")
    assert _heavy(loaded) == set()


def test_top_level_help_imports_no_command_module_nor_the_library():
    code = ("import sys; from typer.testing import CliRunner; from cxlens.cli import app\n"
            "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0 and 'journey' in r.output, r.output")
    assert _heavy(_imported_after(code)) == set()


def test_registry_is_what_the_command_modules_define():
    from cxlens.cli._registry import COMMANDS

    assert COMMANDS == build_registry(), "rebuild it: python -c 'from cxlens.cli._lazy import write_registry; write_registry()'"


def test_every_cmds_module_is_listed():
    assert sorted(MODULES) == command_modules()


def _paths(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in all_commands(group).items():
        out += [prefix + (name,)] + _paths(command, prefix + (name,))
    return out


PATHS = _paths(typer.main.get_command(app))


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) for p in PATHS])
def test_every_registered_command_loads_and_shows_help(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def _help(args: list[str], preload: bool) -> str:
    load = "import importlib; from cxlens.cli._lazy import MODULES\n" \
           "for m in MODULES: importlib.import_module('cxlens.cli.' + m)\n" if preload else ""
    code = f"{load}import sys; from cxlens.cli import app; sys.argv = ['cxlens', *{args!r}]; app()"
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout


@pytest.mark.parametrize("group", [[], ["journey"], ["value"]], ids=["cxlens", "journey", "value"])
def test_lazy_help_lists_the_same_as_the_fully_loaded_app(group):
    """The registry's names and help lines print exactly what the loaded commands print."""
    lazy, full = _help([*group, "--help"], preload=False), _help([*group, "--help"], preload=True)
    assert "Commands" in lazy and lazy == full


# What the experience commands must not import on a DuckDB store (D37, issue 23 item 3): scipy.stats loads every
# distribution (0.6 s), the other engines' drivers and scikit-learn are never needed there.
NEVER_ON_DUCKDB = ("scipy.stats", "pyspark", "psycopg", "psycopg2", "sklearn")
# And what `cxlens nps` in particular no longer imports: all of SciPy (its normal critical values are constants,
# cxlens.stats.distributions), the SQL compilers of Ibis' other dialects (cxlens.store.backends.compilers),
# phone-number parsing (cxlens.privacy's names are imported on first use) and the YAML parser.
NOT_FOR_NPS = ("scipy", "ibis.backends.sql.compilers.trino", "ibis.backends.sql.compilers.bigquery", "phonenumbers",
               "yaml", "cxlens.metrics.outcomes", "cxlens.privacy.redact")


@pytest.fixture(scope="module")
def tiny_workspace(tmp_path_factory):
    """A workspace whose DuckDB store holds the tiny customers, answers and tickets (tests/conftest.py)."""
    from conftest import allow_small_groups, build_tiny_store

    root = tmp_path_factory.mktemp("lazy-nps")
    subprocess.run([sys.executable, "-m", "cxlens", "init", str(root)], check=True, capture_output=True)
    build_tiny_store(f"duckdb:///{root / 'cx.duckdb'}", root / "data").close()
    allow_small_groups(root)
    return root


def _imports_of_command(args: list[str], root) -> set[str]:
    """Every module in sys.modules when a fresh `python -m cxlens ARGS --format json -w ROOT` exits (sys.modules, not
    `-X importtime`: the latter leaves out what importlib.import_module imports)."""
    code = ("import atexit, json, runpy, sys\n"
            "atexit.register(lambda: sys.__stderr__.write('MODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
            f"sys.argv = ['cxlens', *{[*args, '--format', 'json', '-w', str(root)]!r}]\n"
            "runpy.run_module('cxlens', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert isinstance(json.loads(proc.stdout), list)
    return set(json.loads(proc.stderr.rsplit("MODULES ", 1)[1]))


def _under(modules: set[str], roots: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == r or m.startswith(r + ".") for r in roots)}


@pytest.mark.parametrize("args", [["nps"], ["nps", "--by", "touchpoint"], ["csat", "--by", "touchpoint"], ["ces"],
                                  ["scorecard"]], ids=" ".join)
def test_experience_commands_on_duckdb_import_no_scipy_stats_spark_postgres_or_sklearn(tiny_workspace, args):
    imported = _imports_of_command(args, tiny_workspace)
    assert "cxlens.metrics.experience" in imported  # the check reads the real import list
    assert _under(imported, NEVER_ON_DUCKDB) == set()


def test_nps_imports_no_scipy_no_other_sql_dialects_and_no_redaction(tiny_workspace):
    imported = _imports_of_command(["nps"], tiny_workspace)
    assert "ibis.backends.sql.compilers.duckdb" in imported
    assert _under(imported, NOT_FOR_NPS) == set()
