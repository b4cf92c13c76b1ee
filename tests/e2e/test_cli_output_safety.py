"""Customers' data reaches the terminal and CSV files as data: never as Rich markup, emoji or spreadsheet formulas.

A small workspace is loaded with hostile values: segments `[/red]` and `:x:`, two long segment names that share
their first letters, and survey scores that look like formulas (refused by the load, so `cxlens quarantine`
prints them back verbatim: the CLI's way to show free text from a file).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.cli._app import render
from cxlens.ingest import load
from cxlens.workspace import init
from conftest import TINY_CUSTOMERS, allow_small_groups, build_tiny_store

LONG_A, LONG_B = "business_enterprise_accounts", "business_smallshop_accounts"
# Cells a spreadsheet would run as formulas (OWASP "CSV injection"): each must come back with a leading quote.
FORMULAS = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("output_safety")
    init(root)
    allow_small_groups(root)  # 1-2 customers a segment: the layout is tested here, suppression in test_cli_small_groups
    store = build_tiny_store(f"duckdb:///{root / 'cx.duckdb'}", root)
    customers = (TINY_CUSTOMERS.replace("C1,2024-01-01,family", "C1,2024-01-01,[/red]")
                 .replace("C2,2024-02-01,value", "C2,2024-02-01,:x:")
                 .replace("C3,2024-02-03,value", f"C3,2024-02-03,{LONG_A}")
                 .replace("C4,2024-02-03,family", f"C4,2024-02-03,{LONG_B}"))
    (root / "hostile_customers.csv").write_text(customers, encoding="utf-8")
    load(store, root / "hostile_customers.csv", "customers")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["response_id", "customer_id", "ts", "touchpoint_id", "metric", "score", "language"])
    for i, formula in enumerate(FORMULAS):
        writer.writerow([f"X{i}", "C1", "2024-03-20 09:00:00", "shop", "csat", formula, "en"])
    (root / "hostile_responses.csv").write_text(buf.getvalue(), encoding="utf-8")
    load(store, root / "hostile_responses.csv", "responses")
    store.close()
    return root


def _run(args: list[str], columns: int = 200, **env: str):
    result = CliRunner().invoke(app, args, env={"COLUMNS": str(columns), "NO_COLOR": "1", "CXLENS_CSV_RAW": None, **env})
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_segments_with_markup_and_emoji_codes_print_literally(workspace):
    result = _run(["csat", "--by", "segment", "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "[/red]" in result.output
    assert ":x:" in result.output and "❌" not in result.output


def test_a_title_built_from_options_prints_literally(workspace):
    result = _run(["nps", "--by", "segment", "--filter", "segment=[/red]", "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "[/red]" in result.output


def test_an_error_message_with_markup_prints_literally(workspace, tmp_path):
    texts = tmp_path / "texts.csv"
    texts.write_text("[/bold],x\nhello,1\n", encoding="utf-8")
    result = _run(["text", "score", str(texts), "--text-column", "[/bold]:x:"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "[/bold]:x:" in errors[0], result.output


def test_long_segment_names_stay_whole_and_distinct_at_80_columns(workspace):
    result = _run(["csat", "--by", "segment", "-w", str(workspace)], columns=80)
    assert result.exit_code == 0, result.output
    assert LONG_A in result.output and LONG_B in result.output, result.output


def _quarantined_values(workspace: Path, fmt: str, **env: str) -> list[str]:
    result = _run(["quarantine", "--kind", "responses", "--limit", "0", "--format", fmt, "-w", str(workspace)], **env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout) if fmt == "json" else _csv(result.stdout)
    assert sorted(int(r["row_number"]) for r in rows) == list(range(1, len(FORMULAS) + 1))  # numbers untouched
    return sorted(r["value"] for r in rows)


def test_json_keeps_free_text_as_it_is(workspace):
    stored = _quarantined_values(workspace, "json")
    assert len(stored) == len(FORMULAS) and all(v[0] in "=+-@\t" for v in stored), stored


def test_free_text_in_csv_is_neutralised_and_reads_back_quoted(workspace):
    assert _quarantined_values(workspace, "csv") == sorted("'" + v for v in _quarantined_values(workspace, "json"))


def test_raw_csv_switch_turns_neutralising_off(workspace):
    assert _quarantined_values(workspace, "csv", CXLENS_CSV_RAW="1") == _quarantined_values(workspace, "json")


def test_every_formula_lead_is_neutralised_and_numbers_are_not(capsys, monkeypatch):
    monkeypatch.delenv("CXLENS_CSV_RAW", raising=False)
    texts = ["=1+1", "+1+1", "-1+1", "@SUM(1)", "\t=1", "\r=1", "plain", "-12.5", "", None]
    render([{"text": t, "number": -12.5, "count": -3} for t in texts], "csv")
    rows = _csv(capsys.readouterr().out)
    assert [r["text"] for r in rows] == ["'=1+1", "'+1+1", "'-1+1", "'@SUM(1)", "'\t=1", "'\r=1", "plain", "-12.5", "", ""]
    assert {(r["number"], r["count"]) for r in rows} == {("-12.5", "-3")}


def test_numbers_in_csv_are_untouched_including_negatives(workspace):
    result = _run(["nps", "--period", "month", "--format", "csv", "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    rows = _csv(result.stdout)
    assert any(r["nps"].startswith("-") for r in rows), rows  # February's NPS is -50
    assert not any(v.startswith("'") for r in rows for v in r.values() if v), rows


def test_segments_that_are_not_formulas_are_left_alone_in_csv(workspace):
    result = _run(["csat", "--by", "segment", "--format", "csv", "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    assert {"[/red]", ":x:", LONG_A} <= {r["segment"] for r in _csv(result.stdout)}


def test_low_n_footnote_only_when_a_cell_is_flagged(workspace):
    flagged = _run(["csat", "--by", "segment", "-w", str(workspace)])  # default min_n: every tiny cell is low
    assert flagged.exit_code == 0 and "⚠ low n" in flagged.output
    clear = _run(["csat", "--by", "segment", "--min-n", "1", "-w", str(workspace)])
    assert clear.exit_code == 0, clear.output
    assert "low n" not in clear.output, clear.output


def test_outcomes_keep_their_units_note_without_the_low_n_footnote(workspace):
    result = _run(["outcomes", "--min-n", "1", "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "low n" not in result.output and "Rates in %" in result.output, result.output
