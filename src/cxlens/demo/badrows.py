"""Deliberately broken rows, mixed into responses.csv and tickets.csv at random positions.

The loader must quarantine exactly these (and nothing else), so each bad row is a copy of a good
row with one defect, and truth.json records the count per reason and the CSV line of each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_BAD_DATES = ("2025-02-30 09:12:00", "2024-13-01 10:00:00", "not recorded", "31/04/2025 25:61")
_UNKNOWN_TOUCHPOINTS = ("loyalty_lounge", "fax_support", "pigeon_post")
_OUT_OF_RANGE = {"nps": 11.0, "csat": 6.0, "ces": 0.0, "expectation": 9.0}

RESPONSE_DEFECTS = {"score_out_of_range": 3, "unparsable_date": 3, "unknown_touchpoint": 3, "unknown_customer": 3, "missing_key": 3}
TICKET_DEFECTS = {"unparsable_date": 3, "unknown_touchpoint": 2, "unknown_customer": 3, "missing_key": 2}


def _break(rng: np.random.Generator, good: pd.DataFrame, defects: dict[str, int], key: str, ts_col: str, prefix: str) -> pd.DataFrame:
    """Copies of random good rows, each with exactly one defect; the reason is in column `_reason`."""
    n = sum(defects.values())
    bad = good.iloc[rng.choice(len(good), size=n, replace=False)].copy().reset_index(drop=True)
    bad["_reason"] = [reason for reason, k in defects.items() for _ in range(k)]
    bad[key] = [f"{prefix}{i:04d}" + ("-" + m if "metric" in bad else "") for i, m in
                zip(range(1, n + 1), bad["metric"] if "metric" in bad else [""] * n)]
    for i, reason in enumerate(bad["_reason"]):
        if reason == "score_out_of_range":
            bad.loc[i, "score"] = _OUT_OF_RANGE[bad.loc[i, "metric"]]
        elif reason == "unparsable_date":
            bad.loc[i, ts_col] = _BAD_DATES[i % len(_BAD_DATES)]
        elif reason == "unknown_touchpoint":
            bad.loc[i, "touchpoint_id"] = _UNKNOWN_TOUCHPOINTS[i % len(_UNKNOWN_TOUCHPOINTS)]
        elif reason == "unknown_customer":
            bad.loc[i, "customer_id"] = f"C9{rng.integers(10**7, 10**8)}"
        elif reason == "missing_key":
            bad.loc[i, key] = None
    return bad


def mix_in(rng: np.random.Generator, good: pd.DataFrame, defects: dict[str, int], key: str, ts_col: str, prefix: str) -> tuple[pd.DataFrame, dict]:
    """Good rows with bad rows inserted at random places; returns the frame and the bad-row truth."""
    bad = _break(rng, good, defects, key, ts_col, prefix)
    order_key = np.concatenate([np.arange(len(good), dtype=float), rng.uniform(0, len(good), len(bad))])
    both = pd.concat([good.assign(_reason=None), bad], ignore_index=True)
    both = both.iloc[np.argsort(order_key, kind="stable")].reset_index(drop=True)
    where = np.flatnonzero(both["_reason"].notna().to_numpy())
    truth = {
        **{reason: k for reason, k in defects.items()},
        "total": len(bad),
        "rows": [{"line": int(i) + 2, "reason": both.loc[i, "_reason"],
                  key: both.loc[i, key] if isinstance(both.loc[i, key], str) else None} for i in where],
        "line_numbering": "1-based CSV line, the header is line 1",
    }
    return both.drop(columns="_reason"), truth
