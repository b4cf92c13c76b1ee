"""Small groups in every command that publishes figures about groups of customers (docs/privacy.md, "Small groups").

One workspace plants a group of 3 customers everywhere a command could show it: the `vip` segment (3 customers
beside segments of 12, 20 and 30) are the only ones to pass the touchpoint `rare` (events, CSAT/CES/expectation
answers, tickets), to mention network coverage in their NPS comments and to churn. Each command must leave the
planted group's figures out of its table, JSON and CSV (with the note), and suppress a complement where a total
is published. A test also reads the Typer app, so a new command has to say whether it publishes group figures.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from cxlens.cli import app
from cxlens.cli._lazy import all_commands

CLI = [sys.executable, "-m", "cxlens"]
NOTE = "fewer than 5 customers"
SEGMENTS = {"vip": 3, "family": 20, "value": 30, "business": 12}
JOURNEY = """stages: [purchase, support, advocacy]
touchpoints:
  - {id: shop, name: Shop, stage: purchase, owner: Retail, targets: {csat: 3.0}, self_rating: {csat: 4.0}}
  - {id: call, name: Support call, stage: support, owner: Care, targets: {csat: 3.0}, self_rating: {csat: 4.0}}
  - {id: rare, name: Gold lounge, stage: support, owner: Care, targets: {csat: 4.5}, self_rating: {csat: 4.9}}
  - {id: relationship, name: Relationship, stage: advocacy}
"""

# Every command of the app and whether it publishes figures about groups of customers: "covered" (routed through
# cxlens.cli.publish / cxlens.privacy.suppress, checked below) or the reason it publishes none.
DECISIONS = {
    "nps": "covered", "csat": "covered", "ces": "covered", "outcomes": "covered", "gaps": "covered",
    "scorecard": "covered", "report": "covered",
    "journey paths": "covered", "journey funnel": "covered", "journey sankey": "covered",
    "journey breakpoints": "covered", "journey moments": "covered", "journey churn-paths": "covered",
    "text impact": "covered",
    "value groups": "covered",  # tests/e2e/test_cli_value_dataset.py
    "value dataset": "exports the customer-level answers file for the analyst's own models, like export-customer "
                     "for one: row-level data that stays with the workspace's owner, no group figures",
    "value drivers": "covered", "value survival": "covered",
    "value scenario": "covered", "value trend": "covered",  # tests/e2e/test_cli_value_scenario.py
    "value risk": "covered",  # reliability deciles (tests/e2e/test_cli_value_risk.py); scores: each customer's own risk
    "personas show": "covered", "personas cards": "covered",  # under min_group not shown (tests/e2e/test_cli_personas.py)
    "personas fit": "fits and stores personas: prints BIC per k and stability (ARI) of the whole base, no group figures",
    "value roadmap": "values the user's initiatives from model slopes and the value of an NPS point: no group figures",
    "init": "creates a workspace: no figures",
    "migrate": "upgrades the store's schema: no figures",
    "load": "counts rows read/inserted/quarantined of one file: a data-handling receipt for the operator, not customers",
    "identities": "counts the records of each source by how identity resolution decided, and lists the records to "
                  "review: a data-handling receipt and work list for the operator (as load, quarantine), no group figures",
    "quarantine": "lists rejected source rows to fix them: an operator's work list (identifiers redacted by ingest)",
    "demo": "generates a fictional company: no real customers",
    "customer": "one customer's own record (view, answers, tickets, journey, comments), not a group figure",
    "customers": "the per-customer view, like value dataset: customer-level rows for the analyst, no group figures",
    "export-customer": "one customer's own data, for that customer (an access request), not a group figure",
    "forget": "erases one customer: prints what was deleted, no group figures",
    "retention apply": "deletes rows past retention: prints rows deleted per table, no group figures",
    "journey map": "draws the journey map as designed (touchpoints, stages, owners): no customer figures",
    "journey refresh": "rebuilds the stored journey steps table: prints rows written, no group figures",
    "rollup rebuild": "rebuilds the stored rollup of the answers: prints rows written, no group figures",
    "value refresh": "rebuilds value linkage's stored frames: prints rows written, no group figures",
    "rollup status": "what the stored rollup holds (rows, days, answers in all, size, current or why not): store-wide "
                     "counts, no group figures",
    "text analyze": "analyses comments into the store: prints texts analysed per source, no group figures",
    "text score": "scores the texts of a file the user gives: per-text results of the user's own file",
    "text themes": "lists theme definitions and keyword matches of the user's texts, no customer groups",
    "text train": "trains a sentiment model from a labelled corpus: no customer figures",
    "text models": "lists the sentiment model per language with its recorded accuracy: no customer figures",
    "text calibrate": "fits sentiment heads on the user's comments and prints their accuracy per language (fitted only "
                      "with >= 30 labelled answers of each class): model quality, no customer-group figures",
}


def _commands(group, prefix: str = "") -> list[str]:
    out = []
    for name, command in sorted(all_commands(group).items()):  # loads every lazy command
        out += _commands(command, f"{prefix}{name} ") if hasattr(command, "commands") else [f"{prefix}{name}"]
    return out


def test_every_command_decides_whether_it_publishes_group_figures():
    commands = set(_commands(typer.main.get_command(app)))
    assert commands - set(DECISIONS) == set(), "say in DECISIONS whether the new command publishes group figures"
    assert set(DECISIONS) - commands == set(), "a command in DECISIONS no longer exists"


def cxlens(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env)


def _csv_lines(rows: list[str], header: str) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small-groups-commands")
    assert cxlens("init", str(root)).returncode == 0
    (root / "journey.yaml").write_text(JOURNEY)
    customers, answers, tickets, events, outcomes = [], [], [], [], []
    k = 0
    for segment, count in SEGMENTS.items():
        vip = segment == "vip"
        for i in range(count):
            cid = f"{segment}{i}"
            customers.append(f"{cid},2024-01-01,{segment},{'north' if i % 2 else 'south'}")
            middle = "rare" if vip else "call"
            for day, tp in ((1, "shop"), (5, middle), (20, "relationship")):
                events.append(f"{cid},2024-02-{day:02d} 10:00:00,{tp}")
            for j in range(6 if vip else 2):
                score = 0 if vip else (10, 9, 7, 5)[(i + j) % 4]
                comment = "no signal at home" if vip else ("my bill was wrong" if (i + j) % 3 == 0 else "fine")
                answers.append(f"R{k},{cid},2024-02-{21 + j:02d} 10:00:00,relationship,nps,{score},{comment}")
                k += 1
            for metric, low, high in (("csat", 1, 5), ("ces", 1, 7), ("expectation", 1, 5)):
                for j in range(2):
                    score = low if vip else (high - (i + j) % 3) if metric != "expectation" else 4
                    answers.append(f"R{k},{cid},2024-02-{6 + j:02d} 10:00:00,{'shop' if j else middle},{metric},{score},")
                    k += 1
            for j in range(2 if vip else 1):
                tickets.append(f"T{cid}{j},{cid},{middle},billing,phone,2024-02-0{5 + j} 09:00:00,"
                               f"2024-02-0{5 + j} 10:00:00,2024-02-0{6 + j} 09:00:00,false,1")
            churn = vip or (segment == "value" and i < 6)
            for m in range(1, 7):
                outcomes.append(f"{cid},2024-{m:02d},{'false' if churn and m >= 4 else 'true'},30.0")
    files = {
        "customers": _csv_lines(customers, "customer_id,signup_date,segment,region"),
        "responses": _csv_lines(answers, "response_id,customer_id,ts,touchpoint_id,metric,score,comment"),
        "tickets": _csv_lines(tickets, "ticket_id,customer_id,touchpoint_id,category,channel,opened_at,"
                                       "first_response_at,resolved_at,reopened,contacts"),
        "events": _csv_lines(events, "customer_id,ts,touchpoint_id"),
        "outcomes": _csv_lines(outcomes, "customer_id,month,active,revenue"),
    }
    for kind, text in files.items():
        path = root / f"{kind}.csv"
        path.write_text(text)
        proc = cxlens("load", str(path), "--kind", kind, "--workspace", str(root))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def run_json(workspace: Path, *args: str) -> list[dict]:
    proc = cxlens(*args, "--format", "json", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def run_csv(workspace: Path, *args: str) -> list[dict]:
    proc = cxlens(*args, "--format", "csv", "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return list(csv.DictReader(io.StringIO(proc.stdout)))


def run_table(workspace: Path, *args: str) -> str:
    proc = cxlens(*args, "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return " ".join(proc.stdout.split())


def row(rows: list[dict], **keys) -> dict:
    return next(r for r in rows if all(r[k] == v for k, v in keys.items()))


def empty(record: dict, keep: tuple[str, ...]) -> bool:
    return all(v in (None, "") for k, v in record.items() if k not in keep)


def test_outcomes_by_touchpoint_hides_the_three_customer_touchpoint_and_its_complement(workspace):
    rows = run_json(workspace, "outcomes", "--by", "touchpoint")
    assert empty(row(rows, touchpoint="rare"), ("touchpoint",))  # 6 tickets of 3 customers
    total = run_json(workspace, "outcomes", "--by", "")[0]["tickets"]
    assert total == 68  # all tickets published without --by ...
    assert row(rows, touchpoint="call")["tickets"] is None  # ... so call (62) goes too: 68 - 62 would give rare's 6
    table = run_csv(workspace, "outcomes", "--by", "segment")
    assert empty(row(table, segment="vip"), ("segment",)) and row(table, segment="value")["tickets"] == "30"
    assert NOTE in run_table(workspace, "outcomes", "--by", "segment")


def test_gaps_hide_the_small_touchpoint_in_every_kind(workspace):
    gap = run_json(workspace, "gaps", "--kind", "expectation")
    assert empty(row(gap, touchpoint="rare"), ("touchpoint",))
    assert row(gap, touchpoint="shop")["gap"] is not None  # 65 customers answered at shop
    delivery = run_csv(workspace, "gaps", "--kind", "delivery")
    rare = row(delivery, touchpoint="rare")
    assert rare["self_rating"] == "4.9" and rare["observed"] == rare["n"] == ""  # the owner's figure stays
    assert NOTE in run_table(workspace, "gaps", "--kind", "delivery")


def test_scorecard_hides_each_family_of_the_small_touchpoint_and_recomputes_its_status(workspace):
    rows = run_json(workspace, "scorecard")
    rare = row(rows, touchpoint="rare")
    assert rare["csat"] is None and rare["n_csat"] is None and rare["tickets"] is None and rare["expectation_gap"] is None
    assert rare["status"] == "no target" and "csat" not in rare["status_detail"]  # no status from a hidden CSAT
    assert all(v is None for v in rare["csat_trend"])
    assert row(rows, touchpoint="shop")["csat"] is not None
    assert NOTE in run_table(workspace, "scorecard")


def test_journey_paths_hide_the_path_only_three_customers_took(workspace):
    rows = run_json(workspace, "journey", "paths")
    rare = row(rows, path="shop > rare > relationship")
    assert rare["customers"] is None and rare["share"] is None
    assert row(rows, path="shop > call > relationship")["customers"] is None  # the complement: total 65 - 62 = 3
    by = run_csv(workspace, "journey", "paths", "--by", "segment")
    assert row(by, segment="vip", path="shop > rare > relationship")["customers"] == ""
    assert row(by, segment="vip", path="other paths")["customers"] == "0"  # nobody: a zero describes no one
    assert row(by, segment="value", path="shop > call > relationship")["customers"] == "30"
    assert NOTE in run_table(workspace, "journey", "paths")
    # sessions count journeys: the 3 vip customers' visits to rare are one-step journeys of their own
    sessions = run_json(workspace, "journey", "paths", "--session-gap", "2d")
    assert row(sessions, path="rare")["journeys"] is None and row(sessions, path="rare")["customers"] is None
    assert row(sessions, path="shop")["customers"] == 65


def test_journey_funnel_hides_small_steps_and_the_step_rate_that_would_give_them_away(workspace):
    rows = run_json(workspace, "journey", "funnel", "--steps", "shop,rare,relationship")
    assert row(rows, step=1)["customers"] == 65
    assert row(rows, step=2)["customers"] is None and row(rows, step=3)["step_rate"] is None
    by = run_csv(workspace, "journey", "funnel", "--steps", "shop,call", "--by", "segment")
    assert row(by, segment="vip", step="1")["customers"] == "" and row(by, segment="vip", step="2")["customers"] == "0"
    assert all(r["customers"] == "" for r in by if r["segment"] == "business")  # the complement (12 < 20 < 30)
    assert row(by, segment="value", step="2")["customers"] == "30"


def test_journey_breakpoints_hide_the_small_touchpoint(workspace):
    rows = run_json(workspace, "journey", "breakpoints")
    rare = row(rows, touchpoint="rare")
    assert rare["reached"] is None and rare["exit_rate"] is None and rare["csat"] is None and rare["csat_n"] is None
    assert row(rows, touchpoint="shop")["reached"] == 65
    assert NOTE in run_table(workspace, "journey", "breakpoints")


def test_journey_sankey_merges_and_drops_small_nodes(workspace, tmp_path):
    out = tmp_path / "flows.svg"
    proc = cxlens("journey", "sankey", "--out", str(out), "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    svg = out.read_text()
    assert "rare" not in svg  # 3 customers: merged into "other", itself under 5 and left out
    # call's 62 would leave 65 - 62 = 3 for the missing step-2 node: call goes too, and with it every band
    assert "step 2: call" not in svg and "step 3: relationship" in svg and NOTE in " ".join(proc.stdout.split())


def test_journey_moments_publishes_no_estimate_from_three_exposed_customers(workspace):
    rows = run_json(workspace, "journey", "moments")
    rare = row(rows, moment="truth", touchpoint="rare")  # the 3 vip customers had CSAT 1 there
    assert rare["exposed_customers"] is None and rare["hazard_ratio"] is None and rare["note"] is None
    assert "3 exposed" not in json.dumps(rows)


def test_journey_churn_paths_hide_a_path_three_churners_took(workspace):
    rows = run_json(workspace, "journey", "churn-paths", "--min-customers", "1")
    rare = row(rows, path="shop -> rare")
    assert rare["churners"] is None and rare["risk_ratio"] is None
    assert row(rows, path="shop -> call")["churners"] == 6


def test_text_impact_hides_a_theme_only_three_customers_mention(workspace):
    rows = run_json(workspace, "text", "impact")
    theme = row(rows, theme="network_coverage")  # only the 3 vip customers mention it (18 comments)
    assert theme["mentions"] is None and theme["nps_with"] is None
    assert theme["trend"] in ([], None) or all(v is None for v in theme["trend"])  # no monthly share of the 3 either
    by = run_json(workspace, "text", "impact", "--by", "segment")
    assert row(by, segment="vip", theme="network_coverage")["mentions"] is None
    assert row(by, segment="value", theme="billing_errors")["mentions"] == 20


def test_report_holds_none_of_the_small_groups_figures(workspace, tmp_path):
    out = tmp_path / "report.html"
    assert cxlens("text", "impact", "--workspace", str(workspace)).returncode == 0  # analyses the comments (themes)
    proc = cxlens("report", "--output", str(out), "--workspace", str(workspace))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert NOTE in html and "too few to publish" in html  # the journey map's card for rare
    assert "step 2: rare" not in html  # the Sankey
    for section in ("journey-paths", "journey-breakpoints", "journey-moments", "scorecard", "outcomes", "gaps", "themes"):
        part = html[html.index(f'id="{section}"'):]
        part = part[:part.index("</section>")]
        for label in ("rare", "shop &gt; rare &gt; relationship", "network_coverage"):
            if f"<span>{label}</span>" not in part:
                continue
            cells = part[part.index(f"<span>{label}</span>"):]
            cells = cells[:cells.index("</tr>")]
            figures = [c for c in __import__("re").findall(r'<td class="num">([^<]*)</td>', cells) if c not in ("", "0")]
            assert figures in ([], ["4.90"]), (section, label, figures)  # only the owner's self-rating
