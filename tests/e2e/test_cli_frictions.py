"""Small frictions a new user meets: hints name a command they can run, paths with Rich markup print literally,
quarantined quotes read back once, and `make demo` says what it installs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.cli import _app
from cxlens.demo_app import DemoRun
from cxlens.workspace import Workspace
from conftest import PLAIN_JOURNEY, TINY_CUSTOMERS

ENV = {"COLUMNS": "300", "NO_COLOR": "1"}
ROOT = Path(__file__).resolve().parents[2]
MARKUP = "[red]x"  # a folder name that Rich would read as a colour tag


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


# --- the command the hints name --------------------------------------------------------------------------------

def test_hint_names_the_venv_executable_when_cxlens_is_not_on_path(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", [".venv/bin/cxlens", "demo"])
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing called cxlens here
    assert _app.command_name() == ".venv/bin/cxlens"


def test_hint_names_cxlens_when_path_finds_this_program(monkeypatch, tmp_path):
    exe = tmp_path / "bin" / "cxlens"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(exe.parent))
    monkeypatch.setattr(sys, "argv", [str(exe), "demo"])
    assert _app.command_name() == "cxlens"
    monkeypatch.setattr(sys, "argv", ["cxlens", "demo"])  # started by name: the shell found it on PATH
    assert _app.command_name() == "cxlens"


def test_hint_under_python_m_names_this_interpreter(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", [str(ROOT / "src" / "cxlens" / "__main__.py")])
    monkeypatch.setenv("PATH", str(tmp_path))
    assert _app.command_name().endswith(" -m cxlens") and sys.executable in _app.command_name()


def _fake_demo(folder: Path):
    def run_demo(directory, customers, seed, step=None):
        root = Path(directory)
        return DemoRun(workspace=root, report=root / "report.html", truth=root / "truth.json", loads={},
                       seconds={"load": 1.0}, headline={"nps": {"nps": 10.0, "ci_low": 5.0, "ci_high": 15.0, "n": 100},
                                                        "weakest": []})
    return run_demo


def test_demo_next_hint_is_a_command_the_user_can_paste(monkeypatch, tmp_path):
    import cxlens.demo_app

    monkeypatch.setattr(cxlens.demo_app, "run_demo", _fake_demo(tmp_path))
    monkeypatch.setattr(sys, "argv", [".venv/bin/cxlens", "demo"])
    monkeypatch.setenv("PATH", str(tmp_path))
    folder = tmp_path / MARKUP / "demo"
    result = _invoke("demo", "--dir", folder)
    assert result.exit_code == 0, result.output
    assert f"Next: `.venv/bin/cxlens nps --by touchpoint,segment -w '{folder}'`" in result.stdout, result.stdout
    assert f"Report: {folder / 'report.html'}" in result.stdout  # the folder's `[red]` printed, not read as a colour


# --- paths with markup print literally ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def markup_workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("frictions") / MARKUP
    result = _invoke("init", root)
    assert result.exit_code == 0, result.output
    assert f"Workspace ready in {root.resolve()}" in result.stdout, result.stdout
    (root / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")
    (root / "customers.csv").write_text(TINY_CUSTOMERS, encoding="utf-8")
    Workspace.open(root).load(root / "customers.csv", "customers")
    return root


def test_init_message_prints_a_markup_folder_literally(tmp_path):
    root = tmp_path / MARKUP
    result = _invoke("init", root)
    assert result.exit_code == 0, result.output
    assert f"Workspace ready in {root.resolve()}:" in result.stdout
    assert f"-w '{root.resolve()}'" in result.stdout  # quoted: `[red]x` is a glob pattern to the shell


def test_report_message_prints_a_markup_path_literally(markup_workspace):
    out = markup_workspace / "report.html"
    result = _invoke("report", "-w", markup_workspace, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"Report: {out}" in result.stdout


def test_load_interrupted_message_prints_a_markup_file_name_literally(markup_workspace, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Workspace, "load", interrupted)
    name = f"{MARKUP}.csv"
    shutil.copy(markup_workspace / "customers.csv", markup_workspace / name)
    result = _invoke("load", markup_workspace / name, "--kind", "customers", "-w", markup_workspace)
    assert result.exit_code == 130
    assert f"Interrupted: nothing from {name} was loaded" in result.stderr, result.stderr


# --- quarantine shows a quoted value once ------------------------------------------------------------------------

def test_quarantined_value_with_escaped_quotes_is_stored_and_shown_once(markup_workspace):
    path = markup_workspace / "quoted.csv"
    path.write_text('response_id,customer_id,ts,touchpoint_id,metric,score,language,comment\n'
                    'q1,C1,2024-03-01 09:00:00,shop,csat,"the ""best"" one",en,"The agent said ""wait"" twice"\n',
                    encoding="utf-8")
    assert _invoke("load", path, "--kind", "responses", "-w", markup_workspace).exit_code == 0
    with Workspace.open(markup_workspace).store() as store:
        q = store.table("quarantine").execute()
    row = q[q["file"].str.endswith("quoted.csv")].iloc[0]
    assert row["value"] == 'the "best" one'  # stored right
    assert json.loads(row["raw"])["comment"] == 'The agent said "wait" twice'
    shown = _invoke("quarantine", "--kind", "responses", "-w", markup_workspace)
    assert 'the "best" one' in shown.stdout and '""' not in shown.stdout, shown.stdout  # shown right
    as_json = json.loads(_invoke("quarantine", "--kind", "responses", "-f", "json", "-w", markup_workspace).stdout)
    assert 'the "best" one' in [r["value"] for r in as_json]


# --- make demo says what it installs -----------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_says_it_installs_and_shows_pip_progress():
    dry = subprocess.run(["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "MAKEFLAGS": ""})
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    install = next(i for i, line in enumerate(lines) if "pip install" in line and "-e " in line)
    assert "--quiet" not in lines[install], "the long install is silent"
    assert any(line.startswith("echo") and "minute" in line for line in lines[:install]), "no line says what happens"
