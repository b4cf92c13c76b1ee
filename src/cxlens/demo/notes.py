"""Call and interview notes: the third source of text (after survey comments and ticket descriptions).

Agents note a call or chat on a share of tickets, in the customer's language, about the ticket's
problem; researchers note a few customer interviews touching one or two themes. Each note's themes
are recorded in `notes_truth.csv` so text analysis can be checked on notes too.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from cxlens.demo import params as P
from cxlens.demo.comments import compose

CALL_NOTE_SHARE = 0.12       # tickets with an agent's note
INTERVIEW_SHARE = 0.01       # customers interviewed once
_CATEGORY_THEME = {"billing_error": "billing_errors", "roaming_charges": "billing_errors",
                   "network_coverage": "network_coverage", "slow_data": "network_coverage", "app_issue": "app_experience"}


def build_notes(rng: np.random.Generator, r: random.Random, tickets: pd.DataFrame, customers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(notes in canonical columns, truth: note_id -> themes). `tickets` are clean canonical ticket rows."""
    language = dict(zip(customers["customer_id"], customers["language"]))
    calls = tickets[rng.random(len(tickets)) < CALL_NOTE_SHARE]
    rows = []
    for t in calls.itertuples(index=False):
        theme = _CATEGORY_THEME.get(t.category, "waiting_time")
        rows.append((t.customer_id, t.opened_at, "call" if t.channel == "call_center" else "chat", t.touchpoint_id, (theme,)))
    interviewed = customers[rng.random(len(customers)) < INTERVIEW_SHARE]
    for c in interviewed.itertuples(index=False):
        themes = tuple(r.sample(P.THEMES, k=1 + (r.random() < 0.4)))
        month = 1 + int(rng.integers(0, 23))
        rows.append((c.customer_id, f"{2024 + month // 12}-{month % 12 + 1:02d}-15 11:00:00", "interview", None, themes))
    ids = [f"N{i:06d}" for i in range(1, len(rows) + 1)]
    notes = pd.DataFrame({
        "note_id": ids, "customer_id": [x[0] for x in rows], "ts": [x[1] for x in rows], "source": [x[2] for x in rows],
        "touchpoint_id": [x[3] for x in rows],
        "text": [compose(r, language[x[0]], x[4]) for x in rows], "language": [language[x[0]] for x in rows],
    })
    truth = pd.DataFrame({"note_id": ids, "language": notes["language"], "themes": ["|".join(x[4]) for x in rows]})
    return notes, truth
