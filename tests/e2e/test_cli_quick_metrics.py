"""`cxlens nps|csat|ces` answered from the rollup with DuckDB alone (cxlens.metrics.quick, architecture D61): the
very output the library gives, on random scopes, without importing pandas or Ibis; and every case the quick path
cannot answer exactly (a stale rollup, weighting, comparisons, small cells, a locked store) goes to the library.

The workspace: 2,000 customers and 80,000 answers over 30 days at 4 touchpoints, a tenth of them per aspect, some
customers without a segment or plan (read "(unknown)"): its rollup is over 4x shorter than its answers, so the
planner's size rule lets the rollup answer, as on a real store of millions of answers. A small one (300 customers,
6,000 answers), where the library reads the raw answers: the quick path's rollup must print the same.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.ingest import load
from cxlens.metrics import quick
from cxlens.metrics.plan import RAW, ROLLUP, plan
from cxlens.metrics.plan_rules import ROLLUP_DIMENSIONS
from cxlens.query import Scope
from cxlens.workspace import Workspace

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}
CUSTOMERS, ANSWERS, DAYS, FIRST = 2000, 80_000, 30, date(2024, 3, 17)  # over two months (D64)
JOURNEY = """
stages: [buy, use]
touchpoints:
  - {id: shop, name: Shop, stage: buy, channel: store}
  - {id: web, name: Web shop, stage: buy, channel: online}
  - {id: call, name: Support call, stage: use, channel: call_center}
  - {id: app, name: App, stage: use}
"""
VALUES = {"segment": ["family", "value", ""], "region": ["north", "south"], "language": ["en", "de"],
          "plan": ["basic", ""]}
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
ASPECTS = ["functional", "emotional"]


def _customers(rng: random.Random, customers: int) -> str:
    rows = [f"C{i},2023-01-01," + ",".join(rng.choice(VALUES[a]) for a in ("segment", "region", "language", "plan"))
            for i in range(customers)]
    return "customer_id,signup_date,segment,region,language,plan\n" + "\n".join(rows) + "\n"


def _answers(rng: random.Random, customers: int, answers: int) -> str:
    rows = []
    for i in range(answers):
        metric = rng.choice(list(SCALES))
        low, high = SCALES[metric]
        ts = FIRST + timedelta(days=rng.randrange(DAYS))
        aspect = rng.choice(ASPECTS) if rng.random() < 0.1 else ""
        rows.append(f"r{i},C{rng.randrange(customers)},{ts} 10:00:00,{rng.choice(['shop', 'web', 'call', 'app'])},"
                    f"{metric},{rng.randint(low, high)},{aspect}")
    return "response_id,customer_id,ts,touchpoint_id,metric,score,aspect\n" + "\n".join(rows) + "\n"


def _workspace(root: Path, customers: int, answers: int, seed: int, source: str) -> Path:
    """A workspace of `customers` and `answers`; `source`: what the library's planner reads for NPS by segment there
    (the rollup where it is over 4x shorter than the answers, else the raw answers: the size rule, D48)."""
    Workspace.create(root)
    (root / "journey.yaml").write_text(textwrap.dedent(JOURNEY).lstrip(), encoding="utf-8")
    rng = random.Random(seed)
    (root / "customers.csv").write_text(_customers(rng, customers), encoding="utf-8")
    (root / "responses.csv").write_text(_answers(rng, customers, answers), encoding="utf-8")
    ws = Workspace.open(root)
    ws.load(root / "customers.csv", "customers")
    ws.load(root / "responses.csv", "responses")
    with ws.store() as store:  # the store is what the test is about
        chosen = plan(store, "nps", Scope(by=("segment",)))
        assert chosen.source == source, chosen.reason
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return _workspace(tmp_path_factory.mktemp("quick"), CUSTOMERS, ANSWERS, 23, ROLLUP)


@pytest.fixture(scope="module")
def small_workspace(tmp_path_factory) -> Path:
    """Few answers per rollup row: the library reads the raw answers, the quick path still the rollup (its size rule
    is the library's cost, not the rollup's): the two sources must print the same."""
    return _workspace(tmp_path_factory.mktemp("quick-small"), 300, 6_000, 29, RAW)


def _run(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


def _both(workspace: Path, monkeypatch, args: list[str]) -> tuple[str, str, bool]:
    """(stdout with the quick path allowed, stdout from the library alone, whether the quick path answered)."""
    answered = []
    original = quick.answer

    def spy(*a, **k):
        found = original(*a, **k)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(quick, "answer", spy)
    fast = _run(*args, "-w", str(workspace))
    monkeypatch.setattr(quick, "answer", lambda *a, **k: None)
    slow = _run(*args, "-w", str(workspace))
    monkeypatch.setattr(quick, "answer", original)
    assert fast.exit_code == 0 and slow.exit_code == 0, (fast.output, slow.output)
    return fast.stdout, slow.stdout, answered == [True]


def _random_args(rng: random.Random) -> list[str]:
    args = [rng.choice(list(SCALES)), "--format", rng.choice(["json", "json", "csv", "table"])]
    by = rng.sample(ROLLUP_DIMENSIONS, rng.choice([0, 1, 1, 2]))
    if by:
        args += ["--by", ",".join(by)]
    if rng.random() < 0.5:
        args += ["--period", rng.choice(["week", "month", "quarter", "year"])]
    if rng.random() < 0.4:
        start = FIRST + timedelta(days=rng.randrange(DAYS // 2))
        end = start + timedelta(days=rng.randrange(5, DAYS))
        if rng.random() < 0.5:  # whole months: both paths read the month rows (D64)
            month_after = (end.replace(day=1) + timedelta(days=31)).replace(day=1)
            start, end = start.replace(day=1), month_after - timedelta(days=1)
        args += ["--since", str(start), "--until", str(end)]
    if rng.random() < 0.4:
        dim = rng.choice(["segment", "region", "plan", "stage", "channel", "aspect", "touchpoint"])
        value = {"stage": "buy", "channel": "store", "aspect": "functional", "touchpoint": "call"}.get(
            dim, VALUES.get(dim, ["x"])[0])
        args += ["--filter", f"{dim}={value}"]
    if rng.random() < 0.3:
        args += ["--min-n", str(rng.choice([50, 500, 3000]))]
    if rng.random() < 0.2:
        args += ["--min-group", str(rng.choice([5, 40]))]
    return args


@pytest.mark.parametrize("which", ["workspace", "small_workspace"])
def test_the_quick_path_prints_what_the_library_prints_on_random_scopes(which, request, monkeypatch):
    folder, rng, quick_answers = request.getfixturevalue(which), random.Random(5), 0
    for _ in range(40):
        args = _random_args(rng)
        fast, slow, was_quick = _both(folder, monkeypatch, args)
        assert fast == slow, args
        quick_answers += was_quick
    # both kinds of scope were drawn: the comparison covered the quick path and its fall-backs
    assert 8 <= quick_answers <= 38


def test_nps_from_the_rollup_imports_neither_pandas_nor_ibis_and_prints_the_librarys_answer(workspace, monkeypatch):
    args = ["nps", "--by", "touchpoint,segment", "--period", "month", "--format", "json"]
    code = ("import runpy, sys\n"
            f"sys.argv = ['cxlens', *{args!r}, '-w', {str(workspace)!r}]\n"
            "try:\n    runpy.run_module('cxlens', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'ibis', 'pyarrow', 'scipy') if m in sys.modules), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
    monkeypatch.setattr(quick, "answer", lambda *a, **k: None)
    library = _run(*args, "-w", str(workspace))
    assert json.loads(done.stdout) == json.loads(library.stdout) and len(json.loads(done.stdout)) == 4 * 3 * 2


def test_explain_states_the_planners_reason_on_either_path(workspace, monkeypatch):
    args = ["nps", "--by", "segment", "--format", "json", "--explain"]
    fast = _run(*args, "-w", str(workspace))
    monkeypatch.setattr(quick, "answer", lambda *a, **k: None)
    slow = _run(*args, "-w", str(workspace))
    assert fast.stderr == slow.stderr and "explain: nps: rollup: the rollup covers every dimension" in fast.stderr


@pytest.mark.parametrize("args", [
    ["nps", "--weighted"],                              # weights belong to single answers
    ["nps", "--compare", "rest", "--by", "segment"],    # comparisons: the library's tests
    ["nps", "--by", "account"],                         # not in the rollup
    ["nps", "--ci", "bootstrap"],                       # an interval from more than counts
    ["csat", "--by", "touchpoint,segment,region,plan,language", "--period", "week"],  # cells too small to skip counting
    ["ces", "--by", "segment", "--min-group", "400"],   # cells under cap x M: counted, maybe suppressed
])
def test_what_the_quick_path_cannot_answer_exactly_goes_to_the_library(workspace, monkeypatch, args):
    fast, slow, was_quick = _both(workspace, monkeypatch, [*args, "--format", "json"])
    assert not was_quick
    # both ran the library: the same cells (weighted sums of fractional weights may differ in the last bits between
    # two runs of DuckDB's parallel aggregation)
    fast, slow = json.loads(fast), json.loads(slow)
    assert len(fast) == len(slow) > 0 and all(list(a) == list(b) for a, b in zip(fast, slow))
    assert all(math.isclose(a[k], b[k], rel_tol=1e-12) if isinstance(a[k], float) else a[k] == b[k]
               for a, b in zip(fast, slow) for k in a)


def test_a_stale_rollup_or_a_store_held_by_a_writer_is_never_read_quickly(workspace, tmp_path):
    workspace = Path(shutil.copytree(workspace, tmp_path / "copy"))  # the module's store stays current
    ws = Workspace.open(workspace)
    scope = Scope(by=("segment",))
    assert quick.answer(ws.store_url, "nps", scope, min_n=30, customers_cap=5) is not None
    with ws.store(migrate=True):  # this process holds the file read-write: DuckDB refuses a read-only open
        assert quick.answer(ws.store_url, "nps", scope, min_n=30, customers_cap=5) is None
    more = tmp_path / "more.csv"
    more.write_text("response_id,customer_id,ts,touchpoint_id,metric,score\nz1,C1,2024-03-02 10:00:00,shop,nps,9\n")
    with ws.store(migrate=True) as store:  # a load that does not keep the rollup (as an older cxlens would)
        load(store, more, "responses")
    assert quick.answer(ws.store_url, "nps", scope, min_n=30, customers_cap=5) is None
    result = _run("nps", "--by", "segment", "--format", "json", "-w", str(workspace))
    assert result.exit_code == 0 and sum(r["n"] for r in json.loads(result.stdout)) > 0
