"""The narrow ticket table's test helpers: a small random store of customers (some attributes empty) and tickets
(some never answered, resolved or reopened, some without a touchpoint), loads that keep `ticket_facts` current as
`Workspace.load` does, and the brute-force pandas rows every maintained table must equal.
Used by tests/unit/metrics/test_ticket_facts.py and tests/engines/test_engines_ticket_facts.py."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.ingest import load, sync_journey
from cxlens.metrics import ticket_facts
from cxlens.metrics.ticket_facts_upkeep import FactsLoadMaintenance
from cxlens.model import table
from cxlens.model.journey import read_journey
from cxlens.store import Store
import rollup_fixtures
from conftest import TINY_JOURNEY

START = datetime(2024, 3, 1)
UNKNOWN = "(unknown)"
COLUMNS = list(table("ticket_facts").names)


def customers_csv(path: Path, n: int, changed: set[int] = frozenset()) -> Path:
    """The rollup tests' customers (`rollup_fixtures.customers_csv`: some attributes empty, `changed` ones with
    other values) with an account: every fourth customer's, moved too when changed."""
    rollup_fixtures.customers_csv(path, random.Random(0), n, changed)
    lines = path.read_text().splitlines()
    accounts = ["" if i % 4 else f"A{(i + (1 if i in changed else 0)) % 3}" for i in range(n)]
    path.write_text("\n".join([lines[0] + ",account_id", *(f"{line},{a}" for line, a in zip(lines[1:], accounts))]) + "\n")
    return path


def tickets_csv(path: Path, rng: random.Random, ids: range, customers: int, days: int = 40,
                start: datetime = START) -> Path:
    """Tickets T{i}: random touchpoint (or none), category, channel, opening time; a fifth never got a first
    response, a quarter is unresolved, some reopened, contacts 1-3 or empty."""
    lines = ["ticket_id,customer_id,touchpoint_id,category,channel,opened_at,first_response_at,resolved_at,reopened,contacts"]
    for i in ids:
        opened = start + timedelta(days=rng.randrange(days), minutes=rng.randrange(24 * 60))
        first = "" if rng.random() < 0.2 else f"{opened + timedelta(minutes=rng.randrange(1, 600)):%Y-%m-%d %H:%M:%S}"
        resolved = "" if rng.random() < 0.25 else f"{opened + timedelta(hours=rng.randrange(1, 200)):%Y-%m-%d %H:%M:%S}"
        reopened = rng.choice(["", "true", "false", "false"])
        contacts = rng.choice(["", "1", "1", "2", "3"])
        lines.append(f"T{i},C{rng.randrange(customers)},{rng.choice(['shop', 'call', 'relationship', ''])},"
                     f"{rng.choice(['billing', 'network', ''])},{rng.choice(['chat', 'phone'])},"
                     f"{opened:%Y-%m-%d %H:%M:%S},{first},{resolved},{reopened},{contacts}")
    path.write_text("\n".join(lines) + "\n")
    return path


def opened_store(url: str, folder: Path, seed: int, customers: int = 30, tickets: int = 400) -> tuple[Store, random.Random]:
    """A new store at `url` with `customers` customers and `tickets` tickets, loaded keeping the table current."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "journey.yaml").write_text(TINY_JOURNEY)
    store = Store.open(url)
    sync_journey(store, read_journey(folder / "journey.yaml"))
    load_kept(store, customers_csv(folder / "customers.csv", customers), "customers")
    load_kept(store, tickets_csv(folder / "tickets.csv", rng, range(tickets), customers), "tickets")
    return store, rng


def load_kept(store: Store, path: Path, kind: str, **options) -> FactsLoadMaintenance:
    """Load as `Workspace.load` does for this table: `ticket_facts` kept current inside the load's transaction."""
    upkeep = FactsLoadMaintenance(store, kind)
    load(store, path, kind, derived=upkeep.apply, **options)
    upkeep.after_load()
    return upkeep


def brute(store: Store) -> pd.DataFrame:
    """`ticket_facts` computed in pandas from the raw tickets and the customers' current attributes."""
    k = store.table("tickets").execute()
    c = store.table("customers").execute()[["customer_id", "segment", "region", "language", "plan", "account_id"]]
    j = k.merge(c.rename(columns={"account_id": "account"}), on="customer_id", how="left")
    out = pd.DataFrame({"ticket_id": j["ticket_id"], "customer_id": j["customer_id"], "opened_at": j["opened_at"],
                        "touchpoint_id": j["touchpoint_id"]})
    for col in ("category", "channel", "segment", "region", "language", "plan", "account"):
        out[col] = [UNKNOWN if v is None or v != v else str(v) for v in j[col]]
    resolved = j["resolved_at"].notna().to_numpy()
    reopened = j["reopened"].astype(object).where(j["reopened"].notna(), False).astype(bool).to_numpy()
    contacts = j["contacts"].astype(float).fillna(1).to_numpy()
    out["resolved"], out["reopened"], out["fcr"] = resolved, reopened, resolved & (contacts == 1) & ~reopened
    opened = pd.to_datetime(j["opened_at"])
    out["first_response_h"] = (pd.to_datetime(j["first_response_at"]) - opened).dt.total_seconds() / 3600
    out["resolution_h"] = (pd.to_datetime(j["resolved_at"]) - opened).dt.total_seconds() / 3600
    return normal(out)


def stored(store: Store) -> pd.DataFrame:
    return normal(store.table("ticket_facts").execute())


def normal(frame: pd.DataFrame) -> pd.DataFrame:
    """Comparable rows: text columns as text ('' for NULL), times as ISO text, flags as bool, by ticket_id."""
    out = frame[COLUMNS].copy()
    for col in ("ticket_id", "customer_id", "touchpoint_id", "category", "channel", "segment", "region", "language",
                "plan", "account"):
        out[col] = ["" if v is None or v != v else str(v) for v in out[col]]
    out["opened_at"] = [pd.Timestamp(v).isoformat() for v in out["opened_at"]]
    for col in ("resolved", "reopened", "fcr"):
        out[col] = out[col].astype(bool)
    for col in ("first_response_h", "resolution_h"):
        out[col] = out[col].astype(float)
    return out.sort_values("ticket_id").reset_index(drop=True)


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    texts = [c for c in COLUMNS if c not in ("first_response_h", "resolution_h")]
    assert len(got) == len(want)
    pd.testing.assert_frame_equal(got[texts], want[texts])
    np.testing.assert_allclose(got[["first_response_h", "resolution_h"]].to_numpy(float),
                               want[["first_response_h", "resolution_h"]].to_numpy(float), rtol=1e-12, atol=1e-9)


def assert_equals_a_rebuild(store: Store) -> None:
    """Current by its record, row for row what the raw tables give, and the record's bound for the small-group cap
    the most tickets one customer has."""
    assert ticket_facts.facts_are_current(store), ticket_facts.facts_staleness(store)
    want = brute(store)
    assert_same(stored(store), want)
    assert ticket_facts.recorded_most(store) == int(want["customer_id"].value_counts().max())
