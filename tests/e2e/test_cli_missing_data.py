"""A store that does not have everything yet: the report builds what the data supports and lists the rest with
reasons; every analysis command on an empty workspace says in one line what is missing and how to add it.

Commands are read from the Typer app itself (as test_cli_bad_options.py does), so a new command is covered the
day it is added: it must either run on an empty workspace or stop with `nothing to show:` and exit status NO_DATA.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.cli._lazy import all_commands
from cxlens.cli._app import NO_DATA
from cxlens.workspace import Workspace
from conftest import PLAIN_JOURNEY, TINY_CUSTOMERS

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}

# Commands that are not analyses of a workspace's store, with why they are left out here.
NOT_ANALYSES = {
    "init": "creates a workspace (needs a folder, not a store)",
    "load": "needs a file to load",
    "demo": "generates its own data",
    "text score": "scores a file, not the store",
    "text train": "trains models from corpora, not the store",
    "forget": "erases the customers it is given (tests/e2e/test_privacy_cli.py)",
    "export-customer": "writes one customer's rows to a file (tests/e2e/test_privacy_cli.py)",
    "retention apply": "deletes rows by age (tests/e2e/test_privacy_cli.py)",
}
# Commands that run on an empty store (exit 0) and what they print then.
RUN_ON_EMPTY = {"migrate": "nothing to do", "quarantine": "Nothing in quarantine", "text themes": "billing",
                "report": "Left out (13 sections", "journey refresh": "Numbered 0 events", "text models": "sentiment models",
                "rollup rebuild": "into 0 rows of response_rollup", "rollup status": "response_rollup",
                "value refresh": "Stored 0 customer-months, 0 answers and 0 customers"}


def _commands(group, prefix: str = "") -> list[str]:
    out = []
    for name, command in sorted(all_commands(group).items()):  # loads every lazy command
        out += _commands(command, f"{prefix}{name} ") if hasattr(command, "commands") else [f"{prefix}{name}"]
    return out


COMMANDS = _commands(typer.main.get_command(app))
ANALYSES = [c for c in COMMANDS if c not in NOT_ANALYSES]


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.fixture(scope="module")
def csat_only(tmp_path_factory) -> Path:
    """A workspace whose store holds customers and CSAT answers only: no NPS, no comments, no tickets, no events."""
    root = tmp_path_factory.mktemp("csat_only")
    Workspace.create(root)
    (root / "journey.yaml").write_text(textwrap.dedent(PLAIN_JOURNEY).lstrip(), encoding="utf-8")
    (root / "customers.csv").write_text(TINY_CUSTOMERS, encoding="utf-8")
    rows = [f"r{i},C{i % 8 + 1},2024-{3 + i % 2:02d}-{1 + i:02d} 09:00:00,{'shop' if i % 2 else 'call'},csat,{1 + i % 5},en"
            for i in range(20)]
    (root / "responses.csv").write_text("response_id,customer_id,ts,touchpoint_id,metric,score,language\n"
                                        + "\n".join(rows) + "\n", encoding="utf-8")
    ws = Workspace.open(root)
    ws.load(root / "customers.csv", "customers")
    ws.load(root / "responses.csv", "responses")
    return root


def test_report_of_a_csat_only_store_has_what_the_data_supports_and_lists_the_rest(csat_only):
    out = csat_only / "report.html"
    result = _invoke("report", "-w", str(csat_only), "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    for built in ('id="overview"', 'id="csat-touchpoint"', 'id="scorecard"', 'id="quarantine"'):
        assert built in html
    assert 'id="nps-segment"' not in html and 'id="outcomes"' not in html
    assert 'id="missing"' in html and "Not in this report" in html
    for reason in ("no NPS answers in the store", "cxlens load FILE --kind tickets"):
        assert reason in html, reason
        assert reason in result.stdout, result.stdout  # the terminal says it too
    assert "NPS by segment" in result.stdout and "Outcomes" in result.stdout


def test_commands_of_a_csat_only_store_name_what_is_missing(csat_only):
    assert _invoke("csat", "-w", str(csat_only)).exit_code == 0
    result = _invoke("nps", "-w", str(csat_only))
    assert result.exit_code == NO_DATA
    assert result.stderr.strip() == ("nothing to show: no NPS answers in the store: load answers with metric nps "
                                     "using `cxlens load FILE --kind responses`")
    assert result.stdout == ""
    tickets = _invoke("outcomes", "-w", str(csat_only))
    assert tickets.exit_code == NO_DATA and "`cxlens load FILE --kind tickets`" in tickets.stderr


def test_the_no_data_exit_status_is_documented_in_the_help():
    assert f"{NO_DATA} nothing to show" in " ".join(_invoke("--help").stdout.split())


def test_the_analysis_commands_are_enumerated():
    assert {"nps", "csat", "ces", "outcomes", "gaps", "scorecard", "report", "text impact", "text analyze"} <= set(ANALYSES)
    assert set(NOT_ANALYSES) <= set(COMMANDS), "a command listed as not an analysis no longer exists"


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("empty")
    Workspace.create(root)
    return root


@pytest.mark.parametrize("command", ANALYSES)
def test_every_analysis_on_an_empty_workspace_is_one_line_naming_what_to_do(empty, tmp_path, command):
    extra = {"report": ["-o", str(tmp_path / "report.html")], "journey sankey": ["--out", str(tmp_path / "s.html")],
             "journey map": ["--out", str(tmp_path / "map.svg")], "journey funnel": ["--steps", "shop,call"],
             "value dataset": ["--out", str(tmp_path / "answers.parquet")], "customer": ["C1"]}.get(command, [])
    result = _invoke(*command.split(), "-w", str(empty), *extra)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if command in RUN_ON_EMPTY:
        assert result.exit_code == 0, result.output
        assert RUN_ON_EMPTY[command] in result.output
        return
    assert result.exit_code == NO_DATA, result.output
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("nothing to show: "), line
    assert "`cxlens " in line, f"the line names no command that adds the data: {line}"


def test_a_bad_option_still_wins_over_missing_data(empty):
    result = _invoke("nps", "--period", "fortnight", "-w", str(empty))
    assert result.exit_code == 1 and "--period" in result.stderr
