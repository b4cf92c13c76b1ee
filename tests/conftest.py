"""Shared fixtures: a small store loaded through the real `load` path.

`tiny_store` holds a 3-touchpoint journey, 8 customers and hand-checkable responses and tickets,
so tests can assert exact numbers. Fixtures take the store as an argument named `store`-like, so
the engine can later be parametrised (DuckDB, Spark, PostgreSQL) without touching the tests.

The demo company is generated once per test run, not once per module: `shared_demo(customers, seed)`
builds it the first time any test asks (under a file lock, so one pytest-xdist worker builds it and
the others wait and reuse it) and `demo_store_copy` hands each module its own copy of one loaded and
text-analysed DuckDB store of the demo (DEMO_CUSTOMERS, DEMO_SEED), so tests may write to it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store

# Three touchpoints, no targets: the journey of the loading tests (ingest, readers, loading on every engine).
PLAIN_JOURNEY = """
stages: [purchase, support, advocacy]
touchpoints:
  - {id: shop, name: Shop, stage: purchase, channel: store}
  - {id: call, name: Support call, stage: support, channel: call_center}
  - {id: relationship, name: Relationship, stage: advocacy}
"""

# PLAIN_JOURNEY's touchpoint -> the position of its stage: events at the same instant are numbered in this order
# (cxlens.journey.ordering), so brute-force journey tests sort by (ts, PLAIN_STAGE_ORDER, event_id).
PLAIN_STAGE_ORDER = {"shop": 0, "call": 1, "relationship": 2}


def plain_event_order(event: dict) -> tuple:
    """Sort key of an event of PLAIN_JOURNEY as the journey analyses order them: time, stage order, event id."""
    return (event["ts"], PLAIN_STAGE_ORDER[event["touchpoint_id"]], event["event_id"])


def plain_events_store(folder: Path, events: list[dict], customers: int) -> Store:
    """A DuckDB store in `folder` with PLAIN_JOURNEY, customers C0..C{customers-1} (segment a/b by parity) and
    `events` (dicts with event_id, customer_id, ts, touchpoint_id) loaded through the real loader: the store
    the brute-force journey tests compare against."""
    (folder / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")
    (folder / "customers.csv").write_text("customer_id,segment\n" + "".join(f"C{c},{'a' if c % 2 else 'b'}\n" for c in range(customers)))
    (folder / "events.csv").write_text("event_id,customer_id,ts,touchpoint_id\n" + "".join(
        f"{r['event_id']},{r['customer_id']},{r['ts']:%Y-%m-%d %H:%M:%S},{r['touchpoint_id']}\n" for r in events))
    store = Store.open(f"duckdb:///{folder / 'cx.duckdb'}")
    sync_journey(store, read_journey(folder / "journey.yaml"))
    load(store, folder / "customers.csv", "customers")
    assert load(store, folder / "events.csv", "events").inserted == len(events)
    return store


TINY_JOURNEY = """
stages: [purchase, support, advocacy]
touchpoints:
  - {id: shop, name: Shop, stage: purchase, channel: store, owner: Retail,
     targets: {csat: 4.0, nps: 0}, self_rating: {csat: 4.8}}
  - {id: call, name: Support call, stage: support, channel: call_center, owner: Care,
     targets: {csat: 4.5}, self_rating: {csat: 4.0}}
  - {id: relationship, name: Relationship, stage: advocacy, targets: {nps: 10}}
"""

TINY_CUSTOMERS = """customer_id,signup_date,segment,region,language,plan,account_id
C1,2024-01-01,family,north,en,basic,
C2,2024-02-01,value,south,ar,pro,
C3,2024-02-03,value,south,de,pro,
C4,2024-02-03,family,north,en,basic,
C5,2024-03-01,business,north,en,pro,A1
C6,2024-03-01,business,south,de,pro,A1
C7,2024-03-05,family,south,ar,basic,
C8,2024-03-09,value,north,en,basic,
"""

# NPS at `relationship`: Jan has 10 answers (4 promoters, 3 passives, 3 detractors => NPS 10),
# Feb has 6 answers (1 promoter, 1 passive, 4 detractors => NPS -50).
_NPS = [
    ("C1", "2024-01-05", 10), ("C2", "2024-01-06", 9), ("C3", "2024-01-07", 9), ("C4", "2024-01-08", 10),
    ("C5", "2024-01-09", 8), ("C6", "2024-01-10", 7), ("C7", "2024-01-11", 8),
    ("C8", "2024-01-12", 3), ("C1", "2024-01-20", 6), ("C2", "2024-01-21", 0),
    ("C3", "2024-02-02", 9), ("C4", "2024-02-03", 7), ("C5", "2024-02-04", 5),
    ("C6", "2024-02-05", 6), ("C7", "2024-02-06", 2), ("C8", "2024-02-07", 4),
]
# CSAT and CES at shop and call; expectation at shop and call.
_CSAT = [("C1", "shop", 5), ("C2", "shop", 4), ("C3", "shop", 4), ("C4", "shop", 3),
         ("C5", "call", 2), ("C6", "call", 3), ("C7", "call", 1), ("C8", "call", 4)]
_CES = [("C1", "shop", 7), ("C2", "shop", 6), ("C3", "shop", 5), ("C4", "shop", 2),
        ("C5", "call", 3), ("C6", "call", 2), ("C7", "call", 1), ("C8", "call", 6)]
_EXPECT = [("C1", "shop", 4), ("C2", "shop", 4), ("C3", "shop", 3), ("C4", "shop", 4),
           ("C5", "call", 4), ("C6", "call", 5), ("C7", "call", 4), ("C8", "call", 4)]


def tiny_responses_csv() -> str:
    lines = ["response_id,customer_id,ts,touchpoint_id,metric,score,language"]
    for i, (c, day, s) in enumerate(_NPS):
        lines.append(f"N{i},{c},{day} 12:00:00,relationship,nps,{s},en")
    for metric, rows in (("csat", _CSAT), ("ces", _CES), ("expectation", _EXPECT)):
        for i, (c, tp, s) in enumerate(rows):
            lines.append(f"{metric}{i},{c},2024-03-{10 + i:02d} 09:00:00,{tp},{metric},{s},en")
    return "\n".join(lines) + "\n"


# Tickets at `call`: T1-T4 resolved (T1, T2 first contact; T3 two contacts; T4 reopened), T5 open.
TINY_TICKETS = """ticket_id,customer_id,touchpoint_id,category,channel,opened_at,first_response_at,resolved_at,reopened,contacts
T1,C5,call,billing,phone,2024-03-01 09:00:00,2024-03-01 10:00:00,2024-03-02 09:00:00,false,1
T2,C6,call,billing,phone,2024-03-02 09:00:00,2024-03-02 11:00:00,2024-03-04 09:00:00,false,1
T3,C7,call,network,chat,2024-03-03 09:00:00,2024-03-03 13:00:00,2024-03-07 09:00:00,false,2
T4,C8,call,network,chat,2024-03-04 09:00:00,2024-03-04 17:00:00,2024-03-12 09:00:00,true,1
T5,C1,call,billing,phone,2024-03-05 09:00:00,2024-03-05 09:30:00,,false,1
"""


def build_tiny_store(url: str, folder: Path) -> Store:
    """Open `url`, write the tiny journey and load customers, responses and tickets into it."""
    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(url)
    journey = folder / "journey.yaml"
    journey.write_text(textwrap.dedent(TINY_JOURNEY).lstrip(), encoding="utf-8")
    sync_journey(store, read_journey(journey))
    for kind, text in (("customers", TINY_CUSTOMERS), ("responses", tiny_responses_csv()), ("tickets", TINY_TICKETS)):
        path = folder / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        load(store, path, kind)
    return store


def allow_small_groups(root: Path) -> None:
    """Set `[privacy] min_group = 1` in the workspace at `root`: for tests of figures or layout on the tiny store
    (2-4 customers a group), where suppressing small groups (tests/unit/privacy) is not what is tested."""
    config = root / "cxlens.toml"
    text = config.read_text(encoding="utf-8")
    if "[privacy]" in text:
        text = text.replace("[privacy]", "[privacy]\nmin_group = 1", 1)
    else:
        text += "\n[privacy]\nmin_group = 1\n"
    config.write_text(text, encoding="utf-8")


@pytest.fixture
def tiny_store(tmp_path: Path) -> Store:
    """A DuckDB store with the tiny journey, customers, responses and tickets, loaded the real way."""
    store = build_tiny_store(f"duckdb:///{tmp_path / 'tiny.duckdb'}", tmp_path / "tiny")
    yield store
    store.close()


GENERATED_JOURNEY = """
stages: [purchase, support, advocacy]
touchpoints:
  - {id: shop, name: Shop, stage: purchase, channel: store, targets: {csat: 3.0}}
  - {id: call, name: Call, stage: support, channel: call_center, targets: {csat: 4.6}}
  - {id: chat, name: Chat, stage: support, channel: chat}
  - {id: relationship, name: Relationship, stage: advocacy}
"""


def generate_frames(seed: int = 42, customers: int = 400, answers: int = 4000, tickets: int = 1500):
    """Random but reproducible customers, responses and tickets, as pandas frames (the brute-force truth)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cust = pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(customers)],
        "segment": rng.choice(["value", "family", "business"], customers, p=[0.5, 0.3, 0.2]),
        "region": rng.choice(["north", "south"], customers, p=[0.6, 0.4]),
        "language": rng.choice(["en", "de"], customers),
        "plan": rng.choice(["basic", "pro"], customers),
    })
    # business customers answer 3x as often: a response bias for weighting to correct
    p_answer = np.where(cust["segment"] == "business", 3.0, 1.0)
    who = rng.choice(customers, answers, p=p_answer / p_answer.sum())
    metric = rng.choice(["nps", "csat", "ces", "expectation"], answers, p=[0.4, 0.3, 0.2, 0.1])
    tp = np.where(metric == "nps", "relationship", rng.choice(["shop", "call", "chat"], answers))
    business = (cust["segment"].to_numpy()[who] == "business")
    scale = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "expectation": (1, 5)}
    score = np.empty(answers)
    for m, (lo, hi) in scale.items():
        sel = metric == m
        base = rng.integers(lo, hi + 1, sel.sum())
        if m == "nps":  # business customers are less happy
            base = np.where(business[sel], np.clip(base - 3, lo, hi), base)
        score[sel] = base
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, answers), unit="h")
    resp = pd.DataFrame({"response_id": [f"R{i}" for i in range(answers)], "customer_id": cust["customer_id"].to_numpy()[who],
                         "ts": ts, "touchpoint_id": tp, "metric": metric, "score": score})
    opened = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 360 * 24, tickets), unit="h")
    frt = rng.exponential(5, tickets)
    res_h = rng.gamma(2, 30, tickets)
    resolved = rng.random(tickets) < 0.9
    tick = pd.DataFrame({
        "ticket_id": [f"T{i}" for i in range(tickets)], "customer_id": rng.choice(cust["customer_id"], tickets),
        "touchpoint_id": rng.choice(["call", "chat"], tickets), "category": rng.choice(["billing", "network"], tickets),
        "channel": rng.choice(["phone", "chat"], tickets), "opened_at": opened,
        "first_response_at": opened + pd.to_timedelta(np.round(frt * 3600), unit="s"),
        "resolved_at": (opened + pd.to_timedelta(np.round(res_h * 3600), unit="s")).where(resolved),
        "reopened": rng.random(tickets) < 0.1, "contacts": 1 + rng.poisson(0.5, tickets),
    })
    return {"customers": cust, "responses": resp, "tickets": tick}


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """(store, frames): the generated data loaded through `load`, and the same data as pandas frames."""
    folder = tmp_path_factory.mktemp("generated")
    frames = generate_frames()
    store = load_generated(folder, frames)
    yield store, frames
    store.close()


def load_generated(folder: Path, frames: dict, kinds: tuple[str, ...] = ("customers", "responses", "tickets")) -> Store:
    """A new DuckDB store in `folder` with the generated journey map and `frames[kind]` for each of `kinds` loaded
    through `load` (from Parquet), opened."""
    store = Store.open(f"duckdb:///{folder / 'gen.duckdb'}")
    journey = folder / "journey.yaml"
    journey.write_text(textwrap.dedent(GENERATED_JOURNEY).lstrip(), encoding="utf-8")
    sync_journey(store, read_journey(journey))
    for kind in kinds:
        path = folder / f"{kind}.parquet"
        frames[kind].to_parquet(path, index=False)
        load(store, path, kind)
    return store


# ------------------------------------------------------------------ the demo company, built once per run

DEMO_CUSTOMERS, DEMO_SEED = 3500, 11  # the loaded demo store: enough answers for the planted theme costs
DEMO_STORE_KINDS = ("customers", "responses", "tickets", "notes")  # events and outcomes: no test of it needs them


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every pytest-xdist worker of this run sees (the workers' common temporary folder);
    in a serial run, this run's own temporary folder (never an earlier run's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """Folder `name` in the run's shared folder, filled by `build(folder)` by the first worker that asks;
    the others wait for the lock and reuse it. A failed build leaves no marker, so the next asker retries."""
    root = shared_root(tmp_path_factory)
    folder, done = root / name, root / f"{name}.done"
    with _exclusive(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory):
    """`shared_demo(customers, seed)` -> DemoFiles of the demo company, generated once per run. Read only."""
    from cxlens.demo import DemoFiles, generate

    def get(customers: int, seed: int) -> DemoFiles:
        folder = build_once(tmp_path_factory, f"shared-demo-{customers}-{seed}",
                            lambda out: generate(out, customers=customers, seed=seed))
        return DemoFiles.in_folder(folder)

    return get


def demo_identity():
    """Identity resolution's keys and settings for the demo stores: a fixed test secret, GB phones (as the demo
    workspace's cxlens.toml sets `[identity] phone_region`)."""
    from cxlens.ingest.identity import Identity, IdentityKeys

    return Identity(IdentityKeys(b"demo-identity-test-key-32-bytes!"), phone_region="GB")


def _demo_store_in(folder: Path, files, kinds: tuple[str, ...], identity=None) -> Store:
    """A new DuckDB store in `folder` with the demo's journey map and `kinds` loaded through `load` (opened);
    `identity`: customers also write the identity index (needed to load the per-aspect survey)."""
    folder.mkdir(parents=True)
    store = Store.open(f"duckdb:///{folder / 'cx.duckdb'}")
    try:
        sync_journey(store, read_journey(files.journey))
        for kind in kinds:
            load(store, files.tables()[kind], kind, identity=identity if kind == "customers" else None)
    except BaseException:
        store.close()
        raise
    return store


def _opened_copy(source: Path, tmp_path_factory, name: str) -> Store:
    """A private copy of the store built in `source` (never opened in place: other workers copy it too), opened."""
    folder = tmp_path_factory.mktemp(name)
    for path in source.glob("cx.duckdb*"):
        shutil.copy(path, folder / path.name)
    return Store.open(f"duckdb:///{folder / 'cx.duckdb'}")


def _build_demo_store(folder: Path, files) -> None:
    """The demo loaded through `load` (the per-aspect survey through its mapping), texts analysed."""
    from cxlens.ingest import read_mapping
    from cxlens.text.stored import analyze_store

    identity = demo_identity()
    store = _demo_store_in(folder, files, DEMO_STORE_KINDS, identity)
    try:  # the survey export has no customer id: its respondents are resolved by identity
        load(store, files.aspect_survey, "responses", read_mapping(files.aspect_mapping), identity=identity)
        report = analyze_store(store)
    finally:
        store.close()
    (folder / "analyze_report.json").write_text(json.dumps({"model": report.model, "counts": report.counts}))


@pytest.fixture(scope="session")
def demo_store_source(shared_demo, tmp_path_factory) -> Path:
    """Folder of the loaded, text-analysed demo store (built once per run). Never open it: copy it."""
    files = shared_demo(DEMO_CUSTOMERS, DEMO_SEED)
    return build_once(tmp_path_factory, f"shared-demo-store-{DEMO_CUSTOMERS}-{DEMO_SEED}",
                      lambda out: _build_demo_store(out, files))


@pytest.fixture(scope="session")
def demo_store_copy(demo_store_source: Path, shared_demo, tmp_path_factory):
    """`demo_store_copy()` -> (store, files, analyze report): a private copy of the loaded demo store,
    opened (the caller closes it), the demo's files and what `analyze_store` reported when it was built."""
    from cxlens.text.stored import AnalyzeReport

    def copy():
        saved = json.loads((demo_store_source / "analyze_report.json").read_text())
        report = AnalyzeReport(model=saved["model"], counts=saved["counts"])
        return (_opened_copy(demo_store_source, tmp_path_factory, "demo-store"), shared_demo(DEMO_CUSTOMERS, DEMO_SEED),
                report)

    return copy


VALUE_DEMO_CUSTOMERS = 20_000  # the value analyses' planted-truth tests: enough churn events per group and year
VALUE_DEMO_KINDS = ("customers", "responses", "outcomes")


@pytest.fixture(scope="session")
def value_demo_store(shared_demo, tmp_path_factory):
    """`value_demo_store()` -> (store, files): a private copy of the 20,000-customer demo (seed 11) with customers,
    responses and outcomes loaded (built once per run; the slow planted-truth tests of cxlens.value share it)."""
    files = shared_demo(VALUE_DEMO_CUSTOMERS, DEMO_SEED)

    source = build_once(tmp_path_factory, f"value-demo-store-{VALUE_DEMO_CUSTOMERS}-{DEMO_SEED}",
                        lambda folder: _demo_store_in(folder, files, VALUE_DEMO_KINDS).close())

    def copy():
        return _opened_copy(source, tmp_path_factory, "value-demo-store"), files

    return copy


# The public data sets of ../shared/data (see its README.md). Tests that read them skip cleanly where the
# folder is absent (a user's clone); CXLENS_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("CXLENS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture
def shared_data() -> Callable[[str], Path]:
    """`shared_data("telco_churn/Telco-Customer-Churn_IBM.csv")` -> its path, or skip the test when absent."""
    def find(relative: str) -> Path:
        path = SHARED_DATA / relative
        if not path.exists():
            pytest.skip(f"public data set {relative} not found under {SHARED_DATA} (set CXLENS_SHARED_DATA)")
        return path
    return find
