"""Every option of every command, given a bad value, says so in one line and exits non-zero: no traceback.

Commands and options are read from the Typer app itself, so a new command or option is covered the
day it is added; a bad value is chosen from the option's type.
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.cli._lazy import all_commands
from cxlens.workspace import init
from conftest import build_tiny_store
from cxlens.ingest import load

# Options whose every value is valid (nothing to refuse), each with the reason.
ANY_VALUE = {
    ("report", "--title"): "any text is a title",
    ("text train", "--output"): "a new folder is created; only known after training every language (slow)",
    ("text themes", "--workspace"): "outside a workspace it lists the shipped default themes",
    ("text models", "--workspace"): "outside a workspace it lists the default sentiment models",
    ("journey map", "--title"): "any text is a title",
    ("forget", "--by"): "any text names who asked for the erasure",
}
# The library call behind the option does not validate the value yet (it should raise UsageError naming it).
NOT_VALIDATED_YET: dict[tuple[str, str], str] = {}
BAD_TEXT = "no-such-value"


# Typer ships its own copy of Click, so commands and options are recognised by what they have, not their class.
def _commands(group, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for name, command in sorted(all_commands(group).items()):  # loads every lazy command
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            out += _commands(command, path + " ")
        else:
            out.append((path, command))
    return out


COMMANDS = _commands(typer.main.get_command(app))


def _valued_options(command) -> list:
    return [p for p in command.params
            if p.param_type_name == "option" and not p.is_flag and not p.count and p.name != "help"]


CASES = [(name, option.opts[0]) for name, command in COMMANDS for option in _valued_options(command)]
PARAMS = [pytest.param(c, f, id=f"{c}{f}".replace(" ", "_"),
                       marks=[pytest.mark.xfail(reason=NOT_VALIDATED_YET[(c, f)])] if (c, f) in NOT_VALIDATED_YET else [])
          for c, f in CASES]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace holding the tiny store of tests/conftest.py, plus a text file to score."""
    root = tmp_path_factory.mktemp("bad_options")
    init(root)
    store = build_tiny_store(f"duckdb:///{root / 'cx.duckdb'}", root)
    # Journey events too, so the journey commands run as far as their options take them.
    (root / "events.csv").write_text("customer_id,ts,touchpoint_id\n" + "".join(
        f"C{c},2024-0{m}-0{c} 10:00:00,{tp}\n" for c in range(1, 9) for m, tp in ((1, "shop"), (2, "call"))), encoding="utf-8")
    load(store, root / "events.csv", "events")
    store.close()
    (root / "texts.csv").write_text("text\nThe bill was wrong\n", encoding="utf-8")
    return root


def _base_args(name: str, root: Path, tmp: Path) -> list[str]:
    """A valid invocation of the command, so only the option under test is wrong."""
    args = name.split()
    if name == "load":
        args += [str(root / "customers.csv"), "--kind", "customers"]
    elif name == "text score":
        args += [str(root / "texts.csv")]
    elif name == "init":
        args += [str(tmp / "new_workspace")]
    elif name in ("journey map", "journey sankey"):
        args += ["--out", str(tmp / "picture.svg")]
    elif name == "value dataset":
        args += ["--out", str(tmp / "answers.parquet")]
    elif name == "export-customer":
        args += ["C1", "--out", str(tmp / "c1.json")]
    elif name == "customer":
        args += ["C1"]
    elif name == "forget":
        args += ["C404", "--yes"]  # no such customer: nothing to erase if an option were wrongly accepted
    if any(o.opts[0] == "--workspace" for o in _valued_options(dict(COMMANDS)[name])):
        args += ["--workspace", str(root)]
    return args


def _value_type(option) -> type:
    """int for `int | None`, str for `list[str] | None`: the type one value of the option has."""
    annotation = option.type_descriptor.annotation
    while typing.get_args(annotation):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def _bad_value(option, root: Path) -> str:
    if _value_type(option) in (int, float):
        return "not-a-number"
    if issubclass(_value_type(option), Path):
        return str(root / "customers.csv" / "inside-a-file")  # a path that cannot exist
    return BAD_TEXT


def test_the_app_has_commands_and_options_to_check():
    names = {name for name, _ in COMMANDS}
    assert {"init", "migrate", "load", "nps", "report", "text analyze"} <= names
    assert ("nps", "--ci") in CASES and ("nps", "--filter") in CASES


@pytest.mark.parametrize("command, flag", PARAMS)
def test_a_bad_option_value_is_one_line_naming_the_option(workspace, tmp_path, command, flag):
    if (command, flag) in ANY_VALUE:
        pytest.skip(ANY_VALUE[(command, flag)])
    option = next(o for o in _valued_options(dict(COMMANDS)[command]) if o.opts[0] == flag)
    value = _bad_value(option, workspace)
    args = _base_args(command, workspace, tmp_path)
    if option.multiple or "--workspace" == flag:  # replace, not repeat, the valid workspace
        args = [a for i, a in enumerate(args) if not (flag == "--workspace" and (a == "--workspace" or args[i - 1] == "--workspace"))]
    result = CliRunner().invoke(app, [*args, flag, value], env={"COLUMNS": "200", "NO_COLOR": "1"})
    output = result.output  # stdout and stderr, interleaved
    assert result.exit_code != 0, f"{command} {flag} {value!r} was accepted:\n{output}"
    assert "Traceback" not in output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:  # Click/Typer refused the value itself: usage plus the option's name
        assert flag in output or any(o in output for o in option.opts), output
        return
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert flag in errors[0] or value in errors[0], f"the error does not name {flag} or {value!r}: {errors[0]}"


def test_nps_with_a_bad_interval_method_is_one_line_in_a_real_process(workspace):
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "cxlens", "nps", "--ci", "foo", "-w", str(workspace)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("error: --ci"), proc.stderr
