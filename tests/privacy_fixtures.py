"""A small store for erasure, access-request and retention tests: customer C1 (the one to forget) next to
C10 and C2, whose ids C1 is a prefix of, with rows in every table that can hold a customer's data.

C1 has a unique comment phrase in a survey answer, a ticket and a note, events (so `journey_steps`), outcomes (so
the value frames), text analyses of each of their texts, and a refused response row in `quarantine` (score 11);
C10 has one too, so a LIKE '%C1%' erasure would wrongly take it. Loaded the real way (`load`), analyses written directly.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from conftest import PLAIN_JOURNEY
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.ingest.identity import Identity, IdentityKeys
from cxlens.store import Store

FORGOTTEN = "C1"
PHRASE = "zebra-marmalade-quartz"       # only in C1's texts
OTHER_PHRASE = "walrus-tangerine-opal"  # only in C10's texts
JOURNEY = PLAIN_JOURNEY  # the three-touchpoint journey of the loading tests
FILES = {
    "customers": """customer_id,signup_date,segment,region,language,plan,loyalty_card,email
C1,2024-01-01,family,north,en,basic,LC-C1-778,ann@example.com
C10,2024-01-02,value,south,en,pro,LC-C10-912,bob@example.com
C2,2024-02-01,value,south,de,pro,,
""",
    "responses": f"""response_id,customer_id,ts,touchpoint_id,metric,score,comment,language
R1,C1,2022-01-05 12:00:00,relationship,nps,3,The {PHRASE} bill was wrong,en
R2,C1,2025-06-01 12:00:00,shop,csat,4,,en
R3,C10,2022-01-06 12:00:00,relationship,nps,9,Great {OTHER_PHRASE} service,en
R4,C2,2025-06-02 12:00:00,relationship,nps,8,Fine,de
R5,C1,2025-06-03 12:00:00,relationship,nps,11,score out of range {PHRASE},en
R6,C10,2025-06-03 12:00:00,relationship,nps,12,also out of range,en
""",
    "tickets": f"""ticket_id,customer_id,touchpoint_id,category,opened_at,resolved_at,description
T1,C1,call,billing,2022-03-01 09:00:00,2022-03-02 09:00:00,Charged twice {PHRASE}
T2,C10,call,billing,2025-03-01 09:00:00,,Charged twice
""",
    "notes": f"""note_id,customer_id,ts,source,touchpoint_id,text,language
N1,C1,2025-05-01 10:00:00,call,call,Customer said {PHRASE} twice,en
N2,C2,2025-05-02 10:00:00,call,call,Customer happy,en
""",
    "events": """event_id,customer_id,ts,touchpoint_id
E1,C1,2022-01-01 10:00:00,shop
E2,C1,2025-01-02 10:00:00,call
E3,C10,2022-01-03 10:00:00,shop
E4,C2,2025-01-04 10:00:00,shop
E5,C10,2025-01-05 10:00:00,call
""",
    "outcomes": """customer_id,month,active,revenue
C1,2022-01,true,10
C1,2025-01,true,12
C10,2022-01,true,20
C2,2025-01,true,30
""",
}
# rows each customer has per table once built (quarantine: the refused R5 / R6)
ROWS = {
    "C1": {"customers": 1, "responses": 2, "tickets": 1, "notes": 1, "events": 2, "outcomes": 2,
           "journey_steps": 2, "comment_analysis": 3, "quarantine": 1, "identity_keys": 1, "identity_links": 0,
           "personas": 0, "value_months": 2, "value_answers": 1, "value_groups": 1, "ticket_facts": 1,
           "answer_counts": 2},
}
TOTALS = {"customers": 3, "responses": 4, "tickets": 2, "notes": 2, "events": 5, "outcomes": 4,
          "journey_steps": 5, "comment_analysis": 6, "quarantine": 2, "identity_keys": 2, "identity_links": 0,
          "personas": 0, "value_months": 4, "value_answers": 3, "value_groups": 3, "ticket_facts": 2,
          "answer_counts": 4}
# identity resolution's keys for the customers load: the e-mails go into `identity_keys` (keyed)
IDENTITY = Identity(IdentityKeys(b"privacy-fixture-identity-key-32b"))


def build(url: str, folder: Path) -> Store:
    """Open `url` and fill it: journey, every kind loaded from FILES, journey steps numbered, value linkage's frames,
    the narrow ticket table and the rollup with its answer counts stored (as a workspace's loads leave them), texts
    'analysed'."""
    from cxlens.journey import refresh_steps
    from cxlens.metrics.rollup import refresh_rollup
    from cxlens.metrics.ticket_facts import refresh_facts
    from cxlens.value.upkeep import refresh_value

    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(url)
    journey = folder / "journey.yaml"
    journey.write_text(textwrap.dedent(JOURNEY).lstrip(), encoding="utf-8")
    sync_journey(store, read_journey(journey))
    for kind, text in FILES.items():
        path = folder / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        load(store, path, kind, identity=IDENTITY if kind == "customers" else None)
    refresh_steps(store)
    refresh_value(store)
    refresh_facts(store)
    refresh_rollup(store)
    write_analyses(store)
    return store


def write_analyses(store: Store) -> None:
    """One comment_analysis row per stored text (what `cxlens text analyze` would leave), without the models."""
    texts = [("survey", "R1"), ("survey", "R3"), ("survey", "R4"), ("ticket", "T1"), ("ticket", "T2"),
             ("note", "N1"), ("note", "N2")]
    texts = [t for t in texts if t != ("survey", "R4")]  # R4 says 'Fine': left unanalysed, as a short text may be
    n = len(texts)
    store.write_keyed("comment_analysis", ["source", "source_id"], pa.table({
        "source": [s for s, _ in texts], "source_id": [i for _, i in texts], "text_sha1": ["x"] * n,
        "language": ["en"] * n, "sentiment": ["negative"] * n, "sentiment_score": [-0.5] * n,
        "themes": ["billing_errors"] * n, "emotions": [""] * n, "model": ["test"] * n,
        "analyzed_at": [datetime(2025, 6, 4)] * n}))


def counts(store: Store) -> dict[str, int]:
    """Rows per table of TOTALS."""
    return {name: store.count(name) for name in TOTALS}
