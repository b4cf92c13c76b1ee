"""`cxlens identities` end to end: load customers and a survey without customer ids through the CLI, then read what
identity resolution did, in every format, against a truth file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from identity_fixtures import identity_workspace, planted, precision_recall
from test_cli_end_to_end import cxlens


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, dict]:
    customers, records, truth = planted(n_customers=150, n_records=90, seed=5)
    root = identity_workspace(tmp_path_factory.mktemp("identities") / "ws", customers, records)
    first = cxlens("load", str(root / "customers.csv"), "--kind", "customers", "-w", str(root))
    assert first.returncode == 0 and "Identity index: 600 keys of 150 customers" in first.stdout, first.stdout + first.stderr
    second = cxlens("load", str(root / "survey.csv"), "--kind", "responses", "--mapping", str(root / "survey.yaml"),
                    "-w", str(root))
    assert second.returncode == 0 and "Identity resolution: 90 records:" in second.stdout, second.stdout + second.stderr
    (root / "truth.csv").write_text("record,customer_id\n" + "".join(f"{k},{v or ''}\n" for k, v in truth.items()),
                                    encoding="utf-8")
    return root, truth


def test_identities_reports_counts_and_precision_recall_against_the_truth(loaded):
    root, truth = loaded
    proc = cxlens("identities", "--truth", str(root / "truth.csv"), "--format", "json", "-w", str(root))
    assert proc.returncode == 0, proc.stderr
    source = json.loads(proc.stdout)[0]
    assert source["source"] == "survey.csv" and source["records"] == 90
    assert source["linked"] + source["review"] + source["unmatched"] == 90
    # the same figures as a brute-force count over the stored decisions and the truth
    listed = cxlens("identities", "review", "--format", "csv", "-w", str(root))
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert len(rows) == source["review"]
    assert source["precision"] >= 0.99 and source["recall"] >= 0.8
    assert source["correct"] == round(source["recall"] * source["true_customers"])


def test_identities_table_and_errors(loaded):
    root, _ = loaded
    table = cxlens("identities", "-w", str(root))
    assert table.returncode == 0 and "Identity resolution per source" in table.stdout and "survey.csv" in table.stdout
    wrong = cxlens("identities", "summray", "-w", str(root))
    assert wrong.returncode != 0 and "summary" in wrong.stderr + wrong.stdout
    missing = cxlens("identities", "--truth", str(root / "nope.json"), "-w", str(root))
    assert missing.returncode != 0 and "nope.json: truth file not found" in missing.stderr + missing.stdout


def test_quarantine_shows_why_a_row_was_not_linked(loaded):
    root, _ = loaded
    proc = cxlens("quarantine", "--kind", "responses", "--format", "json", "-w", str(root))
    rows = json.loads(proc.stdout)
    assert rows and all("no customer matched" in r["reason"] or "listed for review" in r["reason"] for r in rows)
