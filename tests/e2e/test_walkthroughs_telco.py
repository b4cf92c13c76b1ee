"""The telco and attribution walkthroughs of docs/examples/ run as written, and show what they say.

Each test runs every ```sh block of a README on the public data set (skipped where it is absent),
then checks the figures the README states twice: against the commands' output, and against the
CSV read straight with DuckDB (no cxlens involved).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from walkthrough import EXAMPLES, run_walkthrough



def _stated_output(name: str) -> list[str]:
    """The lines of the README's ```text blocks (what the commands show), whitespace collapsed."""
    text = (EXAMPLES / name / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```text\n(.*?)^```", text, re.S | re.M)
    return [" ".join(line.split()) for block in blocks for line in block.splitlines() if line.strip()]


def _assert_stated_lines_printed(name: str, output: str) -> None:
    printed = {" ".join(line.split()) for line in output.splitlines()}
    missing = [line for line in _stated_output(name) if line not in printed]
    assert not missing, f"docs/examples/{name}/README.md states lines the commands did not print: {missing}\n---\n{output}"


def _churn_lines(output: str) -> dict[str, tuple[int, int, float]]:
    """'  Month-to-month 3875 customers 1655 churned 42.7% monthly revenue 257,294.15' -> {label: (n, churned, revenue)}."""
    pattern = re.compile(r"^\s+(.+?)\s+(\d+) customers\s+(\d+) churned\s+[\d.]+%\s+monthly revenue\s+([\d,.]+)$", re.M)
    return {m[1]: (int(m[2]), int(m[3]), float(m[4].replace(",", ""))) for m in pattern.finditer(output)}


def test_telco_churn_walkthrough_shows_churn_by_contract_and_plan(shared_data, tmp_path: Path) -> None:
    csv = shared_data("telco_churn/Telco-Customer-Churn_IBM.csv")
    done = run_walkthrough("telco_churn", csv.parents[1], tmp_path)

    load_customers, load_outcomes = done.outputs[0].split("Loaded")[1:3]
    for report in (load_customers, load_outcomes):
        assert "7043 rows read = 7043 inserted" in report and "+ 0 quarantined" in report, report
    assert "Nothing in quarantine." in done.outputs[0]

    shown = _churn_lines(done.outputs[1])
    expected = {}
    for column in ("Contract", "InternetService"):
        rows = duckdb.sql(f"""SELECT "{column}", count(*), count(*) FILTER (WHERE Churn = 'Yes'),
                                     round(sum(MonthlyCharges), 2)
                              FROM read_csv('{csv}', all_varchar=false) GROUP BY 1""").fetchall()
        expected.update({label: (n, churned, revenue) for label, n, churned, revenue in rows})
    assert shown == expected
    assert sum(n for n, _, _ in expected.values()) == 2 * 7043 and sum(c for _, c, _ in expected.values()) == 2 * 1869
    _assert_stated_lines_printed("telco_churn", done.outputs[1])


def test_attribution_walkthrough_shows_reach_and_conversion_per_channel(shared_data, tmp_path: Path) -> None:
    csv = shared_data("journey_attribution_touchpoints/attribution_data.csv")
    done = run_walkthrough("journey_attribution_touchpoints", csv.parents[1], tmp_path)
    _assert_stated_lines_printed("journey_attribution_touchpoints", done.text)

    log = f"read_csv('{csv}')"
    rows, customers, conversions, converters = duckdb.sql(
        f"""SELECT count(*), count(DISTINCT customer_id), count(*) FILTER (WHERE interaction = 'conversion'),
                   count(DISTINCT customer_id) FILTER (WHERE interaction = 'conversion') FROM {log}""").fetchall()[0]
    load = done.outputs[0]
    assert f"{rows} rows read = {customers} inserted + 0 updated + 0 unchanged + 0 quarantined + {rows - customers} skipped" in load
    assert f"{rows - conversions} rows read = {rows - conversions} inserted + 0 updated + 0 unchanged + 0 quarantined" in load
    assert f"{conversions} rows read = {conversions} inserted + 0 updated + 0 unchanged + 0 quarantined" in load
    assert "Nothing in quarantine." in load
    assert f"{customers} customers, {conversions} conversions by {converters} customers" in done.outputs[1]

    expected = duckdb.sql(f"""
        WITH converters AS (SELECT DISTINCT customer_id FROM {log} WHERE interaction = 'conversion')
        SELECT lower(replace(channel, ' ', '_')), count(*), count(DISTINCT customer_id),
               count(DISTINCT customer_id) FILTER (WHERE customer_id IN (SELECT customer_id FROM converters))
        FROM {log} WHERE interaction = 'impression' GROUP BY 1 ORDER BY 1""").fetchall()
    shown = re.findall(r"^\s+(\w+)\s+(\d+) touches\s+(\d+) customers reached\s+(\d+) converted", done.outputs[1], re.M)
    assert [(tp, int(t), int(r), int(c)) for tp, t, r, c in shown] == expected

    # Paths and funnels, against the log read directly: who converted before any impression, who never
    # converted, and who converted after an impression.
    before, never, after, impressed = duckdb.sql(f"""
        WITH f AS (SELECT customer_id, min(time::TIMESTAMP) FILTER (WHERE interaction = 'impression') AS fi,
                          min(time::TIMESTAMP) FILTER (WHERE interaction = 'conversion') AS fc,
                          max(time::TIMESTAMP) FILTER (WHERE interaction = 'conversion') AS lc FROM {log} GROUP BY 1)
        SELECT count(*) FILTER (WHERE fc IS NOT NULL AND (fi IS NULL OR fc < fi)), count(*) FILTER (WHERE fc IS NULL),
               count(*) FILTER (WHERE lc > fi), count(*) FILTER (WHERE fi IS NOT NULL) FROM f""").fetchall()[0]
    paths = " ".join(done.outputs[2].split())
    assert f"│ 1 │ conversion │ {before} │" in paths and f"(no path to conversion) │ {never} │" in paths
    assert f"│ 1 │ awareness │ {impressed} │" in paths
    assert f"│ 2 │ purchase │ {after} │" in paths


def test_telco_five_tables_walkthrough_builds_one_customer_view_and_links_satisfaction_to_churn(shared_data, tmp_path: Path) -> None:
    folder = shared_data("telco_churn_ibm_v11_1_3")
    done = run_walkthrough("telco_churn_ibm_v11_1_3", folder.parent, tmp_path)
    _assert_stated_lines_printed("telco_churn_ibm_v11_1_3", done.text)
    table = {name: f"read_csv('{folder}/Telco_customer_churn_{name}.csv')" for name in ("demographics", "services", "location", "status")}

    # After demographics, services and location were loaded into customers, each customer has all three.
    con = duckdb.connect()
    con.execute(f"ATTACH '{done.folder / 'ws' / 'cx.duckdb'}' AS store (READ_ONLY)")
    mismatched = con.execute(f"""
        SELECT count(*) FROM store.customers c
        JOIN {table['demographics']} d ON d."Customer ID" = c.customer_id
        JOIN {table['services']} s ON s."Customer ID" = c.customer_id
        JOIN {table['location']} l ON l."Customer ID" = c.customer_id
        WHERE c.segment IS DISTINCT FROM s."Contract" OR c.plan IS DISTINCT FROM s."Internet Type"
           OR c.region IS DISTINCT FROM l."City"
           OR json_extract_string(c.attributes, '$."Gender"') IS DISTINCT FROM d."Gender"
           OR json_extract_string(c.attributes, '$."Age"') IS DISTINCT FROM d."Age"::VARCHAR
           OR json_extract_string(c.attributes, '$."Tenure in Months"') IS DISTINCT FROM s."Tenure in Months"::VARCHAR
           OR json_extract_string(c.attributes, '$."Zip Code"') IS DISTINCT FROM l."Zip Code"::VARCHAR""").fetchall()[0][0]
    stored = con.execute("SELECT count(*) FROM store.customers").fetchall()[0][0]
    assert (stored, mismatched) == (7043, 0), "the three customer loads did not leave demographics, services and location all present"

    # CSAT by contract and internet type, from the two CSVs joined by hand.
    expected = con.execute(f"""
        SELECT by_value, count(*), round(avg(score), 2), round(100 * avg((score >= 4)::INT), 2) FROM (
            SELECT unnest([s."Contract", s."Internet Type"]) AS by_value, st."Satisfaction Score" AS score
            FROM {table['status']} st JOIN {table['services']} s USING ("Customer ID"))
        GROUP BY 1 ORDER BY 1""").fetchall()
    shown = re.findall(r"^│ ([\w -]+?)\s+│\s+(\d+) │ ([\d.]+) │.*?│\s+([\d.]+) │\s+[\d.]+ │\s+[\d.]+ │\s+│$", done.text, re.M)
    assert sorted((label, int(n), float(csat), float(top2)) for label, n, csat, top2 in shown) == expected

    # Churn by satisfaction score, from the status CSV alone.
    churn = con.execute(f"""SELECT "Satisfaction Score", count(*), sum("Churn Value") FROM {table['status']}
                            GROUP BY 1 ORDER BY 1""").fetchall()
    shown = re.findall(r"^\s+CSAT (\d) +(\d+) customers +(\d+) churned", done.text, re.M)
    assert [tuple(map(int, row)) for row in shown] == [(int(s), n, int(c)) for s, n, c in churn]
